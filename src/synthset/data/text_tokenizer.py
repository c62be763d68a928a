"""Tokenisers trained on the corpus: byte-level BPE (the ``tokenizers`` package) or characters.

>>> tok = TextTokenizer.train(["a fine film", "a dull film"], kind="char")
>>> ids, lengths = tok.encode_batch(["a fine film"], max_length=16)
>>> tok.decode_batch(ids)
['a fine film']

Ids 0–3 are always ``<pad>``, ``<bos>``, ``<eos>`` and ``<sep>`` (``<unk>`` is 4 for the
character tokeniser; byte-level BPE needs none, every byte has a token). A model that conditions
on a class by a label prefix appends its label tokens after ``vocab_size``. The state is plain
JSON (the BPE model is the ``tokenizers`` JSON string), saved in the artifact's encoders.json.

Encoding is vectorised: BPE runs in Rust over the whole batch (``encode_batch``); the character
tokeniser maps code points with one ``np.searchsorted`` over the concatenated corpus.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from synthset.errors import ConfigError, DataError

PAD, BOS, EOS, SEP = 0, 1, 2, 3
SPECIAL_TOKENS = ["<pad>", "<bos>", "<eos>", "<sep>"]
UNK_CHAR = 4
TOKENIZER_KINDS = ("bpe", "char")


def _require_tokenizers() -> Any:
    try:
        import tokenizers
    except ImportError as e:  # pragma: no cover - exercised only without the extra
        raise ConfigError(
            "byte-level BPE needs the `tokenizers` package: pip install 'synthset[text]' "
            "(or use tokenizer='char')"
        ) from e
    return tokenizers


class TextTokenizer:
    """A fitted tokeniser: ``encode_batch`` → padded id tensor, ``decode_batch`` → strings.

    Build one with :meth:`train`, restore it with :meth:`from_state`.
    """

    def __init__(self, kind: str, state: dict[str, Any]):
        if kind not in TOKENIZER_KINDS:
            raise ConfigError(f"`tokenizer` must be one of {TOKENIZER_KINDS}, got {kind!r}")
        self.kind = kind
        self._state = state
        if kind == "bpe":
            tokenizers = _require_tokenizers()
            self._bpe = tokenizers.Tokenizer.from_str(state["tokenizer"])
            self.vocab_size = int(self._bpe.get_vocab_size())
        else:
            chars = state["chars"]
            self._chars = np.array([ord(c) for c in chars], dtype=np.uint32)
            order = np.argsort(self._chars)
            self._sorted = self._chars[order]
            self._sorted_ids = (order + len(SPECIAL_TOKENS) + 1).astype(np.int64)
            self._table = np.array(SPECIAL_TOKENS + ["\ufffd"] + list(chars), dtype=object)
            self.vocab_size = len(SPECIAL_TOKENS) + 1 + len(chars)

    # ------------------------------------------------------------------ training
    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        *,
        kind: str = "bpe",
        vocab_size: int = 2_000,
        min_frequency: int = 2,
        max_chars: int = 300,
    ) -> TextTokenizer:
        """Learn a tokeniser from ``texts``.

        Args:
            texts: the training corpus.
            kind: ``"bpe"`` (byte-level BPE: 256 byte tokens plus learned merges, no unknowns)
                or ``"char"`` (one token per character).
            vocab_size: BPE: the vocabulary size (specials and bytes included); it stops early
                when no merge reaches ``min_frequency``.
            min_frequency: BPE: a pair must occur this often to be merged.
            max_chars: char: keep at most this many distinct characters, the most frequent;
                the rest become ``<unk>``.
        """
        texts = [str(t) for t in texts]
        if not texts:
            raise DataError("cannot train a tokenizer on no texts")
        if kind == "bpe":
            tokenizers = _require_tokenizers()
            from tokenizers import decoders, models, pre_tokenizers, trainers

            if vocab_size < 256 + len(SPECIAL_TOKENS):
                raise ConfigError(
                    f"`vocab_size` must be ≥ {256 + len(SPECIAL_TOKENS)} for byte-level BPE "
                    f"(256 bytes + {len(SPECIAL_TOKENS)} specials), got {vocab_size}"
                )
            tok = tokenizers.Tokenizer(models.BPE())
            tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
            tok.decoder = decoders.ByteLevel()
            trainer = trainers.BpeTrainer(
                vocab_size=vocab_size,
                min_frequency=min_frequency,
                special_tokens=SPECIAL_TOKENS,
                initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                show_progress=False,
            )
            tok.train_from_iterator(texts, trainer=trainer)
            return cls("bpe", {"tokenizer": tok.to_str()})
        if kind == "char":
            joined = "".join(texts)
            codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            uniq, counts = np.unique(codes, return_counts=True)
            order = np.lexsort((uniq, -counts))[:max_chars]
            chars = "".join(chr(int(c)) for c in np.sort(uniq[order]))
            return cls("char", {"chars": chars})
        raise ConfigError(f"`tokenizer` must be one of {TOKENIZER_KINDS}, got {kind!r}")

    # ------------------------------------------------------------------ encoding
    def encode(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Token ids of every text (no specials), as int64 arrays."""
        texts = [str(t) for t in texts]
        if self.kind == "bpe":
            return [np.asarray(e.ids, dtype=np.int64) for e in self._bpe.encode_batch(texts)]
        if not texts:
            return []
        lens = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32)
        pos = np.searchsorted(self._sorted, codes)
        pos = np.minimum(pos, len(self._sorted) - 1)
        ids = np.where(self._sorted[pos] == codes, self._sorted_ids[pos], UNK_CHAR)
        return np.split(ids.astype(np.int64), np.cumsum(lens)[:-1])

    def encode_batch(
        self,
        texts: Sequence[str],
        *,
        max_length: int,
        bos: bool = True,
        eos: bool = True,
        device: torch.device | str = "cpu",
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """A padded (N, L) int64 tensor of ids (``<bos>`` text ``<eos>``, cut to ``max_length``)
        and the length of every row; L is the longest row (≤ ``max_length``)."""
        seqs = self.encode(texts)
        return pad_sequences(seqs, max_length=max_length, bos=bos, eos=eos, device=device)

    def decode(self, ids: Sequence[int]) -> str:
        """The text of one id sequence; stops at the first ``<eos>``, skips other specials."""
        return self.decode_batch([ids])[0]

    def decode_batch(self, ids: torch.Tensor | Sequence[Sequence[int]]) -> list[str]:
        """Texts of a batch of id rows; each stops at its first ``<eos>`` (or ``<pad>``), and
        specials and ids outside the vocabulary (label tokens) are skipped."""
        if isinstance(ids, torch.Tensor):
            rows = ids.detach().cpu().numpy()
        else:
            rows = [np.asarray(r, dtype=np.int64) for r in ids]
        out: list[str] = []
        cleaned: list[list[int]] = []
        for r in rows:
            r = np.asarray(r, dtype=np.int64)
            stop = np.flatnonzero((r == EOS) | (r == PAD))
            r = r[: stop[0]] if len(stop) else r
            r = r[(r >= len(SPECIAL_TOKENS)) & (r < self.vocab_size)]
            cleaned.append(r.tolist())
        if self.kind == "bpe":
            return list(self._bpe.decode_batch(cleaned, skip_special_tokens=True))
        for r in cleaned:
            out.append("".join(self._table[np.asarray(r, dtype=np.int64)].tolist()))
        return out

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        """The surface string of each id (for inspection and tests)."""
        if self.kind == "bpe":
            return [self._bpe.id_to_token(int(i)) or "" for i in ids]
        return [str(self._table[int(i)]) for i in ids]

    # ------------------------------------------------------------------ state
    def to_state(self) -> dict[str, Any]:
        """A JSON-able dict that :meth:`from_state` restores exactly."""
        return {"kind": self.kind, **self._state}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> TextTokenizer:
        state = dict(state)
        kind = state.pop("kind")
        return cls(kind, state)

    def __repr__(self) -> str:
        return f"TextTokenizer(kind={self.kind!r}, vocab_size={self.vocab_size})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextTokenizer) and json.dumps(
            self.to_state(), sort_keys=True
        ) == json.dumps(other.to_state(), sort_keys=True)


def pad_sequences(
    seqs: Sequence[np.ndarray],
    *,
    max_length: int,
    bos: bool = True,
    eos: bool = True,
    prefix: Sequence[np.ndarray] | np.ndarray | None = None,
    device: torch.device | str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad id sequences into one (N, L) int64 tensor with ``<pad>`` = 0.

    Each row is ``[prefix] [<bos>] ids [<eos>]``, cut to ``max_length`` (the cut drops the end of
    the text, so a cut row has no ``<eos>``). ``prefix`` is one id array per row (or a shared
    (N, k) array), e.g. a label token. Returns (ids, lengths). The copy into the padded array is
    one vectorised scatter, not a loop over rows.
    """
    if max_length < 1:
        raise ConfigError(f"`max_length` must be ≥ 1, got {max_length}")
    n = len(seqs)
    pre_lens = np.zeros(n, dtype=np.int64)
    pre_flat = np.zeros(0, dtype=np.int64)
    if prefix is not None:
        pre = [np.asarray(p, dtype=np.int64).reshape(-1) for p in prefix]
        pre_lens = np.array([len(p) for p in pre], dtype=np.int64)
        pre_flat = np.concatenate(pre) if pre else pre_flat
    body_lens = np.array([len(s) for s in seqs], dtype=np.int64)
    lens = pre_lens + body_lens + int(bos) + int(eos)
    total = int(lens.sum())
    flat = np.empty(total, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    # positions of each part inside the flat buffer
    if len(pre_flat):
        pre_pos = np.repeat(starts, pre_lens) + _ragged_arange(pre_lens)
        flat[pre_pos] = pre_flat
    if bos:
        flat[starts + pre_lens] = BOS
    body = np.concatenate(seqs) if n and body_lens.sum() else np.zeros(0, np.int64)
    body_pos = np.repeat(starts + pre_lens + int(bos), body_lens) + _ragged_arange(body_lens)
    flat[body_pos] = body
    if eos:
        flat[starts + lens - 1] = EOS
    width = int(min(lens.max(initial=1), max_length))
    out = np.zeros((n, width), dtype=np.int64)
    cut = np.minimum(lens, width)
    rows = np.repeat(np.arange(n), cut)
    cols = _ragged_arange(cut)
    out[rows, cols] = flat[np.repeat(starts, cut) + cols]
    return torch.from_numpy(out).to(device), torch.from_numpy(cut).to(device)


def _ragged_arange(lengths: np.ndarray) -> np.ndarray:
    """``concatenate([arange(k) for k in lengths])`` without a Python loop."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    offsets = np.repeat(ends - lengths, lengths)
    return np.arange(total, dtype=np.int64) - offsets

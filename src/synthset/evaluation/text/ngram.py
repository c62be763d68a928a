"""An interpolated Kneser-Ney n-gram language model, counted and scored with numpy.

>>> lm = KneserNeyLM(order=3).fit(real_texts)
>>> lm.perplexity(holdout_texts), lm.perplexity(synthetic_texts)

The reference model of the ``perplexity`` metric: fitted on the real training texts, it scores
how plausible the synthetic texts are next to unseen real texts (the holdout) under the same
model. Tokens are lower-cased words and punctuation marks (``unit="word"``), or byte-level BPE
pieces learned from the training texts (``unit="bpe"``); every text is padded with ``order − 1``
``<s>`` and ends with ``</s>``, which is predicted too.

The model is interpolated Kneser-Ney (Chen & Goodman 1998) with one absolute discount per order,
``D = n1 / (n1 + 2 n2)``:

* highest order: ``P(w | h) = max(c(hw) − D, 0) / c(h·) + D · N1+(h·) / c(h·) · P_lower(w | h')``
  with raw counts ``c``; a history never seen falls through to the lower order;
* lower orders: the same with continuation counts ``N1+(· h w)`` (how many distinct words
  precede the n-gram) in place of raw counts;
* unigrams interpolate with the uniform distribution over the vocabulary plus ``<unk>``, so an
  unseen word has a small, non-zero probability.

Every n-gram is packed into one int64 key (base = vocabulary size); counting is ``np.unique``,
scoring is ``np.searchsorted`` over the sorted keys, one vectorised pass per order.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import numpy as np
import pandas as pd

from synthset.errors import ConfigError, DataError

UNK, BOS, EOS = 0, 1, 2
N_SPECIAL = 3
UNITS = ("word", "bpe")
WORD_PATTERN = r"\w+|[^\w\s]"


def word_tokens(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Lower-cased words and punctuation of every text: ``(flat tokens, tokens per text)``."""
    lists = pd.Series(list(texts), dtype=object).str.lower().str.findall(WORD_PATTERN)
    lengths = lists.str.len().fillna(0).to_numpy(np.int64)
    flat = np.fromiter(chain.from_iterable(lists), dtype=object, count=int(lengths.sum()))
    return flat, lengths


def _pack(grams: np.ndarray, base: int) -> np.ndarray:
    """One int64 key per row of an (N, k) id array: ``Σ g_j · base^(k−1−j)``."""
    key = np.zeros(len(grams), dtype=np.int64)
    for j in range(grams.shape[1]):
        key = key * base + grams[:, j]
    return key


def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``values`` at the position of every ``query`` in the sorted ``keys`` (0 where absent)."""
    if len(keys) == 0:
        return np.zeros(len(query), dtype=values.dtype)
    pos = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    return np.where(keys[pos] == query, values[pos], 0)


def _discount(counts: np.ndarray) -> float:
    """``n1 / (n1 + 2 n2)`` from the counts of one order (0.5 when either is missing)."""
    n1, n2 = int((counts == 1).sum()), int((counts == 2).sum())
    if n1 == 0 or n2 == 0:
        return 0.5
    return n1 / (n1 + 2.0 * n2)


class KneserNeyLM:
    """Interpolated Kneser-Ney n-gram language model.

    Args:
        order: n-gram order (1 to 6; 3 is a good default for a few thousand texts).
        unit: ``"word"`` (lower-cased words and punctuation) or ``"bpe"`` (byte-level BPE
            pieces learned from the training texts).
        bpe_vocab_size: the BPE vocabulary size (``unit="bpe"``).
    """

    def __init__(self, order: int = 3, *, unit: str = "word", bpe_vocab_size: int = 2_000):
        if not isinstance(order, int) or not 1 <= order <= 6:
            raise ConfigError(f"`order` must be an int in [1, 6], got {order!r}")
        if unit not in UNITS:
            raise ConfigError(f"`unit` must be one of {UNITS}, got {unit!r}")
        self.order = order
        self.unit = unit
        self.bpe_vocab_size = bpe_vocab_size

    # --- tokens -----------------------------------------------------------------------------
    def _ids(self, texts: Sequence[str], *, fit: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Token ids of every text, flat, and the number of tokens per text."""
        if self.unit == "bpe":
            from synthset.data.text_tokenizer import TextTokenizer

            if fit:
                self.tokenizer_ = TextTokenizer.train(
                    texts, kind="bpe", vocab_size=self.bpe_vocab_size
                )
                self.vocab_size_ = self.tokenizer_.vocab_size + N_SPECIAL
            seqs = self.tokenizer_.encode(texts)
            lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
            flat = np.concatenate(seqs) if seqs else np.zeros(0, np.int64)
            return flat.astype(np.int64) + N_SPECIAL, lengths
        tokens, lengths = word_tokens(texts)
        if fit:
            codes, uniques = pd.factorize(tokens)
            self.vocab_ = pd.Index(uniques)
            self.vocab_size_ = len(uniques) + N_SPECIAL
            return codes.astype(np.int64) + N_SPECIAL, lengths
        codes = self.vocab_.get_indexer(tokens)
        return np.where(codes < 0, UNK, codes + N_SPECIAL).astype(np.int64), lengths

    def _grams(self, texts: Sequence[str], *, fit: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """``(n-grams, texts' token counts)``: an (T, order) id array, one row per predicted
        token (every token and the closing ``</s>``), its history padded with ``<s>``."""
        n = self.order
        ids, lengths = self._ids(texts, fit=fit)
        if fit and self.vocab_size_**n >= 2**63:
            raise ConfigError(
                f"{self.vocab_size_:,} token types do not fit order {n} n-gram keys; lower `order`"
            )
        m = len(lengths)
        lengths = lengths + 1  # + </s>
        padded = lengths + (n - 1)
        starts = np.concatenate([[0], np.cumsum(padded)[:-1]])
        seq = np.full(int(padded.sum()), BOS, dtype=np.int64)
        # token positions: each text's tokens follow its n − 1 <s>, then </s>
        text_of = np.repeat(np.arange(m), lengths)
        offset = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        pred = starts[text_of] + (n - 1) + offset
        is_end = np.zeros(len(pred), dtype=bool)
        is_end[np.cumsum(lengths) - 1] = True
        seq[pred[is_end]] = EOS
        seq[pred[~is_end]] = ids
        grams = np.stack([seq[pred - (n - 1) + j] for j in range(n)], axis=1)
        return grams, lengths

    # --- fitting ----------------------------------------------------------------------------
    def fit(self, texts: Sequence[str]) -> KneserNeyLM:
        """Count the n-grams of ``texts`` and set the discounts.

        Returns:
            self.
        """
        texts = [str(t) for t in texts]
        if not texts:
            raise DataError("the language model needs at least one training text")
        grams, _ = self._grams(texts, fit=True)
        base = self.vocab_size_
        n = self.order
        # keys_[k], counts_[k]: sorted k-gram keys and their (continuation) counts, k = 1..n
        self.keys_: dict[int, np.ndarray] = {}
        self.counts_: dict[int, np.ndarray] = {}
        self.discounts_: dict[int, float] = {}
        self.history_: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        types, counts = np.unique(grams, axis=0, return_counts=True)  # order-n types
        for k in range(n, 0, -1):
            if k < n:
                # continuation counts: how many distinct (k+1)-gram types end in this k-gram
                types, counts = np.unique(types[:, 1:], axis=0, return_counts=True)
            keys = _pack(types, base)
            self.keys_[k], self.counts_[k] = keys, counts.astype(np.int64)
            self.discounts_[k] = _discount(counts)
            if k > 1:
                hist = _pack(types[:, :-1], base)  # sorted, as the rows are
                h_keys, h_start = np.unique(hist, return_index=True)
                h_total = np.add.reduceat(counts, h_start).astype(np.float64)
                h_types = np.diff(np.append(h_start, len(hist))).astype(np.float64)
                self.history_[k] = (h_keys, h_total, h_types)
        # unigram: continuation counts interpolated with uniform over every predictable id
        d1 = self.discounts_[1]
        cont = np.zeros(base, dtype=np.float64)
        cont[self.keys_[1]] = self.counts_[1]
        total = cont.sum()
        uniform = 1.0 / (base - 1)  # everything but <s>, <unk> included
        self.unigram_ = (
            np.maximum(cont - d1, 0.0) / total + d1 * len(self.keys_[1]) / total * uniform
        )
        self.unigram_[BOS] = 0.0
        self.n_train_tokens_ = int(len(grams))
        return self

    # --- scoring ----------------------------------------------------------------------------
    def _log_prob_grams(self, grams: np.ndarray) -> np.ndarray:
        """Natural-log probability of the last id of every row given the others."""
        base = self.vocab_size_
        p = self.unigram_[grams[:, -1]]
        for k in range(2, self.order + 1):
            sub = grams[:, -k:]
            h_keys, h_total, h_types = self.history_[k]
            hist = _pack(sub[:, :-1], base)
            pos = np.minimum(np.searchsorted(h_keys, hist), len(h_keys) - 1)
            seen = h_keys[pos] == hist
            c_h = np.where(seen, h_total[pos], 1.0)
            n_h = np.where(seen, h_types[pos], 0.0)
            c = _lookup(self.keys_[k], self.counts_[k], _pack(sub, base)).astype(np.float64)
            d = self.discounts_[k]
            p = np.where(seen, np.maximum(c - d, 0.0) / c_h + d * n_h / c_h * p, p)
        return np.log(p)

    def token_log_probs(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Log probability of every predicted token (``</s>`` included), flat, and the number
        of predicted tokens per text."""
        if not hasattr(self, "unigram_"):
            raise ConfigError("fit the language model first")
        grams, lengths = self._grams([str(t) for t in texts])
        return self._log_prob_grams(grams), lengths

    def perplexity(self, texts: Sequence[str]) -> float:
        """Corpus perplexity: ``exp(−mean log p)`` over every predicted token of ``texts``."""
        logp, _ = self.token_log_probs(texts)
        if len(logp) == 0:
            raise DataError("no texts to score")
        return float(np.exp(-logp.mean()))

    def text_perplexities(self, texts: Sequence[str]) -> np.ndarray:
        """Perplexity of each text on its own (its tokens and ``</s>``)."""
        logp, lengths = self.token_log_probs(texts)
        ends = np.cumsum(lengths)
        sums = np.add.reduceat(logp, ends - lengths) if len(logp) else np.zeros(0)
        return np.exp(-sums / lengths)

    def oov_rate(self, texts: Sequence[str]) -> float:
        """Share of the tokens of ``texts`` the training texts never had (word unit)."""
        if self.unit != "word":
            return 0.0
        ids, _ = self._ids([str(t) for t in texts])
        return float((ids == UNK).mean()) if len(ids) else 0.0

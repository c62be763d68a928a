"""``eda``: Easy Data Augmentation (Wei & Zou, 2019), the classic baseline for text.

Every new text is a training text edited by one of four operations, chosen at random among
those whose rate is above zero:

* **synonym replacement** (SR): ``max(1, int(alpha_sr × n_words))`` distinct non-stopwords are
  each replaced (every occurrence) by a random WordNet synonym;
* **random insertion** (RI): ``max(1, int(alpha_ri × n_words))`` times, a synonym of a random
  non-stopword of the sentence is inserted at a random position;
* **random swap** (RS): ``max(1, int(alpha_rs × n_words))`` times, two distinct words swap places;
* **random deletion** (RD): every word is deleted with probability ``p_rd``; a sentence never
  becomes empty (one random word is kept).

An operation that cannot change a sentence (no word with synonyms, a single word) falls through
to the next enabled one. Words are whitespace tokens; punctuation stuck to a word is kept around
its synonym, and a capitalised word gets a capitalised synonym.

``fit`` stores the training texts (and labels); ``sample(n, seed=, conditions={"label": x})``
edits seeded source rows (of that class), cycling through them before repeating one, and carries
their labels over. :meth:`EDA.transform` edits given texts ``n_aug`` times each. Note that the
saved artifact holds a copy of the training texts, since they are what EDA samples from.

All randomness is drawn from one NumPy generator per call, in a few vectorised draws (a uniform
per word, three per operation step), so a seed fixes the output; the per-sentence edits are plain
Python list operations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch

from synthset.data.texts import Texts, TextSpec, as_texts
from synthset.data.wordnet import SynonymLexicon, load_synonyms
from synthset.errors import ConfigError
from synthset.registry import register
from synthset.synthesizers.base import SEED, Interval, Synthesizer
from synthset.synthesizers.text._base import TextSynthesizer
from synthset.utils import make_rng

OPERATIONS = ("synonym_replacement", "random_insertion", "random_swap", "random_deletion")
SR, RI, RS, RD = range(4)
_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~“”‘’«»…"

# The stopword list of the EDA reference code (NLTK's English list without negations' stems).
STOPWORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom this
    that these those am is are was were be been being have has had having do does did doing a an
    the and but if or because as until while of at by for with about against between into through
    during before after above below to from up down in out on off over under again further then
    once here there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don should now""".split()
)


class _WordList:
    """None, or a list/tuple/set of strings."""

    def check(self, name: str, value: Any) -> None:
        if value is None:
            return
        ok = isinstance(value, (list, tuple, set, frozenset)) and all(
            isinstance(w, str) for w in value
        )
        if not ok:
            raise ConfigError(f"`{name}` must be None or a list of strings, got {value!r}")


_RATE = Interval(float, 0.0, 1.0)


@register("eda")
class EDA(Synthesizer):
    """Easy Data Augmentation: new texts are training texts with words replaced, inserted,
    swapped or deleted (see the module docstring).

    Args:
        alpha_sr: share of words replaced by a synonym in a synonym-replacement edit (0 disables).
        alpha_ri: share of words inserted in a random-insertion edit (0 disables).
        alpha_rs: share of words swapped in a random-swap edit (0 disables).
        p_rd: deletion probability of each word in a random-deletion edit (0 disables).
        n_aug: edits per text made by :meth:`transform` (when it is not given there).
        stopwords: words never replaced nor used for insertion (None: the EDA list,
            :data:`STOPWORDS`).
        random_state: accepted like every synthesizer's; fitting EDA involves no randomness
            (sampling is seeded by ``sample(seed=)``).
    """

    modality = "text"
    kinds: ClassVar[tuple[str, ...]] = ("text", "dialogue")  # dialogue: the replies are edited
    # augment() does not drop near-duplicates of training rows for this synthesizer: being a
    # small edit of a training row is what EDA outputs are by design
    perturbs_real_rows: ClassVar[bool] = True
    _constraints: ClassVar[dict[str, Any]] = {
        "alpha_sr": _RATE,
        "alpha_ri": _RATE,
        "alpha_rs": _RATE,
        "p_rd": _RATE,
        "n_aug": Interval(int, 1),
        "stopwords": _WordList(),
        "random_state": SEED,
    }

    def __init__(
        self,
        *,
        alpha_sr: float = 0.1,
        alpha_ri: float = 0.1,
        alpha_rs: float = 0.1,
        p_rd: float = 0.1,
        n_aug: int = 4,
        stopwords: Sequence[str] | None = None,
        random_state: int | None = None,
    ):
        self._store_params(locals())

    # The data checks, label conditions and per-label sampling are those of the neural text
    # synthesizers (EDA has no tokeniser nor network, so it does not subclass TextSynthesizer).
    _coerce_data = TextSynthesizer._coerce_data
    _check_conditions = TextSynthesizer._check_conditions
    sample_per_label = TextSynthesizer.sample_per_label

    # ------------------------------------------------------------------ params
    def _validate_params(self) -> None:
        super()._validate_params()
        if not self._enabled():
            raise ConfigError(
                "every EDA rate is 0 (alpha_sr, alpha_ri, alpha_rs, p_rd); set at least one > 0"
            )

    def _enabled(self) -> list[int]:
        rates = (self.alpha_sr, self.alpha_ri, self.alpha_rs, self.p_rd)
        return [op for op, r in enumerate(rates) if r > 0]

    def _lexicon(self) -> SynonymLexicon | None:
        """WordNet, when synonym replacement or insertion is enabled (parsed once per process)."""
        return load_synonyms() if (self.alpha_sr > 0 or self.alpha_ri > 0) else None

    def _stopwords(self) -> frozenset[str]:
        if self.stopwords is None:
            return STOPWORDS
        return frozenset(w.lower() for w in self.stopwords)

    # ------------------------------------------------------------------ fit / sample
    def _fit(self, data: Texts) -> None:
        self._lexicon()  # a missing WordNet fails here, not at the first sample
        self.texts_ = data.texts.copy()
        self.contexts_ = None if data.contexts is None else data.contexts.copy()
        self.labels_ = data.labels
        self.n_classes_ = data.spec.n_classes if data.labels is not None else 0

    def _sample(self, n: int, *, seed: int | None, conditions: dict[str, Any]) -> Texts:
        spec: TextSpec = self.spec_
        rng = make_rng(seed)
        if conditions:
            code = conditions[spec.label_name]
            pool = np.flatnonzero(self.labels_ == code)
            if len(pool) == 0:
                raise ConfigError(
                    f"class {spec.classes[code]!r} has no training texts, so EDA has nothing to "
                    "edit for it"
                )
        else:
            pool = np.arange(len(self.texts_))
        # cycle through shuffled copies of the pool: every row is used before one repeats
        reps = -(-n // len(pool))
        src = np.concatenate([rng.permutation(pool) for _ in range(reps)])[:n]
        ops = np.asarray(self._enabled())[rng.integers(len(self._enabled()), size=n)]
        out = self._edit(self.texts_[src].tolist(), ops, rng)
        labels = None if self.labels_ is None else self.labels_[src]
        contexts = None if self.contexts_ is None else self.contexts_[src]
        return Texts(out, labels, spec, contexts=contexts, name=f"{self.name} samples")

    def transform(
        self, texts: Texts | Sequence[str], *, n_aug: int | None = None, seed: int | None = None
    ) -> Texts:
        """Edit every text ``n_aug`` times (the edits of a text are consecutive rows).

        Works without ``fit``: only the parameters are used. Labels and contexts are carried
        over; the originals are not included.

        Args:
            texts: a :class:`~synthset.data.texts.Texts` or a list of strings.
            n_aug: edits per text (default: the ``n_aug`` parameter).
            seed: makes the edits reproducible.

        Returns:
            ``len(texts) × n_aug`` edited texts with the input's spec.
        """
        self._validate_params()
        n_aug = self.n_aug if n_aug is None else n_aug
        Interval(int, 1).check("n_aug", n_aug)
        SEED.check("seed", seed)
        data = as_texts(texts)
        src = np.repeat(np.arange(len(data)), n_aug)
        rng = make_rng(seed)
        enabled = np.asarray(self._enabled())
        ops = enabled[rng.integers(len(enabled), size=len(src))]
        out = self._edit(data.texts[src].tolist(), ops, rng)
        return Texts(
            out,
            None if data.labels is None else data.labels[src],
            data.spec,
            contexts=None if data.contexts is None else data.contexts[src],
            name=f"{self.name} edits",
        )

    def _edit(self, texts: list[str], ops: np.ndarray, rng: np.random.Generator) -> list[str]:
        return eda_edit(
            texts,
            ops,
            rng,
            rates=(self.alpha_sr, self.alpha_ri, self.alpha_rs, self.p_rd),
            lexicon=self._lexicon(),
            stopwords=self._stopwords(),
        )

    # ------------------------------------------------------------------ state
    def _get_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        # the training texts are the model: the artifact holds a copy of the data
        state = {
            "texts": self.texts_.tolist(),
            "contexts": None if self.contexts_ is None else self.contexts_.tolist(),
            "labels": None if self.labels_ is None else self.labels_.tolist(),
            "n_classes": self.n_classes_,
        }
        return state, {}

    def _set_state(self, state: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        self.texts_ = np.asarray(state["texts"], dtype=object)
        ctx = state.get("contexts")
        self.contexts_ = None if ctx is None else np.asarray(ctx, dtype=object)
        lab = state.get("labels")
        self.labels_ = None if lab is None else np.asarray(lab, dtype=np.int64)
        self.n_classes_ = int(state["n_classes"])


# ---------------------------------------------------------------------- the edits
def eda_edit(
    texts: Sequence[str],
    ops: np.ndarray,
    rng: np.random.Generator,
    *,
    rates: tuple[float, float, float, float],
    lexicon: SynonymLexicon | Mapping[str, Sequence[str]] | None,
    stopwords: frozenset[str] = STOPWORDS,
) -> list[str]:
    """Apply operation ``ops[i]`` (``SR``, ``RI``, ``RS`` or ``RD``) to ``texts[i]``.

    Args:
        texts: the sentences.
        ops: one operation code per sentence.
        rng: the source of every random choice.
        rates: ``(alpha_sr, alpha_ri, alpha_rs, p_rd)``; an operation with rate 0 is skipped
            when one falls through.
        lexicon: WordNet synonyms (or any ``{word: synonyms}`` mapping); None when neither SR
            nor RI is enabled.
        stopwords: lower-case words that are never replaced nor used for insertion.

    Returns:
        The edited sentences (words joined by single spaces).
    """
    n = len(texts)
    tokens = [t.split() for t in texts]
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=n)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    word_u = rng.random(int(offsets[-1]))  # SR order and RD coin per word
    alphas = np.asarray(rates[:3], dtype=float)
    steps = np.maximum(1, (alphas.max(initial=0.0) * lengths).astype(np.int64))
    step_u = rng.random((n, int(steps.max(initial=1)), 3))  # three uniforms per step
    kept = (word_u >= rates[RD]).tolist()
    enabled = [op for op in range(4) if rates[op] > 0]
    table = lexicon.table if isinstance(lexicon, SynonymLexicon) else (lexicon or {})
    cache: dict[str, tuple[str, str, str, tuple]] = {}

    def split(tok: str) -> tuple[str, str, str, tuple]:
        """(prefix, core, suffix, synonyms) of a token, memoised per call."""
        hit = cache.get(tok)
        if hit is None:
            core = tok.strip(_PUNCT)
            if core:
                start = tok.index(core)
                pre, suf = tok[:start], tok[start + len(core) :]
            else:
                pre = suf = ""
            key = core.lower()
            syns = tuple(table.get(key, ())) if key and key not in stopwords else ()
            hit = cache[tok] = (pre, core, suf, syns)
        return hit

    def synonym_replacement(words: list[str], i: int) -> list[str]:
        k = max(1, int(rates[SR] * len(words)))
        order = np.argsort(word_u[offsets[i] : offsets[i + 1]], kind="stable").tolist()
        out = list(words)
        done: set[str] = set()
        for j in order:
            pre, core, suf, syns = split(words[j])
            key = core.lower()
            if not syns or key in done:
                continue
            syn = syns[int(step_u[i, len(done), 0] * len(syns))]
            if core[:1].isupper():
                syn = syn[:1].upper() + syn[1:]
            for p, w in enumerate(words):  # every occurrence of the word
                q_pre, q_core, q_suf, _ = split(w)
                if q_core.lower() == key:
                    out[p] = q_pre + syn + q_suf
            done.add(key)
            if len(done) == k:
                break
        return out

    def random_insertion(words: list[str], i: int) -> list[str]:
        candidates = [s for s in (split(w)[3] for w in words) if s]
        if not candidates:
            return words
        out = list(words)
        for r in range(max(1, int(rates[RI] * len(words)))):
            u0, u1, u2 = step_u[i, r]
            syns = candidates[int(u0 * len(candidates))]
            out.insert(int(u2 * (len(out) + 1)), syns[int(u1 * len(syns))])
        return out

    def random_swap(words: list[str], i: int) -> list[str]:
        m = len(words)
        if m < 2:
            return words
        out = list(words)
        for r in range(max(1, int(rates[RS] * m))):
            a = int(step_u[i, r, 0] * m)
            b = (a + 1 + int(step_u[i, r, 1] * (m - 1))) % m  # always another position
            if out[b] == out[a]:  # swapping equal words changes nothing: take the next other
                b = next((c % m for c in range(b + 1, b + m) if out[c % m] != out[a]), a)
            out[a], out[b] = out[b], out[a]
        return out

    def random_deletion(words: list[str], i: int) -> list[str]:
        m = len(words)
        if m < 2:
            return words
        keep = kept[offsets[i] : offsets[i + 1]]
        out = [w for w, k in zip(words, keep, strict=True) if k]
        if not out:  # never empty: keep one random word
            out = [words[int(step_u[i, 0, 0] * m)]]
        return out

    apply = (synonym_replacement, random_insertion, random_swap, random_deletion)
    results = []
    for i, (words, op) in enumerate(zip(tokens, ops.tolist(), strict=True)):
        out = words
        if words:
            start = enabled.index(op) if op in enabled else 0
            for t in range(len(enabled)):  # fall through when an edit changes nothing
                out = apply[enabled[(start + t) % len(enabled)]](words, i)
                if out != words:
                    break
        results.append(" ".join(out))
    return results

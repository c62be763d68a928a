"""The context every text metric reads: the three text sets, seeded subsamples, and embeddings
and the reference language model computed once and shared by all metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch

from synthset.data.texts import Texts
from synthset.errors import ConfigError, DataError
from synthset.evaluation.text.embedders import EMBEDDERS, embed_texts, make_embedder
from synthset.utils import derive_seed, resolve_device

_SET_KEY = {"real": 1, "synthetic": 2, "holdout": 3}
LM_HELD_OUT = 0.2  # share of the real texts the language model leaves out without a holdout


@dataclass
class TextEvalContext:
    """Real / synthetic / holdout texts plus lazily computed, cached embeddings and models.

    Every metric reads the texts themselves (for dialogue data: the replies; the contexts are
    used only to pair replies that answer the same turn).

    Attributes:
        real: the texts the synthesizer was trained on.
        synthetic: the generated texts (same kind; labels recoded to the real classes).
        holdout: real texts the synthesizer never saw (None if not given).
        seed: seed of every subsample, split and model the metrics use.
        embedder: ``"auto"`` (MiniLM when installed, else lexical), ``"minilm"`` or
            ``"lexical"``.
        device: where the MiniLM embedder runs (``"cpu"``, ``"cuda"``, ``"auto"``).
        max_texts: embedding-based metrics, self-BLEU, distinct-n and the memorisation search
            use a seeded subsample of at most this many texts of each set (the language model,
            the exact-copy count and the searched training texts use every text).
        reference_model: None for the n-gram language model fitted on the real texts, or an
            object with ``.perplexity(texts) -> float`` (a fitted ``gpt`` synthesizer).
        lm_order: order of the n-gram language model.
        lm_unit: ``"word"`` or ``"bpe"`` tokens for the n-gram language model.
    """

    real: Texts
    synthetic: Texts
    holdout: Texts | None = None
    seed: int = 0
    embedder: str = "auto"
    device: str | torch.device | None = "cpu"
    max_texts: int = 2_000
    reference_model: Any = None
    lm_order: int = 3
    lm_unit: str = "word"
    modality: ClassVar[str] = "text"
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.max_texts, int) or self.max_texts < 8:
            raise ConfigError(f"`max_texts` must be an int >= 8, got {self.max_texts!r}")
        if self.embedder not in EMBEDDERS:
            raise ConfigError(f"`text_embedder` must be one of {EMBEDDERS}, got {self.embedder!r}")
        if self.reference_model is not None and not callable(
            getattr(self.reference_model, "perplexity", None)
        ):
            raise ConfigError(
                "`reference_model` must have a .perplexity(texts) method (a fitted gpt "
                f"synthesizer), got {type(self.reference_model).__name__}"
            )
        if not isinstance(self.device, torch.device):
            self.device = resolve_device(self.device or "cpu")
        if len(self.real) < 2 or len(self.synthetic) < 1:
            raise DataError(
                f"text evaluation needs at least 2 real texts and 1 synthetic text, got "
                f"{len(self.real)} and {len(self.synthetic)}"
            )

    @property
    def is_dialogue(self) -> bool:
        return self.real.spec.kind == "dialogue"

    def texts(self, which: str) -> Texts:
        """``real``, ``synthetic`` or ``holdout`` (a ConfigError when there is no holdout)."""
        data = {"real": self.real, "synthetic": self.synthetic, "holdout": self.holdout}[which]
        if data is None:
            raise ConfigError("no holdout texts were given")
        return data

    def positions(self, which: str) -> np.ndarray:
        """Sorted positions of the seeded subsample of ``which`` (every text when few)."""
        key = ("positions", which)
        if key not in self._cache:
            n = len(self.texts(which))
            if n <= self.max_texts:
                pos = np.arange(n)
            else:
                rng = np.random.default_rng(derive_seed(self.seed, _SET_KEY[which]))
                pos = np.sort(rng.choice(n, self.max_texts, replace=False))
            self._cache[key] = pos
        return self._cache[key]

    def sample(self, which: str) -> Texts:
        """The subsample of ``which`` that embeddings and diversity scores are computed on."""
        data = self.texts(which)
        pos = self.positions(which)
        return data if len(pos) == len(data) else data[pos]

    def equal_samples(self, *which: str) -> dict[str, list[str]]:
        """Seeded subsamples of equal size (the smallest set's, at most ``max_texts``) of each
        set: distinct-n and self-BLEU depend on the number of texts, so they compare these."""
        key = ("equal", which)
        if key not in self._cache:
            n = min(len(self.texts(w)) for w in which)
            n = min(n, self.max_texts)
            out = {}
            for w in which:
                texts = self.texts(w).texts
                rng = np.random.default_rng(derive_seed(self.seed, 40, _SET_KEY[w]))
                pos = np.sort(rng.choice(len(texts), n, replace=False))
                out[w] = texts[pos].tolist()
            self._cache[key] = out
        return self._cache[key]

    # --- embeddings ---------------------------------------------------------------------------
    def get_embedder(self) -> Any:
        """The embedder (the lexical one fitted on the real subsample), built once."""
        if "embedder" not in self._cache:
            self._cache["embedder"] = make_embedder(
                self.embedder,
                self.sample("real").texts.tolist(),
                device=str(self.device),
                seed=self.seed,
            )
        return self._cache["embedder"]

    def embeddings(self, which: str) -> np.ndarray:
        """``(n, dim)`` unit-length embeddings of :meth:`sample` ``(which)``."""
        key = ("embeddings", which)
        if key not in self._cache:
            data = self.sample(which)
            self._cache[key] = embed_texts(
                self.get_embedder(), data.texts.tolist(), data.fingerprint()
            )
        return self._cache[key]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embeddings of any texts with the context's embedder (not cached)."""
        return self.get_embedder()(texts)

    def embedder_info(self) -> dict[str, Any]:
        """What a metric's details say about the embedder."""
        return self.get_embedder().info()

    def baseline_embeddings(self) -> tuple[np.ndarray, np.ndarray, str]:
        """Two disjoint real embedding sets: the "unseen real texts" baseline.

        Returns:
            ``(a, b, source)``: the real and the holdout subsamples, or, without a holdout,
            two seeded halves of the real subsample.
        """
        real = self.embeddings("real")
        if self.holdout is not None:
            return real, self.embeddings("holdout"), "real vs holdout"
        rng = np.random.default_rng(derive_seed(self.seed, 7))
        perm = rng.permutation(len(real))
        half = len(real) // 2
        return real[perm[:half]], real[perm[half:]], "real half vs real half"

    # --- reference language model -------------------------------------------------------------
    def language_model(self) -> tuple[Any, list[str] | None, str]:
        """The reference model, the unseen real texts it scores as the baseline, and where
        those come from.

        The n-gram model is fitted on every real text when a holdout is given (the holdout is
        the baseline), else on a seeded 80% of them (the other 20% are the baseline). A given
        ``reference_model`` is used as it is, with the holdout (if any) as the baseline.
        """
        if "lm" in self._cache:
            return self._cache["lm"]
        from synthset.evaluation.text.ngram import KneserNeyLM

        real = self.real.texts
        if self.reference_model is not None:
            base = None if self.holdout is None else self.holdout.texts.tolist()
            out = (self.reference_model, base, "holdout" if base is not None else "none")
        elif self.holdout is not None:
            lm = KneserNeyLM(self.lm_order, unit=self.lm_unit).fit(real.tolist())
            out = (lm, self.holdout.texts.tolist(), "holdout")
        else:
            rng = np.random.default_rng(derive_seed(self.seed, 50))
            perm = rng.permutation(len(real))
            cut = max(1, int(round(len(real) * (1.0 - LM_HELD_OUT))))
            cut = min(cut, len(real) - 1)
            lm = KneserNeyLM(self.lm_order, unit=self.lm_unit).fit(real[perm[:cut]].tolist())
            out = (lm, real[perm[cut:]].tolist(), f"{LM_HELD_OUT:.0%} of the real texts left out")
        self._cache["lm"] = out
        return out

"""The context every audio metric reads: the three clip sets aligned to the real spec, seeded
subsamples, and spectrograms, embeddings and the domain classifier computed once and shared."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch

from synthset.data.audio import Audio, AudioSpec, as_audio
from synthset.errors import ConfigError, DataError
from synthset.evaluation.audio.features import (
    DomainAudioFeatures,
    log_mel,
    make_mel,
    spectral_stats,
    standardiser,
)
from synthset.utils import derive_seed, resolve_device

EMBEDDINGS = ("stats", "domain")
EMBEDDING_TITLES = {
    "stats": "spectral-statistics embedding",
    "domain": "domain-classifier embedding",
}
_SET_KEY = {"real": 1, "synthetic": 2, "holdout": 3}


def align_audio(data: Any, real: Audio, what: str) -> Audio:
    """``data`` as Audio of the real clips' sample rate and length (resampled, trimmed /
    padded), its labels recoded to the real classes by name.

    Raises:
        DataError: ``data`` is not audio, or has classes the real clips lack.
    """
    if getattr(data, "modality", None) not in (None, "audio") or hasattr(data, "columns"):
        kind = getattr(data, "modality", None) or "table"
        raise DataError(f"the real data are audio clips but the {what} data is a {kind}")
    clips = as_audio(data, real.spec)
    rs = real.spec
    spec = AudioSpec(rs.sample_rate, rs.length, rs.classes, rs.label_name)
    if clips.labels is None or not rs.classes:
        return Audio(clips.waveforms, None, spec, name=clips.name)
    if clips.spec.classes == rs.classes:
        return Audio(clips.waveforms, clips.labels, spec, name=clips.name)
    names = clips.label_names.astype(str)
    unknown = sorted(set(names.tolist()) - set(rs.classes))
    if unknown:
        raise DataError(
            f"the {what} clips have labels the real clips lack: {unknown[:5]}; the real classes "
            f"are {rs.classes}"
        )
    lookup = {c: i for i, c in enumerate(rs.classes)}
    uniq, inv = np.unique(names, return_inverse=True)
    codes = np.array([lookup[u] for u in uniq], dtype=np.int64)[inv.reshape(-1)]
    return Audio(clips.waveforms, codes, spec, name=clips.name)


@dataclass
class AudioEvalContext:
    """Real / synthetic / holdout clips plus lazily computed, cached spectrograms and embeddings.

    The synthetic and holdout clips are aligned to the real spec on construction
    (:func:`align_audio`).

    Attributes:
        real: the clips the synthesizer was trained on.
        synthetic: the generated clips.
        holdout: real clips the synthesizer never saw (None if not given).
        seed: seed of every subsample, split and classifier the metrics use.
        device: where spectrograms and classifiers run (``"cpu"``, ``"cuda"``, ``"auto"``).
        max_clips: embedding metrics and classifiers use a seeded subsample of at most this
            many clips of each set (the exact-copy search uses every clip).
    """

    real: Audio
    synthetic: Any
    holdout: Any = None
    seed: int = 0
    device: str | torch.device | None = "cpu"
    max_clips: int = 2_000
    modality: ClassVar[str] = "audio"
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.max_clips, int) or isinstance(self.max_clips, bool):
            raise ConfigError(f"`max_clips` must be an int >= 8, got {self.max_clips!r}")
        if self.max_clips < 8:
            raise ConfigError(f"`max_clips` must be an int >= 8, got {self.max_clips!r}")
        if not isinstance(self.device, torch.device):
            self.device = resolve_device(self.device or "cpu")
        self.real = as_audio(self.real)
        self.synthetic = align_audio(self.synthetic, self.real, "synthetic")
        if self.holdout is not None:
            self.holdout = align_audio(self.holdout, self.real, "holdout")
        if len(self.real) < 2 or len(self.synthetic) < 1:
            raise DataError(
                "audio evaluation needs at least 2 real clips and 1 synthetic clip, got "
                f"{len(self.real)} and {len(self.synthetic)}"
            )
        self.mel = make_mel(self.real.spec.sample_rate)

    @property
    def labelled(self) -> bool:
        """True when the real and synthetic clips both carry labels of ≥ 2 classes."""
        return (
            self.real.labels is not None
            and self.synthetic.labels is not None
            and self.real.spec.n_classes >= 2
        )

    def audio(self, which: str) -> Audio:
        """``real``, ``synthetic`` or ``holdout`` (a ConfigError when there is no holdout)."""
        data = {"real": self.real, "synthetic": self.synthetic, "holdout": self.holdout}[which]
        if data is None:
            raise ConfigError("no holdout clips were given; pass holdout= to evaluate()")
        return data

    def positions(self, which: str) -> np.ndarray:
        """Sorted positions of the seeded subsample of ``which`` (every clip when few)."""
        key = ("positions", which)
        if key not in self._cache:
            n = len(self.audio(which))
            if n <= self.max_clips:
                pos = np.arange(n)
            else:
                rng = np.random.default_rng(derive_seed(self.seed, _SET_KEY[which]))
                pos = np.sort(rng.choice(n, self.max_clips, replace=False))
            self._cache[key] = pos
        return self._cache[key]

    def sample(self, which: str) -> Audio:
        """The subsample of ``which`` that spectrograms and embeddings are computed on."""
        data = self.audio(which)
        pos = self.positions(which)
        return data if len(pos) == len(data) else data[pos]

    def used(self, *which: str) -> dict[str, int]:
        """Clips of each set the subsample holds (holdout left out when absent)."""
        return {
            w: len(self.positions(w)) for w in which if w != "holdout" or self.holdout is not None
        }

    # --- spectrograms and embeddings ---------------------------------------------------------
    def log_mel(self, which: str) -> torch.Tensor:
        """(n, n_mels, frames) log-mel of :meth:`sample` ``(which)`` (on the CPU, cached)."""
        key = ("log_mel", which)
        if key not in self._cache:
            self._cache[key] = log_mel(self.sample(which).waveforms, self.mel, self.device)
        return self._cache[key]

    def domain(self) -> DomainAudioFeatures:
        """The domain classifier, trained once on the real subsample."""
        if "domain" not in self._cache:
            real = self.sample("real")
            self._cache["domain"] = DomainAudioFeatures(
                seed=derive_seed(self.seed, 50), device=self.device
            ).fit(self.log_mel("real"), real.labels, self.real.spec.n_classes)
        return self._cache["domain"]

    def raw_features(self, name: str, which: str) -> np.ndarray:
        """Unscaled ``(n, dim)`` embedding ``name`` of :meth:`sample` ``(which)``."""
        if name not in EMBEDDINGS:
            raise ConfigError(f"unknown audio embedding {name!r}; use one of {EMBEDDINGS}")
        key = ("raw_features", name, which)
        if key not in self._cache:
            if name == "stats":
                self._cache[key] = spectral_stats(self.log_mel(which))
            else:
                self._cache[key] = self.domain()(self.log_mel(which))
        return self._cache[key]

    def features(self, name: str, which: str) -> np.ndarray:
        """``(n, dim)`` embedding ``name`` of :meth:`sample` ``(which)``, centred on the real
        subsample's mean and scaled by its spread: per dimension for the spectral statistics
        (whose dimensions have different units), by one common scale for the classifier's
        embedding (see :func:`~.features.standardiser`)."""
        key = ("features", name, which)
        if key not in self._cache:
            mu, sd = self._scaler(name)
            self._cache[key] = ((self.raw_features(name, which) - mu) / sd).astype(np.float32)
        return self._cache[key]

    def _scaler(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        key = ("scaler", name)
        if key not in self._cache:
            # the stats' dimensions have different units; the classifier's share one
            per_dim = name == "stats" or self.domain().model_ is None
            self._cache[key] = standardiser(self.raw_features(name, "real"), per_dimension=per_dim)
        return self._cache[key]

    def embedding_info(self, name: str) -> dict[str, Any]:
        """What a metric's details say about the embedding."""
        if name == "stats" or self.domain().model_ is None:
            info = {
                "embedding": "spectral statistics: per-band log-mel mean and std, DCT of the mean",
                "n_mels": self.mel.n_mels,
                "dim": int(self.raw_features("stats", "real").shape[1]),
            }
            if name == "domain":
                info.update(self.domain().info_)
            return info
        return dict(self.domain().info_)

    def baseline_features(self, name: str) -> tuple[np.ndarray, np.ndarray, str]:
        """Two disjoint real embedding sets, the "unseen real clips" baseline: the real and
        holdout subsamples, or two seeded halves of the real subsample without a holdout.

        Returns:
            ``(a, b, source)`` with ``source`` saying which of the two it is.
        """
        real = self.features(name, "real")
        if self.holdout is not None:
            return real, self.features(name, "holdout"), "real vs holdout"
        rng = np.random.default_rng(derive_seed(self.seed, 7))
        perm = rng.permutation(len(real))
        half = len(real) // 2
        return real[perm[:half]], real[perm[half:]], "real half vs real half"

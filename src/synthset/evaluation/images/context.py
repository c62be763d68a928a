"""The context every image metric reads: the three image sets, seeded subsamples, and features
computed once per (extractor, set) and shared by all metrics."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch

from synthset.data.images import Images
from synthset.errors import ConfigError
from synthset.utils import derive_seed, resolve_device

EXTRACTORS = ("imagenet", "domain")
DOMAIN_CLASSIFIER = None  # ClassifierConfig of the domain extractor (None: its default)
_SET_KEY = {"real": 1, "synthetic": 2, "holdout": 3}


@dataclass
class ImageEvalContext:
    """Real / synthetic / holdout images plus lazily computed, cached features.

    Attributes:
        real: the images the synthesizer was trained on.
        synthetic: the generated images (same size and channels).
        holdout: real images the synthesizer never saw (None if not given).
        seed: seed of every subsample, split and classifier the metrics use.
        device: where the feature extractors and classifiers run (``"cpu"``, ``"cuda"``,
            ``"auto"``).
        resolution: the side images are resized to for the ImageNet extractor (224 default).
        max_images: feature-based metrics use a seeded subsample of at most this many images
            of each set (pixel-space nearest neighbours search every training image).
        cache_dir: where the domain classifier is cached (None: the default folder; False:
            no cache).
    """

    real: Images
    synthetic: Images
    holdout: Images | None = None
    seed: int = 0
    device: str | torch.device | None = "cpu"
    resolution: int = 224
    max_images: int = 2_000
    cache_dir: str | os.PathLike | bool | None = None
    modality: ClassVar[str] = "image"
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.max_images, int) or self.max_images < 8:
            raise ConfigError(f"`max_images` must be an int >= 8, got {self.max_images!r}")
        if not isinstance(self.resolution, int) or self.resolution < 32:
            raise ConfigError(f"`image_resolution` must be an int >= 32, got {self.resolution!r}")
        if not isinstance(self.device, torch.device):
            self.device = resolve_device(self.device or "cpu")

    def images(self, which: str) -> Images:
        """``real``, ``synthetic`` or ``holdout`` (a ConfigError when there is no holdout)."""
        data = {"real": self.real, "synthetic": self.synthetic, "holdout": self.holdout}[which]
        if data is None:
            raise ConfigError("no holdout images were given")
        return data

    def positions(self, which: str) -> np.ndarray:
        """Sorted positions of the seeded subsample of ``which`` (every image when few)."""
        key = ("positions", which)
        if key not in self._cache:
            n = len(self.images(which))
            if n <= self.max_images:
                pos = np.arange(n)
            else:
                rng = np.random.default_rng(derive_seed(self.seed, _SET_KEY[which]))
                pos = np.sort(rng.choice(n, self.max_images, replace=False))
            self._cache[key] = pos
        return self._cache[key]

    def sample(self, which: str) -> Images:
        """The subsample of ``which`` that features are computed on."""
        data = self.images(which)
        pos = self.positions(which)
        return data if len(pos) == len(data) else data[pos]

    # --- features ------------------------------------------------------------------------------
    def extractor(self, name: str) -> Any:
        """The (fitted) extractor ``"imagenet"`` or ``"domain"``, built once."""
        if name not in EXTRACTORS:
            raise ConfigError(f"unknown feature extractor {name!r}; use one of {EXTRACTORS}")
        key = ("extractor", name)
        if key not in self._cache:
            from synthset.evaluation.images.features import (
                DomainClassifierFeatures,
                EfficientNetLite0Features,
            )

            if name == "imagenet":
                ext = EfficientNetLite0Features(resolution=self.resolution, device=self.device)
            else:
                ext = DomainClassifierFeatures(
                    config=DOMAIN_CLASSIFIER,
                    seed=self.seed,
                    device=self.device,
                    cache_dir=self.cache_dir,
                ).fit(self.real)
            self._cache[key] = ext
        return self._cache[key]

    def features(self, name: str, which: str) -> np.ndarray:
        """``(n, dim)`` features of :meth:`sample` ``(which)`` from extractor ``name``."""
        key = ("features", name, which)
        if key not in self._cache:
            self._cache[key] = self.extractor(name)(self.sample(which))
        return self._cache[key]

    def extractor_info(self, name: str) -> dict[str, Any]:
        """What a metric's details say about the extractor (resolution, task, accuracy)."""
        ext = self.extractor(name)
        if name == "imagenet":
            return {
                "extractor": "EfficientNet-Lite0 (ImageNet)",
                "resolution": ext.resolution,
                "dim": ext.dim,
            }
        info = {
            "extractor": "domain classifier (small CNN trained on the real images)",
            "task": ext.task_,
            "held_out_accuracy": ext.held_out_accuracy_,
            "chance_accuracy": ext.info_.get("chance"),
            "cache": ext.cache_status_,
            "dim": ext.dim,
        }
        if ext.task_ == "rotation":
            info["note"] = (
                "the real images have no labels, so the classifier learned to predict rotations "
                "(self-supervised) instead of classes"
            )
        return info

    def baseline_features(self, name: str) -> tuple[np.ndarray, np.ndarray, str]:
        """Two disjoint real feature sets to score as the "unseen real data" baseline.

        With a holdout: the real subsample and the holdout subsample. Without: the real
        subsample split in two seeded halves (a harsher baseline: half as many images each, so
        FID's small-sample bias is larger).

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

"""Image evaluation: feature extractors, metrics on feature arrays, and the metrics ``evaluate()``
runs on :class:`~synthset.data.images.Images`.

>>> from synthset.evaluation.images import EfficientNetLite0Features, fid, prdc
>>> f_real = EfficientNetLite0Features(resolution=64)(real)      # (N, 1280) float32
>>> f_fake = EfficientNetLite0Features(resolution=64)(fake)
>>> fid(f_real, f_fake), prdc(f_real, f_fake)["coverage"]

The registered metrics (``fid_imagenet``, ``coverage_domain``, ``cas_ratio``,
``image_dcr`` ...) live in :mod:`.fidelity`, :mod:`.utility` and :mod:`.privacy`; importing this
package registers them (in that order), and ``evaluate`` runs them when it is given images.
"""

import importlib

from synthset.evaluation.images.classifier import ClassifierConfig, SmallCNN
from synthset.evaluation.images.context import EXTRACTORS, ImageEvalContext
from synthset.evaluation.images.features import (
    DomainClassifierFeatures,
    EfficientNetLite0Features,
    FeatureCacheWarning,
    default_cache_dir,
)
from synthset.evaluation.images.metrics import (
    exact_copies,
    fid,
    frechet_distance,
    kid,
    knn_radii,
    mean_cov,
    nearest_neighbour,
    prdc,
)

# Register the image metrics: fidelity, then utility, then privacy (the report's order).
for _module in ("fidelity", "utility", "privacy"):
    importlib.import_module(f"synthset.evaluation.images.{_module}")

__all__ = [
    "EXTRACTORS",
    "ClassifierConfig",
    "DomainClassifierFeatures",
    "EfficientNetLite0Features",
    "FeatureCacheWarning",
    "ImageEvalContext",
    "SmallCNN",
    "default_cache_dir",
    "exact_copies",
    "fid",
    "frechet_distance",
    "kid",
    "knn_radii",
    "mean_cov",
    "nearest_neighbour",
    "prdc",
]

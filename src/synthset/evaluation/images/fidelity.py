"""Fidelity metrics for images: do the synthetic images look like the real ones?

Six metrics on each of the two feature extractors of :mod:`~synthset.evaluation.images.features`,
named ``<metric>_<extractor>`` (``fid_imagenet``, ``coverage_domain``, ...):

=============  ====================================================  =========================
metric         what it measures                                      pass / warn
=============  ====================================================  =========================
``fid``        Fréchet distance of the feature Gaussians             ≤ 2× / ≤ 5× the baseline
``kid``        unbiased polynomial-kernel MMD² (mean ± std)          none (for information)
``precision``  share of synthetic images on the real manifold        ≥ 0.8 / ≥ 0.6
``recall``     share of real images on the synthetic manifold        ≥ 0.7 / ≥ 0.5
``density``    how many real neighbourhoods hold a synthetic image   ≥ 0.8 / ≥ 0.6
``coverage``   share of real neighbourhoods with a synthetic image   ≥ 0.8 / ≥ 0.6
=============  ====================================================  =========================

FID's absolute scale depends on the extractor, the resolution, the dataset and the number of
images, so its thresholds are relative to a *baseline* measured in the same run: the FID between
two disjoint sets of real images (the real and the holdout images, or two halves of the real
images when there is no holdout). Synthetic images within twice that distance are about as close
to the real images as fresh real images are. The precision / recall / density / coverage
thresholds sit below what real images score against real images (0.91-0.98 for precision,
recall and coverage, 0.91-1.0 for density, on two halves of sklearn's digits and of MNIST, both
extractors); keeping only half of the classes brings recall and coverage down to 0.5-0.67.

Measured FIDs of two real halves against real vs uniform noise: digits 2.8 vs 147 (ImageNet at
224) and 0.89 vs 323 (domain); MNIST 3.5 vs 312 (ImageNet at 224, 1,000 images a side) and
0.30 vs 2,641 (domain). Half the classes only: 9.3 (3.3× the baseline, warn) and 56 (63×,
fail) on digits.

Each value's ``details`` carry the extractor (resolution, or the domain classifier's task and
held-out accuracy), the images used, and the baseline's values.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from synthset.errors import DataError, SynthsetError
from synthset.evaluation.base import MetricResult, register_metric
from synthset.evaluation.images import metrics as M
from synthset.evaluation.images.context import EXTRACTORS, ImageEvalContext

FAMILY = "fidelity"
K = 5  # nearest neighbours of precision / recall / density / coverage (Naeem et al.'s choice)
FID_PASS_RATIO = 2.0
FID_WARN_RATIO = 5.0
PRDC_THRESHOLDS = {  # (pass at or above, warn at or above)
    "precision": (0.8, 0.6),
    "recall": (0.7, 0.5),
    "density": (0.8, 0.6),
    "coverage": (0.8, 0.6),
}
EXTRACTOR_TITLES = {"imagenet": "ImageNet features", "domain": "domain-classifier features"}
_PRDC_TEXT = {
    "precision": "Share of synthetic images that fall in the neighbourhood of some real image "
    "({ext}); low means unrealistic images.",
    "recall": "Share of real images that fall in the neighbourhood of some synthetic image "
    "({ext}); low means missing variety (mode dropping).",
    "density": "How many real neighbourhoods a synthetic image falls in, over k ({ext}); about 1 "
    "for real images, below means outliers, above means crowding on common images.",
    "coverage": "Share of real images whose neighbourhood holds a synthetic image ({ext}); low "
    "means parts of the real data are not produced.",
}


def _used(ctx: ImageEvalContext, *which: str) -> dict[str, int]:
    return {w: len(ctx.positions(w)) for w in which if w != "holdout" or ctx.holdout is not None}


def _baseline(ctx: ImageEvalContext, ext: str, fn: Callable) -> tuple[Any, str]:
    """``fn(a, b)`` on the two real feature sets of the baseline, and where they come from;
    ``(None, why)`` when there are too few real images for it."""
    try:
        a, b, source = ctx.baseline_features(ext)
        return fn(a, b), source
    except DataError as exc:
        return None, f"no baseline: {exc}"


def _fid(ctx: ImageEvalContext, ext: str) -> MetricResult:
    real = ctx.features(ext, "real")
    syn = ctx.features(ext, "synthetic")
    value = M.fid(real, syn)
    baseline, source = _baseline(ctx, ext, M.fid)
    details = {
        **ctx.extractor_info(ext),
        "baseline": baseline,
        "baseline_source": source,
        "ratio_to_baseline": value / baseline if baseline else None,
        "images": _used(ctx, "real", "synthetic", "holdout"),
    }
    seen = "" if baseline is None else f"; unseen real images score {baseline:.3g} here"
    result = MetricResult(
        f"fid_{ext}",
        FAMILY,
        value,
        False,
        details=details,
        bounds=None,
        description=f"Fréchet distance between real and synthetic images' {EXTRACTOR_TITLES[ext]}"
        f" (0 = same mean and covariance){seen}.",
    )
    if baseline:
        # judged against this run's baseline; evaluate() keeps thresholds a metric set itself
        result.thresholds = {
            "pass": FID_PASS_RATIO * baseline,
            "warn": FID_WARN_RATIO * baseline,
        }
    return result


def _kid(ctx: ImageEvalContext, ext: str) -> MetricResult:
    real = ctx.features(ext, "real")
    syn = ctx.features(ext, "synthetic")
    seed = ctx.seed
    mean, std = M.kid(real, syn, seed=seed)
    base, source = _baseline(ctx, ext, partial(M.kid, seed=seed))
    return MetricResult(
        f"kid_{ext}",
        FAMILY,
        mean,
        False,
        details={
            **ctx.extractor_info(ext),
            "std": std,
            "baseline": None if base is None else {"mean": base[0], "std": base[1]},
            "baseline_source": source,
            "images": _used(ctx, "real", "synthetic", "holdout"),
        },
        bounds=None,
        description=f"Kernel inception distance (unbiased MMD², cubic kernel) between real and "
        f"synthetic images' {EXTRACTOR_TITLES[ext]}, mean over subsets (≈ 0 for unseen real "
        "images).",
    )


def _prdc(ctx: ImageEvalContext, ext: str) -> tuple[dict[str, float], dict | None, str]:
    """PRDC of synthetic and of the baseline, computed once per extractor."""
    key = ("prdc", ext)
    if key not in ctx._cache:
        syn = M.prdc(ctx.features(ext, "real"), ctx.features(ext, "synthetic"), k=K)
        base, source = _baseline(ctx, ext, partial(M.prdc, k=K))
        ctx._cache[key] = (syn, base, source)
    return ctx._cache[key]


def _prdc_metric(ctx: ImageEvalContext, ext: str, which: str) -> MetricResult:
    syn, base, source = _prdc(ctx, ext)
    return MetricResult(
        f"{which}_{ext}",
        FAMILY,
        syn[which],
        True,
        details={
            **ctx.extractor_info(ext),
            "k": K,
            "prdc": syn,
            "baseline": base,
            "baseline_source": source,
            "images": _used(ctx, "real", "synthetic", "holdout"),
        },
        bounds=None if which == "density" else (0.0, 1.0),
        description=_PRDC_TEXT[which].format(ext=EXTRACTOR_TITLES[ext]),
    )


def _guarded(fn: Callable, name: str, higher_is_better: bool) -> Callable:
    """``fn`` returning a not-computed result, with the reason, when the images do not allow it
    (too few of them, a feature extractor that cannot load), so the rest of the report stays."""

    def metric(ctx: ImageEvalContext) -> MetricResult:
        try:
            return fn(ctx)
        except SynthsetError as exc:
            return MetricResult(
                name,
                FAMILY,
                float("nan"),
                higher_is_better,
                details={"error": str(exc)},
                bounds=None,
            )

    metric.__name__ = metric.__qualname__ = name
    metric.__doc__ = f"``{name}``: see :mod:`synthset.evaluation.images.fidelity`."
    return metric


for _ext in EXTRACTORS:
    for _name, _fn, _hib, _pass, _warn in [
        (f"fid_{_ext}", partial(_fid, ext=_ext), False, None, None),
        (f"kid_{_ext}", partial(_kid, ext=_ext), False, None, None),
        *[
            (f"{w}_{_ext}", partial(_prdc_metric, ext=_ext, which=w), True, p, warn)
            for w, (p, warn) in PRDC_THRESHOLDS.items()
        ],
    ]:
        register_metric(_name, FAMILY, pass_at=_pass, warn_at=_warn, modality="image")(
            _guarded(_fn, _name, _hib)
        )

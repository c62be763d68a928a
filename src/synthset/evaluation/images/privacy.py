"""Privacy metrics for images: does the synthesizer hand back the images it was trained on?

The memorisation check finds, for every synthetic image (of the seeded subsample), its nearest
training image in two spaces:

* **pixels**: Euclidean distance of the [0, 1] pixel vectors, divided by √(pixels × channels) so
  that it reads as a root-mean-square pixel difference (0.1 = a tenth of the intensity range).
  Searched over *every* training image (up to ``MAX_PIXEL_REFERENCE``), so a copy is always found.
* **features**: Euclidean distance of the ImageNet features (``MEMORISATION_EXTRACTOR``), which
  also catches shifted, recoloured or slightly altered copies; searched over the training images
  of the feature subsample.

The holdout (real images the synthesizer never saw) is the baseline: a synthetic image that sits
as far from its nearest training image as an unseen real image does reveals no more than one.

=============================  ==========================================  =================
metric                         value                                        pass / warn
=============================  ==========================================  =================
``image_dcr``                  median distance to the nearest training      ≥ 0.8 / ≥ 0.5
                               image, synthetic over holdout (the smaller
                               of the two spaces); needs a holdout
``image_closer_than_holdout``  share of synthetic images closer than 95%    ≤ 0.10 / ≤ 0.20
                               of holdout images (the larger of the two
                               spaces; ≈ 0.05 for unseen images); needs a
                               holdout
``image_exact_copies``         share of synthetic images equal pixel for    ≤ 0.01 / ≤ 0.05
                               pixel to a training image (every image)
=============================  ==========================================  =================

``details["nearest_pairs"]`` lists the closest (synthetic, training) pairs of each space with
positions into the synthetic and real sets: the report shows them side by side.
"""

from __future__ import annotations

import math

import numpy as np

from synthset.errors import SynthsetError
from synthset.evaluation.base import MetricResult, register_metric
from synthset.evaluation.images import metrics as M
from synthset.evaluation.images.context import ImageEvalContext
from synthset.utils import derive_seed

FAMILY = "privacy"
MEMORISATION_EXTRACTOR = "imagenet"
MAX_PIXEL_REFERENCE = 100_000  # training images searched in pixel space
N_PAIRS = 8  # closest pairs kept per space for the report
HISTOGRAM_BINS = 40
PERCENTILES = (5, 25, 50)


def _space(ctx: ImageEvalContext, space: str) -> dict:
    """Nearest training image of the synthetic (and holdout) subsample in one space (cached)."""
    key = ("memorisation", space)
    if key in ctx._cache:
        return ctx._cache[key]
    out: dict = {}
    if space == "pixel":
        real = ctx.real.pixels
        ref_pos = np.arange(len(real))
        if len(real) > MAX_PIXEL_REFERENCE:
            rng = np.random.default_rng(derive_seed(ctx.seed, 11))
            ref_pos = np.sort(rng.choice(len(real), MAX_PIXEL_REFERENCE, replace=False))
            real = real[ref_pos]
        scale = 1.0 / math.sqrt(np.prod(ctx.real.spec.shape))
        syn_px = ctx.synthetic.pixels[ctx.positions("synthetic")]
        d, idx = M.nearest_neighbour(syn_px, real)
        out["synthetic"] = (d * scale, ref_pos[idx])
        if ctx.holdout is not None:
            d_h, _ = M.nearest_neighbour(ctx.holdout.pixels[ctx.positions("holdout")], real)
            out["holdout"] = d_h * scale
        out["reference"] = len(ref_pos)
        out["unit"] = "root-mean-square pixel difference (0-1 scale)"
    else:
        ext = MEMORISATION_EXTRACTOR
        real_f = ctx.features(ext, "real")
        d, idx = M.nearest_neighbour(ctx.features(ext, "synthetic"), real_f)
        out["synthetic"] = (d, ctx.positions("real")[idx])
        if ctx.holdout is not None:
            out["holdout"], _ = M.nearest_neighbour(ctx.features(ext, "holdout"), real_f)
        out["reference"] = len(real_f)
        out["unit"] = f"Euclidean distance of the {ext} features"
        out["extractor"] = ext
    ctx._cache[key] = out
    return out


def _spaces(ctx: ImageEvalContext) -> tuple[dict[str, dict], dict[str, str]]:
    """Both spaces; a feature space that cannot be computed is left out with the reason."""
    spaces, errors = {"pixel": _space(ctx, "pixel")}, {}
    try:
        spaces["feature"] = _space(ctx, "feature")
    except SynthsetError as exc:  # e.g. the ImageNet weights' package is not installed
        errors["feature"] = str(exc)
    return spaces, errors


def _percentiles(d: np.ndarray) -> dict[str, float]:
    return {f"p{p}": float(np.percentile(d, p)) for p in PERCENTILES}


def _pairs(ctx: ImageEvalContext, space: dict) -> list[dict]:
    d, real_idx = space["synthetic"]
    order = np.argsort(d, kind="stable")[:N_PAIRS]
    syn_pos = ctx.positions("synthetic")
    return [
        {"synthetic": int(syn_pos[i]), "real": int(real_idx[i]), "distance": float(d[i])}
        for i in order
    ]


def _histogram(d_syn: np.ndarray, d_hold: np.ndarray | None) -> dict:
    pooled = d_syn if d_hold is None else np.concatenate([d_syn, d_hold])
    top = float(np.percentile(pooled, 99)) or float(pooled.max()) or 1.0
    edges = np.linspace(0.0, top, HISTOGRAM_BINS + 1)
    out = {"bins": edges, "synthetic": np.histogram(np.minimum(d_syn, top), edges)[0]}
    if d_hold is not None:
        out["holdout"] = np.histogram(np.minimum(d_hold, top), edges)[0]
    return out


def _nearest_pairs(ctx: ImageEvalContext, spaces: dict[str, dict]) -> dict[str, list[dict]]:
    return {name: _pairs(ctx, s) for name, s in spaces.items()}


@register_metric("image_dcr", FAMILY, pass_at=0.8, warn_at=0.5, modality="image")
def image_dcr(ctx: ImageEvalContext) -> MetricResult | None:
    """Median distance of synthetic images to their nearest training image, over that of
    holdout images; the smaller of the pixel-space and feature-space ratios.

    About 1: synthetic images sit as far from the training images as unseen real images do;
    well below 1: closer (memorised or near-copied). Thresholds: pass ≥ 0.8, warn ≥ 0.5. Needs a
    holdout.
    """
    if ctx.holdout is None:
        return None
    spaces, errors = _spaces(ctx)
    per_space = {}
    for name, s in spaces.items():
        d_syn, d_hold = s["synthetic"][0], s["holdout"]
        med_hold = float(np.median(d_hold))
        per_space[name] = {
            "ratio": float(np.median(d_syn)) / med_hold if med_hold > 0 else float("nan"),
            "synthetic": _percentiles(d_syn),
            "holdout": _percentiles(d_hold),
            "unit": s["unit"],
        }
    ratios = {k: v["ratio"] for k, v in per_space.items() if not math.isnan(v["ratio"])}
    details: dict = {
        "spaces": per_space,
        "value_from": min(ratios, key=ratios.get) if ratios else None,
        "histogram": {k: _histogram(s["synthetic"][0], s["holdout"]) for k, s in spaces.items()},
        "nearest_pairs": _nearest_pairs(ctx, spaces),
        "images": {
            "synthetic": len(ctx.positions("synthetic")),
            "holdout": len(ctx.positions("holdout")),
            "training_searched": {k: s["reference"] for k, s in spaces.items()},
        },
    }
    if errors:
        details["space_errors"] = errors
    if not ratios:
        details["error"] = "the median holdout distance to the training images is 0"
    return MetricResult(
        "image_dcr",
        FAMILY,
        min(ratios.values()) if ratios else float("nan"),
        True,
        details=details,
        bounds=None,
        description="Median distance from a synthetic image to its nearest training image, "
        "relative to that of unseen holdout images (1 = as far as new real images; below 1 = "
        "closer); the smaller of the pixel and feature ratios.",
    )


@register_metric("image_closer_than_holdout", FAMILY, pass_at=0.10, warn_at=0.20, modality="image")
def image_closer_than_holdout(ctx: ImageEvalContext) -> MetricResult | None:
    """Share of synthetic images closer to a training image than 95% of holdout images are.

    The cut is the 5th percentile of the holdout images' nearest-training distances, so about
    5% of unseen real images fall under it (``details`` gives the exact baseline per space). The
    value is the larger share of the two spaces. Thresholds: pass ≤ 0.10, warn ≤ 0.20. Needs a
    holdout.
    """
    if ctx.holdout is None:
        return None
    spaces, errors = _spaces(ctx)
    per_space = {}
    for name, s in spaces.items():
        d_syn, d_hold = s["synthetic"][0], s["holdout"]
        cut = float(np.percentile(d_hold, 5))
        per_space[name] = {
            "share": float(np.mean(d_syn <= cut)),
            "cut": cut,
            "holdout_share": float(np.mean(d_hold <= cut)),
        }
    shares = {k: v["share"] for k, v in per_space.items()}
    details: dict = {"spaces": per_space, "value_from": max(shares, key=shares.get)}
    if errors:
        details["space_errors"] = errors
    return MetricResult(
        "image_closer_than_holdout",
        FAMILY,
        max(shares.values()),
        False,
        details=details,
        description="Share of synthetic images closer to a training image than 95% of unseen "
        "holdout images are (about 0.05 for new real images); the larger of the pixel and "
        "feature shares.",
    )


@register_metric("image_exact_copies", FAMILY, pass_at=0.01, warn_at=0.05, modality="image")
def image_exact_copies(ctx: ImageEvalContext) -> MetricResult:
    """Share of synthetic images equal, pixel for pixel, to a training image.

    Counted over every image (hashes confirmed by comparing pixels, no subsample).
    ``details["holdout_share"]`` is the rate at which unseen real images are copies of training
    images (datasets hold duplicates). ``details["nearest_pairs"]`` holds the closest
    synthetic-training pairs in each space, even without a holdout. Thresholds: pass ≤ 0.01,
    warn ≤ 0.05.
    """
    match = M.exact_copies(ctx.synthetic.pixels, ctx.real.pixels)
    hit = match >= 0
    details: dict = {
        "count": int(hit.sum()),
        "copied_pairs": [
            {"synthetic": int(i), "real": int(match[i])} for i in np.flatnonzero(hit)[:N_PAIRS]
        ],
        "holdout_share": None,
        "holdout_count": None,
    }
    if ctx.holdout is not None:
        hold = M.exact_copies(ctx.holdout.pixels, ctx.real.pixels) >= 0
        details.update(holdout_share=float(hold.mean()), holdout_count=int(hold.sum()))
    spaces, errors = _spaces(ctx)
    details["nearest_pairs"] = _nearest_pairs(ctx, spaces)
    details["nearest_distance"] = {k: _percentiles(s["synthetic"][0]) for k, s in spaces.items()}
    if errors:
        details["space_errors"] = errors
    return MetricResult(
        "image_exact_copies",
        FAMILY,
        float(hit.mean()),
        False,
        details=details,
        description="Share of synthetic images that exactly copy a training image.",
    )

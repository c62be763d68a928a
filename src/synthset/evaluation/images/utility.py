"""Utility metrics for images: the classification accuracy score (CAS, Ravuri & Vinyals 2019).

The small CNN of :mod:`~synthset.evaluation.images.classifier` is trained on the labelled
synthetic images and tested on real images it never saw; the same CNN trained on real images
is the reference. The test set is the holdout when one is given (with labels); otherwise a
seeded, stratified 25% of the real images, and the real-trained CNN learns from the other 75%
(the synthesizer saw those test images, so the synthetic score is optimistic then;
``details["test"]`` says which). Each side trains for ``N_SEEDS`` seeds (``ctx.seed``, +1,
+2) on at most ``ctx.max_images`` images; the details give mean, standard deviation and every
seed's accuracy.

Both metrics return None when the real or the synthetic images have no labels.

* ``cas``: mean accuracy of the synthetic-trained CNN on the real test images (no threshold:
  how high it can be depends on the dataset; read it against ``trtr``).
* ``cas_ratio``: ``cas`` over the real-trained CNN's accuracy. Thresholds: pass ≥ 0.9,
  warn ≥ 0.75.
"""

from __future__ import annotations

import numpy as np

from synthset.data.images import Images
from synthset.errors import SynthsetError
from synthset.evaluation.base import MetricResult, register_metric
from synthset.evaluation.images.classifier import ClassifierConfig, accuracy, train_classifier
from synthset.evaluation.images.context import ImageEvalContext
from synthset.utils import derive_seed

FAMILY = "utility"
N_SEEDS = 3
TEST_SHARE = 0.25
CLASSIFIER = ClassifierConfig()  # the CNN trained on synthetic and on real images
_TEST_SOURCES = {
    True: "holdout",
    False: "real split (optimistic: the synthesizer saw these images)",
}


def _cap(images: Images, n: int, seed: int | None) -> Images:
    """A seeded subsample of at most ``n`` images."""
    if len(images) <= n:
        return images
    pos = np.sort(np.random.default_rng(seed).choice(len(images), n, replace=False))
    return images[pos]


def _scores(ctx: ImageEvalContext) -> dict | None:
    """Accuracies of the synthetic- and real-trained CNNs on the real test images (cached)."""
    if "cas" in ctx._cache:
        return ctx._cache["cas"]
    real, syn = ctx.real, ctx.synthetic
    if real.labels is None or syn.labels is None or real.spec.n_classes < 2:
        ctx._cache["cas"] = None
        return None
    has_holdout = ctx.holdout is not None and ctx.holdout.labels is not None
    if has_holdout:
        train_real, test = real, ctx.holdout
    else:
        train_real, test = real.split(1.0 - TEST_SHARE, seed=derive_seed(ctx.seed, 21))
    test = _cap(test, ctx.max_images, derive_seed(ctx.seed, 22))
    config = CLASSIFIER.resolve(real.spec.height, real.spec.width)
    n_classes = real.spec.n_classes
    acc: dict[str, list[float]] = {"synthetic": [], "real": []}
    sizes = {}
    seeds = [ctx.seed + i for i in range(N_SEEDS)]
    for run_seed in seeds:
        seed = derive_seed(run_seed, 30)  # the CNN's weights, batches and subsample
        for name, data in (("synthetic", syn), ("real", train_real)):
            train = _cap(data, ctx.max_images, derive_seed(seed, 1 + (name == "real")))
            sizes[name] = len(train)
            model = train_classifier(
                train.pixels, train.labels, n_classes, config, seed=seed, device=ctx.device
            )
            acc[name].append(accuracy(model, test, test.labels, device=ctx.device))
    out = {
        "synthetic": _stats(acc["synthetic"]),
        "real": _stats(acc["real"]),
        "test": _TEST_SOURCES[has_holdout],
        "test_images": len(test),
        "train_images": sizes,
        "seeds": seeds,
        "chance": float(np.bincount(test.labels, minlength=n_classes).max() / len(test)),
        "classifier": config.to_dict(),
    }
    ctx._cache["cas"] = out
    return out


def _scores_or_error(ctx: ImageEvalContext) -> tuple[dict | None, str | None]:
    """:func:`_scores`, or why the images do not allow them (too few to split, say)."""
    try:
        return _scores(ctx), None
    except SynthsetError as exc:
        return None, str(exc)


def _stats(values: list[float]) -> dict:
    v = np.asarray(values, dtype=float)
    return {"mean": float(v.mean()), "std": float(v.std()), "values": v.tolist()}


def _details(scores: dict) -> dict:
    """Details in the layout the report's utility table reads (TSTR / TRTR per scorer)."""
    return {
        "task": "image classification (small CNN)",
        "score": "accuracy",
        "tstr": {"accuracy": scores["synthetic"]},
        "trtr": {"accuracy": scores["real"]},
        "test": scores["test"],
        "test_rows": scores["test_images"],
        "test_unit": "images",
        "train_images": scores["train_images"],
        "seeds": scores["seeds"],
        "chance_accuracy": scores["chance"],
        "classifier": scores["classifier"],
    }


@register_metric("cas", FAMILY, modality="image")
def cas(ctx: ImageEvalContext) -> MetricResult | None:
    """Classification accuracy score: real-test accuracy of a CNN trained on synthetic images.

    No thresholds (the attainable accuracy depends on the dataset; compare it with the
    real-trained CNN's, ``details["trtr"]``, or read ``cas_ratio``). None without labels.
    """
    scores, error = _scores_or_error(ctx)
    if error:
        return MetricResult("cas", FAMILY, float("nan"), True, details={"error": error})
    if scores is None:
        return None
    return MetricResult(
        "cas",
        FAMILY,
        scores["synthetic"]["mean"],
        True,
        details=_details(scores),
        description="Accuracy on real test images of a CNN trained on the labelled synthetic "
        "images (classification accuracy score).",
    )


@register_metric("cas_ratio", FAMILY, pass_at=0.9, warn_at=0.75, modality="image")
def cas_ratio(ctx: ImageEvalContext) -> MetricResult | None:
    """CAS over the accuracy of the same CNN trained on real images (1 = synthetic images teach
    the classes as well as real ones). Thresholds: pass ≥ 0.9, warn ≥ 0.75. None without
    labels."""
    scores, error = _scores_or_error(ctx)
    if error:
        return MetricResult(
            "cas_ratio", FAMILY, float("nan"), True, details={"error": error}, bounds=None
        )
    if scores is None:
        return None
    real = scores["real"]["mean"]
    value = scores["synthetic"]["mean"] / real if real > 0 else float("nan")
    details = _details(scores)
    if real <= 0:
        details["error"] = "the real-trained CNN scored 0, so the ratio is undefined"
    return MetricResult(
        "cas_ratio",
        FAMILY,
        value,
        True,
        details=details,
        bounds=None,
        description="CAS divided by the accuracy of the same CNN trained on real images; 1 means "
        "synthetic images train a classifier as well as real ones.",
    )

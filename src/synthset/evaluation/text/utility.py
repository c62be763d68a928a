"""Utility metrics for text: does a classifier trained on the synthetic texts work on real ones?

One fixed classifier throughout: scikit-learn's ``LogisticRegression`` on the context's sentence
embeddings (MiniLM, C = 1), or, with the lexical embedder, on TF-IDF of words and word pairs
fitted on each training set (C = 10). The test set is the holdout (labelled) when one is given;
otherwise a seeded, stratified 25% of the real texts, and the real-trained classifier learns from
the other 75% (the synthesizer saw those test texts, so the synthetic score is optimistic then;
``details["test"]`` says which). Every set is capped at ``ctx.max_texts`` texts (the embedded
subsample).

* ``text_cas``: accuracy on the real test texts of the classifier trained on the synthetic texts
  (classification accuracy score), with a 95% bootstrap interval over the test texts. No
  threshold: read it against the real-trained classifier's accuracy (``details["trtr"]``).
* ``text_cas_ratio``: ``text_cas`` over the real-trained classifier's accuracy (paired bootstrap
  interval). Thresholds: pass ≥ 0.9, warn ≥ 0.75.
* ``text_augmentation_gain``: accuracy of the classifier trained on real + synthetic texts minus
  that of the one trained on the real texts alone, over ``N_SEEDS`` seeds: each seed draws a
  bootstrap resample of the real training texts (shared by both arms) and
  ``min(synthetic, real)`` synthetic texts, so the spread shows how much the gain depends on the
  draw. Thresholds: pass ≥ 0, warn ≥ −0.01.

Every metric returns None when the real or the synthetic texts have no labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synthset.errors import DataError, SynthsetError
from synthset.evaluation.base import MetricResult, register_metric
from synthset.evaluation.text.context import TextEvalContext
from synthset.evaluation.text.embedders import TOKEN_PATTERN, LexicalEmbedder
from synthset.utils import derive_seed

FAMILY = "utility"
N_SEEDS = 3
TEST_SHARE = 0.25
N_BOOTSTRAP = 1_000
EMBEDDING_C = 1.0
TFIDF_C = 10.0
_TEST_SOURCES = {True: "holdout", False: "real split (optimistic: the synthesizer saw these texts)"}


@dataclass
class _Task:
    """Features (embeddings or raw texts), labels and the test set every utility metric shares."""

    lexical: bool
    real: tuple[Any, np.ndarray]
    synthetic: tuple[Any, np.ndarray]
    test: tuple[Any, np.ndarray]
    test_source: str
    n_classes: int
    classifier: str


def _take(xy: tuple[Any, np.ndarray], idx: np.ndarray) -> tuple[Any, np.ndarray]:
    x, y = xy
    return x[idx], y[idx]


def _task(ctx: TextEvalContext) -> _Task | None:
    """Build (once per context) the training sets and the test set; None without labels."""
    if "utility_task" in ctx._cache:
        return ctx._cache["utility_task"]
    real, syn = ctx.real, ctx.synthetic
    if real.labels is None or syn.labels is None or real.spec.n_classes < 2:
        ctx._cache["utility_task"] = None
        return None
    lexical = isinstance(ctx.get_embedder(), LexicalEmbedder)

    def features(which: str) -> tuple[Any, np.ndarray]:
        data = ctx.sample(which)
        x = data.texts if lexical else ctx.embeddings(which)
        return x, data.labels

    real_xy = features("real")
    has_holdout = ctx.holdout is not None and ctx.holdout.labels is not None
    if has_holdout:
        test_xy = features("holdout")
    else:
        y = real_xy[1]
        rng = np.random.default_rng(derive_seed(ctx.seed, 21))
        test_idx = np.concatenate(
            [
                rng.permutation(np.flatnonzero(y == k))[: int(round(TEST_SHARE * (y == k).sum()))]
                for k in range(real.spec.n_classes)
            ]
        )
        test_mask = np.zeros(len(y), dtype=bool)
        test_mask[test_idx] = True
        if test_mask.all() or not test_mask.any():
            raise DataError("too few real texts to split off a test set; give a holdout")
        test_xy = _take(real_xy, np.flatnonzero(test_mask))
        real_xy = _take(real_xy, np.flatnonzero(~test_mask))
    task = _Task(
        lexical=lexical,
        real=real_xy,
        synthetic=features("synthetic"),
        test=test_xy,
        test_source=_TEST_SOURCES[has_holdout],
        n_classes=real.spec.n_classes,
        classifier=(
            f"LogisticRegression(C={TFIDF_C:g}) on TF-IDF of words and word pairs"
            if lexical
            else f"LogisticRegression(C={EMBEDDING_C:g}) on {ctx.embedder_info()['embedder']}"
        ),
    )
    ctx._cache["utility_task"] = task
    return task


def _fit_predict(task: _Task, x: Any, y: np.ndarray) -> np.ndarray:
    """Train the fixed classifier on ``(x, y)`` and predict the test labels."""
    from sklearn.linear_model import LogisticRegression

    if len(np.unique(y)) < 2:
        raise DataError(
            "the training texts hold a single class, so no classifier can be trained on them"
        )
    if task.lexical:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_pipeline

        model = make_pipeline(
            TfidfVectorizer(token_pattern=TOKEN_PATTERN, ngram_range=(1, 2), sublinear_tf=True),
            LogisticRegression(C=TFIDF_C, max_iter=2_000),
        )
        model.fit(list(x), y)
        return model.predict(list(task.test[0]))
    model = LogisticRegression(C=EMBEDDING_C, max_iter=2_000)
    model.fit(x, y)
    return model.predict(task.test[0])


def _bootstrap(ctx: TextEvalContext, n: int) -> np.ndarray:
    """(N_BOOTSTRAP, n) resampled test positions, seeded."""
    rng = np.random.default_rng(derive_seed(ctx.seed, 80))
    return rng.integers(0, n, (N_BOOTSTRAP, n))


def _scores(ctx: TextEvalContext) -> dict | None:
    """Test accuracy of the synthetic- and real-trained classifiers, with bootstrap intervals."""
    if "cas" in ctx._cache:
        return ctx._cache["cas"]
    task = _task(ctx)
    if task is None:
        ctx._cache["cas"] = None
        return None
    y_test = task.test[1]
    right_syn = _fit_predict(task, *task.synthetic) == y_test
    right_real = _fit_predict(task, *task.real) == y_test
    boot = _bootstrap(ctx, len(y_test))
    acc_syn = right_syn[boot].mean(1)
    acc_real = right_real[boot].mean(1)
    ratio = acc_syn / np.maximum(acc_real, 1e-12)
    out = {
        "synthetic": _stats(float(right_syn.mean()), acc_syn),
        "real": _stats(float(right_real.mean()), acc_real),
        "ratio_ci": [float(np.percentile(ratio, 2.5)), float(np.percentile(ratio, 97.5))],
        "task": task,
    }
    ctx._cache["cas"] = out
    return out


def _stats(value: float, boot: np.ndarray) -> dict[str, Any]:
    return {
        "mean": value,
        "std": float(boot.std()),
        "ci_low": float(np.percentile(boot, 2.5)),
        "ci_high": float(np.percentile(boot, 97.5)),
    }


def _common(task: _Task) -> dict[str, Any]:
    """Details in the layout the report's utility table reads."""
    y = task.test[1]
    return {
        "task": f"text classification ({task.classifier})",
        "score": "accuracy",
        "test": task.test_source,
        "test_rows": len(y),
        "test_unit": "texts",
        "train_texts": {"real": len(task.real[1]), "synthetic": len(task.synthetic[1])},
        "chance_accuracy": float(np.bincount(y, minlength=task.n_classes).max() / len(y)),
        "classifier": task.classifier,
    }


def _scores_or_error(ctx: TextEvalContext) -> tuple[dict | None, str | None]:
    try:
        return _scores(ctx), None
    except SynthsetError as exc:
        return None, str(exc)


@register_metric("text_cas", FAMILY, modality="text")
def text_cas(ctx: TextEvalContext) -> MetricResult | None:
    """Classification accuracy score: real-test accuracy of the fixed classifier trained on the
    labelled synthetic texts, with a 95% bootstrap interval. No thresholds (compare with
    ``details["trtr"]``). None without labels."""
    scores, error = _scores_or_error(ctx)
    if error:
        return MetricResult("text_cas", FAMILY, float("nan"), True, details={"error": error})
    if scores is None:
        return None
    syn = scores["synthetic"]
    return MetricResult(
        "text_cas",
        FAMILY,
        syn["mean"],
        True,
        details={
            **_common(scores["task"]),
            "tstr": {"accuracy": syn},
            "trtr": {"accuracy": scores["real"]},
            "ci_low": syn["ci_low"],
            "ci_high": syn["ci_high"],
        },
        description="Accuracy on real test texts of a classifier trained on the labelled "
        "synthetic texts (classification accuracy score).",
    )


@register_metric("text_cas_ratio", FAMILY, pass_at=0.9, warn_at=0.75, modality="text")
def text_cas_ratio(ctx: TextEvalContext) -> MetricResult | None:
    """``text_cas`` over the accuracy of the same classifier trained on real texts (1 = the
    synthetic texts teach the classes as well as real ones), with a paired 95% bootstrap
    interval. Thresholds: pass ≥ 0.9, warn ≥ 0.75. None without labels."""
    scores, error = _scores_or_error(ctx)
    if error:
        return MetricResult(
            "text_cas_ratio", FAMILY, float("nan"), True, details={"error": error}, bounds=None
        )
    if scores is None:
        return None
    real = scores["real"]["mean"]
    value = scores["synthetic"]["mean"] / real if real > 0 else float("nan")
    details = {
        **_common(scores["task"]),
        "tstr": {"accuracy": scores["synthetic"]},
        "trtr": {"accuracy": scores["real"]},
        "ci_low": scores["ratio_ci"][0],
        "ci_high": scores["ratio_ci"][1],
    }
    if real <= 0:
        details["error"] = "the real-trained classifier scored 0, so the ratio is undefined"
    return MetricResult(
        "text_cas_ratio",
        FAMILY,
        value,
        True,
        details=details,
        bounds=None,
        description="Text CAS divided by the accuracy of the same classifier trained on real "
        "texts; 1 means synthetic texts train a classifier as well as real ones.",
    )


@register_metric("text_augmentation_gain", FAMILY, pass_at=0.0, warn_at=-0.01, modality="text")
def text_augmentation_gain(ctx: TextEvalContext) -> MetricResult | None:
    """Test-accuracy gain of training on real + synthetic texts over real texts alone, mean ±
    std over seeds (bootstrap resamples of the real texts). Thresholds: pass ≥ 0, warn ≥ −0.01.
    None without labels."""
    try:
        task = _task(ctx)
        if task is None:
            return None
        n_real, n_syn = len(task.real[1]), len(task.synthetic[1])
        k = min(n_real, n_syn)
        y_test = task.test[1]
        base, mixed, seeds = [], [], []
        for i in range(N_SEEDS):
            seed = ctx.seed + i
            rng = np.random.default_rng(derive_seed(seed, 90))
            boot = rng.integers(0, n_real, n_real)
            pick = np.sort(rng.choice(n_syn, k, replace=False))
            xr, yr = _take(task.real, boot)
            xs, ys = _take(task.synthetic, pick)
            x_mix = np.concatenate([np.asarray(xr), np.asarray(xs)])
            y_mix = np.concatenate([yr, ys])
            base.append(float((_fit_predict(task, xr, yr) == y_test).mean()))
            mixed.append(float((_fit_predict(task, x_mix, y_mix) == y_test).mean()))
            seeds.append(seed)
    except SynthsetError as exc:
        return MetricResult(
            "text_augmentation_gain",
            FAMILY,
            float("nan"),
            True,
            details={"error": str(exc)},
            bounds=None,
        )
    gains = np.asarray(mixed) - np.asarray(base)
    return MetricResult(
        "text_augmentation_gain",
        FAMILY,
        float(gains.mean()),
        True,
        details={
            **_common(task),
            "real_texts": n_real,
            "synthetic_texts": k,
            "seeds": seeds,
            "gain": {"mean": float(gains.mean()), "std": float(gains.std()), "per_seed": gains},
            "real": {"accuracy": _seed_stats(base)},
            "real+synthetic": {"accuracy": _seed_stats(mixed)},
        },
        bounds=None,
        description="Change in test accuracy when synthetic texts are added to the real "
        "training texts (> 0 = they help), mean over bootstrap resamples of the real texts.",
    )


def _seed_stats(values: list[float]) -> dict[str, Any]:
    v = np.asarray(values, dtype=float)
    return {"mean": float(v.mean()), "std": float(v.std()), "per_seed": v.tolist()}

"""Utility metrics: does the synthetic table train a model as well as the real one does?

Every metric fits one fixed downstream model, scikit-learn's HistGradientBoosting (classifier when
the target is categorical or boolean, regressor when it is numeric or a datetime), with default
parameters and ``random_state`` set per seed. Features are every column but the target and the id
columns: numbers (datetimes as seconds) as they are, categories as their codes in the real data,
declared as ``categorical_features`` (a category the real data lacks counts as missing; a column
of more than 255 categories is passed as an ordinal code).

The test set is the holdout when one is given; otherwise a seeded 25% of the real rows, which the
synthesizer saw while training, so every score is optimistic then (``details["test"]`` says
which). Each metric runs for ``N_SEEDS`` seeds (``ctx.seed``, +1, +2): the seed picks the row
subsamples and the model's random state (its early-stopping split on more than 10,000 rows;
early stopping is off when a class has a single training row), and
the details give the mean, the standard deviation and every seed's value. Rows whose target is
missing (or, for a classification, a class the real data lacks) are left out.

``tstr_ratio`` and ``augmentation_gain`` are judged against the noise of the test set, not
only their fixed thresholds: both are paired comparisons of two models on the same test rows,
so each computes the standard error of its value from the per-row differences (accuracy hits,
or each row's share of R²) and fails only when it lies more than two standard errors below
its warning threshold; within that band it warns. On adult's 6,512 holdout rows two standard
errors are ~0.005 and the thresholds stand; on a 406-row table's 81 holdout rows they are
~0.06, and a metric that would fail any synthesizer, or the real rows themselves, by chance
warns instead. ``details["std_error"]`` holds it and ``thresholds`` the levels judged against.

Every metric here returns None when no ``target`` is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synthset.errors import ConfigError
from synthset.evaluation.base import EvalContext, MetricResult, register_metric

N_SEEDS = 3
ROWS = "_rows"  # per test row: accuracy hit or share of R² (for the standard errors)
NOISE_Z = 2.0  # fail only below the warning threshold by more than this many standard errors
TEST_SHARE = 0.25
MAX_CATEGORIES = 255  # HistGradientBoosting's limit for a categorical feature (max_bins)
_TEST_SOURCES = {True: "holdout", False: "real split (optimistic: the synthesizer saw these rows)"}


@dataclass
class _Task:
    """The design matrices every utility metric shares."""

    kind: str  # "classification" | "regression"
    categorical: np.ndarray  # bool mask over the feature columns
    real: tuple[np.ndarray, np.ndarray]  # (X, y) real rows to train on
    synthetic: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    test_source: str
    n_classes: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    scores: dict = field(default_factory=dict)  # cache: (train key, seed) -> scores

    @property
    def main(self) -> str:
        """The score a metric's value is built on."""
        return "accuracy" if self.kind == "classification" else "r2"


def _task(ctx: EvalContext) -> _Task | None:
    """Build (once per context) the features, targets and test set of ``ctx``."""
    if ctx.target is None:
        return None
    cache = ctx.__dict__
    if "_utility_task" in cache:
        return cache["_utility_task"]
    from synthset.data.transforms.columns import NUMERIC_KINDS, to_numeric

    target = ctx.spec[ctx.target]
    if target.kind == "id":
        raise ConfigError(f"`target` {ctx.target!r} is an id column; pick a column to predict")
    kind = "classification" if target.kind in ("categorical", "boolean") else "regression"
    features = [c for c in ctx.spec.columns if c.kind != "id" and c.name != ctx.target]
    categorical = np.array(
        [
            c.kind not in NUMERIC_KINDS and len(ctx.encoder.categories[c.name]) <= MAX_CATEGORIES
            for c in features
        ],
        dtype=bool,
    )
    dropped: dict[str, int] = {}  # rows left out for want of a usable target, per set

    def design(df: pd.DataFrame, what: str) -> tuple[np.ndarray, np.ndarray]:
        cols = []
        for c in features:
            if c.kind in NUMERIC_KINDS:
                cols.append(to_numeric(df[c.name], c))
            else:
                codes = ctx.encoder.categories[c.name].get_indexer(df[c.name]).astype(np.float64)
                codes[codes < 0] = np.nan
                cols.append(codes)
        x = np.column_stack(cols) if cols else np.zeros((len(df), 0))
        if kind == "classification":
            y = ctx.encoder.categories[ctx.target].get_indexer(df[ctx.target])
            keep = y >= 0
        else:
            y = to_numeric(df[ctx.target], target)
            keep = ~np.isnan(y)
        if not keep.all():
            dropped[what] = int((~keep).sum())
        return x[keep], y[keep]

    if ctx.holdout is not None and len(ctx.holdout) > 0:
        real, test = ctx.real, ctx.holdout
    else:
        rng = np.random.default_rng(ctx.seed)
        is_test = np.zeros(len(ctx.real), dtype=bool)
        n_test = int(round(TEST_SHARE * len(ctx.real)))
        is_test[rng.choice(len(ctx.real), n_test, replace=False)] = True
        real, test = ctx.real[~is_test], ctx.real[is_test]
    task = _Task(
        kind=kind,
        categorical=categorical,
        real=design(real, "real"),
        synthetic=design(ctx.synthetic, "synthetic"),
        test=design(test, "test"),
        test_source=_TEST_SOURCES[test is ctx.holdout],
        n_classes=len(ctx.encoder.categories[ctx.target]) if kind == "classification" else 0,
        dropped=dropped,
    )
    cache["_utility_task"] = task
    return task


def _seeds(ctx: EvalContext) -> list[int]:
    return [ctx.seed + i for i in range(N_SEEDS)]


def _rows(n: int, k: int, seed: int) -> np.ndarray | None:
    """A seeded subsample of ``k`` of ``n`` rows; None when every row is kept."""
    if k >= n:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, k, replace=False))


def _take(xy: tuple[np.ndarray, np.ndarray], rows: np.ndarray | None):
    return xy if rows is None else (xy[0][rows], xy[1][rows])


# --- the downstream model ----------------------------------------------------------------------
def _fit_score(task: _Task, key: tuple, x: np.ndarray, y: np.ndarray, seed: int) -> dict:
    """Fit the fixed model on ``(x, y)`` and score it on the test set (cached under ``key``).

    The fits run on ``default_cpu_threads()`` OpenMP threads (1 unless ``SYNTHSET_NUM_THREADS``
    says more), as torch does here: on a busy 2-core machine, spin-waiting OpenMP threads made
    the adult fits 3x slower than one thread.
    """
    if (key, seed) not in task.scores:
        from threadpoolctl import threadpool_limits

        from synthset.utils import default_cpu_threads

        if len(y) == 0:
            raise ValueError(f"no rows with a usable target to train on ({key[0]})")
        with threadpool_limits(limits=default_cpu_threads(), user_api="openmp"):
            task.scores[(key, seed)] = _fit_predict_score(task, x, y, seed)
    return task.scores[(key, seed)]


def _fit_predict_score(task: _Task, x: np.ndarray, y: np.ndarray, seed: int) -> dict:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    x_test, y_test = task.test
    mask = task.categorical if task.categorical.any() else None
    if task.kind == "regression":
        model = HistGradientBoostingRegressor(categorical_features=mask, random_state=seed)
        pred = model.fit(x, y).predict(x_test)
        scores = _regression_scores(y_test, pred)
        # each row's share of R² (their mean is R²): 1 - squared error / the test variance
        scores[ROWS] = 1.0 - (y_test - pred) ** 2 / max(float(np.var(y_test)), 1e-300)
        return scores
    classes, counts = np.unique(y, return_counts=True)
    proba = np.zeros((len(y_test), task.n_classes))
    if len(classes) == 1:  # one class: the model can only predict it
        proba[:, classes[0]] = 1.0
    else:
        model = HistGradientBoostingClassifier(
            categorical_features=mask,
            random_state=seed,
            # early stopping holds out a stratified split, which needs 2 rows a class
            early_stopping="auto" if counts.min() >= 2 else False,
        )
        proba[:, classes] = model.fit(x, y).predict_proba(x_test)
    scores = _classification_scores(y_test, proba)
    scores[ROWS] = (proba.argmax(1) == y_test).astype(np.float64)  # mean: accuracy
    return scores


def _classification_scores(y: np.ndarray, proba: np.ndarray) -> dict:
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    pred = proba.argmax(1)
    present = np.unique(y)
    if len(present) < 2:
        auc = None  # undefined with one class in the test set
    elif len(present) == 2:
        auc = float(roc_auc_score(y == present[1], proba[:, present[1]]))
    else:
        p = proba[:, present] + 1e-12
        auc = float(
            roc_auc_score(y, p / p.sum(1, keepdims=True), multi_class="ovr", labels=present)
        )
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "macro_f1": float(f1_score(y, pred, average="macro", zero_division=0)),
        "roc_auc": auc,
    }


def _regression_scores(y: np.ndarray, pred: np.ndarray) -> dict:
    from sklearn.metrics import mean_absolute_error, r2_score

    return {"r2": float(r2_score(y, pred)), "mae": float(mean_absolute_error(y, pred))}


def _summary(per_seed: list[dict]) -> dict:
    """Mean, std and per-seed values of every score (None where a score is undefined)."""
    out = {}
    for name in per_seed[0]:
        if name == ROWS:
            continue
        vals = [s[name] for s in per_seed]
        if any(v is None for v in vals):
            out[name] = {"mean": None, "std": None, "per_seed": vals}
        else:
            out[name] = {"mean": float(np.mean(vals)), "std": float(np.std(vals)), "per_seed": vals}
    return out


def _tstr_runs(ctx: EvalContext, task: _Task) -> dict:
    """Train-on-synthetic and train-on-real scores per seed, on as many rows each."""
    n = min(len(task.synthetic[1]), len(task.real[1]))
    tstr, trtr = [], []
    for seed in _seeds(ctx):
        syn_rows = _rows(len(task.synthetic[1]), n, seed)
        real_rows = _rows(len(task.real[1]), n, seed)
        tstr.append(_fit_score(task, ("synthetic", n), *_take(task.synthetic, syn_rows), seed))
        trtr.append(_fit_score(task, ("real", n), *_take(task.real, real_rows), seed))
    return {"tstr": tstr, "trtr": trtr, "train_rows": n}


def _paired_se(differences: list[np.ndarray]) -> float:
    """Standard error of a mean over the test rows of paired per-row differences; the seeds
    share the test rows, so their variances are averaged, not their errors divided by √3."""
    var = [float(np.var(d, ddof=1)) / len(d) if len(d) > 1 else 0.0 for d in differences]
    return float(np.sqrt(np.mean(var)))


def _noise_thresholds(name: str, se: float | None) -> dict[str, float] | None:
    """The registered thresholds with the warning level lowered by ``NOISE_Z`` standard
    errors (None when there is no standard error: the registered ones apply)."""
    from synthset.evaluation.base import get_metric

    info = get_metric(name)
    if se is None or not np.isfinite(se) or info.pass_at is None or info.warn_at is None:
        return None
    return {"pass": info.pass_at, "warn": min(info.warn_at, info.warn_at - NOISE_Z * se)}


def _common(ctx: EvalContext, task: _Task) -> dict:
    details = {
        "task": task.kind,
        "score": task.main,
        "test": task.test_source,
        "test_rows": len(task.test[1]),
        "seeds": _seeds(ctx),
    }
    if task.dropped:
        details["dropped_rows_without_usable_target"] = task.dropped
    return details


# --- metrics -----------------------------------------------------------------------------------
@register_metric("tstr", "utility")
def tstr(ctx: EvalContext) -> MetricResult | None:
    """Train on synthetic, test on real: the test score of a model fitted on synthetic rows.

    value = mean accuracy over the seeds (classification; macro-F1 and ROC AUC, one-vs-rest for
    several classes, in the details) or mean R² (regression; can be negative; MAE in the
    details). Both models see the same number of rows: min(synthetic rows, real training rows).
    ``details["trtr"]`` gives the same model trained on real rows (train on real, test on real):
    what the synthetic score is to be compared with. No thresholds: what a good score is depends
    on the task; ``tstr_ratio`` judges the comparison.
    """
    task = _task(ctx)
    if task is None:
        return None
    runs = _tstr_runs(ctx, task)
    tstr_s, trtr_s = _summary(runs["tstr"]), _summary(runs["trtr"])
    return MetricResult(
        "tstr",
        "utility",
        tstr_s[task.main]["mean"],
        True,
        details={
            **_common(ctx, task),
            "train_rows": runs["train_rows"],
            "tstr": tstr_s,
            "trtr": trtr_s,
        },
        bounds=(0.0, 1.0) if task.kind == "classification" else None,
        description=f"Test {task.main} of a model trained on synthetic rows "
        f"({ctx.target!r}; real-trained: {trtr_s[task.main]['mean']:.3f}).",
    )


@register_metric("tstr_ratio", "utility", pass_at=0.95, warn_at=0.85)
def tstr_ratio(ctx: EvalContext) -> MetricResult | None:
    """TSTR score over TRTR score: how much of the real data's usefulness the synthetic keeps.

    value = mean TSTR accuracy / mean TRTR accuracy (classification) or mean TSTR R² / mean
    TRTR R² (regression), with the models, rows and test set of ``tstr``. 1 means the synthetic
    rows train the model as well as real rows; it can exceed 1 by chance, and is undefined (NaN)
    when the real-trained R² is not positive. Thresholds: pass ≥ 0.95 (within 5% of real),
    warn ≥ 0.85, or within two standard errors of 0.85 (the test set is too small to tell; see
    the module docstring).
    """
    task = _task(ctx)
    if task is None:
        return None
    runs = _tstr_runs(ctx, task)
    syn = np.array([s[task.main] for s in runs["tstr"]])
    real = np.array([s[task.main] for s in runs["trtr"]])
    details = {
        **_common(ctx, task),
        "train_rows": runs["train_rows"],
        "tstr": float(syn.mean()),
        "trtr": float(real.mean()),
    }
    if real.mean() <= 0:
        details["error"] = f"the real-trained {task.main} is {real.mean():.3g}: no ratio"
        value = float("nan")
    else:
        value = float(syn.mean() / real.mean())
        ratios = syn / np.where(real > 0, real, np.nan)
        details["per_seed"] = ratios
        details["std"] = float(np.nanstd(ratios))
        # delta method on the paired rows: se(a/b) ≈ sd(a_i - r·b_i) / (√n · b)
        se = _paired_se(
            [s[ROWS] - value * r[ROWS] for s, r in zip(runs["tstr"], runs["trtr"], strict=True)]
        )
        details["std_error"] = se / float(real.mean())
    return MetricResult(
        "tstr_ratio",
        "utility",
        value,
        True,
        details=details,
        bounds=None,
        thresholds=_noise_thresholds("tstr_ratio", details.get("std_error")),
        description=f"{task.main} of a model trained on synthetic rows relative to one trained "
        "on as many real rows (1 = as useful as real data).",
    )


@register_metric("augmentation_gain", "utility", pass_at=0.0, warn_at=-0.01)
def augmentation_gain(ctx: EvalContext) -> MetricResult | None:
    """Test-score gain of training on real + synthetic rows over real rows alone.

    The same model trained on every real training row, then on those rows plus the synthetic
    rows (all of them, or a seeded subsample as large as the real set), both scored on the test
    set. value = mean over seeds of score(real + synthetic) - score(real), in accuracy
    (classification) or R² (regression). Thresholds: pass ≥ 0 (adding the rows does not hurt),
    warn ≥ -0.01 (costs at most one point), or within two standard errors of -0.01 (the test
    set is too small to tell; see the module docstring).
    """
    task = _task(ctx)
    if task is None:
        return None
    n_real, n_syn = len(task.real[1]), len(task.synthetic[1])
    k = min(n_syn, n_real)
    base, mixed = [], []
    for seed in _seeds(ctx):
        syn_x, syn_y = _take(task.synthetic, _rows(n_syn, k, seed))
        base.append(_fit_score(task, ("real", n_real), *task.real, seed))
        x = np.concatenate([task.real[0], syn_x])
        y = np.concatenate([task.real[1], syn_y])
        mixed.append(_fit_score(task, ("real+synthetic", k), x, y, seed))
    gains = np.array([m[task.main] - b[task.main] for m, b in zip(mixed, base, strict=True)])
    se = _paired_se([m[ROWS] - b[ROWS] for m, b in zip(mixed, base, strict=True)])
    return MetricResult(
        "augmentation_gain",
        "utility",
        float(gains.mean()),
        True,
        details={
            **_common(ctx, task),
            "real_rows": n_real,
            "synthetic_rows": k,
            "gain": {"mean": float(gains.mean()), "std": float(gains.std()), "per_seed": gains},
            "std_error": se,
            "real": _summary(base),
            "real+synthetic": _summary(mixed),
        },
        bounds=None,
        thresholds=_noise_thresholds("augmentation_gain", se),
        description=f"Change in test {task.main} when synthetic rows are added to the real "
        "training rows (> 0 = they help).",
    )

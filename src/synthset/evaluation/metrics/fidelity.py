"""Fidelity metrics for tables: does the synthetic data look like the real data?

Six metrics, registered in the order the report shows them:

* ``column_shapes``: per-column distribution similarity (KS / total-variation complement),
* ``pair_trends``: per-pair correlation / contingency similarity,
* ``detection``: how well a classifier separates real from synthetic rows,
* ``missing_values``: similarity of the per-column missing-value rates,
* ``range_coverage``: share of each numeric column's real range the synthetic data spans,
* ``category_coverage``: share of each categorical column's real categories it produces.

Every value lies in [0, 1] and higher is better; 1 is what ``evaluate(real, real)`` gives (the
detection classifier only comes close). ``column_shapes`` and ``pair_trends`` follow SDMetrics'
QualityReport ("Column Shapes", "Column Pair Trends") and agree with it within 0.02 on the
benchmark datasets (``benchmarks/evaluation_vs_sdmetrics.py``); where they deliberately differ,
the metric's docstring says how. A column of more than 100 distinct values is compared on the
values the table synthesizers model plus one ``other`` level (``_category_codes``). Every
computation works on whole columns: value codes,
``np.bincount`` contingency tables and sorted-array CDFs, never a loop over rows.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from synthset.data.spec import ColumnSpec
from synthset.data.transforms.cardinality import OTHER, modelled_values
from synthset.data.transforms.columns import NUMERIC_KINDS, to_numeric
from synthset.evaluation.base import EvalContext, MetricResult, register_metric

N_BINS = 10  # equal-width bins of a numeric column in a contingency table (SDMetrics' default)
# A pair counts towards pair_trends when a table shows a trend this strong (SDMetrics' defaults):
TREND_CORRELATION = 0.5  # |Pearson ρ| above this, for two numeric columns
TREND_ASSOCIATION = 0.3  # Cramér's V above this, for a pair with a categorical column
DETECTION_MAX_ROWS = 20_000  # per side: enough for a stable AUC, small enough for 2 cores
DETECTION_FOLDS = 3
ROC_POINTS = 101
HGB_MAX_CATEGORIES = 255  # HistGradientBoosting's native categorical support stops here
FAMILY = "fidelity"


# --- column encodings shared by the metrics ----------------------------------------------------
def _columns(ctx: EvalContext) -> list[ColumnSpec]:
    """Every column a fidelity metric looks at: all but ids."""
    return [c for c in ctx.spec.columns if c.kind != "id"]


def _is_numeric(col: ColumnSpec) -> bool:
    return col.kind in NUMERIC_KINDS


def _numbers(ctx: EvalContext, col: ColumnSpec) -> tuple[np.ndarray, np.ndarray]:
    """float64 values of a numeric / datetime column in real and synthetic (NaN = missing)."""
    return to_numeric(ctx.real[col.name], col), to_numeric(ctx.synthetic[col.name], col)


def _category_codes(real: pd.Series, synthetic: pd.Series) -> tuple[np.ndarray, np.ndarray, int]:
    """Codes over the union of both columns' values, missing being the last code.

    A high-cardinality column (more than ``MAX_CATEGORIES`` distinct real values) is compared
    on the levels the table synthesizers model: its frequent values
    (:func:`~synthset.data.transforms.cardinality.modelled_values`) and one ``other`` level
    for every rarer real or new synthetic value. Comparing 3,000 airport names value by value
    would only ask whether the synthetic table copied them, which the privacy metrics judge.

    Returns:
        Real codes, synthetic codes and the number of codes (values seen + 1 for missing).
    """
    head = modelled_values(real)
    if head is not None:
        real, synthetic = _pooled(real, head), _pooled(synthetic, head)
    codes, uniques = pd.factorize(pd.concat([real, synthetic], ignore_index=True))
    k = len(uniques)
    codes = np.where(codes < 0, k, codes).astype(np.int64)
    return codes[: len(real)], codes[len(real) :], k + 1


def _pooled(s: pd.Series, head: pd.Index) -> pd.Series:
    """Values outside ``head`` as one ``other`` level (missing values stay missing)."""
    s = s.astype(object)
    return s.where(s.isin(head) | s.isna(), OTHER)


def _bin_codes(x: np.ndarray) -> np.ndarray:
    """``N_BINS`` equal-width bins over the column's own range; missing is bin ``N_BINS``.

    Each table is binned over its own range, as SDMetrics' QualityReport does (pooling both
    tables' ranges reads more natural, but moves the scores up to 0.03 away from SDMetrics' on
    the benchmark datasets, past the 0.02 agreement synthset promises). A range mismatch is
    still seen: ``column_shapes`` and ``range_coverage`` judge it.
    """
    finite = x[np.isfinite(x)]
    lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
    inner = np.linspace(lo, hi, N_BINS + 1)[1:-1]
    codes = np.digitize(x, inner)  # 0 … N_BINS-1, the last bin closed like np.histogram's
    return np.where(np.isnan(x), N_BINS, codes).astype(np.int64)


def _codes(ctx: EvalContext, col: ColumnSpec) -> tuple[np.ndarray, np.ndarray, int]:
    """Discrete codes of any column: binned numbers or categories (missing has its own code)."""
    if _is_numeric(col):
        real, synthetic = _numbers(ctx, col)
        return _bin_codes(real), _bin_codes(synthetic), N_BINS + 1
    return _category_codes(ctx.real[col.name], ctx.synthetic[col.name])


def _frequencies(codes: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(codes, minlength=k) / max(len(codes), 1)


def _no_rows(ctx: EvalContext, name: str) -> MetricResult | None:
    """A NaN result when either table is empty (no distribution to compare), else None."""
    if len(ctx.real) and len(ctx.synthetic):
        return None
    return MetricResult(
        name,
        FAMILY,
        float("nan"),
        True,
        details={"error": "the real or the synthetic data has no rows"},
    )


# --- column shapes -----------------------------------------------------------------------------
def ks_complement(real: np.ndarray, synthetic: np.ndarray) -> float:
    """1 - the two-sample Kolmogorov–Smirnov statistic; missing values are dropped.

    Both empty: 1 (nothing differs); one empty: 0.
    """
    r = np.sort(real[~np.isnan(real)])
    s = np.sort(synthetic[~np.isnan(synthetic)])
    if r.size == 0 or s.size == 0:
        return float(r.size == s.size)
    # The largest CDF gap lies at one of the observed values (as scipy.stats.ks_2samp).
    grid = np.concatenate([r, s])
    gap = np.abs(
        np.searchsorted(r, grid, side="right") / r.size
        - np.searchsorted(s, grid, side="right") / s.size
    )
    return float(1.0 - gap.max())


def tv_complement(real: np.ndarray, synthetic: np.ndarray, k: int) -> float:
    """1 - the total-variation distance of two code arrays' frequencies (codes < ``k``).

    Both empty: 1; one empty: 0 (as ``ks_complement``).
    """
    if len(real) == 0 or len(synthetic) == 0:
        return float(len(real) == len(synthetic))
    return float(1.0 - 0.5 * np.abs(_frequencies(real, k) - _frequencies(synthetic, k)).sum())


@register_metric("column_shapes", FAMILY, pass_at=0.90, warn_at=0.80)
def column_shapes(ctx: EvalContext) -> MetricResult | None:
    """Mean per-column distribution similarity (SDMetrics' "Column Shapes").

    Numeric and datetime columns: KS complement, 1 - the two-sample Kolmogorov–Smirnov
    statistic. Categorical and boolean columns: TV complement, 1 - ½ Σ |p_real − p_synthetic|
    over the categories of both tables. Both drop missing values, as SDMetrics does: a column's
    shape is that of its values, and ``missing_values`` judges the missing rates. (Counting
    missing as a category for the categorical columns only would treat the two kinds unevenly,
    and moved the score 0.025 away from SDMetrics' on penguins, where synthesizers get the
    missing rates wrong.)

    Thresholds (higher is better): pass ≥ 0.90, warn ≥ 0.80, fail below.

    Returns:
        The mean over columns (ids excluded); ``details["columns"][col] = {"score", "method"}``.
        None when there is no column to compare.
    """
    if (empty := _no_rows(ctx, "column_shapes")) is not None:
        return empty
    per_column: dict[str, dict[str, float | str]] = {}
    for col in _columns(ctx):
        if _is_numeric(col):
            per_column[col.name] = {"score": ks_complement(*_numbers(ctx, col)), "method": "ks"}
        else:
            r, s, k = _category_codes(ctx.real[col.name], ctx.synthetic[col.name])
            present = k - 1  # the missing code is the last one
            score = tv_complement(r[r < present], s[s < present], present)
            per_column[col.name] = {"score": score, "method": "tv"}
    if not per_column:
        return None
    value = float(np.mean([v["score"] for v in per_column.values()]))
    return MetricResult(
        "column_shapes",
        FAMILY,
        value,
        True,
        details={"columns": per_column},
        description="Mean similarity of each column's distribution (KS / total-variation "
        "complement).",
    )


# --- pair trends -------------------------------------------------------------------------------
def _pearson(frame: pd.DataFrame) -> np.ndarray:
    """Pearson matrix over pairwise-complete rows (NaN where a column is constant there)."""
    # clipped: rounding can put a perfect correlation a hair outside [-1, 1]
    return np.clip(frame.corr(method="pearson").to_numpy(), -1.0, 1.0)


def _correlation_similarity(rho_real: float, rho_synthetic: float) -> float:
    """1 - |ρ_real - ρ_synthetic| / 2; an undefined ρ (a constant column) counts as 0.

    SDMetrics leaves such a pair out; counting "no linear trend" keeps the score defined,
    symmetric and 1 when both are undefined.
    """
    r = 0.0 if math.isnan(rho_real) else rho_real
    s = 0.0 if math.isnan(rho_synthetic) else rho_synthetic
    return 1.0 - abs(r - s) / 2.0


def _cramers_v(joint: np.ndarray) -> float:
    """Cramér's V of a normalised 2-D contingency table (0 when a margin has one level)."""
    rows, cols = joint.sum(axis=1), joint.sum(axis=0)
    joint = joint[rows > 0][:, cols > 0]
    rows, cols = rows[rows > 0], cols[cols > 0]
    levels = min(len(rows), len(cols))
    if levels < 2:
        return 0.0
    expected = np.outer(rows, cols)
    phi2 = float(((joint - expected) ** 2 / expected).sum())
    return min(1.0, math.sqrt(phi2 / (levels - 1)))


@register_metric("pair_trends", FAMILY, pass_at=0.85, warn_at=0.70)
def pair_trends(ctx: EvalContext) -> MetricResult | None:
    """Mean trend similarity over the column pairs that show a trend (SDMetrics' "Column Pair
    Trends").

    Two numeric / datetime columns: correlation similarity 1 - |ρ_real - ρ_synthetic| / 2
    (Pearson, rows with a missing value in the pair dropped). A pair with a categorical or
    boolean column: contingency similarity, 1 - the total-variation distance of the two
    normalised 2-D contingency tables, numeric columns cut into ``N_BINS`` equal-width bins of
    their own range and missing values kept as a level of their own (as SDMetrics).

    Which pairs count: as SDMetrics 0.32 does, only pairs with a trend worth keeping, |ρ| >
    ``TREND_CORRELATION`` or Cramér's V > ``TREND_ASSOCIATION``; averaging in every pair would
    let the many near-independent pairs, which any synthesizer matches, hide lost trends. Unlike
    SDMetrics, which looks at the real table only, a pair counts when *either* table shows the
    trend, so a trend the synthesizer invents is penalised too and the score is symmetric. When
    no pair shows a trend, every pair counts.

    Thresholds (higher is better): pass ≥ 0.85, warn ≥ 0.70, fail below.

    Returns:
        The mean over the counted pairs. ``details``: ``"pairs"`` (``"a|b"`` → ``"score"``,
        ``"method"``, ``"counted"``), ``"all_pairs"`` (the mean over every pair),
        ``"correlation"`` (the numeric columns' Pearson matrices of both tables) and
        ``"association"`` (the trend strength of every pair in both tables: |ρ| for two numeric
        columns, Cramér's V of the contingency table otherwise). None with fewer than two
        columns.
    """
    if (empty := _no_rows(ctx, "pair_trends")) is not None:
        return empty
    cols = _columns(ctx)
    if len(cols) < 2:
        return None
    numeric = [c for c in cols if _is_numeric(c)]
    pos = {c.name: i for i, c in enumerate(numeric)}
    values = {c.name: _numbers(ctx, c) for c in numeric}
    corr_real = _pearson(pd.DataFrame({n: v[0] for n, v in values.items()}))
    corr_syn = _pearson(pd.DataFrame({n: v[1] for n, v in values.items()}))

    codes = {}  # computed once per column, only where a contingency table needs them
    assoc_real, assoc_syn = np.eye(len(cols)), np.eye(len(cols))
    pairs: dict[str, dict[str, float | str | bool]] = {}
    for (i, a), (j, b) in itertools.combinations(enumerate(cols), 2):
        if _is_numeric(a) and _is_numeric(b):
            rr, rs = corr_real[pos[a.name], pos[b.name]], corr_syn[pos[a.name], pos[b.name]]
            score, method = _correlation_similarity(rr, rs), "correlation"
            ar, as_ = (0.0 if math.isnan(x) else abs(x) for x in (rr, rs))
            trend = max(ar, as_) > TREND_CORRELATION
        else:
            for c in (a, b):
                if c.name not in codes:
                    codes[c.name] = _codes(ctx, c)
            (ra, sa, ka), (rb, sb, kb) = codes[a.name], codes[b.name]
            # A pair's joint code a·kb + b makes the contingency table one bincount.
            p_real = _frequencies(ra * kb + rb, ka * kb)
            p_syn = _frequencies(sa * kb + sb, ka * kb)
            score, method = 1.0 - 0.5 * float(np.abs(p_real - p_syn).sum()), "contingency"
            ar = _cramers_v(p_real.reshape(ka, kb))
            as_ = _cramers_v(p_syn.reshape(ka, kb))
            trend = max(ar, as_) > TREND_ASSOCIATION
        pairs[f"{a.name}|{b.name}"] = {"score": score, "method": method, "counted": trend}
        assoc_real[i, j] = assoc_real[j, i] = ar
        assoc_syn[i, j] = assoc_syn[j, i] = as_
    scores = np.array([p["score"] for p in pairs.values()])
    counted = np.array([p["counted"] for p in pairs.values()])
    if not counted.any():
        counted[:] = True
        for p in pairs.values():
            p["counted"] = True
    details = {
        "pairs": pairs,
        "all_pairs": float(scores.mean()),
        "counted_pairs": int(counted.sum()),
        "correlation": {"columns": list(pos), "real": corr_real, "synthetic": corr_syn},
        "association": {
            "columns": [c.name for c in cols],
            "real": assoc_real,
            "synthetic": assoc_syn,
        },
    }
    return MetricResult(
        "pair_trends",
        FAMILY,
        float(scores[counted].mean()),
        True,
        details=details,
        description="Mean similarity of the column pairs' trends (correlation / contingency "
        "table) over the pairs that show one.",
    )


# --- detection ---------------------------------------------------------------------------------
def _detection_features(
    real: pd.DataFrame, synthetic: pd.DataFrame, cols: list[ColumnSpec]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stacked real + synthetic features for a tree model, and which of them are categorical.

    Numbers stay numbers (NaN is handled natively). Categories become codes over both tables'
    values, missing a code of its own, and are declared categorical; past the model's category
    limit they become frequency ranks, an ordinal feature trees can still split on.
    """
    blocks, categorical = [], []
    for col in cols:
        if _is_numeric(col):
            blocks.append(
                np.concatenate(
                    [to_numeric(real[col.name], col), to_numeric(synthetic[col.name], col)]
                )
            )
            categorical.append(False)
            continue
        r, s, k = _category_codes(real[col.name], synthetic[col.name])
        both = np.concatenate([r, s])
        if k <= HGB_MAX_CATEGORIES:
            blocks.append(both.astype(np.float64))
            categorical.append(True)
        else:
            rank = np.empty(k, dtype=np.float64)
            rank[np.argsort(-np.bincount(both, minlength=k), kind="stable")] = np.arange(k)
            blocks.append(rank[both])
            categorical.append(False)
    x = np.column_stack(blocks)
    y = np.r_[np.zeros(len(real)), np.ones(len(synthetic))].astype(np.int64)
    return x, y, np.array(categorical, dtype=bool)


def _roc_points(fpr: np.ndarray, tpr: np.ndarray, n: int = ROC_POINTS) -> dict[str, list]:
    """The ROC step curve at ``n`` evenly spaced false-positive rates (a small, plottable curve):
    at each rate the best true-positive rate reached without exceeding it."""
    grid = np.linspace(0.0, 1.0, n)
    idx = np.searchsorted(fpr, grid, side="right") - 1
    return {"fpr": grid.tolist(), "tpr": tpr[np.clip(idx, 0, None)].tolist()}


@register_metric("detection", FAMILY, pass_at=0.5, warn_at=0.2)
def detection(ctx: EvalContext) -> MetricResult | None:
    """How hard real and synthetic rows are to tell apart: 1 - (2·max(AUC, 0.5) - 1).

    Equal-size random subsamples of both tables (at most ``DETECTION_MAX_ROWS`` each, seeded by
    ``ctx.seed``) are labelled real / synthetic; a HistGradientBoostingClassifier
    (``max_iter=100``, ``random_state=ctx.seed``, native categorical features) predicts the
    label in 3-fold stratified cross-validation, and the out-of-fold probabilities give the
    ROC AUC. 1 means indistinguishable (AUC 0.5), 0 perfectly separable (AUC 1). Even identical
    tables score a little below 1: an overfitting classifier reaches an AUC slightly off 0.5.

    Thresholds (higher is better): pass ≥ 0.5 (AUC ≤ 0.75), warn ≥ 0.2 (AUC ≤ 0.9).

    Returns:
        The score; ``details``: ``"auc"``, ``"roc"`` (``"fpr"``, ``"tpr"`` at ``ROC_POINTS``
        rates), ``"folds"``, ``"rows"`` (per side). None when there is no column.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score, roc_curve
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    if (empty := _no_rows(ctx, "detection")) is not None:
        return empty
    cols = _columns(ctx)
    if not cols:
        return None
    n = min(len(ctx.real), len(ctx.synthetic), DETECTION_MAX_ROWS)
    if n < DETECTION_FOLDS:
        return MetricResult(
            "detection",
            FAMILY,
            float("nan"),
            True,
            details={"error": f"needs at least {DETECTION_FOLDS} rows of each table, got {n}"},
        )
    rng = np.random.default_rng(ctx.seed)
    real = ctx.real.iloc[np.sort(rng.choice(len(ctx.real), n, replace=False))]
    syn = ctx.synthetic.iloc[np.sort(rng.choice(len(ctx.synthetic), n, replace=False))]
    x, y, categorical = _detection_features(real, syn, cols)
    model = HistGradientBoostingClassifier(
        max_iter=100,
        random_state=ctx.seed,
        categorical_features=categorical if categorical.any() else None,
    )
    folds = StratifiedKFold(DETECTION_FOLDS, shuffle=True, random_state=ctx.seed)
    proba = cross_val_predict(model, x, y, cv=folds, method="predict_proba")[:, 1]
    auc = float(roc_auc_score(y, proba))
    fpr, tpr, _ = roc_curve(y, proba)
    value = 1.0 - (2.0 * max(auc, 0.5) - 1.0)
    return MetricResult(
        "detection",
        FAMILY,
        value,
        True,
        details={"auc": auc, "roc": _roc_points(fpr, tpr), "folds": DETECTION_FOLDS, "rows": n},
        description="How hard a classifier finds it to tell real from synthetic rows "
        "(1 - normalised cross-validated ROC AUC).",
    )


# --- missing values and coverage ---------------------------------------------------------------
@register_metric("missing_values", FAMILY, pass_at=0.98, warn_at=0.95)
def missing_values(ctx: EvalContext) -> MetricResult | None:
    """1 - the mean over columns of |missing rate real - missing rate synthetic|.

    Thresholds (higher is better): pass ≥ 0.98, warn ≥ 0.95, fail below.

    Returns:
        The score; ``details["columns"][col] = {"real", "synthetic", "score"}`` (rates and
        1 - their difference). None when there is no column (ids excluded).
    """
    if (empty := _no_rows(ctx, "missing_values")) is not None:
        return empty
    names = [c.name for c in _columns(ctx)]
    if not names:
        return None
    real = ctx.real[names].isna().mean().to_numpy(dtype=np.float64)
    syn = ctx.synthetic[names].isna().mean().to_numpy(dtype=np.float64)
    scores = 1.0 - np.abs(real - syn)
    per_column = {
        n: {"real": float(r), "synthetic": float(s), "score": float(v)}
        for n, r, s, v in zip(names, real, syn, scores, strict=True)
    }
    return MetricResult(
        "missing_values",
        FAMILY,
        float(scores.mean()),
        True,
        details={"columns": per_column},
        description="Similarity of each column's missing-value rate.",
    )


def _range_coverage(real: np.ndarray, synthetic: np.ndarray) -> float | None:
    """Share of real [min, max] inside synthetic [min, max]; None if real has no values.

    A constant real column is covered when the synthetic range contains its value.
    """
    r, s = real[np.isfinite(real)], synthetic[np.isfinite(synthetic)]
    if r.size == 0:
        return None
    if s.size == 0:
        return 0.0
    lo, hi, s_lo, s_hi = r.min(), r.max(), s.min(), s.max()
    if hi == lo:
        return float(s_lo <= lo <= s_hi)
    return float(np.clip((min(hi, s_hi) - max(lo, s_lo)) / (hi - lo), 0.0, 1.0))


@register_metric("range_coverage", FAMILY, pass_at=0.9, warn_at=0.7)
def range_coverage(ctx: EvalContext) -> MetricResult | None:
    """Mean share of each numeric / datetime column's real [min, max] the synthetic range spans.

    Per column: |[min_real, max_real] ∩ [min_syn, max_syn]| / (max_real - min_real), in [0, 1];
    missing values ignored. Columns the real data has no value in are left out.

    Thresholds (higher is better): pass ≥ 0.9, warn ≥ 0.7, fail below.

    Returns:
        The mean; ``details["columns"][col] = {"score", "real": [min, max],
        "synthetic": [min, max]}``. None when there is no numeric column with values.
    """
    if (empty := _no_rows(ctx, "range_coverage")) is not None:
        return empty
    per_column = {}
    for col in _columns(ctx):
        if not _is_numeric(col):
            continue
        r, s = _numbers(ctx, col)
        score = _range_coverage(r, s)
        if score is not None:
            per_column[col.name] = {"score": score, "real": _min_max(r), "synthetic": _min_max(s)}
    if not per_column:
        return None
    return MetricResult(
        "range_coverage",
        FAMILY,
        float(np.mean([v["score"] for v in per_column.values()])),
        True,
        details={"columns": per_column},
        description="Share of each numeric column's real range the synthetic values span.",
    )


def _min_max(x: np.ndarray) -> list[float | None]:
    x = x[np.isfinite(x)]
    return [float(x.min()), float(x.max())] if x.size else [None, None]


@register_metric("category_coverage", FAMILY, pass_at=0.95, warn_at=0.8)
def category_coverage(ctx: EvalContext) -> MetricResult | None:
    """Mean share of each categorical / boolean column's real categories found in synthetic.

    Missing values are not a category here (``missing_values`` judges them). Columns without a
    real value are left out.

    Thresholds (higher is better): pass ≥ 0.95, warn ≥ 0.8, fail below.

    Returns:
        The mean; ``details["columns"][col] = {"score", "categories", "missing"}`` (how many
        real categories, and up to 20 of those the synthetic data lacks). None when there is
        no categorical column with values.
    """
    if (empty := _no_rows(ctx, "category_coverage")) is not None:
        return empty
    per_column = {}
    for col in _columns(ctx):
        if _is_numeric(col):
            continue
        # a high-cardinality column: the values a synthesizer models (rare ones it must not copy)
        seen = modelled_values(ctx.real[col.name])
        if seen is None:
            seen = pd.Index(pd.unique(ctx.real[col.name].dropna()))
        if len(seen) == 0:
            continue
        found = seen.isin(pd.unique(ctx.synthetic[col.name].dropna()))
        per_column[col.name] = {
            "score": float(found.mean()),
            "categories": len(seen),
            "missing": [_plain(v) for v in seen[~found][:20]],
        }
    if not per_column:
        return None
    return MetricResult(
        "category_coverage",
        FAMILY,
        float(np.mean([v["score"] for v in per_column.values()])),
        True,
        details={"columns": per_column},
        description="Share of each categorical column's real categories the synthetic data "
        "produces.",
    )


def _plain(v: object) -> object:
    """A JSON-friendly scalar (numpy scalars to Python, anything exotic to its string)."""
    if isinstance(v, np.generic):
        return v.item()
    return v if isinstance(v, (str, int, float, bool)) else str(v)

"""Privacy attacks on a synthetic table, each measured against a holdout baseline.

Four attackers use the synthetic rows to learn about the real rows the synthesizer trained on.
Each runs twice, once against training rows (members) and once against holdout rows the
synthesizer never saw, so that what the synthetic data reveals about *everyone* (population
statistics, the point of synthetic data) is told apart from what it reveals about its *training*
rows:

* ``membership_inference_density``: the density-ratio attack of DOMIAS (van Breugel et al.,
  AISTATS 2023). A member candidate is scored by ``p_synthetic(x) / p_reference(x)``: a
  synthesizer that overfits puts more synthetic mass at its training rows than the population
  has there. Value: the ROC AUC (0.5 = no leak).
* ``attribute_inference``, ``singling_out``, ``linkability``: the three attacks of anonymeter
  (Giomi et al., PoPETs 2023), after the Article 29 Working Party's three risks. Value: the
  residual risk ``(success_train - success_holdout) / (1 - success_holdout)``, clipped to
  [0, 1]; 0 means the synthetic data helps the attacker no more against training rows than
  against anyone else.

Confidence intervals (95%) are in ``details["ci_low"]`` / ``details["ci_high"]``: the AUC's from a
seeded, stratified bootstrap over the candidates (``auc ± 1.96 · bootstrap standard error``); the
risks' as anonymeter computes them, from the error of each success rate (Wilson score; the
standard error of singling out's size-matched baseline) propagated through the risk formula
(``risk ± margin``), both clipped to [0, 1]. ``details`` also holds the success rates, the rows
used and the seed.

Nearest-neighbour attacks use Euclidean distances on :class:`MixedEncoder` encodings of the
columns the attacker knows (numeric columns scaled by the real range, a categorical mismatch
adds 1 to the squared distance), found exactly with blocked torch matrix products; the synthetic
rows are shuffled by the seed first, so that ties break at random rather than by row order.
Every random choice derives from ``ctx.seed``; targets are capped at ``MAX_TARGETS`` per side.
On adult's full splits (32,561 training, 16,281 holdout and 32,561 synthetic rows) the four
attacks take 12 s of one CPU thread together, 2-4 s each (linkability, with four neighbour
searches, the longest); on an 80/20 cut of the training split, 1.5-3 s each.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from scipy.stats import norm, rankdata

from synthset.evaluation.base import EvalContext, MetricResult, MixedEncoder, register_metric
from synthset.utils import derive_seed, make_rng

CONFIDENCE = 0.95
MAX_TARGETS = 5_000  # members and as many non-members / attacked rows per side
MAX_SEARCH_ROWS = 50_000  # synthetic rows searched for neighbours (a seeded subsample beyond)
MAX_POPULATION_ROWS = 50_000  # training / holdout rows the singling-out queries are counted in
BOOTSTRAP = 200  # stratified bootstrap resamples behind the AUC's interval
INFERENCE_TOLERANCE = 0.05  # a numeric guess within 5% of the true value counts as correct
SINGLING_OUT_QUERIES = 2_000  # queries per singling-out mode (univariate, multivariate)
SINGLING_OUT_COLUMNS = 3  # conditions in a multivariate singling-out query (anonymeter's n_cols)
SINGLING_OUT_ATTEMPTS = 300_000  # candidate multivariate queries tried at most
LINK_NEIGHBORS = (1, 5, 10)  # neighbours per side a link may use; the first is the headline
QUERY_BLOCK = 2_048
REFERENCE_BLOCK = 8_192

# one child seed per purpose, so that changing one attack never moves another's sample
_SEED = {"density": 11, "inference": 12, "singling_out": 13, "linkability": 14, "search": 15}
_EQ, _LE, _GE, _ISNA = 0, 1, 2, 3  # singling-out condition operators


# --- shared statistics -------------------------------------------------------------------------
def success_rate(n_success: float, n_total: int, confidence: float = CONFIDENCE):
    """Wilson score estimate of a success rate and its error bound (Wilson 1927).

    Returns:
        ``(rate, error)``: the interval's centre and half-width, as anonymeter reports them
        (the centre shrinks the raw share slightly towards 0.5; at hundreds of trials the
        difference is negligible).
    """
    if n_total <= 0:
        return float("nan"), float("nan")
    z = float(norm.ppf(0.5 * (1.0 + confidence)))
    denom = n_total + z * z
    rate = (n_success + 0.5 * z * z) / denom
    var = max(n_success * (n_total - n_success) / n_total, 0.0)
    return rate, (z / denom) * math.sqrt(var + 0.25 * z * z)


def residual_risk(attack: tuple[float, float], control: tuple[float, float], **extra) -> dict:
    """Risk ``(attack - control) / (1 - control)`` from two success rates and their errors.

    The error bound is propagated from both rates' errors (first order, in quadrature, as
    anonymeter does); the value and the interval ``value ± error`` are clipped to [0, 1].

    Args:
        attack: ``(rate, error)`` of the attack on training rows.
        control: ``(rate, error)`` of the same attack on holdout rows.
        **extra: counts to keep beside the rates in the returned dict.

    Returns:
        ``{"value", "ci_low", "ci_high", "residual", "margin", "attack_rate", "control_rate",
        ...}`` (``residual``: the unclipped risk; ``margin``: the interval's half-width);
        ``value`` is NaN (with ``"error_reason"``) when the control attack always
        succeeds, which leaves no margin to measure a risk in.
    """
    a, da = attack
    c, dc = min(max(control[0], 0.0), 1.0), control[1]
    out = {
        "attack_rate": a,
        "attack_rate_error": da,
        "control_rate": c,
        "control_rate_error": dc,
        **extra,
    }
    if not (c < 1.0) or math.isnan(a):
        nan = float("nan")
        reason = "the attack on holdout rows always succeeds: no margin to measure a risk in"
        return {"value": nan, "ci_low": nan, "ci_high": nan, "error_reason": reason, **out}
    residual = (a - c) / (1.0 - c)
    error = math.hypot(da / (1.0 - c), dc * (a - 1.0) / (1.0 - c) ** 2)

    def clip(v: float) -> float:
        return min(max(v, 0.0), 1.0)

    return {
        "value": clip(residual),
        "ci_low": clip(residual - error),
        "ci_high": clip(residual + error),
        "residual": residual,
        "margin": error,
        **out,
    }


def count_risk(n_attack: int, n_attack_total: int, n_control: int, n_control_total: int) -> dict:
    """:func:`residual_risk` of two success counts, each rate a Wilson score estimate."""
    return residual_risk(
        success_rate(n_attack, n_attack_total),
        success_rate(n_control, n_control_total),
        attack_successes=int(n_attack),
        attacks=int(n_attack_total),
        control_successes=int(n_control),
        control_attacks=int(n_control_total),
    )


def auc_with_ci(
    scores_pos: np.ndarray, scores_neg: np.ndarray, seed: int
) -> tuple[float, float, float, float]:
    """ROC AUC (ties count half) and a 95% interval from a stratified bootstrap.

    Returns:
        ``(auc, std_error, ci_low, ci_high)`` with the interval ``auc ± z · std_error`` clipped
        to [0, 1]; members and non-members are resampled separately, ``BOOTSTRAP`` times.
    """
    n_pos, n_neg = len(scores_pos), len(scores_neg)
    auc = _auc(np.r_[scores_pos, scores_neg][None, :], n_pos)[0]
    rng = make_rng(seed)
    pos = scores_pos[rng.integers(0, n_pos, (BOOTSTRAP, n_pos))]
    neg = scores_neg[rng.integers(0, n_neg, (BOOTSTRAP, n_neg))]
    se = float(np.std(_auc(np.concatenate([pos, neg], 1), n_pos), ddof=1))
    z = float(norm.ppf(0.5 * (1.0 + CONFIDENCE)))
    return auc, se, max(auc - z * se, 0.0), min(auc + z * se, 1.0)


def _auc(scores: np.ndarray, n_pos: int) -> np.ndarray:
    """Mann-Whitney AUC of each row of ``scores`` whose first ``n_pos`` entries are positives."""
    n_neg = scores.shape[1] - n_pos
    ranks = rankdata(scores, axis=1)
    return (ranks[:, :n_pos].sum(1) - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


# --- shared plumbing ---------------------------------------------------------------------------
def _seed(ctx: EvalContext, purpose: str) -> int:
    return int(derive_seed(ctx.seed, _SEED[purpose]))


def _has_holdout(ctx: EvalContext) -> bool:
    return ctx.holdout is not None and len(ctx.holdout) > 0


def _attack_columns(ctx: EvalContext) -> list[str]:
    return [c.name for c in ctx.spec.columns if c.kind != "id"]


def _encoded(ctx: EvalContext, columns: Sequence[str], which: str) -> np.ndarray:
    """float32 :class:`MixedEncoder` encoding of ``columns`` of ``real``/``synthetic``/
    ``holdout`` (cached per column set)."""
    cache = ctx.__dict__.setdefault("_attack_encodings", {})
    key = tuple(columns)
    if key not in cache:
        others = tuple(c.name for c in ctx.spec.columns if c.name not in key)
        cache[key] = {"encoder": MixedEncoder(ctx.real, ctx.spec, exclude=others)}
    entry = cache[key]
    if which not in entry:
        frame = {"real": ctx.real, "synthetic": ctx.synthetic, "holdout": ctx.holdout}[which]
        entry[which] = entry["encoder"].transform(frame)
    return entry[which]


def _search_rows(ctx: EvalContext) -> np.ndarray:
    """Positions of the synthetic rows searched, in a seeded random order (ties break at
    random), at most ``MAX_SEARCH_ROWS``."""
    rng = make_rng(_seed(ctx, "search"))
    return rng.permutation(len(ctx.synthetic))[:MAX_SEARCH_ROWS]


def _targets(ctx: EvalContext, purpose: str) -> tuple[np.ndarray, np.ndarray]:
    """Seeded positions of the attacked training and holdout rows, as many on each side."""
    n = min(MAX_TARGETS, len(ctx.real), len(ctx.holdout))
    rng = make_rng(_seed(ctx, purpose))
    return (
        np.sort(rng.choice(len(ctx.real), n, replace=False)),
        np.sort(rng.choice(len(ctx.holdout), n, replace=False)),
    )


def _rows(ctx: EvalContext, **used: int) -> dict:
    """Row counts for ``details``: the sizes given and the sizes the attack used."""
    given = {
        "real": len(ctx.real),
        "synthetic": len(ctx.synthetic),
        "holdout": None if ctx.holdout is None else len(ctx.holdout),
    }
    return {"given": given, "used": used}


def nearest_indices(query: np.ndarray, reference: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` nearest reference rows of every query row (Euclidean, nearest
    first).

    Args:
        query: ``(n, d)`` rows.
        reference: ``(m, d)`` rows, ``m >= 1``.
        k: neighbours wanted (at most ``m`` are returned).

    Returns:
        ``(n, min(k, m))`` int64 positions into ``reference``.
    """
    q_all = torch.from_numpy(np.ascontiguousarray(query, dtype=np.float32))
    r_all = torch.from_numpy(np.ascontiguousarray(reference, dtype=np.float32))
    k = min(k, len(r_all))
    r_sq = (r_all * r_all).sum(1)
    out = np.empty((len(q_all), k), dtype=np.int64)
    with torch.no_grad():
        for i in range(0, len(q_all), QUERY_BLOCK):
            q = q_all[i : i + QUERY_BLOCK]
            best_v = best_i = None
            for j in range(0, len(r_all), REFERENCE_BLOCK):
                r = r_all[j : j + REFERENCE_BLOCK]
                # |r|² - 2 q·r orders the reference rows by distance (|q|² is constant per row)
                d = torch.addmm(r_sq[j : j + REFERENCE_BLOCK][None, :], q, r.T, alpha=-2.0)
                v, idx = torch.topk(d, min(k, len(r)), dim=1, largest=False)
                idx = idx + j
                if best_v is not None:
                    v, pick = torch.topk(torch.cat([best_v, v], 1), k, dim=1, largest=False)
                    idx = torch.cat([best_i, idx], 1).gather(1, pick)
                best_v, best_i = v, idx
            # the topk of merged blocks is not ordered: sort by the exact distances
            exact = (q[:, None, :] - r_all[best_i]).pow(2).sum(2)
            order = torch.sort(exact, dim=1, stable=True).indices
            out[i : i + len(q)] = best_i.gather(1, order).numpy()
    return out


def _risk_result(name: str, risk: dict, details: dict, description: str) -> MetricResult:
    if "error_reason" in risk:
        details = {**details, "error": risk["error_reason"]}
    return MetricResult(
        name,
        "privacy",
        risk["value"],
        False,
        details={**details, **{k: v for k, v in risk.items() if k not in ("value",)}},
        description=description,
    )


# --- membership inference: DOMIAS density ratio ------------------------------------------------
DISTANCE_FLOOR = 1e-6  # added to nearest-neighbour distances so that copies score finitely


@register_metric("membership_inference_density", "privacy", pass_at=0.55, warn_at=0.65)
def membership_inference_density(ctx: EvalContext) -> MetricResult | None:
    """ROC AUC of the DOMIAS density-ratio attack on training membership.

    The holdout is split in two random halves: one is the attacker's reference data (real rows
    the synthesizer did not see), the other the non-member candidates; as many training rows are
    the member candidates (at most ``MAX_TARGETS`` each). DOMIAS scores a candidate by
    ``p_synthetic(x) / p_reference(x)``: a synthesizer that overfits puts more synthetic mass at
    its training rows than the population has there, and dividing by the reference density
    discounts rows that are merely typical (which the plain distance attack,
    ``membership_inference``, cannot). Both densities are nearest-neighbour estimates on the
    mixed-type encoding (:meth:`EvalContext.matrix`), ``p(x) ∝ 1 / (n · r(x)^d)`` with ``r``
    the distance to the nearest row, so the score is ``d · (log r_reference - log
    r_synthetic)`` plus a constant; the AUC does not depend on ``d`` or the constant, and the
    score is reported as the log distance ratio. (Gaussian kernel densities in 5-20 principal
    components, DOMIAS's own estimator, scored AUC 0.54-0.59 on adult for a synthetic set that
    *is* the training set: a kernel wide enough for a smooth density hides single copied rows;
    the nearest-neighbour estimate scores 1.00.) 0.5 means the attack learns nothing.
    Thresholds as ``membership_inference``: pass ≤ 0.55, warn ≤ 0.65. ``details`` holds the
    95% interval (stratified bootstrap), the true-positive rates at 1% and 10% false
    positives and 101 points of the ROC curve. Needs a holdout of at least 4 rows.
    """
    from sklearn.metrics import roc_curve

    from synthset.evaluation.metrics.privacy import nearest_two

    if not _has_holdout(ctx) or len(ctx.holdout) < 4 or len(ctx.synthetic) == 0:
        return None
    seed = _seed(ctx, "density")
    rng = make_rng(seed)
    hold = ctx.matrix("holdout")
    perm = rng.permutation(len(hold))
    half = len(hold) // 2
    reference = hold[perm[:half][:MAX_SEARCH_ROWS]]
    n = min(MAX_TARGETS, len(hold) - half, len(ctx.real))
    members = ctx.matrix("real")[np.sort(rng.choice(len(ctx.real), n, replace=False))]
    candidates = np.concatenate([members, hold[perm[half:][:n]]])
    synthetic = ctx.matrix("synthetic")[_search_rows(ctx)]
    r_syn, _ = nearest_two(candidates, synthetic)
    r_ref, _ = nearest_two(candidates, reference)
    scores = np.log(r_ref + DISTANCE_FLOOR) - np.log(r_syn + DISTANCE_FLOOR)

    auc, se, lo, hi = auc_with_ci(scores[:n], scores[n:], seed + 1)
    fpr, tpr, _ = roc_curve(np.r_[np.ones(n), np.zeros(n)], scores)
    grid = np.linspace(0.0, 1.0, 101)
    return MetricResult(
        "membership_inference_density",
        "privacy",
        auc,
        False,
        details={
            "ci_low": lo,
            "ci_high": hi,
            "std_error": se,
            "tpr_at_fpr_0.01": float(np.interp(0.01, fpr, tpr)),
            "tpr_at_fpr_0.1": float(np.interp(0.1, fpr, tpr)),
            "roc": {"fpr": grid, "tpr": np.interp(grid, fpr, tpr)},
            "median_log_ratio": {
                "members": float(np.median(scores[:n])),
                "non_members": float(np.median(scores[n:])),
            },
            "bootstrap": BOOTSTRAP,
            "seed": ctx.seed,
            "rows": _rows(
                ctx,
                members=n,
                non_members=n,
                reference=len(reference),
                synthetic=len(synthetic),
            ),
        },
        description="ROC AUC of an attacker guessing training membership from the ratio of "
        "the synthetic to the population density at a row (DOMIAS; 0.5 = no leak).",
    )


# --- attribute inference -----------------------------------------------------------------------
def _secret_values(ctx: EvalContext, frame: pd.DataFrame) -> np.ndarray:
    """The sensitive column as float64: numbers as themselves, categories as codes of one shared
    index (NaN: missing)."""
    from synthset.data.transforms.columns import NUMERIC_KINDS, to_numeric

    col = ctx.spec[ctx.sensitive]
    if col.kind in NUMERIC_KINDS:
        return to_numeric(frame[col.name], col)
    return _category_codes(ctx, col.name, frame)


def inference_correct(guess: np.ndarray, truth: np.ndarray, numeric: bool) -> np.ndarray:
    """Which guesses are right: equal codes, or for numbers within ``INFERENCE_TOLERANCE`` of the
    true value relative to it (an exact match when it is 0); two missing values match."""
    both_missing = np.isnan(guess) & np.isnan(truth)
    with np.errstate(invalid="ignore"):
        if numeric:
            hit = np.abs(guess - truth) <= INFERENCE_TOLERANCE * np.abs(truth)
        else:
            hit = guess == truth
    return both_missing | hit


@register_metric("attribute_inference", "privacy", pass_at=0.10, warn_at=0.25)
def attribute_inference(ctx: EvalContext) -> MetricResult | None:
    """Risk that the synthetic data reveals the sensitive column of its training rows.

    The attacker knows every other (non-id) column of a target row and guesses its sensitive
    value as that of the nearest synthetic row on those columns (anonymeter's inference
    attack). A categorical guess is right when equal; a numeric one when within 5% of the true
    value (relative to it; exact when the true value is 0). The attack runs on up to
    ``MAX_TARGETS`` training rows and as many holdout rows; the holdout success is what the
    synthetic data lets anyone infer from population statistics, so value = (success on training
    rows - success on holdout rows) / (1 - success on holdout rows), clipped at 0, with a 95%
    interval from Wilson rates (propagated as anonymeter does). Thresholds: pass ≤ 0.10, warn ≤
    0.25. Dividing by 1 - success on holdout rows magnifies noise when the column is easy to
    guess: on adult (income guessed right for ~79% of rows) the risk of a synthetic set of real
    rows the synthesizer never saw has a standard deviation of 0.04 over 20 draws at 5,000
    targets, so 0.10 lets a leak-free synthesizer pass; a set with half its rows copied from
    the training rows scores 0.53.
    Needs a holdout and ``sensitive`` (``evaluate(..., sensitive=...)``,
    ``synthset evaluate --sensitive``); ``details["random_guess_rate"]`` is the success of
    guessing a random synthetic row's value.
    """
    from synthset.data.transforms.columns import NUMERIC_KINDS

    if ctx.sensitive is None or not _has_holdout(ctx) or len(ctx.synthetic) == 0:
        return None
    aux = [c for c in _attack_columns(ctx) if c != ctx.sensitive]
    if not aux:
        return MetricResult(
            "attribute_inference",
            "privacy",
            float("nan"),
            False,
            details={"error": "no column besides the sensitive one to match rows on"},
        )
    numeric = ctx.spec[ctx.sensitive].kind in NUMERIC_KINDS
    train_rows, hold_rows = _targets(ctx, "inference")
    search = _search_rows(ctx)
    details: dict = {
        "sensitive": ctx.sensitive,
        "known_columns": aux,
        "tolerance": INFERENCE_TOLERANCE if numeric else None,
        "seed": ctx.seed,
        "rows": _rows(
            ctx,
            train_targets=len(train_rows),
            holdout_targets=len(hold_rows),
            synthetic=len(search),
        ),
    }
    syn_secret = _secret_values(ctx, ctx.synthetic)[search]
    syn_x = _encoded(ctx, aux, "synthetic")[search]
    successes = {}
    for side, which, rows in (("train", "real", train_rows), ("holdout", "holdout", hold_rows)):
        nearest = nearest_indices(_encoded(ctx, aux, which)[rows], syn_x, 1)[:, 0]
        truth = _secret_values(ctx, getattr(ctx, which))[rows]
        successes[side] = int(inference_correct(syn_secret[nearest], truth, numeric).sum())
    rng = make_rng(_seed(ctx, "inference") + 1)
    guess = syn_secret[rng.integers(0, len(syn_secret), len(train_rows))]
    truth = _secret_values(ctx, ctx.real)[train_rows]
    details["random_guess_rate"] = float(inference_correct(guess, truth, numeric).mean())
    risk = count_risk(successes["train"], len(train_rows), successes["holdout"], len(hold_rows))
    return _risk_result(
        "attribute_inference",
        risk,
        details,
        f"Excess success of inferring {ctx.sensitive!r} from a row's other columns via its "
        "nearest synthetic row, on training rows over holdout rows (0 = no leak).",
    )


# --- singling out ------------------------------------------------------------------------------
class _Population:
    """Non-id columns of a frame as a float64 matrix (numbers as themselves, categories as codes
    of one index shared by every frame, NaN for missing), duplicate rows dropped (anonymeter
    counts a record once). Stored column-major: ``values[c]`` is column ``c``."""

    def __init__(self, ctx: EvalContext, frame: pd.DataFrame, cap: int, seed: int):
        from synthset.data.transforms.columns import NUMERIC_KINDS, to_numeric

        cols = {}
        for c in ctx.spec.columns:
            if c.kind == "id":
                continue
            if c.kind in NUMERIC_KINDS:
                cols[c.name] = to_numeric(frame[c.name], c)
            else:
                cols[c.name] = _category_codes(ctx, c.name, frame)
        table = pd.DataFrame(cols).drop_duplicates()  # NaNs compare equal here
        self.rows_given = len(frame)
        self.rows_unique = len(table)
        x = table.to_numpy(dtype=np.float64)
        if len(x) > cap:
            x = x[np.sort(make_rng(seed).choice(len(x), cap, replace=False))]
        self.values = np.ascontiguousarray(x.T)  # (columns, rows)

    def __len__(self) -> int:
        return self.values.shape[1]


def _category_codes(ctx: EvalContext, name: str, frame: pd.DataFrame) -> np.ndarray:
    """float64 codes of column ``name`` of ``frame`` in one index of the values of every input
    (so that equal values get equal codes across frames); NaN for missing values."""
    cache = ctx.__dict__.setdefault("_category_index", {})
    if name not in cache:
        frames = [ctx.real, ctx.synthetic] + ([ctx.holdout] if _has_holdout(ctx) else [])
        cache[name] = pd.Index(pd.unique(pd.concat([f[name] for f in frames]).dropna()))
    codes = cache[name].get_indexer(frame[name]).astype(np.float64)
    codes[codes < 0] = np.nan
    return codes


def query_masks(
    values: np.ndarray, cols: np.ndarray, ops: np.ndarray, vals: np.ndarray
) -> np.ndarray:
    """Which rows each query matches: the AND of its conditions, vectorised per column.

    Args:
        values: ``(columns, rows)`` population (column-major).
        cols, ops, vals: ``(q, k)`` column positions (distinct within a query), operators
            (``_EQ``, ``_LE``, ``_GE``, ``_ISNA``) and values of ``q`` queries of ``k``
            conditions.

    Returns:
        ``(q, rows)`` boolean matches.
    """
    mask = np.ones((len(cols), values.shape[1]), dtype=bool)
    with np.errstate(invalid="ignore"):
        # one broadcast comparison per (column, operator): no gathered copies of the columns
        for c in np.unique(cols):
            q_idx, slot = np.nonzero(cols == c)
            x = values[c][None, :]
            for op in np.unique(ops[q_idx, slot]):
                pick = ops[q_idx, slot] == op
                sel, v = q_idx[pick], vals[q_idx[pick], slot[pick], None]
                if op == _EQ:
                    hit = x == v
                elif op == _LE:
                    hit = x <= v
                elif op == _GE:
                    hit = x >= v
                else:
                    hit = np.broadcast_to(np.isnan(x), (len(sel), x.shape[1]))
                mask[sel] &= hit
    return mask


def query_counts(
    pop: np.ndarray, cols: np.ndarray, ops: np.ndarray, vals: np.ndarray
) -> np.ndarray:
    """Rows of ``pop`` each query matches, in blocks of queries (bounded memory)."""
    block = max(1, 2**24 // max(pop.shape[1], 1))
    return np.concatenate(
        [
            query_masks(pop, cols[i : i + block], ops[i : i + block], vals[i : i + block]).sum(1)
            for i in range(0, len(cols), block)
        ]
        or [np.zeros(0, dtype=np.int64)]
    )


def _unique_queries(cols, ops, vals) -> np.ndarray:
    """Positions of the first occurrence of each distinct query (NaN values compare equal)."""
    if len(cols) == 0:
        return np.zeros(0, dtype=np.int64)
    frame = pd.DataFrame(np.concatenate([cols, ops, vals], axis=1))
    return np.flatnonzero(~frame.duplicated().to_numpy())


def univariate_queries(syn: _Population, numeric: np.ndarray, n: int, rng) -> tuple:
    """Up to ``n`` one-condition queries that single out one synthetic row: a value seen once,
    the minimum / maximum of a numeric column, or the only missing value of a column
    (anonymeter's univariate attack), in a seeded random order."""
    parts: list[tuple] = []  # (columns, operators, values) of one kind of condition
    for c, x in enumerate(syn.values):
        miss = np.isnan(x)
        if miss.sum() == 1:
            parts.append(([c], [_ISNA], [np.nan]))
        x = x[~miss]
        if len(x) == 0:
            continue
        uniq, counts = np.unique(x, return_counts=True)
        rare = uniq[counts == 1]
        parts.append((np.full(len(rare), c), np.full(len(rare), _EQ), rare))
        if numeric[c]:
            parts.append(([c, c], [_LE, _GE], [uniq[0], uniq[-1]]))
    if not parts:
        return np.zeros((0, 1), np.int64), np.zeros((0, 1), np.int8), np.zeros((0, 1))
    cols_a, ops_a, vals_a = (
        np.concatenate([p[i] for p in parts]).astype(dtype)[:, None]
        for i, dtype in enumerate((np.int64, np.int8, np.float64))
    )
    keep = _unique_queries(cols_a, ops_a, vals_a)
    keep = keep[rng.permutation(len(keep))]
    cols_a, ops_a, vals_a = cols_a[keep], ops_a[keep], vals_a[keep]
    # rare values single out by construction; an extreme only when it is not tied
    ok = np.flatnonzero(_count_k1(syn.values, cols_a[:, 0], ops_a[:, 0], vals_a[:, 0]) == 1)[:n]
    return cols_a[ok], ops_a[ok], vals_a[ok]


def _count_k1(values: np.ndarray, cols: np.ndarray, ops: np.ndarray, vals: np.ndarray):
    """Match counts of one-condition queries by binary search on each sorted column."""
    out = np.zeros(len(cols), dtype=np.int64)
    for c in np.unique(cols):
        sel = np.flatnonzero(cols == c)
        x = values[c]
        s = np.sort(x[~np.isnan(x)])
        v, op = vals[sel], ops[sel]
        left, right = np.searchsorted(s, v, "left"), np.searchsorted(s, v, "right")
        out[sel] = np.select(
            [op == _EQ, op == _LE, op == _GE],
            [right - left, right, len(s) - left],
            default=np.isnan(x).sum(),
        )
    return out


def multivariate_queries(
    syn: _Population, numeric: np.ndarray, n: int, k: int, rng, max_attempts: int
) -> tuple:
    """Up to ``n`` distinct queries of ``k`` conditions that single out one synthetic row.

    Each candidate takes a random synthetic row and ``k`` random columns (anonymeter's
    multivariate attack): ``== value`` for a category, ``>= value`` for a number above the
    column's median and ``<= value`` otherwise, ``is missing`` for a missing value; the search
    stops early when three batches in a row bring no new query (a small table is exhausted).
    Candidates are drawn in batches; one that matches two rows of a random subsample (64, 128,
    256, ... rows) cannot single out and is dropped before the exact count over every synthetic
    row.

    Returns:
        ``(cols, ops, vals, attempts)``.
    """
    n_cols, n_rows = syn.values.shape
    k = min(k, n_cols)
    with np.errstate(all="ignore"):
        medians = np.array([np.nanmedian(x) if np.isfinite(x).any() else 0.0 for x in syn.values])
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    seen = pd.DataFrame(columns=range(3 * k), dtype=float)
    # subsample sizes 64, 128, ... below half the rows: most candidates match two rows of a
    # small subsample, and the survivors thin out about as fast as the subsample grows
    prefilter = [64 * 2**i for i in range(20) if 128 * 2**i < n_rows]
    attempts, have, batch, stale = 0, 0, 8_192, 0
    while have < n and attempts < max_attempts and stale < 3:  # 3 barren batches: exhausted
        b = min(batch, max_attempts - attempts)
        attempts += b
        subsample = rng.permutation(n_rows)[: prefilter[-1] if prefilter else 0]
        rows = rng.integers(0, n_rows, b)
        cols = np.sort(np.argsort(rng.random((b, n_cols)), axis=1)[:, :k], axis=1)
        vals = syn.values[cols, rows[:, None]]
        ops = np.where(
            np.isnan(vals),
            _ISNA,
            np.where(~numeric[cols], _EQ, np.where(vals > medians[cols], _GE, _LE)),
        ).astype(np.int8)
        for size in prefilter:  # cheap exact rejections on nested subsamples
            if len(cols) == 0:
                break
            alive = query_counts(syn.values[:, subsample[:size]], cols, ops, vals) <= 1
            cols, ops, vals = cols[alive], ops[alive], vals[alive]
        single = query_counts(syn.values, cols, ops, vals) == 1
        cols, ops, vals = cols[single], ops[single], vals[single]
        cand = pd.DataFrame(np.concatenate([cols, ops, vals], axis=1))
        both = pd.concat([seen, cand], ignore_index=True)
        fresh = np.flatnonzero(~both.duplicated().to_numpy()[len(seen) :])[: n - have]
        stale = 0 if len(fresh) else stale + 1
        seen = pd.concat([seen, cand.iloc[fresh]], ignore_index=True)
        found.append((cols[fresh], ops[fresh], vals[fresh]))
        have += len(fresh)
    if not found:
        return np.zeros((0, k), np.int64), np.zeros((0, k), np.int8), np.zeros((0, k)), attempts
    return (*(np.concatenate([f[i] for f in found]) for i in range(3)), attempts)


def group_counts(
    values: np.ndarray,
    cols: np.ndarray,
    ops: np.ndarray,
    vals: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
) -> np.ndarray:
    """Rows of each group each query matches: ``(q, n_groups)`` counts (rows in group -1 are
    left out), the masks summed per group by one matrix product per block of queries."""
    onehot = np.zeros((values.shape[1], n_groups), dtype=np.float32)
    inside = np.flatnonzero(groups >= 0)
    onehot[inside, groups[inside]] = 1.0
    block = max(1, 2**24 // max(values.shape[1], 1))
    out = np.zeros((len(cols), n_groups), dtype=np.int64)
    for i in range(0, len(cols), block):
        mask = query_masks(values, cols[i : i + block], ops[i : i + block], vals[i : i + block])
        out[i : i + block] = np.rint(mask.astype(np.float32) @ onehot).astype(np.int64)
    return out


def swap_baseline(
    train: np.ndarray,
    holdout: np.ndarray,
    cols: np.ndarray,
    ops: np.ndarray,
    vals: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Which queries single out a training row, and the holdout baseline at the training size.

    A query's chance of singling out one row depends on the population's size, so a holdout
    smaller than the training set cannot be compared with it directly. The baseline swaps the
    holdout in instead: the training rows are cut into ``J`` random chunks of ``m`` rows (``m``:
    the holdout's size, at most the training size ``N``), and each chunk in turn is replaced by
    ``m`` holdout rows, giving ``J`` populations of ``N`` rows in which a share ``λ = m / N`` are
    non-members. The expected singling-out rate is linear in the share of rows swapped (a
    query's matches among swapped rows change, the rest do not), so the rate of an all-holdout
    population of ``N`` rows is ``a + (b - a) / λ``: ``a`` the training rate, ``b`` the mean rate
    over the swapped populations. This is unbiased by construction, with a wider interval when
    the holdout is small. (anonymeter rescales the holdout count with a model fitted to
    holdout subsamples; on adult that model put the multivariate baseline at 0.11-0.14 where the
    rate on 16k real non-members was 0.19, which reads as a risk of 0.06-0.1 for a synthesizer
    that leaks nothing.)

    Returns:
        ``(x, z, info)``: per query, 1 when it singles out a training row, and its unbiased
        contribution to the baseline rate (``z.mean()``; exactly 0/1 when ``λ = 1``).
    """
    n, m = train.shape[1], min(holdout.shape[1], train.shape[1])
    chunks = n // m
    groups = np.full(n, chunks)
    groups[rng.permutation(n)[: chunks * m]] = np.repeat(np.arange(chunks), m)
    counts_t = group_counts(train, cols, ops, vals, groups, chunks + 1)
    hold_groups = np.full(holdout.shape[1], -1)
    hold_groups[rng.choice(holdout.shape[1], m, replace=False)] = 0
    counts_h = group_counts(holdout, cols, ops, vals, hold_groups, 1)[:, 0]
    total = counts_t.sum(1)
    x = (total == 1).astype(np.float64)
    swapped = ((total[:, None] - counts_t[:, :chunks] + counts_h[:, None]) == 1).mean(1)
    lam = m / n
    z = swapped if chunks == 1 and m == n else x * (1.0 - 1.0 / lam) + swapped / lam
    return x, z, {"holdout_share": lam, "swaps": chunks}


def _singling_out_mode(
    syn: _Population,
    train: _Population,
    hold: _Population,
    numeric: np.ndarray,
    mode: str,
    rng: np.random.Generator,
) -> dict:
    """One singling-out attack (``mode``: univariate or multivariate): risk and its counts."""
    if mode == "univariate":
        cols, ops, vals = univariate_queries(syn, numeric, SINGLING_OUT_QUERIES, rng)
        attempts = None
    else:
        cols, ops, vals, attempts = multivariate_queries(
            syn, numeric, SINGLING_OUT_QUERIES, SINGLING_OUT_COLUMNS, rng, SINGLING_OUT_ATTEMPTS
        )
    q = len(cols)
    info: dict = {"queries": q, "attempts": attempts}
    if q == 0:
        nan = float("nan")
        return {"value": nan, "ci_low": nan, "ci_high": nan, **info}
    x, z, swap = swap_baseline(train.values, hold.values, cols, ops, vals, rng)
    if swap["holdout_share"] == 1.0:
        control = success_rate(float(z.sum()), q)
    else:
        z95 = float(norm.ppf(0.5 * (1.0 + CONFIDENCE)))
        se = float(np.std(z, ddof=1)) / math.sqrt(q) if q > 1 else 1.0
        control = (float(z.mean()), z95 * se)
    risk = residual_risk(
        success_rate(float(x.sum()), q), control, attack_successes=int(x.sum()), **swap
    )
    return {**risk, **info}


@register_metric("singling_out", "privacy", pass_at=0.10, warn_at=0.25)
def singling_out(ctx: EvalContext) -> MetricResult | None:
    """Risk that queries built from the synthetic rows single out one training row.

    anonymeter's singling-out attack: the attacker writes predicates that match exactly one
    synthetic row, either one condition on a rare or extreme value (univariate) or
    ``SINGLING_OUT_COLUMNS`` conditions taken from a synthetic row (multivariate), up to
    ``SINGLING_OUT_QUERIES`` distinct ones per mode, and succeeds with each that matches exactly
    one training row. The same queries run against holdout rows give the baseline (a predicate
    can single out a real row by chance), at the training set's size: see
    :func:`swap_baseline`, which replaces anonymeter's fitted size correction by an unbiased
    swap of holdout rows into the training population. Rows are deduplicated first, as
    anonymeter does. Per mode the risk is (training rate - holdout rate) / (1 - holdout rate),
    clipped at 0, with a 95% interval (the training rate's Wilson error and the baseline's
    standard error, propagated as anonymeter does); value = the larger of the two modes' risks
    (``details["mode"]`` says which; both are in ``details``). Success rates are over the
    queries found (anonymeter divides by the number requested, which lowers every rate when
    fewer are found). Thresholds: pass ≤ 0.10, warn ≤ 0.25: on adult, unseen real rows score
    0-0.04 (five draws) and gaussian_copula 0.01, while a set with half its rows copied from the
    training rows scores about 0.3. Needs a holdout.
    """
    from synthset.data.transforms.columns import NUMERIC_KINDS

    if not _has_holdout(ctx) or len(ctx.synthetic) == 0:
        return None
    seed = _seed(ctx, "singling_out")
    syn = _Population(ctx, ctx.synthetic, MAX_POPULATION_ROWS, seed + 1)
    train = _Population(ctx, ctx.real, MAX_POPULATION_ROWS, seed + 2)
    hold = _Population(ctx, ctx.holdout, MAX_POPULATION_ROWS, seed + 3)
    numeric = np.array([c.kind in NUMERIC_KINDS for c in ctx.spec.columns if c.kind != "id"])
    modes = {
        mode: _singling_out_mode(syn, train, hold, numeric, mode, make_rng(derive_seed(seed, i)))
        for i, mode in enumerate(("univariate", "multivariate"))
    }
    ranked = [m for m in modes if not math.isnan(modes[m]["value"])]
    mode = max(ranked, key=lambda m: modes[m]["value"]) if ranked else "multivariate"
    head = modes[mode]
    details: dict = {
        "mode": mode,
        "ci_low": head["ci_low"],
        "ci_high": head["ci_high"],
        "attack_rate": head.get("attack_rate"),
        "control_rate": head.get("control_rate"),
        "univariate": modes["univariate"],
        "multivariate": modes["multivariate"],
        "conditions": SINGLING_OUT_COLUMNS,
        "seed": ctx.seed,
        "rows": _rows(
            ctx,
            synthetic_unique=syn.rows_unique,
            real_unique=train.rows_unique,
            holdout_unique=hold.rows_unique,
            synthetic=len(syn),
            real=len(train),
            holdout=len(hold),
        ),
    }
    if not ranked:
        details["error"] = "no query singles out a synthetic row"
    return MetricResult(
        "singling_out",
        "privacy",
        head["value"],
        False,
        details=details,
        description="Excess share of predicates built to single out one synthetic row that "
        "single out one training row, over holdout rows (0 = no leak).",
    )


# --- linkability -------------------------------------------------------------------------------
def linkability_column_sets(ctx: EvalContext) -> tuple[list[str], list[str]] | None:
    """The attacker's two column sets: ``ctx.linkability_columns``, else the non-id columns in
    spec order cut in two halves (None with fewer than two columns)."""
    if ctx.linkability_columns is not None:
        a, b = ctx.linkability_columns
        return list(a), list(b)
    cols = _attack_columns(ctx)
    if len(cols) < 2:
        return None
    half = len(cols) // 2
    return cols[:half], cols[half:]


def _random_link_rate(n_synthetic: int, k: int) -> float:
    """Chance that two random sets of ``k`` out of ``n_synthetic`` rows share a row."""
    if 2 * k > n_synthetic:
        return 1.0
    i = np.arange(k)
    return float(1.0 - np.exp(np.log((n_synthetic - k - i) / (n_synthetic - i)).sum()))


@register_metric("linkability", "privacy", pass_at=0.05, warn_at=0.15)
def linkability(ctx: EvalContext) -> MetricResult | None:
    """Risk that the synthetic rows link two halves of a training row's columns.

    anonymeter's linkability attack: the attacker holds two datasets that share no column (by
    default the first and second half of the non-id columns in spec order, or
    ``evaluate(..., linkability_columns=(a, b))``) and tries to join them through the synthetic
    data. For each target row it finds its nearest synthetic rows on each column set
    separately; the link succeeds when one synthetic row is among the ``k`` nearest on both
    sides. The headline uses ``k = 1`` (anonymeter's default); ``details["neighbors"]`` gives
    ``k = 5, 10`` too. Training targets against as many holdout targets give the risk
    (training rate - holdout rate) / (1 - holdout rate), clipped at 0, with a 95% Wilson interval.
    Thresholds: pass ≤ 0.05, warn ≤ 0.15, lower than the other attacks' because links are rare
    and ties weaken them: on adult a synthetic set that *is* the training set scores only 0.17
    (one half of the columns is mostly categorical, so a target's copy ties with many other
    rows there), half copied rows 0.09, unseen real rows and gaussian_copula 0.00. Needs a
    holdout and at least two non-id columns.
    """
    if not _has_holdout(ctx) or len(ctx.synthetic) == 0:
        return None
    sets = linkability_column_sets(ctx)
    if sets is None:
        return None
    train_rows, hold_rows = _targets(ctx, "linkability")
    search = _search_rows(ctx)
    k_max = max(LINK_NEIGHBORS)
    hits: dict[str, np.ndarray] = {}
    for side, which, rows in (("train", "real", train_rows), ("holdout", "holdout", hold_rows)):
        idx = [
            nearest_indices(
                _encoded(ctx, cols, which)[rows], _encoded(ctx, cols, "synthetic")[search], k_max
            )
            for cols in sets
        ]
        # shared[i, a, b]: the a-th neighbour on one side is the b-th on the other
        shared = idx[0][:, :, None] == idx[1][:, None, :]
        hits[side] = np.stack([shared[:, :k, :k].any(axis=(1, 2)) for k in LINK_NEIGHBORS], axis=1)
    by_k = {}
    for j, k in enumerate(LINK_NEIGHBORS):
        risk = count_risk(
            int(hits["train"][:, j].sum()),
            len(train_rows),
            int(hits["holdout"][:, j].sum()),
            len(hold_rows),
        )
        risk["random_guess_rate"] = _random_link_rate(len(search), k)
        by_k[str(k)] = risk
    details = {
        "column_sets": {"a": sets[0], "b": sets[1]},
        "neighbors": {
            k: {
                key: v[key] for key in ("value", "ci_low", "ci_high", "attack_rate", "control_rate")
            }
            for k, v in by_k.items()
        },
        "seed": ctx.seed,
        "rows": _rows(
            ctx,
            train_targets=len(train_rows),
            holdout_targets=len(hold_rows),
            synthetic=len(search),
        ),
    }
    return _risk_result(
        "linkability",
        by_k[str(LINK_NEIGHBORS[0])],
        details,
        "Excess share of rows whose two column halves the synthetic data links (same nearest "
        "synthetic row on both), on training rows over holdout rows (0 = no leak).",
    )

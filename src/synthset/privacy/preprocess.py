"""Private preprocessing: the table's shape without reading any row in the clear.

A neural table synthesizer fits its encoder on the data (category sets, numeric bounds, GMM
modes or quantile bins) and CTGAN reads category frequencies for its conditional vector. Done
on the raw rows, each of these leaks: a category held by one person, a maximum that is one
person's salary. Under DP this module replaces them with

1. **public metadata** where the user declared it (costs nothing), else
2. **one noisy histogram per column** (Gaussian mechanism, L2 sensitivity 1 per column since
   each row adds one count to one bin), from which everything else is post-processing:

   * numeric columns: a fixed grid that does not depend on the data — 64 equal bins between the
     public bounds, or, without public bounds, a signed log grid (16 bins a decade, from 0.01 to
     10⁹ in magnitude, plus a zero bin); the private bounds are the outermost bins whose noisy
     count clears a threshold;
   * datetime columns: public bounds as for numbers; without them, two histograms on calendar
     grids (years 1900-2100, then bins as fine as the dates' density allows) whose occupied
     range gives the private bounds (:mod:`synthset.privacy.dates`);
   * categorical columns: noisy counts of the observed categories, released only above the
     Gaussian partition-selection threshold (so that which categories exist is private too);
     rows of suppressed categories become missing values;
   * missing values: one more bin of each histogram.

The encoder is then fitted on a *surrogate* table drawn from these noisy marginals (columns
independent), and the real rows are mapped into the private domain (clipped to the private
bounds, suppressed categories made missing) before they are encoded for training.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from synthset.data.spec import ColumnSpec, TableSpec
from synthset.data.transforms.columns import (
    datetime_iso,
    from_codes,
    from_numeric,
    numeric_bounds,
    to_codes,
    to_numeric,
)
from synthset.errors import ConfigError
from synthset.privacy.dates import date_bounds, private_date_histogram
from synthset.privacy.dp import (
    DPConfig,
    PrivacyLedger,
    gaussian_sigma_for,
    public_metadata_dict,
    selection_threshold,
)
from synthset.utils import make_rng

NUMERIC = ("continuous", "discrete", "datetime")
PUBLIC_GRID_BINS = 64
LOG_BINS_PER_DECADE = 16
LOG_MIN_EXP, LOG_MAX_EXP = -2, 9  # magnitudes 0.01 .. 1e9 on the private log grid
SURROGATE_ROWS = 20_000
BOUND_SIGMAS = 3.0  # a missing-value bin counts as present above 3 noise stds
BOUND_GROUP = LOG_BINS_PER_DECADE // 4  # fine bins pooled (a quarter decade) to find the bounds
SELECTION_DELTA_SHARE = 0.1  # share of δ given to partition selection (when categories are private)


@dataclass
class ColumnMarginal:
    """The private marginal of one column: bins (numeric) or categories, their noisy
    probabilities, and the probability of a missing value."""

    name: str
    kind: str  # "numeric" | "categorical"
    probs: np.ndarray
    missing: float
    edges: np.ndarray | None = None  # numeric: len(probs) + 1 edges
    source: dict[str, str] = field(default_factory=dict)  # what is public / private


@dataclass
class PrivatePreprocessing:
    """What :func:`private_preprocess` learned: a private spec, private marginals, and a
    per-column account of what was public and what was paid for."""

    spec: TableSpec
    marginals: dict[str, ColumnMarginal]
    noise_multiplier: float | None
    fill: dict[str, Any]  # value a missing entry takes in a column the private spec keeps non-null

    def sources(self) -> dict[str, dict[str, str]]:
        return {name: m.source for name, m in self.marginals.items()}

    def category_counts(self, column: str) -> np.ndarray:
        """Noisy-marginal probabilities of ``column``'s categories (+ the missing slot when the
        column is nullable), in the private spec's order: what CTGAN's sampler needs."""
        m = self.marginals[column]
        col = self.spec[column]
        p = m.probs * (1 - m.missing)
        return np.r_[p, m.missing] if col.nullable else p


def private_preprocess(
    df: pd.DataFrame,
    spec: TableSpec,
    cfg: DPConfig,
    ledger: PrivacyLedger,
    delta: float,
    *,
    seed: int | None,
) -> PrivatePreprocessing:
    """Release the per-column marginals of ``df`` privately and record their cost.

    Spends ``cfg.preprocessing_share`` of ε (measured by ``ledger``'s accountant) on one
    Gaussian histogram per modelled column and a second one per datetime column without public
    bounds, plus ``SELECTION_DELTA_SHARE`` of δ when some categories are not declared public.

    Raises:
        ConfigError: public metadata naming unknown columns, or a column whose categories or
            range cannot be released (too few rows for the budget, or dates outside 1900-2100).
    """
    public = public_metadata_dict(cfg.public_metadata) or {}
    unknown = sorted(set(public) - set(spec.names))
    if unknown:
        raise ConfigError(
            f"dp public metadata names columns the data lacks: {unknown}; columns: {spec.names}"
        )
    modelled = [c for c in spec.columns if c.kind != "id"]
    private_dates = [
        c for c in modelled if c.kind == "datetime" and not _has_bounds(public.get(c.name, {}))
    ]
    private_cats = [
        c for c in modelled if c.is_discrete and not _public_categories(c, public.get(c.name))
    ]
    delta_sel = SELECTION_DELTA_SHARE * delta if private_cats else 0.0
    ledger.delta_selection += delta_sel
    k = len(modelled) + len(private_dates)  # a private date range takes two histograms
    sigma = None
    if k:
        sigma = gaussian_sigma_for(
            cfg.preprocessing_share * cfg.epsilon, delta - delta_sel, k, ledger.accountant
        )
        what = "preprocessing: one Gaussian histogram per column"
        if private_dates:
            what += ", a second per datetime column with private bounds"
        ledger.add(what, sigma, 1.0, k)
    rng = make_rng(seed)
    cols: list[ColumnSpec] = []
    marginals: dict[str, ColumnMarginal] = {}
    fill: dict[str, Any] = {}
    per_col_delta = delta_sel / max(len(private_cats), 1)
    for c in spec.columns:
        pub = public.get(c.name, {})
        if c.kind == "id":
            cols.append(copy.copy(c))
            continue
        if c.is_discrete:
            col, m, f = _categorical(df[c.name], c, pub, sigma, per_col_delta, rng)
        else:
            col, m, f = _numeric(df[c.name], c, pub, sigma, rng)
        cols.append(col)
        marginals[c.name] = m
        if f is not None:
            fill[c.name] = f
    return PrivatePreprocessing(TableSpec(cols), marginals, sigma, fill)


def _has_bounds(pub: dict[str, Any]) -> bool:
    return pub.get("min") is not None and pub.get("max") is not None


def _public_categories(col: ColumnSpec, pub: dict[str, Any] | None) -> list | None:
    if pub and pub.get("categories") is not None:
        return list(pub["categories"])
    if col.kind == "boolean":
        return [False, True]  # the domain of a boolean is known without the data
    return None


def _noisy(counts: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    return counts + rng.normal(0.0, sigma, size=counts.shape)


def _categorical(s: pd.Series, col: ColumnSpec, pub: dict, sigma: float, delta_c: float, rng):
    cats = _public_categories(col, pub)
    source = {}
    if cats is not None:
        cand = cats
        source["categories"] = "public"
    else:
        cand = list(col.categories or [])  # observed values: only released if they clear τ
        source["categories"] = "private (Gaussian partition selection)"
    probe = copy.copy(col)
    probe.categories = cand
    codes = to_codes(s, probe)
    counts = np.bincount(codes[codes >= 0], minlength=len(cand)).astype(np.float64)
    n_missing = float((codes < 0).sum())  # missing, and values outside public categories
    noisy = _noisy(counts, sigma, rng)
    noisy_missing = float(_noisy(np.array([n_missing]), sigma, rng)[0])
    if cats is None:
        tau = selection_threshold(sigma, delta_c)
        keep = noisy > tau
        if not keep.any():
            raise ConfigError(_too_noisy(col.name, "categories", "categories", sigma, len(s)))
        cand = [v for v, k in zip(cand, keep, strict=True) if k]
        noisy = noisy[keep]
    pos = np.clip(noisy, 0.0, None)
    miss = max(noisy_missing, 0.0)
    total = pos.sum() + miss
    if pos.sum() <= 0:
        pos = np.ones_like(pos)
        total = pos.sum() + miss
    nullable_public = pub.get("nullable") if "nullable" in pub else None
    # suppressed categories become missing values, so a private category set makes the
    # column nullable; otherwise the noisy missing count decides (above 3 noise stds)
    nullable = (
        bool(nullable_public)
        if nullable_public is not None
        else (cats is None) or noisy_missing > BOUND_SIGMAS * sigma
    )
    missing_p = float(miss / total) if nullable and total > 0 else 0.0
    out = copy.copy(col)
    out.categories = cand
    out.nullable = nullable
    out.missing_rate = missing_p
    source["frequencies"] = "private (noisy histogram)"
    m = ColumnMarginal(col.name, "categorical", pos / pos.sum(), missing_p, source=source)
    fill = None if nullable else cand[int(np.argmax(pos))]
    return out, m, fill


def _too_noisy(column: str, what: str, key: str, sigma: float, n: int) -> str:
    return (
        f"column {column!r}: its {what} cannot be released privately: with {n} rows the "
        f"noisy histogram (noise std {sigma:.0f} rows) is all noise. Declare its {key} as public "
        f'metadata (dp={{"public_metadata": {{"{column}": {{...}}}}}}, CLI: --public-metadata '
        "spec.json), or raise epsilon or dp preprocessing_share, or use more rows"
    )


def _log_grid() -> np.ndarray:
    mags = 10.0 ** (
        np.arange(LOG_MIN_EXP * LOG_BINS_PER_DECADE, LOG_MAX_EXP * LOG_BINS_PER_DECADE + 1)
        / LOG_BINS_PER_DECADE
    )
    return np.r_[-mags[::-1], 0.0, mags]


def _numeric(s: pd.Series, col: ColumnSpec, pub: dict, sigma: float, rng):
    x = to_numeric(s, col)
    missing = ~np.isfinite(x)
    has_bounds = _has_bounds(pub)
    if col.kind == "datetime" and not has_bounds:
        found = private_date_histogram(x[~missing], col, sigma, rng)
        if found is None:
            raise ConfigError(_too_noisy(col.name, "range", "min/max", sigma, len(s)))
        edges, noisy, grid = found
        source = {"bounds": f"private (noisy calendar histograms: {grid})"}
    else:
        edges, noisy, source = _numeric_histogram(x[~missing], col, pub, sigma, rng, len(s))
    noisy_missing = float(_noisy(np.array([float(missing.sum())]), sigma, rng)[0])
    pos = np.clip(noisy, 0.0, None)
    if pos.sum() <= 0:
        pos = np.ones_like(pos)
    miss = max(noisy_missing, 0.0)
    nullable = bool(pub["nullable"]) if "nullable" in pub else noisy_missing > BOUND_SIGMAS * sigma
    missing_p = float(miss / (pos.sum() + miss)) if nullable else 0.0
    out = copy.copy(col)
    lo, hi = float(edges[0]), float(edges[-1])
    if col.kind == "datetime" and has_bounds:
        # public bounds may be in the column's format; the spec keeps ISO
        out.min = datetime_iso(col, pub["min"], "min")
        out.max = datetime_iso(col, pub["max"], "max")
    elif col.kind == "datetime":
        out.min, out.max = date_bounds(col, lo, hi)
    else:
        out.min, out.max = lo, hi
    out.nullable = nullable
    out.missing_rate = missing_p
    if "decimals" in pub:
        out.decimals = pub["decimals"]
    elif col.kind == "continuous":
        out.decimals = None  # the observed rounding is data; not released under DP
    source["histogram"] = "private (noisy histogram)"
    probs = pos / pos.sum()
    m = ColumnMarginal(col.name, "numeric", probs, missing_p, edges=edges, source=source)
    fill = None
    if not nullable:
        cdf = np.cumsum(probs)
        b = int(np.searchsorted(cdf, 0.5))
        fill = float((edges[b] + edges[b + 1]) / 2)  # the noisy median's bin centre
    return out, m, fill


def _numeric_histogram(
    x: np.ndarray, col: ColumnSpec, pub: dict, sigma: float, rng, n_rows: int
) -> tuple[np.ndarray, np.ndarray, dict[str, str]]:
    """Edges and noisy counts of a number column's histogram (64 bins between public bounds,
    or the signed log grid cut to its private range), and where its bounds come from."""
    if _has_bounds(pub):
        probe = copy.copy(col)
        probe.min, probe.max = pub["min"], pub["max"]
        lo, hi = _bounds_as_float(probe)
        if not hi >= lo:
            raise ConfigError(f"public bounds of {col.name!r} have max < min: {pub}")
        edges = np.linspace(lo, hi, PUBLIC_GRID_BINS + 1) if hi > lo else np.array([lo, hi])
        noisy = _noisy(_counts(x, edges), sigma, rng)
        return edges, noisy, {"bounds": "public"}
    edges = _log_grid()
    noisy = _noisy(_counts(x, edges), sigma, rng)
    found = _private_range(noisy, sigma)
    if found is None:
        raise ConfigError(_too_noisy(col.name, "range", "min/max", sigma, n_rows))
    first, last = found
    lo_edge, hi_edge = edges[first], edges[last + 1]
    # a bin edge at ±0.01 next to the zero bin means "0": snap the tiny edges to zero
    lo_edge = 0.0 if abs(lo_edge) <= 10.0**LOG_MIN_EXP else lo_edge
    hi_edge = 0.0 if abs(hi_edge) <= 10.0**LOG_MIN_EXP else hi_edge
    if col.kind == "discrete":
        lo_edge, hi_edge = np.floor(lo_edge), np.ceil(hi_edge)
    edges = np.r_[lo_edge, edges[first + 1 : last + 1], hi_edge]
    source = {"bounds": "private (outermost bins of the noisy histogram)"}
    return edges, noisy[first : last + 1], source


def _counts(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Rows per bin of ``edges`` (values outside them count in the end bins)."""
    idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    return np.bincount(idx, minlength=len(edges) - 1).astype(np.float64)


def _private_range(noisy: np.ndarray, sigma: float) -> tuple[int, int] | None:
    """First and last fine bin of the private range (post-processing of the noisy histogram).

    Fine bins are pooled in groups of ``BOUND_GROUP`` (a quarter decade; the zero bin alone), so
    a group's noise is σ·√g against g bins' counts; a group counts as occupied when its noisy
    sum clears z·σ·√g with z corrected for the number of groups (Bonferroni at 5%), so that
    noise alone puts a bound in the empty tails of the grid with probability ≤ 5%. None when
    no group clears it: the histogram is all noise (too few rows for the budget).
    """
    from scipy.stats import norm

    zero = len(noisy) // 2  # the signed log grid is symmetric around its zero bin
    groups: list[tuple[int, int]] = []
    for start in range(zero - BOUND_GROUP, -1, -BOUND_GROUP):
        groups.append((start, start + BOUND_GROUP))
    if zero % BOUND_GROUP:
        groups.append((0, zero % BOUND_GROUP))
    groups.append((zero, zero + 1))
    for start in range(zero + 1, len(noisy), BOUND_GROUP):
        groups.append((start, min(start + BOUND_GROUP, len(noisy))))
    groups.sort()
    sums = np.array([noisy[a:b].sum() for a, b in groups])
    widths = np.array([b - a for a, b in groups])
    z = float(norm.isf(0.05 / len(groups)))
    occupied = np.flatnonzero(sums > z * sigma * np.sqrt(widths))
    if len(occupied) == 0:
        return None
    first, last = groups[int(occupied[0])][0], groups[int(occupied[-1])][1] - 1
    # then trim the outer fine bins of that range that do not clear a single-bin test
    z_bin = float(norm.isf(0.05 / (last - first + 1)))
    while first < last and noisy[first] <= z_bin * sigma:
        first += 1
    while last > first and noisy[last] <= z_bin * sigma:
        last -= 1
    return first, last


def _bounds_as_float(col: ColumnSpec) -> tuple[float, float]:
    return numeric_bounds(col)


def surrogate_frame(prep: PrivatePreprocessing, n: int, *, seed: int | None) -> pd.DataFrame:
    """``n`` rows drawn column by column from the private marginals (pure post-processing):
    the table the encoder is fitted on instead of the real one."""
    rng = make_rng(seed)
    out: dict[str, pd.Series] = {}
    for col in prep.spec.columns:
        if col.kind == "id":
            out[col.name] = pd.Series(np.arange(n), name=col.name)
            if not col.dtype.startswith(("int", "uint", "Int", "UInt")):
                out[col.name] = out[col.name].astype(str)
            continue
        m = prep.marginals[col.name]
        is_missing = rng.random(n) < m.missing
        if m.kind == "categorical":
            codes = rng.choice(len(m.probs), size=n, p=m.probs)
            codes = np.where(is_missing, -1, codes)
            out[col.name] = from_codes(codes, col)
        else:
            b = rng.choice(len(m.probs), size=n, p=m.probs)
            lo, hi = m.edges[b], m.edges[b + 1]
            x = lo + rng.random(n) * (hi - lo)
            x[is_missing] = np.nan
            out[col.name] = from_numeric(x, col)
    return pd.DataFrame(out)[prep.spec.names]


def privatise_rows(df: pd.DataFrame, prep: PrivatePreprocessing) -> pd.DataFrame:
    """The real rows mapped into the private domain, row by row (vectorised per column): numeric
    values clipped to the private bounds, values of suppressed categories made missing, missing
    values of columns the private spec keeps non-null filled. Each row's image depends on that
    row alone and the released metadata, so DP-SGD's per-row guarantee is kept."""
    out: dict[str, pd.Series] = {}
    for col in prep.spec.columns:
        s = df[col.name]
        if col.kind == "id":
            out[col.name] = s
            continue
        if col.is_discrete:
            codes = to_codes(s, col)
            if col.name in prep.fill:
                codes = np.where(
                    codes < 0, (col.categories or []).index(prep.fill[col.name]), codes
                )
            out[col.name] = from_codes(codes, col)
        else:
            x = to_numeric(s, col)
            if col.name in prep.fill:
                x = np.where(np.isfinite(x), x, prep.fill[col.name])
            out[col.name] = from_numeric(x, col)  # clips to the private bounds
    return pd.DataFrame({c: out[c].reset_index(drop=True) for c in prep.spec.names})

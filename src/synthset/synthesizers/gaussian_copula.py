"""Gaussian copula: a fast statistical baseline for tables, with exact conditional sampling.

Every modelled column is one standard-normal latent variable seen through its marginal:

- numeric (continuous, discrete, datetime): the empirical CDF, stored as a grid of quantiles;
  a value pins the latent to its CDF interval (one rank wide, or a whole jump for tied values);
- categorical / boolean: each category owns an interval of [0, 1] as wide as its frequency, so
  a category pins the latent between two thresholds. Missing values are one more category;
- a nullable numeric column gets a second, two-category latent ("present" / "missing"); where
  the value is missing its latent is unconstrained.

The dependence between columns is the correlation matrix of the latents, estimated from these
intervals without the attenuation that plain Pearson correlation of jittered normal scores
suffers (see :func:`_latent_correlation`). Sampling draws ``z ~ N(0, Σ)`` and inverts every
marginal. A condition on a categorical column is an interval constraint on its latent, so
conditional samples are exact (truncated normals, then the conditional Gaussian of the rest)
rather than rejection-sampled. id columns are regenerated as fresh unique keys; constant
columns are reproduced. Everything is vectorised over rows.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy.optimize import minimize_scalar
from scipy.special import ndtr, ndtri, owens_t

from synthset.data.spec import ColumnSpec
from synthset.data.table import Table
from synthset.data.transforms.columns import from_codes, from_numeric, to_codes, to_numeric
from synthset.registry import register
from synthset.sampling.conditions import MISSING_CODE, validate_conditions
from synthset.synthesizers._table import TABLE_CONSTRAINTS, TableSynthesizer
from synthset.synthesizers.base import SEED, Boolean, DeviceName, Interval
from synthset.utils import derive_seed, make_rng

# Shrinkage of the correlation toward the identity: keeps Σ and every conditional covariance
# positive definite (duplicated or perfectly dependent columns, more columns than rows) while
# changing correlations by only 0.1%.
_SHRINKAGE = 1e-3
# Discrete numeric columns with at most this many distinct values are treated as levels (like
# categories) when estimating correlations; above it the first-order estimate is already close.
_MAX_LEVELS = 64
# Polychoric correlations are fitted for level pairs with at most this many table cells; larger
# tables (high-cardinality categories) use the attenuation-corrected estimate, which is cheaper.
_MAX_CELLS = 4096
# Pairwise estimates are kept inside (-1, 1) so the matrix stays invertible before shrinkage.
_MAX_CORRELATION = 0.999
# Sweeps of the Gibbs sampler over several conditioned latents; each row's chain mixes within a
# few sweeps for the correlations met in practice, 20 leaves a wide margin at little cost.
_GIBBS_SWEEPS = 20
# Rows drawn and decoded at a time: large enough to amortise NumPy call overhead, small enough
# that the (rows, latents) temporaries stay in cache-friendly tens of megabytes.
_BATCH_ROWS = 65_536
# Keeps category edges of exactly 0 or 1 away from ±inf where a finite bound is needed.
_EDGE_EPS = 1e-12


_ARRAY_FIELDS = {
    "quantiles": np.float64,
    "edges": np.float64,
    "order": np.int64,
    "missing_edges": np.float64,
}


@dataclass
class _Column:
    """How one spec column is modelled; the arrays are saved as tensors beside the JSON state."""

    name: str
    role: str  # "numeric" | "categorical" | "constant" | "id"
    latent: int | None = None  # index of the value latent
    missing_latent: int | None = None  # index of the "is missing" latent (nullable numeric)
    has_missing_category: bool = False  # categorical: code len(categories) means "missing"
    quantiles: np.ndarray | None = None  # numeric: values at probabilities linspace(0, 1, len)
    edges: np.ndarray | None = None  # categorical: interval edges 0 … 1, one per level + 1
    order: np.ndarray | None = None  # categorical: the level code of each interval, bottom up
    missing_edges: np.ndarray | None = None  # nullable numeric: [0, P(present), 1]
    id_start: int | None = None  # numeric ids continue after the training maximum

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "latent": self.latent,
            "missing_latent": self.missing_latent,
            "has_missing_category": self.has_missing_category,
            "id_start": self.id_start,
        }


@register("gaussian_copula")
class GaussianCopula(TableSynthesizer):
    """Gaussian copula over empirical marginals: fits in seconds, samples conditionally.

    Args:
        random_state: seed of the row subsample drawn when the data has more than
            ``max_fit_rows`` rows (the fit is otherwise deterministic).
        max_fit_rows: estimate the correlation on at most this many randomly chosen rows
            (None: all). Marginals always use every row, which is cheap.
        n_quantiles: grid size of each numeric marginal (fewer when the column has fewer
            values); more points follow the empirical distribution more closely.
        verbose: print a one-line summary of the fit to stderr.
        device: accepted for a uniform interface with the neural synthesizers; the copula
            runs in NumPy on the CPU whatever it says.
        max_categories: a categorical column with more distinct values is capped: its most
            frequent values (at most this many less one) are modelled, the rest share one
            ``other`` category (see :mod:`synthset.data.transforms.cardinality`).
        min_category_count: in a capped column, values held by fewer training rows are not
            copied: new values from a character model of the column take their place.

    Example:
        >>> synth = GaussianCopula(random_state=0).fit(table)
        >>> fake = synth.sample(1_000, seed=1, conditions={"income": ">50K"})
    """

    modality = "table"
    _constraints = {
        "random_state": SEED,
        "max_fit_rows": Interval(int, 2, None, none_ok=True),
        "n_quantiles": Interval(int, 2, None),
        "verbose": Boolean(),
        "device": DeviceName(),
        **TABLE_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        random_state: int | None = None,
        max_fit_rows: int | None = 100_000,
        n_quantiles: int = 1000,
        verbose: bool = False,
        device: str = "cpu",
        max_categories: int = 100,
        min_category_count: int = 5,
    ):
        self.random_state = random_state
        self.max_fit_rows = max_fit_rows
        self.n_quantiles = n_quantiles
        self.verbose = verbose
        self.device = device
        self.max_categories = max_categories
        self.min_category_count = min_category_count

    # --- fitting ------------------------------------------------------------------------------
    def _fit(self, data: Table) -> None:
        start = time.perf_counter()
        df, spec = data.data, data.spec
        rng = make_rng(self.random_state)
        n_rows = len(df)
        rows = np.arange(n_rows)
        if self.max_fit_rows is not None and n_rows > self.max_fit_rows:
            rows = np.sort(rng.choice(n_rows, self.max_fit_rows, replace=False))

        columns: list[_Column] = []
        latents: list[_Latent] = []
        level_codes: dict[int, np.ndarray] = {}  # latent → category codes of every row

        def new_latent(latent: _Latent) -> int:
            latents.append(latent)
            return len(latents) - 1

        for col in spec.columns:
            s = df[col.name]
            if col.kind == "id":
                columns.append(_Column(col.name, "id", id_start=_id_start(s, col)))
            elif col.is_constant:
                columns.append(_Column(col.name, "constant"))
            elif col.is_discrete:
                codes = to_codes(s, col)
                n_cats = len(col.categories or [])
                has_missing = col.nullable or bool((codes < 0).any())
                if has_missing:
                    codes = np.where(codes < 0, n_cats, codes)
                column = _Column(col.name, "categorical", has_missing_category=has_missing)
                column.order = np.arange(n_cats + has_missing)
                column.edges = _interval_edges(codes, column.order)
                column.latent = new_latent(_level_latent(codes[rows], column.edges))
                level_codes[column.latent] = codes
                columns.append(column)
            else:
                x = to_numeric(s, col)
                missing = np.isnan(x)
                column = _Column(
                    col.name,
                    "numeric",
                    latent=new_latent(_numeric_latent(x[rows])),
                    quantiles=_quantile_grid(x[~missing], self.n_quantiles),
                )
                if col.nullable or missing.any():
                    flags = missing.astype(np.int64)
                    column.missing_edges = _interval_edges(flags, np.arange(2))
                    column.missing_latent = new_latent(
                        _level_latent(flags[rows], column.missing_edges)
                    )
                columns.append(column)

        # Category order is arbitrary (sorted names), yet it decides which dependence a latent
        # correlation can express; order each column's categories along the main axis of their
        # profiles first, so that a label related to a number is ordered by that number.
        for column in columns:
            if column.role == "categorical" and len(column.order) > 2:
                codes = level_codes[column.latent]
                others = [lat.scores for j, lat in enumerate(latents) if j != column.latent]
                column.order = _category_order(codes[rows], len(column.order), others)
                column.edges = _interval_edges(codes, column.order)
                position = np.argsort(column.order)
                latents[column.latent] = _level_latent(position[codes[rows]], column.edges)

        self.columns_ = columns
        self.correlation_ = _latent_correlation(latents)
        self._cholesky = np.linalg.cholesky(self.correlation_)
        if self.verbose:
            print(
                f"gaussian_copula: {len(latents)} latent variables for {len(spec)} columns, "
                f"correlation from {len(rows):,} of {n_rows:,} rows, "
                f"{time.perf_counter() - start:.2f}s",
                file=sys.stderr,
            )

    # --- sampling -----------------------------------------------------------------------------
    def _check_conditions(self, conditions: Any) -> dict[str, Any]:
        return validate_conditions(self.spec_, conditions)

    def _sample_batches(
        self, n: int, *, seed: int | None, conditions: dict[str, Any]
    ) -> Iterator[pd.DataFrame]:
        # Latents are drawn and decoded batch by batch so temporaries stay small for any n;
        # batch b draws from its own child seed, so the first rows of sample(n, seed) do not
        # depend on n.
        for b, start in enumerate(range(0, n, _BATCH_ROWS)):
            m = min(_BATCH_ROWS, n - start)
            rng = make_rng(derive_seed(seed, b))
            u = ndtr(self._draw_latents(m, rng, conditions))
            out: dict[str, pd.Series] = {}
            for col_spec, col in zip(self.spec_.columns, self.columns_, strict=True):
                values = None if col.latent is None else _decode(col, u, conditions.get(col.name))
                out[col.name] = _restore(col, col_spec, values, m, start)
            yield pd.DataFrame(out)

    def _draw_latents(
        self, n: int, rng: np.random.Generator, conditions: dict[str, int]
    ) -> np.ndarray:
        """(n, d) latents from N(0, Σ), restricted to the conditioned categories' intervals."""
        sigma = self.correlation_
        d = sigma.shape[0]
        bounds = {}  # latent index → (lo, hi) in z-space
        for name, code in conditions.items():
            col = self._column(name)
            if col.role == "categorical":
                level = len(col.order) - 1 if code == MISSING_CODE else code
                k = int(np.flatnonzero(col.order == level)[0])  # the level's interval
                lo = ndtri(min(col.edges[k], 1.0 - _EDGE_EPS))
                hi = ndtri(max(col.edges[k + 1], _EDGE_EPS))
                bounds[col.latent] = (lo, hi)
        if not bounds:
            return rng.standard_normal((n, d)) @ self._cholesky.T

        cond = np.array(sorted(bounds))
        rest = np.setdiff1d(np.arange(d), cond)
        lo = np.array([bounds[j][0] for j in cond])
        hi = np.array([bounds[j][1] for j in cond])
        z = np.empty((n, d))
        z[:, cond] = _conditioned_latents(sigma[np.ix_(cond, cond)], lo, hi, n, rng)
        if len(rest):
            # z_rest | z_cond ~ N(z_cond Σ_cc⁻¹ Σ_cr, Σ_rr − Σ_rc Σ_cc⁻¹ Σ_cr)
            s_cc = sigma[np.ix_(cond, cond)]
            s_cr = sigma[np.ix_(cond, rest)]
            weights = np.linalg.solve(s_cc, s_cr)  # (c, r)
            cov = sigma[np.ix_(rest, rest)] - s_cr.T @ weights
            chol = np.linalg.cholesky((cov + cov.T) / 2)
            z[:, rest] = z[:, cond] @ weights + rng.standard_normal((n, len(rest))) @ chol.T
        return z

    def _column(self, name: str) -> _Column:
        return next(c for c in self.columns_ if c.name == name)

    # --- persistence --------------------------------------------------------------------------
    def _get_model_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        state = {"columns": [c.to_json() for c in self.columns_]}
        tensors = {"model.correlation": torch.from_numpy(self.correlation_.copy())}
        for i, c in enumerate(self.columns_):
            for field in _ARRAY_FIELDS:
                arr = getattr(c, field)
                if arr is not None:
                    # keyed by position: column names may hold any character
                    tensors[f"encoder.{i}.{field}"] = torch.from_numpy(arr.copy())
        return state, tensors

    def _set_model_state(self, state: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        columns = []
        for i, c in enumerate(state["columns"]):
            col = _Column(**c)
            for field, dtype in _ARRAY_FIELDS.items():
                key = f"encoder.{i}.{field}"
                if key in tensors:
                    setattr(col, field, tensors[key].numpy().astype(dtype))
            columns.append(col)
        self.columns_ = columns
        self.correlation_ = tensors["model.correlation"].numpy().astype(np.float64)
        self._cholesky = np.linalg.cholesky(self.correlation_)


# --- decoding ---------------------------------------------------------------------------------
def _decode(col: _Column, u: np.ndarray, code: int | None) -> np.ndarray:
    """Column values of a batch from its (rows, d) uniforms: float64 (NaN = missing) or codes."""
    if col.role == "categorical":
        if code is not None:
            # the latent lies in the category's interval already; writing the code avoids an
            # off-by-one at an interval edge from floating-point rounding
            return np.full(len(u), code, dtype=np.int64)
        codes = col.order[_codes_from_uniforms(u[:, col.latent], col.edges)]
        if col.has_missing_category:
            codes[codes == len(col.order) - 1] = MISSING_CODE
        return codes
    grid = np.linspace(0.0, 1.0, len(col.quantiles))
    x = np.interp(u[:, col.latent], grid, col.quantiles)
    if col.missing_latent is not None:
        x[_codes_from_uniforms(u[:, col.missing_latent], col.missing_edges) == 1] = np.nan
    return x


def _restore(
    col: _Column, col_spec: ColumnSpec, values: np.ndarray | None, n: int, offset: int = 0
) -> pd.Series:
    """The output column of ``n`` rows starting at row ``offset``, with the spec's dtype,
    bounds, rounding and categories."""
    if col.role == "id":
        return _make_ids(col, col_spec, n, offset)
    if col.role == "constant":
        return from_codes(np.zeros(n, dtype=np.int64), col_spec)
    if col.role == "categorical":
        return from_codes(values, col_spec)
    return from_numeric(values, col_spec)


# --- marginals --------------------------------------------------------------------------------
def _quantile_grid(values: np.ndarray, n_quantiles: int) -> np.ndarray:
    """Values at probabilities ``linspace(0, 1, k)``; the ends are the observed min and max."""
    if len(values) == 0:
        return np.zeros(2)
    k = max(2, min(n_quantiles, len(values)))
    return np.quantile(values, np.linspace(0.0, 1.0, k))


def _interval_edges(codes: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Edges 0 = e₀ ≤ … ≤ e_K = 1; interval i holds level ``order[i]``, as wide as its share."""
    counts = np.bincount(codes[codes >= 0], minlength=len(order))[order].astype(np.float64)
    edges = np.concatenate([[0.0], np.cumsum(counts) / max(counts.sum(), 1.0)])
    edges[-1] = 1.0
    return edges


def _category_order(codes: np.ndarray, n_levels: int, others: list[np.ndarray]) -> np.ndarray:
    """Levels sorted along the first principal axis of their mean scores on the other latents.

    This is the optimal-scaling idea of categorical PCA: a level's profile is the mean of every
    other latent over its rows; the frequency-weighted first principal axis of the profiles is
    the single direction along which the levels differ most, so ordering by it makes the
    dependence as monotone, and thus as representable by a correlation, as one order can.
    """
    if not others:
        return np.arange(n_levels)
    counts = np.bincount(codes, minlength=n_levels).astype(np.float64)
    profiles = (
        np.stack([np.bincount(codes, weights=s, minlength=n_levels) for s in others], axis=1)
        / np.maximum(counts, 1.0)[:, None]
    )  # (levels, other latents)
    profiles -= counts @ profiles / counts.sum()
    _, _, vt = np.linalg.svd(profiles * np.sqrt(counts)[:, None], full_matrices=False)
    axis = vt[0] * np.sign(vt[0][np.argmax(np.abs(vt[0]))])  # fix the SVD's arbitrary sign
    return np.argsort(profiles @ axis, kind="stable")


def _codes_from_uniforms(u: np.ndarray, edges: np.ndarray) -> np.ndarray:
    return np.searchsorted(edges[1:-1], u, side="right").astype(np.int64)


def _id_start(s: pd.Series, col: ColumnSpec) -> int | None:
    if not _numeric_dtype(col.dtype):
        return None
    x = to_numeric(s, col)
    return int(np.nanmax(x)) + 1 if np.isfinite(x).any() else 0


def _numeric_dtype(dtype: str) -> bool:
    try:
        return pd.api.types.is_numeric_dtype(pd.api.types.pandas_dtype(dtype))
    except TypeError:
        return False


def _make_ids(col: _Column, col_spec: ColumnSpec, n: int, offset: int = 0) -> pd.Series:
    """Fresh unique keys for rows ``offset`` … ``offset + n - 1``: numbers after the training
    maximum, or ``"<column>_<i>"`` strings."""
    if col.id_start is not None:
        start = col.id_start + offset
        ids = pd.Series(np.arange(start, start + n), name=col.name)
    else:
        ids = col.name + "_" + pd.Series(np.arange(offset, offset + n), name=col.name).astype(str)
    return ids.astype(col_spec.dtype)


# --- dependence -------------------------------------------------------------------------------
@dataclass
class _Latent:
    """What the fitting rows say about one latent normal: each row pins it to an interval.

    The interval is one rank wide for a value without ties, a whole CDF jump for a category or
    a run of tied values, and all of the real line where the value is missing.
    """

    scores: np.ndarray  # (m,) E[z | the row's interval]
    censored: bool  # some interval is wider than a rank, so the scores are attenuated
    codes: np.ndarray | None = None  # (m,) level per row, when the intervals are a few levels
    edges: np.ndarray | None = None  # (K + 1,) level edges in [0, 1]


def _level_latent(codes: np.ndarray, edges: np.ndarray) -> _Latent:
    level_means = _truncated_mean(ndtri(edges[:-1]), ndtri(edges[1:]))
    return _Latent(level_means[codes], censored=True, codes=codes, edges=edges)


def _numeric_latent(x: np.ndarray) -> _Latent:
    """Intervals from the empirical CDF of ``x`` on the fitting rows (NaN = missing)."""
    present = ~np.isnan(x)
    v = x[present]
    if len(v) == 0:
        return _Latent(np.zeros(len(x)), censored=True)
    values, codes, counts = np.unique(v, return_inverse=True, return_counts=True)
    if present.all() and len(values) <= _MAX_LEVELS and len(values) < len(v):
        # a discrete column with few values is ordinal data: treat it like a category
        return _level_latent(codes, np.concatenate([[0.0], np.cumsum(counts) / len(v)]))
    cdf = np.concatenate([[0.0], np.cumsum(counts)]) / len(v)
    lo, hi = np.full(len(x), -np.inf), np.full(len(x), np.inf)
    lo[present], hi[present] = ndtri(cdf[codes]), ndtri(cdf[codes + 1])
    censored = bool((~present).any() or (counts > 1).any())
    return _Latent(_truncated_mean(lo, hi), censored=censored)


def _latent_correlation(latents: list[_Latent]) -> np.ndarray:
    """Correlation matrix of the latent normals, estimated pair by pair from interval data.

    Pearson correlation of normal scores drawn inside each interval (SDV's approach)
    underestimates dependence: where a row's interval is wide, the position inside it is
    noise, so a binary column that nearly determines another looks only moderately correlated
    and conditional samples lose most of the dependence. Instead:

    - between two latents with a few levels each (categories, missing-value flags, discrete
      columns with few values): the polychoric correlation, the maximum-likelihood correlation
      of a bivariate normal cut at the level edges;
    - otherwise: the covariance of the interval means, divided by each censored latent's
      attenuation ``E[E[z | interval]²]`` (and by the standard deviation of an uncensored one).
      By Stein's lemma, Cov(x, E[z | interval]) = ρ · E[E[z | interval]²] for a Gaussian x, so
      this is exact when one side is a fully observed continuous column, and a close
      first-order approximation otherwise.

    The pairwise matrix is then projected to the nearest valid correlation matrix.
    """
    d = len(latents)
    if d == 0:
        return np.zeros((0, 0))
    scores = np.stack([latent.scores for latent in latents], axis=1)  # (m, d)
    if len(scores) < 2:
        return np.eye(d)
    scores = scores - scores.mean(axis=0)
    cov = scores.T @ scores / len(scores)
    var = np.diag(cov).copy()
    censored = np.array([latent.censored for latent in latents])
    scale = np.where(censored, var, np.sqrt(var))
    degenerate = var < 1e-12  # one level only: nothing to correlate with
    scale[degenerate] = 1.0
    corr = cov / np.outer(scale, scale)
    leveled = [i for i, latent in enumerate(latents) if latent.codes is not None]
    for a, i in enumerate(leveled):
        for j in leveled[a + 1 :]:
            li, lj = latents[i], latents[j]
            if (len(li.edges) - 1) * (len(lj.edges) - 1) <= _MAX_CELLS:
                corr[i, j] = corr[j, i] = _polychoric(li.codes, li.edges, lj.codes, lj.edges)
    corr[degenerate, :] = 0.0
    corr[:, degenerate] = 0.0
    corr = np.clip(corr, -_MAX_CORRELATION, _MAX_CORRELATION)
    np.fill_diagonal(corr, 1.0)
    return _nearest_correlation(corr)


def _polychoric(
    codes_i: np.ndarray, edges_i: np.ndarray, codes_j: np.ndarray, edges_j: np.ndarray
) -> float:
    """Maximum-likelihood correlation of two level variables cut from a bivariate normal."""
    k_i, k_j = len(edges_i) - 1, len(edges_j) - 1
    table = np.bincount(codes_i * k_j + codes_j, minlength=k_i * k_j).reshape(k_i, k_j)
    cut_i, cut_j = ndtri(edges_i)[:, None], ndtri(edges_j)[None, :]

    def neg_log_likelihood(rho: float) -> float:
        cdf = _bivariate_normal_cdf(cut_i, cut_j, rho)  # (k_i + 1, k_j + 1)
        cells = np.diff(np.diff(cdf, axis=0), axis=1)
        return -float(np.sum(table * np.log(np.maximum(cells, 1e-300))))

    result = minimize_scalar(
        neg_log_likelihood,
        bounds=(-_MAX_CORRELATION, _MAX_CORRELATION),
        method="bounded",
        options={"xatol": 1e-5},
    )
    return float(result.x)


def _bivariate_normal_cdf(h: np.ndarray, k: np.ndarray, rho: float) -> np.ndarray:
    """P(X ≤ h, Y ≤ k) for standard normals with correlation ``rho`` (|rho| < 1), via Owen's T.

    Vectorised and deterministic (SciPy's multivariate_normal.cdf integrates by Monte Carlo).
    """
    h, k = np.broadcast_arrays(np.clip(h, -40.0, 40.0), np.clip(k, -40.0, 40.0))
    # Owen's formula divides by h and k; the CDF is continuous there, so nudge exact zeros
    h = np.where(h == 0, 1e-10, h)
    k = np.where(k == 0, 1e-10, k)
    s = np.sqrt(1.0 - rho * rho)
    beta = np.where(h * k > 0, 0.0, 0.5)
    return (
        0.5 * (ndtr(h) + ndtr(k))
        - owens_t(h, (k - rho * h) / (h * s))
        - owens_t(k, (h - rho * k) / (k * s))
        - beta
    )


def _nearest_correlation(corr: np.ndarray) -> np.ndarray:
    """Project onto positive semi-definite matrices, rescale to unit diagonal, shrink toward I."""
    values, vectors = np.linalg.eigh((corr + corr.T) / 2)
    corr = (vectors * np.clip(values, 0.0, None)) @ vectors.T
    scale = np.sqrt(np.clip(np.diag(corr), 1e-12, None))
    corr = corr / np.outer(scale, scale)
    corr = (1.0 - _SHRINKAGE) * corr + _SHRINKAGE * np.eye(len(corr))
    return (corr + corr.T) / 2


def _truncated_mean(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """E[z | lo ≤ z ≤ hi] for z ~ N(0, 1), computed in the lower tail for precision."""
    flip = lo > 0
    a = np.where(flip, -hi, lo)
    b = np.where(flip, -lo, hi)
    mass = ndtr(b) - ndtr(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (_normal_pdf(a) - _normal_pdf(b)) / mass
    # an interval too far out to have representable mass: its mean is about its inner end
    mean = np.where(mass > 0, mean, np.where(np.isfinite(b), b, a))
    return np.where(flip, -mean, mean)


def _normal_pdf(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)


# --- conditional sampling ---------------------------------------------------------------------
def _truncated_std_normal(lo: np.ndarray, hi: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Inverse-CDF draws of N(0, 1) truncated to [lo, hi], from uniforms ``r``.

    Intervals in the upper tail are mirrored into the lower tail, where ``ndtr`` keeps full
    precision, so even intervals many standard deviations out are sampled correctly.
    """
    flip = lo > 0
    a = np.where(flip, -hi, lo)
    b = np.where(flip, -lo, hi)
    pa, pb = ndtr(a), ndtr(b)
    z = ndtri(np.maximum(pa + r * (pb - pa), np.finfo(np.float64).tiny))
    z = np.clip(z, a, b)
    return np.where(flip, -z, z)


def _conditioned_latents(
    sigma: np.ndarray, lo: np.ndarray, hi: np.ndarray, n: int, rng: np.random.Generator
) -> np.ndarray:
    """(n, c) draws of N(0, sigma) restricted to the box [lo, hi] (exact for c = 1, Gibbs else)."""
    c = len(lo)
    z = _truncated_std_normal(lo, hi, rng.random((n, c)))
    if c == 1:
        return z
    precision = np.linalg.inv(sigma)
    for _ in range(_GIBBS_SWEEPS):
        for j in range(c):
            # z_j | z_-j ~ N(-Σ_k≠j P_jk z_k / P_jj, 1 / P_jj), truncated to [lo_j, hi_j]
            p_jj = precision[j, j]
            mean = -(z @ precision[j] - p_jj * z[:, j]) / p_jj
            std = 1.0 / np.sqrt(p_jj)
            r = rng.random(n)
            z[:, j] = mean + std * _truncated_std_normal(
                (lo[j] - mean) / std, (hi[j] - mean) / std, r
            )
    return z

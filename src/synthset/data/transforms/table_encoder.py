"""The reversible table encoder used by the neural synthesizers (CTGAN, TVAE).

Each modelled column becomes one or more blocks of the encoded matrix (all value columns come
first, then all softmax blocks, so networks can slice rather than gather):

* numeric (continuous, discrete, datetime): ``[value (tanh, 1)] [mode (softmax, K)]`` —
  mode-specific normalisation (a 1-D GMM per column, fitted on a capped subsample; the value is
  ``(x - mu_k) / (4 sigma_k)``) or quantile bins (``[position in bin] [bin]``); nullable columns
  add a ``[missing (softmax, 2)]`` block;
* categorical / boolean: ``[category (softmax, K)]``, with one more slot for "missing" when
  the column has missing values;
* id and constant columns take no block: ids are regenerated, constants reproduced.

Everything is vectorised per column (no per-row Python); decoding runs on the tensor's device.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from synthset.data.spec import ColumnSpec, TableSpec
from synthset.data.transforms.columns import from_codes, from_numeric, to_codes, to_numeric
from synthset.data.transforms.gmm import fit_gmm_1d, responsibilities
from synthset.errors import ConfigError, DataError

NUMERIC = ("continuous", "discrete", "datetime")


@dataclass(frozen=True)
class Span:
    """A block of columns of the encoded matrix."""

    column: str
    role: str  # "value" | "mode" | "missing" | "category"
    activation: str  # "tanh" | "softmax"
    start: int
    size: int

    @property
    def stop(self) -> int:
        return self.start + self.size


class TableEncoder:
    """Fit / transform / inverse-transform a table to the CTGAN-style encoded matrix.

    Args:
        continuous: ``"mode"`` (mode-specific normalisation) or ``"quantile"`` (quantile bins).
        max_modes: most GMM components (or bins) per numeric column.
        weight_threshold: GMM components lighter than this are pruned.
        max_fit_rows: rows subsampled to fit the GMMs / bins (the transform uses every row).
    """

    def __init__(
        self,
        continuous: str = "mode",
        max_modes: int = 10,
        weight_threshold: float = 0.005,
        max_fit_rows: int = 20_000,
    ):
        if continuous not in ("mode", "quantile"):
            raise ConfigError(f"`continuous` must be 'mode' or 'quantile', got {continuous!r}")
        self.continuous = continuous
        self.max_modes = max_modes
        self.weight_threshold = weight_threshold
        self.max_fit_rows = max_fit_rows

    # ------------------------------------------------------------------ fit
    def fit(self, df: pd.DataFrame, spec: TableSpec, *, seed: int | None = 0) -> TableEncoder:
        spec.validate(df)
        rng = np.random.default_rng(seed)
        n = len(df)
        sub = rng.choice(n, self.max_fit_rows, replace=False) if n > self.max_fit_rows else None
        self.spec_ = spec
        self.columns_: list[dict[str, Any]] = []
        self.arrays_: dict[str, np.ndarray] = {}
        for col in spec.columns:
            info: dict[str, Any] = {"name": col.name, "kind": col.kind, "nullable": col.nullable}
            if col.kind == "id":
                info["type"] = "id"
                info["id_start"] = _id_start(df[col.name])
            elif col.is_constant:
                info["type"] = "constant"
            elif col.kind in NUMERIC:
                x = to_numeric(df[col.name], col)
                xs = x if sub is None else x[sub]
                xs = xs[np.isfinite(xs)]
                if len(xs) == 0:  # every subsampled value missing: fall back to all rows
                    xs = x[np.isfinite(x)]
                if self.continuous == "mode":
                    w, mu, sd = fit_gmm_1d(xs, self.max_modes, self.weight_threshold)
                    info["type"] = "mode"
                    self.arrays_[f"{col.name}.weights"] = w
                    self.arrays_[f"{col.name}.means"] = mu
                    self.arrays_[f"{col.name}.stds"] = sd
                    info["n_modes"] = len(mu)
                else:
                    edges = np.unique(np.quantile(xs, np.linspace(0, 1, self.max_modes + 1)))
                    if len(edges) == 1:
                        edges = np.array([edges[0], edges[0]])
                    info["type"] = "quantile"
                    self.arrays_[f"{col.name}.edges"] = edges
                    info["n_modes"] = len(edges) - 1
            else:
                info["type"] = "onehot"
                info["n_categories"] = len(col.categories or []) + int(col.nullable)
            self.columns_.append(info)
        self._build_spans()
        return self

    def _build_spans(self) -> None:
        # All tanh value columns first, then every softmax block: the networks then read both
        # groups as contiguous slices instead of gathering scattered columns at every step.
        values: list[tuple[str, str, str, int]] = []
        blocks: list[tuple[str, str, str, int]] = []
        for info in self.columns_:
            name = info["name"]
            if info["type"] in ("mode", "quantile"):
                values.append((name, "value", "tanh", 1))
                blocks.append((name, "mode", "softmax", info["n_modes"]))
                if info["nullable"]:
                    blocks.append((name, "missing", "softmax", 2))
            elif info["type"] == "onehot":
                blocks.append((name, "category", "softmax", info["n_categories"]))
        # blocks sorted by size (stably): blocks of one size then sit side by side, and a whole
        # group is one (n, k, size) view for argmax / softmax instead of k separate slices
        blocks.sort(key=lambda b: b[3])
        spans: list[Span] = []
        pos = 0
        for column, role, act, size in values + blocks:
            spans.append(Span(column, role, act, pos, size))
            pos += size
        self.spans_ = spans
        self.output_dim_ = pos
        self._value_pos = {s.column: s.start for s in spans if s.role == "value"}

    # ------------------------------------------------------------------ views
    @property
    def discrete_spans(self) -> list[Span]:
        """Category blocks of categorical / boolean columns (what CTGAN conditions on)."""
        return [s for s in self.spans_ if s.role == "category"]

    def category_slot(self, column: str, value: Any) -> int:
        """Index within the column's category block of ``value`` (None/NaN → missing slot)."""
        col = self.spec_[column]
        cats = col.categories or []
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return len(cats)
        return cats.index(value)

    # ------------------------------------------------------------------ transform
    def transform(self, df: pd.DataFrame, *, seed: int | None = 0) -> np.ndarray:
        """Encode ``df`` to a float32 matrix (n, output_dim); modes drawn from their posterior."""
        self.spec_.validate(df)
        rng = np.random.default_rng(seed)
        n = len(df)
        out = np.zeros((n, self.output_dim_), dtype=np.float32)
        by_col: dict[str, list[Span]] = {}
        for s in self.spans_:
            by_col.setdefault(s.column, []).append(s)
        for info in self.columns_:
            if info["type"] in ("id", "constant"):
                continue
            name = info["name"]
            col = self.spec_[name]
            spans = {s.role: s for s in by_col[name]}
            if info["type"] == "onehot":
                codes = to_codes(df[name], col)
                unseen = (codes < 0) & df[name].notna().to_numpy()
                if unseen.any():
                    bad = pd.unique(df[name][unseen])[:5].tolist()
                    raise DataError(f"column {name!r} has values not seen when fitting: {bad}")
                codes = np.where(codes < 0, len(col.categories or []), codes)
                out[np.arange(n), spans["category"].start + codes] = 1.0
                continue
            x = to_numeric(df[name], col)
            missing = ~np.isfinite(x)
            if missing.any():
                if not info["nullable"]:
                    raise DataError(f"column {name!r} has missing values but had none when fitting")
                out[np.arange(n), spans["missing"].start + missing.astype(np.int64)] = 1.0
            value, mode = self._encode_numeric(info, np.where(missing, np.nan, x), rng)
            out[:, spans["value"].start] = value
            out[np.arange(n), spans["mode"].start + mode] = 1.0
        return out

    def _encode_numeric(self, info: dict[str, Any], x: np.ndarray, rng: np.random.Generator):
        name = info["name"]
        missing = np.isnan(x)
        if info["type"] == "mode":
            w = self.arrays_[f"{name}.weights"]
            mu = self.arrays_[f"{name}.means"]
            sd = self.arrays_[f"{name}.stds"]
            xf = np.where(missing, mu[np.argmax(w)], x)
            probs = responsibilities(xf, w, mu, sd)
            # Draw each row's mode from its posterior (as CTGAN does), but only among modes that
            # can represent the value (within 4 sigma): CTGAN's unrestricted draw sends a few
            # rows to far modes whose clipping to ±0.99 destroys the value. A value no mode
            # covers goes to the mode nearest in sigma units.
            z = np.abs(xf[:, None] - mu[None, :]) / (4 * sd[None, :])
            ok = z < 0.99
            none_ok = ~ok.any(axis=1)
            ok[none_ok, np.argmin(z[none_ok], axis=1)] = True
            probs = np.where(ok, probs, 0.0) + ok * 1e-300
            cdf = np.cumsum(probs, axis=1)
            u = rng.random(len(x))[:, None] * cdf[:, -1:]
            mode = np.minimum((u > cdf).sum(axis=1), len(mu) - 1)
            value = np.clip((xf - mu[mode]) / (4 * sd[mode]), -0.99, 0.99)
        else:
            edges = self.arrays_[f"{name}.edges"]
            k = len(edges) - 1
            xf = np.where(missing, edges[len(edges) // 2], x)
            mode = np.clip(np.searchsorted(edges, xf, side="right") - 1, 0, k - 1)
            lo, hi = edges[mode], edges[mode + 1]
            width = hi - lo
            pos = np.where(width > 0, (xf - lo) / np.where(width > 0, width, 1.0), 0.5)
            value = np.clip(2 * pos - 1, -1.0, 1.0)
        value = np.where(missing, 0.0, value)
        return value.astype(np.float32), mode.astype(np.int64)

    # ------------------------------------------------------------------ inverse
    def inverse_transform(
        self, X: torch.Tensor | np.ndarray, *, id_offset: int = 0
    ) -> pd.DataFrame:
        """Decode an encoded matrix back to a DataFrame with the spec's dtypes.

        ``X`` holds tanh values and, in softmax blocks, any scores whose argmax is the chosen
        slot (one-hot rows, probabilities, or logits plus Gumbel noise). Decoding runs on
        ``X``'s device and copies to the host once.
        """
        if isinstance(X, np.ndarray):
            X = torch.from_numpy(X)
        if X.ndim != 2 or X.shape[1] != self.output_dim_:
            raise DataError(
                f"expected an encoded matrix (n, {self.output_dim_}), got {tuple(X.shape)}"
            )
        n = X.shape[0]
        dev = X.device
        soft = [s for s in self.spans_ if s.activation == "softmax"]
        block = {(s.column, s.role): j for j, s in enumerate(soft)}
        slots = _block_argmax(X, soft)  # (n, n_blocks): the chosen slot of every block
        num_cols, num_vals, code_cols, code_vals = [], [], [], []
        for info in self.columns_:
            name = info["name"]
            t = info["type"]
            if t in ("id", "constant"):
                continue
            if t == "onehot":
                code_cols.append(name)
                code_vals.append(slots[:, block[(name, "category")]])
                continue
            value = X[:, self._value_pos[name]].double()
            mode = slots[:, block[(name, "mode")]]
            if t == "mode":
                mu = torch.as_tensor(self.arrays_[f"{name}.means"], device=dev)
                sd = torch.as_tensor(self.arrays_[f"{name}.stds"], device=dev)
                x = value.clamp(-1, 1) * 4 * sd[mode] + mu[mode]
            else:
                edges = torch.as_tensor(self.arrays_[f"{name}.edges"], device=dev)
                lo, hi = edges[mode], edges[mode + 1]
                x = lo + (value.clamp(-1, 1) + 1) / 2 * (hi - lo)
            if (name, "missing") in block:
                is_missing = slots[:, block[(name, "missing")]] == 1
                x = torch.where(is_missing, torch.full_like(x, float("nan")), x)
            num_cols.append(name)
            num_vals.append(x)
        # one device → host copy per dtype
        nums = torch.stack(num_vals, 1).cpu().numpy() if num_vals else np.zeros((n, 0))
        codes = torch.stack(code_vals, 1).cpu().numpy() if code_vals else np.zeros((n, 0), int)
        out: dict[str, pd.Series] = {}
        for j, name in enumerate(num_cols):
            out[name] = from_numeric(nums[:, j], self.spec_[name])
        for j, name in enumerate(code_cols):
            col = self.spec_[name]
            c = codes[:, j]
            c = np.where(c >= len(col.categories or []), -1, c)  # the missing slot
            out[name] = from_codes(c, col)
        for info in self.columns_:
            name = info["name"]
            if info["type"] == "constant":
                out[name] = from_codes(np.zeros(n, dtype=np.int64), self.spec_[name])
            elif info["type"] == "id":
                out[name] = _make_ids(self.spec_[name], info["id_start"], n, id_offset)
        return pd.DataFrame({c: out[c].reset_index(drop=True) for c in self.spec_.names})

    # ------------------------------------------------------------------ state
    def get_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        state = {
            "continuous": self.continuous,
            "max_modes": self.max_modes,
            "weight_threshold": self.weight_threshold,
            "max_fit_rows": self.max_fit_rows,
            "columns": self.columns_,
        }
        tensors = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in self.arrays_.items()}
        return state, tensors

    @classmethod
    def from_state(
        cls, state: dict[str, Any], tensors: dict[str, torch.Tensor], spec: TableSpec
    ) -> TableEncoder:
        enc = cls(
            state["continuous"],
            state["max_modes"],
            state["weight_threshold"],
            state["max_fit_rows"],
        )
        enc.spec_ = spec
        enc.columns_ = state["columns"]
        enc.arrays_ = {k: v.numpy().astype(np.float64) for k, v in tensors.items()}
        names = [c["name"] for c in enc.columns_]
        if names != spec.names:
            raise DataError("encoder state does not match the spec's columns")
        enc._build_spans()
        return enc


def _block_argmax(X: torch.Tensor, blocks: list[Span]) -> torch.Tensor:
    """Index of the largest entry within every block, for all blocks at once: (n, n_blocks).

    Consecutive blocks of one size are viewed as (n, k, size) and reduced with one argmax
    (the encoder lays blocks out sorted by size, so there are as many calls as distinct sizes);
    ties go to the first slot, as torch.argmax does.
    """
    n = X.shape[0]
    out = []
    i = 0
    while i < len(blocks):
        j = i + 1
        while (
            j < len(blocks)
            and blocks[j].size == blocks[i].size
            and blocks[j].start == blocks[j - 1].stop
        ):
            j += 1
        size = blocks[i].size
        group = X[:, blocks[i].start : blocks[j - 1].stop].unflatten(1, (j - i, size))
        out.append(group.argmax(dim=2))
        i = j
    if not out:
        return torch.zeros(n, 0, dtype=torch.long, device=X.device)
    return torch.cat(out, dim=1)


def _id_start(s: pd.Series) -> int:
    if pd.api.types.is_integer_dtype(s.dtype):
        return int(s.max()) + 1
    return 0


def _make_ids(col: ColumnSpec, start: int, n: int, offset: int) -> pd.Series:
    ids = np.arange(start + offset, start + offset + n, dtype=np.int64)
    if col.dtype.startswith(("int", "uint", "Int", "UInt")):
        return pd.Series(ids, name=col.name).astype(col.dtype)
    return pd.Series(np.char.add(f"{col.name}_", ids.astype(str)), name=col.name).astype(object)

"""High-cardinality categorical columns: model the frequent values, do not copy the rare ones.

A categorical column with thousands of distinct values (names, cities, product codes, free text)
breaks a tabular model twice. It cannot be one-hot encoded at scale: CTGAN's encoded matrix of a
10⁶-row table with a 10⁵-value column would take 400 GB, and an airport table with a 3,237-value
``name`` column kept TVAE busy for 400 s. And modelling its rare values can only reproduce
them: a name seen once identifies its row, so a synthetic table that contains it tells an
attacker that the row was in the training data (a copula fitted with the airport names scores
0.97 on the DOMIAS membership attack of ``membership_inference_density``; without them, 0.49).

So a categorical column with more than ``max_categories`` distinct values is split three ways,
by how many training rows hold each value:

* **head**: the most frequent values held by at least ``min_count`` rows, at most
  ``max_categories - 1`` of them. They are modelled with the other columns like any category.
* **common tail**: the other values held by at least ``min_count`` rows. The model sees them
  as one ``other`` category; each synthetic ``other`` row takes one of them drawn by its real
  frequency (independently of the other columns).
* **rare tail**: values held by fewer than ``min_count`` rows. Never copied: their share of the
  ``other`` rows is filled with new values from a character n-gram model of the values outside
  the head (:class:`NGramModel`) that keeps only the n-grams held by at least ``min_count``
  rows, so no rare run of 3 characters can come out of it, and a rare value only where it is
  made of common runs (6% of generated airport names equal a name held by fewer than 5 rows:
  a county name plus "County"); after a few redraws, no head value either, whose frequency
  would shift.

A near-unique column (every value rare: names, addresses, notes) thus becomes all new values
in the column's style, independent of the other columns; a 10⁵-value column of a 10⁶-row
table keeps its exact marginal through the common tail. Columns with at most
``max_categories`` values are left alone. Everything is vectorised over rows; the n-gram
sampler walks all rows one character at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch

from synthset.data.spec import ColumnSpec, TableSpec

OTHER = "<synthset:other>"
"""The category the model sees in place of every value outside a capped column's head."""

MAX_CATEGORIES = 100
MIN_COUNT = 5
MAX_FIT_VALUES = 50_000  # distinct values the n-gram model is fitted on (a seeded subset)
MAX_CHARS = 128  # longer values are cut to this many characters for the n-gram model
MIN_ORDER = 2  # the shortest context the n-gram model backs off to


# --- the character n-gram model ---------------------------------------------------------------
class NGramModel:
    """Characters drawn from the ``ORDER`` characters before them, among the n-grams held by at
    least ``min_count`` rows, backing off to shorter contexts.

    Every value is read as ``ORDER`` start symbols, its characters, and an end symbol. For each
    context length k = ``ORDER`` … ``MIN_ORDER``, a transition (the k symbols before → the next
    symbol) is kept only when the rows whose values contain it number at least ``min_count``.
    Sampling takes the longest context that kept a transition (an airport name drops to
    2-character contexts where a rare spelling cut the 3-character ones, instead of ending
    after "Ev"), and ends at the end symbol. Backing off no further than 2 characters keeps
    the guarantee: every run of 3 characters in a generated value is held by at least
    ``min_count`` rows, so no rare part of a value can come out; 1-character contexts would
    chain common pairs into any short rare code. Every row is sampled at once: one
    ``searchsorted`` per context length finds each row's context, another picks its next
    symbol from the cumulative counts of all kept transitions (each context's transitions are
    one contiguous slice).
    """

    ORDER = 3
    START, END = 0, 1  # symbol ids; characters are 2 ...

    def __init__(self) -> None:
        self.alphabet_ = np.zeros(0, dtype=np.uint32)  # code point of symbol 2 + i
        # per context length k (index k - 1): sorted context keys, first transition of each,
        # next symbol of each transition, cumulative counts over that length's transitions
        self.tables_: list[dict[str, np.ndarray]] = []
        self.max_len_ = 0

    @property
    def can_generate(self) -> bool:
        """False when not even the start context kept a transition."""
        return any(len(t["contexts"]) and t["contexts"][0] == 0 for t in self.tables_)

    @property
    def n_symbols(self) -> int:
        return len(self.alphabet_) + 2

    def fit(self, values: np.ndarray, counts: np.ndarray, min_count: int) -> NGramModel:
        """Fit on distinct string ``values`` held by ``counts`` rows each."""
        values = np.asarray(values, dtype=object)
        if len(values) == 0:
            return self
        text = pd.Series(values, dtype=object).str.slice(0, MAX_CHARS).to_numpy(dtype=str)
        width = max(text.dtype.itemsize // 4, 1)
        points = text.view(np.uint32).reshape(len(text), width)
        lengths = np.char.str_len(text)
        self.alphabet_ = np.unique(points[points > 0]).astype(np.uint32)
        V = self.n_symbols
        symbols = np.searchsorted(self.alphabet_, points) + 2  # (n, width); padding is junk
        order = self.ORDER
        # each row: START × ORDER, its characters, END
        seq = np.full((len(text), order + width + 1), self.END, dtype=np.int64)
        seq[:, :order] = self.START
        pos = np.arange(width)[None, :]
        seq[:, order : order + width] = np.where(pos < lengths[:, None], symbols, self.END)
        contexts, nexts, weights = [], [], []
        for t in range(order, order + width + 1):  # the symbol at t from the ORDER before it
            live = t - order <= lengths  # up to and including the END symbol
            if not live.any():
                break
            ctx = np.zeros(int(live.sum()), dtype=np.int64)
            for j in range(t - order, t):
                ctx = ctx * V + seq[live, j]
            contexts.append(ctx)
            nexts.append(seq[live, t])
            weights.append(counts[live])
        ctx, nxt = np.concatenate(contexts), np.concatenate(nexts)
        w = np.concatenate(weights).astype(np.float64)
        self.tables_ = [
            self._table(ctx % V**k, nxt, w, V, min_count) for k in range(MIN_ORDER, order + 1)
        ]
        self.max_len_ = int(lengths.max())
        return self

    @staticmethod
    def _table(ctx: np.ndarray, nxt: np.ndarray, w: np.ndarray, V: int, min_count: int) -> dict:
        uniq, inverse = np.unique(ctx * V + nxt, return_inverse=True)
        held = np.bincount(inverse, weights=w)
        keep = held >= min_count
        uniq, held = uniq[keep], held[keep]
        contexts, first = np.unique(uniq // V, return_index=True)
        return {
            "contexts": contexts,
            "first": first.astype(np.int64),
            "next": uniq % V,
            "cum": np.cumsum(held),
        }

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` new strings (an object array)."""
        if n == 0 or not self.can_generate:
            return np.full(n, "", dtype=object)
        V, order = self.n_symbols, self.ORDER
        wrap = V ** (order - 1)
        ctx = np.zeros(n, dtype=np.int64)  # START × ORDER
        out = np.zeros((n, max(self.max_len_, 1)), dtype=np.uint32)
        live = np.ones(n, dtype=bool)
        for t in range(self.max_len_):  # values longer than the longest seen are cut
            rows = np.flatnonzero(live)
            if len(rows) == 0:
                break
            nxt = np.full(len(rows), -1, dtype=np.int64)
            u = rng.random(len(rows))
            for k in range(order, MIN_ORDER - 1, -1):  # the longest context that kept one
                todo = np.flatnonzero(nxt < 0)
                if len(todo) == 0:
                    break
                table = self.tables_[k - MIN_ORDER]
                nxt[todo] = self._draw(table, ctx[rows[todo]] % V**k, u[todo])
            nxt[nxt < 0] = self.END
            ends = nxt == self.END
            going = rows[~ends]
            out[going, t] = self.alphabet_[nxt[~ends] - 2]
            ctx[going] = (ctx[going] % wrap) * V + nxt[~ends]
            live[rows[ends]] = False
        text = out.view(f"<U{out.shape[1]}").ravel()  # trailing NULs are dropped
        return text.astype(object)

    @staticmethod
    def _draw(table: dict, ctx: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The next symbol of each context by inverse CDF, -1 where the context is unknown."""
        contexts, first, cum = table["contexts"], table["first"], table["cum"]
        if len(contexts) == 0:
            return np.full(len(ctx), -1, dtype=np.int64)
        r = np.minimum(np.searchsorted(contexts, ctx), len(contexts) - 1)
        found = contexts[r] == ctx
        last = np.r_[first[1:], len(cum)]
        lo, hi = first[r], last[r]
        base = np.where(lo > 0, cum[np.maximum(lo - 1, 0)], 0.0)
        target = base + u * (cum[hi - 1] - base)
        j = np.clip(np.searchsorted(cum, target, side="right"), lo, hi - 1)
        return np.where(found, table["next"][j], -1)

    # --- state --------------------------------------------------------------------------------
    def get_state(self, prefix: str) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        state = {"max_len": self.max_len_, "orders": len(self.tables_)}
        arrays = {"alphabet": torch.from_numpy(self.alphabet_.astype(np.int64))}
        for k, table in enumerate(self.tables_, start=MIN_ORDER):
            for name, arr in table.items():
                arrays[f"{k}.{name}"] = torch.from_numpy(np.ascontiguousarray(arr))
        return state, {f"{prefix}.{k}": v for k, v in arrays.items()}

    @classmethod
    def from_state(
        cls, state: dict[str, Any], tensors: dict[str, torch.Tensor], prefix: str
    ) -> NGramModel:
        m = cls()
        m.max_len_ = int(state["max_len"])
        m.alphabet_ = tensors[f"{prefix}.alphabet"].numpy().astype(np.uint32)
        for k in range(MIN_ORDER, MIN_ORDER + int(state["orders"])):
            m.tables_.append(
                {
                    name: tensors[f"{prefix}.{k}.{name}"].numpy().astype(dtype)
                    for name, dtype in (
                        ("contexts", np.int64),
                        ("first", np.int64),
                        ("next", np.int64),
                        ("cum", np.float64),
                    )
                }
            )
        return m


# --- one capped column ------------------------------------------------------------------------
@dataclass
class CappedColumn:
    """How one high-cardinality column is split (see the module docstring).

    Attributes:
        name: the column.
        distinct: distinct non-missing values in the training rows.
        rows: non-missing training rows.
        head: the modelled values.
        common: the common-tail values, drawn by ``common_counts`` for ``other`` rows.
        common_rows: training rows holding a common-tail value.
        rare_rows: training rows holding a rare value.
        rare_distinct: distinct rare values.
        generator: the n-gram model of the rare tail (None when the values are not strings,
            or no n-gram is common enough; rare rows then draw from the common tail, or the
            head when that is empty too).
    """

    name: str
    distinct: int
    rows: int
    head: list[Any]
    common: list[Any]
    common_counts: np.ndarray
    common_rows: int
    rare_rows: int
    rare_distinct: int
    generator: NGramModel | None = None
    head_counts: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def other_rows(self) -> int:
        return self.common_rows + self.rare_rows

    def describe(self, min_count: int) -> str:
        """One line for the CLI: what was done with this column and why."""
        rows = max(self.rows, 1)
        near_unique = self.rare_rows / rows >= 0.9
        kind = " (near-unique: names, codes or free text)" if near_unique else ""
        parts = [f"{self.name}: {self.distinct:,} distinct values in {self.rows:,} rows{kind}"]
        if self.head:
            parts.append(
                f"the {len(self.head):,} most frequent ({_share(1 - self.other_rows / rows)} of "
                "rows) are modelled with the other columns"
            )
        if self.common:
            parts.append(
                f"{len(self.common):,} more held by ≥ {min_count} rows each "
                f"({_share(self.common_rows / rows)}) are drawn by their frequency"
            )
        if self.rare_rows:
            how = (
                "new values from a character model of the column take their place"
                if self.generator is not None
                else "frequent values take their place (no character pattern is common enough)"
            )
            parts.append(
                f"{self.rare_distinct:,} held by < {min_count} rows "
                f"({_share(self.rare_rows / rows)}) are not copied: {how}"
            )
        return "; ".join(parts)

    def _generate(self, k: int, rng: np.random.Generator, rounds: int = 3) -> np.ndarray:
        """``k`` generated values, none equal to a head value (redrawn a few rounds; what is
        left then is kept): they stand in for the rare tail, and a head value would shift
        the head's frequencies."""
        out = self.generator.sample(k, rng)
        head = pd.Index(self.head)
        for _ in range(rounds):
            again = np.flatnonzero(head.get_indexer(out) >= 0)
            if len(again) == 0:
                break
            out[again] = self.generator.sample(len(again), rng)
        return out

    def fill(self, m: int, rng: np.random.Generator) -> np.ndarray:
        """``m`` values for rows the model set to ``other``."""
        out = np.empty(m, dtype=object)
        if m == 0:
            return out
        p_rare = self.rare_rows / max(self.other_rows, 1)
        rare = rng.random(m) < p_rare
        if self.generator is None:
            rare[:] = False
        k = int(rare.sum())
        if k:
            out[rare] = self._generate(k, rng)
        pool, weights = (
            (self.common, self.common_counts) if self.common else (self.head, self.head_counts)
        )
        if (~rare).any():
            p = np.asarray(weights, dtype=np.float64)
            idx = rng.choice(len(pool), int((~rare).sum()), p=p / p.sum())
            out[~rare] = np.asarray(pool, dtype=object)[idx]
        return out


# --- the whole table --------------------------------------------------------------------------
class CardinalityPlan:
    """Which columns are capped, and the encode (before the model) / decode (after) steps.

    Args:
        max_categories: a categorical column with more distinct values than this is capped;
            at most ``max_categories - 1`` values are modelled, plus the ``other`` category.
        min_count: values held by fewer rows are not copied, and no n-gram held by fewer rows
            is generated.
    """

    def __init__(self, max_categories: int = MAX_CATEGORIES, min_count: int = MIN_COUNT):
        self.max_categories = max_categories
        self.min_count = min_count
        self.columns_: dict[str, CappedColumn] = {}

    @property
    def is_identity(self) -> bool:
        return not self.columns_

    def fit(self, df: pd.DataFrame, spec: TableSpec, *, seed: int | None = 0) -> CardinalityPlan:
        rng = np.random.default_rng(seed)
        self.columns_ = {}
        for col in spec.columns:
            if col.kind != "categorical":
                continue
            counts = df[col.name].value_counts(dropna=True, sort=True)  # most frequent first
            if len(counts) <= self.max_categories:
                continue
            self.columns_[col.name] = self._fit_column(col.name, counts, rng)
        return self

    def _fit_column(self, name: str, counts: pd.Series, rng: np.random.Generator) -> CappedColumn:
        values = counts.index.to_numpy(dtype=object)
        n = counts.to_numpy(dtype=np.int64)
        common = n >= self.min_count
        head = np.flatnonzero(common)[: self.max_categories - 1]
        tail_common = np.flatnonzero(common)[self.max_categories - 1 :]
        rare = ~common
        generator = None
        is_str = all(isinstance(v, str) for v in values[: min(len(values), 1000)])
        if rare.any() and is_str and all(isinstance(v, str) for v in values):
            # the values the generated ones stand in for: everything outside the head
            pick = np.setdiff1d(np.arange(len(values)), head)
            if len(pick) > MAX_FIT_VALUES:  # a seeded subset of distinct values
                pick = np.sort(rng.choice(pick, MAX_FIT_VALUES, replace=False))
            model = NGramModel().fit(values[pick], n[pick], self.min_count)
            generator = model if model.can_generate else None
        head_vals = sorted(values[head].tolist(), key=_sort_key)
        order = {v: i for i, v in enumerate(values[head].tolist())}
        head_counts = np.array([n[head][order[v]] for v in head_vals], dtype=np.int64)
        return CappedColumn(
            name=name,
            distinct=len(values),
            rows=int(n.sum()),
            head=head_vals,
            common=values[tail_common].tolist(),
            common_counts=n[tail_common],
            common_rows=int(n[tail_common].sum()),
            rare_rows=int(n[rare].sum()),
            rare_distinct=int(rare.sum()),
            generator=generator,
            head_counts=head_counts,
        )

    # --- before the model ---------------------------------------------------------------------
    def model_spec(self, spec: TableSpec) -> TableSpec:
        """``spec`` with each capped column's categories replaced by its head + ``other``."""
        cols = []
        for col in spec.columns:
            capped = self.columns_.get(col.name)
            if capped is None:
                cols.append(col)
                continue
            has_other = capped.other_rows > 0
            cats = list(capped.head) + ([OTHER] if has_other else [])
            cols.append(ColumnSpec(**{**col.__dict__, "categories": cats}))
        return TableSpec(cols)

    def encode(self, df: pd.DataFrame) -> pd.DataFrame:
        """Every value outside a capped column's head becomes ``other`` (missing stays)."""
        if self.is_identity:
            return df
        out = df.copy()
        for name, capped in self.columns_.items():
            s = df[name]
            if isinstance(s.dtype, pd.CategoricalDtype):
                s = s.astype(object)
            keep = s.isin(capped.head) | s.isna()
            out[name] = s.where(keep, OTHER).astype(object)
        return out

    def model_conditions(self, conditions: dict[str, Any]) -> tuple[dict[str, Any], dict]:
        """Conditions for the model (a value outside the head asks for ``other``), and the
        values to write into those columns afterwards."""
        model, forced = {}, {}
        for name, value in conditions.items():
            capped = self.columns_.get(name)
            if capped is None or _is_missing(value) or value in capped.head:
                model[name] = value
            else:
                model[name] = OTHER
                forced[name] = value
        return model, forced

    # --- after the model ----------------------------------------------------------------------
    def decode(
        self, df: pd.DataFrame, spec: TableSpec, rng: np.random.Generator, forced: dict
    ) -> pd.DataFrame:
        """Fill each ``other`` cell (see :meth:`CappedColumn.fill`) and restore dtypes."""
        if self.is_identity:
            return df
        df = df.copy()
        for name, capped in self.columns_.items():
            s = df[name].astype(object)
            values = s.to_numpy(dtype=object, copy=True)
            if name in forced:
                values[:] = forced[name]
            else:
                other = np.flatnonzero(values == OTHER)
                values[other] = capped.fill(len(other), rng)
            df[name] = _restore_dtype(pd.Series(values, index=df.index, name=name), spec[name])
        return df

    def output_spec(self, spec: TableSpec) -> TableSpec:
        """The model spec without ``other`` (what sampled tables carry)."""
        cols = []
        for col in spec.columns:
            if col.name in self.columns_ and col.categories and OTHER in col.categories:
                cats = [c for c in col.categories if c != OTHER]
                col = ColumnSpec(**{**col.__dict__, "categories": cats})
            cols.append(col)
        return TableSpec(cols)

    def describe(self) -> list[str]:
        return [c.describe(self.min_count) for c in self.columns_.values()]

    # --- state --------------------------------------------------------------------------------
    def get_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        cols, tensors = [], {}
        for i, c in enumerate(self.columns_.values()):
            entry = {
                "name": c.name,
                "distinct": c.distinct,
                "rows": c.rows,
                "head": c.head,
                "head_counts": np.asarray(c.head_counts).tolist(),
                "common": c.common,
                "common_counts": np.asarray(c.common_counts).tolist(),
                "common_rows": c.common_rows,
                "rare_rows": c.rare_rows,
                "rare_distinct": c.rare_distinct,
                "generator": None,
            }
            if c.generator is not None:
                entry["generator"], arrays = c.generator.get_state(f"cardinality.{i}")
                tensors.update(arrays)
            cols.append(entry)
        state = {"max_categories": self.max_categories, "min_count": self.min_count}
        return {**state, "columns": cols}, tensors

    @classmethod
    def from_state(
        cls, state: dict[str, Any] | None, tensors: dict[str, torch.Tensor]
    ) -> CardinalityPlan:
        if not state:
            return cls()
        plan = cls(state["max_categories"], state["min_count"])
        for i, e in enumerate(state["columns"]):
            gen = e.get("generator")
            plan.columns_[e["name"]] = CappedColumn(
                name=e["name"],
                distinct=e["distinct"],
                rows=e["rows"],
                head=e["head"],
                common=e["common"],
                common_counts=np.asarray(e["common_counts"], dtype=np.int64),
                common_rows=e["common_rows"],
                rare_rows=e["rare_rows"],
                rare_distinct=e["rare_distinct"],
                generator=None
                if gen is None
                else NGramModel.from_state(gen, tensors, f"cardinality.{i}"),
                head_counts=np.asarray(e["head_counts"], dtype=np.int64),
            )
        return plan


def _share(p: float) -> str:
    return "<1%" if 0 < p < 0.005 else f"{p:.0%}"


def _restore_dtype(s: pd.Series, col: ColumnSpec) -> pd.Series:
    if col.dtype == "category":
        return s.astype("category")
    if col.dtype == "string":
        return s.astype("string")
    if col.dtype == "str":
        try:
            return s.astype("str")
        except (TypeError, ValueError):
            return s
    return s


def _sort_key(v: Any) -> tuple[int, Any]:
    return (0, v) if isinstance(v, str) else (1, str(v))


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def modelled_values(
    s: pd.Series, max_categories: int = MAX_CATEGORIES, min_count: int = MIN_COUNT
) -> pd.Index | None:
    """The head of a high-cardinality column, as :class:`CardinalityPlan` would model it (its
    most frequent values held by ≥ ``min_count`` rows, at most ``max_categories - 1``), or None
    when the column has at most ``max_categories`` distinct values. The evaluation compares
    such columns on these values plus one ``other`` level, the level the synthesizers model."""
    counts = s.value_counts(dropna=True, sort=True)
    if len(counts) <= max_categories:
        return None
    head = counts[counts >= min_count].index[: max_categories - 1]
    return pd.Index(head)

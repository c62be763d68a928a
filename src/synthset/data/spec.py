"""Table specs: what each column is, detected from data, overridable, and round-tripped as JSON.

A spec is kept apart from any model (as SDV's metadata is): the encoder reads it to choose a
representation, and the sampler uses it to restore dtypes, bounds, rounding and categories.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from synthset.data._column_types import unsupported_column_problems
from synthset.data.datetimes import datetime_problem, dayfirst_of, detect_and_parse
from synthset.errors import DataError

KINDS = ("continuous", "discrete", "categorical", "boolean", "datetime", "id")
SPEC_FORMAT = 1


@dataclass
class ColumnSpec:
    """One column: its kind, the dtype to restore, and what was observed in the training data.

    Attributes:
        name: column name.
        kind: one of ``continuous``, ``discrete`` (integers), ``categorical``, ``boolean``,
            ``datetime`` or ``id`` (unique keys; regenerated, not modelled).
        dtype: the pandas dtype to restore on output (e.g. ``"int64"``, ``"float64"``, ``"str"``).
            A datetime column read from strings keeps its string dtype when it has a ``format``
            (samples are then text in that format), and is ``"datetime64[ns]"`` otherwise.
        nullable: whether missing values occur (they are modelled and reproduced).
        categories: the learned set of values (categorical / boolean), in a stable order.
        min, max: observed bounds (numeric; datetimes as ISO strings); samples are clipped to them.
        decimals: digits to round continuous values to (``None`` keeps full precision).
        missing_rate: share of missing values in the training data.
        resolution: datetimes only: the coarsest unit every value is a whole multiple of
            (``"D"``, ``"h"``, ``"min"``, ``"s"``, ``"ms"``, ``"us"``, ``"ns"``; ``"MS"`` /
            ``"YS"`` when every value is the first of a month / of a year at midnight); samples
            are rounded to it.
        format: datetimes read from strings only: the strftime / strptime format every value
            was written in (``"%m/%d/%Y"``, ``"%Y/%m/%d %H:%M"``, ``"%b %-d %Y"`` for
            ``Jan 1 2000``; ``%-d`` marks a field written without a leading zero). Values are
            parsed with it exactly (those that do not fit become missing) and samples are
            written back in it. Detected from a capped sample of the values; None for
            datetime64 columns and for strings no single format fits (mixed formats, time
            zones, fractions of a second), which are parsed value by value and sampled as
            datetime64 (ISO text in CSV).
        dayfirst: how a format with a numeric day and month reads them: True for day first
            (``%d/%m/%Y``), False for month first (``%m/%d/%Y``, and year-first ISO dates);
            None when not applicable. An ambiguous column, where no value's first field
            exceeds 12 (``01/02/2020``), is read month-first and says ``dayfirst: false``; to
            read it day-first, set ``format`` to the day-first one (e.g. ``"%d/%m/%Y"``) in
            spec.json or in the spec passed to ``fit``. Without a format, it sets the day-first
            reading of pandas' per-value parsing.
    """

    name: str
    kind: str
    dtype: str
    nullable: bool = False
    categories: list[Any] | None = None
    min: float | str | None = None
    max: float | str | None = None
    decimals: int | None = None
    missing_rate: float = 0.0
    resolution: str | None = None
    format: str | None = None
    dayfirst: bool | None = None

    @property
    def is_discrete(self) -> bool:
        """True for columns whose values come from a finite set (categorical, boolean)."""
        return self.kind in ("categorical", "boolean")

    @property
    def is_constant(self) -> bool:
        """A column with one non-missing value and no missing values: reproduced, not modelled."""
        return self.is_discrete and not self.nullable and len(self.categories or []) == 1


@dataclass
class TableSpec:
    """The spec of a whole table: an ordered list of :class:`ColumnSpec`."""

    columns: list[ColumnSpec] = field(default_factory=list)

    # --- access -------------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def __getitem__(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    # --- JSON round trip ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "modality": "table",
            "format": SPEC_FORMAT,
            "columns": [_jsonable(asdict(c)) for c in self.columns],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TableSpec:
        if not isinstance(d, dict) or d.get("modality") != "table" or "columns" not in d:
            raise DataError("not a table spec: expected {'modality': 'table', 'columns': [...]}")
        cols = []
        for c in d["columns"]:
            if c.get("kind") not in KINDS:
                raise DataError(
                    f"column {c.get('name')!r} has unknown kind {c.get('kind')!r}; "
                    f"expected one of {', '.join(KINDS)}"
                )
            cols.append(ColumnSpec(**c))
        spec = cls(cols)
        problems = spec.datetime_problems()
        if problems:
            raise DataError(problems)
        return spec

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> TableSpec:
        return cls.from_dict(json.loads(text))

    # --- detection ----------------------------------------------------------------------------
    @classmethod
    def detect(cls, df: pd.DataFrame, overrides: dict[str, str] | None = None) -> TableSpec:
        """Detect the spec of ``df``; ``overrides`` forces kinds by column name.

        Raises:
            DataError: listing every problem (empty table, all-missing columns, bad names, ...).
        """
        validate_frame(df)
        overrides = dict(overrides or {})
        problems = []
        for name, kind in overrides.items():
            if name not in df.columns:
                problems.append(f"override names unknown column {name!r}")
            elif kind not in KINDS:
                problems.append(
                    f"override for {name!r} has unknown kind {kind!r}; expected one of "
                    f"{', '.join(KINDS)}"
                )
        if problems:
            raise DataError(problems)
        return cls([_detect_column(df[name], overrides.get(name)) for name in df.columns])

    def datetime_problems(self) -> list[str]:
        """Datetime columns whose ``format`` does not work or contradicts their ``dayfirst``."""
        found = (
            datetime_problem(c.name, c.format, c.dayfirst)
            for c in self.columns
            if c.kind == "datetime"
        )
        return [p for p in found if p is not None]

    def validate(self, df: pd.DataFrame) -> None:
        """Check that ``df`` has this spec's columns (extra columns are errors too) and that its
        datetime formats are usable."""
        missing = [n for n in self.names if n not in df.columns]
        extra = [n for n in df.columns if n not in self]
        problems = self.datetime_problems()
        if missing:
            problems.append(f"columns missing from the data: {missing}")
        if extra:
            problems.append(f"columns not in the spec: {extra}; drop them or re-detect the spec")
        if problems:
            raise DataError(problems)


def validate_frame(df: pd.DataFrame, *, check_values: bool = True) -> None:
    """Raise DataError listing every problem that makes ``df`` unusable for fitting.

    ``check_values=False`` checks only the frame's shape, names and column types (not
    all-missing or infinite columns).
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame or synthset Table, got {type(df).__name__}")
    problems = []
    if df.shape[1] == 0:
        problems.append("the table has no columns")
    if len(df) == 0:
        problems.append("the table has no rows; provide at least one row of data")
    non_str = [c for c in df.columns if not isinstance(c, str)]
    if non_str:
        problems.append(f"column names must be strings, got {non_str[:5]}; rename them")
    dup = df.columns[df.columns.duplicated()].tolist()
    if dup:
        problems.append(f"duplicate column names {dup}; make them unique")
    if len(df) and not problems and check_values:
        all_nan = [c for c in df.columns if df[c].isna().all()]
        if all_nan:
            problems.append(
                f"columns with only missing values: {all_nan}; drop them, nothing can be learned"
            )
        inf = [
            c
            for c in df.columns
            if pd.api.types.is_float_dtype(df[c].dtype) and np.isinf(df[c].to_numpy(float)).any()
        ]
        if inf:
            problems.append(
                f"columns with infinite values: {inf}; replace them with NaN or a finite bound"
            )
    problems.extend(unsupported_column_problems(df))  # lists, dicts, bytes, mixed types, ...
    if problems:
        raise DataError(problems)


# --- helpers ----------------------------------------------------------------------------------
_TRUE_FALSE = {True, False}


def _detect_column(s: pd.Series, forced: str | None) -> ColumnSpec:
    name = str(s.name)
    nonnull = s.dropna()
    nullable = bool(s.isna().any())
    missing_rate = float(s.isna().mean())
    dtype = str(s.dtype)
    kind = forced or _guess_kind(s, nonnull)

    spec = ColumnSpec(
        name=name, kind=kind, dtype=dtype, nullable=nullable, missing_rate=missing_rate
    )
    if kind in ("categorical", "boolean"):
        values = pd.unique(nonnull)
        try:
            values = sorted(values)
        except TypeError:
            values = sorted(values, key=str)
        spec.categories = [_py(v) for v in values]
    elif kind in ("continuous", "discrete"):
        x = pd.to_numeric(nonnull, errors="coerce")
        if x.isna().any():
            bad = nonnull[x.isna()].iloc[0]
            raise DataError(
                f"column {name!r} is declared {kind} but holds non-numeric value {bad!r}; "
                "declare it categorical or clean it"
            )
        x = x.to_numpy(dtype=np.float64)
        spec.min, spec.max = float(x.min()), float(x.max())
        spec.decimals = 0 if kind == "discrete" else _decimals(x)
    elif kind == "datetime":
        t, spec.format = detect_and_parse(nonnull)
        spec.dayfirst = dayfirst_of(spec.format)
        spec.min, spec.max = t.min().isoformat(), t.max().isoformat()
        spec.resolution = _resolution(t)
        if spec.format is None and not str(s.dtype).startswith("datetime64"):
            spec.dtype = "datetime64[ns]"  # parsed value by value: sampled as datetime64
    elif kind == "id":
        spec.min = None
    return spec


def _guess_kind(s: pd.Series, nonnull: pd.Series) -> str:
    dt = s.dtype
    n_unique = nonnull.nunique()
    if pd.api.types.is_bool_dtype(dt):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(dt):
        return "datetime"
    if isinstance(dt, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_integer_dtype(dt) or (
        pd.api.types.is_float_dtype(dt) and len(nonnull) and np.all(np.mod(nonnull, 1) == 0)
    ):
        if n_unique <= 2:
            return "categorical"
        if pd.api.types.is_integer_dtype(dt) and _looks_like_id(s, nonnull):
            return "id"
        return "discrete"
    if pd.api.types.is_float_dtype(dt):
        return "continuous"
    # object / string columns
    values = set(nonnull.unique().tolist()) if n_unique <= 2 else None
    if values is not None and values <= _TRUE_FALSE:
        return "boolean"
    if _looks_like_datetime(nonnull):
        return "datetime"
    if _looks_like_id(s, nonnull):
        return "id"
    return "categorical"


def _looks_like_id(s: pd.Series, nonnull: pd.Series) -> bool:
    n = len(nonnull)
    if n < 20 or nonnull.nunique() != n or s.isna().any():
        return False
    lname = str(s.name).lower()
    named = lname == "id" or lname.endswith("_id") or lname.endswith("id") and len(lname) <= 6
    if pd.api.types.is_integer_dtype(s.dtype):
        v = np.sort(nonnull.to_numpy())
        consecutive = bool(np.all(np.diff(v) == 1))
        return named or consecutive
    return True  # every string value distinct: a key, not a category


def _looks_like_datetime(nonnull: pd.Series) -> bool:
    if not len(nonnull) or not all(isinstance(v, str) for v in nonnull.iloc[:50]):
        return False
    sample = nonnull.iloc[:200]
    # numbers are not dates, even though pandas parses many of them
    if pd.to_numeric(sample, errors="coerce").notna().mean() > 0.5:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.95)


RESOLUTIONS = {"D": 86_400e9, "h": 3_600e9, "min": 60e9, "s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0}
# Calendar resolutions coarser than a day: every value is the first of a year / of a month (at
# midnight), as in monthly or yearly series. Samples are rounded to the nearest such day. The
# steps are the shortest year and month, for code that needs "at least this coarse" in ns.
CALENDAR_RESOLUTIONS = {"YS": 365 * 86_400e9, "MS": 28 * 86_400e9}


def resolution_ns(resolution: str | None) -> float:
    """The step of a resolution in nanoseconds (a calendar one: its shortest length)."""
    if resolution in CALENDAR_RESOLUTIONS:
        return CALENDAR_RESOLUTIONS[resolution]
    return RESOLUTIONS.get(resolution or "ns", 1.0)


def _resolution(t: pd.Series) -> str:
    t = t.dropna()
    if getattr(t.dt, "tz", None) is not None:
        t = t.dt.tz_convert("UTC").dt.tz_localize(None)
    t = t.iloc[:10_000]
    ns = t.astype("datetime64[ns]").to_numpy().astype("int64")
    if len(ns) and np.all(ns % int(RESOLUTIONS["D"]) == 0) and (t.dt.day == 1).all():
        return "YS" if (t.dt.month == 1).all() else "MS"
    for unit, step in RESOLUTIONS.items():
        if np.all(ns % int(step) == 0):
            return unit
    return "ns"


def _decimals(x: np.ndarray, max_decimals: int = 6) -> int | None:
    sample = x[:10_000]
    for d in range(max_decimals + 1):
        if np.allclose(
            np.round(sample, d), sample, rtol=0, atol=1e-9 * max(1.0, np.abs(sample).max())
        ):
            return d
    return None


def _py(v: Any) -> Any:
    """Convert numpy scalars to plain Python for JSON."""
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            v = None
        elif isinstance(v, list):
            v = [_py(x) for x in v]
        else:
            v = _py(v)
        out[k] = v
    return out

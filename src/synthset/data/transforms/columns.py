"""Column-level conversions shared by every table encoder (vectorised, no per-row loops).

Every column becomes either a float64 array (continuous, discrete, datetime; NaN = missing) or an
int64 code array (categorical, boolean; -1 = missing), and comes back with its spec's dtype,
bounds, rounding and categories restored. Datetime columns read from strings with a known
``format`` are parsed with it exactly and come back as text in it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthset.data.datetimes import format_datetimes, parse_datetimes
from synthset.data.spec import CALENDAR_RESOLUTIONS, RESOLUTIONS, ColumnSpec
from synthset.errors import DataError

NUMERIC_KINDS = ("continuous", "discrete", "datetime")


def to_numeric(s: pd.Series, col: ColumnSpec) -> np.ndarray:
    """float64 values of a numeric or datetime column; NaN marks missing values.

    Datetimes are seconds since the epoch; strings are parsed with the spec's ``format`` (values
    that do not fit it are missing), or value by value when it has none.
    """
    if col.kind == "datetime":
        if not pd.api.types.is_datetime64_any_dtype(s.dtype):
            s = parse_datetimes(s, col.format, dayfirst=col.dayfirst, name=col.name)
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        ns = s.astype("datetime64[ns]").to_numpy().astype("int64").astype(np.float64)
        ns[s.isna().to_numpy()] = np.nan
        return ns / 1e9  # seconds since the epoch
    x = pd.to_numeric(s, errors="coerce")
    return x.to_numpy(dtype=np.float64, na_value=np.nan)


def datetime_bounds(col: ColumnSpec) -> tuple[float, float]:
    """``col.min`` / ``col.max`` in seconds since the epoch: ISO text (as the spec stores them)
    or text in the column's own ``format`` (as DP public bounds may be given)."""
    return _bound_seconds(col, col.min, "min"), _bound_seconds(col, col.max, "max")


def datetime_iso(col: ColumnSpec, value: object, which: str = "bound") -> str:
    """A datetime bound (ISO text, or text in ``col.format``) as the ISO text a spec stores."""
    return _parse_bound(col, value, which).isoformat()


def _bound_seconds(col: ColumnSpec, value: object, which: str) -> float:
    t = _parse_bound(col, value, which)
    if t.tz is not None:
        t = t.tz_convert("UTC").tz_localize(None)
    return float(t.as_unit("ns").value) / 1e9


def _parse_bound(col: ColumnSpec, value: object, which: str) -> pd.Timestamp:
    text = pd.Series([value], dtype=object)
    t = parse_datetimes(text, "ISO8601")
    if t.isna().all() and col.format:
        t = parse_datetimes(text, col.format, name=col.name)
    if t.isna().all():
        hint = f" or as {col.format!r}" if col.format else ""
        raise DataError(
            f"datetime column {col.name!r} has {which} {value!r}, which is not a date; "
            f"write it as ISO text (2020-01-31){hint}"
        )
    return t.iloc[0]


def numeric_bounds(col: ColumnSpec) -> tuple[float, float]:
    if col.kind == "datetime":
        return datetime_bounds(col)
    return float(col.min), float(col.max)


def from_numeric(x: np.ndarray, col: ColumnSpec) -> pd.Series:
    """Restore a numeric/datetime column: clip to bounds, round, cast to the spec's dtype."""
    x = np.asarray(x, dtype=np.float64)
    missing = np.isnan(x)
    lo, hi = numeric_bounds(col)
    x = np.clip(x, lo, hi)
    if col.kind == "datetime":
        if col.resolution in CALENDAR_RESOLUTIONS:
            stamps = _nearest_calendar_start(np.where(missing, lo, x), col.resolution, lo, hi)
        else:
            step = RESOLUTIONS.get(col.resolution or "ns", 1.0)
            ns = np.round(x * 1e9 / step) * step
            ns[missing] = 0
            stamps = ns.astype("int64").astype("datetime64[ns]")
        out = pd.Series(stamps, name=col.name)
        out[missing] = pd.NaT
        if col.format and not col.dtype.startswith("datetime64"):
            return _as_text(format_datetimes(out, col.format), col.dtype)
        if col.dtype.startswith("datetime64[") and col.dtype != "datetime64[ns]":
            target = pd.api.types.pandas_dtype(col.dtype)
            if isinstance(target, pd.DatetimeTZDtype):  # to_numeric read it as UTC seconds
                out = out.dt.tz_localize("UTC").dt.tz_convert(target.tz)
            out = out.astype(target)  # pandas 3 keeps the source resolution (s, ms, us)
        return out
    if col.decimals is not None:
        x = np.round(x, col.decimals)
    x[missing] = np.nan
    dtype = col.dtype
    if missing.any():
        if dtype.startswith(("int", "uint")):
            return pd.Series(
                pd.array(np.where(missing, 0, x).astype(np.int64), dtype="Int64").astype("Int64"),
                name=col.name,
            ).mask(missing)
        return pd.Series(x, name=col.name).astype(_nullable_float(dtype))
    if dtype.startswith(("int", "uint", "Int", "UInt")):
        return pd.Series(x.astype(np.int64), name=col.name).astype(dtype)
    if dtype in ("float32", "float64", "Float64", "Float32"):
        return pd.Series(x, name=col.name).astype(dtype)
    return pd.Series(x, name=col.name)


def _as_text(out: pd.Series, dtype: str) -> pd.Series:
    """Formatted datetimes with the source column's string dtype (``str``, ``string``, ...)."""
    if str(out.dtype) == dtype:
        return out
    try:
        return out.astype(dtype)
    except (TypeError, ValueError):
        return out


def _nearest_calendar_start(
    seconds: np.ndarray, resolution: str, low: float, high: float
) -> np.ndarray:
    """datetime64[ns] of the first day of the month (``"MS"``) or year (``"YS"``) nearest to
    each time (seconds since the epoch) within [low, high], vectorised through NumPy's
    calendar units."""
    unit = "M" if resolution == "MS" else "Y"
    t = (seconds * 1e9).astype("int64").astype("datetime64[ns]")
    below = t.astype(f"datetime64[{unit}]")  # floors to the unit
    lo = below.astype("datetime64[ns]")
    hi = (below + 1).astype("datetime64[ns]")
    nearest = np.where(t - lo <= hi - t, lo, hi)
    top = np.datetime64(int(high * 1e9), "ns")
    bottom = np.datetime64(int(low * 1e9), "ns")
    # a bound that is not a calendar start (a private one): stay inside it
    return np.where(nearest > top, lo, np.where(nearest < bottom, hi, nearest))


def _nullable_float(dtype: str) -> str:
    return dtype if dtype in ("float32", "float64", "Float32", "Float64") else "float64"


def to_codes(s: pd.Series, col: ColumnSpec, *, strict: bool = False) -> np.ndarray:
    """int64 codes into ``col.categories``; -1 for missing (and for unseen values unless strict)."""
    cats = col.categories or []
    index = pd.Index(_canonical(cats))
    values = _canonical_series(s)
    codes = index.get_indexer(values)
    if strict:
        unseen = (codes < 0) & s.notna().to_numpy()
        if unseen.any():
            bad = pd.unique(s[unseen])[:5].tolist()
            raise DataError(f"column {col.name!r} has values not seen in training: {bad}")
    return codes.astype(np.int64)


def from_codes(codes: np.ndarray, col: ColumnSpec) -> pd.Series:
    """Restore a categorical/boolean column from codes (-1 = missing), with the spec's dtype."""
    cats = col.categories or []
    codes = np.asarray(codes, dtype=np.int64)
    missing = codes < 0
    if col.dtype == "category":
        cat = pd.Categorical.from_codes(np.where(missing, -1, codes), categories=cats)
        return pd.Series(cat, name=col.name)
    if col.dtype in ("str", "string", "object") and all(isinstance(c, str) for c in cats):
        return _strings_from_codes(codes, missing, cats, col)
    arr = np.empty(len(codes), dtype=object)
    lookup = np.array(cats + [None], dtype=object)
    arr[:] = lookup[np.where(missing, len(cats), codes)]
    s = pd.Series(arr, name=col.name)
    dtype = col.dtype
    try:
        if missing.any():
            if dtype == "bool" or dtype == "boolean":
                return s.astype("boolean")
            if dtype.startswith(("int", "uint", "Int", "UInt")):
                return s.astype("Int64")
            if dtype.startswith(("float", "Float")):
                return s.astype("float64")
            return s
        if dtype in ("object", "string", "str"):
            return s.astype(dtype) if dtype == "string" else s
        return s.astype(dtype)
    except (TypeError, ValueError):
        return s


def _strings_from_codes(
    codes: np.ndarray, missing: np.ndarray, cats: list[str], col: ColumnSpec
) -> pd.Series:
    """Decode string categories through an Arrow dictionary array (~10x faster than building
    a Python object array row by row)."""
    import pyarrow as pa

    idx = pa.array(np.where(missing, 0, codes).astype(np.int32), mask=missing)
    arr = pa.DictionaryArray.from_arrays(idx, pa.array(cats, type=pa.string()))
    out = pd.Series(arr.dictionary_decode().to_pandas(), name=col.name)
    if col.dtype != str(out.dtype):
        out = out.astype(col.dtype)
    return out


def _canonical(values: list) -> list:
    # JSON turns tuple-free scalars back faithfully, but ints may arrive as floats from CSV.
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def _canonical_series(s: pd.Series) -> pd.Series:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.astype(object)
    if pd.api.types.is_bool_dtype(s.dtype) and s.dtype != bool:
        return s.astype(object)
    return s

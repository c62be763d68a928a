"""Column types a table synthesizer cannot model: found per column, named with their fix.

A table column must hold one kind of scalar: numbers, strings, booleans, categories or
datetimes. Lists, dicts (Parquet structs), bytes, dates or Decimals in an object column, columns
that mix types (``[1, "a", 2.5]``), durations, periods, intervals and complex numbers would
otherwise fail deep inside detection or encoding with a ``TypeError``. The check reads each
column's dtype; an object column is classified by ``pandas.api.types.infer_dtype``, one pass in
C. Only a column found bad is looked at value by value, to say which types it holds.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import numpy as np
import pandas as pd

# infer_dtype results of an object column that detection and the encoders handle
_SCALAR_OBJECTS = {"string", "empty", "boolean", "integer", "floating", "mixed-integer-float"}
# what each kind of bad column is called, and how to fix it (``{c}`` is the column, quoted)
_FIXES = {
    "lists": "flatten it into scalar columns, or make it strings: df[{c}] = df[{c}].astype(str)",
    "dicts": "flatten it with pd.json_normalize, or make it strings: df[{c}] = df[{c}].astype(str)",
    "bytes": "decode it: df[{c}] = df[{c}].str.decode('utf-8')",
    "mixed types": "give it one type: df[{c}] = df[{c}].astype(str)",
    "dates": "make it datetimes: df[{c}] = pd.to_datetime(df[{c}])",
    "datetime objects": "make it datetimes: df[{c}] = pd.to_datetime(df[{c}], utc=True)",
    "times of day": "make it strings: df[{c}] = df[{c}].astype(str)",
    "Decimals": "make it floats: df[{c}] = df[{c}].astype(float)",
    "durations": "make it seconds: df[{c}] = df[{c}].dt.total_seconds()",
    "periods": "make it datetimes: df[{c}] = df[{c}].dt.to_timestamp()",
    "intervals": "make it strings: df[{c}] = df[{c}].astype(str)",
    "complex numbers": "split it into np.real and np.imag columns",
    "objects": "make it strings: df[{c}] = df[{c}].astype(str)",
}
_BY_INFERRED = {
    "bytes": "bytes",
    "date": "dates",
    "datetime": "datetime objects",
    "datetime64": "datetime objects",
    "time": "times of day",
    "decimal": "Decimals",
    "timedelta": "durations",
    "timedelta64": "durations",
    "period": "periods",
    "interval": "intervals",
    "complex": "complex numbers",
}
_NESTED_TYPES = (list, tuple, set, frozenset, np.ndarray)


def unsupported_column_problems(df: pd.DataFrame) -> list[str]:
    """One problem per column whose type cannot be modelled, naming the type and the fix;
    empty when every column is fine."""
    problems = []
    for i, name in enumerate(df.columns):
        found = _classify(df.iloc[:, i])
        if found is None:
            continue
        what, example = found
        c = repr(name)
        shown = f" (e.g. {_short(example)})" if example is not None else ""
        problems.append(
            f"column {c} holds {what}{shown}, which synthset tables cannot use; "
            f"{_FIXES[what].format(c=c)}, or drop it: df = df.drop(columns=[{c}])"
        )
    return problems


def _classify(s: pd.Series) -> tuple[str, Any] | None:
    """(what the column holds, an example value) for an unsupported column, else None."""
    dtype = s.dtype
    if isinstance(dtype, pd.ArrowDtype):
        return _classify_arrow(dtype.pyarrow_dtype, s)
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "durations", None
    if pd.api.types.is_complex_dtype(dtype):
        return "complex numbers", None
    if isinstance(dtype, pd.PeriodDtype):
        return "periods", None
    if isinstance(dtype, pd.IntervalDtype):
        return "intervals", None
    if not pd.api.types.is_object_dtype(dtype):
        return None
    inferred = pd.api.types.infer_dtype(s, skipna=True)
    if inferred in _SCALAR_OBJECTS:
        return None
    if inferred in _BY_INFERRED:
        return _BY_INFERRED[inferred], _first(s)
    return _classify_mixed(s)  # "mixed", "mixed-integer" (ints and strings), ...


def _classify_mixed(s: pd.Series) -> tuple[str, Any]:
    """A column ``infer_dtype`` calls mixed: containers, bytes, or scalars of several types.
    The failure path only: the type of every value, then a test per distinct type."""
    values, types = _types(s)
    distinct = pd.unique(types)
    for what, kinds in (
        ("lists", _NESTED_TYPES),
        ("dicts", (dict,)),
        ("bytes", (bytes, bytearray, memoryview)),
        ("dates", (datetime.date,)),
        ("Decimals", (decimal.Decimal,)),
    ):
        hit = [t for t in distinct if issubclass(t, kinds)]
        if hit:
            if what == "dates" and issubclass(hit[0], datetime.datetime):
                what = "datetime objects"
            return what, values[np.argmax(pd.Series(types).isin(hit).to_numpy())]
    odd = [t for t in distinct if not issubclass(t, (str, int, float, bool, np.generic))]
    if not odd:
        return "mixed types", _mixed_example(s)
    return "objects", values[np.argmax(types == odd[0])]


def _classify_arrow(pa_type: Any, s: pd.Series) -> tuple[str, Any] | None:
    import pyarrow as pa

    t = pa.types
    if t.is_list(pa_type) or t.is_large_list(pa_type) or t.is_fixed_size_list(pa_type):
        return "lists", _first(s)
    if t.is_struct(pa_type) or t.is_map(pa_type) or t.is_union(pa_type):
        return "dicts", _first(s)
    if t.is_binary(pa_type) or t.is_large_binary(pa_type) or t.is_fixed_size_binary(pa_type):
        return "bytes", _first(s)
    if t.is_date(pa_type):
        return "dates", _first(s)
    if t.is_time(pa_type):
        return "times of day", _first(s)
    if t.is_decimal(pa_type):
        return "Decimals", _first(s)
    if t.is_duration(pa_type):
        return "durations", None
    return None


def _first(s: pd.Series) -> Any:
    nonnull = s.dropna()
    return nonnull.iloc[0] if len(nonnull) else None


def _mixed_example(s: pd.Series) -> str:
    """``int 1, str 'a'``: the first value of each type, most common type first."""
    values, types = _types(s)
    counts = pd.Series(types).value_counts()
    shown = [f"{t.__name__} {_short(values[np.argmax(types == t)])}" for t in counts.index[:3]]
    return _Raw(", ".join(shown) + (", …" if len(counts) > 3 else ""))


def _types(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The non-missing values of ``s`` and the type of each (object arrays)."""
    values = s.dropna().to_numpy(dtype=object)
    return values, np.fromiter(map(type, values), dtype=object, count=len(values))


class _Raw(str):
    """Text shown as is (not repr'd) in a problem's example."""


def _short(value: Any, limit: int = 40) -> str:
    if isinstance(value, _Raw):
        return str(value)
    if isinstance(value, np.ndarray):
        value = value.tolist()
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"

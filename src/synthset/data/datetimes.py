"""Datetime text formats: detect a string column's one format, parse with it, write it back.

A column of date strings (``01/31/2020``, ``Jan 1 2000``, ``2010/01/01 00:00``) is read with a
single strptime format found on a capped sample, so parsing is exact and fast, and samples are
written back as text in the same format. Formats follow strftime, plus glibc's ``%-d`` style
for fields written without a leading zero (``Jan 1 2000`` is ``%b %-d %Y``); parsing accepts
either, so ``%-d`` only changes the output.

Ambiguous dates (``01/02/2020``) are read month-first unless some value's first field is above
12; the spec's ``dayfirst`` records the choice, and its ``format`` can be edited to change it.
"""

from __future__ import annotations

import itertools
import re
import sys
import warnings

import numpy as np
import pandas as pd

from synthset.errors import DataError

SAMPLE_CAP = 4_000  # values a format is chosen on
_PADDING_CAP = 1_000  # values the leading-zero style is read from
_HEAD = 8  # the first values of the sample, used to reject most candidates cheaply

# Month-first before day-first: a column both parse (no day above 12) reads month-first. Dotted
# dates have no month-first candidate (that order is rare), so ``01.02.2020`` reads day-first.
_DATES = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%m-%d-%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%m/%d/%y",
    "%d/%m/%y",
    "%m-%d-%y",
    "%d-%m-%y",
    "%d.%m.%y",
    "%b %d %Y",
    "%b %d, %Y",
    "%B %d %Y",
    "%B %d, %Y",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%a, %d %b %Y",
)
_TIMES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p")
_ISO_TIMES = ("T%H:%M", "T%H:%M:%S")
CANDIDATE_FORMATS = tuple(d + t for d in _DATES for t in _TIMES) + tuple(
    "%Y-%m-%d" + t for t in _ISO_TIMES
)
_UNPADDED = ("d", "m", "H", "I")  # fields that may be written without a leading zero


def parse_format(fmt: str) -> str:
    """The strptime form of ``fmt``: ``%-d`` / ``%#d`` (no leading zero) parse as ``%d``."""
    return fmt.replace("%-", "%").replace("%#", "%")


def dayfirst_of(fmt: str | None) -> bool | None:
    """True when ``fmt`` has a numeric day before a numeric month, False for month before day,
    None when it lacks either (no format, month names, time only)."""
    if not fmt:
        return None
    f = parse_format(fmt)
    day, month = f.find("%d"), f.find("%m")
    if day < 0 or month < 0:
        return None
    return day < month


def parse_datetimes(
    s: pd.Series, fmt: str | None, *, dayfirst: bool | None = None, name: str | None = None
) -> pd.Series:
    """datetime64 values of ``s``: with ``fmt`` exactly, else pandas' per-value ("mixed")
    parsing, day-first when ``dayfirst``. Values that do not parse become NaT.

    Raises:
        DataError: ``fmt`` is not a format pandas can parse with.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not fmt:
            return pd.to_datetime(s, errors="coerce", format="mixed", dayfirst=bool(dayfirst))
        try:
            return pd.to_datetime(s, errors="coerce", format=parse_format(fmt))
        except ValueError as exc:
            raise DataError(
                f"column {name or s.name!r} has datetime format {fmt!r}, which cannot parse "
                f"({exc}); use strptime directives (e.g. '%m/%d/%Y') or null for mixed parsing"
            ) from None


def format_datetimes(t: pd.Series, fmt: str) -> pd.Series:
    """``t`` (datetime64) as text in ``fmt``; NaT stays missing."""
    if sys.platform == "win32":  # the C library there spells "no leading zero" as %#d
        fmt = fmt.replace("%-", "%#")
    return t.dt.strftime(fmt)


def detect_and_parse(values: pd.Series) -> tuple[pd.Series, str | None]:
    """Parse the non-missing ``values`` of a datetime column: ``(datetime64 values, format)``.

    String columns get the one candidate format that parses every value of a capped sample
    (and then of the whole column); other columns, and string columns no single format fits
    (mixed formats, time zones, fractional seconds), get format None and mixed parsing.
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values, None
    if not len(values) or not pd.api.types.is_string_dtype(values):
        return parse_datetimes(values, None), None
    sample = _sample(values)
    fmt = detect_format(sample)
    if fmt is not None:
        t = parse_datetimes(values, fmt)
        bad = t.isna().to_numpy()
        if bad.any():  # a value outside the sample breaks it (e.g. a late day above 12): retry
            missed = values[bad].iloc[:SAMPLE_CAP].astype(object)
            fmt = detect_format(pd.concat([sample, missed], ignore_index=True))
            t = parse_datetimes(values, fmt) if fmt is not None else t
        if fmt is not None and t.notna().all():
            return t, fmt
    return parse_datetimes(values, None), None


def detect_format(values: pd.Series) -> str | None:
    """The first candidate format that parses every value of ``values`` (strings), with the
    leading-zero style of each numeric field as written; None when no candidate does."""
    text = values.astype(str).str.strip()
    head = text.iloc[:_HEAD]
    for fmt in CANDIDATE_FORMATS:
        if _parses_all(head, fmt) and _parses_all(text, fmt):
            return _padding(text, fmt)
    return None


def datetime_problem(name: str, fmt: str | None, dayfirst: bool | None) -> str | None:
    """Why a column's ``format`` / ``dayfirst`` pair cannot be used, or None."""
    if fmt is None:
        return None
    if not isinstance(fmt, str) or "%" not in fmt:
        return f"column {name!r} has datetime format {fmt!r}; expected a strftime string"
    try:
        stamp = format_datetimes(pd.Series(pd.to_datetime(["2001-02-03 04:05:06"])), fmt)
        parse_datetimes(stamp, fmt, name=name)
    except DataError as exc:
        return str(exc)
    except ValueError as exc:  # strftime refused it
        return f"column {name!r} has datetime format {fmt!r}, which cannot format ({exc})"
    implied = dayfirst_of(fmt)
    if dayfirst is not None and implied is not None and dayfirst != implied:
        first = "day" if dayfirst else "month"
        return (
            f"column {name!r} has dayfirst={dayfirst} but its format {fmt!r} reads the "
            f"{'month' if dayfirst else 'day'} first; to read the {first} first set format to "
            f"{_swap_day_month(fmt)!r} (dayfirst follows the format), or set dayfirst to {implied}"
        )
    return None


# --- helpers ----------------------------------------------------------------------------------
def _sample(values: pd.Series) -> pd.Series:
    """Up to SAMPLE_CAP distinct values spread evenly over the column (sorted dates included)."""
    if len(values) > SAMPLE_CAP:
        values = values.iloc[np.linspace(0, len(values) - 1, SAMPLE_CAP).astype(np.int64)]
    return pd.Series(pd.unique(values.to_numpy()), dtype=object)


def _parses_all(text: pd.Series, fmt: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bool(pd.to_datetime(text, errors="coerce", format=fmt).notna().all())


def _padding(text: pd.Series, fmt: str) -> str:
    """``fmt`` with ``%-d`` etc. for the numeric fields the values write without a leading zero:
    of the (at most 8) padded / unpadded variants, the one whose output matches the most values
    (case aside); ties keep the zeros."""
    text = text.iloc[:_PADDING_CAP]
    t = pd.to_datetime(text, format=fmt)
    wanted = text.str.lower()
    fields = [f for f in _UNPADDED if f"%{f}" in fmt]
    best, score = fmt, -1
    for unpadded in itertools.product((False, True), repeat=len(fields)):
        trial = fmt
        for field, drop in zip(fields, unpadded, strict=True):
            trial = trial.replace(f"%{field}", f"%-{field}") if drop else trial
        trial_score = int((format_datetimes(t, trial).str.lower() == wanted).sum())
        if trial_score > score:
            best, score = trial, trial_score
    return best


def _swap_day_month(fmt: str) -> str:
    return re.sub(r"%(-?)([dm])", lambda m: f"%{m[1]}{'m' if m[2] == 'd' else 'd'}", fmt)

"""Validation of ``sample(..., conditions={column: value})`` shared by every table synthesizer.

Conditions fix discrete columns only: a categorical or boolean column takes the given value in
every sampled row. Each synthesizer turns the validated ``{column: code}`` mapping into its own
exact conditional draw (a truncated latent for the Gaussian copula, a conditional vector for
CTGAN), so the checks and their messages live here once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from synthset.data.spec import ColumnSpec, TableSpec
from synthset.errors import ConfigError

MISSING_CODE = -1
"""The code returned for a condition that asks for a missing value (``None`` / NaN)."""

_SHOWN_VALUES = 10


def validate_conditions(spec: TableSpec, conditions: Mapping[str, Any] | None) -> dict[str, int]:
    """Check ``conditions`` against ``spec`` and turn each value into its category code.

    Values are matched exactly first; failing that, by their text (case-insensitive when that
    is unambiguous), so command-line strings such as ``"True"`` or ``"1"`` find the boolean
    ``True`` or the integer category ``1``.

    Args:
        spec: the fitted table spec.
        conditions: ``{column: value}``; ``None`` or ``{}`` means no conditions.

    Returns:
        ``{column: code}`` where ``code`` indexes ``spec[column].categories``, or is
        :data:`MISSING_CODE` (-1) for a missing-value condition on a nullable column.

    Raises:
        ConfigError: for an unknown column, a column that is not categorical/boolean, a value
            the synthesizer never saw, or a missing-value condition on a column without
            missing values.
    """
    if conditions is None:
        return {}
    if not isinstance(conditions, Mapping):
        raise ConfigError(
            f"`conditions` must be a mapping {{column: value}}, got {type(conditions).__name__}"
        )
    codes: dict[str, int] = {}
    for name, value in conditions.items():
        if name not in spec:
            raise ConfigError(
                f"cannot condition on unknown column {name!r}; columns: {', '.join(spec.names)}"
            )
        col = spec[name]
        if not col.is_discrete:
            discrete = [c.name for c in spec.columns if c.is_discrete]
            raise ConfigError(
                f"cannot condition on {name!r}: it is a {col.kind} column, and only "
                f"categorical/boolean columns can be conditioned "
                f"(here: {', '.join(discrete) or 'none'})"
            )
        codes[name] = _code_of(col, value)
    return codes


def _code_of(col: ColumnSpec, value: Any) -> int:
    if _is_missing(value):
        if not col.nullable:
            raise ConfigError(
                f"cannot condition {col.name!r} on a missing value: the column had no missing "
                "values in the training data"
            )
        return MISSING_CODE
    cats = list(col.categories or [])
    value = value.item() if isinstance(value, np.generic) else value
    # exact match first; type(...) guards keep True from matching the integer category 1
    for i, c in enumerate(cats):
        if type(c) is type(value) and c == value:
            return i
    for i, c in enumerate(cats):
        if _loose_equal(c, value):
            return i
    text = str(value).strip()
    for fold in (False, True):
        hits = [i for i, c in enumerate(cats) if _text_equal(c, text, fold)]
        if len(hits) == 1:
            return hits[0]
    shown = ", ".join(repr(c) for c in cats[:_SHOWN_VALUES])
    more = f", … ({len(cats)} in all)" if len(cats) > _SHOWN_VALUES else ""
    raise ConfigError(
        f"cannot condition {col.name!r} on {value!r}: not a value seen in training; "
        f"known values: {shown}{more}"
    )


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if np.ndim(value) != 0:
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _loose_equal(category: Any, value: Any) -> bool:
    # numbers of different types (1 vs 1.0) match, but a bool never matches a number
    if isinstance(category, bool) or isinstance(value, bool):
        return False
    numbers = (int, float)
    return isinstance(category, numbers) and isinstance(value, numbers) and category == value


def _text_equal(category: Any, text: str, fold: bool) -> bool:
    c = str(category).strip()
    if fold:
        return c.casefold() == text.casefold()
    return c == text

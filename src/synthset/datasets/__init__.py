"""Bundled offline datasets, reachable by name.

>>> from synthset import datasets
>>> [d.name for d in datasets.list_datasets()]
['adult', 'breast_cancer', 'penguins']
>>> train = datasets.load("adult")                  # the 32,561 UCI training rows
>>> test = datasets.load("adult", split="test")     # the 16,281 UCI test rows

Nothing is downloaded: ``adult`` ships inside the package, the others inside packages that
synthset already depends on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from synthset.data import Table
from synthset.datasets import loaders
from synthset.errors import DataError


@dataclass(frozen=True)
class DatasetInfo:
    """What a bundled dataset holds and where it comes from.

    Attributes:
        name: the name to pass to :func:`load`.
        rows: rows of the default split.
        cols: number of columns, the target included.
        description: one line on what a row is.
        source: where the data comes from (citation).
        licence: the licence it is shared under.
        target: the column a downstream model would predict (used to balance and evaluate).
        splits: names accepted by ``load(name, split=...)``; the first is the default.
    """

    name: str
    rows: int
    cols: int
    description: str
    source: str
    licence: str
    target: str
    splits: tuple[str, ...] = ("all",)


_CATALOG: dict[str, tuple[DatasetInfo, Callable[[str], pd.DataFrame]]] = {
    "adult": (
        DatasetInfo(
            name="adult",
            rows=32_561,
            cols=15,
            description="US census 1994: does a person earn more than $50K a year? (mixed types)",
            source="UCI Adult (Becker & Kohavi 1996)",
            licence="CC BY 4.0",
            target="income",
            splits=("train", "test", "all"),
        ),
        loaders.read_adult,
    ),
    "breast_cancer": (
        DatasetInfo(
            name="breast_cancer",
            rows=569,
            cols=31,
            description="Wisconsin diagnostic breast cancer: 30 cell-nucleus measurements",
            source="UCI Breast Cancer Wisconsin, via scikit-learn",
            licence="CC BY 4.0",
            target="diagnosis",
        ),
        loaders.read_breast_cancer,
    ),
    "penguins": (
        DatasetInfo(
            name="penguins",
            rows=344,
            cols=8,
            description="Palmer Archipelago penguins: species, island, body measurements, NaNs",
            source="Gorman et al. 2014, via palmerpenguins",
            licence="CC0 1.0",
            target="species",
        ),
        loaders.read_penguins,
    ),
}


def list_datasets() -> list[DatasetInfo]:
    """Describe every bundled dataset (without loading any of them).

    Returns:
        One :class:`DatasetInfo` per dataset, sorted by name.
    """
    return [info for info, _ in sorted(_CATALOG.values(), key=lambda entry: entry[0].name)]


def get_info(name: str) -> DatasetInfo:
    """Describe the bundled dataset ``name``.

    Raises:
        DataError: ``name`` is not a bundled dataset (the message lists the available names).
    """
    if name not in _CATALOG:
        raise DataError(
            f"unknown dataset {name!r}; available: {', '.join(sorted(_CATALOG))} "
            "(see `synthset datasets`)"
        )
    return _CATALOG[name][0]


def load(name: str, split: str | None = None) -> Table:
    """Load a bundled dataset as a :class:`~synthset.data.Table` (its spec detected).

    Args:
        name: a name from :func:`list_datasets`, e.g. ``"adult"``.
        split: one of the dataset's ``splits``; None takes the first (``"train"`` for adult,
            ``"all"`` for datasets that ship a single table).

    Returns:
        A new Table each call; changing it does not affect later loads.

    Raises:
        DataError: unknown dataset or split.
    """
    info = get_info(name)
    split = info.splits[0] if split is None else split
    if split not in info.splits:
        raise DataError(
            f"dataset {name!r} has no split {split!r}; available: {', '.join(info.splits)}"
        )
    frame = _CATALOG[name][1](split)
    return Table(frame, name=name)


def is_dataset(name: str) -> bool:
    """True when ``name`` names a bundled dataset."""
    return name in _CATALOG


__all__ = ["DatasetInfo", "get_info", "is_dataset", "list_datasets", "load"]

"""Readers of the raw bundled datasets, each returning a fresh pandas DataFrame.

Every reader works offline: ``adult`` is vendored as package data (the raw UCI files), the others
come from packages that are already dependencies (scikit-learn, palmerpenguins). The parsed frames
are cached per process; callers always receive a copy, so nobody can mutate the cache.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import pandas as pd

from synthset.errors import DataError

ADULT_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
]


def _package_file(name: str) -> Path:
    return Path(str(files("synthset.datasets").joinpath("data", name)))


@lru_cache(maxsize=4)
def _adult_part(part: str) -> pd.DataFrame:
    # The raw UCI files have no header, separate values by ", " and mark missing values with "?".
    # The test file opens with a junk line ("|1x3 Cross validator") and its labels end in ".".
    path = _package_file(f"adult.{part}.gz")
    df = pd.read_csv(
        path,
        header=None,
        names=ADULT_COLUMNS,
        skipinitialspace=True,
        na_values=["?"],
        skiprows=1 if part == "test" else 0,
        compression="gzip",
    )
    df["income"] = df["income"].str.rstrip(".")
    return df


def read_adult(split: str) -> pd.DataFrame:
    """UCI Adult census income: ``train`` (32,561 rows), ``test`` (16,281) or ``all``."""
    if split == "all":
        return pd.concat([_adult_part("data"), _adult_part("test")], ignore_index=True)
    return _adult_part("data" if split == "train" else "test").copy()


@lru_cache(maxsize=1)
def _breast_cancer() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    df = bunch.frame.drop(columns="target")
    names = list(bunch.target_names)  # 0 → "malignant", 1 → "benign"
    df["diagnosis"] = pd.Categorical.from_codes(bunch.target, names).astype(str)
    return df


def read_breast_cancer(split: str) -> pd.DataFrame:
    """Wisconsin diagnostic breast cancer: 569 tumours, 30 numeric features and a diagnosis."""
    return _breast_cancer().copy()


@lru_cache(maxsize=1)
def _penguins() -> pd.DataFrame:
    # Locate the CSV without importing palmerpenguins (its import is not needed to read a file).
    spec = importlib.util.find_spec("palmerpenguins")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            "the penguins dataset needs the package palmerpenguins; "
            "install it with `pip install palmerpenguins`"
        )
    path = Path(spec.submodule_search_locations[0]) / "data" / "penguins.csv"
    return pd.read_csv(path)


def read_penguins(split: str) -> pd.DataFrame:
    """Palmer penguins: 344 penguins of three species, with missing values."""
    return _penguins().copy()

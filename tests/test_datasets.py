"""Bundled datasets: shapes, cleaning of the raw files, and errors."""

from __future__ import annotations

import pytest

from synthset import datasets
from synthset.data import Table
from synthset.errors import DataError


def test_list_datasets_describes_every_bundled_dataset():
    # Run
    infos = datasets.list_datasets(modality="table")

    # Assert
    assert [i.name for i in infos] == ["adult", "breast_cancer", "penguins"]
    assert all(i.modality == "table" and i.shape is None for i in infos)
    adult = infos[0]
    assert (adult.rows, adult.cols, adult.target) == (32_561, 15, "income")
    assert all(i.source and i.licence and i.description for i in infos)


@pytest.mark.parametrize("info", datasets.list_datasets("table"), ids=lambda i: i.name)
def test_load_matches_its_info(info):
    # Run
    table = datasets.load(info.name)

    # Assert
    assert isinstance(table, Table)
    assert table.name == info.name
    assert table.shape == (info.rows, info.cols)
    assert info.target in table.columns


def test_load_adult_train_is_clean():
    # Run
    df = datasets.load("adult").data

    # Assert
    assert df.shape == (32_561, 15)
    assert df["age"].dtype == "int64" and df["capital-gain"].dtype == "int64"
    assert set(df["income"]) == {"<=50K", ">50K"}
    assert not df.isin(["?"]).any().any()
    assert df["workclass"].isna().sum() > 0  # "?" became NaN
    assert df["workclass"].iloc[0] == "State-gov"  # no leading space


def test_load_adult_test_strips_junk_line_and_label_dots():
    # Run
    df = datasets.load("adult", split="test").data

    # Assert
    assert df.shape == (16_281, 15)
    assert set(df["income"]) == {"<=50K", ">50K"}
    assert df["age"].dtype == "int64"
    assert df["occupation"].isna().sum() > 0


def test_load_adult_all_concatenates_both_splits():
    assert datasets.load("adult", split="all").shape == (32_561 + 16_281, 15)


def test_load_breast_cancer_has_readable_diagnosis():
    df = datasets.load("breast_cancer").data

    assert len(df) == 569
    assert set(df["diagnosis"]) == {"malignant", "benign"}
    assert (df["diagnosis"] == "benign").sum() == 357


def test_load_penguins_keeps_missing_values():
    df = datasets.load("penguins").data

    assert df.shape == (344, 8)
    assert df.isna().any().any()
    assert set(df["species"]) == {"Adelie", "Chinstrap", "Gentoo"}


def test_load_returns_independent_copies():
    # Setup
    first = datasets.load("penguins")

    # Run
    first.data.loc[0, "species"] = "Dodo"
    again = datasets.load("penguins")

    # Assert
    assert again.data.loc[0, "species"] == "Adelie"


def test_load_unknown_name_lists_available_names():
    match = "unknown dataset 'cifar10'.*adult, breast_cancer, chatterbot, digits"
    with pytest.raises(DataError, match=match):
        datasets.load("cifar10")


def test_load_unknown_split_raises():
    with pytest.raises(DataError, match="no split 'validation'.*train, test, all"):
        datasets.load("adult", split="validation")
    with pytest.raises(DataError, match="no split 'test'"):
        datasets.load("penguins", split="test")

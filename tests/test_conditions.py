"""validate_conditions: the checks shared by every table synthesizer's conditional sampling."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from synthset import make_synthesizer
from synthset.data import TableSpec
from synthset.errors import ConfigError
from synthset.sampling.conditions import MISSING_CODE, validate_conditions


@pytest.fixture
def spec() -> TableSpec:
    n = 40
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n),
            "colour": rng.choice(["red", "green", "blue"], n),
            "smoker": rng.random(n) > 0.5,
            "grade": rng.choice([0, 1], n),  # two integer values: detected as categorical
            "user_id": np.arange(n),
            "city": [None] + [f"c{i % 12}" for i in range(n - 1)],
        }
    )
    return TableSpec.detect(df)


def test_validate_conditions_returns_category_codes(spec):
    # Run
    codes = validate_conditions(spec, {"colour": "red", "smoker": True, "grade": 1})

    # Assert
    assert codes == {
        "colour": spec["colour"].categories.index("red"),
        "smoker": spec["smoker"].categories.index(True),
        "grade": spec["grade"].categories.index(1),
    }


def test_validate_conditions_empty_or_none_gives_no_codes(spec):
    assert validate_conditions(spec, None) == {}
    assert validate_conditions(spec, {}) == {}


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("smoker", "True", True),  # command-line strings
        ("smoker", "false", False),  # case-insensitive when unambiguous
        ("grade", "1", 1),
        ("grade", 1.0, 1),  # numbers of another type
        ("grade", np.int64(0), 0),  # numpy scalars
        ("smoker", np.bool_(True), True),
    ],
)
def test_validate_conditions_matches_loose_values(spec, column, value, expected):
    codes = validate_conditions(spec, {column: value})

    assert spec[column].categories[codes[column]] == expected


def test_validate_conditions_does_not_confuse_bools_and_ints(spec):
    with pytest.raises(ConfigError, match="not a value seen in training"):
        validate_conditions(spec, {"grade": True})


def test_validate_conditions_unknown_column_lists_columns(spec):
    with pytest.raises(ConfigError, match="unknown column 'colur'") as info:
        validate_conditions(spec, {"colur": "red"})

    assert "colour" in str(info.value) and "smoker" in str(info.value)


@pytest.mark.parametrize("column", ["age", "user_id"])
def test_validate_conditions_rejects_numeric_and_id_columns(spec, column):
    with pytest.raises(ConfigError, match="only categorical/boolean columns can be conditioned"):
        validate_conditions(spec, {column: 3})


def test_validate_conditions_unknown_value_lists_known_values(spec):
    with pytest.raises(ConfigError, match="'purple'") as info:
        validate_conditions(spec, {"colour": "purple"})

    assert all(repr(c) in str(info.value) for c in ("red", "green", "blue"))


def test_validate_conditions_shortens_long_value_lists(spec):
    with pytest.raises(ConfigError, match=r"… \(12 in all\)"):
        validate_conditions(spec, {"city": "nowhere"})


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, float("nan")])
def test_validate_conditions_missing_value_on_nullable_column(spec, missing):
    assert validate_conditions(spec, {"city": missing}) == {"city": MISSING_CODE}


def test_validate_conditions_missing_value_on_complete_column_fails(spec):
    with pytest.raises(ConfigError, match="no missing values"):
        validate_conditions(spec, {"colour": None})


def test_validate_conditions_rejects_non_mappings(spec):
    with pytest.raises(ConfigError, match="must be a mapping"):
        validate_conditions(spec, [("colour", "red")])


def test_tvae_finds_its_own_rows_of_a_rare_class():
    from synthset.synthesizers._neural import RareConditionWarning

    rng = np.random.default_rng(0)
    n = 800
    rare = rng.random(n) < 0.03
    df = pd.DataFrame(
        {
            "x": np.where(rare, rng.normal(5.0, 0.3, n), rng.normal(0.0, 1.0, n)),
            "label": np.where(rare, "rare", "common"),
        }
    )
    params = dict(epochs=60, batch_size=64, embedding_dim=8, compress_dims=(32,),
                  decompress_dims=(32,), random_state=0)  # fmt: skip
    tvae = make_synthesizer("tvae", **params).fit(df)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RareConditionWarning)
        out = tvae.sample(300, seed=1, conditions={"label": "rare"}).data
    assert tvae._set_rows < 0.2 * 300  # generated with the label, not relabelled
    assert (out["label"] == "rare").all()
    stingy = make_synthesizer("tvae", **params, condition_rounds=1).fit(df)
    with pytest.warns(RareConditionWarning, match="rarely generates"):
        stingy.sample(300, seed=1, conditions={"label": "rare"})

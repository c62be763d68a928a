"""augment(): real + synthetic rows with provenance, by ratio, by count, or balancing a class."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthset.data import Table
from synthset.errors import ConfigError, NotFittedError
from synthset.sampling import augment
from synthset.synthesizers.gaussian_copula import GaussianCopula


@pytest.fixture
def frame() -> pd.DataFrame:
    """120 rows: an 80 / 30 / 10 label, a numeric column that depends on it, a NaN, a date."""
    rng = np.random.default_rng(0)
    n = 120
    label = np.repeat(["low", "mid", "high"], [80, 30, 10])
    df = pd.DataFrame(
        {
            "income": np.where(label == "high", 90.0, np.where(label == "mid", 50.0, 20.0))
            + rng.normal(scale=5.0, size=n),
            "children": rng.integers(0, 4, n),
            "label": label,
            "owner": rng.random(n) > 0.5,
            "since": pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), "D"),
        }
    )
    df.loc[5, "income"] = np.nan
    return df


def test_augment_ratio_adds_a_share_of_rows(frame):
    # Run
    out = augment(frame, GaussianCopula(random_state=0), ratio=0.5, seed=0)

    # Assert
    assert isinstance(out, Table)
    df = out.data
    assert len(df) == 180
    assert df["synthset_source"].value_counts().to_dict() == {"real": 120, "synthetic": 60}
    assert (df["synthset_source"].iloc[:120] == "real").all()


def test_augment_keeps_real_rows_and_dtypes(frame):
    out = augment(frame, GaussianCopula(random_state=0), n_new=30, seed=0).data

    assert len(out) == 150
    pd.testing.assert_frame_equal(out.iloc[:120, :-1], frame)
    assert out.drop(columns="synthset_source").dtypes.to_dict() == frame.dtypes.to_dict()


def test_augment_spec_includes_the_provenance_column(frame):
    out = augment(frame, GaussianCopula(random_state=0), n_new=10, seed=0)

    assert out.spec.names == [*frame.columns, "synthset_source"]
    source = out.spec["synthset_source"]
    assert source.kind == "categorical" and source.categories == ["real", "synthetic"]
    assert out.spec["label"].categories == ["high", "low", "mid"]


def test_augment_balance_on_equalises_classes(frame):
    # Run
    out = augment(frame, GaussianCopula(random_state=0), balance_on="label", seed=0).data

    # Assert: 80 of each class; only the minorities got synthetic rows
    assert out["label"].value_counts().to_dict() == {"low": 80, "mid": 80, "high": 80}
    synthetic = out[out["synthset_source"] == "synthetic"]
    assert synthetic["label"].value_counts().to_dict() == {"mid": 50, "high": 70}
    # the conditional rows follow their class: "high" incomes stay high
    assert synthetic.loc[synthetic["label"] == "high", "income"].median() > 70


def test_augment_balance_on_boolean_column(frame):
    frame = frame.assign(owner=np.arange(len(frame)) < 20)

    out = augment(frame, GaussianCopula(random_state=0), balance_on="owner", seed=1).data

    assert out["owner"].value_counts().to_dict() == {True: 100, False: 100}
    assert out["owner"].dtype == bool


def test_augment_same_seed_same_rows(frame):
    a = augment(frame, GaussianCopula(random_state=0), balance_on="label", seed=4).data
    b = augment(frame, GaussianCopula(random_state=0), balance_on="label", seed=4).data

    pd.testing.assert_frame_equal(a, b)


def test_augment_fits_only_when_needed(frame):
    # Setup
    synth = GaussianCopula(random_state=0).fit(frame.iloc[:60])
    learned = synth.correlation_

    # Run: fit=None keeps a fitted synthesizer, fit=True refits it
    augment(frame, synth, n_new=5, seed=0)
    kept = synth.correlation_
    augment(frame, synth, n_new=5, seed=0, fit=True)

    # Assert
    assert kept is learned
    assert synth.correlation_ is not learned


def test_augment_fit_false_needs_a_fitted_synthesizer(frame):
    with pytest.raises(NotFittedError, match="fit=False"):
        augment(frame, GaussianCopula(), n_new=5, fit=False)


def test_augment_accepts_a_registry_name_and_no_provenance(frame):
    out = augment(frame, "gaussian_copula", n_new=7, seed=0, provenance_column=None)

    assert len(out) == 127 and list(out.data.columns) == list(frame.columns)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of `ratio`, `n_new` or `balance_on`; got none"),
        ({"ratio": 0.5, "n_new": 3}, "got ratio, n_new"),
        ({"ratio": 0}, "`ratio` must be a number > 0"),
        ({"ratio": -1.0}, "`ratio` must be a number > 0"),
        ({"ratio": True}, "`ratio` must be a number > 0"),
        ({"ratio": float("nan")}, "`ratio` must be a number > 0"),
        ({"ratio": 0.001}, "rounds to 0 new rows"),
        ({"n_new": 0}, "`n_new` must be an int ≥ 1"),
        ({"n_new": 2.5}, "`n_new` must be an int ≥ 1"),
        ({"balance_on": "labl"}, "unknown column 'labl'"),
        ({"balance_on": "income"}, "categorical or boolean column; 'income' is continuous"),
        ({"n_new": 3, "provenance_column": "label"}, "already has a column named 'label'"),
        ({"n_new": 3, "fit": "yes"}, "`fit` must be None, True or False"),
    ],
)
def test_augment_bad_input_raises_config_error(frame, kwargs, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        augment(frame, GaussianCopula(), **kwargs)


def test_augment_rejects_a_synthesizer_fitted_on_other_columns(frame):
    synth = GaussianCopula().fit(frame.drop(columns="owner"))

    with pytest.raises(ConfigError, match="fitted on columns"):
        augment(frame, synth, n_new=3)


def test_augment_rejects_non_synthesizers(frame):
    with pytest.raises(ConfigError, match="must be a Synthesizer or a registry name"):
        augment(frame, object(), n_new=3)

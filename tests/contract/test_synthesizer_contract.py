"""One suite run over every registered table synthesizer (scikit-learn's check_estimator)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthset import Table, list_synthesizers, load, make_synthesizer
from synthset.errors import ConfigError, NotFittedError
from tests.conftest import TINY_PARAMS, make_tiny_frame

NAMES = list_synthesizers(modality="table")


def test_every_table_synthesizer_has_tiny_params():
    assert set(NAMES) <= set(TINY_PARAMS), "add tiny params for new synthesizers"


@pytest.fixture(scope="module", params=NAMES)
def fitted(request):
    name = request.param
    df = make_tiny_frame()
    synth = make_synthesizer(name, **TINY_PARAMS[name])
    returned = synth.fit(df)
    return name, synth, returned, df


def test_fit_returns_self(fitted):
    _, synth, returned, _ = fitted
    assert returned is synth


def test_sample_matches_spec(fitted):
    _, synth, _, df = fitted
    out = synth.sample(200, seed=1)
    assert isinstance(out, Table)
    fake = out.data
    assert list(fake.columns) == list(df.columns)
    assert len(fake) == 200
    for col in synth.spec_.columns:
        s = fake[col.name]
        if col.kind in ("categorical", "boolean"):
            assert set(s.dropna().unique()) <= set(col.categories), col.name
        elif col.kind in ("continuous", "discrete"):
            v = s.dropna().astype(float)
            assert v.min() >= col.min and v.max() <= col.max, col.name
        if col.kind == "discrete":
            assert (s.dropna() % 1 == 0).all()
    assert fake["count"].dtype == df["count"].dtype
    assert fake["flag"].dtype == bool
    assert pd.api.types.is_datetime64_any_dtype(fake["when"])
    assert (fake["const"] == "same").all()  # a constant column is reproduced


def test_same_seed_same_rows(fitted):
    _, synth, _, _ = fitted
    a = synth.sample(50, seed=7).data
    b = synth.sample(50, seed=7).data
    c = synth.sample(50, seed=8).data
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_save_load_identical_sample(fitted, tmp_path):
    name, synth, _, _ = fitted
    synth.save(tmp_path / "run")
    again = load(tmp_path / "run")
    assert type(again) is type(synth)
    assert again.get_params().keys() == synth.get_params().keys()
    pd.testing.assert_frame_equal(synth.sample(64, seed=3).data, again.sample(64, seed=3).data)


def test_conditions_are_exact(fitted):
    _, synth, _, _ = fitted
    out = synth.sample(40, seed=2, conditions={"color": "blue", "flag": True}).data
    assert (out["color"] == "blue").all() and out["flag"].all()


def test_unseen_condition_value_raises(fitted):
    _, synth, _, _ = fitted
    with pytest.raises(ConfigError, match="purple"):
        synth.sample(5, conditions={"color": "purple"})
    with pytest.raises(ConfigError, match="nope"):
        synth.sample(5, conditions={"nope": 1})


@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_bad_n_raises(fitted, n):
    _, synth, _, _ = fitted
    with pytest.raises(ConfigError, match="n_samples"):
        synth.sample(n)


@pytest.mark.parametrize("name", NAMES)
def test_sample_before_fit_raises(name):
    with pytest.raises(NotFittedError):
        make_synthesizer(name).sample(3)


@pytest.mark.parametrize("name", NAMES)
def test_bad_params_name_the_parameter(name):
    bad = {"random_state": -1}
    if "epochs" in make_synthesizer(name).get_params():
        bad = {"epochs": 0}
    key = next(iter(bad))
    with pytest.raises(ConfigError, match=key):
        make_synthesizer(name, **bad).fit(make_tiny_frame())


@pytest.mark.parametrize("name", NAMES)
def test_fit_leaves_global_rng_alone(name):
    import torch

    np_state = np.random.get_state()[1].copy()
    torch_state = torch.get_rng_state().clone()
    make_synthesizer(name, **TINY_PARAMS[name]).fit(make_tiny_frame()).sample(10, seed=0)
    assert np.array_equal(np.random.get_state()[1], np_state)
    assert torch.equal(torch.get_rng_state(), torch_state)


@pytest.mark.parametrize("name", NAMES)
def test_fit_is_reproducible(name):
    df = make_tiny_frame()
    a = make_synthesizer(name, **TINY_PARAMS[name]).fit(df).sample(30, seed=1).data
    b = make_synthesizer(name, **TINY_PARAMS[name]).fit(df).sample(30, seed=1).data
    pd.testing.assert_frame_equal(a, b)


# --- every column mix: fit → save → load → sample -------------------------------------------
def _mix(kind: str, n: int = 48) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    when = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 8_760, n), "h")
    x = rng.normal(0.0, 1.0, n).round(3)
    colors = rng.choice(["red", "green", "blue"], n)
    mixes = {
        "numeric_only": {"x": x, "k": rng.integers(0, 9, n)},
        "categorical_only": {"color": colors, "flag": rng.random(n) < 0.4},
        "datetime_only": {"when": when},
        "datetime_and_number": {"when": when, "temp": rng.normal(50.0, 9.0, n).round(1)},
        "one_numeric": {"x": x},
        "one_categorical": {"color": colors},
        "one_boolean": {"flag": rng.random(n) < 0.4},
        "nullable_numeric_only": {"x": np.where(rng.random(n) < 0.2, np.nan, x)},
        "id_and_number": {"row_id": np.arange(n), "x": x},
    }
    return pd.DataFrame(mixes[kind])


MIXES = [
    "numeric_only",
    "categorical_only",
    "datetime_only",
    "datetime_and_number",
    "one_numeric",
    "one_categorical",
    "one_boolean",
    "nullable_numeric_only",
    "id_and_number",
]


@pytest.mark.parametrize("mix", MIXES)
@pytest.mark.parametrize("name", NAMES)
def test_every_column_mix_round_trips(name, mix, tmp_path):
    df = _mix(mix)
    synth = make_synthesizer(name, **TINY_PARAMS[name]).fit(df)
    before = synth.sample(20, seed=4).data
    synth.save(tmp_path / "run")
    again = load(tmp_path / "run")
    after = again.sample(20, seed=4).data
    pd.testing.assert_frame_equal(before, after)
    assert list(after.columns) == list(df.columns)
    assert len(after) == 20
    for col in df.columns:
        real, fake = df[col], after[col]
        if synth.spec_[col].kind == "id":  # fresh keys, unique and unlike the training ones
            assert fake.is_unique and not set(fake) & set(real), col
        elif pd.api.types.is_datetime64_any_dtype(real):
            assert pd.api.types.is_datetime64_any_dtype(fake), col
            assert fake.min() >= real.min() and fake.max() <= real.max(), col
        elif pd.api.types.is_bool_dtype(real):
            assert fake.dtype == bool, col
        elif pd.api.types.is_numeric_dtype(real):
            v = fake.dropna()
            assert v.min() >= real.min() and v.max() <= real.max(), col
        else:
            assert set(fake.dropna()) <= set(real.dropna()), col

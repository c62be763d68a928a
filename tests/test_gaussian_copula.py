"""GaussianCopula: spec-faithful samples, learned marginals and dependence, exact conditions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from synthset.artifacts import load_synthesizer, save_synthesizer
from synthset.data import Table
from synthset.errors import ConfigError, NotFittedError
from synthset.synthesizers.gaussian_copula import (
    _BATCH_ROWS,
    GaussianCopula,
    _bivariate_normal_cdf,
    _polychoric,
    _truncated_std_normal,
)


def mixed_frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Numeric, discrete, categorical (with a NaN), boolean, datetime, id and constant columns.

    ``y`` is nearly a function of ``x`` (y = x + small noise > 0) and ``x2`` is linear in
    ``x``, so both conditional and linear dependence can be checked.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    df = pd.DataFrame(
        {
            "x": x,
            "x2": 2.0 * x + rng.normal(scale=0.5, size=n),
            "k": rng.poisson(3.0, n),
            "c": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
            "y": x + rng.normal(scale=0.3, size=n) > 0,
            "t": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 10**7, n), "s"),
            "row_id": np.arange(100, 100 + n),
            "const": ["same"] * n,
        }
    )
    df.loc[3, "c"] = None
    return df


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return mixed_frame()


@pytest.fixture(scope="module")
def fitted(frame) -> GaussianCopula:
    return GaussianCopula(random_state=0).fit(frame)


# --- the estimator contract ---------------------------------------------------------------------
def test_fit_returns_self(frame):
    synth = GaussianCopula(random_state=0)

    assert synth.fit(frame) is synth
    assert synth.is_fitted


def test_sample_matches_spec(frame, fitted):
    # Run
    fake = fitted.sample(400, seed=1)

    # Assert
    assert isinstance(fake, Table) and fake.spec is fitted.spec_
    df = fake.data
    assert list(df.columns) == list(frame.columns)
    assert df.dtypes.to_dict() == frame.dtypes.to_dict()
    assert len(df) == 400
    for col in fitted.spec_.columns:
        s = df[col.name].dropna()
        if col.is_discrete:
            assert set(s) <= set(col.categories), col.name
        elif col.kind in ("continuous", "discrete"):
            assert s.between(col.min, col.max).all(), col.name
        elif col.kind == "datetime":
            assert s.between(pd.Timestamp(col.min), pd.Timestamp(col.max)).all()
    assert (df["k"] == df["k"].round()).all()


def test_sample_regenerates_ids_and_constants(frame, fitted):
    df = fitted.sample(50, seed=1).data

    assert df["row_id"].is_unique and df["row_id"].min() > frame["row_id"].max()
    assert (df["const"] == "same").all()


def test_string_ids_are_unique_and_named_after_the_column():
    # Setup
    df = mixed_frame(64).assign(key=[f"k{i:03d}" for i in range(64)])
    synth = GaussianCopula(random_state=0).fit(df)

    # Run
    keys = synth.sample(20, seed=0).data["key"]

    # Assert
    assert synth.spec_["key"].kind == "id"
    assert keys.is_unique and keys.str.startswith("key_").all()
    assert keys.dtype == df["key"].dtype


def test_same_seed_gives_identical_samples(fitted):
    a = fitted.sample(200, seed=7).data
    b = fitted.sample(200, seed=7).data
    c = fitted.sample(200, seed=8).data

    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_first_rows_do_not_depend_on_the_sample_size(fitted):
    # more rows than one batch, so the second batch's seed is exercised too
    many = fitted.sample(_BATCH_ROWS + 10, seed=3).data
    few = fitted.sample(10, seed=3).data

    pd.testing.assert_frame_equal(many.head(10), few)
    assert many["row_id"].is_unique


def test_same_random_state_gives_identical_fits(frame):
    a = GaussianCopula(random_state=3, max_fit_rows=100).fit(frame)
    b = GaussianCopula(random_state=3, max_fit_rows=100).fit(frame)

    np.testing.assert_array_equal(a.correlation_, b.correlation_)
    pd.testing.assert_frame_equal(a.sample(50, seed=0).data, b.sample(50, seed=0).data)


def test_save_load_gives_identical_samples(fitted, tmp_path):
    # Run
    save_synthesizer(fitted, tmp_path / "gc")
    again = load_synthesizer(tmp_path / "gc")

    # Assert
    assert isinstance(again, GaussianCopula)
    assert again.get_params() == fitted.get_params()
    for conditions in (None, {"y": True, "c": "b"}):
        pd.testing.assert_frame_equal(
            again.sample(300, seed=5, conditions=conditions).data,
            fitted.sample(300, seed=5, conditions=conditions).data,
        )


def test_sample_before_fit_raises():
    with pytest.raises(NotFittedError):
        GaussianCopula().sample(10)


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("max_fit_rows", 0),
        ("max_fit_rows", 2.5),
        ("n_quantiles", 1),
        ("random_state", -1),
        ("verbose", "yes"),
        ("device", "gpu please"),
        ("device", 3),
    ],
)
def test_bad_params_raise_config_error_naming_the_param(frame, param, value):
    with pytest.raises(ConfigError, match=f"`{param}`"):
        GaussianCopula(**{param: value}).fit(frame)


def test_verbose_reports_the_fit_on_stderr(frame, capsys):
    GaussianCopula(verbose=True, random_state=0).fit(frame)

    assert "gaussian_copula:" in capsys.readouterr().err


# --- what is learned ----------------------------------------------------------------------------
def test_marginals_are_close():
    # Setup
    df = mixed_frame(500)
    synth = GaussianCopula(random_state=0).fit(df)

    # Run
    fake = synth.sample(2000, seed=1).data

    # Assert: numeric shapes by KS, categories by total variation
    for name in ("x", "x2", "k"):
        assert stats.ks_2samp(df[name], fake[name]).statistic < 0.08, name
    real_freq = df["c"].value_counts(normalize=True, dropna=False)
    fake_freq = fake["c"].value_counts(normalize=True, dropna=False)
    tv = 0.5 * real_freq.sub(fake_freq, fill_value=0).abs().sum()
    assert tv < 0.05


def test_correlation_is_learned():
    df = mixed_frame(500)
    synth = GaussianCopula(random_state=0).fit(df)

    fake = synth.sample(3000, seed=1).data

    real_corr = df["x"].corr(df["x2"])
    assert abs(fake["x"].corr(fake["x2"]) - real_corr) < 0.03
    assert abs(fake["x"].corr(fake["y"]) - df["x"].corr(df["y"])) < 0.05


def test_missing_values_are_reproduced():
    # Setup: a fifth of one numeric column is missing
    df = mixed_frame(400)
    df.loc[df.index % 5 == 0, "x2"] = np.nan
    synth = GaussianCopula(random_state=0).fit(df)

    # Run
    fake = synth.sample(2000, seed=1).data

    # Assert
    assert fake["x2"].isna().mean() == pytest.approx(0.2, abs=0.03)
    present = fake["x2"].notna()
    assert fake.loc[present, "x"].corr(fake.loc[present, "x2"]) > 0.9


def test_max_fit_rows_subsamples_the_correlation_fit(frame):
    synth = GaussianCopula(random_state=0, max_fit_rows=64).fit(frame)

    fake = synth.sample(500, seed=0).data

    assert fake["x"].corr(fake["x2"]) > 0.8


def test_only_ids_and_constants_still_sample():
    df = pd.DataFrame({"id": np.arange(30), "k": ["z"] * 30})
    synth = GaussianCopula().fit(Table(df, overrides={"id": "id"}))

    fake = synth.sample(5, seed=0).data

    assert fake["id"].tolist() == [30, 31, 32, 33, 34] and (fake["k"] == "z").all()


# --- conditional sampling -----------------------------------------------------------------------
def test_condition_holds_in_every_row_and_keeps_dependence(frame, fitted):
    # Run
    fake = fitted.sample(1000, seed=2, conditions={"y": True}).data

    # Assert: exact value, and x follows y as in the data (about 90% positive)
    assert fake["y"].all()
    real_share = (frame.loc[frame["y"], "x"] > 0).mean()
    assert (fake["x"] > 0).mean() == pytest.approx(real_share, abs=0.06)


def test_several_conditions_hold_jointly(frame, fitted):
    fake = fitted.sample(500, seed=3, conditions={"y": False, "c": "c", "const": "same"}).data

    assert (~fake["y"]).all() and (fake["c"] == "c").all()
    assert (fake["x"] < 0).mean() > 0.75


def test_condition_on_a_rare_category_is_exact():
    # Setup: one category is 1% of the rows, at the top edge of [0, 1]
    rng = np.random.default_rng(0)
    n = 500
    x = rng.normal(size=n)
    label = np.where(x > np.quantile(x, 0.99), "rare", "common")
    synth = GaussianCopula(random_state=0).fit(pd.DataFrame({"x": x, "label": label}))

    # Run
    fake = synth.sample(300, seed=0, conditions={"label": "rare"}).data

    # Assert: the rare class sits at the top of x, and so do its samples
    assert (fake["label"] == "rare").all()
    assert fake["x"].min() >= np.quantile(x, 0.95)


def test_condition_accepts_command_line_strings(fitted):
    fake = fitted.sample(20, seed=0, conditions={"y": "True"}).data

    assert fake["y"].all()


def test_condition_on_missing_value(fitted):
    fake = fitted.sample(20, seed=0, conditions={"c": None}).data

    assert fake["c"].isna().all()


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ({"nope": 1}, "unknown column 'nope'"),
        ({"x": 0.5}, "only categorical/boolean columns"),
        ({"c": "zzz"}, "not a value seen in training"),
        ({"y": None}, "no missing values"),
    ],
)
def test_bad_conditions_raise_config_error(fitted, conditions, message):
    with pytest.raises(ConfigError, match=message):
        fitted.sample(5, conditions=conditions)


# --- numerical helpers --------------------------------------------------------------------------
@settings(max_examples=50, deadline=None)
@given(
    lo=st.floats(-12, 12),
    width=st.floats(0, 5),
    r=st.floats(0, 1, exclude_max=True),
)
def test_truncated_normal_stays_inside_its_interval(lo, width, r):
    z = _truncated_std_normal(np.array([lo]), np.array([lo + width]), np.array([r]))

    assert np.isfinite(z).all()
    assert lo - 1e-9 <= z[0] <= lo + width + 1e-9


def test_bivariate_normal_cdf_matches_known_values():
    # P(X ≤ 0, Y ≤ 0) = 1/4 + arcsin(ρ) / 2π; infinite limits reduce to the margins
    for rho in (-0.9, 0.0, 0.5, 0.99):
        assert _bivariate_normal_cdf(np.array(0.0), np.array(0.0), rho) == pytest.approx(
            0.25 + np.arcsin(rho) / (2 * np.pi), abs=1e-9
        )
    assert _bivariate_normal_cdf(np.array(np.inf), np.array(1.0), 0.3) == pytest.approx(
        stats.norm.cdf(1.0), abs=1e-12
    )
    assert _bivariate_normal_cdf(np.array(-np.inf), np.array(1.0), 0.3) == pytest.approx(0.0)


def test_polychoric_recovers_the_latent_correlation():
    # Setup: cut a correlated normal pair into 3 × 2 categories
    rng = np.random.default_rng(0)
    z = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=5000)
    codes_i = np.digitize(z[:, 0], [-0.5, 0.7])
    codes_j = (z[:, 1] > 0.3).astype(np.int64)
    edges_i = np.concatenate([[0], np.cumsum(np.bincount(codes_i)) / 5000])
    edges_j = np.concatenate([[0], np.cumsum(np.bincount(codes_j)) / 5000])

    # Run
    rho = _polychoric(codes_i, edges_i, codes_j, edges_j)

    # Assert
    assert rho == pytest.approx(0.6, abs=0.04)

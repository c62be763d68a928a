"""Round trips of the table encoder (Hypothesis) and its layout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from synthset.data.spec import TableSpec
from synthset.data.transforms.gmm import fit_gmm_1d
from synthset.data.transforms.table_encoder import TableEncoder
from tests.conftest import make_tiny_frame

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=32)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(finite, min_size=2, max_size=60),
    cats=st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=60, max_size=60),
    nan_at=st.integers(0, 59),
)
def test_quantile_encoding_round_trips_exactly(values, cats, nan_at):
    n = len(values)
    x = np.array(values, dtype=np.float64)
    if n > 2:
        x[nan_at % n] = np.nan
    df = pd.DataFrame({"x": x, "c": cats[:n]})
    spec = TableSpec.detect(df, overrides={"x": "continuous"})
    enc = TableEncoder(continuous="quantile").fit(df, spec, seed=0)
    back = enc.inverse_transform(enc.transform(df, seed=0))
    assert back["c"].tolist() == df["c"].tolist()
    assert np.array_equal(np.isnan(back["x"]), np.isnan(df["x"]))
    ok = ~np.isnan(x)
    tol = 1e-6 * max(1.0, np.nanmax(np.abs(x)))
    np.testing.assert_allclose(
        back["x"].to_numpy()[ok],
        x[ok],
        rtol=0,
        atol=tol + 10.0 ** -(spec["x"].decimals if spec["x"].decimals is not None else 9),
    )


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.integers(-1000, 1000), min_size=3, max_size=80))
def test_mode_encoding_round_trips_covered_values(values):
    """Every value within 4 sigma of a mode (the representable range) comes back exactly."""
    df = pd.DataFrame({"k": np.array(values, dtype=np.int64)})
    spec = TableSpec.detect(df, overrides={"k": "discrete"})
    enc = TableEncoder(continuous="mode").fit(df, spec, seed=0)
    back = enc.inverse_transform(enc.transform(df, seed=0))
    assert back["k"].dtype == np.int64
    mu, sd = enc.arrays_["k.means"], enc.arrays_["k.stds"]
    covered = (np.abs(df["k"].to_numpy()[:, None] - mu) / (4 * sd) < 0.99).any(1)
    assert (back["k"].to_numpy()[covered] == df["k"].to_numpy()[covered]).all()
    assert back["k"].between(min(values), max(values)).all()


def test_round_trip_keeps_dtypes_and_missing(tiny_frame):
    spec = TableSpec.detect(tiny_frame)
    enc = TableEncoder().fit(tiny_frame, spec, seed=0)
    X = enc.transform(tiny_frame, seed=0)
    assert X.dtype == np.float32 and X.shape == (64, enc.output_dim_)
    back = enc.inverse_transform(torch.from_numpy(X))
    assert back.dtypes.to_dict() == tiny_frame.dtypes.to_dict()
    for c in ("color", "flag", "count", "const", "when"):
        assert back[c].tolist() == tiny_frame[c].tolist(), c
    assert back["x"].isna().tolist() == tiny_frame["x"].isna().tolist()
    np.testing.assert_allclose(back["x"].dropna(), tiny_frame["x"].dropna(), atol=1e-9)


def test_layout_blocks_cover_the_row(tiny_frame):
    enc = TableEncoder().fit(tiny_frame, TableSpec.detect(tiny_frame), seed=0)
    pos = 0
    for s in enc.spans_:
        assert s.start == pos
        pos = s.stop
    assert pos == enc.output_dim_
    roles = {(s.column, s.role) for s in enc.spans_}
    assert ("x", "missing") in roles  # x has a NaN
    assert not any(s.column == "const" for s in enc.spans_)  # constants are not modelled


def test_state_round_trip(tiny_frame):
    spec = TableSpec.detect(tiny_frame)
    enc = TableEncoder().fit(tiny_frame, spec, seed=0)
    state, tensors = enc.get_state()
    again = TableEncoder.from_state(state, tensors, spec)
    np.testing.assert_array_equal(
        enc.transform(tiny_frame, seed=1), again.transform(tiny_frame, seed=1)
    )


def test_unseen_category_raises(tiny_frame):
    from synthset.errors import DataError

    enc = TableEncoder().fit(tiny_frame, TableSpec.detect(tiny_frame), seed=0)
    bad = tiny_frame.copy()
    bad.loc[0, "color"] = "purple"
    with pytest.raises(DataError, match="purple"):
        enc.transform(bad)


def test_gmm_finds_separated_modes():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-5, 0.5, 3000), rng.normal(5, 1.0, 1000)])
    w, mu, sd = fit_gmm_1d(x)
    big = w > 0.1
    assert big.sum() >= 2
    assert np.isclose(np.average(mu, weights=w), x.mean(), atol=0.1)


def test_gmm_handles_point_mass_plus_spread():
    """A column of mostly zeros (capital-gain) still gets modes for the non-zero part."""
    rng = np.random.default_rng(0)
    x = np.where(rng.random(5000) < 0.9, 0.0, rng.uniform(1000, 5000, 5000))
    w, mu, sd = fit_gmm_1d(x)
    assert len(mu) >= 2 and (mu > 500).any()


def test_encoder_is_fast_on_wide_data():
    import time

    df = pd.concat([make_tiny_frame(2000, seed=i).add_suffix(f"_{i}") for i in range(5)], axis=1)
    spec = TableSpec.detect(df)
    t = time.perf_counter()
    enc = TableEncoder().fit(df, spec, seed=0)
    enc.transform(df, seed=0)
    assert time.perf_counter() - t < 5.0

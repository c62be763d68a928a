"""Privacy metrics: known answers for a copy of train and for a fresh draw, bounds, kernels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from synthset import evaluate
from synthset.data.spec import TableSpec
from synthset.data.table import Table
from synthset.evaluation.metrics import privacy
from tests.conftest import make_tiny_frame

PRIVACY = ["dcr", "closer_than_holdout", "nndr", "exact_copies", "membership_inference"]


def draw(n: int, seed: int) -> pd.DataFrame:
    """A fresh sample of one generating process: correlated continuous columns and a category."""
    rng = np.random.default_rng(seed)
    a = rng.normal(0.0, 1.0, n)
    return pd.DataFrame(
        {
            "a": a,
            "b": 0.5 * a + rng.normal(0.0, 1.0, n),
            "c": rng.gamma(2.0, 1.0, n),
            "d": rng.uniform(-1.0, 1.0, n),
            "group": rng.choice(["x", "y"], n),
        }
    )


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return draw(300, seed=0)


@pytest.fixture(scope="module")
def holdout() -> pd.DataFrame:
    return draw(300, seed=1)


def test_a_copy_of_train_leaks_everything(train, holdout):
    report = evaluate(train, train.copy(), holdout, metrics="privacy")
    assert report["dcr"].value == 0.0
    assert report["dcr"].details["synthetic"]["p50"] == 0.0
    assert report["exact_copies"].value == 1.0
    assert report["exact_copies"].details["count"] == len(train)
    assert report["membership_inference"].value > 0.9
    assert report["closer_than_holdout"].value > 0.95
    assert report["nndr"].value == 0.0
    assert {report[m].status for m in PRIVACY} == {"fail"}


def test_a_fresh_draw_leaks_nothing(train, holdout):
    report = evaluate(train, draw(300, seed=2), holdout, metrics="privacy")
    assert report["membership_inference"].value == pytest.approx(0.5, abs=0.1)
    assert report["membership_inference"].details["std_error"] == pytest.approx(0.024, abs=0.002)
    assert report["exact_copies"].value == 0.0
    assert report["exact_copies"].details["holdout_share"] == 0.0
    assert 0.7 <= report["dcr"].value <= 1.4
    assert report["closer_than_holdout"].value <= 0.12
    assert report["closer_than_holdout"].details["holdout_share"] == pytest.approx(0.05, abs=0.01)
    nndr = report["nndr"]
    assert nndr.value == pytest.approx(nndr.details["holdout"]["p50"], abs=0.1)
    assert {report[m].status for m in PRIVACY} == {"pass"}


def test_without_holdout_only_the_baseline_free_metrics_run(train):
    report = evaluate(train, draw(300, seed=2), metrics="privacy")
    assert [m.name for m in report.metrics] == ["nndr", "exact_copies"]
    assert report["nndr"].details["holdout"] is None
    assert report["exact_copies"].details["holdout_share"] is None
    assert report["exact_copies"].details["dcr_synthetic"]["p50"] > 0


def test_exact_copies_ignore_dtypes_and_ids_and_count_real_duplicates():
    real = make_tiny_frame(120, seed=0).assign(key=np.arange(120))
    table = Table(real, TableSpec.detect(real, overrides={"key": "id"}))
    copies = real.iloc[
        :30
    ].assign(  # other dtypes, other ids, row 3 holds a NaN
        count=real["count"].iloc[:30].astype("float64"),
        color=real["color"].iloc[:30].astype("category"),
        key=np.arange(500, 530),
    )
    synthetic = pd.concat([copies, make_tiny_frame(90, seed=2).assign(key=0)], ignore_index=True)
    holdout = pd.concat([real.iloc[40:46], make_tiny_frame(54, seed=1)], ignore_index=True)
    holdout["key"] = np.arange(1000, 1060)
    result = evaluate(table, synthetic, holdout, metrics=["exact_copies"])["exact_copies"]
    assert result.details["count"] == 30
    assert result.value == pytest.approx(30 / 120)
    assert result.details["holdout_count"] == 6
    assert result.status == "fail"


def test_nearest_two_matches_brute_force(monkeypatch):
    rng = np.random.default_rng(0)
    q = rng.random((70, 5), dtype=np.float32)
    r = rng.random((45, 5), dtype=np.float32)
    r[7] = q[3]  # an exact copy gets exactly 0
    monkeypatch.setattr(privacy, "QUERY_BLOCK", 16)  # blocks that do not divide the sizes
    monkeypatch.setattr(privacy, "REFERENCE_BLOCK", 10)
    d1, d2 = privacy.nearest_two(q, r)
    full = np.sort(cdist(q.astype(np.float64), r.astype(np.float64)), axis=1)
    np.testing.assert_allclose(d1, full[:, 0], atol=1e-5)
    np.testing.assert_allclose(d2, full[:, 1], atol=1e-5)
    assert d1[3] == 0.0
    d1, d2 = privacy.nearest_two(q, r[:1])
    assert np.isinf(d2).all()


def test_caps_subsample_deterministically(train, holdout, monkeypatch):
    monkeypatch.setattr(privacy, "MAX_QUERY_ROWS", 100)
    monkeypatch.setattr(privacy, "MAX_ATTACK_ROWS", 80)
    a = evaluate(train, draw(300, seed=2), holdout, metrics="privacy", seed=3)
    b = evaluate(train, draw(300, seed=2), holdout, metrics="privacy", seed=3)
    assert a.scores == b.scores
    assert a["dcr"].details["rows"]["used"]["synthetic"] == 100
    assert a["membership_inference"].details["rows"]["used"]["members"] == 80
    assert a["exact_copies"].details["count"] == 0  # counted over every row, never capped


frames = st.builds(
    lambda n_real, n_syn, n_hold, seed: (
        make_tiny_frame(n_real, seed),
        make_tiny_frame(n_syn, seed + 1),
        make_tiny_frame(n_hold, seed + 2),
    ),
    st.integers(8, 60),
    st.integers(4, 60),
    st.integers(4, 60),
    st.integers(0, 10_000),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames)
def test_values_stay_in_bounds(data):
    real, synthetic, holdout = data
    report = evaluate(real, synthetic, holdout, metrics=PRIVACY)  # the attacks: their own file
    assert [m.name for m in report.metrics] == PRIVACY
    for m in report.metrics:
        if m.bounds is not None and not math.isnan(m.value):
            assert m.bounds[0] <= m.value <= m.bounds[1], m.name
        assert m.value >= 0 or math.isnan(m.value), m.name
    roc = report["membership_inference"].details["roc"]
    assert len(roc["fpr"]) == 101 and roc["tpr"][0] >= 0 and roc["tpr"][-1] == 1.0
    hist = report["dcr"].details["histogram"]
    assert len(hist["bins"]) == len(hist["synthetic"]) + 1
    assert sum(hist["synthetic"]) == report["dcr"].details["rows"]["used"]["synthetic"]

"""Fidelity metrics: known answers on constructed tables, bounds and symmetry (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.stats import ks_2samp

from synthset import evaluate
from synthset.data.spec import TableSpec
from synthset.errors import DataError
from synthset.evaluation import EvalContext, list_metrics
from synthset.evaluation.metrics import fidelity
from tests.conftest import make_tiny_frame

FIDELITY = [
    "column_shapes",
    "pair_trends",
    "detection",
    "missing_values",
    "range_coverage",
    "category_coverage",
]


def _ctx(real: pd.DataFrame, synthetic: pd.DataFrame, spec: TableSpec | None = None):
    spec = spec or TableSpec.detect(pd.concat([real, synthetic], ignore_index=True))
    return EvalContext(real.reset_index(drop=True), synthetic.reset_index(drop=True), None, spec)


def _by_name(report) -> dict:
    return {m.name: m for m in report.metrics}


def _correlated(n: int, seed: int) -> pd.DataFrame:
    """Strong trends: y follows x, z opposes it, the category is x's sign."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "x": x,
            "y": x + rng.normal(scale=0.1, size=n),
            "z": -2.0 * x + rng.normal(scale=0.1, size=n),
            "sign": np.where(x > 0, "pos", "neg"),
        }
    )


# --- known answers ---------------------------------------------------------------------------
def test_registration_order():
    assert list_metrics("fidelity") == FIDELITY


def test_identical_tables_score_best():
    real = make_tiny_frame(300, seed=0)  # numbers, categories, booleans, dates, NaN, a constant
    results = _by_name(evaluate(real, real, metrics="fidelity"))
    assert list(results) == FIDELITY
    for name, r in results.items():
        assert r.family == "fidelity" and r.higher_is_better and r.bounds == (0.0, 1.0)
        if name == "detection":
            assert r.value >= 0.9  # a classifier cannot separate a table from itself
        else:
            assert r.value == pytest.approx(1.0), name
        assert r.status == "pass", name


def test_shuffled_columns_keep_shapes_but_lose_trends():
    real = _correlated(400, seed=0)
    rng = np.random.default_rng(1)
    shuffled = pd.DataFrame({c: rng.permutation(real[c].to_numpy()) for c in real.columns})
    same = _by_name(evaluate(real, real, metrics="column_shapes,pair_trends"))
    broken = _by_name(evaluate(real, shuffled, metrics="column_shapes,pair_trends"))
    assert broken["column_shapes"].value == pytest.approx(1.0)  # marginals are untouched
    assert same["pair_trends"].value == pytest.approx(1.0)
    assert broken["pair_trends"].value < 0.7
    assert broken["pair_trends"].status == "fail"
    pairs = broken["pair_trends"].details["pairs"]
    assert pairs["x|y"]["method"] == "correlation" and pairs["x|sign"]["method"] == "contingency"
    assert pairs["x|y"]["score"] < 0.6  # ρ ≈ 1 became ρ ≈ 0


def test_column_shapes_known_values():
    real = pd.DataFrame({"n": np.arange(100.0), "c": ["a"] * 50 + ["b"] * 50})
    syn = pd.DataFrame({"n": np.arange(50.0, 150.0), "c": ["a"] * 100})
    r = fidelity.column_shapes(_ctx(real, syn))
    assert r.details["columns"] == {
        "n": {"score": pytest.approx(0.5), "method": "ks"},
        "c": {"score": pytest.approx(0.5), "method": "tv"},
    }
    assert r.value == pytest.approx(0.5)


def test_ks_complement_matches_scipy_and_ignores_missing():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=300).round(1), rng.normal(0.3, 1.2, size=200).round(1)
    expected = 1.0 - ks_2samp(a, b).statistic
    assert fidelity.ks_complement(a, b) == pytest.approx(expected)
    a_missing = np.r_[a, np.full(50, np.nan)]
    assert fidelity.ks_complement(a_missing, b) == pytest.approx(expected)


def test_shapes_ignore_missing_values():
    real = pd.DataFrame({"c": ["a", "b", None, None], "n": [1.0, 2.0, np.nan, np.nan]})
    syn = pd.DataFrame({"c": ["a", "b", "a", "b"], "n": [1.0, 2.0, 1.0, 2.0]})
    # as SDMetrics: shapes compare the values; missing_values judges the missing rates
    assert fidelity.column_shapes(_ctx(real, syn)).value == pytest.approx(1.0)
    assert fidelity.missing_values(_ctx(real, syn)).value == pytest.approx(0.5)


def test_pair_trends_known_correlation():
    x = np.linspace(0.0, 1.0, 50)
    real = pd.DataFrame({"x": x, "y": x})  # ρ = 1
    syn = pd.DataFrame({"x": x, "y": -x})  # ρ = -1
    r = fidelity.pair_trends(_ctx(real, syn))
    assert r.value == pytest.approx(0.0)
    assert r.details["correlation"]["columns"] == ["x", "y"]
    np.testing.assert_allclose(r.details["correlation"]["real"], [[1, 1], [1, 1]])
    np.testing.assert_allclose(r.details["correlation"]["synthetic"], [[1, -1], [-1, 1]])
    np.testing.assert_allclose(r.details["association"]["synthetic"], [[1, 1], [1, 1]])


def test_pair_trends_counts_only_pairs_with_a_trend():
    rng = np.random.default_rng(99)
    real = _correlated(300, seed=0).assign(noise=rng.normal(size=300))
    r = fidelity.pair_trends(_ctx(real, real))
    pairs = r.details["pairs"]
    assert pairs["x|y"]["counted"] and pairs["x|sign"]["counted"]
    assert not pairs["x|noise"]["counted"]
    assert r.details["counted_pairs"] == 6 and len(pairs) == 10


def test_coverage_known_values():
    real = pd.DataFrame(
        {
            "n": np.linspace(0.0, 10.0, 8),
            "k": [3] * 8,
            "d": pd.date_range("2024-01-01", "2024-01-11", periods=8),
            "c": list("abcdabcd"),
            "b": [True, False] * 4,
        }
    )
    syn = pd.DataFrame(
        {
            "n": np.linspace(5.0, 20.0, 8),  # covers [5, 10] of [0, 10]
            "k": [2, 3, 4, 3, 3, 3, 3, 3],  # the constant 3 lies inside [2, 4]
            "d": pd.date_range("2024-01-01", "2024-01-06", periods=8),  # half the days
            "c": list("abababab"),
            "b": [True] * 8,
        }
    )
    ctx = _ctx(real, syn, TableSpec.detect(real, overrides={"k": "discrete"}))
    ranges = fidelity.range_coverage(ctx)
    assert {c: v["score"] for c, v in ranges.details["columns"].items()} == pytest.approx(
        {"n": 0.5, "k": 1.0, "d": 0.5}
    )
    assert ranges.value == pytest.approx(2.0 / 3.0)
    cats = fidelity.category_coverage(ctx)
    assert cats.value == pytest.approx(0.5)
    assert sorted(cats.details["columns"]["c"]["missing"]) == ["c", "d"]
    assert cats.details["columns"]["b"]["missing"] == [False]


def test_coverage_is_none_without_its_kind():
    numbers = pd.DataFrame({"n": np.arange(10.0), "m": np.arange(10.0) ** 2})
    words = pd.DataFrame({"c": list("ababababab")})
    assert fidelity.category_coverage(_ctx(numbers, numbers)) is None
    assert fidelity.range_coverage(_ctx(words, words)) is None
    assert "range_coverage" not in _by_name(evaluate(words, words, metrics="fidelity"))


def test_missing_values_known_value():
    real = pd.DataFrame({"a": [1.0] * 9 + [np.nan], "b": list("xyxyxyxyxy")})
    syn = pd.DataFrame({"a": [1.0] * 7 + [np.nan] * 3, "b": list("xyxyxyxyxy")})
    r = fidelity.missing_values(_ctx(real, syn, TableSpec.detect(real)))
    assert r.details["columns"]["a"] == pytest.approx({"real": 0.1, "synthetic": 0.3, "score": 0.8})
    assert r.value == pytest.approx(0.9)


# --- detection -------------------------------------------------------------------------------
def _blobs(n: int, shift: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "a": rng.normal(shift, 1.0, n),
            "b": rng.normal(-shift, 1.0, n),
            "c": rng.choice(["u", "v", "w"], n),
        }
    )


def test_detection_separates_different_data():
    r = fidelity.detection(_ctx(_blobs(300, 0.0, seed=0), _blobs(300, 3.0, seed=1)))
    assert r.details["auc"] > 0.95 and r.value < 0.1
    roc = r.details["roc"]
    assert len(roc["fpr"]) == len(roc["tpr"]) == fidelity.ROC_POINTS
    assert roc["fpr"][0] == 0.0 and roc["fpr"][-1] == 1.0 and roc["tpr"][-1] == 1.0
    assert np.all(np.diff(roc["tpr"]) >= 0)
    assert r.details["folds"] == 3


def test_detection_cannot_separate_two_draws_of_one_distribution():
    r = fidelity.detection(_ctx(_blobs(300, 0.0, seed=0), _blobs(300, 0.0, seed=1)))
    assert r.value >= 0.7


def test_detection_is_seeded():
    real, syn = _blobs(200, 0.5, seed=0), _blobs(200, 0.0, seed=1)
    first = fidelity.detection(_ctx(real, syn))
    assert fidelity.detection(_ctx(real, syn)).value == first.value


# --- bounds and symmetry on random small tables ----------------------------------------------
_cell_number = st.one_of(st.none(), st.floats(-1e3, 1e3, allow_subnormal=False))


@st.composite
def _frames(draw) -> tuple[pd.DataFrame, pd.DataFrame]:
    def frame(n: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "num": draw(st.lists(_cell_number, min_size=n, max_size=n)),
                "int": draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)),
                "cat": draw(
                    st.lists(st.sampled_from(["u", "v", "w", None]), min_size=n, max_size=n)
                ),
            }
        ).astype({"num": float})

    return frame(draw(st.integers(2, 25))), frame(draw(st.integers(2, 25)))


DISTRIBUTIONAL = (
    "column_shapes",
    "pair_trends",
    "missing_values",
    "range_coverage",
    "category_coverage",
)


@settings(max_examples=40, deadline=None)
@given(_frames())
def test_values_stay_in_bounds_and_shapes_and_trends_are_symmetric(frames):
    a, b = frames
    try:
        spec = TableSpec.detect(pd.concat([a, b], ignore_index=True))
    except DataError:  # an all-missing column: no spec, nothing to measure
        assume(False)
    forward, backward = _ctx(a, b, spec), _ctx(b, a, spec)
    for name in DISTRIBUTIONAL:
        result = getattr(fidelity, name)(forward)
        if result is None:
            continue
        assert 0.0 <= result.value <= 1.0, name
        if name in ("column_shapes", "pair_trends"):
            assert getattr(fidelity, name)(backward).value == pytest.approx(result.value), name


def test_detection_in_bounds_on_tiny_tables():
    r = fidelity.detection(_ctx(make_tiny_frame(12, seed=0), make_tiny_frame(5, seed=1)))
    assert 0.0 <= r.value <= 1.0 and r.details["rows"] == 5
    frame = make_tiny_frame(12, seed=0)
    tiny = fidelity.detection(_ctx(frame, frame.iloc[:2]))
    assert math.isnan(tiny.value) and "error" in tiny.details

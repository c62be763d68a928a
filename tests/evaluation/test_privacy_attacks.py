"""Privacy attacks: a copy of train is caught, a fresh draw is not, intervals, seeds, inputs."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import norm
from sklearn.metrics import roc_auc_score

from synthset import evaluate
from synthset.errors import ConfigError
from synthset.evaluation.metrics import privacy_attacks as pa
from tests.conftest import make_tiny_frame
from tests.test_cli import assert_one_line_error, invoke

ATTACKS = ["membership_inference_density", "attribute_inference", "singling_out", "linkability"]
RISKS = ["attribute_inference", "singling_out", "linkability"]


def draw(n: int, seed: int) -> pd.DataFrame:
    """A fresh sample of one generating process: correlated numbers, a category tied to them."""
    rng = np.random.default_rng(seed)
    a = rng.normal(0.0, 1.0, n)
    b = 0.5 * a + rng.normal(0.0, 1.0, n)
    return pd.DataFrame(
        {
            "a": a,
            "b": b,
            "c": rng.gamma(2.0, 1.0, n),
            "d": rng.uniform(-1.0, 1.0, n),
            "group": np.where(a + rng.normal(0.0, 1.0, n) > 0, "x", "y"),
        }
    )


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return draw(300, seed=0)


@pytest.fixture(scope="module")
def holdout() -> pd.DataFrame:
    return draw(300, seed=1)


@pytest.fixture(scope="module")
def copied(train, holdout):
    return evaluate(train, train.copy(), holdout, metrics=ATTACKS, sensitive="group")


@pytest.fixture(scope="module")
def fresh(train, holdout):
    return evaluate(train, draw(300, seed=2), holdout, metrics=ATTACKS, sensitive="group")


def test_a_copy_of_train_is_caught_by_every_attack(copied):
    assert copied["membership_inference_density"].value > 0.95
    assert copied["membership_inference_density"].details["tpr_at_fpr_0.01"] > 0.9
    assert copied["attribute_inference"].value > 0.8
    assert copied["singling_out"].value > 0.8
    assert copied["linkability"].value > 0.8
    assert {copied[m].status for m in ATTACKS} == {"fail"}


def test_a_fresh_draw_leaks_nothing(fresh):
    mia = fresh["membership_inference_density"]
    assert mia.value == pytest.approx(0.5, abs=0.08)
    assert mia.details["ci_low"] <= 0.5 <= mia.details["ci_high"]
    for name in RISKS:
        assert fresh[name].value <= 0.1, name
        assert fresh[name].details["ci_low"] == 0.0, name  # the interval covers "no risk"
    assert {fresh[m].status for m in ATTACKS} == {"pass"}


@pytest.mark.parametrize("which", ["copied", "fresh"])
def test_intervals_hold_the_value_and_stay_in_bounds(which, request):
    report = request.getfixturevalue(which)
    for name in ATTACKS:
        m = report[name]
        lo, hi = m.details["ci_low"], m.details["ci_high"]
        assert 0.0 <= lo <= m.value <= hi <= 1.0, name
        assert m.details["seed"] == 0 and "rows" in m.details
        assert not m.higher_is_better


def test_details_report_rates_rows_and_modes(fresh, train, holdout):
    inf = fresh["attribute_inference"].details
    assert inf["attacks"] == inf["control_attacks"] == 300
    assert inf["known_columns"] == ["a", "b", "c", "d"]
    assert 0.0 <= inf["random_guess_rate"] <= 1.0
    so = fresh["singling_out"].details
    assert so["mode"] in ("univariate", "multivariate")
    assert so["univariate"]["queries"] > 0 and so["multivariate"]["queries"] > 0
    assert so["univariate"]["holdout_share"] == 1.0  # same sizes: no swap needed
    link = fresh["linkability"].details
    assert link["column_sets"] == {"a": ["a", "b"], "b": ["c", "d", "group"]}
    assert set(link["neighbors"]) == {"1", "5", "10"}
    mia = fresh["membership_inference_density"].details
    assert mia["rows"]["used"] == {"members": 150, "non_members": 150, "reference": 150,
                                   "synthetic": 300}  # fmt: skip


def test_same_seed_same_report_other_seed_other_sample(train, holdout):
    syn = pd.concat([train.iloc[:100], draw(200, seed=3)], ignore_index=True)
    a = evaluate(train, syn, holdout, metrics=ATTACKS, sensitive="group", seed=5)
    b = evaluate(train, syn, holdout, metrics=ATTACKS, sensitive="group", seed=5)
    c = evaluate(train, syn, holdout, metrics=ATTACKS, sensitive="group", seed=6)
    assert [m.to_dict() for m in a.metrics] == [m.to_dict() for m in b.metrics]
    assert a["membership_inference_density"].value != c["membership_inference_density"].value


def test_each_attack_needs_its_inputs(train, holdout):
    syn = draw(300, seed=2)
    assert evaluate(train, syn, metrics=ATTACKS, sensitive="group").metrics == []
    names = [m.name for m in evaluate(train, syn, holdout, metrics=ATTACKS).metrics]
    assert names == ["membership_inference_density", "singling_out", "linkability"]


def test_a_partial_copy_sits_between(train, holdout):
    syn = pd.concat([train.iloc[:150], draw(150, seed=4)], ignore_index=True)
    report = evaluate(train, syn, holdout, metrics=ATTACKS, sensitive="group")
    assert 0.6 < report["membership_inference_density"].value < 0.9
    for name in RISKS:
        assert 0.2 < report[name].value < 0.9, name


def test_numeric_sensitive_uses_the_relative_tolerance(train, holdout):
    report = evaluate(train, train.copy(), holdout, metrics=["attribute_inference"], sensitive="c")
    d = report["attribute_inference"].details
    assert d["tolerance"] == 0.05 and d["attack_rate"] > 0.98
    guess = np.array([100.0, 104.9, 106.0, 0.0, 0.1, np.nan, np.nan])
    truth = np.array([100.0, 100.0, 100.0, 0.0, 0.0, np.nan, 1.0])
    np.testing.assert_array_equal(
        pa.inference_correct(guess, truth, numeric=True), [1, 1, 0, 1, 0, 1, 0]
    )


def test_mixed_kinds_and_missing_values_run(tiny_frame):
    real, syn, hold = tiny_frame, make_tiny_frame(64, seed=1), make_tiny_frame(32, seed=2)
    report = evaluate(real, syn, hold, metrics=ATTACKS, sensitive="when")
    assert [m.name for m in report.metrics] == ATTACKS
    for m in report.metrics:
        assert 0.0 <= m.value <= 1.0 and "error" not in m.details, m.name


def test_linkability_columns_and_sensitive_are_checked(train, holdout):
    syn = draw(300, seed=2)
    sets = (["a", "group"], ["c"])
    report = evaluate(train, syn, holdout, metrics=["linkability"], linkability_columns=sets)
    assert report["linkability"].details["column_sets"] == {"a": ["a", "group"], "b": ["c"]}
    assert report.meta["linkability_columns"] == [["a", "group"], ["c"]]
    with pytest.raises(ConfigError, match="`sensitive` 'nope' is not a column"):
        evaluate(train, syn, holdout, sensitive="nope")
    with pytest.raises(ConfigError, match=r"disjoint.*\['a'\]"):
        evaluate(train, syn, holdout, linkability_columns=(["a", "b"], ["a"]))
    with pytest.raises(ConfigError, match="two non-empty lists"):
        evaluate(train, syn, holdout, linkability_columns=(["a"], []))
    with pytest.raises(ConfigError, match=r"names \['zz'\]"):
        evaluate(train, syn, holdout, linkability_columns=(["a"], ["zz"]))


frames = st.builds(
    lambda n_real, n_syn, n_hold, seed: (
        make_tiny_frame(n_real, seed),
        make_tiny_frame(max(n_syn, 4), seed + 1).head(n_syn),
        make_tiny_frame(max(n_hold, 4), seed + 2).head(n_hold),
    ),
    st.integers(4, 60),
    st.integers(1, 60),
    st.integers(1, 60),
    st.integers(0, 10_000),
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames, st.sampled_from(["x", "color", "flag"]))
def test_values_and_intervals_stay_in_bounds(data, sensitive):
    real, synthetic, holdout = data
    report = evaluate(real, synthetic, holdout, metrics=ATTACKS, sensitive=sensitive)
    for m in report.metrics:
        if not math.isnan(m.value):
            assert 0.0 <= m.details["ci_low"] <= m.value <= m.details["ci_high"] <= 1.0, m.name
    expected = ATTACKS if len(holdout) >= 4 else RISKS
    assert [m.name for m in report.metrics] == expected


# --- the statistics, against their definitions ---------------------------------------------------
def test_success_rate_is_the_wilson_interval():
    z = norm.ppf(0.975)
    rate, error = pa.success_rate(30, 100)
    assert rate == pytest.approx((30 + z * z / 2) / (100 + z * z))
    assert error == pytest.approx(z / (100 + z * z) * math.sqrt(30 * 70 / 100 + z * z / 4))
    assert math.isnan(pa.success_rate(0, 0)[0])


def test_residual_risk_clips_and_propagates():
    risk = pa.residual_risk((0.6, 0.05), (0.2, 0.04))
    assert risk["residual"] == pytest.approx(0.5)
    margin = math.hypot(0.05 / 0.8, 0.04 * 0.4 / 0.64)
    assert (risk["ci_low"], risk["ci_high"]) == pytest.approx((0.5 - margin, 0.5 + margin))
    below = pa.residual_risk((0.2, 0.1), (0.25, 0.1))  # residual -0.07, margin 0.19
    assert below["value"] == 0.0 and below["ci_low"] == 0.0 and below["ci_high"] > 0.0
    assert math.isnan(pa.residual_risk((0.5, 0.1), (1.0, 0.0))["value"])


def test_auc_matches_sklearn_and_its_interval_holds_it():
    rng = np.random.default_rng(0)
    pos, neg = rng.normal(0.3, 1.0, 400), rng.normal(0.0, 1.0, 300)
    pos[:20] = neg[:20]  # ties count half
    auc, se, lo, hi = pa.auc_with_ci(pos, neg, seed=0)
    assert auc == pytest.approx(roc_auc_score(np.r_[np.ones(400), np.zeros(300)], np.r_[pos, neg]))
    assert 0.015 < se < 0.03 and lo < auc < hi
    assert pa.auc_with_ci(pos, neg, seed=0) == (auc, se, lo, hi)


def test_query_masks_match_a_row_by_row_reference():
    rng = np.random.default_rng(1)
    values = rng.integers(0, 4, (3, 50)).astype(float)
    values[1, ::7] = np.nan
    cols = np.array([[0, 1], [1, 2], [0, 2], [1, 0]])
    ops = np.array([[pa._EQ, pa._LE], [pa._ISNA, pa._GE], [pa._GE, pa._EQ], [pa._LE, pa._EQ]])
    vals = np.array([[1.0, 2.0], [np.nan, 2.0], [2.0, 3.0], [1.0, 0.0]])
    test = {
        pa._EQ: lambda x, v: x == v,
        pa._LE: lambda x, v: x <= v,
        pa._GE: lambda x, v: x >= v,
        pa._ISNA: lambda x, v: math.isnan(x),
    }
    conditions = [list(zip(*q, strict=True)) for q in zip(cols, ops, vals, strict=True)]
    expected = [
        [all(test[o](values[c, r], v) for c, o, v in query) for r in range(50)]
        for query in conditions
    ]
    np.testing.assert_array_equal(pa.query_masks(values, cols, ops, vals), expected)
    np.testing.assert_array_equal(
        pa.query_counts(values, cols, ops, vals), np.sum(expected, axis=1)
    )


def test_univariate_queries_single_out_one_synthetic_row(train, holdout):
    from synthset.data.spec import TableSpec
    from synthset.evaluation.base import EvalContext

    ctx = EvalContext(train, train, holdout, TableSpec.detect(train))
    pop = pa._Population(ctx, draw(100, seed=7), 10_000, 0)
    numeric = np.array([True, True, True, True, False])
    cols, ops, vals = pa.univariate_queries(pop, numeric, 50, np.random.default_rng(0))
    assert len(cols) == 50
    assert (pa.query_counts(pop.values, cols, ops, vals) == 1).all()
    c, o, v, attempts = pa.multivariate_queries(
        pop, numeric, 20, 3, np.random.default_rng(0), 10**5
    )
    assert len(c) == 20 and attempts <= 10**5
    assert (pa.query_counts(pop.values, c, o, v) == 1).all()
    assert len(pd.DataFrame(np.c_[c, o, v]).drop_duplicates()) == 20


def test_swap_baseline_rescales_a_small_holdout():
    # train [1, 2, 3, 4], holdout [1, 5], query "x == 1": the chunk holding 1 swapped for the
    # holdout keeps one 1 (singles out), the other chunk gives two (does not): b = 0.5, λ = 0.5
    train, hold = np.array([[1.0, 2.0, 3.0, 4.0]]), np.array([[1.0, 5.0]])
    query = (np.array([[0]]), np.array([[pa._EQ]]), np.array([[1.0]]))
    x, z, info = pa.swap_baseline(train, hold, *query, np.random.default_rng(0))
    assert x.tolist() == [1.0] and z.tolist() == [0.0]  # 1 + (0.5 - 1) / 0.5
    assert info == {"holdout_share": 0.5, "swaps": 2}
    x, z, info = pa.swap_baseline(train[:, :2], hold, *query, np.random.default_rng(0))
    assert z.tolist() == [1.0] and info["holdout_share"] == 1.0


def test_nearest_indices_match_brute_force(monkeypatch):
    rng = np.random.default_rng(0)
    q, r = rng.random((70, 4), dtype=np.float32), rng.random((45, 4), dtype=np.float32)
    monkeypatch.setattr(pa, "QUERY_BLOCK", 16)  # blocks that do not divide the sizes
    monkeypatch.setattr(pa, "REFERENCE_BLOCK", 10)
    full = np.argsort(((q[:, None] - r[None]) ** 2).sum(2), axis=1, kind="stable")[:, :5]
    np.testing.assert_array_equal(pa.nearest_indices(q, r, 5), full)
    assert pa.nearest_indices(q, r[:3], 5).shape == (70, 3)


# --- rendering and the CLI -----------------------------------------------------------------------
def test_reports_show_the_interval(copied):
    from synthset.reporting.glossary import fmt_interval

    html, md = copied.to_html(), copied.to_markdown()
    interval = fmt_interval(copied["singling_out"])
    assert interval.startswith("[0.9") and interval.endswith("]")
    assert f"95% CI {interval}" in html and "<code>linkability</code>" in html
    assert f"| `singling_out` | {copied['singling_out'].value:.3f} {interval} |" in md
    assert "| sensitive | group |" in md


def test_cli_sensitive_option(tmp_path):
    paths = {}
    for name, n, seed in (("real", 64, 0), ("fake", 64, 1), ("holdout", 32, 2)):
        paths[name] = tmp_path / f"{name}.csv"
        make_tiny_frame(n, seed).to_csv(paths[name], index=False)
    base = ["evaluate", "--real", paths["real"], "--synthetic", paths["fake"]]
    base += ["--holdout", paths["holdout"], "--metrics", "attribute_inference"]

    result = invoke(*base, "--sensitive", "color", "--format", "json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (metric,) = data["metrics"]
    assert metric["name"] == "attribute_inference"
    assert metric["details"]["sensitive"] == "color"
    assert data["meta"]["sensitive"] == "color"
    assert_one_line_error(invoke(*base, "--sensitive", "nope"), "nope", "not a column")

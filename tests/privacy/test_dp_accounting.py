"""The privacy accounting reproduces Opacus' own reference values and composes the whole fit."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("opacus")

from synthset.errors import ConfigError  # noqa: E402
from synthset.privacy.dp import (  # noqa: E402
    DPConfig,
    PrivacyLedger,
    epsilon_of,
    gaussian_sigma_for,
    parse_dp,
    selection_threshold,
    solve_noise_multiplier,
)

# Opacus 1.x tests/accountants_test.py: σ = 1.5, q = 0.04, 90 epochs of steps, δ = 1e-5
STEPS = int(90 / 0.04)


def test_rdp_epsilon_matches_opacus_reference():
    assert epsilon_of([(1.5, 0.04, STEPS)], 1e-5, "rdp") == pytest.approx(7.32911117143, abs=1e-8)


def test_prv_epsilon_matches_opacus_reference():
    eps = epsilon_of([(1.5, 0.04, int(90 // 0.04))], 1e-5, "prv")  # Opacus' test floors
    assert eps == pytest.approx(6.777395712150674, abs=1e-6)


@pytest.mark.parametrize(
    ("accountant", "steps", "expected"),  # epochs=90 means int(90 / q) steps in Opacus
    [("rdp", int(90 / 0.04), 1.416), ("rdp", 2000, 1.3562), ("prv", 2000, 1.2915)],
)
def test_noise_multiplier_matches_opacus_reference(accountant, steps, expected):
    sigma = solve_noise_multiplier(
        target_epsilon=8, delta=1e-5, sample_rate=0.04, steps=steps, accountant=accountant
    )
    # Opacus bisects to ε within 0.01 below the target; so do we (by regula falsi), so both
    # land within the σ that that tolerance allows: 0.1%
    assert sigma == pytest.approx(expected, rel=1e-3)
    assert 7.99 <= epsilon_of([(sigma, 0.04, steps)], 1e-5, accountant) <= 8.0


@pytest.mark.parametrize(
    ("sigma", "q", "steps", "expected"),
    [(1.5, 0.05, 1000, 6.20996924657726712), (0.8, 0.001, 20000, 1.29600925757016161)],
)
def test_msr_prv_reference_values(sigma, q, steps, expected):
    # Opacus' tests/prv_accountant.py: values computed with Microsoft's prv_accountant, δ = 1e-6
    eps = epsilon_of([(sigma, q, steps)], 1e-6, "prv")
    assert eps == pytest.approx(expected, abs=1e-4)


def test_solved_noise_meets_the_target_with_a_prior():
    prior = [(50.0, 1.0, 10)]  # e.g. preprocessing histograms
    sigma = solve_noise_multiplier(
        target_epsilon=1.0, delta=1e-5, sample_rate=0.01, steps=500, prior=prior
    )
    total = epsilon_of([*prior, (sigma, 0.01, 500)], 1e-5, "rdp")
    assert 0.98 <= total <= 1.0
    alone = solve_noise_multiplier(target_epsilon=1.0, delta=1e-5, sample_rate=0.01, steps=500)
    assert sigma > alone  # the prior's share of the budget is paid with more training noise


def test_prior_that_spends_everything_is_refused():
    with pytest.raises(ConfigError, match="preprocessing alone"):
        solve_noise_multiplier(
            target_epsilon=0.5, delta=1e-5, sample_rate=0.01, steps=10, prior=[(1.0, 1.0, 5)]
        )


def test_small_full_data_budget_is_reachable():
    # ε = 0.1 over 15 full-data Gaussian releases needs RDP orders above Opacus' default 63
    sigma = gaussian_sigma_for(0.1, 1e-5, 15)
    assert epsilon_of([(sigma, 1.0, 15)], 1e-5, "rdp") <= 0.1
    assert epsilon_of([(sigma * 0.9, 1.0, 15)], 1e-5, "rdp") > 0.1


def test_ledger_merges_repeated_steps_and_adds_selection_delta():
    led = PrivacyLedger("rdp")
    led.add("training", 1.0, 0.01, 100)
    led.add("training", 1.0, 0.01, 50)
    assert led.history() == [(1.0, 0.01, 150)]
    e0 = led.epsilon(1e-5)
    led.delta_selection = 5e-6  # half of δ goes to selection: the accountant gets less δ
    assert led.epsilon(1e-5) > e0


def test_selection_threshold_bounds_a_singleton_release():
    from scipy.stats import norm

    sigma, delta = 10.0, 1e-6
    tau = selection_threshold(sigma, delta)
    # a category held by one row (count 1) clears τ with probability δ
    assert norm.sf((tau - 1) / sigma) == pytest.approx(delta, rel=1e-6)


def test_parse_dp_forms_and_errors():
    assert parse_dp(None) is None
    assert parse_dp(2.0).epsilon == 2.0
    cfg = parse_dp({"epsilon": 1, "delta": 1e-6, "accountant": "prv"})
    assert (cfg.epsilon, cfg.delta, cfg.accountant) == (1, 1e-6, "prv")
    with pytest.raises(ConfigError, match="unknown keys"):
        parse_dp({"epsilon": 1, "eps": 2})
    with pytest.raises(ConfigError, match="epsilon"):
        parse_dp({"delta": 1e-5})
    with pytest.raises(ConfigError, match="> 0"):
        parse_dp({"epsilon": 0})
    with pytest.raises(ConfigError, match="infinite"):
        parse_dp({"epsilon": math.inf})
    with pytest.raises(ConfigError, match="accountant"):
        parse_dp({"epsilon": 1, "accountant": "gdp"})


def test_delta_must_stay_below_one_over_rows():
    cfg = DPConfig(epsilon=1.0, delta=1e-3)
    with pytest.raises(ConfigError, match="1/rows"):
        cfg.resolve_delta(5_000)
    assert DPConfig(epsilon=1.0).resolve_delta(1_000) == pytest.approx(1e-4)

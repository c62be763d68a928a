"""DP on tables with datetime columns: their bounds are released from the budget (two calendar
histograms) unless declared public, land near the real ones, and are charged to the ledger."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("opacus")

from typer.testing import CliRunner  # noqa: E402

from synthset.cli.main import app  # noqa: E402
from synthset.data import Table, read_table  # noqa: E402
from synthset.data.spec import TableSpec  # noqa: E402
from synthset.errors import ConfigError  # noqa: E402
from synthset.privacy.dp import DPConfig, PrivacyLedger  # noqa: E402
from synthset.privacy.preprocess import private_preprocess  # noqa: E402
from synthset.registry import make_synthesizer  # noqa: E402
from tests.conftest import TINY_PARAMS  # noqa: E402

FIRST, LAST = pd.Timestamp("2020-03-15"), pd.Timestamp("2023-09-10")  # not on a year's edges
DP = {"epsilon": 1.0, "delta": 1e-5}


def sales(n: int = 2_000, seed: int = 0) -> pd.DataFrame:
    """Daily dates spread evenly over 2020-03-15 .. 2023-09-10, an amount and a shop."""
    rng = np.random.default_rng(seed)
    days = rng.integers(0, (LAST - FIRST).days + 1, n)
    days[:2] = 0, (LAST - FIRST).days  # the real bounds are FIRST and LAST
    return pd.DataFrame(
        {
            "when": FIRST + pd.to_timedelta(days, "D"),
            "amount": rng.normal(500.0, 50.0, n).round(2),
            "shop": rng.choice(["north", "south", "east"], n),
        }
    )


def _prep(df: pd.DataFrame, seed: int, public=None, epsilon: float = 1.0):
    ledger = PrivacyLedger()
    cfg = DPConfig(epsilon=epsilon, public_metadata=public)
    return private_preprocess(df, TableSpec.detect(df), cfg, ledger, 1e-5, seed=seed), ledger


def _errors_in_days(col) -> tuple[int, int]:
    return (pd.Timestamp(col.min) - FIRST).days, (pd.Timestamp(col.max) - LAST).days


@pytest.mark.parametrize(("epsilon", "tolerance"), [(1.0, 120), (3.0, 31)])
def test_private_date_bounds_are_near_the_real_ones(epsilon, tolerance):
    # measured over 100 seeds: at ε = 1 the bins are years and the bounds the edges of 2020 and
    # 2023 (-74 and +112 days); at ε = 3 they are quarters (+17 and +20 days), and a bound that
    # lands in the first quarter clips its ~2.5 weeks (1% of the rows)
    df = sales()
    errors, clipped = [], []
    for seed in range(20):
        prep, _ = _prep(df, seed, epsilon=epsilon)
        col = prep.spec["when"]
        errors.append(_errors_in_days(col))
        outside = (df["when"] < pd.Timestamp(col.min)) | (df["when"] > pd.Timestamp(col.max))
        clipped.append(float(outside.mean()))
    errors = np.abs(np.array(errors))
    assert np.median(errors, axis=0).max() <= tolerance
    assert np.mean(errors <= 400) >= 0.9  # rare overshoots of a bin or a year, not more
    assert max(clipped) <= 0.02  # the bounds do not cut into the dates


def test_private_date_bounds_are_paid_for_and_recorded():
    df = sales()
    prep, ledger = _prep(df, seed=0)
    col = prep.spec["when"]
    assert prep.sources()["when"]["bounds"].startswith("private (noisy calendar histograms")
    # one histogram per column, a second for the date range
    (entry,) = ledger.entries
    assert entry.steps == 3 + 1 and entry.noise_multiplier == prep.noise_multiplier
    assert col.kind == "datetime" and col.resolution == "D" and col.dtype == str(df.when.dtype)
    assert pd.Timestamp(col.max) == pd.Timestamp(col.max).normalize()  # a day, not 23:59:59.9
    m = prep.marginals["when"]
    assert m.edges[0] == pd.Timestamp(col.min).value / 1e9 and len(m.probs) == len(m.edges) - 1


def test_public_date_bounds_cost_nothing():
    df = sales()
    bounds = {"min": "2019-01-01", "max": "2024-12-31"}
    prep, ledger = _prep(df, seed=0, public={"when": bounds})
    col = prep.spec["when"]
    assert prep.sources()["when"]["bounds"] == "public"
    assert (col.min, col.max) == ("2019-01-01T00:00:00", "2024-12-31T00:00:00")
    assert ledger.entries[0].steps == 3  # no second histogram
    # a detected spec (spec.json) declares them too
    prep, ledger = _prep(df, seed=0, public=TableSpec.detect(df))
    assert prep.sources()["when"]["bounds"] == "public" and ledger.entries[0].steps == 3
    assert pd.Timestamp(prep.spec["when"].min) == FIRST


def test_dates_outside_the_grid_ask_for_public_bounds():
    df = sales()
    df["when"] = df["when"] - pd.DateOffset(years=200)  # 1820-1823
    with pytest.raises(ConfigError, match="before the 1900-2100 span.*public metadata"):
        _prep(df, seed=0)
    with pytest.raises(ConfigError, match="all noise"):
        _prep(sales(60), seed=0)  # 60 rows over four years: below the noise


@pytest.mark.parametrize("name", ["ctgan", "tvae"])
def test_dp_fit_with_a_datetime_column(name):
    df = sales()
    params = {**TINY_PARAMS[name], "batch_size": 200}
    s = make_synthesizer(name, dp=DP, **params).fit(df)
    p = s.privacy_
    col = s.spec_["when"]
    assert p["preprocessing"]["columns"]["when"]["bounds"].startswith("private")
    assert 0.95 <= p["epsilon"] <= 1.0  # the target, spent and not exceeded
    assert p["ledger"][0]["steps"] == 4  # three histograms, and the date range's second one
    lo, hi = pd.Timestamp(col.min), pd.Timestamp(col.max)
    assert abs((lo - FIRST).days) <= 120 and abs((hi - LAST).days) <= 120
    out = s.sample(500, seed=1).data["when"]
    assert out.dtype == df["when"].dtype and out.notna().all()
    assert out.min() >= lo and out.max() <= hi
    assert (out == out.dt.normalize()).all()  # the spec's resolution (days) is kept


def test_cli_anonymize_a_csv_with_a_date_column(tmp_path):
    data, out = tmp_path / "sales.csv", tmp_path / "out.csv"
    sales(500).to_csv(data, index=False, date_format="%Y-%m-%d")
    args = [
        "anonymize", data, "-o", out, "--epsilon", "3", "--epochs", "1",
        "-p", "batch_size=50", "-p", "embedding_dim=8", "-p", "compress_dims=[16]",
        "-p", "decompress_dims=[16]", "-p", 'device="cpu"',
    ]  # fmt: skip
    result = CliRunner().invoke(app, [str(a) for a in args], env={"SYNTHSET_DEBUG": None})
    assert result.exit_code == 0, result.output
    assert "spent ε = " in result.stderr
    written = read_table(out).data
    assert list(written.columns) == ["when", "amount", "shop"] and len(written) == 500
    when = pd.to_datetime(written["when"], format="%Y-%m-%d")  # the CSV's date format
    assert when.min() >= FIRST - pd.Timedelta(days=120)
    assert when.max() <= LAST + pd.Timedelta(days=120)
    assert Table(written).spec["when"].kind == "datetime"

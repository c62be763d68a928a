"""The report states the differential-privacy guarantee of the model that made the data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

pytest.importorskip("opacus")

from synthset.cli.main import app  # noqa: E402
from synthset.errors import ConfigError  # noqa: E402
from synthset.evaluation import evaluate  # noqa: E402
from synthset.registry import make_synthesizer  # noqa: E402

PUBLIC = {"x": {"min": 0, "max": 100}, "band": {"categories": ["hi", "lo"]}}
TINY = {"epochs": 1, "batch_size": 50, "embedding_dim": 4, "compress_dims": (8,)}


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hi = rng.random(n) < 0.5
    return pd.DataFrame(
        {"x": np.where(hi, 80.0, 20.0) + rng.normal(0, 3, n), "band": np.where(hi, "hi", "lo")}
    )


@pytest.fixture(scope="module")
def fitted():
    train = _frame(400, 0)
    s = make_synthesizer(
        "tvae",
        dp={"epsilon": 2.0, "delta": 1e-4, "public_metadata": {"x": PUBLIC["x"]}},
        decompress_dims=(8,),
        random_state=0,
        **TINY,
    ).fit(train)
    return train, _frame(200, 1), s


def test_report_states_the_guarantee(fitted, tmp_path):
    train, hold, s = fitted
    fake = s.sample(300, seed=0).data
    report = evaluate(train, fake, hold, metrics="fidelity", privacy=s)
    dp = report.meta["differential_privacy"]
    assert dp["dp"] and dp["epsilon"] == pytest.approx(s.privacy_["epsilon"])
    assert dp["preprocessing"]["columns"]["x"]["bounds"] == "public"
    assert dp["preprocessing"]["columns"]["band"]["categories"].startswith("private")
    html = report.to_html()
    assert "differentially private: ε = " in html and "Differential privacy:" in html
    assert "Gaussian partition selection" in html  # what the preprocessing paid for
    md = report.to_markdown()
    assert "differentially private: ε =" in md and "DP preprocessing (x)" in md
    assert json.loads(report.to_json())["meta"]["differential_privacy"]["delta"] == 1e-4


def test_report_says_when_there_was_no_dp(fitted):
    train, hold, _ = fitted
    plain = make_synthesizer("gaussian_copula", random_state=0).fit(train)
    report = evaluate(
        train, plain.sample(100, seed=0).data, hold, metrics="fidelity", privacy=plain
    )
    assert report.meta["differential_privacy"]["dp"] is False
    assert "trained without differential privacy" in report.to_markdown()
    with pytest.raises(ConfigError, match="privacy"):
        evaluate(train, train, hold, metrics="fidelity", privacy=3)


def test_cli_evaluate_reads_the_model_folder(fitted, tmp_path):
    train, hold, s = fitted
    s.save(tmp_path / "m")
    train.to_csv(tmp_path / "train.csv", index=False)
    hold.to_csv(tmp_path / "hold.csv", index=False)
    s.sample(200, seed=0).data.to_csv(tmp_path / "fake.csv", index=False)
    args = [
        *("evaluate", "--real", str(tmp_path / "train.csv")),
        *("--synthetic", str(tmp_path / "fake.csv"), "--holdout", str(tmp_path / "hold.csv")),
        *("--metrics", "fidelity", "--model", str(tmp_path / "m")),
        *("--report", str(tmp_path / "r.md"), "-q"),
    ]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "differentially private: ε =" in (tmp_path / "r.md").read_text()
    bad = CliRunner().invoke(app, [*args[:-3], "--model", str(tmp_path / "nope"), "-q"])
    assert bad.exit_code == 1 and "no artifact" in bad.output

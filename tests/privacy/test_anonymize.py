"""``anonymize``: the release rules, the pipeline on a tiny DP model, and ``synthset anonymize``.

Only one test fits a real DP model (a module fixture; the Opacus accountant makes a fit take a
few seconds even at one epoch). The others replace the synthesizer by one that memorised its
training rows (``copying_synthesizer``): exactly what the release rules exist to stop.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from synthset.cli.main import app
from synthset.data import Table, read_table
from synthset.errors import ConfigError, DataError, PrivacyRiskError
from synthset.evaluation.base import MetricResult
from synthset.evaluation.report import Report
from synthset.privacy.anonymize import (
    MIA_MAX_AUC,
    anonymize,
    check_privacy,
    judge_privacy,
)
from synthset.synthesizers.tvae import TVAE

TINY_DP_PARAMS = dict(
    epochs=1, batch_size=20, embedding_dim=8, compress_dims=(16,), decompress_dims=(16,)
)
TINY_DP_CLI = [
    "--epochs", "1",
    "-p", "batch_size=20",
    "-p", "embedding_dim=8",
    "-p", "compress_dims=[16]",
    "-p", "decompress_dims=[16]",
    "-p", 'device="cpu"',
]  # fmt: skip


def people(n: int = 100, seed: int = 0) -> pd.DataFrame:
    """Ordinary columns plus two direct identifiers (an id and an e-mail)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "person_id": np.arange(1, n + 1),
            "age": rng.integers(18, 80, n),
            "income": rng.normal(50.0, 10.0, n).round(2),
            "city": rng.choice(["Lyon", "Oslo", "Rome"], n),
            "member": rng.random(n) < 0.4,
            "email": [f"person{i}@corp.org" for i in range(n)],
        }
    )


@pytest.fixture
def copying_synthesizer(monkeypatch):
    """TVAE replaced by a "model" that memorised its training rows and samples them back
    (its fit records a plausible ``privacy_`` so the rest of the pipeline runs unchanged)."""

    def fit(self, data, spec=None):
        self.spec_ = data.spec
        self._rows = data
        self.privacy_ = {
            "epsilon": 1.0,
            "target_epsilon": 1.0,
            "delta": 1e-3,
            "accountant": "rdp",
            "noise_multiplier": 1.0,
        }
        return self

    def sample(self, n_samples, *, seed=None, conditions=None):
        idx = np.random.default_rng(seed).integers(0, len(self._rows), n_samples)
        return Table(self._rows.data.iloc[idx].reset_index(drop=True), self._rows.spec)

    monkeypatch.setattr(TVAE, "fit", fit)
    monkeypatch.setattr(TVAE, "sample", sample)


# --- the release rules ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def split():
    table = Table(people().drop(columns=["person_id", "email"]))
    return table.split(0.8, seed=0)


def test_check_privacy_refuses_an_exact_copy_of_the_training_rows(split):
    train, holdout = split
    decision = check_privacy(train, train.data.copy(), holdout)
    assert not decision.passed and not decision.release
    failed = {c.metric for c in decision.failed}
    assert {"exact_copies", "membership_inference"} <= failed
    copies = next(c for c in decision.checks if c.metric == "exact_copies")
    assert copies.value == 1.0 and copies.limit < 0.5
    message = decision.message(cli=True)
    assert "\n" not in message
    assert "exact_copies 1.000 > limit" in message
    assert message.endswith("lower --epsilon, or pass --force to write anyway")


def test_check_privacy_refuses_a_copy_of_the_whole_input(split):
    # the holdout rows are in the copy too, so only the copy count can tell
    train, holdout = split
    both = pd.concat([train.data, holdout.data], ignore_index=True)
    decision = check_privacy(train, both, holdout)
    assert "exact_copies" in {c.metric for c in decision.failed}


def test_check_privacy_passes_fresh_rows_of_the_same_population(split):
    train, holdout = split
    fresh = people(400, seed=7).drop(columns=["person_id", "email"])
    decision = check_privacy(train, fresh, holdout)
    assert decision.passed, decision.reasons
    assert decision.message() == "every privacy check passed"
    assert all(c.value <= c.limit for c in decision.checks)


def _report(copies=0.0, auc=0.5, std_error=0.05, n=100):
    metrics = [
        MetricResult(
            "exact_copies",
            "privacy",
            copies,
            False,
            details={"count": int(copies * n), "holdout_share": 0.0, "holdout_count": 0},
        ),
        MetricResult("membership_inference", "privacy", auc, False, {"std_error": std_error}),
    ]
    return Report(metrics=metrics, meta={"rows": {"real": n, "synthetic": n, "holdout": n}})


def test_judge_privacy_membership_rule_needs_a_strong_and_significant_attack():
    assert judge_privacy(_report(auc=MIA_MAX_AUC)).passed  # at the limit: allowed
    assert not judge_privacy(_report(auc=0.62, std_error=0.01)).passed
    assert judge_privacy(_report(auc=0.62, std_error=0.1)).passed  # within noise of 0.5
    assert not judge_privacy(_report(auc=0.99, std_error=0.1)).passed


def test_judge_privacy_copy_rule_allows_the_holdout_rate_plus_margin():
    assert judge_privacy(_report(copies=0.0)).passed
    assert not judge_privacy(_report(copies=0.2)).passed
    big = _report(copies=0.008, n=100_000)  # under the 1-point floor on a large table
    assert judge_privacy(big).passed
    assert not judge_privacy(_report(copies=0.02, n=100_000)).passed


def test_judge_privacy_fails_closed():
    assert not judge_privacy(Report(metrics=[], meta={})).passed
    nan = _report(auc=float("nan"))
    decision = judge_privacy(nan)
    assert [c.metric for c in decision.failed] == ["membership_inference"]
    assert "not computed" in decision.message()


# --- the pipeline --------------------------------------------------------------------------------
# 80 training rows are too few to release ranges and categories privately at ε = 1 (the noisy
# histograms are all noise): the schema is declared public, as a user of so small a table must
PUBLIC = {
    "age": {"min": 18, "max": 80},
    "income": {"min": 0.0, "max": 100.0},
    "city": {"categories": ["Lyon", "Oslo", "Rome"]},
}


@pytest.fixture(scope="module")
def dp_result():
    """One real DP fit: a tiny TVAE at ε = 1 on 80 rows, identifiers replaced."""
    return anonymize(
        people(),
        epsilon=1.0,
        synthesizer="tvae",
        public_metadata=PUBLIC,
        identifiers="replace",
        params={**TINY_DP_PARAMS, "device": "cpu"},
        seed=0,
    )


def test_anonymize_trains_a_dp_model_and_fakes_the_identifiers(dp_result):
    r = dp_result
    real = people()
    assert {f.column: f.kind for f in r.findings} == {"person_id": "id", "email": "email"}
    assert r.actions == {"person_id": "replace", "email": "replace"}
    assert r.n_train == 80 and r.n_holdout == 20
    assert list(r.synthetic.data.columns) == list(real.columns)  # fakes in their places
    assert len(r.synthetic) == len(real)
    assert r.synthetic.data["person_id"].tolist() == list(range(1, 101))
    assert not r.synthetic.data["email"].isin(real["email"]).any()
    # the accounting of the DP fit, at most the target
    assert r.privacy["epsilon"] <= 1.0 + 1e-6
    assert 0 < r.privacy["delta"] < 1 / r.n_train
    assert math.isclose(r.privacy["delta"], 1 / (10 * r.n_train))
    assert r.privacy["noise_multiplier"] > 0


def test_anonymize_evaluates_privacy_against_the_holdout(dp_result):
    r = dp_result
    names = {m.name for m in r.report.metrics}
    assert {"exact_copies", "membership_inference", "dcr"} <= names
    assert all(m.family == "privacy" for m in r.report.metrics)
    assert r.report.meta["rows"] == {"real": 80, "synthetic": 100, "holdout": 20}
    assert "person_id" not in r.report.meta["columns"]  # identifiers are not evaluated
    assert r.report.real_sample is None  # the report holds no real row
    assert r.decision.passed and not r.decision.forced
    summary = r.report.meta["anonymize"]
    assert summary["rows"]["train"] == 80 and summary["decision"]["passed"]


def test_anonymize_refuses_a_model_that_copies(copying_synthesizer):
    with pytest.raises(PrivacyRiskError) as info:
        anonymize(people(), epsilon=1.0, seed=0)
    message = str(info.value)
    assert "\n" not in message and "exact_copies" in message and "force=True" in message
    result = info.value.result
    assert not result.decision.release
    assert result.report.synthetic_sample is None  # refused rows stay out of the report


def test_anonymize_force_releases_and_records_it(copying_synthesizer):
    result = anonymize(people(), epsilon=1.0, seed=0, force=True)
    assert result.decision.forced and result.decision.release and not result.decision.passed
    assert "person_id" not in result.synthetic.data.columns  # dropped by default


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"synthesizer": "gaussian_copula"}, ConfigError, "no differentially private"),
        ({"params": {"dp": {"epsilon": 3}}}, ConfigError, "may not set dp"),
        ({"params": {"random_state": 3}}, ConfigError, "seed="),
        ({"identifiers": "mask"}, ConfigError, "identifiers"),
        ({"holdout_share": 0.9}, ConfigError, "holdout_share"),
        ({"n_samples": 0}, ConfigError, "n_samples"),
        ({"epsilon": 0}, ConfigError, "epsilon"),
        ({"delta": 2.0}, ConfigError, "delta"),
    ],
)
def test_anonymize_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        anonymize(people(), **{"epsilon": 1.0, **kwargs})


def test_anonymize_keep_overrides_a_detection(copying_synthesizer):
    result = anonymize(people(), epsilon=1.0, keep=["person_id"], force=True)
    assert [f.column for f in result.findings] == ["email"]
    assert "person_id" in result.synthetic.data.columns  # modelled (here: copied) as asked
    with pytest.raises(ConfigError, match="unknown columns"):
        anonymize(people(), epsilon=1.0, keep=["nope"])


def test_anonymize_needs_rows_and_non_identifying_columns():
    with pytest.raises(DataError, match="at least"):
        anonymize(people(30), epsilon=1.0)
    with pytest.raises(DataError, match="every column is a direct identifier"):
        anonymize(people()[["person_id", "email"]], epsilon=1.0)


# --- the command line ----------------------------------------------------------------------------
def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args], env={"SYNTHSET_DEBUG": None})


@pytest.fixture
def people_csv(tmp_path):
    path = tmp_path / "people.csv"
    people().to_csv(path, index=False)
    return path


def test_cli_anonymize_refuses_an_exact_copy_with_one_line(
    copying_synthesizer, people_csv, tmp_path
):
    out = tmp_path / "out.parquet"
    result = invoke("anonymize", people_csv, "-o", out, "--quiet")
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: privacy check failed: exact_copies")
    assert "--force" in lines[0] and "Traceback" not in result.output
    assert not out.exists()


def test_cli_anonymize_refusal_prints_the_checks_and_writes_the_report(
    copying_synthesizer, people_csv, tmp_path
):
    out, report = tmp_path / "out.csv", tmp_path / "privacy.json"
    result = invoke("anonymize", people_csv, "-o", out, "--report", report)
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert sum(line.startswith("error:") for line in lines) == 1
    assert lines[-1].startswith("error: ")
    assert "identifier 'person_id' (id)" in result.stderr
    assert "identifier 'email' (email)" in result.stderr
    assert "spent ε = 1" in result.stderr and "FAIL exact_copies" in result.stderr
    assert not out.exists() and report.exists()


def test_cli_anonymize_force_writes_with_a_warning(copying_synthesizer, people_csv, tmp_path):
    out = tmp_path / "out.parquet"
    result = invoke(
        "anonymize", people_csv, "-o", out, "--force", "--identifiers", "replace", "-n", 50
    )
    assert result.exit_code == 0, result.output
    assert "warning: --force: writing although exact_copies" in result.stderr
    written = read_table(out).data
    assert len(written) == 50 and list(written.columns) == list(people().columns)
    assert written["email"].str.endswith("@example.com").all()


def test_cli_anonymize_never_overwrites_without_overwrite(
    copying_synthesizer, people_csv, tmp_path, monkeypatch
):
    out = tmp_path / "out.csv"
    out.write_text("keep me\n")
    called = []
    monkeypatch.setattr(TVAE, "fit", lambda self, *a, **k: called.append(1))
    result = invoke("anonymize", people_csv, "-o", out, "--force")
    assert result.exit_code == 1 and "--overwrite" in result.stderr
    assert out.read_text() == "keep me\n" and not called  # refused before any work
    report = tmp_path / "r.html"
    report.write_text("old report")
    result = invoke("anonymize", people_csv, "-o", tmp_path / "new.csv", "--report", report)
    assert result.exit_code == 1 and "r.html already exists" in result.stderr and not called


def test_cli_anonymize_overwrite_replaces(copying_synthesizer, people_csv, tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("old\n")
    result = invoke("anonymize", people_csv, "-o", out, "--force", "--overwrite", "-q")
    assert result.exit_code == 0, result.output
    assert len(read_table(out)) == 100


def test_cli_anonymize_rejects_a_synthesizer_without_dp(people_csv, tmp_path):
    result = invoke("anonymize", people_csv, "-o", tmp_path / "o.csv", "-s", "gaussian_copula")
    assert result.exit_code == 1
    assert "no differentially private training" in result.stderr


def test_cli_anonymize_real_dp_flags_parse(people_csv, tmp_path, monkeypatch):
    # the options reach the library as they should (the fit itself is tested above)
    seen = {}

    def fake_anonymize(table, **kwargs):
        seen.update(kwargs, rows=len(table))
        raise ConfigError("stop here")

    monkeypatch.setattr("synthset.privacy.anonymize.anonymize", fake_anonymize)
    spec = tmp_path / "spec.json"
    spec.write_text(Table(people()).spec.to_json())
    result = invoke(
        "anonymize", people_csv, "-o", tmp_path / "o.parquet", "--epsilon", "0.5",
        "--delta", "1e-4", "--holdout-share", "0.25", "--public-metadata", spec, "--seed", 3,
        "--keep", "age", *TINY_DP_CLI,
    )  # fmt: skip
    assert result.exit_code == 1 and "stop here" in result.stderr
    assert seen["epsilon"] == 0.5 and seen["delta"] == 1e-4 and seen["seed"] == 3
    assert seen["holdout_share"] == 0.25 and seen["public_metadata"] == spec
    assert seen["params"]["epochs"] == 1 and seen["params"]["compress_dims"] == [16]
    assert seen["identifiers"] == "drop" and seen["rows"] == 100 and seen["keep"] == ["age"]

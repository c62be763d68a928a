"""The ``synthset`` command line, run in-process with Typer's CliRunner on tiny files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from synthset import __version__
from synthset.cli._common import parse_conditions, parse_params
from synthset.cli.main import app
from synthset.data import TableSpec
from synthset.errors import DataError

TINY_CTGAN = [
    "--synth", "ctgan",
    "--param", "epochs=1",
    "--param", "batch_size=20",
    "--param", "embedding_dim=8",
    "--param", "generator_dim=[16]",
    "--param", "discriminator_dim=[16]",
    "--param", "pac=2",
]  # fmt: skip
COPULA = ["--synth", "gaussian_copula"]


def invoke(*args, env=None):
    runner = CliRunner()
    return runner.invoke(app, [str(a) for a in args], env={"SYNTHSET_DEBUG": None, **(env or {})})


def assert_one_line_error(result, *fragments):
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def tiny_csv(tmp_path):
    """64 rows × 4 columns: an int, a float with one NaN, a category and a boolean."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "age": rng.integers(18, 80, 64),
            "income": rng.normal(50.0, 10.0, 64).round(2),
            "city": rng.choice(["Lyon", "Oslo", "Rome"], 64),
            "member": rng.choice([True, False], 64),
        }
    )
    df.loc[3, "income"] = np.nan
    path = tmp_path / "tiny.csv"
    df.to_csv(path, index=False)
    return path


@pytest.fixture
def copula_run(tiny_csv, tmp_path):
    out = tmp_path / "run"
    result = invoke("fit", tiny_csv, *COPULA, "--seed", 0, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    return out


# --- listing ----------------------------------------------------------------------------------
def test_version_prints_the_version():
    result = invoke("--version")

    assert result.exit_code == 0
    assert result.stdout.strip() == f"synthset {__version__}"


def test_datasets_lists_adult():
    result = invoke("datasets")

    assert result.exit_code == 0, result.output
    assert "adult" in result.stdout and "32,561 × 15" in result.stdout


def test_datasets_json_is_machine_readable():
    result = invoke("datasets", "--format", "json")

    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {"adult", "breast_cancer", "penguins"} <= {r["name"] for r in rows}
    assert all({"rows", "cols", "target", "source", "licence", "modality"} <= set(r) for r in rows)
    mnist = next(r for r in rows if r["name"] == "mnist")
    assert (mnist["modality"], mnist["shape"]) == ("image", [28, 28, 1])


def test_list_synthesizers_shows_names_and_modality():
    result = invoke("list", "synthesizers", "--format", "json")

    assert result.exit_code == 0, result.output
    rows = {r["name"]: r["modality"] for r in json.loads(result.stdout)}
    assert rows["gaussian_copula"] == "table"
    assert rows["ctgan"] == "table"


# --- fit / sample / augment -------------------------------------------------------------------
@pytest.mark.parametrize("synth", [COPULA, TINY_CTGAN], ids=["gaussian_copula", "ctgan"])
def test_fit_then_sample_round_trip(tiny_csv, tmp_path, synth):
    # Setup
    run, fake = tmp_path / "run", tmp_path / "fake.parquet"

    # Run
    fitted = invoke("fit", tiny_csv, *synth, "--seed", 0, "--out", run, "--quiet")
    sampled = invoke("sample", run, "-n", 50, "-o", fake, "--seed", 1)

    # Assert
    assert fitted.exit_code == 0, fitted.output
    assert (run / "config.json").exists() and (run / "model.safetensors").exists()
    assert sampled.exit_code == 0, sampled.output
    df = pd.read_parquet(fake)
    assert len(df) == 50
    assert list(df.columns) == ["age", "income", "city", "member"]
    assert "sampled 50 rows" in sampled.stderr


def test_fit_prints_a_summary_line(tiny_csv, tmp_path):
    result = invoke("fit", tiny_csv, *COPULA, "--out", tmp_path / "run")

    assert result.exit_code == 0, result.output
    assert "fitted gaussian_copula on 64 rows × 4 columns" in result.stderr
    assert result.stdout == ""


def test_sample_same_seed_gives_same_rows(copula_run, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"

    invoke("sample", copula_run, "-n", 20, "-o", a, "--seed", 3)
    invoke("sample", copula_run, "-n", 20, "-o", b, "--seed", 3)

    assert a.read_text() == b.read_text()


def test_sample_condition_fixes_the_column(tiny_csv, tmp_path):
    run, fake = tmp_path / "run", tmp_path / "fake.csv"
    invoke("fit", tiny_csv, *TINY_CTGAN, "--out", run, "--quiet")

    result = invoke("sample", run, "-n", 30, "-o", fake, "--condition", "city=Oslo")

    assert result.exit_code == 0, result.output
    assert set(pd.read_csv(fake)["city"]) == {"Oslo"}


def test_fit_accepts_a_bundled_dataset_name(tmp_path):
    result = invoke("fit", "penguins", *COPULA, "--out", tmp_path / "run", "--quiet")

    assert result.exit_code == 0, result.output
    assert (tmp_path / "run" / "spec.json").exists()


def test_fit_column_kind_overrides_detection(tiny_csv, tmp_path):
    run = tmp_path / "run"

    result = invoke(
        "fit", tiny_csv, *COPULA, "--out", run, "--column-kind", "age=categorical", "-q"
    )

    assert result.exit_code == 0, result.output
    spec = TableSpec.from_json((run / "spec.json").read_text())
    assert spec["age"].kind == "categorical"


def test_augment_writes_real_and_synthetic_rows(tiny_csv, tmp_path):
    out = tmp_path / "augmented.parquet"

    result = invoke("augment", tiny_csv, *COPULA, "--n-new", 10, "-o", out, "--seed", 0, "-q")

    assert result.exit_code == 0, result.output
    df = pd.read_parquet(out)
    assert len(df) == 74
    assert df["synthset_source"].value_counts().to_dict() == {"real": 64, "synthetic": 10}


def test_demo_runs_the_whole_workflow(tmp_path):
    out = tmp_path / "demo"

    result = invoke("demo", "--out", out, "--dataset", "penguins", "--epochs", 1, "-q")

    assert result.exit_code == 0, result.output
    for name in ("train", "holdout", "synthetic", "augmented"):
        assert (out / f"{name}.parquet").exists()
    assert (out / "model" / "config.json").exists()
    assert "Class balance of 'species'" in result.stdout
    augmented = pd.read_parquet(out / "augmented.parquet")
    assert augmented["species"].value_counts().nunique() == 1  # balanced
    report = out / "report.html"
    assert 'id="scores"' in report.read_text()
    assert result.stdout.strip().splitlines()[-1].strip() == f"report: {report}"


def test_sample_version_mismatch_is_a_one_line_warning(copula_run, tmp_path):
    config_path = copula_run / "config.json"
    config = json.loads(config_path.read_text())
    config["synthset_version"] = "0.0.1"
    config_path.write_text(json.dumps(config))

    result = invoke("sample", copula_run, "-n", 5, "-o", tmp_path / "fake.csv", "-q")

    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("warning: ")
    assert "0.0.1" in lines[0]


# --- errors: one line, exit 1 -----------------------------------------------------------------
def test_fit_refuses_to_overwrite(copula_run, tiny_csv):
    again = invoke("fit", tiny_csv, *COPULA, "--out", copula_run, "-q")
    forced = invoke("fit", tiny_csv, *COPULA, "--out", copula_run, "-q", "--overwrite")

    assert_one_line_error(again, "already exists", "--overwrite")
    assert forced.exit_code == 0, forced.output


def test_sample_refuses_to_overwrite(copula_run, tmp_path):
    fake = tmp_path / "fake.parquet"
    fake.write_bytes(b"precious")

    result = invoke("sample", copula_run, "-n", 5, "-o", fake)

    assert_one_line_error(result, "already exists")
    assert fake.read_bytes() == b"precious"


def test_fit_missing_file_is_one_line(tmp_path):
    result = invoke("fit", tmp_path / "missing.csv", *COPULA, "--out", tmp_path / "run")

    assert_one_line_error(result, "no such file")
    assert not (tmp_path / "run").exists()


def test_fit_unknown_dataset_name_lists_bundled_ones(tmp_path):
    result = invoke("fit", "cifar10", *COPULA, "--out", tmp_path / "run")

    assert_one_line_error(result, "cifar10", "adult")


def test_fit_non_utf8_csv_is_one_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("city,n\nZürich,1\nGenève,2\n".encode("latin-1"))

    result = invoke("fit", path, *COPULA, "--out", tmp_path / "run")

    assert_one_line_error(result, "UTF-8")


def test_sample_zero_rows_is_one_line(copula_run, tmp_path):
    result = invoke("sample", copula_run, "-n", 0, "-o", tmp_path / "fake.parquet")

    assert_one_line_error(result, "n_samples")
    assert not (tmp_path / "fake.parquet").exists()


def test_fit_invalid_param_value_is_one_line(tiny_csv, tmp_path):
    result = invoke("fit", tiny_csv, *TINY_CTGAN, "--param", "epochs=0", "--out", tmp_path / "r")

    assert_one_line_error(result, "epochs")


def test_fit_unknown_param_lists_valid_ones(tiny_csv, tmp_path):
    result = invoke("fit", tiny_csv, *COPULA, "--param", "epochz=3", "--out", tmp_path / "r")

    assert_one_line_error(result, "epochz", "random_state")


def test_fit_malformed_param_is_a_usage_error(tiny_csv, tmp_path):
    result = invoke("fit", tiny_csv, *COPULA, "--param", "epochs", "--out", tmp_path / "r")

    assert result.exit_code == 2


def test_sample_corrupt_artifact_is_one_line(copula_run, tmp_path):
    weights = copula_run / "model.safetensors"
    raw = bytearray(weights.read_bytes())
    raw[-1] ^= 0xFF
    weights.write_bytes(bytes(raw))

    result = invoke("sample", copula_run, "-n", 5, "-o", tmp_path / "fake.parquet")

    assert_one_line_error(result, "model.safetensors")


def test_sample_missing_artifact_is_one_line(tmp_path):
    result = invoke("sample", tmp_path / "nope", "-n", 5, "-o", tmp_path / "fake.parquet")

    assert_one_line_error(result, "no artifact")


def test_debug_shows_the_exception(tmp_path):
    args = ("fit", tmp_path / "missing.csv", *COPULA, "--out", tmp_path / "run")

    flag = invoke("--debug", *args)
    env = invoke(*args, env={"SYNTHSET_DEBUG": "1"})

    assert isinstance(flag.exception, DataError)
    assert isinstance(env.exception, DataError)


# --- parsing helpers --------------------------------------------------------------------------
def test_parse_params_reads_json_else_strings():
    params = parse_params(["epochs=300", "lr=2e-4", "dims=[16, 16]", "on=true", "device=cpu"])

    assert params == {"epochs": 300, "lr": 2e-4, "dims": [16, 16], "on": True, "device": "cpu"}


def test_parse_conditions_keeps_category_strings():
    spec = TableSpec.detect(pd.DataFrame({"zip": ["02134", "10001"], "n": [1, 2], "y": ["a", "b"]}))

    conditions = parse_conditions(["zip=02134", "n=2", "y=>50K"], spec)

    assert conditions == {"zip": "02134", "n": 2, "y": ">50K"}

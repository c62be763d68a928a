"""``synthset evaluate`` with CliRunner on tiny CSV files."""

from __future__ import annotations

import json

import pytest

from tests.conftest import make_tiny_frame
from tests.test_cli import assert_one_line_error, invoke

# Fast metrics only: the detection classifier alone takes a second or more.
FAST = "column_shapes,privacy"


@pytest.fixture
def csvs(tmp_path):
    """Real, synthetic and holdout CSVs of the tiny mixed-type frame (64, 64 and 32 rows)."""
    paths = {}
    for name, n, seed in (("real", 64, 0), ("fake", 64, 1), ("holdout", 32, 2)):
        paths[name] = tmp_path / f"{name}.csv"
        make_tiny_frame(n, seed).to_csv(paths[name], index=False)
    return paths


def evaluate_args(csvs, *extra):
    return ["evaluate", "--real", csvs["real"], "--synthetic", csvs["fake"], *extra]


@pytest.mark.parametrize("suffix", [".html", ".md", ".json"])
def test_evaluate_writes_the_report_by_extension(csvs, tmp_path, suffix):
    path = tmp_path / f"report{suffix}"

    result = invoke(*evaluate_args(csvs, "--holdout", csvs["holdout"], "--metrics", FAST),
                    "--report", path)  # fmt: skip

    assert result.exit_code == 0, result.output
    text = path.read_text()
    if suffix == ".html":
        assert text.startswith("<!DOCTYPE html>") and 'id="scores"' in text
    elif suffix == ".md":
        assert text.startswith("# Synthetic data report") and "`dcr`" in text
    else:
        assert "column_shapes" in [m["name"] for m in json.loads(text)["metrics"]]
    assert "Scores" in result.stderr and "column_shapes" in result.stderr
    assert result.stdout == ""


def test_evaluate_json_goes_to_stdout(csvs):
    result = invoke(*evaluate_args(csvs, "--metrics", "column_shapes", "--format", "json"))

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [m["name"] for m in data["metrics"]] == ["column_shapes"]
    assert data["metrics"][0]["status"] in ("pass", "warn", "fail")


def test_evaluate_markdown_goes_to_stdout(csvs):
    result = invoke(*evaluate_args(csvs, "--metrics", "column_shapes", "--format", "markdown"))

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Synthetic data report")


def test_evaluate_accepts_dataset_names_and_splits():
    result = invoke("evaluate", "--real", "penguins", "--synthetic", "penguins:all",
                    "--target", "species", "--metrics", "column_shapes", "-q")  # fmt: skip

    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_evaluate_unknown_metric_is_one_line(csvs):
    result = invoke(*evaluate_args(csvs, "--metrics", "fidelity,no_such_metric"))

    assert_one_line_error(result, "no_such_metric", "column_shapes")


def test_evaluate_unknown_target_is_one_line(csvs):
    result = invoke(*evaluate_args(csvs, "--target", "nope", "--metrics", "column_shapes"))

    assert_one_line_error(result, "nope", "color")


def test_evaluate_refuses_an_existing_report(csvs, tmp_path):
    path = tmp_path / "r.html"
    path.write_text("keep me")

    result = invoke(*evaluate_args(csvs, "--metrics", "column_shapes", "--report", path))

    assert_one_line_error(result, "already exists", "--overwrite")
    assert path.read_text() == "keep me"


def test_evaluate_overwrite_replaces_the_report(csvs, tmp_path):
    path = tmp_path / "r.json"
    path.write_text("old")

    result = invoke(*evaluate_args(csvs, "--metrics", "column_shapes", "--report", path,
                                   "--overwrite", "-q"))  # fmt: skip

    assert result.exit_code == 0, result.output
    assert json.loads(path.read_text())["metrics"][0]["name"] == "column_shapes"


def test_evaluate_unknown_report_extension_is_one_line(csvs, tmp_path):
    result = invoke(*evaluate_args(csvs, "--report", tmp_path / "r.pdf"))

    assert_one_line_error(result, "r.pdf", ".html")


def test_evaluate_mismatched_columns_is_one_line(csvs, tmp_path):
    other = tmp_path / "other.csv"
    make_tiny_frame(16, 3).drop(columns=["color"]).to_csv(other, index=False)

    result = invoke("evaluate", "--real", csvs["real"], "--synthetic", other,
                    "--metrics", "column_shapes", "-q")  # fmt: skip

    assert_one_line_error(result, "color")

"""The command line on image folders: fit, sample (folder, .png grid, .parquet), augment."""

from __future__ import annotations

import numpy as np
import pytest

from synthset.data.image_io import read_images, write_images
from tests.conftest import make_tiny_images
from tests.test_cli import assert_one_line_error, invoke

TINY_CVAE = ["--synth", "cvae", "-p", "epochs=2", "-p", "batch_size=8", "-p", "width=8"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("imgs") / "imgs"
    write_images(make_tiny_images(n=32), path)
    return path


@pytest.fixture(scope="module")
def run(folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "run"
    result = invoke("fit", folder, *TINY_CVAE, "--seed", "0", "-o", out, "-q")
    assert result.exit_code == 0, result.output
    return out


def test_fit_reports_images(folder, tmp_path):
    result = invoke("fit", folder, *TINY_CVAE, "-o", tmp_path / "r")
    assert result.exit_code == 0, result.output
    assert "32 images 8×8×1" in result.stderr


def test_sample_to_folder_with_condition(run, tmp_path):
    result = invoke("sample", run, "-n", 12, "-o", tmp_path / "out", "-c", "label=top", "--seed", 1)
    assert result.exit_code == 0, result.output
    back = read_images(tmp_path / "out", dedup=False)
    assert len(back) == 12 and set(back.label_names) == {"top"}


def test_sample_grid_png_and_parquet(run, tmp_path):
    from PIL import Image

    assert invoke("sample", run, "-n", 16, "-o", tmp_path / "g.png").exit_code == 0
    assert Image.open(tmp_path / "g.png").size == (4 * 10 + 2, 4 * 10 + 2)
    assert invoke("sample", run, "-n", 5, "-o", tmp_path / "s.parquet", "--seed", 2).exit_code == 0
    assert len(read_images(tmp_path / "s.parquet", dedup=False)) == 5


def test_augment_balances_images(folder, tmp_path):
    out = tmp_path / "aug.npz"
    result = invoke("augment", folder, *TINY_CVAE, "--n-per-class", 3, "-o", out, "-q")
    assert result.exit_code == 0, result.output
    back = read_images(out, dedup=False)
    assert len(back) == 38
    assert np.array_equal(np.bincount(back.labels), [19, 19])


def test_errors_are_one_line(folder, run, tmp_path):
    assert_one_line_error(invoke("fit", folder, "--synth", "ctgan", "-o", tmp_path / "x"))
    assert_one_line_error(invoke("sample", run, "-n", 3, "-o", tmp_path / "x.csv"))
    assert_one_line_error(invoke("sample", run, "-n", 3, "-o", tmp_path / "o", "-c", "label=left"))
    assert_one_line_error(invoke("fit", folder, *TINY_CVAE, "-o", run))  # exists


def test_evaluate_image_folders(folder, run, tmp_path):
    import json

    out = tmp_path / "s"
    assert invoke("sample", run, "-n", 16, "-o", out, "--seed", 1).exit_code == 0
    report = tmp_path / "r.json"
    result = invoke(
        "evaluate",
        "--real", folder,
        "--synthetic", out,
        "--metrics", "fid_domain,cas,image_exact_copies",
        "--report", report,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "16 synthetic images against 32 real images" in result.stderr
    names = {m["name"] for m in json.loads(report.read_text())["metrics"]}
    assert names == {"fid_domain", "cas", "image_exact_copies"}
    assert_one_line_error(
        invoke("evaluate", "--real", folder, "--synthetic", out, "--target", "label")
    )

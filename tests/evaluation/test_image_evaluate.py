"""evaluate() on Images: dispatch, metric selection, verdicts on copies, the report renderers."""

from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from synthset import evaluate
from synthset.data.images import Images
from synthset.errors import ConfigError, DataError, OutputExistsError
from synthset.evaluation import list_metrics, register_metric
from synthset.evaluation.base import get_metric
from synthset.evaluation.images import context as image_context
from synthset.evaluation.images import utility as image_utility
from synthset.reporting.images import image_grid_png, save_image_grid
from synthset.reporting.plots import prdc_plot
from tests.conftest import make_tiny_frame
from tests.evaluation.test_image_metrics import FAST as FAST_CNN
from tests.evaluation.test_image_metrics import digits

FIDELITY = [
    f"{m}_{e}"
    for e in ("imagenet", "domain")
    for m in ("fid", "kid", "precision", "recall", "density", "coverage")
]
IMAGE_METRICS = [*FIDELITY, "cas", "cas_ratio"] + [
    "image_dcr",
    "image_closer_than_holdout",
    "image_exact_copies",
]
FAST = dict(image_resolution=32, max_images=64, device="cpu")


@pytest.fixture(autouse=True, scope="module")
def fast_cnns():
    """Short CNN schedules and one CAS seed: the behaviour, not the accuracy, is under test."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(image_utility, "CLASSIFIER", FAST_CNN)
        mp.setattr(image_utility, "N_SEEDS", 1)
        mp.setattr(image_context, "DOMAIN_CLASSIFIER", FAST_CNN)
        yield


@pytest.fixture(scope="module")
def sets() -> tuple[Images, Images, Images]:
    """Real, synthetic (other real digits with pixel noise) and holdout: 64 digits each."""
    pool = digits(192, seed=1)
    real, synthetic, holdout = pool[:64], pool[64:128], pool[128:]
    noise = np.random.default_rng(0).integers(-12, 13, synthetic.pixels.shape)
    noisy = np.clip(synthetic.pixels.astype(int) + noise, 0, 255).astype(np.uint8)
    return real, Images(noisy, synthetic.labels, synthetic.spec), holdout


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One cache for the module: later evaluations load the domain classifier from it."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def report(sets, cache, fast_cnns):
    real, synthetic, holdout = sets
    return evaluate(real, synthetic, holdout, seed=0, cache_dir=cache, **FAST)


def test_image_metrics_are_registered_apart_from_table_metrics():
    assert list_metrics(modality="image") == IMAGE_METRICS
    assert not set(IMAGE_METRICS) & set(list_metrics())  # default: tables, as before
    assert set(list_metrics(modality=None)) == set(list_metrics()) | set(IMAGE_METRICS) | set(
        list_metrics(modality="text")
    ) | set(list_metrics(modality="audio"))
    assert get_metric("fid_imagenet").modality == "image"
    assert get_metric("column_shapes").modality == "table"
    with pytest.raises(ConfigError, match="modality"):
        register_metric("x", "fidelity", modality="video")


def test_evaluate_on_images_runs_every_image_metric(report, sets):
    real, synthetic, holdout = sets
    assert [m.name for m in report.metrics] == IMAGE_METRICS
    assert report.modality == "image"
    assert report.meta["images"] == {"real": 64, "synthetic": 64, "holdout": 64}
    assert report.meta["image_shape"] == [8, 8, 1]
    for m in report.metrics:
        assert m.family in ("fidelity", "utility", "privacy")
        assert not np.isnan(m.value), (m.name, m.details.get("error"))
        if m.bounds is not None:
            assert m.bounds[0] - 1e-9 <= m.value <= m.bounds[1] + 1e-9, m.name
    # Other real digits with a little noise: no copies, as far from training as the holdout.
    assert report["image_exact_copies"].value == 0.0
    assert report["image_dcr"].value > 0.5
    assert report["image_exact_copies"].status == "pass"
    # FID is judged against this run's baseline (real vs holdout), set by the metric itself.
    fid = report["fid_domain"]
    assert fid.thresholds["pass"] == pytest.approx(2 * fid.details["baseline"])
    assert fid.status in ("pass", "warn", "fail")
    assert report["kid_imagenet"].status is None  # for information only
    cas = report["cas"].details
    assert cas["test"] == "holdout" and cas["chance_accuracy"] < 0.2
    assert report["cas"].value > 0.5  # real digits with noise still teach the classes
    dom = report["coverage_domain"].details
    assert dom["task"] == "classes" and dom["cache"] == "miss"


def test_copies_fail_the_privacy_metrics(sets, tmp_path):
    real, _, holdout = sets
    copied = real[np.arange(32)]
    rep = evaluate(real, copied, holdout, metrics="privacy", seed=0, cache_dir=tmp_path, **FAST)
    assert [m.name for m in rep.metrics] == [
        "image_dcr",
        "image_closer_than_holdout",
        "image_exact_copies",
    ]
    assert rep["image_exact_copies"].value == 1.0 and rep["image_exact_copies"].status == "fail"
    assert rep["image_dcr"].value == 0.0 and rep["image_dcr"].status == "fail"
    assert rep["image_closer_than_holdout"].value == 1.0
    pairs = rep["image_exact_copies"].details["nearest_pairs"]["pixel"]
    assert all(p["distance"] == 0.0 and p["real"] == p["synthetic"] for p in pairs)


def test_without_holdout_or_labels(sets, cache, report):
    real, synthetic, _ = sets
    unlabelled = Images(synthetic.pixels)
    rep = evaluate(real, unlabelled, seed=0, cache_dir=cache, **FAST)
    names = [m.name for m in rep.metrics]
    assert "cas" not in names and "image_dcr" not in names  # no labels / no holdout
    assert "image_exact_copies" in names and "fid_domain" in names
    assert rep["fid_domain"].details["baseline_source"] == "real half vs real half"
    assert rep["fid_domain"].details["cache"] == "hit"  # the report fixture trained it


def test_cas_without_holdout_splits_the_real_images(sets, tmp_path, monkeypatch):
    monkeypatch.setattr(image_utility, "N_SEEDS", 2)
    real, synthetic, _ = sets
    rep = evaluate(real, synthetic, metrics=["cas"], seed=0, cache_dir=tmp_path, **FAST)
    d = rep["cas"].details
    assert d["test"].startswith("real split") and d["seeds"] == [0, 1]
    assert len(d["tstr"]["accuracy"]["values"]) == 2
    assert d["train_images"]["synthetic"] == 64
    assert abs(d["train_images"]["real"] - 48) <= 2  # 75% of the real images, by class


def test_synthetic_labels_are_matched_by_class_name(sets, tmp_path):
    real, synthetic, _ = sets
    names = np.asarray(real.spec.classes)[synthetic.labels]
    # the synthetic set knows only some classes, so its codes differ from the real ones
    keep = np.isin(names, ["3", "5", "7"])
    subset = Images.from_arrays(synthetic.pixels[keep], labels=names[keep])
    assert subset.spec.classes == ["3", "5", "7"]
    rep = evaluate(real, subset, metrics=["cas"], seed=0, cache_dir=tmp_path, **FAST)
    assert rep["cas"].details["train_images"]["synthetic"] == int(keep.sum())
    wrong = Images.from_arrays(synthetic.pixels[:4], labels=["cat", "dog", "cat", "dog"])
    with pytest.raises(DataError, match="labels the real images lack"):
        evaluate(real, wrong, **FAST)


def test_too_few_images_leave_metrics_not_computed(sets, tmp_path):
    real, synthetic, _ = sets
    rep = evaluate(real[:3], synthetic[:4], seed=0, cache_dir=tmp_path, **FAST)
    by_name = {m.name: m for m in rep.metrics}
    for name in ("precision_domain", "fid_domain", "coverage_imagenet", "cas"):
        assert np.isnan(by_name[name].value) and by_name[name].details["error"], name
    assert not np.isnan(by_name["fid_imagenet"].value)  # 3 and 4 images make a FID,
    assert by_name["fid_imagenet"].details["baseline"] is None  # halves of 1 and 2 do not
    assert by_name["image_exact_copies"].value == 0.0
    assert "not computed" in rep.to_html()


def test_image_input_errors(sets):
    real, synthetic, _ = sets
    small = Images(np.zeros((4, 4, 4, 1), np.uint8))
    with pytest.raises(DataError, match="4×4×1 but the real images are 8×8×1"):
        evaluate(real, small, **FAST)
    with pytest.raises(ConfigError, match="target"):
        evaluate(real, synthetic, target="label", **FAST)
    with pytest.raises(ConfigError, match="is an table metric|is a table metric|table metric"):
        evaluate(real, synthetic, metrics=["column_shapes"], **FAST)
    with pytest.raises(ConfigError, match="image metric"):
        evaluate(make_tiny_frame(), make_tiny_frame(seed=1), metrics=["fid_imagenet"])


def test_tables_run_table_metrics_only():
    rep = evaluate(make_tiny_frame(80, seed=0), make_tiny_frame(80, seed=1), metrics="fidelity")
    assert rep.modality == "table"
    assert {m.name for m in rep.metrics} <= set(list_metrics("fidelity"))
    assert "column_shapes" in rep


# --- rendering ------------------------------------------------------------------------------------
def _data_images(page: str) -> list[Image.Image]:
    uris = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    out = []
    for data in uris:
        im = Image.open(io.BytesIO(base64.b64decode(data)))
        im.load()  # fully decodes, raises on a broken PNG
        out.append(im)
    return out


def test_report_renders_to_html_with_decodable_images(report):
    page = report.to_html()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "Synthetic image report" in page
    for anchor in ('id="samples"', 'id="fidelity"', 'id="utility"', 'id="privacy"', 'id="scores"'):
        assert anchor in page
    images = _data_images(page)
    # 10 classes × (real + synthetic) strips, the PRDC chart, 2 histograms, 2 × 8 × 2 pairs
    assert len(images) >= 20 + 1 + 2 + 32
    assert "Closest pairs in pixels" in page and "Feature-space scores" in page
    assert "Precision, recall, density and coverage" in page


def test_report_renders_to_json_and_markdown(report, tmp_path):
    data = json.loads(report.to_json())
    assert [m["name"] for m in data["metrics"]] == IMAGE_METRICS
    assert data["meta"]["modality"] == "image"
    assert "real_images" not in json.dumps(data["meta"])
    md = report.to_markdown(tmp_path / "r.md")
    assert md.startswith("# Synthetic image report")
    assert "64 real · 64 synthetic · 64 holdout images" in md
    assert "Synthetic images closest to a training image" in md
    assert (tmp_path / "r.md").read_text(encoding="utf-8") == md


def test_html_without_stored_images_still_renders(report):
    from synthset.evaluation.report import Report

    bare = Report(metrics=report.metrics, meta=report.meta)  # as if read back from JSON
    page = bare.to_html()
    assert "not stored with this report" in page
    assert "Closest pairs" not in page


# --- image helpers --------------------------------------------------------------------------------
def test_image_grid_png_tiles_and_upscales(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (10, 6, 5, 3), dtype=np.uint8)
    png = image_grid_png(pixels, nrow=4, padding=1, scale=3)
    im = Image.open(io.BytesIO(png))
    # 3 rows × 4 columns of (6+1)×(5+1) cells plus the outer padding, then × 3
    assert im.size == ((4 * 6 + 1) * 3, (3 * 7 + 1) * 3) and im.mode == "RGB"
    grey = Image.open(io.BytesIO(image_grid_png(Images(pixels[..., :1]), nrow=5, scale=None)))
    assert grey.mode == "L"
    path = save_image_grid(pixels, tmp_path / "grid.png", nrow=4)
    assert Image.open(path).size == (4 * 7 + 2, 3 * 8 + 2)
    with pytest.raises(OutputExistsError):
        save_image_grid(pixels, path)
    with pytest.raises(DataError):
        image_grid_png(np.zeros((2, 4, 4), np.float32))


def test_prdc_plot_draws_and_skips_empty():
    values = {"ImageNet": {"precision": 0.9, "recall": 0.5, "density": 1.1, "coverage": 0.7}}
    png = prdc_plot(values, {"ImageNet": {"precision": 0.95, "recall": 0.95}})
    assert png is not None and Image.open(io.BytesIO(png)).format == "PNG"
    assert prdc_plot({}) is None
    assert prdc_plot({"x": {"precision": None}}) is None

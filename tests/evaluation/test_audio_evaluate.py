"""evaluate() on Audio: dispatch, every audio metric, not-computed reasons, metric selection,
paths, meta and the example clips kept for the report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from synthset import evaluate
from synthset.data.audio import Audio
from synthset.errors import ConfigError, DataError
from synthset.evaluation import list_metrics
from synthset.evaluation.evaluate import AUDIO_EXAMPLES_PER_CLASS, _is_audio
from tests.evaluation.test_audio_metrics import sweeps

AUDIO_METRICS = [
    "frechet_audio_stats",
    "frechet_audio_domain",
    "precision_audio",
    "recall_audio",
    "coverage_audio",
    "lsd_mean_spectrum",
    "audio_class_balance",
    "loudness_distance",
    "cas_audio",
    "cas_ratio_audio",
    "augmentation_gain_audio",
    "audio_dcr",
    "audio_copies",
]
CHEAP = ["frechet_audio_stats", "lsd_mean_spectrum", "loudness_distance", "audio_copies"]


@pytest.fixture(scope="module")
def report():
    return evaluate(sweeps(16, 0), sweeps(16, 1), sweeps(16, 2), seed=0, device="cpu")


def test_audio_metrics_are_registered_with_unique_names() -> None:
    assert list_metrics(modality="audio") == AUDIO_METRICS
    others = set(list_metrics(modality=None)) - set(AUDIO_METRICS)
    assert not others & set(AUDIO_METRICS)


def test_evaluate_audio_computes_every_metric_and_passes_matching_clips(report) -> None:
    assert [m.name for m in report.metrics] == AUDIO_METRICS
    for m in report.metrics:
        assert np.isfinite(m.value), (m.name, m.details.get("error"))
        if m.bounds is not None:
            assert m.bounds[0] <= m.value <= m.bounds[1], m.name
    assert report["cas_audio"].value == 1.0
    assert report["audio_copies"].value == 0.0
    assert report.summary()["fidelity"]["fail"] == 0


def test_evaluate_audio_meta_and_examples(report) -> None:
    meta = report.meta
    assert report.modality == "audio" and meta["modality"] == "audio"
    assert meta["clips"] == {"real": 16, "synthetic": 16, "holdout": 16}
    assert meta["sample_rate"] == 8_000 and meta["duration"] == 0.5
    assert meta["classes"] == ["low", "high"]
    assert set(meta["seconds"]) == set(AUDIO_METRICS)
    domain = meta["domain_classifier"]  # 12 training clips, 4 held out
    assert domain["trained_on"] == 12 and domain["held_out_accuracy"] >= 0.75
    examples = report.audio_examples
    assert set(examples) == {"real", "synthetic"}
    for clips in examples.values():
        assert clips.class_counts() == {"low": AUDIO_EXAMPLES_PER_CLASS, "high": 2}


def test_evaluate_audio_to_json_leaves_the_clips_out(report) -> None:
    data = json.loads(report.to_json())
    assert data["meta"]["modality"] == "audio"
    assert [m["name"] for m in data["metrics"]] == AUDIO_METRICS
    assert "audio_examples" not in data and "waveforms" not in json.dumps(data)


def test_evaluate_audio_is_deterministic_for_a_seed() -> None:
    args = (sweeps(16, 0), sweeps(16, 1), sweeps(16, 2))
    a = evaluate(*args, seed=3, metrics=CHEAP + ["frechet_audio_domain"], device="cpu")
    b = evaluate(*args, seed=3, metrics=CHEAP + ["frechet_audio_domain"], device="cpu")
    assert a.scores == b.scores


def test_evaluate_audio_without_holdout_or_labels_says_why() -> None:
    clips = sweeps(16, 0, labelled=False)
    r = evaluate(clips, sweeps(16, 1, labelled=False), metrics=AUDIO_METRICS, device="cpu")
    assert [m.name for m in r.metrics] == AUDIO_METRICS  # every metric, some not computed
    errors = {m.name: m.details.get("error", "") for m in r.metrics if np.isnan(m.value)}
    assert "holdout" in errors.pop("audio_dcr")
    for name in ("cas_audio", "cas_ratio_audio", "augmentation_gain_audio", "audio_class_balance"):
        assert "labelled" in errors.pop(name)
    assert not errors  # the rest is computed; the domain embedding falls back to statistics
    assert "fallback" in r["frechet_audio_domain"].details["extractor"]
    assert r["audio_copies"].thresholds == {"pass": 0.01, "warn": 0.05}


def test_evaluate_audio_rejects_other_modalities_metrics_and_table_options() -> None:
    real, fake = sweeps(16, 0), sweeps(16, 1)
    with pytest.raises(ConfigError, match="image metric"):
        evaluate(real, fake, metrics=["fid_imagenet"])
    with pytest.raises(ConfigError, match="text metric"):
        evaluate(real, fake, metrics=["class_balance"])
    with pytest.raises(ConfigError, match="table columns"):
        evaluate(real, fake, target="label")
    with pytest.raises(DataError, match="lack"):
        evaluate(real, sweeps(16, 1, classes=("low", "buzz")), metrics=CHEAP)


def test_evaluate_audio_from_folders(tmp_path) -> None:
    from synthset.data.audio_io import write_audio

    real, fake = sweeps(16, 0), sweeps(16, 1)
    write_audio(real, tmp_path / "real")
    write_audio(fake, tmp_path / "fake")
    assert _is_audio(tmp_path / "real") and not _is_audio(tmp_path / "nothing.csv")
    r = evaluate(tmp_path / "real", tmp_path / "fake", metrics=CHEAP, device="cpu")
    assert r.modality == "audio" and r.meta["clips"]["real"] == 16
    assert r["lsd_mean_spectrum"].value < 3.0


def test_evaluate_audio_aligns_a_synthetic_set_at_another_rate() -> None:
    real, fake, hold = sweeps(16, 0), sweeps(16, 1), sweeps(16, 2)
    upsampled = fake.resample(16_000).with_length(8_800)  # 16 kHz, 0.55 s
    far = sweeps(16, 1, ((2_800.0, 3_200.0), (3_500.0, 3_900.0))).resample(16_000)
    r = evaluate(real, upsampled, hold, metrics=["lsd_mean_spectrum"], device="cpu")
    direct = evaluate(real, fake, hold, metrics=["lsd_mean_spectrum"], device="cpu")
    r_far = evaluate(real, far, hold, metrics=["lsd_mean_spectrum"], device="cpu")
    # the two resampling filters only dim the band edge next to 4 kHz
    assert r["lsd_mean_spectrum"].value == pytest.approx(direct["lsd_mean_spectrum"].value, abs=1)
    assert r["lsd_mean_spectrum"].status == "pass" and r_far["lsd_mean_spectrum"].status == "fail"
    assert isinstance(r.audio_examples["synthetic"], Audio)
    assert r.audio_examples["synthetic"].spec.sample_rate == 8_000

"""The audio report: players and spectrograms in the HTML page, the Markdown pointer to them,
restoration-style named sets, escaping and a bounded page size."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
import soundfile as sf

from synthset import evaluate
from synthset.data.audio import Audio
from synthset.errors import OutputExistsError
from synthset.evaluation.base import MetricResult
from synthset.evaluation.report import Report
from synthset.reporting import html_audio
from tests.evaluation.test_audio_metrics import sweeps

WAV_URI = re.compile(
    r'<audio controls preload="none" src="data:audio/wav;base64,([A-Za-z0-9+/=]+)"'
)
FAST = [
    "frechet_audio_stats",
    "lsd_mean_spectrum",
    "loudness_distance",
    "audio_dcr",
    "audio_copies",
]


@pytest.fixture(scope="module")
def report() -> Report:
    return evaluate(sweeps(16, 0), sweeps(16, 1), sweeps(16, 2), metrics=FAST, device="cpu")


def test_html_has_players_spectrograms_and_metric_cards(report) -> None:
    page = report.to_html()
    assert "<title>Synthetic audio report</title>" in page
    assert "<audio" in page and "data:audio/wav;base64" in page and "<img" in page
    assert 'class="card"' in page and "Do the synthetic clips sound like the real ones" in page
    assert (
        "Mean power spectrum per class" in page and "Distance to the closest training clip" in page
    )
    for name in FAST:
        assert f"<code>{name}</code>" in page
    assert "<script" not in page
    wavs = WAV_URI.findall(page)
    assert len(wavs) == 8  # 2 clips per class, 2 classes, real and synthetic
    wave, sr = sf.read(io.BytesIO(base64.b64decode(wavs[0])), dtype="float32")
    info = sf.info(io.BytesIO(base64.b64decode(wavs[0])))
    assert sr == 8_000 and wave.shape == (4_000,) and info.subtype == "PCM_16"
    np.testing.assert_allclose(wave, report.audio_examples["real"].waveforms[0], atol=1e-4)
    assert "<figcaption>low</figcaption>" in page and "<figcaption>high</figcaption>" in page


def test_markdown_has_the_table_and_points_to_the_html(report) -> None:
    text = report.to_markdown()
    assert text.startswith("# Synthetic audio report")
    assert "16 real · 16 synthetic · 16 holdout clips" in text
    assert "Audio players and spectrograms" in text and "`lsd_mean_spectrum`" in text
    assert "<audio" not in text


def test_report_files_are_written_atomically(report, tmp_path) -> None:
    path = tmp_path / "r.html"
    report.to_html(path)
    assert "<audio" in path.read_text(encoding="utf-8")
    with pytest.raises(OutputExistsError, match="exists"):
        report.to_html(path)


def _restoration_report() -> Report:
    clean = sweeps(4, 0, labelled=False)
    low = Audio(clean.waveforms * np.float32(0.5), None, clean.spec)
    metrics = [
        MetricResult("snr_audio_sr", "fidelity", 12.5, True, bounds=None, description="SNR"),
        MetricResult("snr_gain_vs_best_baseline", "fidelity", 1.5, True, bounds=None),
    ]
    meta = {"modality": "audio", "task": "super_resolution", "clips": 4, "seconds": 0.5,
            "sample_rate": 8_000}  # fmt: skip
    examples = {"reference": clean, "degraded": low, "cubic": low, "audio_sr": clean}
    return Report(metrics=metrics, meta=meta, audio_examples=examples)


def test_named_sets_render_one_row_each_and_tolerate_restoration_meta() -> None:
    report = _restoration_report()
    assert report.modality == "audio"
    page = report.to_html()
    assert "<title>Audio restoration report</title>" in page
    for name in ("reference", "degraded", "cubic", "audio_sr"):
        assert f"<h3>{name} " in page
    assert len(WAV_URI.findall(page)) == 16
    assert "Clip i of every set is the same clip." in page and "clip 1" in page
    assert "snr_gain_vs_best_baseline" in page
    text = report.to_markdown()
    assert text.startswith("# Audio restoration report")
    assert "4 clips" in text and "snr_audio_sr" in text


def test_page_stays_bounded_and_class_names_are_escaped() -> None:
    evil = ("<b>a</b>", "b&c")
    many = sweeps(40, 0, classes=evil)
    long = Audio.from_arrays(np.tile(many.waveforms, (1, 12)), 8_000, many.label_names)  # 6 s
    report = Report(metrics=[], meta={"modality": "audio"}, audio_examples={"real": long})
    page = report.to_html()
    assert len(WAV_URI.findall(page)) == html_audio.MAX_PER_CLASS * 2
    assert "<b>a</b>" not in page and "&lt;b&gt;a&lt;/b&gt;" in page
    wav = base64.b64decode(WAV_URI.findall(page)[0])
    assert sf.info(io.BytesIO(wav)).duration == pytest.approx(html_audio.MAX_SECONDS)
    many_classes = sweeps(30, 0, tuple((100.0 * i, 100.0 * i + 50) for i in range(1, 31)),
                          classes=tuple(f"c{i}" for i in range(30)))  # fmt: skip
    page = Report(metrics=[], meta={"modality": "audio"},
                  audio_examples={"real": many_classes}).to_html()  # fmt: skip
    assert len(WAV_URI.findall(page)) == html_audio.MAX_CLIPS_PER_SET


def test_report_without_clips_says_so() -> None:
    page = Report(metrics=[], meta={"modality": "audio"}).to_html()
    assert "The clips are not stored with this report." in page

"""The command line on audio: modality detection, fit / sample / augment / transform / evaluate on
folders of WAV files, and ``datasets build spoken-digits``."""

from __future__ import annotations

import json

import numpy as np
import pytest

import synthset.synthesizers.audio.classic  # noqa: F401 - registers audio_augment
from synthset.cli._common import detect_modality
from synthset.data.audio import Audio
from synthset.data.audio_io import read_audio, write_audio
from synthset.datasets import audio_loaders
from tests.conftest import make_tiny_images
from tests.test_cli import assert_one_line_error, invoke

SR = 8_000
AUGMENT = ["--synth", "audio_augment", "-p", "p=1.0", "-p", "speed=null", "-p", "device=cpu"]


def tiny_clips(n: int = 16, seed: int = 0) -> Audio:
    """0.25 s at 8 kHz: "low" 250 Hz tones and "high" 1.2 kHz tones with random onsets."""
    rng = np.random.default_rng(seed)
    t = np.arange(SR // 4) / SR
    labels = np.array(["low", "high"] * (n // 2))
    f0 = np.where(labels == "low", 250.0, 1_200.0)[:, None]
    onset = rng.integers(0, SR // 16, (n, 1))
    x = 0.3 * np.sin(2 * np.pi * f0 * t) * (np.arange(SR // 4) >= onset)
    return Audio.from_arrays(x.astype(np.float32), SR, labels=labels, name="tiny")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("wavs") / "wavs"
    write_audio(tiny_clips(), path)
    return path


@pytest.fixture(scope="module")
def run(folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "run"
    result = invoke("fit", folder, *AUGMENT, "--seed", "0", "-o", out, "-q")
    assert result.exit_code == 0, result.output
    return out


def test_detect_modality_finds_audio(folder, tmp_path):
    # Setup: class subfolders of FLAC, a single file, Parquet, and an image folder beside them
    write_audio(tiny_clips(4), tmp_path / "c.parquet")
    write_audio(tiny_clips(2)[:1], tmp_path / "one.flac")
    (tmp_path / "classes" / "yes").mkdir(parents=True)
    write_audio(tiny_clips(2)[:1], tmp_path / "classes" / "yes" / "a.flac")
    from synthset.data.image_io import write_images

    write_images(make_tiny_images(), tmp_path / "imgs")

    # Assert
    assert detect_modality(str(folder)) == "audio"
    assert detect_modality(str(tmp_path / "classes")) == "audio"
    assert detect_modality(str(tmp_path / "one.flac")) == "audio"
    assert detect_modality(str(tmp_path / "c.parquet")) == "audio"
    assert detect_modality(str(tmp_path / "imgs")) == "image"
    assert detect_modality("spoken_digits") == "audio"


def test_fit_reports_clips(folder, tmp_path):
    result = invoke("fit", folder, *AUGMENT, "-o", tmp_path / "r")
    assert result.exit_code == 0, result.output
    assert "16 clips of 0.25 s at 8 kHz (2 classes)" in result.stderr


def test_sample_to_folder_parquet_and_one_file(run, tmp_path):
    # Run
    folder = invoke("sample", run, "-n", 6, "-o", tmp_path / "out", "-c", "label=high")
    parquet = invoke("sample", run, "-n", 5, "-o", tmp_path / "s.parquet", "--seed", 2)
    one = invoke("sample", run, "-n", 1, "-o", tmp_path / "one.wav")
    too_many = invoke("sample", run, "-n", 3, "-o", tmp_path / "three.wav")

    # Assert
    assert folder.exit_code == 0, folder.output
    back = read_audio(tmp_path / "out")
    assert back.shape == (6, SR // 4) and set(back.label_names) == {"high"}
    assert "sampled 6 clips" in folder.stderr
    assert parquet.exit_code == 0 and len(read_audio(tmp_path / "s.parquet")) == 5
    assert one.exit_code == 0 and read_audio(tmp_path / "one.wav").shape == (1, SR // 4)
    assert_one_line_error(too_many)
    assert "single audio file" in too_many.stderr
    assert not (tmp_path / "three.wav").exists()


def test_augment_writes_real_and_synthetic_with_source(folder, tmp_path):
    out = tmp_path / "aug"
    result = invoke("augment", folder, *AUGMENT, "--n-per-class", 2, "-o", out, "--seed", 0)
    assert result.exit_code == 0, result.output
    back = read_audio(out)
    assert len(back) == 20 and np.array_equal(np.bincount(back.labels), [10, 10])
    import pandas as pd

    source = pd.read_csv(out / "labels.csv")["source"]
    assert (source == "real").sum() == 16 and (source == "synthetic").sum() == 4


def test_transform_calls_the_models_transform_generically(run, folder, tmp_path):
    # Run: audio_augment's transform makes n_aug edited copies per clip
    ok = invoke("transform", run, folder, "-o", tmp_path / "t", "-p", "n_aug=2", "--seed", 1)
    bad = invoke("transform", run, folder, "-o", tmp_path / "u", "--gaps-ms", 50)

    # Assert
    assert ok.exit_code == 0, ok.output
    out = read_audio(tmp_path / "t")
    assert out.shape == (32, SR // 4) and "transformed 16 clips" in ok.stderr
    assert_one_line_error(bad)
    assert "does not take --gaps-ms" in bad.stderr


def test_transform_inpaints_gaps_and_masks(folder, tmp_path):
    pytest.importorskip("synthset.synthesizers.audio.audio_inpaint")
    run = tmp_path / "inpaint"
    params = ["-p", "epochs=1", "-p", "width=4", "-p", "depth=1", "-p", "gap_ms=[5,20]"]
    params += ["-p", "crop_seconds=0.25", "-p", "device=cpu", "-p", "batch_size=8"]
    fit = invoke("fit", folder, "--synth", "audio_inpaint", *params, "-o", run, "-q")
    assert fit.exit_code == 0, fit.output
    mask = np.zeros((16, SR // 4), bool)
    mask[:, 500:600] = True
    np.save(tmp_path / "mask.npy", mask)

    # Run
    gaps = invoke("transform", run, folder, "-o", tmp_path / "g", "--gap-ms", 10, "--seed", 0)
    masked = invoke(
        "transform", run, folder, "-o", tmp_path / "m.parquet", "--mask", tmp_path / "mask.npy"
    )

    # Assert: outside the mask the clips are unchanged
    assert gaps.exit_code == 0, gaps.output
    assert masked.exit_code == 0, masked.output
    before, after = read_audio(folder).waveforms, read_audio(tmp_path / "m.parquet").waveforms
    np.testing.assert_allclose(after[:, :500], before[:, :500], atol=1 / 32768)
    assert read_audio(tmp_path / "g").shape == (16, SR // 4)


def test_evaluate_audio_writes_a_report(folder, tmp_path):
    fake = tmp_path / "fake"
    write_audio(tiny_clips(seed=1), fake)
    report = tmp_path / "r.json"
    result = invoke(
        "evaluate", "--real", folder, "--synthetic", fake, "--metrics", "fidelity", "-r", report
    )
    assert result.exit_code == 0, result.output
    assert json.loads(report.read_text())["metrics"]
    bad = invoke("evaluate", "--real", folder, "--synthetic", fake, "--target", "label")
    assert_one_line_error(bad)


def test_modality_audio_on_a_missing_path_is_one_line(tmp_path):
    result = invoke("fit", tmp_path / "nope", *AUGMENT, "--modality", "audio", "-o", tmp_path / "r")
    assert_one_line_error(result)


@pytest.mark.skipif(not audio_loaders.espeak_available(), reason="espeak-ng is not installed")
def test_datasets_build_spoken_digits(tmp_path):
    # Run
    out = tmp_path / "sd"
    result = invoke("datasets", "build", "spoken-digits", "--out", out, "--per-class", 1)
    again = invoke("datasets", "build", "spoken-digits", "--out", out, "--per-class", 1)

    # Assert
    assert result.exit_code == 0, result.output
    assert "10 train + 10 test clips" in result.stderr
    train = audio_loaders.load_built(out, "train")
    assert train.shape == (10, 16_000) and train.spec.classes == audio_loaders.CLASSES
    assert json.loads((out / "manifest.json").read_text())["per_class"] == {"train": 1, "test": 1}
    assert_one_line_error(again)  # exists: refused without --overwrite


def test_datasets_lists_spoken_digits():
    rows = {r["name"]: r for r in json.loads(invoke("datasets", "--format", "json").stdout)}
    assert rows["spoken_digits"]["modality"] == "audio"
    assert rows["spoken_digits"]["sample_rate"] == 16_000

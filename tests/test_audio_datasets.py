"""The bundled audio dataset spoken_digits: a tiny build, determinism, the recipe, the cache."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synthset import datasets
from synthset.datasets import audio_loaders
from synthset.errors import DataError

needs_espeak = pytest.mark.skipif(
    not audio_loaders.espeak_available(),
    reason="espeak-ng is not installed (apt-get install espeak-ng)",
)
TINY = {"train": 2, "test": 1}
ACCENTS = ("en-us", "en-gb")


def test_spoken_digits_is_listed_as_audio():
    info = {i.name: i for i in datasets.list_datasets(modality="audio")}["spoken_digits"]
    assert info.splits == ("train", "test") and info.target == "label"
    assert info.size == "500 × 1 s at 16 kHz"


@needs_espeak
def test_tiny_build_is_deterministic_and_labelled(tmp_path):
    # Run
    a = audio_loaders.build_spoken_digits(tmp_path / "a", seed=3, per_class=TINY, accents=ACCENTS)
    b = audio_loaders.build_spoken_digits(tmp_path / "b", seed=3, per_class=TINY, accents=ACCENTS)
    c = audio_loaders.build_spoken_digits(tmp_path / "c", seed=4, per_class=TINY, accents=ACCENTS)
    train_a, train_b = audio_loaders.load_built(a, "train"), audio_loaders.load_built(b, "train")
    test_a = audio_loaders.load_built(a, "test")

    # Assert: same seed, same bytes; another seed, other clips
    assert (a / "train" / "000003.flac").read_bytes() == (b / "train" / "000003.flac").read_bytes()
    np.testing.assert_array_equal(train_a.waveforms, train_b.waveforms)
    assert not np.array_equal(train_a.waveforms, audio_loaders.load_built(c, "train").waveforms)
    assert train_a.shape == (20, 16_000) and train_a.sample_rate == 16_000
    assert train_a.spec.classes == audio_loaders.CLASSES
    assert set(train_a.class_counts().values()) == {2} and len(test_a) == 10
    rms = np.sqrt(np.mean(train_a.waveforms.astype(np.float64) ** 2, axis=1))
    level = 20 * np.log10(rms)  # -20 dBFS, or lower where the -1 dBFS peak limit applies
    assert (level < -19.99).all() and np.median(level) > -20.01
    assert np.abs(train_a.waveforms).max() <= 10 ** (-1 / 20) + 1e-4
    manifest = json.loads((a / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["clips"] == {"train": 20, "test": 10}
    assert manifest["espeak_ng_version"] == audio_loaders.espeak_version()
    # the test voices are unheard in training
    settings = {s: pd.read_csv(a / s / "settings.csv") for s in ("train", "test")}
    assert set(settings["train"]["variant"]) <= set(audio_loaders.VARIANTS["train"])
    assert set(settings["test"]["variant"]) <= set(audio_loaders.VARIANTS["test"])
    assert set(settings["train"]["accent"]) <= set(ACCENTS)


@needs_espeak
def test_room_and_noise_change_the_clean_rendering():
    # Run: the same voices and offsets, with and without the room and the noise
    clean, _ = audio_loaders.make_split("train", 1, seed=0, accents=ACCENTS, effects=False)
    noisy, settings = audio_loaders.make_split("train", 1, seed=0, accents=ACCENTS)

    # Assert
    x, y = clean.waveforms.astype(np.float64), noisy.waveforms.astype(np.float64)
    corr = np.sum(x * y, axis=1) / np.sqrt(np.sum(x * x, axis=1) * np.sum(y * y, axis=1))
    assert (corr < 0.99).all() and np.median(corr) > 0.2  # changed, but still the same word
    assert ((0.1 <= settings["rt60"]) & (settings["rt60"] <= 0.6)).all()
    assert ((0 <= settings["snr_db"]) & (settings["snr_db"] <= 20)).all()
    assert set(settings["noise"]) <= set(audio_loaders.NOISES)
    # the clean word starts at its offset (nothing before; sound within one 10 ms frame)
    first = np.argmax(np.abs(clean.waveforms) > 1e-4, axis=1)
    offset = np.round(settings["offset_ms"] * 16).astype(int)
    assert ((first >= offset) & (first - offset <= 160)).all()


def test_add_noise_hits_the_requested_snr():
    rng = np.random.default_rng(0)
    x = np.zeros((6, 4000))
    x[:, 1000:3000] = np.sin(np.arange(2000) * 0.3)
    offset, lengths = np.full(6, 1000), np.full(6, 2000)
    noisy, kinds, snr = audio_loaders.add_noise(x, offset, lengths, rng)
    noise = noisy - x
    measured = 10 * np.log10(np.mean(x[:, 1000:3000] ** 2, 1) / np.mean(noise**2, 1))
    np.testing.assert_allclose(measured, snr, atol=1e-6)


def test_add_room_keeps_length_and_direct_path():
    rng = np.random.default_rng(0)
    x = np.zeros((3, 8000))
    x[:, 100] = 1.0  # an impulse: the output is the response itself
    wet, rt60, drr = audio_loaders.add_room(x, rng)
    assert wet.shape == x.shape
    np.testing.assert_allclose(wet[:, 100], 1.0)
    tail_energy = np.sum(wet[:, 101:] ** 2, axis=1)
    np.testing.assert_allclose(10 * np.log10(1.0 / tail_energy), drr, atol=0.2)


def test_missing_espeak_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(audio_loaders.ESPEAK_ENV, "/nonexistent/espeak-ng")
    assert not audio_loaders.espeak_available()
    with pytest.raises(DataError, match="apt-get install espeak-ng"):
        audio_loaders.make_split("train", 1)


@needs_espeak
def test_load_builds_the_cache_once(tmp_path, monkeypatch):
    # Setup: a tiny "default" build in a temporary cache
    monkeypatch.setenv("SYNTHSET_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(audio_loaders, "DEFAULT_PER_CLASS", {"train": 1, "test": 1})
    monkeypatch.setattr(audio_loaders, "ACCENTS", ACCENTS)

    # Run
    first = datasets.load("spoken_digits")
    monkeypatch.setenv(audio_loaders.ESPEAK_ENV, "/nonexistent/espeak-ng")  # cached: not needed
    again = datasets.load("spoken_digits")
    test = datasets.load("spoken_digits", split="test")

    # Assert
    assert audio_loaders.default_build_dir().parent == tmp_path / "datasets"
    np.testing.assert_array_equal(first.waveforms, again.waveforms)
    assert len(first) == 10 and len(test) == 10 and first.name == "spoken_digits"
    with pytest.raises(DataError, match="no split"):
        datasets.load("spoken_digits", split="all")

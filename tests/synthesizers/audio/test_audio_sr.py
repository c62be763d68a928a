"""``audio_sr``: learns the high band of harmonic tones, the transform contract, persistence."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import synthset.synthesizers.audio.audio_sr  # noqa: F401  (registers audio_sr)
from synthset import load
from synthset.data.audio import Audio
from synthset.errors import ConfigError, DataError, NotFittedError
from synthset.evaluation.audio.restoration import (
    degrade_lowpass,
    evaluate_restoration,
    lsd,
    upsample_cubic,
)
from synthset.registry import make_synthesizer

SR = 8_000


def harmonic_tones(n: int, seed: int, length: int = 4_000) -> np.ndarray:
    """Tones whose partials (up to 3.9 kHz) reach well into the band above 2 kHz."""
    rng = np.random.default_rng(seed)
    t = np.arange(length) / SR
    f0 = rng.uniform(200.0, 300.0, (n, 1))
    x = sum(
        (0.8**k) * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi, (n, 1)))
        for k in range(1, 13)
    )
    return (0.5 * x / np.abs(x).max(axis=1, keepdims=True)).astype(np.float32)


TINY = dict(
    factor=2,
    epochs=25,
    batch_size=8,
    crop_seconds=0.25,
    width=8,
    depth=2,
    lr=3e-3,
    device="cpu",
    random_state=0,
)


@pytest.fixture(scope="module")
def data():
    labels = ["a", "b"] * 8
    train = Audio.from_arrays(harmonic_tones(16, 0), SR, labels)
    test = Audio.from_arrays(harmonic_tones(8, 1), SR)
    return train, test


@pytest.fixture(scope="module")
def fitted(data):
    return make_synthesizer("audio_sr", **TINY).fit(data[0])


def test_fit_returns_self_with_history(data):
    synth = make_synthesizer("audio_sr", **{**TINY, "epochs": 2})
    assert synth.fit(data[0]) is synth
    assert [h["epoch"] for h in synth.history_] == [1, 2]
    assert {"loss", "snr_db", "stft", "seconds"} <= set(synth.history_[0])


def test_learns_the_high_band_and_beats_cubic(fitted, data):
    _, test = data
    assert fitted.history_[-1]["loss"] < fitted.history_[0]["loss"]
    low = degrade_lowpass(test.waveforms, 2)
    out = fitted.transform(Audio.from_arrays(low, SR // 2)).waveforms
    cubic = upsample_cubic(low, 2, test.shape[1])
    high = (2_100.0, 4_000.0)
    assert (
        lsd(test.waveforms, out, SR, band=high).mean()
        < lsd(test.waveforms, cubic, SR, band=high).mean()
    )
    report = evaluate_restoration(fitted, test)
    assert report["lsd_gain_vs_cubic"].value > 0
    assert report["snr_gain_vs_cubic"].value > 0


def test_transform_rates_and_shapes(fitted, data):
    train, _ = data
    low = Audio.from_arrays(degrade_lowpass(train.waveforms[:3], 2), SR // 2)
    out = fitted.transform(low)
    assert out.sample_rate == SR and out.shape == (3, 4_000)
    assert out.waveforms.dtype == np.float32 and np.abs(out.waveforms).max() <= 1.0
    odd = Audio.from_arrays(degrade_lowpass(train.waveforms[:2, :1_234], 2), SR // 2)
    assert fitted.transform(odd).shape == (2, 1_234)  # any length: fully convolutional
    full = train[:2]  # full-rate clips are taken as already upsampled
    assert fitted.transform(full).shape == (2, 4_000)
    assert fitted.transform(train[:4]).label_names.tolist() == ["a", "b", "a", "b"]
    with pytest.raises(DataError, match="4000 Hz"):
        fitted.transform(Audio.from_arrays(train.waveforms[:2], 3_000))


def test_transform_in_batches_matches_one_batch(fitted, data):
    low = Audio.from_arrays(degrade_lowpass(data[1].waveforms, 2), SR // 2)
    one = fitted.transform(low).waveforms
    fitted.sample_batch_size = 3
    try:
        batched = fitted.transform(low).waveforms
    finally:
        fitted.sample_batch_size = None
    np.testing.assert_allclose(batched, one, atol=1e-6)


def test_save_load_gives_identical_transforms(fitted, data, tmp_path):
    low = Audio.from_arrays(degrade_lowpass(data[1].waveforms, 2), SR // 2)
    fitted.save(tmp_path / "sr")
    again = load(tmp_path / "sr")
    assert type(again) is type(fitted) and again.factor == 2
    assert np.array_equal(again.transform(low).waveforms, fitted.transform(low).waveforms)


def test_fit_is_reproducible(data):
    params = {**TINY, "epochs": 1}
    a = make_synthesizer("audio_sr", **params).fit(data[0])
    b = make_synthesizer("audio_sr", **params).fit(data[0])
    for (k, va), vb in zip(a.net_.state_dict().items(), b.net_.state_dict().values(), strict=True):
        assert torch.equal(va, vb), k


def test_sample_points_to_transform(fitted):
    with pytest.raises(ConfigError, match="transform"):
        fitted.sample(2, seed=0)


def test_errors():
    with pytest.raises(NotFittedError):
        make_synthesizer("audio_sr").transform(Audio.from_arrays(np.zeros((2, 100)), SR))
    clips = Audio.from_arrays(harmonic_tones(4, 0), SR)
    with pytest.raises(ConfigError, match="factor"):
        make_synthesizer("audio_sr", factor=3).fit(clips)
    with pytest.raises(ConfigError, match="crop_seconds"):
        make_synthesizer("audio_sr", crop_seconds=0).fit(clips)
    with pytest.raises(ConfigError, match="factor"):  # 2 kHz / 4 = 500 Hz is below 1 kHz
        make_synthesizer("audio_sr", factor=4, batch_size=2, device="cpu").fit(
            Audio.from_arrays(harmonic_tones(4, 0)[:, ::4], 2_000)
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError, match="transform"):
            fitted = make_synthesizer("audio_sr", **{**TINY, "epochs": 1}).fit(clips)
            fitted.transform(np.zeros((2, 100)))


def test_default_stft_weight_depends_on_the_factor():
    from synthset.synthesizers.audio.audio_sr import DEFAULT_STFT_WEIGHT

    assert make_synthesizer("audio_sr", factor=2)._stft_weight() == DEFAULT_STFT_WEIGHT[2]
    assert make_synthesizer("audio_sr", factor=4)._stft_weight() == DEFAULT_STFT_WEIGHT[4]
    assert make_synthesizer("audio_sr", factor=4, stft_weight=0.5)._stft_weight() == 0.5

"""The Audio container and its preprocessing functions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from synthset.artifacts import spec_from_dict
from synthset.data.audio import (
    Audio,
    AudioSpec,
    as_audio,
    concat_audio,
    fix_length,
    normalize_loudness,
    resample,
    rms_dbfs,
    to_float32,
    to_mono,
    trim_silence,
)
from synthset.errors import DataError

SR = 8_000


def tones(n: int = 8, length: int = 4_000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(length) / SR
    f = rng.uniform(200, 1_000, size=(n, 1))
    return (0.5 * np.sin(2 * np.pi * f * t)).astype(np.float32)


def test_from_arrays_labels_spec_and_views():
    a = Audio.from_arrays(tones(), SR, labels=["10", "2"] * 4, name="t")
    assert a.spec.classes == ["2", "10"]  # natural order
    assert a.spec.length == 4_000 and a.spec.duration == 0.5 and a.sample_rate == SR
    assert a.class_counts() == {"2": 4, "10": 4}
    assert list(a.label_names[:2]) == ["10", "2"]
    sub = a[[0, 2]]
    assert len(sub) == 2 and sub.spec is a.spec
    assert "8000 Hz" in repr(a) and "2 classes" in repr(a)
    x = a.to_tensor()
    assert x.dtype == torch.float32 and x.shape == (8, 4_000)
    back = Audio.from_tensor(x * 3, a.spec, a.labels)
    assert float(np.abs(back.waveforms).max()) <= 1.0  # clipped to full scale


def test_int16_is_scaled_and_lists_are_padded():
    pcm = np.round(tones(2) * 32768).astype(np.int16)
    a = Audio.from_arrays(pcm, SR)
    np.testing.assert_allclose(a.waveforms, tones(2), atol=1 / 32768 + 1e-6)
    b = Audio.from_arrays([np.ones(10, np.float32) * 0.1, np.ones(30, np.float32) * 0.1], SR)
    assert b.shape == (2, 30) and b.waveforms[0, 10:].sum() == 0
    c = Audio.from_arrays([np.ones(10, np.float32) * 0.1] * 2, SR, length=5)
    assert c.shape == (2, 5)


@pytest.mark.parametrize(
    ("wave", "message"),
    [
        (np.zeros((2, 3, 4), np.float32), "N×T"),
        (np.full((2, 10), 3.0, np.float32), "full scale"),
        (np.full((2, 10), np.nan, np.float32), "NaN"),
        (np.array([["a"]]), "numbers"),
    ],
)
def test_bad_waveforms_are_named(wave, message):
    with pytest.raises(DataError, match=message):
        Audio.from_arrays(wave, SR)


def test_bad_sample_rate_and_labels():
    with pytest.raises(DataError, match="sample_rate"):
        Audio.from_arrays(tones(2), 10)
    with pytest.raises(DataError, match="labels for"):
        Audio.from_arrays(tones(2), SR, labels=["a"])
    with pytest.raises(DataError, match="sample rate"):
        Audio(tones(2))
    with pytest.raises(DataError, match="not a class"):
        Audio.from_arrays(tones(2), SR, labels=["a", "b"]).spec.class_code("c")


def test_split_per_class_concat_fingerprint():
    a = Audio.from_arrays(tones(20), SR, labels=["a", "b"] * 10)
    tr, te = a.split(0.8, seed=0)
    assert len(tr) == 16 and len(te) == 4 and te.class_counts() == {"a": 2, "b": 2}
    assert a.per_class(3, seed=1).class_counts() == {"a": 3, "b": 3}
    both = concat_audio([tr, te])
    assert len(both) == 20 and both.fingerprint() != a.fingerprint()  # order differs
    assert a[np.arange(20)].fingerprint() == a.fingerprint()
    other = Audio.from_arrays(tones(2, length=100), SR)
    with pytest.raises(DataError, match="cannot join"):
        concat_audio([a, other])


def test_spec_round_trip():
    spec = AudioSpec(16_000, 16_000, ["zero", "one"], "digit")
    again = spec_from_dict(spec.to_dict())
    assert again == spec and again.class_code("one") == 1 and again.names == ["digit"]


def test_resample_keeps_the_tone_and_scales_length():
    x = tones(3)
    y = resample(x, SR, 16_000)
    assert y.shape == (3, 8_000) and y.dtype == np.float32
    # the tone's frequency survives: the FFT peak sits at the same Hz
    f_x = np.argmax(np.abs(np.fft.rfft(x[0]))) * SR / x.shape[1]
    f_y = np.argmax(np.abs(np.fft.rfft(y[0]))) * 16_000 / y.shape[1]
    assert abs(f_x - f_y) <= 2.0
    a = Audio.from_arrays(x, SR, labels=["a", "b", "a"]).resample(16_000)
    assert a.spec.sample_rate == 16_000 and a.spec.length == 8_000


def test_mono_length_and_loudness():
    stereo = np.stack([np.ones(10), -np.ones(10) * 0.5], axis=-1)
    np.testing.assert_allclose(to_mono(stereo), 0.25)
    assert fix_length(np.ones((2, 10)), 4).shape == (2, 4)
    assert fix_length(np.ones((2, 10)), 12)[:, 10:].sum() == 0
    x = tones(4) * np.array([[1.0], [0.1], [0.01], [0.0]], np.float32)
    y = normalize_loudness(x, -20.0)
    levels = rms_dbfs(y)
    np.testing.assert_allclose(levels[:3], -20.0, atol=0.01)
    assert np.all(y[3] == 0)  # silence stays silent
    loud = normalize_loudness(tones(1), -3.0, peak_dbfs=-1.0)  # a sine's crest factor is 3 dB
    assert np.abs(loud).max() <= 10 ** (-1 / 20) + 1e-6
    with pytest.raises(DataError, match="target_dbfs"):
        normalize_loudness(x, 5.0)


def test_to_float32_pcm_types():
    assert to_float32(np.array([-32768, 0], np.int16)).tolist() == [-1.0, 0.0]
    assert to_float32(np.array([0, 128], np.uint8)).tolist() == [-1.0, 0.0]


def test_trim_silence():
    x = np.zeros(SR, np.float32)
    x[2_000:3_000] = tones(1, 1_000)[0]
    y = trim_silence(x, SR)
    assert 900 <= len(y) <= 1_200


def test_as_audio_refuses_other_things_and_matches_a_spec():
    with pytest.raises(DataError, match="cannot use"):
        as_audio(np.zeros((2, 10)))
    a = Audio.from_arrays(tones(2), SR)
    spec = AudioSpec(16_000, 4_000)
    b = as_audio(a, spec)
    assert b.spec.sample_rate == 16_000 and b.spec.length == 4_000

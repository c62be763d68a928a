"""Mel spectrograms on torch.stft, and Griffin-Lim: round trips with bounded error."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from synthset.data.transforms.mel import (
    MelCodec,
    MelSpectrogram,
    default_n_fft,
    hz_to_mel,
    mel_filterbank,
    mel_to_hz,
    spectral_convergence,
)
from synthset.errors import ConfigError, DataError

SR = 8_000


def signals(n: int = 4, length: int = 4_000, seed: int = 0) -> torch.Tensor:
    """Harmonic tones with a vibrato and a little noise: speech-like spectra."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(length) / SR
    f0 = 120 + 200 * torch.rand(n, 1, generator=g)
    phase = 2 * math.pi * (f0 * t + 3 * torch.sin(2 * math.pi * 5 * t))
    x = sum(torch.sin(k * phase) / k for k in range(1, 6))
    x = x * torch.hann_window(length)[None] * 0.3
    return (x + 0.005 * torch.randn(n, length, generator=g)).float()


def test_shapes_and_defaults():
    mel = MelSpectrogram(SR)
    assert mel.n_fft == 512 and mel.hop_length == 128 and default_n_fft(16_000) == 1024
    x = signals()
    assert mel.stft(x).shape == (4, 257, mel.n_frames(4_000))
    assert mel.log_mel(x).shape == (4, 64, 32)
    assert mel.log_mel(x[0]).shape == (1, 64, 32)  # a single clip is a batch of one
    assert MelSpectrogram.from_dict(mel.to_dict()).to_dict() == mel.to_dict()


def test_filterbank_covers_the_band():
    fb = mel_filterbank(SR, 512, 40)
    assert fb.shape == (40, 257) and (fb >= 0).all()
    covered = (fb > 0).any(dim=0)
    assert covered[2:-2].all()  # every bin but the edges falls in some band
    f = torch.tensor([0.0, 440.0, 4_000.0])
    torch.testing.assert_close(mel_to_hz(hz_to_mel(f)), f, atol=1e-2, rtol=1e-5)


@pytest.mark.parametrize("bad", [{"n_mels": 1_000}, {"n_fft": 8}, {"f_min": 5_000.0}])
def test_bad_parameters(bad):
    with pytest.raises(ConfigError):
        MelSpectrogram(SR, **bad)


def test_griffin_lim_from_the_linear_magnitude_converges():
    mel = MelSpectrogram(SR)
    x = signals()
    mag = mel.magnitude(x)
    y = mel.griffin_lim(mag, x.shape[1], n_iter=64, seed=0)
    sc = spectral_convergence(mag, mel.magnitude(y))
    assert sc.shape == (4,)
    assert float(sc.max()) < 0.2  # measured ≈ 0.05-0.08
    few = spectral_convergence(mag, mel.magnitude(mel.griffin_lim(mag, 4_000, n_iter=2)))
    assert float(few.mean()) > float(sc.mean())  # more iterations help


def test_mel_round_trip_is_bounded_and_seeded():
    mel = MelSpectrogram(SR)
    x = signals()
    m = mel.mel(x)
    y = mel.inverse_mel(m, x.shape[1], n_iter=48, seed=3)
    assert y.shape == x.shape
    sc_mel = spectral_convergence(m, mel.mel(y))
    assert float(sc_mel.max()) < 0.25  # in the mel domain, what the models generate
    sc_lin = spectral_convergence(mel.magnitude(x), mel.magnitude(y))
    assert float(sc_lin.max()) < 0.6  # 64 bands lose fine harmonic detail above ~1 kHz
    again = mel.inverse_mel(m, x.shape[1], n_iter=48, seed=3)
    torch.testing.assert_close(y, again)
    other = mel.inverse_mel(m, x.shape[1], n_iter=48, seed=4)
    assert not torch.equal(y, other)


def test_mel_to_magnitude_is_non_negative_and_beats_the_pseudo_inverse():
    mel = MelSpectrogram(SR)
    x = signals()
    m = mel.mel(x)
    s0 = mel.mel_to_magnitude(m, n_iter=0)
    s = mel.mel_to_magnitude(m, n_iter=30)
    assert (s >= 0).all()
    fb = mel.filterbank()
    err0 = torch.linalg.vector_norm(fb @ s0 - m)
    err = torch.linalg.vector_norm(fb @ s - m)
    assert err < err0


def test_codec_encodes_into_unit_range_and_back():
    mel = MelSpectrogram(SR, n_mels=32)
    x = signals(6)
    codec = MelCodec(mel, x.shape[1]).fit(x)
    e = codec.encode(x)
    assert e.shape == (6, 1, 32, 32) and codec.shape == (32, 32)
    assert float(e.max()) == pytest.approx(1.0) and float(e.min()) >= -1.0
    torch.testing.assert_close(
        codec.to_log_mel(e).clamp_min(codec.floor),
        mel.log_mel(x).clamp(codec.floor, codec.ceiling),
        atol=1e-4,
        rtol=1e-4,
    )
    wave = codec.decode(e, n_iter=32, seed=0)
    assert wave.shape == x.shape and float(wave.abs().max()) <= 0.99 + 1e-6
    sc = spectral_convergence(mel.mel(x), mel.mel(wave))
    assert float(sc.mean()) < 0.3
    again = MelCodec.from_dict(codec.to_dict())
    torch.testing.assert_close(again.encode(x), e)


def test_codec_must_be_fitted_and_range_checked():
    codec = MelCodec(MelSpectrogram(SR), 4_000)
    with pytest.raises(DataError, match="not fitted"):
        codec.encode(signals())
    with pytest.raises(ConfigError):
        MelCodec(MelSpectrogram(SR), 4_000, dynamic_range_db=1.0)


def test_batch_of_one_equals_the_batch():
    mel = MelSpectrogram(SR)
    x = signals()
    np.testing.assert_allclose(
        mel.log_mel(x[1:2]).numpy(), mel.log_mel(x)[1:2].numpy(), rtol=1e-4, atol=1e-4
    )

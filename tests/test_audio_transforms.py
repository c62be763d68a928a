"""The classic waveform augmentations: shapes, seeds, and that each does what it says (measured
SNR, gain, onset, FFT peak), on tiny synthetic clips at 8 kHz."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from synthset.errors import ConfigError, DataError
from synthset.sampling.audio_transforms import (
    AddNoise,
    Compose,
    Gain,
    PitchShift,
    Speed,
    TimeShift,
    add_noise,
    colored_noise,
    gain,
    pitch_shift,
    read_at,
    speed,
    time_shift,
    time_stretch,
)
from synthset.utils import make_torch_generator

SR = 8_000
T = 4_000  # 0.5 s
BIN = SR / T  # Hz per FFT bin


def sines(freqs, amp: float = 0.5, n: int = T) -> torch.Tensor:
    t = torch.arange(n, dtype=torch.float64) / SR
    f = torch.as_tensor(freqs, dtype=torch.float64)[:, None]
    return (amp * torch.sin(2 * math.pi * f * t)).float()


def peak_hz(y: torch.Tensor) -> torch.Tensor:
    spec = torch.fft.rfft(y.double() * torch.hann_window(y.shape[-1], dtype=torch.float64)).abs()
    return spec.argmax(dim=-1).double() * SR / y.shape[-1]


def burst(n: int = 16, amp: float = 0.5) -> torch.Tensor:
    """A 500 Hz tone from 0.1 s to 0.3 s (10 ms ramps) in silence."""
    t = torch.arange(T) / SR
    env = ((t - 0.1) / 0.01).clamp(0, 1) * ((0.3 - t) / 0.01).clamp(0, 1)
    return (amp * env * torch.sin(2 * math.pi * 500 * t)).float().repeat(n, 1)


def envelope(y: torch.Tensor, frame: int = 160) -> torch.Tensor:
    return y[:, : y.shape[1] // frame * frame].reshape(len(y), -1, frame).pow(2).mean(-1).sqrt()


OPS = [
    AddNoise((5.0, 30.0)),
    Gain((-6.0, 6.0)),
    TimeShift(100.0),
    TimeShift(100.0, "circular"),
    Speed((0.9, 1.1)),
    PitchShift((-2.0, 2.0)),
]


@pytest.mark.parametrize("op", OPS, ids=lambda op: f"{op.name}")
def test_each_op_is_seeded_and_keeps_shape(op):
    x = sines(np.linspace(200, 1200, 8), amp=0.9)
    a = op(x, SR, make_torch_generator(0))
    b = op(x, SR, make_torch_generator(0))
    c = op(x, SR, make_torch_generator(1))
    assert a.shape == x.shape and a.dtype == torch.float32
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert not torch.equal(a, x)
    assert torch.isfinite(a).all() and a.abs().max() <= 1.0 + 1e-6


@pytest.mark.parametrize("color", ["white", "pink", "brown"])
def test_noise_hits_the_drawn_snr(color):
    x = sines(np.linspace(200, 1200, 16), amp=0.1)  # quiet: no peak limiting at 5 dB
    op = AddNoise((5.0, 30.0), colors=(color,))
    gen = make_torch_generator(3)
    params = op.draw(len(x), SR, gen, x.device)
    y = op.apply(x, params, SR, gen)
    assert y.abs().max() < 1.0
    noise = y - x
    snr = 10 * torch.log10(x.pow(2).mean(1) / noise.pow(2).mean(1))
    assert torch.allclose(snr, params["snr_db"], atol=1.0)
    assert params["snr_db"].min() >= 5.0 and params["snr_db"].max() <= 30.0


def test_pink_noise_falls_3_db_per_octave():
    n = colored_noise(32, 8_192, 1.0, make_torch_generator(0))
    power = torch.fft.rfft(n).abs().pow(2).mean(0)
    low, high = power[64:128].mean(), power[512:1024].mean()  # octaves 3 apart
    assert 10 * math.log10(low / high) == pytest.approx(9.0, abs=1.5)
    assert torch.allclose(n.pow(2).mean(1).sqrt(), torch.ones(32), atol=1e-4)  # unit RMS
    white = torch.fft.rfft(colored_noise(32, 8_192, 0.0, make_torch_generator(0))).abs().pow(2)
    flat = white.mean(0)[64:128].mean() / white.mean(0)[512:1024].mean()
    assert 10 * math.log10(flat) == pytest.approx(0.0, abs=1.0)


def test_noise_keeps_a_silent_clip_silent_and_finite():
    x = torch.zeros(2, T)
    y = add_noise(x, 10.0, colored_noise(2, T, 0.0, make_torch_generator(0)))
    assert torch.equal(y, x)


def test_gain_is_measured_and_peak_limited():
    x = sines([300.0, 500.0, 700.0, 900.0], amp=0.1)
    g = torch.tensor([-6.0, -1.5, 3.0, 6.0])
    y = gain(x, g)
    measured = 20 * torch.log10(y.pow(2).mean(1).sqrt() / x.pow(2).mean(1).sqrt())
    assert torch.allclose(measured, g, atol=1e-3)
    loud = gain(sines([440.0], amp=0.9), 6.0)
    assert loud.abs().max() == pytest.approx(1.0, abs=1e-6)  # limited, not clipped
    assert torch.allclose(loud / loud.abs().max(), sines([440.0], amp=1.0), atol=1e-3)
    op = Gain((-6.0, 6.0))
    params = op.draw(4, SR, make_torch_generator(0), x.device)
    out = op.apply(x, params, SR, make_torch_generator(0))
    assert torch.allclose(out, gain(x, params["gain_db"]))


def test_shift_moves_the_onset_by_the_drawn_amount():
    x = burst(8)
    onset = int(0.1 * SR)
    op = TimeShift(50.0)
    params = op.draw(len(x), SR, make_torch_generator(5), x.device)
    s = params["shift"]
    assert s.abs().max() <= 400 and len(set(s.tolist())) > 1
    y = op.apply(x, params, SR, make_torch_generator(0))
    first = (y.abs() > 1e-6).float().argmax(dim=1)
    expected = (x.abs() > 1e-6).float().argmax(dim=1) + s
    assert torch.equal(first, expected)
    assert abs(int(expected[0]) - onset - int(s[0])) <= 1
    # circular: nothing is lost, the clip rolls round
    rolled = time_shift(x, s, mode="circular")
    for row in range(len(x)):
        assert torch.equal(rolled[row], torch.roll(x[row], int(s[row])))
    with pytest.raises(ConfigError, match="mode"):
        time_shift(x, s, mode="wrap")


def test_zero_fill_loses_what_leaves_the_clip():
    x = torch.ones(1, 10)
    assert time_shift(x, 3).tolist() == [[0.0] * 3 + [1.0] * 7]
    assert time_shift(x, -4).tolist() == [[1.0] * 6 + [0.0] * 4]


def test_read_at_interpolates_a_band_limited_signal():
    x = sines([300.0, 1_700.0], amp=0.5, n=2_000)
    pos = torch.linspace(100.0, 1_900.0, 777)[None].repeat(2, 1)
    t = pos.double() / SR
    want = 0.5 * torch.sin(2 * math.pi * torch.tensor([[300.0], [1_700.0]]).double() * t)
    got = read_at(x, pos)
    assert (got.double() - want).abs().max() < 2e-3
    assert torch.allclose(read_at(x, torch.arange(2_000.0)[None].repeat(2, 1)), x, atol=1e-6)


def test_speed_scales_the_pitch_and_the_duration():
    x = sines([400.0, 400.0, 400.0, 400.0])
    f = torch.tensor([0.8, 0.9, 1.1, 1.25])
    y = speed(x, f)
    assert torch.allclose(peak_hz(y), 400.0 * f.double(), atol=BIN)
    # faster: the clip ends early (zero padding), slower: it is trimmed
    burst_y = speed(burst(4), f)
    end = T - 1 - (burst_y.flip(1).abs() > 1e-3).float().argmax(dim=1)
    assert torch.allclose(end.double(), 0.3 * SR / f.double(), atol=20)
    op = Speed((0.9, 1.1))
    params = op.draw(64, SR, make_torch_generator(0), x.device)
    assert 0.9 <= params["factor"].min() and params["factor"].max() <= 1.1


@pytest.mark.parametrize("semitones", [-2.0, -0.5, 1.0, 2.0, 4.0])
def test_pitch_shift_moves_the_peak_and_keeps_the_duration(semitones):
    x = sines([440.0, 523.25, 300.0])
    y = pitch_shift(x, semitones, SR)
    assert y.shape == x.shape
    want = torch.tensor([440.0, 523.25, 300.0]).double() * 2 ** (semitones / 12)
    assert (peak_hz(y) - want).abs().max() <= BIN + 1e-9
    # the level stays (phase locking keeps the partials coherent)
    assert torch.allclose(envelope(y)[:, 2:-2], envelope(x)[:, 2:-2], rtol=0.1)
    # a burst keeps its place and length in time
    b = burst(1)
    env_in, env_out = envelope(b)[0], envelope(pitch_shift(b, semitones, SR))[0]
    assert torch.corrcoef(torch.stack([env_in, env_out]))[0, 1] > 0.95
    on = lambda e: (e > 0.5 * e.max()).nonzero().squeeze(1)  # noqa: E731
    assert abs(int(on(env_out)[0]) - int(on(env_in)[0])) <= 1
    assert abs(int(on(env_out)[-1]) - int(on(env_in)[-1])) <= 1


def test_pitch_shift_per_clip_in_one_batch():
    x = sines([440.0] * 4)
    s = torch.tensor([-2.0, 0.0, 1.5, 2.0])
    y = pitch_shift(x, s, SR)
    assert (peak_hz(y) - 440.0 * 2 ** (s.double() / 12)).abs().max() <= BIN + 1e-9
    assert torch.allclose(y[1], x[1], atol=1e-3)  # 0 semitones: the clip itself
    one = pitch_shift(x[2:3], 1.5, SR)
    assert torch.allclose(one, y[2:3], atol=1e-4)  # batching does not change a clip


def test_time_stretch_lengthens_at_the_same_pitch():
    x = sines([440.0, 440.0])
    z = time_stretch(x, torch.tensor([1.0, 1.5]), n_fft=256)
    assert z.shape == (2, 6_000)
    assert torch.allclose(peak_hz(z[1:, :6_000]), torch.tensor([440.0]).double(), atol=2 * BIN)
    assert torch.allclose(z[0, :T], x[0], atol=1e-3)
    assert z[1, 500:5_500].pow(2).mean().sqrt() == pytest.approx(0.5 / math.sqrt(2), rel=0.03)


def test_compose_is_seeded_bounded_and_changes_every_clip():
    gen = make_torch_generator(0)
    x = torch.cat(
        [
            sines(np.linspace(100, 3_000, 12), amp=1.0),
            torch.rand(3, T, generator=gen) * 2 - 1,
            torch.zeros(1, T),  # silence stays finite
        ]
    )
    policy = Compose([Speed(), PitchShift(), TimeShift(), Gain(), AddNoise()], p=0.3)
    a = policy(x, SR, make_torch_generator(1))
    assert torch.equal(a, policy(x, SR, make_torch_generator(1)))
    assert not torch.equal(a, policy(x, SR, make_torch_generator(2)))
    assert torch.isfinite(a).all() and a.abs().max() <= 1.0
    # at least one op per clip (at half scale: a louder gain on a full-scale clip is undone)
    half = policy(x[:15] * 0.5, SR, make_torch_generator(1))
    assert ((half - x[:15] * 0.5).abs().amax(dim=1) > 1e-3).all()
    mask = policy.choose(10_000, make_torch_generator(0), torch.device("cpu"))
    assert mask.any(dim=1).all()
    assert mask.float().mean(0).tolist() == pytest.approx([0.3 + 0.7**5 / 5] * 5, abs=0.02)


def test_compose_probabilities_and_errors():
    x = sines([440.0] * 6, amp=0.1)
    only_gain = Compose.from_options([Gain((6.0, 6.0)), AddNoise()], {"gain": 1.0})
    y = only_gain(x, SR, make_torch_generator(0))
    assert torch.allclose(y, x * 10 ** (6 / 20), atol=1e-6)  # noise is off
    with pytest.raises(ConfigError, match="unknown ops"):
        Compose.from_options([Gain()], {"reverb": 1.0})
    with pytest.raises(ConfigError, match="p = 0"):
        Compose([Gain()], p=0.0)
    with pytest.raises(ConfigError, match="`p`"):
        Compose([Gain(), Speed()], p=[0.5])
    with pytest.raises(ConfigError, match="gain_db"):
        Gain((6.0, -6.0))
    with pytest.raises(ConfigError, match="colours"):
        AddNoise(colors=("blue",))
    with pytest.raises(DataError, match="N×T"):
        Gain()(torch.zeros(T), SR, make_torch_generator(0))

"""Restoration metrics, degradations and classical baselines for audio (tiny 8 kHz signals)."""

from __future__ import annotations

import numpy as np
import pytest

from synthset.data.audio import Audio
from synthset.errors import ConfigError, DataError
from synthset.evaluation.audio.restoration import (
    MAX_SNR_DB,
    degrade_lowpass,
    evaluate_restoration,
    fill_linear,
    fill_lpc,
    fill_zeros,
    find_gaps,
    format_mean_std,
    lsd,
    make_gaps,
    snr,
    summarize,
    upsample_cubic,
    upsample_sinc,
)

SR = 8_000


def harmonic_tones(n: int = 16, length: int = 4_000, seed: int = 0) -> np.ndarray:
    """Clips of a few partials with random pitch and phase, peak 0.5."""
    rng = np.random.default_rng(seed)
    t = np.arange(length) / SR
    f0 = rng.uniform(180.0, 320.0, (n, 1))
    x = sum(
        (0.6 / k) * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi, (n, 1)))
        for k in range(1, 9)
    )
    return (0.5 * x / np.abs(x).max(axis=1, keepdims=True)).astype(np.float32)


def sine(freq: float, length: int = 4_000, amp: float = 0.5) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * freq * np.arange(length) / SR))[None].astype(np.float32)


# --- scores -------------------------------------------------------------------------------------
def test_snr_identities_and_mask():
    x = harmonic_tones(4)
    assert np.all(snr(x, x) == MAX_SNR_DB)
    np.testing.assert_allclose(snr(x, np.zeros_like(x)), 0.0, atol=1e-9)
    np.testing.assert_allclose(snr(x, 0.5 * x), 20 * np.log10(2), atol=1e-6)
    mask = np.zeros_like(x, dtype=bool)
    mask[:3, 100:200] = True
    est = x.copy()
    est[:, 1000:] = 0.0  # errors outside the mask do not count
    out = snr(x, est, mask)
    assert np.all(out[:3] == MAX_SNR_DB) and np.isnan(out[3])


def test_snr_rejects_mismatched_shapes():
    with pytest.raises(DataError, match="same shape|one shape"):
        snr(np.zeros((2, 10)), np.zeros((2, 11)))
    with pytest.raises(DataError, match="bool"):
        snr(np.ones((2, 10)), np.ones((2, 10)), mask=np.ones((2, 10)))


def test_lsd_is_zero_for_identity_and_grows_with_distortion():
    x = harmonic_tones(4)
    np.testing.assert_allclose(lsd(x, x, SR), 0.0, atol=1e-9)
    noise = np.random.default_rng(0).normal(0, 0.01, x.shape).astype(np.float32)
    small, big = lsd(x, x + noise, SR), lsd(x, x + 10 * noise, SR)
    assert np.all(small > 0) and np.all(big > small)
    # low-passing leaves the low band alone: the distance lives in the high band
    low = upsample_sinc(degrade_lowpass(x, 2), 2, x.shape[1])
    assert lsd(x, low, SR, band=(2_200, 4_000)).mean() > 5 * lsd(x, low, SR, band=(0, 1_800)).mean()


def test_lsd_with_mask_counts_only_frames_over_the_gap():
    x = harmonic_tones(2)
    mask = np.zeros_like(x, dtype=bool)
    mask[0, 2000:2200] = True
    est = fill_zeros(x, mask)
    out = lsd(x, est, SR, mask=mask)
    assert out[0] > 5.0 and np.isnan(out[1])
    assert out[0] > lsd(x, est, SR)[0]  # the whole clip dilutes the gap


def test_summarize_and_format():
    s = summarize([1.0, 3.0, np.nan])
    assert s["mean"] == 2.0 and s["std"] == 1.0 and s["n"] == 2
    assert format_mean_std([1.0, 3.0]) == "2.00 ± 1.00"


# --- super-resolution baselines -----------------------------------------------------------------
def test_degrade_lowpass_shapes_and_band():
    x = harmonic_tones(3, 4_001)
    assert degrade_lowpass(x, 2).shape == (3, 2_001)
    assert degrade_lowpass(x, 4).shape == (3, 1_001)
    high = sine(3_000)
    assert np.abs(degrade_lowpass(high, 2)[:, 50:-50]).max() < 0.01  # above the new Nyquist
    with pytest.raises(ConfigError, match="factor"):
        degrade_lowpass(x, 1)


@pytest.mark.parametrize("factor", [2, 4])
def test_cubic_and_sinc_upsampling_of_a_low_sine_are_near_perfect(factor):
    x = sine(150.0)
    low = degrade_lowpass(x, factor)
    cubic = upsample_cubic(low, factor, x.shape[1])
    sinc = upsample_sinc(low, factor, x.shape[1])
    assert cubic.shape == sinc.shape == x.shape
    inner = slice(200, -200)  # away from the zero-padded edges of the filters
    assert snr(x[:, inner], cubic[:, inner])[0] > 35.0
    assert snr(x[:, inner], sinc[:, inner])[0] > 35.0


def test_sinc_beats_cubic_on_wideband_tones():
    x = harmonic_tones(8)
    low = degrade_lowpass(x, 2)
    s_cubic = snr(x, upsample_cubic(low, 2)).mean()
    s_sinc = snr(x, upsample_sinc(low, 2)).mean()
    assert s_sinc > s_cubic > 5.0


# --- gaps and inpainting baselines --------------------------------------------------------------
def test_make_gaps_lengths_counts_and_seeds():
    m = make_gaps(32, 4_000, SR, gap_ms=(20, 60), n_gaps=2, seed=0)
    assert m.shape == (32, 4_000) and m.dtype == bool
    clip, start, end = find_gaps(m)
    assert np.bincount(clip, minlength=32).tolist() == [2] * 32
    ms = (end - start) * 1000 / SR
    assert ms.min() >= 20 and ms.max() <= 60
    assert np.all(start > 0) and np.all(end < 4_000)  # context on both sides
    assert np.array_equal(m, make_gaps(32, 4_000, SR, gap_ms=(20, 60), n_gaps=2, seed=0))
    assert not np.array_equal(m, make_gaps(32, 4_000, SR, gap_ms=(20, 60), n_gaps=2, seed=1))
    fixed = make_gaps(4, 4_000, SR, gap_ms=50, seed=0)
    assert np.all(fixed.sum(axis=1) == 400)


def test_make_gaps_errors():
    with pytest.raises(DataError, match="cannot hold"):
        make_gaps(2, 800, SR, gap_ms=200)
    with pytest.raises(ConfigError, match="gap_ms"):
        make_gaps(2, 4_000, SR, gap_ms=(60, 20))
    with pytest.raises(ConfigError, match="n_gaps"):
        make_gaps(2, 4_000, SR, n_gaps=0)


def test_fills_change_only_masked_samples():
    x = harmonic_tones(4)
    m = make_gaps(4, x.shape[1], SR, gap_ms=(20, 60), n_gaps=2, seed=3)
    zeroed = fill_zeros(x, m)
    assert np.all(zeroed[m] == 0) and np.array_equal(zeroed[~m], x[~m])
    for fill in (fill_linear, fill_lpc):
        out = fill(zeroed, m)
        assert out.shape == x.shape and out.dtype == np.float32
        assert np.array_equal(out[~m], x[~m]), fill.__name__


def test_linear_fill_of_a_constant_and_a_ramp_is_exact():
    x = np.full((2, 1_000), 0.25, dtype=np.float32)
    x[1] = np.linspace(-0.5, 0.5, 1_000)
    m = np.zeros_like(x, dtype=bool)
    m[:, 300:420] = True
    m[0, :50] = True  # a gap at the clip's start holds its one neighbour
    out = fill_linear(fill_zeros(x, m), m)
    np.testing.assert_allclose(out, x, atol=1e-6)


def test_lpc_fill_of_a_sine_gap_is_accurate_and_beats_linear():
    x = sine(220.0) + sine(530.0, amp=0.2)
    m = make_gaps(1, x.shape[1], SR, gap_ms=50, seed=1)
    zeroed = fill_zeros(x, m)
    s_lpc = snr(x, fill_lpc(zeroed, m), m)[0]
    s_lin = snr(x, fill_linear(zeroed, m), m)[0]
    assert s_lpc > 15.0 and s_lpc > s_lin + 10.0


def test_lpc_fill_handles_edge_gaps_and_silence():
    x = harmonic_tones(2)
    m = np.zeros_like(x, dtype=bool)
    m[0, :200] = True  # no context before
    m[1, -200:] = True  # no context after
    out = fill_lpc(fill_zeros(x, m), m)
    assert np.isfinite(out).all() and snr(x, out, m).min() > 0.0
    silent = np.zeros((1, 2_000), np.float32)
    gap = np.zeros_like(silent, dtype=bool)
    gap[0, 500:700] = True
    assert np.all(fill_lpc(silent, gap) == 0.0)


# --- the evaluation harness ---------------------------------------------------------------------
class _Oracle:
    """A stand-in restorer that knows the clean clips (checks the bookkeeping, not a model)."""

    def __init__(self, name: str, clean: Audio, factor: int = 2):
        self.name, self.clean, self.factor = name, clean, factor

    def transform(self, audio: Audio, mask: np.ndarray | None = None) -> Audio:
        return self.clean


@pytest.mark.parametrize("task", ["super_resolution", "inpainting"])
def test_evaluate_restoration_reports_model_and_baselines(task):
    clean = Audio.from_arrays(harmonic_tones(6), SR)
    name = "audio_sr" if task == "super_resolution" else "audio_inpaint"
    report = evaluate_restoration(_Oracle(name, clean), clean, gap_ms=40, n_examples=2)
    assert report.meta["modality"] == "audio" and report.meta["task"] == task
    assert report.meta["clips"] == 6
    inpaint = ["zeros", "linear", "lpc", "lpc128"]
    baselines = ["cubic", "sinc"] if task == "super_resolution" else inpaint
    for b in [name, *baselines]:
        assert f"snr_{b}" in report and f"lsd_{b}" in report
        assert report[f"snr_{b}"].family == "fidelity"
        assert len(report[f"snr_{b}"].details["per_clip"]) == 6
    assert report[f"snr_{name}"].value == MAX_SNR_DB
    assert report[f"lsd_{name}"].value == 0.0
    assert report["snr_gain_vs_best_baseline"].value > 0
    assert report["lsd_gain_vs_best_baseline"].value > 0
    examples = report.audio_examples
    assert {"reference", "degraded", name} <= set(examples)
    assert all(len(a) == 2 and a.sample_rate == SR for a in examples.values())
    report.to_json()  # serialisable


def test_evaluate_restoration_rejects_bad_inputs():
    clean = Audio.from_arrays(harmonic_tones(2), SR)
    with pytest.raises(ConfigError, match="task"):
        evaluate_restoration(_Oracle("x", clean), clean, task="denoise")
    with pytest.raises(DataError, match="Audio"):
        evaluate_restoration(_Oracle("x", clean), clean.waveforms)


def test_snr_of_a_silent_region_is_bounded_by_16_bit_quantisation():
    ref = np.zeros((1, 800))
    tiny = np.full((1, 800), 1e-6)  # far below one 16-bit step
    assert abs(snr(ref, tiny)[0]) < 0.2
    loud = np.full((1, 800), 1e-2)
    assert -70.0 < snr(ref, loud)[0] < -50.0  # penalised, but not -300 dB

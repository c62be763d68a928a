"""Audio metrics on tiny synthetic clips (8 kHz, 0.5 s): embeddings, Fréchet distances, LSD,
loudness, the log-mel classifier, CAS and the copy checks."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft
import torch

from synthset.data.audio import Audio
from synthset.errors import DataError
from synthset.evaluation.audio import fidelity, privacy, utility
from synthset.evaluation.audio.classifier import (
    AudioClassifierConfig,
    accuracy,
    embed,
    train_audio_classifier,
)
from synthset.evaluation.audio.context import AudioEvalContext
from synthset.evaluation.audio.features import dct_matrix, spectral_stats

SR = 8_000
LOW, HIGH = (300.0, 500.0), (1_500.0, 2_500.0)
FAR_LOW, FAR_HIGH = (2_800.0, 3_200.0), (3_500.0, 3_900.0)


def sweeps(
    n: int,
    seed: int,
    bands: tuple[tuple[float, float], ...] = (LOW, HIGH),
    *,
    classes: tuple[str, ...] = ("low", "high"),
    duration: float = 0.5,
    sample_rate: int = SR,
    labelled: bool = True,
) -> Audio:
    """``n`` clips alternating between the classes: a chirp between two random frequencies of
    the class's band under a Gaussian envelope at a random time, plus a little white noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sample_rate * duration)) / sample_rate
    labels = np.arange(n) % len(bands)
    lo = np.asarray([b[0] for b in bands])[labels]
    hi = np.asarray([b[1] for b in bands])[labels]
    f0, f1 = rng.uniform(lo, hi), rng.uniform(lo, hi)
    phase = 2 * np.pi * (f0[:, None] * t + (f1 - f0)[:, None] * t**2 / (2 * duration))
    centre = rng.uniform(0.2, 0.8, n)[:, None] * duration
    width = rng.uniform(0.1, 0.4, n)[:, None] * duration
    env = np.exp(-(((t[None] - centre) / width) ** 2))
    x = rng.uniform(0.2, 0.5, n)[:, None] * env * np.sin(phase)
    x += 0.03 * rng.standard_normal(x.shape)
    names = np.asarray(classes)[labels] if labelled else None
    return Audio.from_arrays(
        np.clip(x, -1, 1).astype(np.float32),
        sample_rate,
        names,
        classes=list(classes) if labelled else None,
    )


def ctx_of(real: Audio, synthetic: Audio, holdout: Audio | None = None, **kw) -> AudioEvalContext:
    return AudioEvalContext(real, synthetic, holdout, seed=0, device="cpu", **kw)


# --- features ----------------------------------------------------------------------------------
def test_dct_matrix_matches_scipy_orthonormal_dct() -> None:
    x = np.random.default_rng(0).normal(size=(3, 40))
    ours = x @ dct_matrix(13, 40).double().numpy().T
    np.testing.assert_allclose(ours, scipy.fft.dct(x, norm="ortho")[:, :13], atol=1e-5)


def test_spectral_stats_shape_and_per_band_values() -> None:
    log_mel = torch.randn(5, 16, 30)
    emb = spectral_stats(log_mel, n_cepstra=6)
    assert emb.shape == (5, 2 * 16 + 6)
    np.testing.assert_allclose(emb[:, :16], log_mel.mean(2).numpy(), atol=1e-5)
    np.testing.assert_allclose(emb[:, 16:32], log_mel.std(2, unbiased=False).numpy(), atol=1e-5)


def test_context_aligns_sample_rate_length_and_recodes_labels_by_name() -> None:
    real = sweeps(8, 0)
    other = sweeps(8, 1, (HIGH, LOW), classes=("high", "low"), sample_rate=16_000, duration=0.6)
    ctx = ctx_of(real, other)
    assert ctx.synthetic.spec.sample_rate == SR and ctx.synthetic.spec.length == real.spec.length
    np.testing.assert_array_equal(ctx.synthetic.label_names, other.label_names)
    assert ctx.synthetic.spec.classes == ["low", "high"]


def test_context_unknown_class_is_a_data_error() -> None:
    with pytest.raises(DataError, match="labels the real clips lack"):
        ctx_of(sweeps(8, 0), sweeps(8, 1, classes=("low", "buzz")))


# --- fidelity ----------------------------------------------------------------------------------
# 32 clips a side: Fréchet distances of 64-d embeddings on 16 clips are mostly estimator noise
@pytest.fixture(scope="module")
def same() -> AudioEvalContext:
    real = sweeps(32, 0)
    return ctx_of(real, real, sweeps(32, 2))


@pytest.fixture(scope="module")
def far() -> AudioEvalContext:
    return ctx_of(sweeps(32, 0), sweeps(32, 1, (FAR_LOW, FAR_HIGH)), sweeps(32, 2))


@pytest.mark.parametrize("emb", ["stats", "domain"])
def test_frechet_of_identical_sets_is_zero_and_of_far_classes_large(same, far, emb) -> None:
    name = f"frechet_audio_{emb}"
    assert fidelity._frechet(same, emb).value == pytest.approx(0.0, abs=1e-6)
    bad = fidelity._frechet(far, emb)
    assert bad.value > 5.0 * bad.details["baseline"]  # beyond the fail threshold
    assert bad.name == name and bad.thresholds["pass"] == 2 * bad.details["baseline"]


def test_prdc_in_bounds_perfect_for_identical_and_zero_for_far(same, far) -> None:
    for which in ("precision", "recall", "coverage"):
        assert fidelity._prdc_metric(same, which).value == 1.0
        value = fidelity._prdc_metric(far, which).value
        assert 0.0 <= value <= 0.3


def test_lsd_of_identical_sets_is_zero_and_of_far_bands_large(same, far) -> None:
    assert fidelity._lsd(same).value == pytest.approx(0.0, abs=1e-9)
    bad = fidelity._lsd(far)
    assert bad.value > 6.0 and set(bad.details["per_class"]) == {"low", "high"}
    assert bad.details["baseline"] < 3.0


def test_lsd_of_a_uniform_gain_is_that_gain() -> None:
    real = sweeps(8, 0)
    quieter = Audio(real.waveforms * np.float32(10 ** (-3 / 20)), real.labels, real.spec)
    assert fidelity._lsd(ctx_of(real, quieter)).value == pytest.approx(3.0, abs=0.01)


def test_loudness_distance_measures_a_gain_in_db() -> None:
    real = sweeps(16, 0)
    quieter = Audio(real.waveforms * np.float32(0.5), real.labels, real.spec)
    assert fidelity._loudness(ctx_of(real, real)).value == pytest.approx(0.0, abs=1e-9)
    assert fidelity._loudness(ctx_of(real, quieter)).value == pytest.approx(6.02, abs=0.01)


def test_class_balance_bounds() -> None:
    real = sweeps(16, 0)
    only_low = real[real.labels == 0]
    assert fidelity._class_balance(ctx_of(real, real)).value == 1.0
    assert fidelity._class_balance(ctx_of(real, only_low)).value == pytest.approx(0.5)
    unlabelled = sweeps(16, 0, labelled=False)
    missing = fidelity._class_balance(ctx_of(unlabelled, unlabelled))
    assert np.isnan(missing.value) and "labelled" in missing.details["error"]


# --- classifier and utility --------------------------------------------------------------------
def test_classifier_learns_the_bands_and_is_deterministic(same) -> None:
    x, y = same.log_mel("real"), same.real.labels
    config = AudioClassifierConfig(min_steps=30)
    a = train_audio_classifier(x, y, 2, config, seed=3, device=torch.device("cpu"))
    b = train_audio_classifier(x, y, 2, config, seed=3, device=torch.device("cpu"))
    np.testing.assert_array_equal(embed(a, x), embed(b, x))
    assert accuracy(a, same.log_mel("holdout"), same.holdout.labels) == 1.0


def test_cas_on_well_separated_synthetic_is_one() -> None:
    ctx = ctx_of(sweeps(16, 0), sweeps(16, 1), sweeps(16, 2))
    cas, ratio = utility.cas_audio(ctx), utility.cas_ratio_audio(ctx)
    assert cas.value == 1.0 and ratio.value == 1.0
    assert cas.details["trtr"]["accuracy"]["mean"] == 1.0 and cas.details["test"] == "holdout"
    gain = utility.augmentation_gain_audio(ctx)
    assert gain.value == 0.0 and len(gain.details["gain"]["per_seed"]) == utility.N_SEEDS


def test_cas_of_mislabelled_synthetic_clips_is_near_zero(monkeypatch) -> None:
    monkeypatch.setattr(utility, "N_SEEDS", 1)
    swapped = sweeps(16, 1, (HIGH, LOW))  # "low" clips in the high band and vice versa
    ratio = utility.cas_ratio_audio(ctx_of(sweeps(16, 0), swapped, sweeps(16, 2)))
    assert ratio.value < 0.2 and ratio.details["trtr"]["accuracy"]["mean"] == 1.0
    assert ratio.status is None  # evaluate() judges; 0.2 would fail (< 0.75)


def test_utility_without_labels_is_not_computed() -> None:
    clips = sweeps(16, 0, labelled=False)
    result = utility.cas_audio(ctx_of(clips, clips))
    assert np.isnan(result.value) and "labelled" in result.details["error"]


# --- privacy -----------------------------------------------------------------------------------
def test_max_correlation_finds_shifted_noisy_copies_only() -> None:
    clips = sweeps(6, 0).waveforms
    delayed = np.pad(clips, ((0, 0), (120, 0)))[:, : clips.shape[1]]  # 15 ms later
    noisy = delayed + 0.01 * np.random.default_rng(1).standard_normal(clips.shape)
    corr = privacy.max_correlation(clips, noisy.astype(np.float32), 1_000)
    assert corr.min() > 0.95
    other = privacy.max_correlation(clips, sweeps(6, 9).waveforms, 1_000)
    assert other.max() < 0.9
    silent = privacy.max_correlation(clips[:1], np.zeros_like(clips[:1]), 10)
    assert silent[0] == 0.0


def test_dcr_and_copies_flag_exact_copies() -> None:
    real = sweeps(16, 0)
    copies = ctx_of(real, real[:8], sweeps(16, 2))
    dcr, found = privacy.audio_dcr(copies), privacy.audio_copies(copies)
    assert dcr.value == pytest.approx(0.0, abs=1e-6) and dcr.status is None
    assert found.value == 1.0 and found.details["exact_count"] == 8
    fresh = ctx_of(real, sweeps(16, 1), sweeps(16, 2))
    assert 0.6 < privacy.audio_dcr(fresh).value < 1.6
    assert privacy.audio_copies(fresh).value == 0.0


def test_copies_flag_shifted_rescaled_copies_as_near_copies() -> None:
    real = sweeps(16, 0)
    wave = np.roll(real.waveforms[:8], 200, axis=1) * np.float32(0.7)
    near = Audio(wave, real.labels[:8], real.spec)
    found = privacy.audio_copies(ctx_of(real, near))
    assert found.value == 1.0
    assert found.details["near_count"] == 8 and found.details["exact_count"] == 0


def test_dcr_without_holdout_says_why() -> None:
    real = sweeps(16, 0)
    result = privacy.audio_dcr(ctx_of(real, sweeps(16, 1)))
    assert np.isnan(result.value) and "holdout" in result.details["error"]

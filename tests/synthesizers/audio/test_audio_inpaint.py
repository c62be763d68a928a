"""``audio_inpaint``: fills gaps of tones better than silence or straight lines; the transform
contract (only masked samples change, masks as arrays or seconds), persistence, errors."""

from __future__ import annotations

import numpy as np
import pytest

import synthset.synthesizers.audio.audio_inpaint  # noqa: F401  (registers audio_inpaint)
from synthset import load
from synthset.data.audio import Audio
from synthset.errors import ConfigError, DataError
from synthset.evaluation.audio.restoration import evaluate_restoration, make_gaps
from synthset.registry import make_synthesizer

SR = 8_000


def tones(n: int, seed: int, length: int = 4_000) -> np.ndarray:
    """Harmonic tones with a slow vibrato and a random pitch, peak 0.5."""
    rng = np.random.default_rng(seed)
    t = np.arange(length) / SR
    f0 = rng.uniform(180.0, 320.0, (n, 1))
    phase = 2 * np.pi * f0 * t + 0.3 * np.sin(2 * np.pi * 3 * t)
    x = sum((0.7**k) * np.sin(k * phase + rng.uniform(0, 2 * np.pi, (n, 1))) for k in range(1, 6))
    return (0.5 * x / np.abs(x).max(axis=1, keepdims=True)).astype(np.float32)


TINY = dict(
    gap_ms=(20.0, 60.0),
    epochs=30,
    batch_size=8,
    crop_seconds=0.5,
    width=8,
    depth=2,
    lr=3e-3,
    device="cpu",
    random_state=0,
)


@pytest.fixture(scope="module")
def data():
    return Audio.from_arrays(tones(16, 0), SR), Audio.from_arrays(tones(8, 1), SR)


@pytest.fixture(scope="module")
def fitted(data):
    return make_synthesizer("audio_inpaint", **TINY).fit(data[0])


def test_beats_silence_and_straight_lines_in_the_gaps(fitted, data):
    assert fitted.history_[-1]["loss"] < fitted.history_[0]["loss"]
    report = evaluate_restoration(fitted, data[1], gap_ms=40, n_gaps=2, seed=0)
    ours = report["snr_audio_inpaint"].value
    assert ours > report["snr_zeros"].value + 1.0
    assert ours > report["snr_linear"].value + 1.0
    assert report["lsd_audio_inpaint"].value < report["lsd_zeros"].value


def test_only_masked_samples_change(fitted, data):
    clips = data[1]
    mask = make_gaps(len(clips), clips.shape[1], SR, gap_ms=(20, 60), n_gaps=2, seed=1)
    out = fitted.transform(clips, mask)
    assert out.shape == clips.shape and out.sample_rate == SR
    assert np.array_equal(out.waveforms[~mask], clips.waveforms[~mask])
    assert not np.array_equal(out.waveforms[mask], clips.waveforms[mask])
    # what was in the gap before does not matter: the network sees it zeroed
    scrambled = clips.waveforms.copy()
    scrambled[mask] = 0.9
    again = fitted.transform(Audio(scrambled, None, clips.spec), mask)
    np.testing.assert_allclose(again.waveforms[mask], out.waveforms[mask], atol=1e-6)


def test_masks_in_seconds_and_drawn_gaps(fitted, data):
    clips = data[1][:2]
    seconds = [[(0.10, 0.14)], [(0.05, 0.08), (0.30, 0.35)]]
    mask = np.zeros(clips.shape, dtype=bool)
    mask[0, 800:1120] = True
    mask[1, 400:640] = True
    mask[1, 2400:2800] = True
    a = fitted.transform(clips, seconds).waveforms
    b = fitted.transform(clips, mask).waveforms
    np.testing.assert_array_equal(a, b)
    drawn = fitted.transform(clips, gaps_ms=30, seed=4).waveforms
    assert np.array_equal(drawn, fitted.transform(clips, gaps_ms=30, seed=4).waveforms)
    changed = drawn != clips.waveforms
    assert 0 < changed.sum(axis=1).max() <= 240


def test_any_length_and_batches(fitted, data):
    clips = data[1].with_length(3_001)
    mask = make_gaps(len(clips), 3_001, SR, gap_ms=40, seed=2)
    one = fitted.transform(clips, mask).waveforms
    fitted.sample_batch_size = 3
    try:
        batched = fitted.transform(clips, mask).waveforms
    finally:
        fitted.sample_batch_size = None
    assert one.shape == (8, 3_001)
    np.testing.assert_allclose(batched, one, atol=1e-6)


def test_save_load_gives_identical_fills(fitted, data, tmp_path):
    clips = data[1]
    mask = make_gaps(len(clips), clips.shape[1], SR, gap_ms=50, seed=3)
    fitted.save(tmp_path / "fill")
    again = load(tmp_path / "fill")
    assert again.gap_ms == fitted.gap_ms or list(again.gap_ms) == list(fitted.gap_ms)
    assert np.array_equal(
        again.transform(clips, mask).waveforms, fitted.transform(clips, mask).waveforms
    )


def test_sample_points_to_transform(fitted):
    with pytest.raises(ConfigError, match=r"transform\(\).*specgan"):
        fitted.sample(2, seed=0)


def test_mask_errors(fitted, data):
    clips = data[1][:2]
    with pytest.raises(DataError, match="shape"):
        fitted.transform(clips, np.zeros((2, 10), dtype=bool))
    with pytest.raises(DataError, match="bool"):
        fitted.transform(clips, np.zeros(clips.shape, dtype=np.float32))
    with pytest.raises(DataError, match="start < end"):
        fitted.transform(clips, [[(0.3, 0.2)], []])
    with pytest.raises(DataError, match="start < end"):
        fitted.transform(clips, [[(0.3, 0.9)], []])  # past the clip's end
    with pytest.raises(DataError, match="per-clip"):
        fitted.transform(clips, [[(0.1, 0.2)]])  # one list for two clips
    with pytest.raises(ConfigError, match="either"):
        fitted.transform(clips)
    with pytest.raises(DataError, match="resample"):
        fitted.transform(Audio.from_arrays(clips.waveforms, 16_000), gaps_ms=30)


def test_param_errors(data):
    train = data[0]
    with pytest.raises(ConfigError, match="gap_ms"):
        make_synthesizer("audio_inpaint", gap_ms=(50, 10)).fit(train)
    with pytest.raises(ConfigError, match="crop_seconds"):
        make_synthesizer("audio_inpaint", gap_ms=200, crop_seconds=0.1, device="cpu").fit(train)
    with pytest.raises(ConfigError, match="width"):
        make_synthesizer("audio_inpaint", width=0).fit(train)


def test_torch_lpc_fill_matches_the_numpy_baseline():
    import torch

    from synthset.evaluation.audio.restoration import fill_lpc, fill_zeros, find_gaps
    from synthset.synthesizers.audio.audio_inpaint import lpc_fill

    x = tones(6, 2)
    mask = make_gaps(6, x.shape[1], SR, gap_ms=(20, 60), n_gaps=2, seed=5)
    mask[0, :120] = True  # a gap at the start: one-sided
    zeroed = fill_zeros(x, mask)
    clip, start, end = find_gaps(mask)
    gaps = [torch.from_numpy(v) for v in (clip, start, end)]
    ours = lpc_fill(torch.from_numpy(zeroed), *gaps, steps=int((end - start).max())).numpy()
    np.testing.assert_allclose(ours, fill_lpc(zeroed, mask), atol=1e-5)


def test_untrained_model_is_its_lpc128_prefill_and_early_stopping_keeps_the_best(data):
    """Zero-initialised output: before any step the model is the ``lpc128`` baseline; with
    held-out clips the weights kept are those of the best validation SNR."""
    from synthset.evaluation.audio.restoration import (
        LPC_CONTEXT_HIGH,
        LPC_ORDER_HIGH,
        fill_lpc,
        fill_zeros,
    )

    untrained = make_synthesizer("audio_inpaint", **{**TINY, "epochs": 1, "lr": 1e-12})
    untrained.fit(data[0])
    clips = data[1]
    mask = make_gaps(len(clips), clips.shape[1], SR, gap_ms=40, seed=6)
    ours = untrained.transform(clips, mask).waveforms
    ref = fill_lpc(
        fill_zeros(clips.waveforms, mask), mask, order=LPC_ORDER_HIGH, context=LPC_CONTEXT_HIGH
    )
    np.testing.assert_allclose(ours, ref, atol=1e-4)
    fitted = make_synthesizer("audio_inpaint", **{**TINY, "epochs": 4, "validation_fraction": 0.25})
    fitted.fit(data[0])
    scores = [v["val_loss"] for v in fitted.validation_]
    assert scores[0] == fitted.validation_[0]["val_loss"] and len(scores) >= 5
    best = min(range(len(scores)), key=scores.__getitem__)
    assert fitted.best_step_ == fitted.validation_[best]["step"]


def test_energy_limit_caps_a_loud_fill_in_a_quiet_passage():
    import torch

    from synthset.synthesizers.audio.audio_inpaint import _limit_energy

    t = torch.arange(4_000) / 8_000
    quiet = 0.01 * torch.sin(2 * torch.pi * 300 * t)[None].repeat(2, 1)
    missing = torch.zeros_like(quiet, dtype=torch.bool)
    missing[:, 1_800:2_200] = True
    prefill = quiet.clone()
    loud = torch.where(missing, 0.5 * torch.ones_like(quiet), quiet)
    out = _limit_energy(loud, prefill, missing, frame=81, reach=400)
    assert float(out[missing].abs().max()) < 0.05  # capped near the context's level
    same = _limit_energy(prefill, prefill, missing, frame=81, reach=400)
    torch.testing.assert_close(same, prefill)  # the pre-fill itself is never scaled

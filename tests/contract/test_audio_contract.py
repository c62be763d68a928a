"""One suite over every registered audio synthesizer, on 16 tiny clips (0.25 s at 8 kHz).

Generative models (``specgan``, ``spec_vae``, the classic ``audio_augment``) draw new clips with
``sample``; restoration models (``audio_sr``, ``audio_inpaint``) repair clips with
``transform`` and refuse ``sample`` with an error that names ``transform``.
"""

from __future__ import annotations

import numpy as np
import pytest

from synthset import list_synthesizers, load, make_synthesizer
from synthset.data.audio import Audio
from synthset.errors import ConfigError, DataError, NotFittedError, SynthsetError
from tests.conftest import make_tiny_audio

_CPU = dict(random_state=0, device="cpu")
_MEL = dict(n_mels=16, griffin_lim_iters=2)
TINY: dict[str, dict] = {
    "specgan": dict(epochs=2, batch_size=4, latent_dim=8, width=4, **_MEL, **_CPU),
    "spec_vae": dict(epochs=2, batch_size=4, latent_dim=4, width=8, **_MEL, **_CPU),
    "audio_sr": dict(factor=2, epochs=2, batch_size=4, crop_seconds=0.1, width=8, depth=2, **_CPU),
    "audio_inpaint": dict(
        epochs=2, batch_size=4, crop_seconds=0.2, width=8, depth=2, gap_ms=(20.0, 50.0), **_CPU
    ),
    "audio_augment": dict(**_CPU),
}
NAMES = list_synthesizers(modality="audio")
RESTORATION = {"audio_sr", "audio_inpaint"}


def test_every_audio_synthesizer_has_tiny_params():
    assert set(NAMES) <= set(TINY), "add tiny params for new audio synthesizers"
    assert set(TINY) <= set(NAMES)


@pytest.fixture(scope="module", params=NAMES)
def fitted(request):
    clips = make_tiny_audio()
    synth = make_synthesizer(request.param, **TINY[request.param])
    returned = synth.fit(clips)
    return synth, returned, clips


def test_fit_returns_self_and_finite_history(fitted):
    synth, returned, clips = fitted
    assert returned is synth
    assert synth.spec_ == clips.spec
    history = getattr(synth, "history_", [])
    if "epochs" in TINY[synth.name]:
        assert len(history) == TINY[synth.name]["epochs"]
    assert all(np.isfinite(v) for h in history for v in h.values() if isinstance(v, float))


def _draw(synth, n: int, seed: int) -> Audio:
    return synth.sample(n, seed=seed)


def test_sample_matches_spec_or_names_transform(fitted):
    synth, _, clips = fitted
    if synth.name in RESTORATION:
        with pytest.raises(ConfigError, match="transform"):
            synth.sample(4, seed=0)
        return
    out = _draw(synth, 10, 1)
    assert isinstance(out, Audio)
    assert out.waveforms.shape == (10, clips.spec.length) and out.waveforms.dtype == np.float32
    assert out.spec.sample_rate == clips.spec.sample_rate
    assert np.isfinite(out.waveforms).all() and np.abs(out.waveforms).max() <= 1.0
    assert out.labels is not None and set(out.label_names) <= {"low", "high"}


def test_same_seed_same_clips(fitted):
    synth, _, clips = fitted
    if synth.name in RESTORATION:
        a, b, c = (_repair(synth, clips, s) for s in (7, 7, 8))
        assert np.array_equal(a.waveforms, b.waveforms)
        return
    a, b, c = (_draw(synth, 6, s).waveforms for s in (7, 7, 8))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_conditions_draw_the_class(fitted):
    synth, _, _ = fitted
    if synth.name in RESTORATION:
        return
    out = synth.sample(5, seed=2, conditions={"label": "high"})
    assert list(out.label_names) == ["high"] * 5
    with pytest.raises(SynthsetError, match="not a class"):
        synth.sample(2, seed=0, conditions={"label": "middle"})
    with pytest.raises(ConfigError):
        synth.sample(2, seed=0, conditions={"pitch": "high"})


def _repair(synth, clips: Audio, seed: int | None = 0) -> Audio:
    if synth.name == "audio_sr":
        return synth.transform(clips.resample(clips.spec.sample_rate // 2), seed=seed)
    mask = np.zeros(clips.waveforms.shape, bool)
    mask[:, 800:1_000] = True  # 25 ms
    return synth.transform(clips, mask, seed=seed)


def test_transform_repairs_clips_of_the_training_spec(fitted):
    synth, _, clips = fitted
    if not hasattr(synth, "transform"):
        return
    if synth.name == "audio_augment":
        out = synth.transform(clips, n_aug=2, seed=0)
        assert len(out) == 2 * len(clips) and out.spec == clips.spec
        return
    out = _repair(synth, clips)
    assert isinstance(out, Audio) and out.waveforms.shape == clips.waveforms.shape
    assert out.spec.sample_rate == clips.spec.sample_rate
    assert np.isfinite(out.waveforms).all()
    if synth.name == "audio_inpaint":  # only the gap changes
        keep = np.ones(clips.waveforms.shape, bool)
        keep[:, 800:1_000] = False
        np.testing.assert_array_equal(out.waveforms[keep], clips.waveforms[keep])


def test_save_load_gives_identical_output(fitted, tmp_path):
    synth, _, clips = fitted
    synth.save(tmp_path / "run")
    again = load(tmp_path / "run")
    assert type(again) is type(synth) and again.spec_ == synth.spec_
    if synth.name in RESTORATION:
        a, b = _repair(synth, clips), _repair(again, clips)
    else:
        a, b = synth.sample(6, seed=3), again.sample(6, seed=3)
        assert np.array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.waveforms, b.waveforms)
    with pytest.raises(SynthsetError):
        synth.save(tmp_path / "run")  # never overwritten without overwrite=True


@pytest.mark.parametrize("name", sorted(TINY))
def test_unfitted_and_bad_input_are_named(name):
    synth = make_synthesizer(name, **TINY[name])
    with pytest.raises(NotFittedError):
        synth.sample(2, seed=0)
    with pytest.raises(DataError):
        synth.fit(np.zeros((4, 100)))  # not an Audio
    one = make_tiny_audio()[[0]]
    with pytest.raises(DataError):
        make_synthesizer(name, **TINY[name]).fit(one)


@pytest.mark.parametrize("name", sorted(set(TINY) - {"audio_augment"}))
def test_bad_parameters_are_config_errors(name):
    with pytest.raises(ConfigError):
        make_synthesizer(name, **{**TINY[name], "epochs": 0}).fit(make_tiny_audio())


def test_generated_clips_are_as_loud_as_the_training_clips(fitted):
    """Spectrogram models restore the training clips' loudness after Griffin-Lim."""
    from synthset.data.audio import rms_dbfs

    synth, _, clips = fitted
    if synth.name in RESTORATION:
        return
    real = rms_dbfs(clips.waveforms)
    fake = rms_dbfs(synth.sample(32, seed=5).waveforms)
    assert abs(float(np.mean(fake)) - float(np.mean(real))) < 3.0
    assert float(np.std(fake)) < float(np.std(real)) + 3.0

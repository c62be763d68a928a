"""audio_augment (the classic augmenter as a synthesizer) and augment() on audio: balancing,
expansion, provenance, clear errors; 16 tiny clips at 8 kHz."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

import synthset.synthesizers.audio.classic  # noqa: F401  (registers audio_augment)
from synthset import augment, load, make_synthesizer
from synthset.data.audio import Audio, AudioSpec
from synthset.errors import ConfigError, DataError, NotFittedError
from synthset.sampling.augment_audio import is_audio
from synthset.synthesizers.audio._base import AUDIO_CONSTRAINTS, AudioSynthesizer
from synthset.synthesizers.audio.classic import AudioAugment

SR = 8_000


def make_clips(n_low: int = 4, n_high: int = 12, length: int = 2_000, seed: int = 0) -> Audio:
    """Sine bursts: "low" at 300-400 Hz, "high" at 1-1.2 kHz, random onsets, 0.25 s each."""
    rng = np.random.default_rng(seed)
    t = np.arange(length) / SR
    freqs = np.concatenate([rng.uniform(300, 400, n_low), rng.uniform(1_000, 1_200, n_high)])
    onset = rng.uniform(0.02, 0.08, len(freqs))[:, None]
    env = np.clip((t - onset) / 0.01, 0, 1) * np.clip((onset + 0.15 - t) / 0.01, 0, 1)
    wave = (0.4 * env * np.sin(2 * np.pi * freqs[:, None] * t)).astype(np.float32)
    labels = ["low"] * n_low + ["high"] * n_high
    return Audio.from_arrays(wave, SR, labels, classes=["low", "high"], name="tiny")


@pytest.fixture(scope="module")
def clips():
    return make_clips()


@pytest.fixture(scope="module")
def fitted(clips):
    return AudioAugment(device="cpu").fit(clips)


IDENTITY = {"gain_db": (0.0, 0.0), "p": {"gain": 1.0}, "device": "cpu"}  # 0 dB: output = source


# --- the synthesizer -------------------------------------------------------------------------
def test_registered_and_fit_returns_self(clips):
    synth = make_synthesizer("audio_augment", device="cpu")
    assert isinstance(synth, AudioAugment) and synth.modality == "audio"
    assert synth.fit(clips) is synth
    assert synth.spec_.classes == ["low", "high"] and synth.n_classes_ == 2


def test_sample_matches_spec_and_is_seeded(fitted, clips):
    out = fitted.sample(10, seed=1)
    assert isinstance(out, Audio) and out.waveforms.shape == (10, 2_000)
    assert out.waveforms.dtype == np.float32 and np.abs(out.waveforms).max() <= 1.0
    assert np.isfinite(out.waveforms).all()
    assert out.spec.sample_rate == SR and set(out.label_names) <= {"low", "high"}
    assert np.array_equal(out.waveforms, fitted.sample(10, seed=1).waveforms)
    assert not np.array_equal(out.waveforms, fitted.sample(10, seed=2).waveforms)
    # every output differs from every training clip (at least one op each)
    dist = np.abs(out.waveforms[:, None] - clips.waveforms[None]).max(axis=2)
    assert dist.min() > 1e-3


def test_sample_cycles_through_the_sources(clips):
    synth = AudioAugment(**IDENTITY).fit(clips)
    out = synth.sample(16, seed=0)
    order = [int(np.flatnonzero((clips.waveforms == w).all(axis=1))[0]) for w in out.waveforms]
    assert sorted(order) == list(range(16))  # each clip once before any repeats
    assert np.array_equal(out.labels, clips.labels[order])
    low = synth.sample(6, seed=0, conditions={"label": "low"})
    assert (low.label_names == "low").all()
    counts = np.unique(low.waveforms, axis=0, return_counts=True)[1]
    assert len(counts) == 4 and counts.max() == 2  # 4 low clips, then a second pass


def test_conditions(fitted):
    out = fitted.sample(5, seed=0, conditions={"label": "low"})
    assert (out.label_names == "low").all()
    assert (fitted.sample(3, seed=0, conditions={"label": 1}).label_names == "high").all()
    with pytest.raises(DataError, match="mid"):
        fitted.sample(2, conditions={"label": "mid"})
    with pytest.raises(ConfigError, match="colour"):
        fitted.sample(2, conditions={"colour": "low"})
    unlabelled = AudioAugment(device="cpu").fit(Audio(make_clips().waveforms, sample_rate=SR))
    assert unlabelled.sample(3, seed=0).labels is None
    with pytest.raises(ConfigError, match="labels"):
        unlabelled.sample(2, conditions={"label": "low"})


def test_save_load_gives_identical_samples(clips, tmp_path):
    synth = AudioAugment(speed=[0.8, 1.2], p={"speed": 0.7, "noise": 0.7}, device="cpu")
    synth.fit(clips)
    synth.save(tmp_path / "run")
    again = load(tmp_path / "run")
    assert type(again) is AudioAugment and again.get_params()["p"] == {"speed": 0.7, "noise": 0.7}
    a, b = synth.sample(8, seed=3), again.sample(8, seed=3)
    assert np.array_equal(a.waveforms, b.waveforms) and np.array_equal(a.labels, b.labels)
    assert again.spec_ == clips.spec
    assert np.array_equal(again.clips_, clips.waveforms)


def test_transform_n_aug_without_fit(clips):
    synth = AudioAugment(n_aug=3, device="cpu")
    out = synth.transform(clips[:4], seed=0)
    assert out.waveforms.shape == (12, 2_000)
    assert np.array_equal(out.labels, np.repeat(clips.labels[:4], 3))
    assert np.array_equal(out.waveforms, synth.transform(clips[:4], seed=0).waveforms)
    assert len(synth.transform(clips[:4], n_aug=1, seed=0)) == 4
    same = AudioAugment(**IDENTITY).transform(clips[:2], n_aug=2, seed=0)
    assert np.array_equal(same.waveforms, clips.waveforms[[0, 0, 1, 1]])
    with pytest.raises(ConfigError, match="n_aug"):
        synth.transform(clips, n_aug=0)


def test_bad_params_name_the_parameter(clips):
    with pytest.raises(ConfigError, match="speed"):
        AudioAugment(speed=(1.2, 0.8)).fit(clips)
    with pytest.raises(ConfigError, match="pitch_semitones"):
        AudioAugment(pitch_semitones=(-40, 0)).fit(clips)
    with pytest.raises(ConfigError, match="`p`"):
        AudioAugment(p={"reverb": 1.0}).fit(clips)
    with pytest.raises(ConfigError, match="`p`"):
        AudioAugment(p=1.5).fit(clips)
    with pytest.raises(ConfigError, match="noise_colors"):
        AudioAugment(noise_colors=("blue",)).fit(clips)
    with pytest.raises(ConfigError, match="every augmentation is off"):
        AudioAugment(p={"gain": 1.0}, gain_db=None).fit(clips)
    with pytest.raises(NotFittedError):
        AudioAugment().sample(2)


def test_leaves_global_rng_alone(clips):
    torch_state = torch.get_rng_state().clone()
    np_state = np.random.get_state()[1].copy()
    AudioAugment(device="cpu").fit(clips).sample(4, seed=0)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state)


# --- augment() -------------------------------------------------------------------------------
def test_balance_fills_the_minority_class(clips, fitted):
    out = augment(clips, fitted, balance_on="label", seed=0)
    assert isinstance(out, Audio)
    assert out.class_counts() == {"low": 12, "high": 12}
    assert list(out.source) == ["real"] * 16 + ["synthetic"] * 8
    assert np.array_equal(out.waveforms[:16], clips.waveforms)  # real clips first, unchanged
    assert (out.label_names[16:] == "low").all()
    again = augment(clips, fitted, balance_on="label", seed=0)
    assert np.array_equal(out.waveforms, again.waveforms)


def test_n_per_class_n_new_and_ratio(clips, fitted):
    out = augment(clips, fitted, n_per_class=5, seed=1)
    assert out.class_counts() == {"low": 9, "high": 17}
    assert (out.source == "synthetic").sum() == 10
    assert len(augment(clips, fitted, n_new=7, seed=0)) == 23
    assert len(augment(clips, fitted, ratio=0.5, seed=0)) == 24


def test_fits_by_name(clips):
    out = augment(clips, "audio_augment", balance_on="label", seed=0)
    assert out.class_counts() == {"low": 12, "high": 12}
    unlabelled = Audio(clips.waveforms, sample_rate=SR)
    out = augment(unlabelled, "audio_augment", n_new=3, seed=0)
    assert len(out) == 19 and out.labels is None and (out.source == "synthetic").sum() == 3


class _Noise(AudioSynthesizer):
    """An unconditional audio synthesizer (noise bursts), for the error paths."""

    _constraints = AUDIO_CONSTRAINTS

    def __init__(
        self,
        *,
        epochs=1,
        batch_size=4,
        max_seconds=None,
        sample_batch_size=None,
        device="cpu",
        random_state=None,
        verbose=False,
        callbacks=None,
    ):
        self._store_params(locals())

    def _train(self, data):
        pass

    def _sample(self, n, *, seed, conditions):
        x = np.random.default_rng(seed).uniform(-0.1, 0.1, (n, self.spec_.length))
        return Audio(x.astype(np.float32), None, self.spec_)

    def _get_state(self):
        return self._base_state(), {}

    def _set_state(self, state, tensors):
        self._set_base_state(state)


def test_errors_name_the_fix(clips, fitted):
    with pytest.raises(ConfigError, match="exactly one"):
        augment(clips, fitted, n_new=3, n_per_class=2)
    with pytest.raises(ConfigError, match="label"):
        augment(clips, fitted, balance_on="colour")
    noise = _Noise().fit(clips)
    with pytest.raises(ConfigError, match="class-conditional"):
        augment(clips, noise, balance_on="label")
    with pytest.raises(ConfigError, match="class-conditional"):
        augment(clips, noise, n_per_class=2)
    with pytest.raises(ConfigError, match="unlabelled"):
        augment(clips, noise, n_new=2)
    unlabelled = Audio(clips.waveforms, sample_rate=SR)
    with pytest.raises(ConfigError, match="labelled clips"):
        augment(unlabelled, fitted, balance_on="label")
    assert len(augment(unlabelled, _Noise(), n_new=2, seed=0)) == 18
    with pytest.raises(NotFittedError, match="fit=False"):
        augment(clips, AudioAugment(), n_new=2, fit=False)
    with pytest.raises(ConfigError, match="samples at"):
        augment(clips.with_length(1_000), fitted, n_new=2, fit=False)
    with pytest.raises(ConfigError, match="tables"):
        augment(clips, "gaussian_copula", n_new=2)
    with pytest.raises(ConfigError, match="ratio"):
        augment(clips, fitted, ratio=0.01)


def test_fit_true_refits_on_the_given_clips(clips):
    synth = AudioAugment(device="cpu").fit(make_clips(2, 2, length=1_000))
    out = augment(clips, synth, n_new=2, fit=True, seed=0)
    assert len(out) == 18 and synth.spec_.length == 2_000


def test_audio_paths_are_detected(tmp_path, clips):
    folder = tmp_path / "clips" / "low"
    folder.mkdir(parents=True)
    sf.write(folder / "a.wav", clips.waveforms[0], SR)
    assert is_audio(tmp_path / "clips") and is_audio(folder / "a.wav")
    assert is_audio(clips) and not is_audio(tmp_path / "nothing.csv")
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "x.png").write_bytes(b"")
    assert not is_audio(tmp_path / "imgs")
    assert AudioSpec(SR, 10).modality == "audio"


def test_augment_reads_a_folder_of_clips(tmp_path, clips):
    for i in range(6):
        label = clips.label_names[i]
        (tmp_path / "clips" / label).mkdir(parents=True, exist_ok=True)
        sf.write(tmp_path / "clips" / label / f"{i}.wav", clips.waveforms[i], SR)
    out = augment(tmp_path / "clips", "audio_augment", n_new=4, seed=0)
    assert isinstance(out, Audio) and len(out) == 10 and out.spec.sample_rate == SR
    assert list(out.source).count("synthetic") == 4

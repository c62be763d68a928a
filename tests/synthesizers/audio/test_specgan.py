"""specgan: a label-conditional GAN on log-mel spectrograms (tiny tones at 8 kHz)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import synthset.synthesizers.audio.specgan  # noqa: F401  (registers "specgan")
from synthset import load, make_synthesizer
from synthset.errors import ConfigError, DataError
from synthset.models.audio.spec_nets import parse_spec_policy, spec_augment
from tests.synthesizers.audio import LENGTH, SAMPLE_RATE, make_tones, own_band_share

TINY = dict(batch_size=8, latent_dim=8, width=4, n_mels=32, griffin_lim_iters=4, device="cpu")


@pytest.fixture(scope="module")
def tones():
    return make_tones(16, seed=0)


@pytest.fixture(scope="module")
def fitted(tones):
    return make_synthesizer("specgan", epochs=3, random_state=0, **TINY).fit(tones)


@pytest.fixture(scope="module")
def learned():
    """A fit long enough to learn which tone each class is (~300 steps, a few seconds)."""
    params = {**TINY, "width": 8, "latent_dim": 16, "griffin_lim_iters": 16}
    params.update(lr_g=4e-4, lr_d=4e-4)  # 1.0 of the clips in the right band for seeds 0-2
    synth = make_synthesizer("specgan", epochs=150, random_state=0, **params)
    return synth.fit(make_tones(16, seed=1))


def test_specgan_fit_sample_shapes_and_spec(fitted, tones):
    out = fitted.sample(5, seed=0)
    assert out.waveforms.shape == (5, LENGTH)
    assert out.waveforms.dtype == np.float32
    assert out.spec == tones.spec
    assert np.isfinite(out.waveforms).all() and np.abs(out.waveforms).max() <= 1.0
    assert out.labels is not None and set(out.labels) <= {0, 1}
    assert fitted.conditional and fitted.n_classes_ == 2
    assert [h["epoch"] for h in fitted.history_] == [1, 2, 3]
    assert {"loss_d", "loss_g"} <= set(fitted.history_[-1])
    x, y = fitted.sample_spectrograms(3, seed=0, conditions={"label": "high"})
    assert x.shape == (3, 1, 32, fitted.codec_.shape[1]) and x.abs().max() <= 1.0
    assert y.tolist() == [tones.spec.class_code("high")] * 3


def test_specgan_same_seed_same_samples(fitted):
    a, b = fitted.sample(4, seed=7), fitted.sample(4, seed=7)
    np.testing.assert_array_equal(a.waveforms, b.waveforms)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(a.waveforms, fitted.sample(4, seed=8).waveforms)


def test_specgan_save_load_identical(fitted, tmp_path):
    fitted.save(tmp_path / "run")
    again = load(tmp_path / "run")
    assert type(again) is type(fitted)
    for cond in (None, {"label": "low"}):
        a = fitted.sample(4, seed=3, conditions=cond)
        b = again.sample(4, seed=3, conditions=cond)
        np.testing.assert_array_equal(a.waveforms, b.waveforms)
        np.testing.assert_array_equal(a.labels, b.labels)
    assert again.history_ == fitted.history_


def test_specgan_conditions_draw_the_class(learned):
    for tone in ("low", "high"):
        out = learned.sample(32, seed=2, conditions={"label": tone})
        assert (out.label_names == tone).all()
        share = own_band_share(out.waveforms, tone)
        assert share >= 0.8, f"{tone}: only {share:.0%} of the clips peak in its band"
        # the class did not collapse onto one spectrogram (the mode-seeking term)
        x, _ = learned.sample_spectrograms(8, seed=3, conditions={"label": tone})
        assert (x[:4] - x[4:]).abs().mean() > 0.02


def test_specgan_unconditional_on_unlabelled_clips():
    synth = make_synthesizer("specgan", epochs=2, random_state=0, **TINY)
    synth.fit(make_tones(16, labelled=False))
    assert synth.n_classes_ == 0
    out = synth.sample(3, seed=0)
    assert out.labels is None and out.waveforms.shape == (3, LENGTH)
    with pytest.raises(ConfigError, match="without labels"):
        synth.sample(2, seed=0, conditions={"label": "low"})


def test_specgan_unknown_class_is_an_error(fitted):
    with pytest.raises(DataError, match="nope"):
        fitted.sample(2, seed=0, conditions={"label": "nope"})
    with pytest.raises(ConfigError):
        fitted.sample(2, seed=0, conditions={"speaker": "x"})


@pytest.mark.parametrize(
    "bad",
    [
        {"epochs": 0},
        {"n_mels": 40},  # not a multiple of 16
        {"loss": "wgan"},
        {"betas": (1.0, 0.9)},
        {"augment": "color"},
        {"ema": 1.0},
        {"lr_d": 0.0},
        {"mode_seeking": -1.0},
        {"griffin_lim_iters": -1},
        {"dynamic_range_db": 5.0},
    ],
)
def test_specgan_bad_params_raise_config_error(bad, tones):
    params = {**TINY, "epochs": 1, **bad}
    name = next(iter(bad))
    with pytest.raises(ConfigError, match=name):
        make_synthesizer("specgan", **params).fit(tones)


def test_spec_augment_keeps_shape_and_is_seeded():
    x = torch.rand(6, 1, 16, 32) * 2 - 1
    policy = parse_spec_policy("gain,shift,mask")
    a = spec_augment(x, policy, torch.Generator().manual_seed(0))
    b = spec_augment(x, policy, torch.Generator().manual_seed(0))
    assert a.shape == x.shape and torch.equal(a, b)
    # a pure time shift moves frames and fills with silence, never invents values
    s = spec_augment(x, ("shift",), torch.Generator().manual_seed(1))
    assert set(torch.unique(s).tolist()) <= set(torch.unique(x).tolist()) | {-1.0}
    with pytest.raises(ValueError, match="color"):
        parse_spec_policy("gain,color")


def test_specgan_sample_rate_of_output(fitted):
    assert fitted.sample(1, seed=0).sample_rate == SAMPLE_RATE


def test_specgan_bce_loss_with_r1_penalty_trains(tones):
    params = {**TINY, "loss": "bce", "r1_weight": 1.0, "augment": "", "ema": None}
    synth = make_synthesizer("specgan", epochs=2, random_state=0, **params).fit(tones)
    assert synth.augment_used_ == ""
    assert all(np.isfinite(h["r1"]) and h["r1"] >= 0 for h in synth.history_)
    assert synth.sample(2, seed=0).waveforms.shape == (2, LENGTH)

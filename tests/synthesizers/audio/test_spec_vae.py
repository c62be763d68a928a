"""spec_vae: a conditional convolutional VAE on log-mel spectrograms (tiny tones at 8 kHz)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import synthset.synthesizers.audio.spec_vae  # noqa: F401  (registers "spec_vae")
from synthset import load, make_synthesizer
from synthset.errors import ConfigError, DataError
from tests.synthesizers.audio import LENGTH, make_tones, own_band_share

TINY = dict(batch_size=8, latent_dim=4, width=4, n_mels=32, griffin_lim_iters=4, device="cpu")


@pytest.fixture(scope="module")
def tones():
    return make_tones(16, seed=0)


@pytest.fixture(scope="module")
def fitted(tones):
    return make_synthesizer("spec_vae", epochs=3, random_state=0, **TINY).fit(tones)


@pytest.fixture(scope="module")
def learned():
    """A fit long enough to learn the tones (~300 steps, a few seconds)."""
    params = {**TINY, "width": 8, "latent_dim": 8, "griffin_lim_iters": 16}
    synth = make_synthesizer("spec_vae", epochs=150, kl_warmup=10, random_state=0, **params)
    return synth.fit(make_tones(16, seed=1))


def test_spec_vae_fit_sample_shapes_and_spec(fitted, tones):
    out = fitted.sample(5, seed=0)
    assert out.waveforms.shape == (5, LENGTH)
    assert out.spec == tones.spec
    assert np.isfinite(out.waveforms).all() and np.abs(out.waveforms).max() <= 1.0
    assert out.labels is not None and set(out.labels) <= {0, 1}
    assert fitted.n_classes_ == 2
    assert len(fitted.history_) == 3
    assert {"loss", "nelbo_per_bin", "reconstruction", "kl", "sigma"} <= set(fitted.history_[0])


def test_spec_vae_same_seed_same_samples(fitted):
    a, b = fitted.sample(4, seed=7), fitted.sample(4, seed=7)
    np.testing.assert_array_equal(a.waveforms, b.waveforms)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(a.waveforms, fitted.sample(4, seed=8).waveforms)


def test_spec_vae_save_load_identical(fitted, tmp_path):
    fitted.save(tmp_path / "run")
    again = load(tmp_path / "run")
    for cond in (None, {"label": "high"}):
        a = fitted.sample(4, seed=3, conditions=cond)
        b = again.sample(4, seed=3, conditions=cond)
        np.testing.assert_array_equal(a.waveforms, b.waveforms)
        np.testing.assert_array_equal(a.labels, b.labels)
    # the class priors travel with the weights
    torch.testing.assert_close(again.model_.prior.weight, fitted.model_.prior.weight)


def test_spec_vae_loss_goes_down(learned):
    nelbo = [h["nelbo_per_bin"] for h in learned.history_]
    assert np.mean(nelbo[-10:]) < np.mean(nelbo[:10]) - 0.5
    assert learned.history_[-1]["sigma"] < learned.history_[0]["sigma"]


def test_spec_vae_conditions_draw_the_class(learned):
    for tone in ("low", "high"):
        out = learned.sample(32, seed=2, conditions={"label": tone})
        assert (out.label_names == tone).all()
        share = own_band_share(out.waveforms, tone)
        assert share >= 0.8, f"{tone}: only {share:.0%} of the clips peak in its band"


def test_spec_vae_temperature_zero_draws_the_class_mean(learned):
    learned.set_params(temperature=0.0)
    try:
        x, _ = learned.sample_spectrograms(3, seed=0, conditions={"label": "low"})
        y, _ = learned.sample_spectrograms(3, seed=1, conditions={"label": "low"})
    finally:
        learned.set_params(temperature=1.0)
    torch.testing.assert_close(x, y)
    torch.testing.assert_close(x[0], x[2])


def test_spec_vae_sampling_prior_is_fitted_to_the_codes(learned, tones):
    model = learned.model_
    assert model.sample_loc.shape == (2, 8) and model.sample_scale.shape == (2, 8)
    assert not torch.allclose(model.sample_scale, torch.ones_like(model.sample_scale))
    assert (model.sample_scale > 0).all()
    # the two classes' codes sit apart
    assert (model.sample_loc[0] - model.sample_loc[1]).norm() > 0.5


def test_spec_vae_unconditional_on_unlabelled_clips():
    synth = make_synthesizer("spec_vae", epochs=2, random_state=0, **TINY)
    synth.fit(make_tones(16, labelled=False))
    assert synth.n_classes_ == 0 and synth.model_.prior is None
    assert synth.model_.sample_loc.shape == (1, 4)
    out = synth.sample(3, seed=0)
    assert out.labels is None and out.waveforms.shape == (3, LENGTH)
    with pytest.raises(ConfigError, match="without labels"):
        synth.sample(2, seed=0, conditions={"label": "low"})


def test_spec_vae_unknown_class_is_an_error(fitted):
    with pytest.raises(DataError, match="nope"):
        fitted.sample(2, seed=0, conditions={"label": "nope"})


@pytest.mark.parametrize(
    "bad",
    [
        {"epochs": 0},
        {"n_mels": 24},
        {"beta": -1.0},
        {"sigma": 0.0},
        {"kl_warmup": -1},
        {"temperature": -0.5},
        {"lr": 0},
        {"latent_dim": 0},
    ],
)
def test_spec_vae_bad_params_raise_config_error(bad, tones):
    params = {**TINY, "epochs": 1, **bad}
    with pytest.raises(ConfigError, match=next(iter(bad))):
        make_synthesizer("spec_vae", **params).fit(tones)


def test_spec_vae_fixed_sigma(tones):
    synth = make_synthesizer("spec_vae", epochs=2, sigma=0.2, random_state=0, **TINY).fit(tones)
    assert all(abs(h["sigma"] - 0.2) < 1e-6 for h in synth.history_)

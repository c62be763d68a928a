"""DP training of the image GANs and VAEs: budget met and saved, the class prior is private,
and the models that have no per-sample form refuse DP with a clear error."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("opacus")

from synthset.errors import ConfigError  # noqa: E402
from synthset.registry import make_synthesizer  # noqa: E402
from tests.conftest import IMAGE_TINY_PARAMS, make_tiny_images  # noqa: E402

DP_IMAGE_MODELS = ["dcgan", "cgan", "vae", "beta_vae", "cvae"]


@pytest.mark.parametrize("name", DP_IMAGE_MODELS)
def test_dp_image_models_meet_and_save_the_budget(name, tmp_path):
    images = make_tiny_images(64)
    s = make_synthesizer(name, **IMAGE_TINY_PARAMS[name], dp={"epsilon": 3.0, "delta": 1e-3})
    s.fit(images)
    p = s.privacy_
    assert 2.9 <= p["epsilon"] <= 3.0 and p["delta"] == 1e-3
    assert p["steps"] == 2 * (64 // 4) and p["sample_rate"] == pytest.approx(4 / 64)
    assert [h["epsilon"] for h in s.history_][-1] == pytest.approx(p["epsilon"])
    if s.conditional:  # class frequencies are released as a noisy histogram, and paid for
        assert p["preprocessing"]["noise_multiplier"] > 0
        assert p["preprocessing"]["epsilon_alone"] > 0
    else:
        assert p["preprocessing"]["epsilon_alone"] == 0
    out = s.sample(6, seed=0)
    assert out.pixels.shape == (6, 8, 8, 1)
    saved = s.save(tmp_path / "m")
    assert json.loads((saved / "config.json").read_text())["privacy"]["epsilon"] == p["epsilon"]
    back = type(s).load(saved)
    assert back.privacy_ == json.loads(json.dumps(p))
    np.testing.assert_array_equal(back.sample(6, seed=0).pixels, out.pixels)


def test_dp_vae_learns_at_a_large_budget():
    images = make_tiny_images(128)
    params = {**IMAGE_TINY_PARAMS["vae"], "epochs": 6, "batch_size": 16, "lr": 3e-3}
    s = make_synthesizer("vae", **params, dp={"epsilon": 1e4, "delta": 1e-3}).fit(images)
    losses = [h["loss"] for h in s.history_]
    assert losses[-1] < 0.9 * losses[0]


def test_models_without_per_sample_gradients_refuse_dp():
    with pytest.raises(ConfigError):
        make_synthesizer("wgan_gp", dp={"epsilon": 1.0})
    s = make_synthesizer("cgan", **IMAGE_TINY_PARAMS["cgan"], spectral_norm=True, dp=1.0)
    with pytest.raises(ConfigError, match="spectral_norm"):
        s.fit(make_tiny_images(16))

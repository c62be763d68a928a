"""The image synthesizers learn a clear signal of tiny 8×8 images within seconds.

Class "top" images are bright in the upper half, "bottom" ones in the lower half. A model that
learned the data draws images with one bright half (|top − bottom| large); a conditional model
draws the half it is asked for.
"""

from __future__ import annotations

import numpy as np
import pytest

from synthset import make_synthesizer
from tests.conftest import make_tiny_images

_FAST_GAN = dict(lr_g=1e-3, lr_d=1e-3, diffaugment="")  # 240 steps suffice at this rate
PARAMS = {
    "dcgan": dict(epochs=30, batch_size=32, z_dim=16, g_width=16, d_width=16, **_FAST_GAN),
    "cgan": dict(epochs=30, batch_size=32, z_dim=16, g_width=16, d_width=16, **_FAST_GAN),
    "stylegan": dict(
        epochs=20,
        batch_size=32,
        z_dim=16,
        w_dim=16,
        base_channels=16,
        max_channels=32,
        mapping_layers=2,
        lr_g=5e-3,
        lr_d=5e-3,
        diffaugment="",
    ),
    "vae": dict(epochs=40, batch_size=32, latent_dim=4, width=16),
    "cvae": dict(epochs=80, batch_size=32, latent_dim=4, width=16),
}


def halves(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = pixels[..., 0].astype(float)
    return x[:, :4].mean((1, 2)), x[:, 4:].mean((1, 2))


@pytest.fixture(scope="module")
def data():
    return make_tiny_images(n=256, seed=1)


@pytest.mark.parametrize("name", list(PARAMS))
def test_learns_bright_halves(name, data):
    synth = make_synthesizer(name, **PARAMS[name], random_state=0, device="cpu").fit(data)
    top, bottom = halves(synth.sample(200, seed=0).pixels)
    gap = np.abs(top - bottom)
    assert np.median(gap) > 80, f"{name}: median |top − bottom| {np.median(gap):.1f}"
    # both modes are drawn (no collapse onto one class)
    assert 0.2 < np.mean(top > bottom) < 0.8
    if synth.conditional:
        for cls, sign in (("top", 1), ("bottom", -1)):
            t, b = halves(synth.sample(100, seed=1, conditions={"label": cls}).pixels)
            assert np.mean(sign * (t - b) > 40) > 0.9, f"{name} ignores the condition {cls}"


def test_vae_training_lowers_the_loss(data):
    synth = make_synthesizer("vae", **PARAMS["vae"], random_state=0, device="cpu").fit(data)
    first, last = synth.history_[0]["loss"], synth.history_[-1]["loss"]
    assert last < 0.8 * first

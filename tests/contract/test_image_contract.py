"""One suite over every registered image synthesizer, on 16 tiny 8×8 images (seconds in all)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from synthset import list_synthesizers, load, make_synthesizer
from synthset.data.images import Images
from synthset.errors import ConfigError, DataError, NotFittedError, SynthsetWarning
from tests.conftest import IMAGE_TINY_PARAMS, make_tiny_images

NAMES = list_synthesizers(modality="image")
# every registered model, plus the class-conditional variant of stylegan
CASES = [(n, n) for n in NAMES] + [("stylegan", "stylegan_labels")]


def test_every_image_synthesizer_has_tiny_params():
    assert set(NAMES) <= set(IMAGE_TINY_PARAMS), "add tiny params for new image synthesizers"
    assert {"dcgan", "wgan_gp", "cgan", "vae", "beta_vae", "cvae", "stylegan"} <= set(NAMES)


@pytest.fixture(scope="module", params=CASES, ids=[k for _, k in CASES])
def fitted(request):
    name, key = request.param
    images = make_tiny_images()
    synth = make_synthesizer(name, **IMAGE_TINY_PARAMS[key])
    returned = synth.fit(images)
    return name, synth, returned, images


def test_fit_returns_self_and_history(fitted):
    _, synth, returned, _ = fitted
    assert returned is synth
    assert len(synth.history_) == IMAGE_TINY_PARAMS[synth.name]["epochs"]
    assert all(np.isfinite(v) for h in synth.history_ for v in h.values())


def test_sample_matches_spec(fitted):
    _, synth, _, images = fitted
    out = synth.sample(10, seed=1)
    assert isinstance(out, Images)
    assert out.pixels.shape == (10, 8, 8, 1) and out.pixels.dtype == np.uint8
    assert out.spec.shape == images.spec.shape
    if synth.conditional:
        assert out.labels is not None and set(out.label_names) <= {"top", "bottom"}
    else:
        assert out.labels is None


def test_same_seed_same_images(fitted):
    _, synth, _, _ = fitted
    a, b, c = (synth.sample(6, seed=s).pixels for s in (7, 7, 8))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_sampling_in_batches_is_seamless(fitted):
    _, synth, _, _ = fitted
    old = synth.sample_batch_size
    try:
        synth.sample_batch_size = 4
        out = synth.sample(10, seed=3)
        assert len(out) == 10
    finally:
        synth.sample_batch_size = old


def test_save_load_identical_samples(fitted, tmp_path):
    _, synth, _, _ = fitted
    synth.save(tmp_path / "run")
    again = load(tmp_path / "run")
    assert type(again) is type(synth)
    a, b = synth.sample(8, seed=3), again.sample(8, seed=3)
    assert np.array_equal(a.pixels, b.pixels)
    if synth.conditional:
        assert np.array_equal(a.labels, b.labels)
    assert again.spec_.classes == ["bottom", "top"]


def test_conditions(fitted):
    _, synth, _, _ = fitted
    if synth.conditional:
        out = synth.sample(6, seed=0, conditions={"label": "top"})
        assert (out.label_names == "top").all()
        with pytest.raises(DataError, match="left"):
            synth.sample(2, conditions={"label": "left"})
        with pytest.raises(ConfigError, match="colour"):
            synth.sample(2, conditions={"colour": "top"})
    else:
        with pytest.raises(ConfigError, match="unconditional"):
            synth.sample(2, conditions={"label": "top"})


def test_sample_grid_png_shape(fitted):
    _, synth, _, _ = fitted
    grid = synth.sample_grid(4, seed=0)
    assert grid.dtype == np.uint8 and grid.ndim == 3
    rows = 2 if synth.conditional else 4  # a row per class, else 4×4
    assert grid.shape[0] == rows * (8 + 2) + 2


@pytest.mark.parametrize("name", NAMES)
def test_sample_before_fit_raises(name):
    with pytest.raises(NotFittedError):
        make_synthesizer(name).sample(3)


@pytest.mark.parametrize("name", NAMES)
def test_bad_params_name_the_parameter(name):
    with pytest.raises(ConfigError, match="epochs"):
        make_synthesizer(name, epochs=0).fit(make_tiny_images())
    with pytest.warns(SynthsetWarning, match="batch_size=64"):
        synth = make_synthesizer(name, **{**IMAGE_TINY_PARAMS[name], "batch_size": 64, "epochs": 1})
        synth.fit(make_tiny_images())
    assert synth.batch_size_ == 16 and synth.batch_size == 64


@pytest.mark.parametrize("name", NAMES)
def test_fit_is_reproducible_and_leaves_global_rng_alone(name):
    torch_state = torch.get_rng_state().clone()
    np_state = np.random.get_state()[1].copy()
    a = make_synthesizer(name, **IMAGE_TINY_PARAMS[name]).fit(make_tiny_images())
    b = make_synthesizer(name, **IMAGE_TINY_PARAMS[name]).fit(make_tiny_images())
    assert np.array_equal(a.sample(5, seed=1).pixels, b.sample(5, seed=1).pixels)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state)


def test_conditional_models_need_labels():
    unlabelled = Images(make_tiny_images().pixels)
    for name in ("cgan", "cvae"):
        with pytest.raises(DataError, match="labelled"):
            make_synthesizer(name, **IMAGE_TINY_PARAMS[name]).fit(unlabelled)
    make_synthesizer("dcgan", **IMAGE_TINY_PARAMS["dcgan"]).fit(unlabelled)  # fine without


def test_odd_sizes_and_rgb_round_trip():
    """25×25 RGB images (the LFW shape) work: padded to a 32 canvas, cropped back."""
    imgs = make_tiny_images(n=8, size=25, channels=3)
    synth = make_synthesizer("dcgan", **{**IMAGE_TINY_PARAMS["dcgan"], "epochs": 1})
    out = synth.fit(imgs).sample(3, seed=0)
    assert out.pixels.shape == (3, 25, 25, 3)
    assert synth.resolution_ == 32

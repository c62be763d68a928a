"""Tiny, real, seeded data for the tests (64 rows × a few mixed columns)."""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pandas as pd
import pytest

# Tests run on shared 2-core machines: one torch thread avoids OpenMP spin-waiting.
os.environ.setdefault("SYNTHSET_NUM_THREADS", "1")
# Feature-extractor caches of the tests go to a temporary folder, not the user's ~/.cache.
os.environ.setdefault("SYNTHSET_CACHE_DIR", tempfile.mkdtemp(prefix="synthset-test-cache-"))


def make_tiny_frame(n: int = 64, seed: int = 0) -> pd.DataFrame:
    """Numeric, discrete, categorical, boolean, a datetime, one NaN, a constant column."""
    rng = np.random.default_rng(seed)
    x = rng.normal(10.0, 2.0, n).round(2)
    x[3] = np.nan
    return pd.DataFrame(
        {
            "x": x,
            "count": rng.integers(0, 20, n).astype("int64"),
            "color": rng.choice(["red", "green", "blue"], n, p=[0.5, 0.3, 0.2]),
            "flag": rng.random(n) < 0.3,
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), "D"),
            "const": ["same"] * n,
        }
    )


@pytest.fixture
def tiny_frame() -> pd.DataFrame:
    return make_tiny_frame()


# Small networks and a single epoch: each synthesizer fits in well under a second.
TINY_PARAMS: dict[str, dict] = {
    "ctgan": dict(
        epochs=1,
        batch_size=16,
        pac=2,
        embedding_dim=8,
        generator_dim=(16,),
        discriminator_dim=(16,),
        random_state=0,
        device="cpu",
    ),
    "tvae": dict(
        epochs=1,
        batch_size=16,
        embedding_dim=8,
        compress_dims=(16,),
        decompress_dims=(16,),
        random_state=0,
        device="cpu",
    ),
    "gaussian_copula": dict(random_state=0),
}


@pytest.fixture
def tiny_params():
    return TINY_PARAMS


def make_tiny_images(n: int = 16, size: int = 8, seed: int = 0, channels: int = 1):
    """``n`` labelled images: class "top" is bright in the upper half, "bottom" in the lower."""
    from synthset.data.images import Images

    rng = np.random.default_rng(seed)
    labels = np.array(["top", "bottom"] * (n // 2))
    x = rng.uniform(0, 60, (n, size, size, channels))
    half = size // 2
    x[labels == "top", :half] += 180
    x[labels == "bottom", half:] += 180
    return Images.from_arrays(x.astype(np.uint8), labels=labels, name="tiny")


# Tiny networks, one or two epochs: each image synthesizer fits in well under a second.
_TINY_GAN = dict(
    epochs=2, batch_size=4, z_dim=8, g_width=8, d_width=8, random_state=0, device="cpu"
)
_TINY_VAE = dict(epochs=2, batch_size=4, latent_dim=4, width=8, random_state=0, device="cpu")
IMAGE_TINY_PARAMS: dict[str, dict] = {
    "dcgan": _TINY_GAN,
    "wgan_gp": {**_TINY_GAN, "n_critic": 2},
    "cgan": _TINY_GAN,
    "vae": _TINY_VAE,
    "beta_vae": _TINY_VAE,
    "cvae": _TINY_VAE,
    "stylegan": dict(
        epochs=2,
        batch_size=4,
        z_dim=8,
        w_dim=8,
        base_channels=8,
        max_channels=16,
        mapping_layers=2,
        random_state=0,
        device="cpu",
    ),
    "stylegan_labels": dict(
        epochs=2,
        batch_size=4,
        z_dim=8,
        w_dim=8,
        base_channels=8,
        max_channels=16,
        mapping_layers=2,
        use_labels=True,
        random_state=0,
        device="cpu",
    ),
}


def make_tiny_audio(n: int = 16, sample_rate: int = 8_000, seconds: float = 0.25, seed: int = 0):
    """``n`` labelled mono clips: class "low" is a 250 Hz harmonic tone, "high" a 1.2 kHz one,
    each with a random onset, level and a little noise."""
    from synthset.data.audio import Audio

    rng = np.random.default_rng(seed)
    length = int(sample_rate * seconds)
    labels = np.array(["low", "high"] * (n // 2))
    t = np.arange(length) / sample_rate
    f0 = np.where(labels == "low", 250.0, 1_200.0)[:, None] * rng.uniform(0.95, 1.05, (n, 1))
    x = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in (1, 2, 3))
    onset = rng.integers(0, length // 4, (n, 1))
    env = np.clip((np.arange(length)[None] - onset) / (0.01 * sample_rate), 0, 1)
    x = x * env * rng.uniform(0.2, 0.5, (n, 1)) + rng.normal(0, 0.005, (n, length))
    return Audio.from_arrays(x.astype(np.float32), sample_rate, labels=labels, name="tiny")

"""Tiny, real, seeded data for the tests (64 rows × a few mixed columns)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

# Tests run on shared 2-core machines: one torch thread avoids OpenMP spin-waiting.
os.environ.setdefault("SYNTHSET_NUM_THREADS", "1")


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

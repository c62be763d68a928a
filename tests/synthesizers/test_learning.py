"""The neural synthesizers learn a clear dependency between columns, well above chance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthset import make_synthesizer


def dependent_frame(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    """``group`` decides ``label`` (95%) and shifts ``value`` by 6 standard deviations."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], n)
    label = np.where(group == "a", "yes", "no")
    flip = rng.random(n) < 0.05
    label = np.where(flip, np.where(label == "yes", "no", "yes"), label)
    value = np.where(group == "a", 0.0, 6.0) + rng.normal(0, 1, n)
    return pd.DataFrame({"group": group, "label": label, "value": value.round(3)})


PARAMS = {
    "ctgan": dict(
        epochs=60,
        batch_size=100,
        pac=10,
        embedding_dim=16,
        generator_dim=(64,),
        generator_lr=2e-3,
        discriminator_lr=2e-3,
        discriminator_dim=(64,),
        random_state=0,
        device="cpu",
    ),
    "tvae": dict(
        epochs=100,
        batch_size=100,
        embedding_dim=16,
        compress_dims=(64,),
        decompress_dims=(64,),
        random_state=0,
        device="cpu",
    ),
    "gaussian_copula": dict(random_state=0),
}


@pytest.mark.parametrize("name", ["ctgan", "tvae", "gaussian_copula"])
def test_learns_dependency(name):
    df = dependent_frame()
    synth = make_synthesizer(name, **PARAMS[name]).fit(df)
    fake = synth.sample(2000, seed=1).data
    agree = ((fake["group"] == "a") == (fake["label"] == "yes")).mean()
    gap = (
        fake.loc[fake["group"] == "b", "value"].mean()
        - fake.loc[fake["group"] == "a", "value"].mean()
    )
    # chance is 0.5 agreement and no gap; the data has 0.95 and a gap of 6
    assert agree > 0.75, agree
    assert gap > 3.0, gap


@pytest.mark.parametrize("name", ["ctgan", "tvae"])
def test_training_lowers_the_loss(name):
    df = dependent_frame(500)
    params = dict(PARAMS[name], epochs=15)
    synth = make_synthesizer(name, **params).fit(df)
    key = "cond" if name == "ctgan" else "loss"
    first, last = synth.history_[0][key], synth.history_[-1][key]
    assert last < first, (first, last)
    assert len(synth.history_) == 15 and all("seconds" in h for h in synth.history_)


def test_ctgan_condition_shifts_other_columns():
    """Conditioning on group=b through the conditional vector moves value, not just the label."""
    df = dependent_frame()
    synth = make_synthesizer("ctgan", **PARAMS["ctgan"]).fit(df)
    b = synth.sample(500, seed=2, conditions={"group": "b"}).data
    a = synth.sample(500, seed=2, conditions={"group": "a"}).data
    assert (b["group"] == "b").all() and (a["group"] == "a").all()
    assert b["value"].mean() - a["value"].mean() > 3.0
    assert (b["label"] == "no").mean() > 0.75


def test_small_data_warns_about_few_steps():
    from synthset.synthesizers._neural import FewStepsWarning

    df = dependent_frame(100)
    with pytest.warns(FewStepsWarning, match="one step per epoch"):
        make_synthesizer("tvae", epochs=2, batch_size=500, random_state=0).fit(df)

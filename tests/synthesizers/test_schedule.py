"""The neural table synthesizers' default schedule follows the row count."""

from __future__ import annotations

import warnings

import pytest

from synthset import make_synthesizer
from synthset.synthesizers._neural import FewStepsWarning, plan_schedule, steps_per_epoch
from tests.conftest import TINY_PARAMS, make_tiny_frame

SMALL_NETS = {
    "ctgan": {"embedding_dim": 8, "generator_dim": (16,), "discriminator_dim": (16,), "pac": 2},
    "tvae": {"embedding_dim": 8, "compress_dims": (16,), "decompress_dims": (16,)},
}


@pytest.mark.parametrize(
    ("rows", "batch", "epochs"),
    [
        (406, 40, 300),  # a small table: a tenth of the rows per step, 3,000 steps
        (64, 20, 1_000),  # tiny: the smallest batch, epochs raised to reach 3,000 steps
        (32_561, 500, 300),  # adult keeps CTGAN's own defaults (19,500 steps)
        (1_000_000, 500, 15),  # long: at most 30,000 steps
    ],
)
def test_defaults_scale_with_the_rows(rows, batch, epochs):
    assert plan_schedule(rows, None, None, multiple=10) == (batch, epochs)
    steps = steps_per_epoch(rows, batch) * epochs
    assert 3_000 <= steps <= 30_000


def test_explicit_values_are_kept_and_batches_respect_pac():
    assert plan_schedule(406, 128, 7, multiple=10) == (128, 7)
    assert plan_schedule(406, None, None, multiple=4)[0] % 4 == 0
    assert plan_schedule(5_000, None, None, private=True) == (500, 300)


@pytest.mark.parametrize("name", ["ctgan", "tvae"])
def test_fitted_schedule_is_recorded_and_warned_only_when_explicit(name):
    df = make_tiny_frame(120)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewStepsWarning)
        auto = make_synthesizer(name, epochs=2, random_state=0, **SMALL_NETS[name]).fit(df)
    assert auto.batch_size_ == 20 and auto.epochs_ == 2
    assert len(auto.history_) == 2  # one record per epoch
    with pytest.warns(FewStepsWarning, match="batch_size=500"):
        make_synthesizer(name, epochs=2, batch_size=500, random_state=0, **SMALL_NETS[name]).fit(df)


@pytest.mark.parametrize("name", ["ctgan", "tvae"])
def test_max_seconds_stops_training(name):
    params = {**TINY_PARAMS[name], "epochs": 100_000, "max_seconds": 0.5}
    synth = make_synthesizer(name, **params).fit(make_tiny_frame())
    assert len(synth.history_) < 100_000

"""The training loop and its callbacks, on a one-parameter problem."""

from __future__ import annotations

import pytest
import torch

from synthset.errors import ConfigError, SynthsetError
from synthset.training import Checkpoint, EarlyStopping, History, Trainer


def quadratic_step(target: float = 3.0, lr: float = 0.1):
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr)

    def step():
        loss = ((w - target) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return {"loss": loss.detach()}

    return w, opt, step


def test_trainer_lowers_loss_and_records_history():
    w, _, step = quadratic_step()
    hist = History()
    trainer = Trainer(epochs=5, steps_per_epoch=10, callbacks=[hist])
    history = trainer.fit(step)
    assert [h["epoch"] for h in history] == [1, 2, 3, 4, 5]
    assert history[-1]["loss"] < history[0]["loss"]
    assert hist.records == history
    assert abs(w.item() - 3.0) < 0.01


def test_early_stopping_stops_when_flat():
    _, _, step = quadratic_step(lr=0.0)  # the loss never improves
    es = EarlyStopping("loss", patience=2)
    history = Trainer(epochs=50, steps_per_epoch=2, callbacks=[es]).fit(step)
    assert len(history) == 3 and es.stopped_epoch == 3


def test_early_stopping_unknown_metric():
    _, _, step = quadratic_step()
    with pytest.raises(ConfigError, match="nope"):
        Trainer(epochs=2, steps_per_epoch=1, callbacks=[EarlyStopping("nope")]).fit(step)


def test_checkpoint_loads_with_weights_only(tmp_path):
    w, opt, step = quadratic_step()
    path = tmp_path / "ckpt.pt"
    trainer = Trainer(
        epochs=3,
        steps_per_epoch=2,
        callbacks=[Checkpoint(path, every=2)],
        state_fn=lambda: {"w": w.detach().clone(), "opt": opt.state_dict()},
    )
    trainer.fit(step)
    state = torch.load(path, weights_only=True)
    assert state["epoch"] == 2 and "opt" in state and len(state["history"]) == 2


def test_nan_loss_is_reported():
    def step():
        return {"loss": torch.tensor(float("nan"))}

    with pytest.raises(SynthsetError, match="diverged"):
        Trainer(epochs=2, steps_per_epoch=1).fit(step)

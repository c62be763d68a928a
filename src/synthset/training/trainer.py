"""A small training loop: epochs of steps, losses kept on the device, callbacks per epoch.

Each model family supplies a ``step()`` closure that runs one optimisation step and returns its
losses as (detached) tensors. The trainer sums them on the device and reads them back once per
epoch, so there is no host synchronisation inside the hot loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

from synthset.training.callbacks import Callback

StepFn = Callable[[], dict[str, Tensor]]


class Trainer:
    """Run ``epochs × steps_per_epoch`` calls of a step function.

    Args:
        epochs: number of passes.
        steps_per_epoch: steps in one pass (usually rows // batch_size).
        callbacks: hooks called at fit start, each step end, each epoch end and fit end.
        state_fn: returns the state to checkpoint (module and optimizer ``state_dict``s).
    """

    def __init__(
        self,
        *,
        epochs: int,
        steps_per_epoch: int,
        callbacks: Sequence[Callback] = (),
        state_fn: Callable[[], dict[str, Any]] | None = None,
    ):
        self.epochs = epochs
        self.steps_per_epoch = steps_per_epoch
        self.callbacks = list(callbacks)
        self.state_fn = state_fn
        self.history: list[dict[str, float]] = []
        self.should_stop = False
        self.epoch = 0

    def fit(self, step: StepFn) -> list[dict[str, float]]:
        for cb in self.callbacks:
            cb.on_fit_start(self)
        try:
            for epoch in range(self.epochs):
                self.epoch = epoch
                t0 = time.perf_counter()
                sums: dict[str, Tensor] = {}
                done = 0
                for _ in range(self.steps_per_epoch):
                    logs = step()
                    done += 1
                    for k, v in logs.items():
                        v = v.detach()
                        sums[k] = sums[k] + v if k in sums else v.clone()
                    for cb in self.callbacks:
                        cb.on_step_end(self, logs)
                    if self.should_stop:  # e.g. a time budget ran out mid-epoch
                        break
                # one host sync per epoch
                keys = list(sums)
                values = torch.stack([sums[k].float() for k in keys]).cpu().tolist() if keys else []
                epoch_logs = {k: v / max(done, 1) for k, v in zip(keys, values, strict=False)}
                if any(v != v for v in epoch_logs.values()):  # NaN
                    from synthset.errors import SynthsetError

                    raise SynthsetError(
                        f"training diverged at epoch {epoch + 1} (a loss became NaN); lower the "
                        "learning rate or check the data for extreme values"
                    )
                epoch_logs = {
                    "epoch": epoch + 1,
                    **epoch_logs,
                    "steps": done,
                    "seconds": time.perf_counter() - t0,
                }
                self.history.append(epoch_logs)
                for cb in self.callbacks:
                    cb.on_epoch_end(self, epoch_logs)
                if self.should_stop:
                    break
        finally:
            for cb in self.callbacks:
                cb.on_fit_end(self)
        return self.history

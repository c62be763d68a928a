"""Training callbacks: progress bar, history, early stopping, checkpoints (four hooks only)."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from synthset.errors import ConfigError

if TYPE_CHECKING:
    from synthset.training.trainer import Trainer


class Callback:
    """Base class; override any of the four hooks."""

    def on_fit_start(self, trainer: Trainer) -> None:
        pass

    def on_step_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        pass

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, float]) -> None:
        pass

    def on_fit_end(self, trainer: Trainer) -> None:
        pass


class ProgressBar(Callback):
    """A rich progress bar on stderr, advanced per step, with the last epoch's losses."""

    def __init__(self, description: str = "fit"):
        self.description = description
        self._progress = None
        self._task = None

    def on_fit_start(self, trainer: Trainer) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.table import Column

        # losses last: on a narrow terminal rich shortens the last column, not the counts
        self._progress = Progress(
            TextColumn("[bold]{task.description}", table_column=Column(no_wrap=True, min_width=5)),
            BarColumn(bar_width=20, table_column=Column(no_wrap=True, width=20)),
            MofNCompleteColumn(table_column=Column(no_wrap=True, min_width=11)),
            TimeElapsedColumn(table_column=Column(no_wrap=True, min_width=7)),
            TimeRemainingColumn(table_column=Column(no_wrap=True, min_width=7)),
            TextColumn(
                "{task.fields[losses]}",
                table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1),
            ),
            console=Console(stderr=True),
            transient=False,
        )
        self._progress.start()
        total = trainer.epochs * trainer.steps_per_epoch
        self._task = self._progress.add_task(self.description, total=total, losses="")

    def on_step_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        self._progress.advance(self._task)

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, float]) -> None:
        shown = " ".join(
            f"{k}={v:.4g}" for k, v in logs.items() if k not in ("epoch", "steps", "seconds")
        )
        self._progress.update(self._task, losses=f"ep {logs['epoch']} {shown}")

    def on_fit_end(self, trainer: Trainer) -> None:
        if self._progress is not None:
            self._progress.stop()


class History(Callback):
    """Keeps every epoch's logs in ``records`` (the trainer also keeps ``trainer.history``)."""

    def __init__(self) -> None:
        self.records: list[dict[str, float]] = []

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, float]) -> None:
        self.records.append(dict(logs))


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs."""

    def __init__(
        self, monitor: str = "loss", patience: int = 10, min_delta: float = 0.0, mode: str = "min"
    ):
        if patience < 1:
            raise ConfigError(f"`patience` must be an int ≥ 1, got {patience}")
        if mode not in ("min", "max"):
            raise ConfigError(f"`mode` must be 'min' or 'max', got {mode!r}")
        self.monitor, self.patience, self.min_delta, self.mode = monitor, patience, min_delta, mode
        self.best = math.inf
        self.wait = 0
        self.stopped_epoch: int | None = None

    def on_fit_start(self, trainer: Trainer) -> None:
        self.best, self.wait, self.stopped_epoch = math.inf, 0, None

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, float]) -> None:
        if self.monitor not in logs:
            raise ConfigError(
                f"EarlyStopping monitors {self.monitor!r}, but the losses are "
                f"{[k for k in logs if k not in ('epoch', 'seconds')]}"
            )
        value = logs[self.monitor] if self.mode == "min" else -logs[self.monitor]
        if value < self.best - self.min_delta:
            self.best, self.wait = value, 0
        else:
            self.wait += 1
            if self.wait >= self.patience:
                trainer.should_stop = True
                self.stopped_epoch = int(logs["epoch"])


class TimeBudget(Callback):
    """Stop training once ``seconds`` of wall-clock time have passed (checked every step).

    Benchmarks compare models at an equal time budget with it; the last epoch is then partial
    and its ``steps`` entry in the history says how many steps it ran.
    """

    def __init__(self, seconds: float):
        self.seconds = float(seconds)
        self._start = 0.0

    def on_fit_start(self, trainer: Trainer) -> None:
        self._start = time.perf_counter()

    def on_step_end(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        if time.perf_counter() - self._start >= self.seconds:
            trainer.should_stop = True


class Checkpoint(Callback):
    """Every ``every`` epochs, save ``trainer.state_fn()`` (state_dicts) to ``path`` atomically.

    Read it back with ``torch.load(path, weights_only=True)``: tensors and plain containers only.
    """

    def __init__(self, path: str | os.PathLike, every: int = 1):
        if every < 1:
            raise ConfigError(f"`every` must be an int ≥ 1, got {every}")
        self.path = Path(path)
        self.every = every

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, float]) -> None:
        if trainer.state_fn is None or int(logs["epoch"]) % self.every:
            return
        state = {"epoch": int(logs["epoch"]), "history": trainer.history, **trainer.state_fn()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.path)

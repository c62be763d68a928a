"""The training loop and its callbacks."""

from synthset.training.callbacks import (
    Callback,
    Checkpoint,
    EarlyStopping,
    History,
    ProgressBar,
    TimeBudget,
)
from synthset.training.trainer import Trainer

__all__ = [
    "Callback",
    "Checkpoint",
    "EarlyStopping",
    "History",
    "ProgressBar",
    "TimeBudget",
    "Trainer",
]

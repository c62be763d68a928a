"""Training-loop helpers the neural image, text and audio synthesizers share."""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor

from synthset.training.callbacks import Callback, ProgressBar, TimeBudget


class LoopMixin:
    """Callbacks from ``callbacks`` / ``verbose`` / ``max_seconds``, endless index batches,
    and class codes drawn from the training class frequencies (``class_prior_``)."""

    def _callbacks(self) -> list[Callback]:
        cbs: list[Callback] = list(self.callbacks or [])
        if self.verbose:
            cbs.append(ProgressBar(self.name))
        if self.max_seconds is not None:
            cbs.append(TimeBudget(self.max_seconds))
        return cbs

    @staticmethod
    def _batches(
        n: int, batch: int, gen: torch.Generator, device: torch.device
    ) -> Iterator[Tensor]:
        """Endless batches of indices: a fresh permutation every pass (no partial batches)."""
        while True:
            perm = torch.randperm(n, generator=gen, device=device)
            for k in range(n // batch):
                yield perm[k * batch : (k + 1) * batch]

    def _draw_labels(self, m: int, gen: torch.Generator) -> Tensor | None:
        if not self.n_classes_:
            return None
        prior = torch.tensor(self.class_prior_, device=self.device_)
        return torch.multinomial(prior, m, replacement=True, generator=gen)

"""CTGAN's conditional vector and training-by-sampling, precomputed and kept on the device.

Reference CTGAN draws each training row with ``np.random.choice`` inside a Python loop over the
batch. Here, for every discrete column, the row indices are sorted by category once; a category
is then a (start, count) slice of that order, and a batch of rows matching a batch of sampled
conditions is one gather: ``order[start + floor(u * count)]``.
"""

from __future__ import annotations

import torch
from torch import Tensor


class ConditionalSampler:
    """Samples conditional vectors and matching real rows.

    Args:
        counts: (n_cols, max_slots) rows per slot of each discrete column.
        sizes: number of slots of each discrete column.
        device: where every table lives.
        codes: (N, n_cols) slot of each training row; needed only to draw real rows.
    """

    def __init__(
        self, counts: Tensor, sizes: list[int], device: torch.device, codes: Tensor | None = None
    ):
        self.sizes = list(sizes)
        self.n_cols = len(sizes)
        self.device = device
        self.cond_dim = int(sum(sizes))
        self.n_rows = 0 if codes is None else int(codes.shape[0])
        self.count = counts.to(device).long()  # count[j, k]: rows of column j in slot k
        if self.n_cols == 0:
            return
        width = self.count.shape[1]
        freq = self.count.double()
        valid = (
            torch.arange(width, device=device)[None, :]
            < torch.tensor(sizes, device=device)[:, None]
        )
        # training draws categories by log-frequency (rare classes are seen more often)
        logf = torch.where(valid, torch.log(freq + 1), torch.zeros_like(freq))
        self.p_log = (logf / logf.sum(1, keepdim=True)).float()
        # sampling without conditions reproduces the real frequencies
        self.p_real = (freq / freq.sum(1, keepdim=True).clamp_min(1)).float()
        self.offsets = torch.tensor([0, *sizes[:-1]], device=device).cumsum(0)
        if codes is not None:
            codes = codes.to(device)
            order = torch.argsort(codes.T, dim=1, stable=True)  # (n_cols, N): rows by category
            rows = torch.arange(self.n_cols, device=device)[:, None] * self.n_rows
            self.start = torch.cumsum(self.count, dim=1) - self.count + rows
            self.order = order.reshape(-1)

    @classmethod
    def from_codes(cls, codes: Tensor, sizes: list[int], device: torch.device):
        """Build from the (N, n_cols) slot codes of the training rows."""
        width = max(sizes, default=1)
        counts = torch.zeros(len(sizes), width, dtype=torch.long, device=codes.device)
        for j, size in enumerate(sizes):  # one vectorised bincount per column
            counts[j, :size] = torch.bincount(codes[:, j], minlength=size)
        return cls(counts, sizes, device, codes)

    def _draw(self, n: int, probs: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """A column uniformly, then a category from ``probs[column]``: drawn in one step from
        their joint distribution over every (column, category) pair (one multinomial over a
        short vector instead of one per row over a gathered (n, max_categories) matrix)."""
        joint = (probs / self.n_cols).reshape(-1)
        flat = torch.multinomial(joint, n, replacement=True, generator=generator)
        width = probs.shape[1]
        return flat // width, flat % width

    def one_hot(self, col: Tensor, cat: Tensor) -> Tensor:
        """(n, cond_dim) conditional vectors with a 1 at each (column, category)."""
        cond = torch.zeros(len(col), self.cond_dim, device=self.device)
        return cond.scatter_(1, (self.offsets[col] + cat)[:, None], 1.0)

    def sample_train(self, n: int, generator: torch.Generator):
        """Conditions by log-frequency plus, for each, the index of a real row that matches it.

        Returns:
            (cond (n, cond_dim), col (n,), cat (n,), rows (n,))
        """
        if self.n_cols == 0:
            rows = torch.randint(self.n_rows, (n,), generator=generator, device=self.device)
            empty = torch.zeros(n, 0, device=self.device)
            return empty, rows[:0], rows[:0], rows
        col, cat = self._draw(n, self.p_log, generator)
        u = torch.rand(n, generator=generator, device=self.device)
        pos = self.start[col, cat] + (u * self.count[col, cat]).long()
        return self.one_hot(col, cat), col, cat, self.order[pos]

    def draw_original(self, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """(column, category) pairs drawn with the real frequencies (unconditional sampling)."""
        if self.n_cols == 0:
            empty = torch.zeros(n, dtype=torch.long, device=self.device)
            return empty, empty
        return self._draw(n, self.p_real, generator)

    def index(self, col: Tensor, cat: Tensor) -> Tensor | None:
        """Position of each (column, category) in the conditional vector (None: no columns)."""
        if self.n_cols == 0:
            return None
        return self.offsets[col] + cat

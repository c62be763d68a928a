"""Vectorised operations over the blocks (spans) of an encoded table row.

Reference CTGAN loops over spans in Python for every activation, every conditional loss and
every decoding step. Here each softmax block is a *segment* of the encoded row: the softmax of all
blocks at once is a segment-wise max / exp / sum over the flat softmax columns (a few kernels on a
``(batch, n_softmax_columns)`` tensor, no padding), and a padded ``(batch, n_blocks, max_block)``
view is used only where a per-block argmax or target lookup needs it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn


def gumbel_noise(shape: Sequence[int], generator: torch.Generator, device, dtype) -> Tensor:
    """Standard Gumbel noise drawn from an explicit generator (never the global RNG)."""
    u = torch.rand(tuple(shape), generator=generator, device=device, dtype=torch.float32)
    return (-torch.log(-torch.log(u.clamp_(1e-10, 1.0 - 1e-7)))).to(dtype)


class SpanLayout(nn.Module):
    """Index tensors describing which columns of an encoded row are tanh or softmax blocks.

    Args:
        spans: ``(start, size, activation)`` triples covering the encoded row.
        dim: width of the encoded row.
    """

    def __init__(self, spans: Sequence[tuple[int, int, str]], dim: int):
        super().__init__()
        tanh = [s for s, n, a in spans if a == "tanh"]
        soft = [(s, n) for s, n, a in spans if a == "softmax"]
        width = max((n for _, n in soft), default=1)
        idx = torch.zeros(len(soft), width, dtype=torch.long)
        mask = torch.zeros(len(soft), width, dtype=torch.bool)
        for i, (s, n) in enumerate(soft):
            idx[i, :n] = torch.arange(s, s + n)
            mask[i, :n] = True
        self.dim = dim
        self.n_blocks = len(soft)
        seg = torch.repeat_interleave(
            torch.arange(len(soft)), torch.tensor([n for _, n in soft], dtype=torch.long)
        )
        self.register_buffer("tanh_idx", torch.tensor(tanh, dtype=torch.long), persistent=False)
        self.register_buffer("soft_idx", idx, persistent=False)
        self.register_buffer("soft_mask", mask, persistent=False)
        self.register_buffer("soft_flat", idx[mask], persistent=False)
        self.register_buffer("seg", seg, persistent=False)
        # the table encoder puts every tanh column first and the softmax blocks after them;
        # then both groups are slices, which is much cheaper than gathering columns
        n_t, n_s = len(tanh), int(mask.sum())
        self.contiguous = (
            tanh == list(range(n_t))
            and idx[mask].tolist() == list(range(n_t, n_t + n_s))
            and n_t + n_s == dim
        )
        self.n_tanh = n_t

    # ---- segment softmax over every block at once ----
    def _segment_log_softmax(self, y: Tensor) -> Tensor:
        """log-softmax within each block of the flat softmax columns ``y`` (B, F)."""
        b = y.shape[0]
        seg = self.seg.expand(b, -1)
        with torch.no_grad():  # the shift does not change the result: no gradient needed
            m = y.new_full((b, self.n_blocks), float("-inf"))
            m = m.scatter_reduce(1, seg, y, reduce="amax", include_self=True)
        y = y - m[:, self.seg]
        s = y.new_zeros(b, self.n_blocks).index_add(1, self.seg, torch.exp(y))
        return y - torch.log(s)[:, self.seg]

    def gather(self, x: Tensor) -> Tensor:
        """Softmax blocks of ``x`` as (B, n_blocks, max_block), pads at -inf."""
        g = x[:, self.soft_idx]
        return g.masked_fill(~self.soft_mask, float("-inf"))

    def activate(self, x: Tensor, generator: torch.Generator, tau: float = 0.2) -> Tensor:
        """tanh on value columns, Gumbel-softmax (temperature ``tau``) on each softmax block."""
        if self.contiguous:
            t, y = x[:, : self.n_tanh], x[:, self.n_tanh :]
            y = (y + gumbel_noise(y.shape, generator, x.device, x.dtype)) / tau
            return torch.cat([torch.tanh(t), torch.exp(self._segment_log_softmax(y))], dim=1)
        out = torch.zeros_like(x)
        if len(self.tanh_idx):
            out = out.index_copy(1, self.tanh_idx, torch.tanh(x[:, self.tanh_idx]))
        if len(self.soft_flat):
            y = x[:, self.soft_flat]
            y = (y + gumbel_noise(y.shape, generator, x.device, x.dtype)) / tau
            out = out.index_copy(1, self.soft_flat, torch.exp(self._segment_log_softmax(y)))
        return out

    def sample(self, x: Tensor, generator: torch.Generator) -> Tensor:
        """tanh the values and add Gumbel noise to every softmax column, so that the argmax of
        each block (what the decoder takes) is a draw from that block's softmax (Gumbel-max)."""
        if self.contiguous:
            t, y = x[:, : self.n_tanh], x[:, self.n_tanh :]
            y = y + gumbel_noise(y.shape, generator, x.device, x.dtype)
            return torch.cat([torch.tanh(t), y], dim=1)
        out = x.clone()
        if len(self.tanh_idx):
            out[:, self.tanh_idx] = torch.tanh(x[:, self.tanh_idx])
        if len(self.soft_flat):
            n = (x.shape[0], len(self.soft_flat))
            out[:, self.soft_flat] += gumbel_noise(n, generator, x.device, x.dtype)
        return out

    def softmax_nll(self, logits: Tensor, target: Tensor) -> Tensor:
        """Summed cross-entropy of every softmax block against one-hot ``target``, per row (B,)."""
        if self.contiguous:
            lp = self._segment_log_softmax(logits[:, self.n_tanh :])
            return -(lp * target[:, self.n_tanh :]).sum(dim=1)
        lp = self._segment_log_softmax(logits[:, self.soft_flat])
        return -(lp * target[:, self.soft_flat]).sum(dim=1)

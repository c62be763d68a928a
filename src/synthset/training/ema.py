"""Exponential moving average of a network's weights (the generator EMA of GAN practice).

Samples from the averaged generator are smoother and usually score a lower FID than the raw
generator at the same step (Karras et al. 2018; Yazıcı et al. 2019). The update is one fused
``torch._foreach_lerp_`` over all parameters, on the device, with no host synchronisation.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """``shadow ← decay·shadow + (1 − decay)·online`` after each step.

    Args:
        model: the online network (left untouched).
        decay: the averaging factor; the effective window is about ``1 / (1 − decay)`` steps.
        warmup: the decay ramps as ``min(decay, (1 + t) / (10 + t))`` so early averages are not
            dominated by the random initial weights.
    """

    def __init__(self, model: nn.Module, decay: float = 0.999, *, warmup: bool = True):
        self.decay = decay
        self.warmup = warmup
        self.steps = 0
        self.shadow = copy.deepcopy(model).eval().requires_grad_(False)
        self._src = [p for p in model.parameters()]
        self._dst = [p for p in self.shadow.parameters()]
        self._src_buf = [b for b in model.buffers()]
        self._dst_buf = [b for b in self.shadow.buffers()]

    @torch.no_grad()
    def update(self) -> None:
        d = self.decay
        if self.warmup:
            d = min(d, (1 + self.steps) / (10 + self.steps))
        self.steps += 1
        torch._foreach_lerp_(self._dst, self._src, 1.0 - d)
        for dst, src in zip(self._dst_buf, self._src_buf, strict=True):
            dst.copy_(src)  # batch-norm running statistics follow the online network

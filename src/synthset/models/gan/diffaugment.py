"""Differentiable augmentation (DiffAugment, Zhao et al. 2020) for GANs trained on little data.

The same random colour, translation and cutout transforms are applied to real and generated
images before the discriminator sees them, in both the discriminator and the generator step, so
the discriminator cannot memorise the few real images while the generator still learns the
un-augmented distribution (every transform is differentiable in the pixels). Every draw comes from
an explicit ``torch.Generator``; everything is batched (no per-image loop).
"""

from __future__ import annotations

import torch
from torch import Tensor

POLICIES = ("color", "translation", "cutout")


def parse_policy(policy: str | None) -> tuple[str, ...]:
    """``"color,translation"`` → ``("color", "translation")``; ``""``/None → no augmentation."""
    if not policy:
        return ()
    parts = tuple(p.strip() for p in policy.split(",") if p.strip())
    unknown = [p for p in parts if p not in POLICIES]
    if unknown:
        raise ValueError(f"unknown DiffAugment policy {unknown}; use any of {', '.join(POLICIES)}")
    return parts


def diff_augment(x: Tensor, policy: tuple[str, ...], gen: torch.Generator) -> Tensor:
    """Apply the transforms of ``policy`` to the batch ``x`` (B, C, H, W) in [-1, 1]."""
    for p in policy:
        x = _TRANSFORMS[p](x, gen)
    return x


def _rand(gen: torch.Generator, x: Tensor, *shape: int) -> Tensor:
    return torch.rand(*shape, generator=gen, device=x.device, dtype=x.dtype)


def _color(x: Tensor, gen: torch.Generator) -> Tensor:
    b = x.shape[0]
    x = x + (_rand(gen, x, b, 1, 1, 1) - 0.5)  # brightness
    if x.shape[1] > 1:  # saturation (a no-op on grey images)
        mean = x.mean(1, keepdim=True)
        x = (x - mean) * (_rand(gen, x, b, 1, 1, 1) * 2.0) + mean
    mean = x.mean((1, 2, 3), keepdim=True)  # contrast
    return (x - mean) * (_rand(gen, x, b, 1, 1, 1) + 0.5) + mean


def _translation(x: Tensor, gen: torch.Generator, ratio: float = 0.125) -> Tensor:
    b, _, h, w = x.shape
    sh, sw = max(int(h * ratio + 0.5), 1), max(int(w * ratio + 0.5), 1)
    dy = torch.randint(-sh, sh + 1, (b, 1), generator=gen, device=x.device)
    dx = torch.randint(-sw, sw + 1, (b, 1), generator=gen, device=x.device)
    iy = (torch.arange(h, device=x.device)[None] + dy + 1).clamp(0, h + 1)  # (B, H) in padded
    ix = (torch.arange(w, device=x.device)[None] + dx + 1).clamp(0, w + 1)
    padded = torch.nn.functional.pad(x, (1, 1, 1, 1))  # zeros outside the image
    bi = torch.arange(b, device=x.device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[bi, iy[:, :, None], ix[:, None, :]]  # (B, H, W, C)
    return out.permute(0, 3, 1, 2)


def _cutout(x: Tensor, gen: torch.Generator, ratio: float = 0.5) -> Tensor:
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = torch.randint(0, h + (1 - ch % 2), (b, 1, 1), generator=gen, device=x.device)
    cx = torch.randint(0, w + (1 - cw % 2), (b, 1, 1), generator=gen, device=x.device)
    gy = torch.arange(h, device=x.device)[None, :, None]
    gx = torch.arange(w, device=x.device)[None, None, :]
    inside = ((gy - cy + ch // 2) >= 0) & ((gy - cy + ch // 2) < ch)
    inside = inside & ((gx - cx + cw // 2) >= 0) & ((gx - cx + cw // 2) < cw)
    return x * (~inside)[:, None].to(x.dtype)


_TRANSFORMS = {"color": _color, "translation": _translation, "cutout": _cutout}

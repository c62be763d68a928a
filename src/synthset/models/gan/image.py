"""Convolutional GAN networks for images: the DCGAN generator and a discriminator/critic.

Shapes: images are ``(B, C, S, S)`` with ``S`` a power of two ≥ 8 (see :func:`model_resolution`);
images of another size are padded to ``S`` for the discriminator and cropped from the
generator's output (``pad_to`` / ``crop_to``).

The generator is the DCGAN of Radford et al. (2016) as in the PyTorch tutorial: a transposed
convolution from ``z`` to 4×4, then ×2 transposed-convolution stages with batch norm and ReLU, and
``tanh``. Class conditioning (``n_classes > 0``) concatenates a learned class embedding to ``z``.

The discriminator mirrors it (stride-2 convolutions, leaky ReLU 0.2) with a choice of
normalisation: ``"batch"`` (DCGAN), ``"spectral"`` (Miyato et al. 2018) or ``"none"``/``"layer"``
(a WGAN-GP critic must not use batch norm, since the gradient penalty is per sample). With
``n_classes > 0`` it is a projection discriminator (Miyato & Koyama 2018):
``D(x, y) = ψ(φ(x)) + ⟨embed(y), φ(x)⟩``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm


def model_resolution(height: int, width: int) -> int:
    """The side of the square power-of-two canvas the networks work on (≥ 8)."""
    return max(8, 1 << math.ceil(math.log2(max(height, width))))


def pad_to(x: Tensor, size: int, value: float = -1.0) -> Tensor:
    """Centre ``x`` (B, C, H, W) on a ``size``×``size`` canvas filled with ``value``."""
    h, w = x.shape[-2:]
    if h == size and w == size:
        return x
    top, left = (size - h) // 2, (size - w) // 2
    return F.pad(x, (left, size - w - left, top, size - h - top), value=value)


def crop_to(x: Tensor, height: int, width: int) -> Tensor:
    """The centre ``height``×``width`` of ``x`` (the inverse of :func:`pad_to`)."""
    s_h, s_w = x.shape[-2:]
    top, left = (s_h - height) // 2, (s_w - width) // 2
    return x[..., top : top + height, left : left + width]


@dataclass
class ConvGANConfig:
    """Shapes of a DCGAN generator / discriminator pair (saved as JSON with the weights)."""

    resolution: int = 32
    channels: int = 1
    z_dim: int = 100
    g_width: int = 64  # ngf: channels of the last hidden generator stage
    d_width: int = 64  # ndf: channels of the first discriminator stage
    n_classes: int = 0
    d_norm: str = "batch"  # batch | spectral | layer | none
    embed_dim: int = 0  # generator class-embedding size (0: n_classes)

    def to_dict(self) -> dict:
        return asdict(self)


def _stages(resolution: int) -> int:
    n = int(math.log2(resolution)) - 2
    if resolution < 8 or 1 << (n + 2) != resolution:
        raise ValueError(f"resolution must be a power of two ≥ 8, got {resolution}")
    return n  # ×2 stages between 4×4 and the resolution


class DCGANGenerator(nn.Module):
    """``z`` (B, z_dim) [+ class codes] → images (B, C, S, S) in [-1, 1]."""

    def __init__(self, cfg: ConvGANConfig):
        super().__init__()
        self.cfg = cfg
        n_up = _stages(cfg.resolution)
        ch = cfg.g_width * 2 ** (n_up - 1)  # 4×4 stage width: ngf·8 at 64×64, ngf·4 at 32×32
        in_dim = cfg.z_dim
        self.embed = None
        if cfg.n_classes > 0:
            e = cfg.embed_dim or cfg.n_classes
            self.embed = nn.Embedding(cfg.n_classes, e)
            in_dim += e
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(in_dim, ch, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ch),
            nn.ReLU(True),
        ]
        for _ in range(n_up - 1):
            layers += [
                nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ch // 2),
                nn.ReLU(True),
            ]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, cfg.channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        if self.embed is not None:
            if labels is None:
                raise ValueError("this generator is class-conditional: pass labels")
            z = torch.cat([z, self.embed(labels)], 1)
        return self.net(z[:, :, None, None])


class ConvDiscriminator(nn.Module):
    """Images (B, C, S, S) [+ class codes] → one logit / critic score per image, shape (B,)."""

    def __init__(self, cfg: ConvGANConfig):
        super().__init__()
        self.cfg = cfg
        n_down = _stages(cfg.resolution)
        sn = cfg.d_norm == "spectral"

        def conv(cin: int, cout: int, *args: int, bias: bool = False) -> nn.Module:
            layer = nn.Conv2d(cin, cout, *args, bias=bias or sn)
            return spectral_norm(layer) if sn else layer

        ch = cfg.d_width
        layers: list[nn.Module] = [conv(cfg.channels, ch, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        size = cfg.resolution // 2
        for _ in range(n_down - 1):
            layers.append(conv(ch, ch * 2, 4, 2, 1))
            size //= 2
            if cfg.d_norm == "batch":
                layers.append(nn.BatchNorm2d(ch * 2))
            elif cfg.d_norm == "layer":
                layers.append(nn.GroupNorm(1, ch * 2))  # per-sample: safe with a gradient penalty
            layers.append(nn.LeakyReLU(0.2, True))
            ch *= 2
        self.features = nn.Sequential(*layers)  # (B, ch, 4, 4)
        self.head = conv(ch, 1, 4, 1, 0, bias=True)
        self.embed = None
        if cfg.n_classes > 0:
            emb = nn.Embedding(cfg.n_classes, ch)
            if sn:
                emb = nn.utils.parametrizations.spectral_norm(emb)
            else:  # keep the projection term on the scale of the head's logit at the start
                nn.init.normal_(emb.weight, 0.0, 0.02)
            self.embed = emb
        self.apply(dcgan_init)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        h = self.features(x)
        out = self.head(h).flatten()
        if self.embed is not None:
            if labels is None:
                raise ValueError("this discriminator is class-conditional: pass labels")
            out = out + (self.embed(labels) * h.sum((2, 3))).sum(1)  # projection term
        return out


def dcgan_init(m: nn.Module) -> None:
    """The DCGAN initialisation: convolutions N(0, 0.02), batch-norm scales N(1, 0.02)."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        w = m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight
        nn.init.normal_(w, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)

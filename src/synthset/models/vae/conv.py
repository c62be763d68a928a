"""A convolutional VAE (Kingma & Welling 2014) for images, optionally class-conditional (CVAE,
Sohn et al. 2015).

Encoder: stride-2 convolutions (batch norm, leaky ReLU) down to 4×4 → linear heads for the
posterior mean and log-variance. Decoder: linear → 4×4 → ×2 transposed-convolution stages (the
DCGAN generator's shape) → per-pixel logits. With ``n_classes > 0`` a one-hot class vector joins the
encoder's features and the decoder's latent code, so the decoder draws the asked class.

Pixels are modelled in [0, 1] with a Bernoulli likelihood (``"bce"``, sharp digits and clothes) or
a Gaussian of fixed variance (``"mse"``); the decoder mean ``sigmoid(logits)`` is the sample.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn


@dataclass
class ConvVAEConfig:
    resolution: int = 32
    channels: int = 1
    latent_dim: int = 32
    width: int = 32  # channels of the first encoder / last decoder stage
    n_classes: int = 0
    norm: str = "batch"  # "batch", or "group" (per-sample: what DP-SGD needs)

    def to_dict(self) -> dict:
        return asdict(self)


def _norm(kind: str, ch: int) -> nn.Module:
    """Batch norm, or group norm (groups of up to 32 channels: Opacus' replacement for it)."""
    if kind == "group":
        return nn.GroupNorm(math.gcd(32, ch), ch)
    return nn.BatchNorm2d(ch)


class ConvVAE(nn.Module):
    """``encode(x, y) -> (mu, logvar)``, ``decode(z, y) -> logits`` (B, C, S, S)."""

    def __init__(self, cfg: ConvVAEConfig):
        super().__init__()
        self.cfg = cfg
        n = int(math.log2(cfg.resolution)) - 2
        if cfg.resolution < 8 or 1 << (n + 2) != cfg.resolution:
            raise ValueError(f"resolution must be a power of two ≥ 8, got {cfg.resolution}")
        enc: list[nn.Module] = []
        ch_in, ch = cfg.channels, cfg.width
        for _ in range(n):
            enc += [
                nn.Conv2d(ch_in, ch, 4, 2, 1, bias=False),
                _norm(cfg.norm, ch),
                nn.LeakyReLU(0.2),
            ]
            ch_in, ch = ch, ch * 2
        self.encoder = nn.Sequential(*enc, nn.Flatten())
        top = ch_in  # channels at 4×4
        feat = top * 16
        k = cfg.n_classes
        self.mu = nn.Linear(feat + k, cfg.latent_dim)
        self.logvar = nn.Linear(feat + k, cfg.latent_dim)
        self.fc = nn.Linear(cfg.latent_dim + k, feat)
        dec: list[nn.Module] = [nn.Unflatten(1, (top, 4, 4)), _norm(cfg.norm, top), nn.ReLU()]
        ch = top
        for _ in range(n - 1):
            dec += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), _norm(cfg.norm, ch // 2)]
            dec.append(nn.ReLU())
            ch //= 2
        dec.append(nn.ConvTranspose2d(ch, cfg.channels, 4, 2, 1))
        self.decoder = nn.Sequential(*dec)

    def _with_class(self, h: Tensor, y: Tensor | None) -> Tensor:
        if not self.cfg.n_classes:
            return h
        if y is None:
            raise ValueError("this VAE is class-conditional: pass labels")
        return torch.cat([h, F.one_hot(y, self.cfg.n_classes).to(h.dtype)], 1)

    def encode(self, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor]:
        h = self._with_class(self.encoder(x), y)
        return self.mu(h), self.logvar(h).clamp(-30.0, 20.0)

    def decode(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        return self.decoder(self.fc(self._with_class(z, y)))

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Images in [-1, 1] from latent codes (the decoder mean)."""
        return torch.sigmoid(self.decode(z, y)) * 2.0 - 1.0


def vae_loss(
    model: ConvVAE,
    x: Tensor,
    y: Tensor | None,
    eps: Tensor,
    *,
    beta: float,
    reconstruction: str,
    per_image: bool = False,
) -> tuple[Tensor, Tensor, Tensor]:
    """(loss, reconstruction, KL) per image, for ``x`` in [-1, 1] and noise ``eps``.

    The reconstruction term is summed over pixels (a log-likelihood, up to a constant), the KL
    divergence to N(0, I) over latent dimensions; both are averaged over the batch, or returned
    per image (``per_image=True``, shape (B,): what DP-SGD clips).
    """
    mu, logvar = model.encode(x, y)
    z = mu + eps * torch.exp(0.5 * logvar)
    logits = model.decode(z, y).float()
    target = (x.float() + 1.0) * 0.5
    if reconstruction == "bce":
        rec = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    else:
        rec = 0.5 * (torch.sigmoid(logits) - target).pow(2) / 0.1**2
    rec = rec.flatten(1).sum(1)
    kl = -0.5 * (1.0 + logvar - mu.pow(2) - logvar.exp()).float().sum(1)
    if per_image:
        return rec + beta * kl, rec, kl
    rec, kl = rec.mean(), kl.mean()
    return rec + beta * kl, rec, kl

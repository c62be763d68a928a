"""CTGAN's networks (Xu et al., 2019): a residual generator and a PacGAN critic with WGAN-GP."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class CTGANConfig:
    data_dim: int  # width of an encoded row
    cond_dim: int  # width of the conditional vector
    embedding_dim: int = 128  # noise width
    generator_dim: tuple[int, ...] = (256, 256)
    discriminator_dim: tuple[int, ...] = (256, 256)
    pac: int = 10  # rows the critic judges together (PacGAN), against mode collapse


class Residual(nn.Module):
    """Linear → BatchNorm → ReLU, concatenated with the input (the CTGAN generator block)."""

    def __init__(self, i: int, o: int):
        super().__init__()
        self.fc = nn.Linear(i, o)
        self.bn = nn.BatchNorm1d(o)

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([torch.relu(self.bn(self.fc(x))), x], dim=1)


class Generator(nn.Module):
    def __init__(self, cfg: CTGANConfig):
        super().__init__()
        dim = cfg.embedding_dim + cfg.cond_dim
        layers: list[nn.Module] = []
        for h in cfg.generator_dim:
            layers.append(Residual(dim, h))
            dim += h
        layers.append(nn.Linear(dim, cfg.data_dim))
        self.seq = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:  # (B, emb + cond) -> (B, data_dim) raw scores
        return self.seq(z)


class Discriminator(nn.Module):
    """A critic over packs of ``pac`` rows (PacGAN); outputs one score per pack."""

    def __init__(self, cfg: CTGANConfig):
        super().__init__()
        self.pac = cfg.pac
        dim = (cfg.data_dim + cfg.cond_dim) * cfg.pac
        layers: list[nn.Module] = []
        for h in cfg.discriminator_dim:
            layers += [nn.Linear(dim, h), nn.LeakyReLU(0.2), nn.Dropout(0.5)]
            dim = h
        layers.append(nn.Linear(dim, 1))
        self.seq = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:  # (B, D) -> (B / pac, 1)
        return self.seq(x.reshape(-1, x.shape[1] * self.pac))

    def gradient_penalty(
        self, real: Tensor, fake: Tensor, generator: torch.Generator, lambda_: float = 10.0
    ) -> Tensor:
        """WGAN-GP: penalise the critic's gradient norm (per pack) away from 1 on interpolates."""
        b, d = real.shape
        alpha = torch.rand(b // self.pac, 1, 1, generator=generator, device=real.device)
        alpha = alpha.expand(-1, self.pac, d).reshape(b, d)
        inter = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        (grad,) = torch.autograd.grad(self(inter).sum(), inter, create_graph=True)
        norm = grad.reshape(-1, self.pac * d).norm(2, dim=1)
        return ((norm - 1) ** 2).mean() * lambda_

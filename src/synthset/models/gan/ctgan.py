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


class CondLinear(nn.Linear):
    """A linear layer over ``[x, one_hot(c)]`` that takes the category index ``c`` instead of the
    one-hot vector: ``W [x; e_c] = W_x x + W[:, c]``.

    The same function and parameters as ``nn.Linear(n_dense + n_cond, out)`` (and the same
    initialisation), but the conditional part is a column lookup rather than a matrix product
    over mostly zeros — about a quarter of the CTGAN generator's arithmetic on adult.
    """

    def __init__(self, n_dense: int, n_cond: int, out: int):
        super().__init__(n_dense + n_cond, out)
        self.n_dense = n_dense

    def forward(self, x: Tensor, cond_idx: Tensor | None = None) -> Tensor:
        y = nn.functional.linear(x, self.weight[:, : self.n_dense], self.bias)
        if cond_idx is not None:
            y = y + self.weight[:, self.n_dense :].t()[cond_idx].to(y.dtype)
        return y


class Residual(nn.Module):
    """Linear → BatchNorm → ReLU, concatenated with the input (the CTGAN generator block).

    The conditional vector is part of every layer's input, as in CTGAN, through ``CondLinear``.
    """

    def __init__(self, n_dense: int, n_cond: int, o: int):
        super().__init__()
        self.fc = CondLinear(n_dense, n_cond, o)
        self.bn = nn.BatchNorm1d(o)

    def forward(self, x: Tensor, cond_idx: Tensor | None) -> Tensor:
        return torch.cat([torch.relu(self.bn(self.fc(x, cond_idx))), x], dim=1)


class Generator(nn.Module):
    """Noise and a condition (one category of one discrete column) → a raw encoded row."""

    def __init__(self, cfg: CTGANConfig):
        super().__init__()
        dim = cfg.embedding_dim
        self.blocks = nn.ModuleList()
        for h in cfg.generator_dim:
            self.blocks.append(Residual(dim, cfg.cond_dim, h))
            dim += h
        self.out = CondLinear(dim, cfg.cond_dim, cfg.data_dim)

    def forward(self, z: Tensor, cond_idx: Tensor | None) -> Tensor:
        """z: (B, emb) noise; cond_idx: (B,) index into the conditional vector (None if the
        table has no discrete column). Returns (B, data_dim) raw scores."""
        h = z
        for block in self.blocks:
            h = block(h, cond_idx)
        return self.out(h, cond_idx)


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

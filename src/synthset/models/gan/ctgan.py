"""CTGAN's networks (Xu et al., 2019): a residual generator and a PacGAN critic with WGAN-GP."""

from __future__ import annotations

import math
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


class CondLinear(nn.Module):
    """A linear layer over ``[x, one_hot(c)]`` that takes the category index ``c`` instead of the
    one-hot vector: ``W [x; e_c] + b = W_x x + W_c[c] + b``.

    The same function and initial distribution as ``nn.Linear(n_dense + n_cond, out)``, but the
    conditional part is a row lookup (an embedding) rather than a matrix product over mostly
    zeros: about a quarter of the CTGAN generator's arithmetic on adult. The two weight blocks
    are separate parameters so neither is sliced (and copied) at every call.
    """

    def __init__(self, n_dense: int, n_cond: int, out: int):
        super().__init__()
        bound = 1.0 / math.sqrt(n_dense + n_cond)  # nn.Linear's default init, fan-in of both
        self.weight = nn.Parameter(torch.empty(out, n_dense).uniform_(-bound, bound))
        self.cond_weight = nn.Parameter(torch.empty(n_cond, out).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(out).uniform_(-bound, bound))

    def forward(self, x: Tensor, cond_idx: Tensor | None = None) -> Tensor:
        y = nn.functional.linear(x, self.weight, self.bias)
        if cond_idx is not None:
            y = y + nn.functional.embedding(cond_idx, self.cond_weight).to(y.dtype)
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


class PackedInput(nn.Module):
    """The critic's first layer over a pack of ``pac`` rows of ``[data, one_hot(cond)]``.

    ``dense`` takes the packed rows as they are (used by the gradient penalty, which needs the
    gradient with respect to the whole input); ``indexed`` takes the data and the condition
    index and meets the one-hot part with a row lookup instead of a matrix product over mostly
    zeros. Both compute the same function with the same parameters.
    """

    def __init__(self, n_data: int, n_cond: int, pac: int, out: int):
        super().__init__()
        bound = 1.0 / math.sqrt(pac * (n_data + n_cond))  # nn.Linear's default init
        self.pac, self.n_data, self.n_cond = pac, n_data, n_cond
        self.weight = nn.Parameter(torch.empty(out, pac, n_data).uniform_(-bound, bound))
        self.cond_weight = nn.Parameter(torch.empty(pac * n_cond, out).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(out).uniform_(-bound, bound))

    def dense(self, x: Tensor) -> Tensor:  # (B, data + cond) -> (B / pac, out)
        out = self.bias.shape[0]
        w_cond = self.cond_weight.view(self.pac, self.n_cond, out).permute(2, 0, 1)
        w = torch.cat([self.weight, w_cond], dim=2).reshape(out, -1)
        return nn.functional.linear(x.reshape(-1, w.shape[1]), w, self.bias)

    def indexed(self, data: Tensor, cond_idx: Tensor | None) -> Tensor:
        b = data.shape[0]
        y = nn.functional.linear(
            data.reshape(b // self.pac, -1),
            self.weight.reshape(self.weight.shape[0], -1),
            self.bias,
        )
        if cond_idx is not None:
            slot = torch.arange(b, device=data.device) % self.pac  # position within the pack
            rows = nn.functional.embedding(slot * self.n_cond + cond_idx, self.cond_weight)
            y = y + rows.to(y.dtype).view(b // self.pac, self.pac, -1).sum(1)
        return y


class Discriminator(nn.Module):
    """A critic over packs of ``pac`` rows (PacGAN); outputs one score per pack."""

    def __init__(self, cfg: CTGANConfig):
        super().__init__()
        self.pac = cfg.pac
        h0, *rest = cfg.discriminator_dim
        self.first = PackedInput(cfg.data_dim, cfg.cond_dim, cfg.pac, h0)
        layers: list[nn.Module] = [nn.LeakyReLU(0.2), nn.Dropout(0.5)]
        dim = h0
        for h in rest:
            layers += [nn.Linear(dim, h), nn.LeakyReLU(0.2), nn.Dropout(0.5)]
            dim = h
        layers.append(nn.Linear(dim, 1))
        self.seq = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:  # (B, data + cond) -> (B / pac, 1)
        return self.seq(self.first.dense(x))

    def score(self, data: Tensor, cond_idx: Tensor | None) -> Tensor:
        """The same as ``self(cat([data, one_hot(cond_idx)], 1))``: (B, data) -> (B / pac, 1)."""
        return self.seq(self.first.indexed(data, cond_idx))

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

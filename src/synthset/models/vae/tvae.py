"""TVAE's networks (Xu et al., 2019): an MLP encoder/decoder with learned output noise."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class TVAEConfig:
    data_dim: int
    embedding_dim: int = 128  # latent width
    compress_dims: tuple[int, ...] = (128, 128)
    decompress_dims: tuple[int, ...] = (128, 128)


def _mlp(dim: int, hidden: tuple[int, ...]) -> tuple[nn.Sequential, int]:
    layers: list[nn.Module] = []
    for h in hidden:
        layers += [nn.Linear(dim, h), nn.ReLU()]
        dim = h
    return nn.Sequential(*layers), dim


class Encoder(nn.Module):
    def __init__(self, cfg: TVAEConfig):
        super().__init__()
        self.body, dim = _mlp(cfg.data_dim, cfg.compress_dims)
        self.mu = nn.Linear(dim, cfg.embedding_dim)
        self.logvar = nn.Linear(dim, cfg.embedding_dim)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:  # (B, D) -> (B, E), (B, E)
        h = self.body(x)
        return self.mu(h), self.logvar(h)


class Decoder(nn.Module):
    def __init__(self, cfg: TVAEConfig):
        super().__init__()
        body, dim = _mlp(cfg.embedding_dim, cfg.decompress_dims)
        self.body = nn.Sequential(*body, nn.Linear(dim, cfg.data_dim))
        # per-column output noise of the tanh (value) columns, learned with the reconstruction
        self.sigma = nn.Parameter(torch.ones(cfg.data_dim) * 0.1)

    def forward(self, z: Tensor) -> Tensor:  # (B, E) -> (B, D) raw scores
        return self.body(z)

"""A 1-D U-Net for waveform restoration (``audio_sr``, ``audio_inpaint``).

After Kuleshov, Enam & Ermon (2017), "Audio Super Resolution using Neural Networks": strided
convolutions take the waveform down ``depth`` times by ``stride``; dilated residual blocks at the
bottom widen the receptive field; subpixel convolutions (a convolution to ``stride ×`` the
channels, then a 1-D pixel shuffle) take it back up, each level adding the encoder's features of
the same resolution (skip connections). The output convolution starts at zero, so an untrained
network adds nothing: a residual model begins exactly at its input (the classical baseline) and
training only has to learn the correction.

With ``gated=True`` every convolution is a gated one (Dauphin et al. 2017; Yu et al. 2019 for
inpainting): half its channels gate the other half through a sigmoid, so the network can learn
to ignore the zeroed samples of a gap.

The network is fully convolutional: any length works (it is padded up to a multiple of
``stride ** depth`` and cropped back).

>>> net = UNet1d(UNet1dConfig(in_channels=2, out_channels=1, width=16, depth=3))
>>> net(torch.zeros(4, 2, 1000)).shape
torch.Size([4, 1, 1000])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn


@dataclass
class UNet1dConfig:
    """Shape of a :class:`UNet1d`.

    Attributes:
        in_channels, out_channels: channels of the input and output waveforms.
        width: channels of the full-rate level (doubled at every level down, up to
            ``max_width``).
        depth: number of down / up levels.
        stride: the time stride of each level (the bottom runs at ``stride ** -depth`` of the
            rate).
        kernel_size: odd kernel of the level convolutions.
        max_width: channel cap of the deep levels.
        dilations: dilations of the residual blocks at the bottom (kernel 3).
        gated: gated convolutions instead of leaky-ReLU ones.
        phases: the input is first folded into ``phases`` interleaved channels (space to depth:
            (B, C, T) → (B, C·phases, T / phases)) and the output unfolded back, so even the
            top level runs at ``1 / phases`` of the rate — most of the cost of a waveform
            network lies at the full rate.
    """

    in_channels: int = 1
    out_channels: int = 1
    width: int = 32
    depth: int = 4
    stride: int = 2
    kernel_size: int = 9
    max_width: int = 256
    dilations: list[int] = field(default_factory=lambda: [1, 2, 4, 8])
    gated: bool = False
    phases: int = 1

    def __post_init__(self) -> None:
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd, got {self.kernel_size}")
        if self.phases < 1:
            raise ValueError(f"phases must be ≥ 1, got {self.phases}")
        if self.stride < 2 or self.depth < 1:
            raise ValueError(f"stride must be ≥ 2 and depth ≥ 1, got {self.stride}, {self.depth}")
        self.dilations = [int(d) for d in self.dilations]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def channels(self) -> list[int]:
        """Channels of every level, full rate first (``depth + 1`` entries)."""
        return [min(self.width * 2**level, self.max_width) for level in range(self.depth + 1)]

    @property
    def multiple(self) -> int:
        """The total stride: inputs are padded to a multiple of it."""
        return self.phases * self.stride**self.depth

    @property
    def receptive_field(self) -> int:
        """Approximate receptive field in input samples (one side plus the other)."""
        k, s, p = self.kernel_size, self.stride, self.phases
        rf = k  # the stem
        for level in range(self.depth):
            scale = s**level
            rf += (2 * s - 1) * scale + 2 * (k - 1) * scale  # down conv + residual block
        bottom = s**self.depth
        rf += sum(2 * 2 * d for d in self.dilations) * bottom  # two kernel-3 convs per block
        return int(rf * p)


class _Conv(nn.Module):
    """A convolution followed by its activation: leaky ReLU, or a sigmoid gate."""

    def __init__(
        self,
        c_in: int,
        c_out: int,
        k: int,
        *,
        stride: int = 1,
        dilation: int = 1,
        padding: int | None = None,
        gated: bool = False,
    ):
        super().__init__()
        pad = dilation * (k // 2) if padding is None else padding
        self.gated = gated
        self.conv = nn.Conv1d(c_in, c_out * (2 if gated else 1), k, stride, pad, dilation)

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv(x)
        if self.gated:
            a, b = h.chunk(2, dim=1)
            return a * torch.sigmoid(b)
        return F.leaky_relu(h, 0.2)


class _ResBlock(nn.Module):
    """x + conv(act(conv(x))): two convolutions of one dilation, the second linear."""

    def __init__(self, ch: int, k: int, dilation: int, gated: bool):
        super().__init__()
        self.inner = _Conv(ch, ch, k, dilation=dilation, gated=gated)
        self.out = nn.Conv1d(ch, ch, k, padding=dilation * (k // 2), dilation=dilation)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.out(self.inner(x))


class _Up(nn.Module):
    """Subpixel upsampling: a convolution to ``stride × c_out`` channels, then a shuffle of
    those channels into time (B, s·C, L) → (B, C, s·L)."""

    def __init__(self, c_in: int, c_out: int, k: int, stride: int, gated: bool):
        super().__init__()
        self.stride = stride
        self.conv = _Conv(c_in, c_out * stride, k, gated=gated)

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv(x)  # (B, s·C, L)
        b, sc, length = h.shape
        s = self.stride
        return h.view(b, sc // s, s, length).permute(0, 1, 3, 2).reshape(b, sc // s, length * s)


class UNet1d(nn.Module):
    """``forward(x: (B, in_channels, T)) -> (B, out_channels, T)`` for any T."""

    def __init__(self, cfg: UNet1dConfig):
        super().__init__()
        self.cfg = cfg
        k, s, g = cfg.kernel_size, cfg.stride, cfg.gated
        ch = cfg.channels
        p = cfg.phases
        self.stem = _Conv(cfg.in_channels * p, ch[0], k, gated=g)
        # down: a strided convolution (kernel 2s, exact length / s), then a residual block
        self.down = nn.ModuleList(
            nn.Sequential(
                _Conv(ch[i], ch[i + 1], 2 * s, stride=s, padding=s // 2, gated=g),
                _ResBlock(ch[i + 1], k, 1, g),
            )
            for i in range(cfg.depth)
        )
        self.bottom = nn.Sequential(*(_ResBlock(ch[-1], 3, d, g) for d in cfg.dilations))
        self.up = nn.ModuleList(_Up(ch[i + 1], ch[i], k, s, g) for i in range(cfg.depth))
        self.merge = nn.ModuleList(_ResBlock(ch[i], k, 1, g) for i in range(cfg.depth))
        self.head = nn.Conv1d(ch[0], cfg.out_channels * p, k, padding=k // 2)
        nn.init.zeros_(self.head.weight)  # an untrained network outputs zero
        nn.init.zeros_(self.head.bias)

    def forward(self, x: Tensor) -> Tensor:
        length = x.shape[-1]
        m = self.cfg.multiple
        pad = (-length) % m
        if pad:
            x = F.pad(x, (0, pad))
        b, c, t = x.shape
        p = self.cfg.phases
        if p > 1:  # (B, C, T) → (B, C·p, T / p): channel c·p + j holds samples j, j + p, …
            x = x.view(b, c, t // p, p).permute(0, 1, 3, 2).reshape(b, c * p, t // p)
        h = self.stem(x)
        skips = []
        for down in self.down:
            skips.append(h)
            h = down(h)
        h = self.bottom(h)
        for i in reversed(range(self.cfg.depth)):
            h = self.merge[i](self.up[i](h) + skips[i])
        y = self.head(h)
        if p > 1:  # and back: (B, O·p, T / p) → (B, O, T)
            y = y.view(b, -1, p, t // p).permute(0, 1, 3, 2).reshape(b, -1, t)
        return y[..., :length]

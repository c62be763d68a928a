"""DiffAugment transforms and the weight EMA."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from synthset.models.gan.diffaugment import diff_augment, parse_policy
from synthset.training.ema import EMA


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_parse_policy():
    assert parse_policy("color, translation") == ("color", "translation")
    assert parse_policy("") == () and parse_policy(None) == ()
    with pytest.raises(ValueError, match="rotate"):
        parse_policy("color,rotate")


def test_augment_is_seeded_differentiable_and_keeps_shape():
    x = torch.rand(6, 3, 16, 16, requires_grad=True)
    policy = parse_policy("color,translation,cutout")
    a, b = diff_augment(x, policy, gen(1)), diff_augment(x, policy, gen(1))
    assert a.shape == x.shape and torch.equal(a, b)
    assert not torch.equal(a, diff_augment(x, policy, gen(2)))
    a.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_translation_shifts_content_without_scaling():
    x = torch.zeros(32, 1, 16, 16)
    x[:, :, 7:9, 7:9] = 1.0  # a 2×2 dot in the middle
    y = diff_augment(x, ("translation",), gen(0))
    assert torch.allclose(y.sum((1, 2, 3)), x.sum((1, 2, 3)))  # the dot moved, whole
    moved = (y != x).flatten(1).any(1)
    assert moved.float().mean() > 0.5
    shift = (y[:, 0].argmax(-1).amax(-1) - 8).abs()
    assert shift.max() <= 2 + 1  # at most 1/8 of the side


def test_cutout_blanks_a_quarter():
    x = torch.ones(64, 1, 16, 16)
    y = diff_augment(x, ("cutout",), gen(0))
    blank = (y == 0).flatten(1).float().sum(1)
    assert blank.max() == 64  # an 8×8 square when fully inside
    assert (blank > 0).all()


def test_ema_tracks_the_online_weights():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    ema = EMA(net, decay=0.9, warmup=False)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
        net[1].running_mean.fill_(5.0)
    before = [p.clone() for p in ema.shadow.parameters()]
    ema.update()
    for old, new, online in zip(before, ema.shadow.parameters(), net.parameters(), strict=True):
        assert torch.allclose(new, 0.9 * old + 0.1 * online)
    assert torch.equal(ema.shadow[1].running_mean, net[1].running_mean)
    assert not any(p.requires_grad for p in ema.shadow.parameters())

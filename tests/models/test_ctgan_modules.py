"""CTGAN's networks: the index-based conditional paths equal the one-hot ones exactly."""

from __future__ import annotations

import torch

from synthset.models.blocks import SpanLayout
from synthset.models.gan.ctgan import CondLinear, CTGANConfig, Discriminator, Generator


def test_cond_linear_equals_linear_over_one_hot():
    torch.manual_seed(0)
    layer = CondLinear(5, 7, 3)
    x, idx = torch.randn(11, 5), torch.randint(7, (11,))
    one_hot = torch.nn.functional.one_hot(idx, 7).float()
    weight = torch.cat([layer.weight, layer.cond_weight.t()], 1)  # the equivalent nn.Linear
    dense = torch.nn.functional.linear(torch.cat([x, one_hot], 1), weight, layer.bias)
    torch.testing.assert_close(layer(x, idx), dense)


def test_discriminator_score_equals_dense_forward():
    torch.manual_seed(0)
    cfg = CTGANConfig(data_dim=6, cond_dim=4, discriminator_dim=(8, 8), pac=3)
    disc = Discriminator(cfg).eval()  # no dropout: both paths must agree exactly
    data, idx = torch.randn(12, 6), torch.randint(4, (12,))
    dense = disc(torch.cat([data, torch.nn.functional.one_hot(idx, 4).float()], 1))
    torch.testing.assert_close(disc.score(data, idx), dense)


def test_generator_shapes_and_gradients():
    cfg = CTGANConfig(data_dim=9, cond_dim=4, embedding_dim=5, generator_dim=(8, 8))
    gen = Generator(cfg)
    out = gen(torch.randn(6, 5), torch.randint(4, (6,)))
    assert out.shape == (6, 9)
    out.sum().backward()
    assert all(p.grad is not None for p in gen.parameters())


def test_span_layout_activation_is_a_distribution_per_block():
    layout = SpanLayout([(0, 1, "tanh"), (1, 3, "softmax"), (4, 2, "softmax")], 6)
    g = torch.Generator().manual_seed(0)
    out = layout.activate(torch.randn(5, 6) * 10, g)
    assert out[:, 0].abs().max() <= 1
    torch.testing.assert_close(out[:, 1:4].sum(1), torch.ones(5))
    torch.testing.assert_close(out[:, 4:6].sum(1), torch.ones(5))
    # Gumbel-max sampling follows the softmax: a block with one dominant logit picks it
    logits = torch.tensor([[0.0, 8.0, 0.0, 0.0, 0.0, 8.0]]).repeat(2000, 1)
    drawn = layout.sample(logits, g)
    assert (drawn[:, 1:4].argmax(1) == 0).float().mean() > 0.99
    nll = layout.softmax_nll(
        logits,
        torch.nn.functional.one_hot(torch.tensor([5]), 6).float().repeat(2000, 1)
        + torch.tensor([0, 1.0, 0, 0, 0, 0]),
    )
    assert nll.shape == (2000,) and (nll > 0).all()

"""DP-SGD mechanics: Poisson sampling, per-sample clipping bounds each row's influence."""

from __future__ import annotations

import pytest
import torch
from torch import nn

pytest.importorskip("opacus")

from synthset.privacy.dpsgd import (  # noqa: E402
    PrivateNet,
    make_compatible,
    per_sample_grad_norms,
    poisson_batch,
)


def _update(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    clip: float,
    noise: float = 0.0,
    seed: int = 0,
    mode: str = "auto",
):
    """Parameter change of one DP-SGD step (SGD, lr 1, expected batch 1) on (x, y)."""
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    before = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
    net = PrivateNet(
        model,
        torch.optim.SGD(model.parameters(), lr=1.0),
        noise_multiplier=noise,
        max_grad_norm=clip,
        expected_batch_size=1,
        generator=torch.Generator().manual_seed(seed),
        mode=mode,
    )
    net.step((net.module(x).squeeze(1) - y) ** 2)
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    return after - before, net


@pytest.mark.parametrize("mode", ["ghost", "standard"])
def test_clipping_bounds_one_rows_contribution(mode):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(8, 3, generator=g)
    y = torch.randn(8, generator=g)
    outlier_x = torch.tensor([[100.0, -50.0, 80.0]])
    outlier_y = torch.tensor([1e4])
    base, _ = _update(x, y, clip=1.0, mode=mode)
    with_outlier, net = _update(
        torch.cat([x, outlier_x]), torch.cat([y, outlier_y]), clip=1.0, mode=mode
    )
    assert net.mode == mode
    # adding any one row moves the (un-noised) update by at most the clip bound
    assert (with_outlier - base).norm() <= 1.0 + 1e-4
    # without clipping the same row would move it by orders of magnitude more
    big_base, _ = _update(x, y, clip=1e9, mode=mode)
    big_out, _ = _update(torch.cat([x, outlier_x]), torch.cat([y, outlier_y]), clip=1e9, mode=mode)
    assert (big_out - big_base).norm() > 1e3
    assert net.steps == 1


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
def test_per_sample_gradients_are_clipped_to_the_bound():
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    net = PrivateNet(
        model,
        torch.optim.SGD(model.parameters(), lr=0.0),
        noise_multiplier=0.0,
        max_grad_norm=0.5,
        expected_batch_size=4,
        generator=None,
        mode="standard",
    )
    x = torch.randn(4, 3) * 10
    ((net.module(x).squeeze(1)) ** 2).sum().backward()
    norms = per_sample_grad_norms(model)
    assert norms.shape == (4,)
    assert (norms > 0.5).all()  # raw per-sample gradients exceed the bound ...
    net.optimizer.pre_step()
    # ... and what is summed is each clipped to it: |sum| <= n * C
    summed = torch.cat([p.summed_grad.flatten() for p in model.parameters()])
    assert summed.norm() <= 4 * 0.5 + 1e-5


def test_noise_has_the_calibrated_scale():
    x = torch.zeros(1, 3)
    y = torch.zeros(1)
    # the same data and weights every time, only the noise seed changes
    deltas = torch.stack([_update(x, y, clip=2.0, noise=3.0, seed=s)[0] for s in range(200)])
    assert _update(x, y, clip=2.0)[1].mode == "ghost"  # a linear model clips by ghost norms
    # the data gradient is the same for every seed; the spread is the noise: σ·C = 6
    std = deltas.std(0)
    assert torch.allclose(std, torch.full_like(std, 6.0), rtol=0.15)


def test_empty_poisson_batch_is_a_noise_only_charged_step():
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    before = model.weight.detach().clone()
    net = PrivateNet(
        model,
        torch.optim.SGD(model.parameters(), lr=1.0),
        noise_multiplier=1.0,
        max_grad_norm=1.0,
        expected_batch_size=2,
        generator=torch.Generator().manual_seed(0),
    )
    net.step(None)
    assert net.steps == 1
    assert not torch.equal(model.weight.detach(), before)  # noise was added


def test_poisson_batch_rate_and_determinism():
    g1 = torch.Generator().manual_seed(3)
    g2 = torch.Generator().manual_seed(3)
    sizes = [len(poisson_batch(10_000, 0.05, g1, torch.device("cpu"))) for _ in range(20)]
    assert abs(sum(sizes) / 20 - 500) < 30  # mean q·n, each row independently
    assert len(set(sizes)) > 1  # the batch size varies, as Poisson sampling requires
    a = poisson_batch(1000, 0.1, g2, torch.device("cpu"))
    b = poisson_batch(1000, 0.1, torch.Generator().manual_seed(3), torch.device("cpu"))
    assert torch.equal(a, b)


def test_batchnorm_is_replaced_for_dp():
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
    fixed = make_compatible(net)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fixed.modules())
    assert any(isinstance(m, nn.GroupNorm) for m in fixed.modules())


def test_ghost_and_standard_clipping_give_the_same_update():
    g = torch.Generator().manual_seed(5)
    x = torch.randn(16, 3, generator=g) * 5
    y = torch.randn(16, generator=g) * 5
    ghost, _ = _update(x, y, clip=0.7, mode="ghost")
    standard, _ = _update(x, y, clip=0.7, mode="standard")
    torch.testing.assert_close(ghost, standard, rtol=1e-4, atol=1e-6)

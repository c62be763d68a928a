"""The style-based generator: shapes, determinism, truncation, mixing, conditioning, the
modulated convolution against a per-sample reference, and a generator that can fit a target."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_model, save_model

from synthset.errors import ConfigError
from synthset.models.gan.stylegan import (
    StyleDiscriminator,
    StyleGenerator,
    minibatch_stddev,
    modulated_conv2d,
)


def _gen(seed: int = 0, **kw) -> StyleGenerator:
    kw = {"z_dim": 16, "w_dim": 16, "resolution": 8, "base_channels": 16, "max_channels": 32} | kw
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        g = StyleGenerator(**kw)
        with torch.no_grad():  # non-zero noise strengths so the noise shows in the output
            for layer in g.layers:
                layer.noise_strength.uniform_(0.2, 0.5)
    return g.eval()


def _noise(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _z(n: int, seed: int, dim: int = 16) -> torch.Tensor:
    return torch.randn(n, dim, generator=_noise(seed))


@pytest.mark.parametrize(("resolution", "channels", "layers"), [(8, 1, 3), (16, 3, 5)])
def test_output_shape_range_and_layer_count(resolution, channels, layers):
    g = _gen(resolution=resolution, channels=channels)
    out = g(_z(5, 0), noise_generator=_noise(0))
    assert out.shape == (5, channels, resolution, resolution)
    assert out.abs().max() <= 1 and out.std() > 0.05
    assert g.num_layers == layers == 2 * resolution.bit_length() - 5  # 2 log2(S) - 3


def test_channel_widths_and_parameter_count():
    g = StyleGenerator(resolution=32, base_channels=64, max_channels=256)
    widths = [layer.conv.weight.shape[0] for layer in g.layers]
    assert widths == [256, 256, 256, 128, 128, 64, 64]
    assert 2_000_000 < sum(p.numel() for p in g.parameters()) < 3_000_000
    small = StyleGenerator(resolution=32, base_channels=64, max_channels=128)
    assert 1_000_000 < sum(p.numel() for p in small.parameters()) < 1_500_000


@pytest.mark.parametrize(
    "kwargs",
    [{"resolution": 12}, {"resolution": 4}, {"mapping_layers": 0}, {"base_channels": 0}],
)
def test_bad_config_raises(kwargs):
    with pytest.raises(ConfigError):
        StyleGenerator(**kwargs)


def test_truncation_zero_gives_the_average_image():
    g = _gen()
    g.estimate_w_avg(2000, generator=_noise(1))
    a = g(_z(4, 0), truncation=0.0, noise_generator=_noise(7))
    b = g(_z(4, 1), truncation=0.0, noise_generator=_noise(7))
    torch.testing.assert_close(a, b)
    quiet = g(_z(4, 2), truncation=0.0)  # and without noise all the images are the same
    torch.testing.assert_close(quiet, quiet[:1].expand_as(quiet), atol=1e-6, rtol=0.0)
    full = g(_z(4, 0), noise_generator=_noise(7))
    assert not torch.allclose(full, a)
    # w_avg is the mean of w: truncating toward it shrinks the spread of w
    w = g.mapping(_z(512, 3))
    assert g.truncate(w, 0.5).std(0).mean() < 0.6 * w.std(0).mean()


def test_noise_generator_seed_decides_the_noise():
    g, z = _gen(), _z(4, 0)
    same = g(z, noise_generator=_noise(3)), g(z, noise_generator=_noise(3))
    torch.testing.assert_close(*same, atol=0.0, rtol=0.0)
    assert (g(z, noise_generator=_noise(4)) - same[0]).abs().max() > 1e-3
    torch.testing.assert_close(g(z), g(z), atol=0.0, rtol=0.0)  # no generator: no noise


def test_global_rng_is_not_used():
    g, z = _gen(), _z(3, 0)
    with torch.random.fork_rng():
        torch.manual_seed(123)
        before = torch.random.get_rng_state()
        g(z, noise_generator=_noise(0))
        g.estimate_w_avg(100, generator=_noise(0))
        assert torch.equal(before, torch.random.get_rng_state())


def test_style_mixing_changes_only_the_layers_after_the_cutoff():
    g, z, z2 = _gen(), _z(4, 0), _z(4, 1)
    noise = _noise(5).get_state()

    def run(**kw):
        return g(z, noise_generator=torch.Generator().set_state(noise), **kw)

    base = run()
    for cutoff in range(g.num_layers):
        assert (run(mix_z=z2, mix_cutoff=cutoff) - base).abs().max() > 1e-3, cutoff
    torch.testing.assert_close(run(mix_z=z2, mix_cutoff=g.num_layers), base, atol=0.0, rtol=0.0)
    torch.testing.assert_close(
        run(mix_z=z2, mix_cutoff=0),
        g(z2, noise_generator=torch.Generator().set_state(noise)),
    )
    # a per-sample cutoff equals the rows of the per-int results
    cut = torch.tensor([0, 1, 2, 3])
    mixed = run(mix_z=z2, mix_cutoff=cut)
    for i, c in enumerate(cut.tolist()):
        torch.testing.assert_close(mixed[i], run(mix_z=z2, mix_cutoff=c)[i])
    with pytest.raises(ConfigError):
        run(mix_z=z2)
    with pytest.raises(ConfigError):
        run(mix_z=z2, mix_cutoff=g.num_layers + 1)


def test_class_conditioning_changes_the_output():
    g, z = _gen(n_classes=3), _z(4, 0)
    a = g(z, torch.zeros(4, dtype=torch.long))
    b = g(z, torch.full((4,), 2))
    assert (a - b).abs().max() > 1e-2
    with pytest.raises(ConfigError, match="labels"):
        g(z)
    with pytest.raises(ConfigError, match="labels"):
        _gen()(z, torch.zeros(4, dtype=torch.long))


def _modconv_reference(x, weight, styles, demodulate, eps=1e-8):
    """One sample at a time, the definition written out."""
    outs = []
    for n in range(x.shape[0]):
        w = weight * styles[n][None, :, None, None]
        if demodulate:
            w = w / torch.sqrt(w.square().sum((1, 2, 3), keepdim=True) + eps)
        outs.append(F.conv2d(x[n : n + 1], w, padding=weight.shape[-1] // 2))
    return torch.cat(outs)


@pytest.mark.parametrize("demodulate", [True, False])
@pytest.mark.parametrize("kernel", [1, 3])
@pytest.mark.parametrize("fused", [True, False])
def test_modulated_conv_equals_per_sample_reference(demodulate, kernel, fused):
    g = _noise(0)
    x = torch.randn(5, 6, 7, 7, generator=g, dtype=torch.float64)
    weight = torch.randn(4, 6, kernel, kernel, generator=g, dtype=torch.float64)
    styles = torch.randn(5, 6, generator=g, dtype=torch.float64)
    out = modulated_conv2d(x, weight, styles, demodulate=demodulate, fused=fused)
    torch.testing.assert_close(out, _modconv_reference(x, weight, styles, demodulate))


def test_fused_and_unfused_generators_agree():
    g, z = _gen(n_classes=2), _z(3, 0)
    labels = torch.tensor([0, 1, 1])
    g.fused_modconv = True
    a = g(z, labels, noise_generator=_noise(1))
    g.fused_modconv = False
    torch.testing.assert_close(g(z, labels, noise_generator=_noise(1)), a, atol=1e-5, rtol=1e-5)


def test_demodulation_keeps_unit_variance():
    g = _noise(1)
    x = torch.randn(4, 32, 48, 48, generator=g)
    weight = torch.randn(16, 32, 3, 3, generator=g)
    styles = torch.rand(4, 32, generator=g) * 3 + 0.1  # very unequal channel scales
    out = modulated_conv2d(x, weight, styles)[..., 1:-1, 1:-1]  # interior: no zero padding
    std = out.std((1, 2, 3))
    assert torch.all((std > 0.95) & (std < 1.05)), std
    assert modulated_conv2d(x, weight, styles, demodulate=False).std() > 3


def test_gradients_reach_mapping_const_noise_and_styles():
    g = _gen(n_classes=2).train()
    out = g(_z(4, 0), torch.tensor([0, 1, 0, 1]), noise_generator=_noise(0))
    out.square().mean().backward()
    named = dict(g.named_parameters())
    assert named["const"].grad.abs().sum() > 0
    assert named["mapping_network.embed"].grad.abs().sum() > 0
    for name, p in named.items():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        if "mapping_network.layers" in name or "noise_strength" in name or "affine" in name:
            assert p.grad.abs().sum() > 0, name


def test_w_avg_update_and_state_dict_round_trip(tmp_path):
    g = _gen()
    assert torch.equal(g.w_avg, torch.zeros(16))
    w = torch.ones(8, 16)
    g.update_w_avg(w, beta=0.9)
    torch.testing.assert_close(g.w_avg, torch.full((16,), 0.1))
    g.estimate_w_avg(300, generator=_noise(2))
    first = g.w_avg.clone()
    g.estimate_w_avg(300, generator=_noise(2))
    torch.testing.assert_close(g.w_avg, first, atol=0.0, rtol=0.0)
    save_model(g, tmp_path / "g.safetensors")
    again = _gen(seed=99)
    load_model(again, tmp_path / "g.safetensors")
    torch.testing.assert_close(again.w_avg, first)
    z = _z(3, 0)
    torch.testing.assert_close(
        again(z, truncation=0.7, noise_generator=_noise(1)),
        g(z, truncation=0.7, noise_generator=_noise(1)),
    )


def test_bf16_autocast_on_cpu_is_close_to_fp32():
    g, z = _gen(), _z(4, 0)
    ref = g(z, noise_generator=_noise(0))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = g(z, noise_generator=_noise(0))
    assert torch.isfinite(low).all()
    assert (low.float() - ref).abs().max() < 0.1


def test_generator_overfits_a_fixed_batch():
    g = _gen(seed=1).train()
    z, target = _z(8, 0), torch.rand(8, 1, 8, 8, generator=_noise(1)) * 1.6 - 0.8
    opt = torch.optim.Adam(g.parameters(), lr=0.02, betas=(0.0, 0.99))
    losses = []
    for _ in range(120):
        loss = F.mse_loss(g(z, noise_generator=_noise(2)), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 5, (losses[0], losses[-1])
    assert losses[-1] < target.var() / 5  # 5× better than the best constant image


# ----------------------------------------------------------------------------- discriminator


def test_discriminator_logits_projection_and_r1():
    d = StyleDiscriminator(resolution=16, channels=3, base_channels=8, max_channels=16, n_classes=4)
    x = torch.randn(6, 3, 16, 16, generator=_noise(0)).requires_grad_(True)  # 6: mbstd groups of 3
    labels = torch.tensor([0, 1, 2, 3, 0, 1])
    logits = d(x, labels)
    assert logits.shape == (6,) and torch.isfinite(logits).all()
    assert (d(x, labels.roll(1)) - logits).abs().max() > 1e-4
    (grad,) = torch.autograd.grad(logits.sum(), x, create_graph=True)  # R1 penalty
    grad.square().sum((1, 2, 3)).mean().backward()
    # every weight shapes ∂D/∂x (biases act through piecewise-linear leaky ReLUs: ~0)
    grads = [p.grad for n, p in d.named_parameters() if not n.endswith("bias")]
    assert all(g is not None and torch.isfinite(g).all() and g.abs().sum() > 0 for g in grads)
    with pytest.raises(ConfigError, match="labels"):
        d(x)


def test_minibatch_stddev_appends_the_group_spread():
    x = torch.randn(6, 4, 2, 2, generator=_noise(0))
    out = minibatch_stddev(x, group_size=4)  # 4 does not divide 6: groups of 3
    assert out.shape == (6, 5, 2, 2)
    torch.testing.assert_close(out[:, :4], x)
    groups = x.reshape(3, 2, 4, 2, 2)  # sample i is in group i % 2
    expect = groups.std(0, unbiased=False).mean((1, 2, 3))
    torch.testing.assert_close(out[:, 4, 0, 0], expect.repeat(3), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(minibatch_stddev(x[:1])[:, 4], torch.full((1, 2, 2), 1e-4))

"""``stylegan``: a small style-based GAN (StyleGAN2, Karras et al. 2020) for images.

The generator (:class:`~synthset.models.gan.stylegan.StyleGenerator`) maps ``z`` to a style ``w``
that modulates every convolution of a synthesis network grown from a learned 4×4 constant, with
per-layer noise inputs and skip toRGB outputs; the discriminator is StyleGAN2's residual network
with minibatch standard deviation. Training follows StyleGAN2: non-saturating loss, lazy R1
penalty on real images, style-mixing regularisation, Adam β=(0, 0.99), an EMA generator, and
DiffAugment on small data. ``use_labels=True`` makes both networks class-conditional (a class
embedding in the mapping network, a projection discriminator). ``truncation < 1`` trades variety
for typicality at sampling time.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from synthset.models.gan.stylegan import StyleDiscriminator, StyleGenerator
from synthset.registry import register
from synthset.synthesizers.base import Boolean, Interval
from synthset.synthesizers.images._gan import GANImageSynthesizer
from synthset.synthesizers.images.dcgan import GAN_CONSTRAINTS, _ConvGAN
from synthset.training.callbacks import Callback
from synthset.utils import derive_seed, make_torch_generator


@register("stylegan")
class StyleGAN(GANImageSynthesizer):
    """Style-based GAN.

    Args:
        epochs, batch_size, lr_g, lr_d, betas, ema, diffaugment, amp, compile, max_seconds,
            sample_batch_size, device, random_state, verbose, callbacks: as for ``dcgan``.
        z_dim, w_dim: sizes of the latent and of the style vector.
        base_channels, max_channels: channels at the output resolution, doubling toward 4×4
            up to ``max_channels`` (both networks).
        mapping_layers: depth of the mapping network.
        r1_weight: γ of the R1 penalty, applied every ``r1_every`` steps (lazy regularisation).
        style_mixing: probability that a training batch mixes two styles at a random layer.
        truncation: ψ of the truncation trick when sampling (1: none).
        use_labels: learn a class-conditional model (needs labelled images).
    """

    _constraints = {
        **{k: v for k, v in GAN_CONSTRAINTS.items() if k not in ("g_width", "d_width")},
        "w_dim": Interval(int, 1),
        "base_channels": Interval(int, 1),
        "max_channels": Interval(int, 1),
        "mapping_layers": Interval(int, 1),
        "r1_weight": Interval(float, 0.0),
        "r1_every": Interval(int, 1),
        "style_mixing": Interval(float, 0.0, 1.0),
        "truncation": Interval(float, 0.0, 1.0),
        "use_labels": Boolean(),
    }
    loss = "bce"

    def __init__(
        self,
        *,
        epochs: int = 25,
        batch_size: int = 32,
        z_dim: int = 128,
        w_dim: int = 128,
        base_channels: int = 64,
        max_channels: int = 128,
        mapping_layers: int = 4,
        lr_g: float = 2e-3,
        lr_d: float = 2e-3,
        betas: tuple[float, float] = (0.0, 0.99),
        r1_weight: float = 0.1,
        r1_every: int = 16,
        style_mixing: float = 0.9,
        truncation: float = 1.0,
        use_labels: bool = False,
        ema: float | None = 0.999,
        diffaugment: str | None = "auto",
        amp: str = "auto",
        compile: bool = False,
        max_seconds: float | None = None,
        sample_batch_size: int | None = None,
        device: str = "auto",
        random_state: int | None = None,
        verbose: bool = False,
        callbacks: list[Callback] | None = None,
    ):
        self._store_params(locals())

    # the conditional flag follows the parameter (the other image models fix it per class)
    @property
    def conditional(self) -> bool:  # type: ignore[override]
        return bool(self.use_labels)

    _validate_params = _ConvGAN._validate_params

    def _g_config(self, channels: int) -> dict[str, Any]:
        return dict(
            z_dim=self.z_dim,
            w_dim=self.w_dim,
            resolution=self.resolution_,
            channels=channels,
            base_channels=self.base_channels,
            max_channels=self.max_channels,
            mapping_layers=self.mapping_layers,
            n_classes=self.n_classes_,
        )

    def _build(self, channels: int) -> tuple[nn.Module, nn.Module]:
        self.config_ = self._g_config(channels)
        G = StyleGenerator(**self.config_)
        D = StyleDiscriminator(
            resolution=self.resolution_,
            channels=channels,
            base_channels=self.base_channels,
            max_channels=self.max_channels,
            n_classes=self.n_classes_,
        )
        self._mix_gen = make_torch_generator(derive_seed(self.random_state, 4), self.device_)
        return G, D

    def _g(self, net: nn.Module, z: Tensor, y: Tensor | None) -> Tensor:
        """Training forward: per-layer noise and, with probability ``style_mixing``, two styles."""
        gen = self._mix_gen
        mix_z = mix_cutoff = None
        if (
            self.style_mixing
            and torch.rand((), generator=gen, device=gen.device) < self.style_mixing
        ):
            mix_z = torch.randn(z.shape, generator=gen, device=z.device, dtype=z.dtype)
            mix_cutoff = int(torch.randint(1, net.num_layers, (), generator=gen, device=gen.device))
        return net(z, y, noise_generator=gen, mix_z=mix_z, mix_cutoff=mix_cutoff)

    def _train(self, X: Tensor, y: Tensor | None) -> None:
        super()._train(X, y)
        net = self._sampling_net()
        seed = derive_seed(self.random_state, 5)
        net.estimate_w_avg(10_000, generator=make_torch_generator(seed, self.device_))

    def _generate(self, net: nn.Module, m: int, y: Tensor | None, gen: torch.Generator) -> Tensor:
        z = torch.randn(m, self.z_dim, generator=gen, device=self.device_)
        return net(z, y, truncation=self.truncation, noise_generator=gen)

    def _model_config(self) -> dict[str, Any]:
        return dict(self.config_)

    def _generator_from_config(self, cfg: dict[str, Any]) -> nn.Module:
        self.config_ = dict(cfg)
        return StyleGenerator(**self.config_)

"""``dcgan``, ``wgan_gp`` and ``cgan``: the convolutional image GANs.

* ``dcgan`` — Radford et al. (2016): transposed-convolution generator, batch-norm discriminator,
  non-saturating loss, Adam(2e-4, β=(0.5, 0.999)).
* ``wgan_gp`` — Gulrajani et al. (2017): the same generator against a critic without batch norm
  (layer norm, or spectral norm with ``spectral_norm=True``), a gradient penalty, ``n_critic``
  critic steps per generator step and separate learning rates.
* ``cgan`` — a class-conditional GAN: the generator takes a class embedding beside ``z``; the
  discriminator is a projection discriminator (Miyato & Koyama 2018), batch-norm by default or
  spectral-norm with the hinge loss. ``sample(n, conditions={"label": "Coat"})`` draws one class.

All three keep an EMA of the generator (``ema``), use DiffAugment on small data
(``diffaugment="auto"``), bf16 autocast on a GPU, and ``torch.compile`` on request.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from synthset.models.gan.image import ConvDiscriminator, ConvGANConfig, DCGANGenerator
from synthset.registry import register
from synthset.synthesizers.base import Boolean, Interval, Options
from synthset.synthesizers.images._base import (
    DP_CONSTRAINTS,
    IMAGE_CONSTRAINTS,
    DiffAugmentPolicy,
)
from synthset.synthesizers.images._gan import GANImageSynthesizer
from synthset.training.callbacks import Callback

GAN_CONSTRAINTS = {
    **IMAGE_CONSTRAINTS,
    "z_dim": Interval(int, 1),
    "g_width": Interval(int, 1),
    "d_width": Interval(int, 1),
    "lr_g": Interval(float, 0.0, low_open=True),
    "lr_d": Interval(float, 0.0, low_open=True),
    "betas": None,  # checked in _check_params (a pair of numbers in [0, 1))
    "ema": Interval(float, 0.0, 1.0, none_ok=True),
    "diffaugment": DiffAugmentPolicy(),
}


class _ConvGAN(GANImageSynthesizer):
    d_norm = "batch"

    def _validate_params(self) -> None:
        from synthset.errors import ConfigError

        for k, c in self._constraints.items():
            if c is not None:
                c.check(k, getattr(self, k))
        b = self.betas
        ok = isinstance(b, (tuple, list)) and len(b) == 2
        ok = ok and all(isinstance(v, (int, float)) and 0.0 <= v < 1.0 for v in b)
        if not ok:
            raise ConfigError(f"`betas` must be a pair of numbers in [0, 1), got {b!r}")
        self.betas = tuple(float(v) for v in b)
        if self.ema == 1.0:
            raise ConfigError("`ema` must be < 1 (1 would never update); use None to turn it off")
        if getattr(self, "dp", None) is not None and getattr(self, "spectral_norm", False):
            raise ConfigError(
                "spectral_norm=True cannot be trained with DP (Opacus has no per-sample "
                "gradient for spectral-norm layers); use spectral_norm=False with dp"
            )

    def _config(self, channels: int) -> ConvGANConfig:
        return ConvGANConfig(
            resolution=self.resolution_,
            channels=channels,
            z_dim=self.z_dim,
            g_width=self.g_width,
            d_width=self.d_width,
            n_classes=self.n_classes_,
            d_norm=self.d_norm,
        )

    def _build(self, channels: int) -> tuple[nn.Module, nn.Module]:
        self.config_ = self._config(channels)
        return DCGANGenerator(self.config_), ConvDiscriminator(self.config_)

    def _model_config(self) -> dict[str, Any]:
        return self.config_.to_dict()

    def _generator_from_config(self, cfg: dict[str, Any]) -> nn.Module:
        self.config_ = ConvGANConfig(**cfg)
        return DCGANGenerator(self.config_)


@register("dcgan")
class DCGAN(_ConvGAN):
    """DCGAN for images (unconditional).

    Args:
        epochs: passes over the images.
        batch_size: images per step (128 as in the DCGAN paper).
        z_dim: size of the noise vector.
        g_width, d_width: channels of the generator's last and the discriminator's first stage
            (64 in the paper); the others double towards the 4×4 stage.
        lr_g, lr_d: Adam learning rates; betas: Adam betas.
        ema: decay of the generator-weight average used for sampling (None: off).
        diffaugment: "auto" (on below 2,000 images), "" (off) or transforms to use, e.g.
            "color,translation,cutout".
        amp: "auto" (bf16 on a GPU), "bf16", "off". compile: ``torch.compile`` the networks.
        max_seconds: stop training after this much wall-clock time (None: no limit).
        sample_batch_size: images generated per batch when sampling (None: 1,024 on CPU).
        device: "auto", "cpu", "cuda[:N]". random_state: seed of weights, batches and noise.
        verbose: show a progress bar. callbacks: extra training callbacks.
        dp: train with differential privacy, e.g. ``{"epsilon": 8.0, "delta": 1e-6}`` (keys of
            :class:`~synthset.privacy.DPConfig`): the discriminator, the one network that reads
            real images, is trained with DP-SGD (Poisson batches, per-image clipping, Gaussian
            noise, group norm instead of batch norm); ``privacy_`` records the spent (ε, δ).
    """

    _constraints = {**GAN_CONSTRAINTS, **DP_CONSTRAINTS}
    loss = "bce"
    d_norm = "batch"

    def __init__(
        self,
        *,
        epochs: int = 25,
        batch_size: int = 128,
        z_dim: int = 100,
        g_width: int = 64,
        d_width: int = 64,
        lr_g: float = 2e-4,
        lr_d: float = 2e-4,
        betas: tuple[float, float] = (0.5, 0.999),
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
        dp: dict | None = None,
    ):
        self._store_params(locals())


@register("wgan_gp")
class WGANGP(_ConvGAN):
    """WGAN with gradient penalty (unconditional).

    Args (beyond :class:`DCGAN`'s):
        n_critic: critic steps per generator step (5 in the paper).
        gp_weight: weight λ of the gradient penalty (10 in the paper).
        spectral_norm: spectral-normalise the critic's layers instead of layer norm.
    """

    _constraints = {
        **GAN_CONSTRAINTS,
        "n_critic": Interval(int, 1),
        "gp_weight": Interval(float, 0.0),
        "spectral_norm": Boolean(),
    }
    loss = "wgan"

    def __init__(
        self,
        *,
        epochs: int = 25,
        batch_size: int = 64,
        z_dim: int = 100,
        g_width: int = 64,
        d_width: int = 64,
        lr_g: float = 1e-4,
        lr_d: float = 1e-4,
        betas: tuple[float, float] = (0.0, 0.9),
        n_critic: int = 5,
        gp_weight: float = 10.0,
        spectral_norm: bool = False,
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

    @property
    def d_norm(self) -> str:  # type: ignore[override]
        return "spectral" if self.spectral_norm else "layer"


@register("cgan")
class CGAN(_ConvGAN):
    """Class-conditional GAN: a class embedding beside ``z``, a projection discriminator.

    Takes the same arguments as :class:`DCGAN` (``dp`` included: with DP the class frequencies
    are a noisy histogram too), plus ``loss`` ("bce", the non-saturating loss,
    or "hinge") and ``spectral_norm`` (False: a batch-norm projection discriminator; True: the
    spectral-norm one of Miyato & Koyama, usually paired with ``loss="hinge"``). The default
    (bce, batch norm) was the one that learned LFW's 80 faces per class without collapsing
    onto one face in our runs. Needs labelled images. ``sample(n)`` follows the training class
    frequencies; ``sample(n, conditions={"label": c})`` draws class ``c``.
    """

    _constraints = {
        **GAN_CONSTRAINTS,
        **DP_CONSTRAINTS,
        "spectral_norm": Boolean(),
        "loss": Options(("bce", "hinge")),
    }
    conditional = True

    def __init__(
        self,
        *,
        epochs: int = 25,
        batch_size: int = 64,
        z_dim: int = 100,
        g_width: int = 64,
        d_width: int = 64,
        lr_g: float = 2e-4,
        lr_d: float = 2e-4,
        betas: tuple[float, float] = (0.5, 0.999),
        loss: str = "bce",
        spectral_norm: bool = False,
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
        dp: dict | None = None,
    ):
        self._store_params(locals())

    @property
    def d_norm(self) -> str:  # type: ignore[override]
        return "spectral" if self.spectral_norm else "batch"

"""``vae``, ``beta_vae`` and ``cvae``: convolutional variational autoencoders for images.

* ``vae`` — the evidence lower bound with β = 1;
* ``beta_vae`` — Higgins et al. (2017): β > 1 (default 4) trades reconstruction for a more
  disentangled, smoother latent space;
* ``cvae`` — class-conditional: the class enters the encoder and the decoder, so
  ``sample(n, conditions={"label": "7"})`` draws one class (and ``augment()`` can balance classes).

Sampling draws ``z ~ N(0, I)`` and returns the decoder mean.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from synthset.models.vae.conv import ConvVAE, ConvVAEConfig, vae_loss
from synthset.registry import register
from synthset.synthesizers.base import Interval, Options
from synthset.synthesizers.images._base import DP_CONSTRAINTS, IMAGE_CONSTRAINTS, ImageSynthesizer
from synthset.training.callbacks import Callback
from synthset.training.trainer import Trainer
from synthset.utils import derive_seed, make_torch_generator

VAE_CONSTRAINTS = {
    **IMAGE_CONSTRAINTS,
    "latent_dim": Interval(int, 1),
    "width": Interval(int, 1),
    "beta": Interval(float, 0.0, none_ok=True),
    "lr": Interval(float, 0.0, low_open=True),
    "reconstruction": Options(("bce", "mse")),
    **DP_CONSTRAINTS,
}


class _ConvVAESynth(ImageSynthesizer):
    """Convolutional VAE (see the module docstring).

    Args:
        epochs: passes over the images. batch_size: images per step.
        latent_dim: size of the latent code. width: channels of the first encoder stage.
        beta: weight of the KL term (None: 1 for vae and cvae, the ELBO; 4 for beta_vae).
        lr: Adam learning rate.
        reconstruction: "bce" (Bernoulli pixels) or "mse" (Gaussian pixels, σ = 0.1).
        amp, compile, max_seconds, sample_batch_size, device, random_state, verbose, callbacks:
            as for :class:`~synthset.synthesizers.images.dcgan.DCGAN`.
        dp: train with differential privacy, e.g. ``{"epsilon": 8.0, "delta": 1e-6}`` (keys of
            :class:`~synthset.privacy.DPConfig`): encoder and decoder both read real images, so
            the whole VAE is trained with DP-SGD (Poisson batches, per-image clipping of the
            ELBO's gradient, Gaussian noise, group norm instead of batch norm); ``privacy_``
            records the spent (ε, δ).
    """

    _constraints = VAE_CONSTRAINTS
    default_beta = 1.0

    def __init__(
        self,
        *,
        epochs: int = 30,
        batch_size: int = 128,
        latent_dim: int = 32,
        width: int = 32,
        beta: float | None = None,
        lr: float = 1e-3,
        reconstruction: str = "bce",
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

    def _train(self, X: Tensor, y: Tensor | None) -> None:
        dev = self.device_
        private = getattr(self, "_dp", None) is not None
        self.config_ = ConvVAEConfig(
            resolution=self.resolution_,
            channels=X.shape[1],
            latent_dim=self.latent_dim,
            width=self.width,
            n_classes=self.n_classes_,
            norm="group" if private else "batch",
        )
        init_seed = derive_seed(self.random_state, 1)
        with torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):
            if init_seed is not None:
                torch.manual_seed(init_seed)
            model = ConvVAE(self.config_).to(dev)
        self.model_ = model
        if private:
            return self._train_private(model, X, y)
        opt = torch.optim.Adam(model.parameters(), lr=self.lr)
        gen = make_torch_generator(derive_seed(self.random_state, 2), dev)
        batches = self._batches(len(X), self.batch_size_, gen, dev)
        net = self._maybe_compile(model)
        beta = float(self.default_beta if self.beta is None else self.beta)
        rec_kind = self.reconstruction

        def loss_fn(xb: Tensor, yb: Tensor | None, eps: Tensor) -> tuple[Tensor, Tensor, Tensor]:
            return vae_loss(net, xb, yb, eps, beta=beta, reconstruction=rec_kind)

        def step() -> dict[str, Tensor]:
            idx = next(batches)
            xb, yb = X[idx], (y[idx] if y is not None else None)
            eps = torch.randn(len(idx), self.latent_dim, generator=gen, device=dev)
            with self._autocast():
                loss, rec, kl = loss_fn(xb, yb, eps)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return {"loss": loss.detach(), "reconstruction": rec.detach(), "kl": kl.detach()}

        model.train()
        trainer = Trainer(
            epochs=self.epochs,
            steps_per_epoch=max(len(X) // self.batch_size_, 1),
            callbacks=self._callbacks(),
        )
        self.history_ = trainer.fit(step)
        model.eval()

    def _train_private(self, model: ConvVAE, X: Tensor, y: Tensor | None) -> None:
        """DP-SGD over the whole VAE: Poisson batches, each image's ELBO gradient clipped."""
        from synthset.privacy.dpsgd import poisson_batch

        dev = self.device_
        N, B = len(X), self.batch_size_
        steps = self._plan_private(N, "training: encoder + decoder (DP-SGD, Poisson sampling)")
        net = self._private.private_net(
            _PerImageELBO(model, self.beta, self.default_beta, self.reconstruction),
            lambda ps: torch.optim.Adam(ps, lr=self.lr),
            make_torch_generator(derive_seed(self.random_state, 4), dev),
        )
        gen = make_torch_generator(derive_seed(self.random_state, 2), dev)

        def step() -> dict[str, Tensor]:
            idx = poisson_batch(N, B / N, gen, dev)
            if len(idx) == 0:  # an empty Poisson batch: a noise-only update, still charged
                net.step(None)
                return {"loss": torch.zeros((), device=dev)}
            xb, yb = X[idx], (y[idx] if y is not None else None)
            eps = torch.randn(len(idx), self.latent_dim, generator=gen, device=dev)
            per_image = net.module(xb, yb, eps) if yb is not None else net.module(xb, eps)
            net.step(per_image)
            return {"loss": per_image.detach().mean()}

        net.module.train()
        trainer = Trainer(epochs=self.epochs, steps_per_epoch=steps, callbacks=self._callbacks())
        self.history_ = trainer.fit(step)
        # the trained network is the wrapped one (a copy, had Opacus had to fix a layer)
        self.model_ = net.inner.model.eval()
        self._finish_private(net.steps, ["encoder", "decoder"])

    def _sampling_net(self) -> nn.Module:
        return self.model_.eval()

    def _generate(self, net: nn.Module, m: int, y: Tensor | None, gen: torch.Generator) -> Tensor:
        z = torch.randn(m, self.config_.latent_dim, generator=gen, device=self.device_)
        return net(z, y)

    def _model_config(self) -> dict[str, Any]:
        return self.config_.to_dict()

    def _restore_model(self, cfg: dict[str, Any]) -> nn.Module:
        self.config_ = ConvVAEConfig(**cfg)
        self.model_ = ConvVAE(self.config_)
        return self.model_


@register("vae")
class ConvVAESynthesizer(_ConvVAESynth):
    __doc__ = _ConvVAESynth.__doc__


@register("beta_vae")
class BetaVAE(_ConvVAESynth):
    """β-VAE: the convolutional VAE with ``beta`` = 4 by default (see ``ConvVAESynthesizer``)."""

    default_beta = 4.0


@register("cvae")
class CVAE(_ConvVAESynth):
    """Class-conditional convolutional VAE; needs labelled images (see the module docstring)."""

    conditional = True


class _PerImageELBO(nn.Module):
    """The negative ELBO of every image as one module call (what Opacus hooks into):
    ``forward(x, [y,] eps) -> (B,)``."""

    def __init__(self, model: ConvVAE, beta: float | None, default_beta: float, rec: str):
        super().__init__()
        self.model = model
        self.beta = float(default_beta if beta is None else beta)
        self.rec = rec

    def forward(self, x: Tensor, *rest: Tensor) -> Tensor:
        y, eps = (rest[0], rest[1]) if len(rest) == 2 else (None, rest[0])
        loss, _, _ = vae_loss(
            self.model, x, y, eps, beta=self.beta, reconstruction=self.rec, per_image=True
        )
        return loss

"""The adversarial training loop shared by the image GANs (dcgan, wgan_gp, cgan, stylegan).

One step = ``n_critic`` discriminator updates and one generator update:

* losses: ``"bce"`` (the non-saturating loss of DCGAN), ``"hinge"`` (projection cGANs) or
  ``"wgan"`` (Wasserstein critic, with a gradient penalty ``gp_weight`` on interpolates);
* optional R1 penalty on real images (``r1_weight``, lazily every ``r1_every`` steps, as in
  StyleGAN2), DiffAugment on both real and fake images, an EMA of the generator's weights;
* with ``n_critic == 1`` the generated batch of the discriminator step is reused (with its graph)
  for the generator step, as the reference DCGAN loop does, so one generator forward per step;
* the discriminator's weights are frozen during the generator's backward pass, which then
  computes only the gradients the generator needs.

Everything stays on the device; the losses are returned as tensors and read once per epoch.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from synthset.models.gan.diffaugment import diff_augment
from synthset.synthesizers.images._base import ImageSynthesizer
from synthset.training.ema import EMA
from synthset.training.trainer import Trainer
from synthset.utils import derive_seed, make_torch_generator


def d_loss(kind: str, real: Tensor, fake: Tensor) -> Tensor:
    """The discriminator loss on real and fake scores."""
    if kind == "bce":
        return F.softplus(-real).mean() + F.softplus(fake).mean()
    if kind == "hinge":
        return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()
    return fake.mean() - real.mean()  # wgan


def _per_sample_d_loss(kind: str, signed: Tensor) -> Tensor:
    """Per-image discriminator loss of scores ``signed`` (real scores, or minus fake scores)."""
    if kind == "bce":
        return F.softplus(-signed)
    if kind == "hinge":
        return F.relu(1.0 - signed)
    raise ValueError(f"no per-sample discriminator loss for {kind!r}")


def g_loss(kind: str, fake: Tensor) -> Tensor:
    """The generator loss on fake scores (non-saturating for bce)."""
    if kind == "bce":
        return F.softplus(-fake).mean()
    return -fake.mean()  # hinge and wgan


class GANImageSynthesizer(ImageSynthesizer):
    """Base of the image GANs; subclasses build the two networks and set their defaults."""

    loss: str = "bce"

    @abstractmethod
    def _build(self, channels: int) -> tuple[nn.Module, nn.Module]:
        """(generator, discriminator) for ``self.resolution_``, ``channels``, ``n_classes_``."""

    def _z(self, m: int, gen: torch.Generator) -> Tensor:
        return torch.randn(m, self.z_dim, generator=gen, device=self.device_)

    def _g(self, net: nn.Module, z: Tensor, y: Tensor | None) -> Tensor:
        return net(z, y)

    def _train(self, X: Tensor, y: Tensor | None) -> None:
        if getattr(self, "_dp", None) is not None:
            return self._train_private(X, y)
        dev = self.device_
        init_seed = derive_seed(self.random_state, 1)
        with torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):
            if init_seed is not None:
                torch.manual_seed(init_seed)
            G, D = self._build(X.shape[1])
        G, D = G.to(dev), D.to(dev)
        self.generator_ = G
        self.ema_ = EMA(G, self.ema) if self.ema else None
        opt_g = torch.optim.Adam(G.parameters(), lr=self.lr_g, betas=self.betas)
        opt_d = torch.optim.Adam(D.parameters(), lr=self.lr_d, betas=self.betas)
        gen = make_torch_generator(derive_seed(self.random_state, 2), dev)
        aug_gen = make_torch_generator(derive_seed(self.random_state, 3), dev)
        policy = self._diffaugment_policy(len(X))
        self.diffaugment_used_ = ",".join(policy)
        G_c, D_c = self._maybe_compile(G), self._maybe_compile(D)
        batches = self._batches(len(X), self.batch_size_, gen, dev)
        n_critic = getattr(self, "n_critic", 1)
        gp_weight = getattr(self, "gp_weight", 0.0)
        r1_weight, r1_every = getattr(self, "r1_weight", 0.0), getattr(self, "r1_every", 16)
        kind = self.loss
        autocast = self._autocast
        ema = self.ema_
        counter = {"step": 0}

        def aug(x: Tensor) -> Tensor:
            return diff_augment(x, policy, aug_gen) if policy else x

        def step() -> dict[str, Tensor]:
            logs: dict[str, Tensor] = {}
            fake = None
            for i in range(n_critic):
                idx = next(batches)
                real, yb = X[idx], (y[idx] if y is not None else None)
                z = self._z(len(idx), gen)
                with autocast():
                    if n_critic == 1:  # reuse this batch (and its graph) for the G step
                        fake, y_fake = self._g(G_c, z, yb), yb
                        fake_d = fake.detach()
                    else:
                        with torch.no_grad():
                            fake_d = self._g(G_c, z, yb)
                    out_real = D_c(aug(real), yb)
                    out_fake = D_c(aug(fake_d), yb)
                    loss_d = d_loss(kind, out_real.float(), out_fake.float())
                if gp_weight:
                    loss_d = loss_d + gp_weight * self._gradient_penalty(D, real, fake_d, yb, gen)
                if r1_weight and counter["step"] % r1_every == 0 and i == 0:
                    loss_d = loss_d + r1_weight * r1_every * self._r1(D, real, yb, aug)
                opt_d.zero_grad(set_to_none=True)
                loss_d.backward()
                opt_d.step()
                logs["loss_d"] = loss_d.detach() if i == 0 else logs["loss_d"] + loss_d.detach()
            logs["loss_d"] = logs["loss_d"] / n_critic
            if n_critic != 1:
                y_fake = self._draw_batch_labels(yb, gen)
                with autocast():
                    fake = self._g(G_c, self._z(self.batch_size_, gen), y_fake)
            D.requires_grad_(False)
            with autocast():
                loss_g = g_loss(kind, D_c(aug(fake), y_fake).float())
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            D.requires_grad_(True)
            if ema is not None:
                ema.update()
            self._after_step(counter["step"])
            counter["step"] += 1
            logs["loss_g"] = loss_g.detach()
            return logs

        steps = max(len(X) // (self.batch_size_ * n_critic), 1)
        G.train(), D.train()
        trainer = Trainer(epochs=self.epochs, steps_per_epoch=steps, callbacks=self._callbacks())
        self.history_ = trainer.fit(step)
        G.eval()

    def _train_private(self, X: Tensor, y: Tensor | None) -> None:
        """DP-GAN: only the discriminator reads real images, so it alone is trained with DP-SGD
        (Poisson batches, per-image clipping, Gaussian noise; batch norm replaced by group
        norm); the generator learns through it (post-processing) and is what is saved. Each
        step scores the real batch (its size varies) and a fixed number of fakes (the public
        batch size), so one image moves the clipped sum by at most the clip bound."""
        from synthset.privacy.dpsgd import poisson_batch

        dev = self.device_
        N, B = len(X), self.batch_size_
        steps = self._plan_private(N, "training: discriminator (DP-SGD, Poisson sampling)")
        init_seed = derive_seed(self.random_state, 1)
        with torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):
            if init_seed is not None:
                torch.manual_seed(init_seed)
            G, D = self._build(X.shape[1])
        G = G.to(dev)
        self.generator_ = G
        self.ema_ = EMA(G, self.ema) if self.ema else None
        opt_g = torch.optim.Adam(G.parameters(), lr=self.lr_g, betas=self.betas)
        gen = make_torch_generator(derive_seed(self.random_state, 2), dev)
        aug_gen = make_torch_generator(derive_seed(self.random_state, 3), dev)
        noise_gen = make_torch_generator(derive_seed(self.random_state, 4), dev)
        policy = self._diffaugment_policy(N)
        self.diffaugment_used_ = ",".join(policy)
        net = self._private.private_net(
            D.to(dev), lambda ps: torch.optim.Adam(ps, lr=self.lr_d, betas=self.betas), noise_gen
        )
        Dp, ema, kind = net.module, self.ema_, self.loss

        def aug(x: Tensor) -> Tensor:
            return diff_augment(x, policy, aug_gen) if policy else x

        def step() -> dict[str, Tensor]:
            idx = poisson_batch(N, B / N, gen, dev)
            m = len(idx)
            y_fake = self._draw_labels(B, gen)
            with torch.no_grad():
                fake = self._g(G, self._z(B, gen), y_fake)
            if m == 0:  # an empty Poisson batch: a noise-only update, still charged
                net.step(None)
                loss_d = torch.zeros((), device=dev)
            else:
                real, yb = X[idx], (y[idx] if y is not None else None)
                labels = None if y is None else torch.cat([yb, y_fake])
                out = Dp(aug(torch.cat([real, fake])), labels).float()
                per_image = torch.cat(
                    [_per_sample_d_loss(kind, out[:m]), _per_sample_d_loss(kind, -out[m:])]
                )
                net.step(per_image)
                loss_d = per_image.detach().mean()
            net.freeze(True)  # the generator step records no per-sample gradients in D
            y_fake = self._draw_labels(B, gen)
            fake = self._g(G, self._z(B, gen), y_fake)
            loss_g = g_loss(kind, Dp(aug(fake), y_fake).float())
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            net.freeze(False)
            if ema is not None:
                ema.update()
            return {"loss_d": loss_d, "loss_g": loss_g.detach()}

        G.train(), Dp.train()
        trainer = Trainer(epochs=self.epochs, steps_per_epoch=steps, callbacks=self._callbacks())
        self.history_ = trainer.fit(step)
        G.eval()
        self._finish_private(net.steps, ["discriminator"])

    def _draw_batch_labels(self, yb: Tensor | None, gen: torch.Generator) -> Tensor | None:
        if yb is None:
            return None
        return self._draw_labels(self.batch_size_, gen)

    def _after_step(self, step: int) -> None:
        """A hook run after each generator update (StyleGAN tracks its mean w here)."""

    @staticmethod
    def _gradient_penalty(
        D: nn.Module, real: Tensor, fake: Tensor, y: Tensor | None, gen: torch.Generator
    ) -> Tensor:
        """WGAN-GP (Gulrajani et al. 2017): (‖∇D(x̂)‖ − 1)² on random interpolates, in fp32."""
        eps = torch.rand(len(real), 1, 1, 1, generator=gen, device=real.device, dtype=real.dtype)
        x_hat = (eps * real + (1.0 - eps) * fake.float()).requires_grad_(True)
        out = D(x_hat, y)
        (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
        return ((grad.flatten(1).norm(dim=1) - 1.0) ** 2).mean()

    @staticmethod
    def _r1(D: nn.Module, real: Tensor, y: Tensor | None, aug: Any) -> Tensor:
        """R1 (Mescheder et al. 2018): ½‖∇D(x)‖² on real images."""
        x = real.detach().requires_grad_(True)
        out = D(aug(x), y)
        (grad,) = torch.autograd.grad(out.sum(), x, create_graph=True)
        return 0.5 * grad.pow(2).flatten(1).sum(1).mean()

    # ------------------------------------------------------------------ sampling / state
    def _sampling_net(self) -> nn.Module:
        net = self.ema_.shadow if getattr(self, "ema_", None) is not None else self.generator_
        return net.eval()

    def _generate(self, net: nn.Module, m: int, y: Tensor | None, gen: torch.Generator) -> Tensor:
        return self._g(net, self._z(m, gen), y)

    def _restore_model(self, cfg: dict[str, Any]) -> nn.Module:
        G = self._generator_from_config(cfg)
        self.generator_ = G
        self.ema_ = None  # the saved generator already holds the averaged weights
        return G

    @abstractmethod
    def _generator_from_config(self, cfg: dict[str, Any]) -> nn.Module:
        """Rebuild the generator from ``_model_config()``."""

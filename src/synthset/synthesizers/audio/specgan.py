"""``specgan``: a (class-conditional) GAN on log-mel spectrograms, sampled through Griffin-Lim.

In the spirit of SpecGAN (Donahue, McAuley & Puckette 2019, "Adversarial Audio Synthesis"),
which trains a DCGAN on spectrograms and inverts them with Griffin-Lim, with the conditional GAN
practice of Miyato & Koyama (2018): the generator's batch norms are class-conditional and a class
embedding joins ``z``; the discriminator is a spectral-norm projection discriminator. Loss: the
hinge loss, with an optional R1 penalty (Mescheder et al. 2018) on real spectrograms.

For the small sets this is meant for (tens of clips per class), the discriminator sees real and
generated spectrograms through the same random augmentations (``augment``: gain, time shift,
frequency / time masks; DiffAugment's idea, Zhao et al. 2020), so it cannot memorise the few real
clips, and a mode-seeking term (Mao et al. 2019) keeps each class from collapsing onto one
spectrogram: measured on 10 espeak digits per class, it lifted the accuracy of a classifier
trained on the samples from 20% to 77% (see ``mode_seeking``). Samples come from an exponential
moving average of the generator's weights (``ema``).

Fit: clips → log-mel images (N, 1, n_mels, frames) in [-1, 1] on the device (the base) → the
alternating D / G steps here. Sample: ``z ~ N(0, I)`` [+ a class] → EMA generator → Griffin-Lim.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from synthset.errors import ConfigError
from synthset.models.audio.spec_nets import (
    SpecDiscriminator,
    SpecGenerator,
    SpecNetConfig,
    parse_spec_policy,
    spec_augment,
)
from synthset.registry import register
from synthset.synthesizers.audio._base import (
    AUDIO_CONSTRAINTS,
    MEL_CONSTRAINTS,
    SpectrogramSynthesizer,
)
from synthset.synthesizers.base import Interval, Options
from synthset.training.callbacks import Callback
from synthset.training.ema import EMA
from synthset.training.trainer import Trainer
from synthset.utils import derive_seed, make_torch_generator

N_STAGES = 4  # ×2 stages of the networks: frames are padded to a multiple of 16
AUTO_AUGMENT_BELOW = 2_000  # clips: augmentation is on for smaller sets ("auto")
AUGMENT_DEFAULT = "gain,shift,mask"


class SpecAugmentPolicy:
    """Constraint: ``"auto"``, ``""`` / None (off) or a comma list of gain, shift, mask."""

    def check(self, name: str, value: Any) -> None:
        if value in (None, "", "auto"):
            return
        try:
            ok = isinstance(value, str) and bool(parse_spec_policy(value))
        except ValueError:
            ok = False
        if not ok:
            raise ConfigError(
                f"`{name}` must be 'auto', '' (off) or a comma list of gain, shift, mask; "
                f"got {value!r}"
            )


def check_mel_stages(n_mels: int, stages: int = N_STAGES) -> None:
    """The networks halve the mel axis ``stages`` times: ``n_mels`` must divide evenly."""
    m = 2**stages
    if n_mels % m:
        raise ConfigError(
            f"`n_mels` must be a multiple of {m} for this network (it halves the mel axis "
            f"{stages} times), got {n_mels}; try {max(m, round(n_mels / m) * m)}"
        )


def check_betas(betas: Any) -> tuple[float, float]:
    ok = isinstance(betas, (tuple, list)) and len(betas) == 2
    ok = ok and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and 0.0 <= v < 1.0 for v in betas
    )
    if not ok:
        raise ConfigError(f"`betas` must be a pair of numbers in [0, 1), got {betas!r}")
    return float(betas[0]), float(betas[1])


@register("specgan")
class SpecGAN(SpectrogramSynthesizer):
    """A GAN on log-mel spectrograms; class-conditional when the clips are labelled.

    Args:
        epochs: passes over the clips.
        batch_size: clips per step.
        latent_dim: size of the noise vector ``z`` (and of the class embedding).
        width: channels of the generator's last hidden stage and the discriminator's first;
            the others double towards the smallest map (n_mels / 16 × frames / 16).
        lr_g, lr_d: Adam learning rates of the generator and the discriminator.
        betas: Adam betas.
        loss: "hinge" or "bce" (the non-saturating loss).
        r1_weight: weight of the R1 penalty ½‖∇D(x)‖² on real spectrograms (0: off).
        mode_seeking: weight λ of the mode-seeking term of Mao et al. (2019): pairs of fakes of
            the same class are pushed apart in proportion to their distance in ``z``, against
            the collapse of a class onto one spectrogram that a conditional GAN suffers on a
            few clips per class (0: off).
        ema: decay of the generator-weight average used for sampling (None: off).
        augment: "auto" (on below 2,000 clips), "" (off) or a comma list of "gain", "shift",
            "mask": augmentations of real and fake spectrograms before the discriminator.
        n_mels: mel bands (a multiple of 16). n_fft, hop_length: STFT size and hop in samples
            (None: about 64 ms and a quarter of it). dynamic_range_db: the range of log-mel
            values modelled, below the loudest bin of the training clips.
        griffin_lim_iters: Griffin-Lim iterations when sampling waveforms.
        max_seconds: stop training after this much wall-clock time (None: no limit).
        sample_batch_size: clips generated per batch when sampling (None: 256 on CPU).
        device: "auto", "cpu", "cuda[:N]". random_state: seed of weights, batches and noise.
        verbose: show a progress bar. callbacks: extra training callbacks.
    """

    _constraints = {
        **AUDIO_CONSTRAINTS,
        **MEL_CONSTRAINTS,
        "latent_dim": Interval(int, 1),
        "width": Interval(int, 1),
        "lr_g": Interval(float, 0.0, low_open=True),
        "lr_d": Interval(float, 0.0, low_open=True),
        "loss": Options(("hinge", "bce")),
        "r1_weight": Interval(float, 0.0),
        "mode_seeking": Interval(float, 0.0),
        "ema": Interval(float, 0.0, 1.0, none_ok=True),
        "augment": SpecAugmentPolicy(),
    }
    frame_multiple = 2**N_STAGES

    def __init__(
        self,
        *,
        epochs: int = 500,
        batch_size: int = 32,
        latent_dim: int = 128,
        width: int = 16,
        lr_g: float = 2e-4,
        lr_d: float = 2e-4,
        betas: tuple[float, float] = (0.5, 0.999),
        loss: str = "hinge",
        r1_weight: float = 0.0,
        mode_seeking: float = 1.0,
        ema: float | None = 0.999,
        augment: str | None = "auto",
        n_mels: int = 64,
        n_fft: int | None = None,
        hop_length: int | None = None,
        dynamic_range_db: float = 80.0,
        griffin_lim_iters: int = 32,
        max_seconds: float | None = None,
        sample_batch_size: int | None = None,
        device: str = "auto",
        random_state: int | None = None,
        verbose: bool = False,
        callbacks: list[Callback] | None = None,
    ):
        self._store_params(locals())

    def _validate_params(self) -> None:
        super()._validate_params()
        check_betas(self.betas)
        check_mel_stages(self.n_mels)
        if self.ema == 1.0:
            raise ConfigError("`ema` must be < 1 (1 would never update); use None to turn it off")

    # ------------------------------------------------------------------ training
    def _train_spectrograms(self, X: Tensor, y: Tensor | None) -> None:
        dev = self.device_
        n_mels, frames = X.shape[-2:]
        self.config_ = SpecNetConfig(
            n_mels=n_mels,
            frames=frames,
            latent_dim=self.latent_dim,
            width=self.width,
            n_classes=self.n_classes_,
            n_stages=N_STAGES,
        )
        init_seed = derive_seed(self.random_state, 1)
        with torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):
            if init_seed is not None:
                torch.manual_seed(init_seed)
            G, D = SpecGenerator(self.config_).to(dev), SpecDiscriminator(self.config_).to(dev)
        self.generator_ = G
        self.ema_ = EMA(G, self.ema) if self.ema else None
        betas = check_betas(self.betas)
        opt_g = torch.optim.Adam(G.parameters(), lr=self.lr_g, betas=betas)
        opt_d = torch.optim.Adam(D.parameters(), lr=self.lr_d, betas=betas)
        gen = make_torch_generator(derive_seed(self.random_state, 2), dev)
        aug_gen = make_torch_generator(derive_seed(self.random_state, 3), dev)
        policy = self.augment
        if policy == "auto":
            policy = AUGMENT_DEFAULT if len(X) < AUTO_AUGMENT_BELOW else ""
        policy = parse_spec_policy(policy)
        self.augment_used_ = ",".join(policy)
        batches = self._batches(len(X), self.batch_size_, gen, dev)
        hinge = self.loss == "hinge"
        r1_weight = float(self.r1_weight)
        seek = float(self.mode_seeking) if self.batch_size_ >= 2 else 0.0
        ema = self.ema_

        def aug(x: Tensor) -> Tensor:
            return spec_augment(x, policy, aug_gen) if policy else x

        def step() -> dict[str, Tensor]:
            idx = next(batches)
            real, yb = X[idx], (y[idx] if y is not None else None)
            z = torch.randn(len(idx), self.latent_dim, generator=gen, device=dev)
            y_fake = yb
            if seek and yb is not None:  # pairs (i, i + B/2) share a class
                half = len(idx) // 2
                y_fake = torch.cat([yb[:half], yb[:half], yb[2 * half :]])
            fake = G(z, y_fake)  # reused, with its graph, for the generator step
            if r1_weight:
                real = real.detach().requires_grad_(True)
            out_real = D(aug(real), yb)
            out_fake = D(aug(fake.detach()), y_fake)
            if hinge:
                loss_d = F.relu(1.0 - out_real).mean() + F.relu(1.0 + out_fake).mean()
            else:
                loss_d = F.softplus(-out_real).mean() + F.softplus(out_fake).mean()
            logs = {"loss_d": loss_d.detach()}
            if r1_weight:
                (grad,) = torch.autograd.grad(out_real.sum(), real, create_graph=True)
                r1 = 0.5 * grad.pow(2).flatten(1).sum(1).mean()
                loss_d = loss_d + r1_weight * r1
                logs["r1"] = r1.detach()
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            D.requires_grad_(False)  # the generator's backward needs no gradients in D
            out = D(aug(fake), y_fake)
            loss_g = -out.mean() if hinge else F.softplus(-out).mean()
            if seek:
                half = len(idx) // 2
                gap = (fake[:half] - fake[half : 2 * half]).abs().flatten(1).mean(1)
                dz = (z[:half] - z[half : 2 * half]).abs().mean(1)
                loss_g = loss_g + seek / ((gap / dz).mean() + 1e-5)
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            D.requires_grad_(True)
            if ema is not None:
                ema.update()
            logs["loss_g"] = loss_g.detach()
            return logs

        G.train(), D.train()
        trainer = Trainer(
            epochs=self.epochs,
            steps_per_epoch=max(len(X) // self.batch_size_, 1),
            callbacks=self._callbacks(),
        )
        self.history_ = trainer.fit(step)
        G.eval()

    # ------------------------------------------------------------------ sampling / state
    def _sampling_net(self) -> nn.Module:
        return (self.ema_.shadow if self.ema_ is not None else self.generator_).eval()

    def _generate(self, net: nn.Module, m: int, y: Tensor | None, gen: torch.Generator) -> Tensor:
        z = torch.randn(m, self.config_.latent_dim, generator=gen, device=self.device_)
        return net(z, y)

    def _model_config(self) -> dict[str, Any]:
        return self.config_.to_dict()

    def _restore_model(self, cfg: dict[str, Any]) -> nn.Module:
        self.config_ = SpecNetConfig(**cfg)
        self.generator_ = SpecGenerator(self.config_)
        self.ema_ = None  # the saved weights are the sampling (EMA) generator's
        return self.generator_

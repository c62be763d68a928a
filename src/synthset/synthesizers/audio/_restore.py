"""What the audio restoration models (``audio_sr``, ``audio_inpaint``) share.

Fit: the clean clips go to the device once; every step cuts random crops of ``crop_seconds``
from a batch of clips, degrades them on the device (the subclass: low-pass + decimate, or
punch gaps), runs a :class:`~synthset.models.audio.unet1d.UNet1d` and minimises the negative
SNR of each crop (in dB, so quiet and loud clips weigh alike; over the gap for inpainting) plus
a multi-resolution STFT loss (spectral convergence + log magnitude at three FFT sizes,
Yamamoto et al. 2020). Every crop gets a random polarity and a gain of ±6 dB (the degradations
are linear and the SNR scale-free, so this is free variety). With ``validation_fraction`` > 0
that share of the clips is held out; the SNR of the model on fixed degraded crops of them is
measured before the first step and after every epoch and the best weights are kept (early
stopping). The learning rate warms up, then decays along a cosine over the planned
steps or the ``max_seconds`` budget, whichever runs out first. ``transform()`` repairs
existing clips in batches.

These models learn no distribution of clips to draw from: ``sample()`` raises a ConfigError
pointing at ``transform()`` (and at ``specgan`` / ``spec_vae`` for new clips).
"""

from __future__ import annotations

import math
import time
from abc import abstractmethod
from typing import Any

import torch
from torch import Tensor

from synthset.data.audio import Audio, AudioSpec, as_audio
from synthset.errors import ConfigError, DataError
from synthset.models.audio.unet1d import UNet1d, UNet1dConfig
from synthset.synthesizers.audio._base import AUDIO_CONSTRAINTS, AudioSynthesizer
from synthset.synthesizers.base import Interval
from synthset.training.trainer import Trainer
from synthset.utils import cpu_threads, default_cpu_threads, derive_seed, make_torch_generator

RESTORE_CONSTRAINTS = {
    **AUDIO_CONSTRAINTS,
    "crop_seconds": Interval(float, 0.0, low_open=True),
    "width": Interval(int, 2),
    "depth": Interval(int, 1, 8),
    "lr": Interval(float, 0.0, low_open=True),
    "stft_weight": Interval(float, 0.0),
    "validation_fraction": Interval(float, 0.0, 0.5),
}


def stft_magnitude(x: Tensor, n_fft: int) -> Tensor:
    """|STFT| (B, n_fft // 2 + 1, frames) with a Hann window and a hop of ``n_fft // 4``."""
    window = torch.hann_window(n_fft, device=x.device, dtype=x.dtype)
    spec = torch.stft(x, n_fft, n_fft // 4, window=window, center=True, return_complex=True)
    return spec.abs()


def multi_resolution_stft_loss(estimate: Tensor, target: Tensor, fft_sizes: list[int]) -> Tensor:
    """Mean over ``fft_sizes`` of spectral convergence ‖|Y| − |Ŷ|‖_F / ‖|Y|‖_F plus the mean
    absolute difference of log magnitudes (clips (B, T))."""
    total = estimate.new_zeros(())
    for n_fft in fft_sizes:
        ref, est = stft_magnitude(target, n_fft), stft_magnitude(estimate, n_fft)
        sc = torch.linalg.norm(ref - est) / torch.linalg.norm(ref).clamp_min(1e-7)
        log_mag = (torch.log(ref.clamp_min(1e-5)) - torch.log(est.clamp_min(1e-5))).abs().mean()
        total = total + sc + log_mag
    return total / len(fft_sizes)


def negative_snr(estimate: Tensor, target: Tensor, region: Tensor | None = None) -> Tensor:
    """−SNR / 10 of each clip (B, L), over ``region`` (bool (B, L); default all), averaged:
    the mean per-clip SNR in dB that the evaluation reports, as a loss. Being a ratio per
    clip, it weighs a quiet clip (or a gap in background noise) as much as a loud one."""
    w = torch.ones_like(target) if region is None else region.to(target.dtype)
    signal = (w * target.square()).sum(1)
    noise = (w * (estimate - target).square()).sum(1)
    eps = 1e-7 * w.sum(1) + 1e-12  # a floor of −70 dB re full scale per sample
    return torch.log10((noise + eps) / (signal + eps)).mean()


def default_fft_sizes(sample_rate: int, length: int) -> list[int]:
    """Three FFT sizes of about 16, 32 and 64 ms (powers of two no longer than the crop)."""
    sizes = [int(2 ** round(math.log2(ms * sample_rate / 1000))) for ms in (16, 32, 64)]
    return [n for n in sizes if n <= length] or [max(8, 2 ** int(math.log2(length)))]


class RestorationSynthesizer(AudioSynthesizer):
    """Base of the waveform restoration models (see the module docstring).

    Subclasses write ``_net_config(sample_rate)``, ``_degrade(clean, gen)``, ``_estimate``,
    ``_model_extra()`` / ``_set_model_extra()`` and their own ``transform``.
    """

    _constraints = RESTORE_CONSTRAINTS
    conditional = False

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _net_config(self, sample_rate: int) -> UNet1dConfig:
        """The network's shape for clips at ``sample_rate``."""

    @abstractmethod
    def _degrade(self, clean: Tensor, gen: torch.Generator) -> tuple[Tensor, Tensor | None]:
        """(network input (B, C, L), bool region the loss looks at (B, L) or None: all) for
        clean crops (B, L), drawn on the device with ``gen``."""

    @abstractmethod
    def _estimate(self, net_out: Tensor, inputs: Tensor) -> Tensor:
        """The restored crops (B, L) from the network's output (B, 1, L) and its input."""

    def _stft_weight(self) -> float:
        """The weight of the multi-resolution STFT loss."""
        return float(self.stft_weight)

    def _check_params(self, data: Audio) -> None:
        """Subclass checks of parameters against the data (raise ConfigError / DataError)."""

    def _model_extra(self) -> dict[str, Any]:
        return {}

    def _set_model_extra(self, state: dict[str, Any]) -> None:
        pass

    # ------------------------------------------------------------------ fitting
    def _crop_length(self, spec: AudioSpec) -> int:
        m = self._net_config(spec.sample_rate).multiple
        want = max(m, round(self.crop_seconds * spec.sample_rate))
        return min(want, spec.length)

    def _train(self, data: Audio) -> None:
        self._check_params(data)
        dev = self.device_
        spec: AudioSpec = data.spec
        wave = data.to_tensor(dev)
        val_wave = None
        if self.validation_fraction > 0 and len(wave) >= 2:
            split_gen = make_torch_generator(derive_seed(self.random_state, 3))
            perm = torch.randperm(len(wave), generator=split_gen)
            n_val = min(max(1, round(self.validation_fraction * len(wave))), len(wave) - 1)
            val_wave, wave = wave[perm[:n_val].to(dev)], wave[perm[n_val:].to(dev)]
        n, t = wave.shape
        batch_size = min(self.batch_size_, n)
        crop = self._crop_length(spec)
        self.config_ = self._net_config(spec.sample_rate)
        with torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):
            seed = derive_seed(self.random_state, 1)
            if seed is not None:
                torch.manual_seed(seed)
            net = UNet1d(self.config_).to(dev)
        self.net_ = net
        opt = torch.optim.Adam(net.parameters(), lr=self.lr, betas=(0.9, 0.99))
        steps_per_epoch = max(n // batch_size, 1)
        schedule = _Schedule(self.lr, self.epochs * steps_per_epoch, self.max_seconds)
        gen = make_torch_generator(derive_seed(self.random_state, 2), dev)
        batches = self._batches(n, batch_size, gen, dev)
        fft_sizes = default_fft_sizes(spec.sample_rate, crop)
        offsets = torch.arange(crop, device=dev)
        stft_weight = self._stft_weight()
        validate = self._validator(val_wave, crop) if val_wave is not None else None
        self.validation_ = []
        best: dict[str, Any] = {}
        if validate is not None:  # step 0: the network's starting point (its pre-fill)
            best = {"score": validate(net), "step": 0, "state": _copy_state(net)}
            self.validation_.append({"step": 0, "val_loss": best["score"]})
        done = [0]

        def step() -> dict[str, Tensor]:
            for group in opt.param_groups:
                group["lr"] = schedule.next()
            idx = next(batches)
            start = torch.randint(0, t - crop + 1, (len(idx),), generator=gen, device=dev)
            clean = wave[idx[:, None], start[:, None] + offsets]  # (B, L)
            # the degradations are linear and the SNR scale-free: a random polarity and a gain
            # of ±6 dB per crop are free variety
            sign = torch.randint(0, 2, (len(idx), 1), generator=gen, device=dev) * 2 - 1
            gain = 2.0 ** (2.0 * torch.rand(len(idx), 1, generator=gen, device=dev) - 1.0)
            clean = clean * (sign * gain)
            inputs, region = self._degrade(clean, gen)
            est = self._estimate(net(inputs), inputs)
            wave_loss = negative_snr(est, clean, region)
            spec_loss = multi_resolution_stft_loss(est, clean, fft_sizes)
            loss = wave_loss + stft_weight * spec_loss
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            snr_db = -10.0 * wave_loss.detach()
            out = {"loss": loss.detach(), "snr_db": snr_db, "stft": spec_loss.detach()}
            done[0] += 1
            if validate is not None and done[0] % steps_per_epoch == 0:
                score = validate(net)
                self.validation_.append({"step": done[0], "val_loss": score})
                if score < best["score"]:
                    best.update(score=score, step=done[0], state=_copy_state(net))
                out["val_loss"] = torch.tensor(score)
            return out

        net.train()
        schedule.start()
        trainer = Trainer(
            epochs=self.epochs, steps_per_epoch=steps_per_epoch, callbacks=self._callbacks()
        )
        self.history_ = trainer.fit(step)
        self.steps_done_ = done[0]
        if validate is not None:  # early stopping: keep the weights that did best on held-out clips
            score = validate(net)
            self.validation_.append({"step": done[0], "val_loss": score})
            if score < best["score"]:
                best.update(score=score, step=done[0], state=_copy_state(net))
            net.load_state_dict(best["state"])
            self.best_step_ = int(best["step"])
        net.eval()

    def _validator(self, val_wave: Tensor, crop: int) -> Any:
        """A function of the network: its negative SNR / 10 (the metric the evaluation reports,
        over the gap for inpainting) on fixed crops of the held-out clips, degraded once with
        a fixed seed; lower is better."""
        t = val_wave.shape[1]
        gen = make_torch_generator(derive_seed(self.random_state, 4), val_wave.device)
        dev = val_wave.device
        start = torch.randint(0, t - crop + 1, (len(val_wave),), generator=gen, device=dev)
        rows = torch.arange(len(val_wave), device=dev)[:, None]
        clean = val_wave[rows, start[:, None] + torch.arange(crop, device=dev)]
        with torch.no_grad():
            inputs, region = self._degrade(clean, gen)
        batch = 64

        def validate(net: torch.nn.Module) -> float:
            total = 0.0
            with torch.no_grad():
                for k in range(0, len(clean), batch):
                    x, c = inputs[k : k + batch], clean[k : k + batch]
                    r = None if region is None else region[k : k + batch]
                    est = self._estimate(net(x), x)
                    total += float(negative_snr(est, c, r)) * len(x)
            return total / len(clean)

        return validate

    # ------------------------------------------------------------------ restoring
    def _threads(self) -> int | None:
        return default_cpu_threads() if self.device_.type == "cpu" else None

    def _run(self, inputs: Tensor) -> Tensor:
        """The restored clips (N, T) for network inputs (N, C, T), in batches of
        ``sample_batch_size`` clips."""
        batch = self.sample_batch_size or (64 if self.device_.type == "cpu" else 1_024)
        outs = []
        with torch.no_grad(), cpu_threads(self._threads()):
            for k in range(0, len(inputs), batch):
                x = inputs[k : k + batch]
                outs.append(self._estimate(self.net_(x), x))
        return torch.cat(outs)

    def _coerce_clips(self, audio: Any) -> Audio:
        self._check_is_fitted()
        try:
            return as_audio(audio)
        except DataError as exc:
            raise DataError(f"transform() needs clips: {exc}") from None

    def _sample(self, n: int, *, seed: int | None, conditions: dict[str, Any]) -> Any:
        raise ConfigError(
            f"{self.name} is a restoration model: it repairs existing clips with transform() "
            "and has no generative prior to sample new clips from; to draw new clips fit "
            "'specgan' or 'spec_vae'"
        )

    # ------------------------------------------------------------------ state
    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        tensors = {f"net.{k}": v for k, v in self.net_.state_dict().items()}
        state = {**self._base_state(), "model": self.config_.to_dict(), **self._model_extra()}
        return state, tensors

    def _set_state(self, state: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self._set_base_state(state)
        self._set_model_extra(state)
        self.config_ = UNet1dConfig(**state["model"])
        self.net_ = UNet1d(self.config_)
        sd = {k[len("net.") :]: v for k, v in tensors.items() if k.startswith("net.")}
        self.net_.load_state_dict(sd, strict=True)
        self.net_.to(self.device_).eval()


def _copy_state(net: torch.nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


class _Schedule:
    """Learning rate: a short linear warm-up, then a cosine decay to 1% over the run. The
    progress is the larger of steps done / planned and seconds spent / ``max_seconds``, so a
    run cut short by its time budget still ends at a low rate."""

    def __init__(self, lr: float, total_steps: int, max_seconds: float | None):
        self.lr, self.total, self.max_seconds = lr, max(total_steps, 1), max_seconds
        self.step = 0
        self.t0 = time.perf_counter()

    def start(self) -> None:
        self.t0 = time.perf_counter()

    def next(self) -> float:
        self.step += 1
        progress = self.step / self.total
        if self.max_seconds:
            progress = max(progress, (time.perf_counter() - self.t0) / self.max_seconds)
        progress = min(progress, 1.0)
        warm = min(1.0, self.step / max(1, min(100, self.total // 20)))
        return self.lr * warm * (0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * progress)))


def clips_output(x: Tensor, like: Audio, sample_rate: int, name: str) -> Audio:
    """Audio from restored clips (N, T) at ``sample_rate``, keeping the labels of ``like``."""
    spec = AudioSpec(sample_rate, x.shape[-1], like.spec.classes, like.spec.label_name)
    out = Audio.from_tensor(x, spec, like.labels, name=name)
    out.source = like.source
    return out

"""What every audio synthesizer shares: clips on the device, class conditions, a wall-clock
budget, CPU threads, and the saved state; and, for the spectrogram models (``specgan``,
``spec_vae``), the log-mel codec and Griffin-Lim sampling.

Spectrogram models — fit: coerce to :class:`~synthset.data.audio.Audio` → log-mel "images"
(N, 1, n_mels, frames) in [-1, 1] computed once on the device (:class:`MelCodec`), padded to a
frame count the network's strides divide → the subclass trains on them, drawing batches by
index. Sample: generate spectrogram batches on the device, crop, invert with Griffin-Lim (one
batched call per batch), convert to :class:`Audio` once per batch.

Restoration models (``audio_sr``, ``audio_inpaint``) learn to repair clips rather than to draw
new ones: they share the data handling here, and offer ``transform()``.
"""

from __future__ import annotations

import warnings
from abc import abstractmethod
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from synthset.data.audio import Audio, AudioSpec, as_audio
from synthset.data.transforms.mel import MelCodec, MelSpectrogram
from synthset.errors import ConfigError, DataError, SynthsetWarning
from synthset.synthesizers._loop import LoopMixin
from synthset.synthesizers.base import SEED, Anything, Boolean, DeviceName, Interval, Synthesizer
from synthset.utils import cpu_threads, default_cpu_threads, make_torch_generator, resolve_device

# Parameters every neural audio synthesizer shares (the rest are per model).
AUDIO_CONSTRAINTS = {
    "epochs": Interval(int, 1),
    "batch_size": Interval(int, 1),
    "max_seconds": Interval(float, 0.0, low_open=True, none_ok=True),
    "sample_batch_size": Interval(int, 1, none_ok=True),
    "device": DeviceName(),
    "random_state": SEED,
    "verbose": Boolean(),
    "callbacks": Anything(),
}

# ... and the spectrogram models' mel parameters.
MEL_CONSTRAINTS = {
    "n_mels": Interval(int, 8, 256),
    "n_fft": Interval(int, 16, none_ok=True),
    "hop_length": Interval(int, 1, none_ok=True),
    "dynamic_range_db": Interval(float, 10.0, 160.0),
    "griffin_lim_iters": Interval(int, 0),
}


class AudioSynthesizer(LoopMixin, Synthesizer):
    """Base of the audio synthesizers (``modality = "audio"``).

    Conditioning: a synthesizer with ``conditional = True`` learns one model for every class
    when the clips are labelled, and ``sample(n, conditions={"label": "seven"})`` draws that
    class; unconditioned draws follow the training class frequencies.
    """

    modality = "audio"
    conditional = False

    # ------------------------------------------------------------------ data
    def _coerce_data(self, data: Any, spec: Any) -> Audio:
        audio = as_audio(data, spec)
        if len(audio) < 2:
            raise DataError(f"{len(audio)} clip(s) are too few to learn from; give at least 2")
        if float(np.abs(audio.waveforms).max()) == 0.0:
            raise DataError("every clip is silent; check the files (or their loudness)")
        return audio

    def _check_conditions(self, conditions: Any) -> dict[str, Any]:
        conditions = dict(conditions or {})
        if not conditions:
            return {}
        spec: AudioSpec = self.spec_
        unknown = [k for k in conditions if k != spec.label_name]
        if unknown:
            raise ConfigError(
                f"clips can only be conditioned on {spec.label_name!r}, got {unknown}"
                if spec.classes
                else f"these clips have no labels, so they cannot be conditioned on {unknown}"
            )
        if not getattr(self, "n_classes_", 0):
            raise ConfigError(
                f"this {self.name} was fitted without labels, so it cannot draw a given class"
            )
        return {spec.label_name: spec.class_code(conditions[spec.label_name])}

    # ------------------------------------------------------------------ fitting
    def _fit(self, data: Audio) -> None:
        self.device_ = resolve_device(self.device)
        self._check_batch_size(len(data))
        self.n_classes_ = (
            data.spec.n_classes if (self.conditional and data.labels is not None) else 0
        )
        counts = (
            np.bincount(data.labels, minlength=data.spec.n_classes).astype(float)
            if self.n_classes_
            else None
        )
        self.class_prior_ = None if counts is None else (counts / counts.sum()).tolist()
        threads = default_cpu_threads() if self.device_.type == "cpu" else None
        with cpu_threads(threads):
            self._train(data)

    def _check_batch_size(self, n: int) -> None:
        self.batch_size_ = self.batch_size
        if self.batch_size > n:
            self.batch_size_ = n
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the {n} clips; training uses "
                f"batches of {n}. Pass a smaller batch_size to silence this",
                SynthsetWarning,
                stacklevel=5,
            )

    @abstractmethod
    def _train(self, data: Audio) -> None:
        """Build the networks and train on ``data``."""

    def _base_state(self) -> dict[str, Any]:
        return {"n_classes": self.n_classes_, "class_prior": self.class_prior_}

    def _set_base_state(self, state: dict[str, Any]) -> None:
        self.device_ = resolve_device(self.device)
        self.n_classes_ = int(state["n_classes"])
        self.class_prior_ = state["class_prior"]


class SpectrogramSynthesizer(AudioSynthesizer):
    """Base of the generative spectrogram models: train on log-mel images, sample through
    Griffin-Lim.

    Subclasses set ``frame_multiple`` (the product of the network's time strides) and write
    ``_train_spectrograms(X, y)``, ``_sampling_net``, ``_generate``, ``_model_config`` and
    ``_restore_model``.
    """

    conditional = True
    frame_multiple = 16

    # ------------------------------------------------------------------ codec
    def _make_codec(self, spec: AudioSpec) -> MelCodec:
        mel = MelSpectrogram(
            spec.sample_rate, n_fft=self.n_fft, hop_length=self.hop_length, n_mels=self.n_mels
        )
        return MelCodec(mel, spec.length, self.dynamic_range_db)

    @property
    def spectrogram_shape(self) -> tuple[int, int]:
        """(n_mels, frames) the network sees: frames padded up to ``frame_multiple``."""
        n_mels, frames = self.codec_.shape
        m = self.frame_multiple
        return n_mels, -(-frames // m) * m

    def _train(self, data: Audio) -> None:
        self.codec_ = self._make_codec(data.spec)
        self.levels_ = _level_stats(data.waveforms)
        wave = data.to_tensor(self.device_)
        self.codec_.fit(wave)
        X = self.codec_.encode(wave)
        pad = self.spectrogram_shape[1] - X.shape[-1]
        if pad:  # silence (−1) after the last frame
            X = F.pad(X, (0, pad), value=-1.0)
        y = data.labels_tensor(self.device_) if self.n_classes_ else None
        self._train_spectrograms(X, y)

    @abstractmethod
    def _train_spectrograms(self, X: Tensor, y: Tensor | None) -> None:
        """Train on ``X`` (N, 1, n_mels, frames) in [-1, 1] and class codes ``y``."""

    # ------------------------------------------------------------------ sampling
    def sample_spectrograms(
        self, n: int, *, seed: int | None = None, conditions: dict[str, Any] | None = None
    ) -> tuple[Tensor, Tensor | None]:
        """``n`` generated log-mel images (n, 1, n_mels, frames) in [-1, 1] and their class
        codes, without the Griffin-Lim step (for pictures and spectral metrics)."""
        self._check_is_fitted()
        conditions = self._check_conditions(conditions)
        gen = make_torch_generator(seed, self.device_)
        with torch.no_grad(), cpu_threads(self._threads()):
            return self._spectrogram_batch(n, gen, conditions)

    def _threads(self) -> int | None:
        return default_cpu_threads() if self.device_.type == "cpu" else None

    def _spectrogram_batch(
        self, m: int, gen: torch.Generator, conditions: dict[str, Any]
    ) -> tuple[Tensor, Tensor | None]:
        spec: AudioSpec = self.spec_
        if not self.n_classes_:
            y = None
        elif conditions:
            y = torch.full((m,), conditions[spec.label_name], device=self.device_)
        else:
            y = self._draw_labels(m, gen)
        x = self._generate(self._sampling_net(), m, y, gen).float()
        return x[..., : self.codec_.shape[1]].clamp(-1.0, 1.0), y

    def _sample(self, n: int, *, seed: int | None, conditions: dict[str, Any]) -> Audio:
        spec: AudioSpec = self.spec_
        gen = make_torch_generator(seed, self.device_)
        batch = self.sample_batch_size or (256 if self.device_.type == "cpu" else 4_096)
        waves: list[np.ndarray] = []
        labels: list[Tensor] = []
        with cpu_threads(self._threads()):
            done = 0
            while done < n:
                m = min(batch, n - done)
                x, y = self._spectrogram_batch(m, gen, conditions)
                phase_seed = int(
                    torch.randint(0, 2**31 - 1, (1,), generator=gen, device=gen.device)
                )
                wave = self.codec_.decode(x, n_iter=self.griffin_lim_iters, seed=phase_seed)
                wave = self._match_loudness(wave, gen)
                waves.append(Audio.from_tensor(wave, spec).waveforms)
                if y is not None:
                    labels.append(y)
                done += m
        lab = torch.cat(labels).cpu().numpy() if labels else None
        return Audio(np.concatenate(waves), lab, spec, name=f"{self.name} samples")

    def _match_loudness(self, wave: Tensor, gen: torch.Generator) -> Tensor:
        """Give each generated clip an RMS level drawn from the training clips' levels.

        A model fitted in the log-mel domain gets the loudness of a clip systematically low
        (a blurred or averaged log spectrum holds less energy than the spectra it averages:
        measured 8-10 dB below the training clips for spec_vae), which a downstream model would
        learn to tell apart. The level is a single gain per clip, so the spectral shape is kept.
        """
        stats = getattr(self, "levels_", None)
        if not stats:
            return wave
        noise = torch.randn(len(wave), generator=gen, device=gen.device).to(wave.device)
        target = (stats["mean"] + stats["std"] * noise).clamp(stats["min"], stats["max"])
        rms = wave.pow(2).mean(dim=1).sqrt()
        current = 20.0 * torch.log10(rms.clamp_min(1e-7))
        gain = torch.where(rms > 1e-6, 10.0 ** ((target - current) / 20.0), torch.ones_like(rms))
        wave = wave * gain[:, None]
        peak = wave.abs().amax(dim=1, keepdim=True)
        return wave / torch.clamp(peak / 0.99, min=1.0)

    @abstractmethod
    def _sampling_net(self) -> nn.Module:
        """The network that generates (an EMA copy where there is one), in eval mode."""

    @abstractmethod
    def _generate(self, net: nn.Module, m: int, y: Tensor | None, gen: torch.Generator) -> Tensor:
        """``m`` log-mel images (m, 1, n_mels, frames) in about [-1, 1] with class codes ``y``."""

    # ------------------------------------------------------------------ state
    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        tensors = {f"generator.{k}": v for k, v in self._sampling_net().state_dict().items()}
        state = {
            **self._base_state(),
            "codec": self.codec_.to_dict(),
            "levels": self.levels_,
            "model": self._model_config(),
        }
        return state, tensors

    def _set_state(self, state: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self._set_base_state(state)
        self.codec_ = MelCodec.from_dict(state["codec"])
        self.levels_ = state.get("levels")
        net = self._restore_model(state["model"])
        sd = {k[len("generator.") :]: v for k, v in tensors.items() if k.startswith("generator.")}
        net.load_state_dict(sd, strict=True)
        net.to(self.device_).eval()

    @abstractmethod
    def _model_config(self) -> dict[str, Any]:
        """JSON description of the sampling network's shape."""

    @abstractmethod
    def _restore_model(self, cfg: dict[str, Any]) -> nn.Module:
        """Rebuild the sampling network from ``_model_config()`` (weights are loaded after);
        it must also become what ``_sampling_net()`` returns."""


def _level_stats(waveforms: np.ndarray) -> dict[str, float] | None:
    """Mean, standard deviation and range of the RMS levels (dBFS) of the non-silent clips."""
    from synthset.data.audio import rms_dbfs

    levels = rms_dbfs(waveforms)
    levels = levels[np.isfinite(levels) & (levels > -90.0)]
    if len(levels) == 0:
        return None
    return {
        "mean": float(levels.mean()),
        "std": float(levels.std()),
        "min": float(levels.min()),
        "max": float(levels.max()),
    }

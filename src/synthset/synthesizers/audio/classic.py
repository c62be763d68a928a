"""``audio_augment``: the classic waveform augmentations, the baseline audio synthesizer.

Every new clip is a training clip passed through a fixed-order random policy
(:class:`~synthset.sampling.audio_transforms.Compose`), each op applied with its probability
``p`` and at least one op per clip:

1. speed change by a factor from ``speed`` (pitch and tempo together);
2. pitch shift by ``pitch_semitones`` at the same duration (phase vocoder + resampling);
3. time shift by up to ``± shift_ms`` (zero-filled or circular);
4. gain from ``gain_db`` dB, peak-limited so that nothing clips;
5. white or pink noise (``noise_colors``) at an SNR from ``noise_snr_db`` dB.

An op is off when its range is None (``shift_ms``: 0) or its ``p`` is 0; ``p`` may be one
probability for every op or a dict ``{"speed", "pitch", "shift", "gain", "noise": p}`` (ops
missing from the dict are off).

``fit`` stores the training clips (and labels); ``sample(n, seed=, conditions={"label": x})``
augments seeded source clips (of that class), cycling through them before repeating one, and
carries their labels over. :meth:`AudioAugment.transform` augments given clips ``n_aug`` times
each. The saved artifact holds a copy of the training clips (in ``model.safetensors``), since
they are what the augmenter samples from.

All randomness comes from one NumPy generator (the source order) and one torch generator on
the device (the policy) per call, so a seed fixes the output on a given device.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch

from synthset.data.audio import Audio, AudioSpec, as_audio
from synthset.errors import ConfigError
from synthset.registry import register
from synthset.sampling.audio_transforms import (
    AddNoise,
    AudioOp,
    Compose,
    Gain,
    PitchShift,
    Speed,
    TimeShift,
)
from synthset.synthesizers.audio._base import AudioSynthesizer
from synthset.synthesizers.base import SEED, DeviceName, Interval, Options, Synthesizer
from synthset.utils import (
    cpu_threads,
    default_cpu_threads,
    derive_seed,
    make_rng,
    make_torch_generator,
    resolve_device,
)

OPS = ("speed", "pitch", "shift", "gain", "noise")


class _RangeOrNone:
    """None, or a (low, high) pair of numbers with low ≤ high (checked by the op itself)."""

    def check(self, name: str, value: Any) -> None:
        if value is None:
            return
        ok = isinstance(value, (tuple, list)) and len(value) == 2
        ok = ok and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        if not ok or not value[0] <= value[1]:
            raise ConfigError(f"`{name}` must be None or a pair (low, high), got {value!r}")


class _Probability:
    """A probability in [0, 1], or a dict {op name: probability}."""

    def check(self, name: str, value: Any) -> None:
        items = value.items() if isinstance(value, Mapping) else [("p", value)]
        for key, q in items:
            ok = isinstance(q, (int, float)) and not isinstance(q, bool) and 0.0 <= q <= 1.0
            if not ok or (isinstance(value, Mapping) and key not in OPS):
                raise ConfigError(
                    f"`{name}` must be a probability in [0, 1] or a dict {{op: probability}} "
                    f"over {', '.join(OPS)}; got {value!r}"
                )


class _Colors:
    def check(self, name: str, value: Any) -> None:
        colors = [value] if isinstance(value, str) else value
        ok = isinstance(colors, (list, tuple)) and len(colors) > 0
        if not ok or any(c not in ("white", "pink", "brown") for c in colors):
            raise ConfigError(
                f"`{name}` must be some of 'white', 'pink', 'brown' (a list), got {value!r}"
            )


@register("audio_augment")
class AudioAugment(Synthesizer):
    """Classic waveform augmentation: new clips are training clips sped up or slowed down,
    pitch-shifted, shifted in time, made louder or softer and mixed with noise (see the module
    docstring).

    Args:
        noise_snr_db: range of the signal-to-noise ratio in dB of the added noise (None: off).
        noise_colors: noise colours drawn from per clip ("white", "pink", "brown").
        gain_db: range of the gain in dB (None: off); louder clips are peak-limited.
        shift_ms: largest time shift in ms either way (0: off).
        shift_mode: "zero" (silence fills the gap) or "circular" (the clip wraps round).
        speed: range of the speed factor (None: off); 1.1 is 10% faster and higher.
        pitch_semitones: range of the pitch shift in semitones (None: off).
        p: the probability of each op, or a dict ``{op: p}`` (ops missing from it are off).
        n_aug: augmented copies per clip made by :meth:`transform` (when not given there).
        sample_batch_size: clips augmented per batch (default 128 on the CPU, 1024 on a GPU).
        device: where the ops run ("auto": CUDA when available).
        random_state: accepted like every synthesizer's; fitting involves no randomness
            (sampling is seeded by ``sample(seed=)``).
    """

    modality = "audio"
    conditional = True  # draws any class it was fitted with (labelled clips)
    # augment() keeps edits of real clips: being one is what this synthesizer's output is
    perturbs_real_rows: ClassVar[bool] = True
    _constraints: ClassVar[dict[str, Any]] = {
        "noise_snr_db": _RangeOrNone(),
        "noise_colors": _Colors(),
        "gain_db": _RangeOrNone(),
        "shift_ms": Interval(float, 0.0, 60_000.0),
        "shift_mode": Options(("zero", "circular")),
        "speed": _RangeOrNone(),
        "pitch_semitones": _RangeOrNone(),
        "p": _Probability(),
        "n_aug": Interval(int, 1),
        "sample_batch_size": Interval(int, 1, none_ok=True),
        "device": DeviceName(),
        "random_state": SEED,
    }

    def __init__(
        self,
        *,
        noise_snr_db: tuple[float, float] | None = (5.0, 30.0),
        noise_colors: tuple[str, ...] = ("white", "pink"),
        gain_db: tuple[float, float] | None = (-6.0, 6.0),
        shift_ms: float = 100.0,
        shift_mode: str = "zero",
        speed: tuple[float, float] | None = (0.9, 1.1),
        pitch_semitones: tuple[float, float] | None = (-2.0, 2.0),
        p: float | dict[str, float] = 0.5,
        n_aug: int = 4,
        sample_batch_size: int | None = None,
        device: str = "auto",
        random_state: int | None = None,
    ):
        self._store_params(locals())

    # the data checks and label conditions of the neural audio synthesizers
    _coerce_data = AudioSynthesizer._coerce_data
    _check_conditions = AudioSynthesizer._check_conditions

    # ------------------------------------------------------------------ the policy
    def _validate_params(self) -> None:
        super()._validate_params()
        self.policy()  # the ranges' bounds and "at least one op on"

    def policy(self) -> Compose:
        """The augmentation policy these parameters describe."""
        ops: dict[str, AudioOp | None] = {
            "speed": None if self.speed is None else Speed(tuple(self.speed)),
            "pitch": (
                None if self.pitch_semitones is None else PitchShift(tuple(self.pitch_semitones))
            ),
            "shift": None
            if not self.shift_ms
            else TimeShift(float(self.shift_ms), self.shift_mode),
            "gain": None if self.gain_db is None else Gain(tuple(self.gain_db)),
            "noise": (
                None
                if self.noise_snr_db is None
                else AddNoise(tuple(self.noise_snr_db), self.noise_colors)
            ),
        }
        probs = self.p if isinstance(self.p, Mapping) else dict.fromkeys(OPS, self.p)
        chosen = [(op, float(probs.get(name, 0.0))) for name, op in ops.items() if op is not None]
        chosen = [(op, q) for op, q in chosen if q > 0]
        if not chosen:
            raise ConfigError(
                "every augmentation is off (a None range, shift_ms=0 or p=0 for each); turn "
                "at least one on"
            )
        return Compose([op for op, _ in chosen], [q for _, q in chosen])

    def _device(self) -> torch.device:
        return resolve_device(self.device)

    # ------------------------------------------------------------------ fit / sample
    def _fit(self, data: Audio) -> None:
        self.device_ = self._device()
        self.clips_ = data.waveforms.copy()
        self.labels_ = None if data.labels is None else data.labels.copy()
        self.n_classes_ = data.spec.n_classes if data.labels is not None else 0

    def _sample(self, n: int, *, seed: int | None, conditions: dict[str, Any]) -> Audio:
        spec: AudioSpec = self.spec_
        rng = make_rng(seed)
        if conditions:
            code = conditions[spec.label_name]
            pool = np.flatnonzero(self.labels_ == code)
            if len(pool) == 0:
                raise ConfigError(
                    f"class {spec.classes[code]!r} has no training clips, so audio_augment has "
                    "nothing to augment for it"
                )
        else:
            pool = np.arange(len(self.clips_))
        # cycle through shuffled copies of the pool: every clip is used before one repeats
        reps = -(-n // len(pool))
        src = np.concatenate([rng.permutation(pool) for _ in range(reps)])[:n]
        wave = self._augment(self.clips_, src, spec.sample_rate, derive_seed(seed, 1))
        labels = None if self.labels_ is None else self.labels_[src]
        return Audio(wave, labels, spec, name=f"{self.name} samples")

    def transform(
        self, audio: Audio | Any, *, n_aug: int | None = None, seed: int | None = None
    ) -> Audio:
        """Augment every clip ``n_aug`` times (the copies of a clip are consecutive rows).

        Works without ``fit``: only the parameters are used. Labels are carried over; the
        originals are not included.

        Args:
            audio: an :class:`~synthset.data.audio.Audio` (or a folder / file path).
            n_aug: augmented copies per clip (default: the ``n_aug`` parameter).
            seed: makes the augmentations reproducible.

        Returns:
            ``len(audio) × n_aug`` clips with the input's spec.
        """
        self._validate_params()
        n_aug = self.n_aug if n_aug is None else n_aug
        Interval(int, 1).check("n_aug", n_aug)
        SEED.check("seed", seed)
        data = as_audio(audio)
        src = np.repeat(np.arange(len(data)), n_aug)
        with torch.no_grad():
            wave = self._augment(data.waveforms, src, data.spec.sample_rate, seed)
        labels = None if data.labels is None else data.labels[src]
        return Audio(wave, labels, data.spec, name=f"{self.name} edits")

    def _augment(
        self, clips: np.ndarray, src: np.ndarray, sample_rate: int, seed: int | None
    ) -> np.ndarray:
        """``clips[src]`` through the policy, in batches on the device (one generator)."""
        device = self._device()
        policy = self.policy()
        gen = make_torch_generator(seed, device)
        batch = self.sample_batch_size or (128 if device.type == "cpu" else 1_024)
        out = np.empty((len(src), clips.shape[1]), dtype=np.float32)
        threads = default_cpu_threads() if device.type == "cpu" else None
        with cpu_threads(threads):
            for start in range(0, len(src), batch):
                rows = src[start : start + batch]
                x = torch.from_numpy(clips[rows]).to(device)
                y = policy(x, sample_rate, gen).clamp(-1.0, 1.0)
                out[start : start + len(rows)] = y.cpu().numpy()
        return out

    # ------------------------------------------------------------------ state
    def _get_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        # the training clips are the model: the artifact holds a copy of the data
        tensors = {"clips": torch.from_numpy(np.ascontiguousarray(self.clips_))}
        if self.labels_ is not None:
            tensors["labels"] = torch.from_numpy(np.ascontiguousarray(self.labels_))
        return {"n_classes": self.n_classes_}, tensors

    def _set_state(self, state: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        self.device_ = self._device()
        self.clips_ = tensors["clips"].numpy().astype(np.float32, copy=False)
        self.labels_ = tensors["labels"].numpy().astype(np.int64) if "labels" in tensors else None
        self.n_classes_ = int(state["n_classes"])

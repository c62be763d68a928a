"""The Audio container: float32 mono waveforms N×T at one sample rate, with optional class labels.

>>> wave = np.zeros((16, 8_000), np.float32)
>>> clips = Audio.from_arrays(wave, 8_000, labels=["a"] * 8 + ["b"] * 8)
>>> clips.spec.classes, clips.spec.duration
(['a', 'b'], 1.0)
>>> x = clips.to_tensor()              # float32 N×T on the device
>>> Audio.from_tensor(x, clips.spec).waveforms.shape
(16, 8000)

Every clip of a container has the same length (``spec.length`` samples at ``spec.sample_rate``):
reading a folder resamples, mixes to mono and trims / pads to one length, so the models get one
dense tensor. Samples lie in [-1, 1] (full scale); :func:`normalize_loudness` sets a common RMS
level. The preprocessing functions below work on whole arrays at once (no per-clip loops).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from synthset.data._split import (
    class_code,
    encode_labels,
    natural_sort,
    per_class_indices,
    split_indices,
)
from synthset.errors import DataError

MIN_SAMPLE_RATE = 1_000
MAX_SAMPLE_RATE = 384_000


@dataclass
class AudioSpec:
    """What an audio dataset looks like.

    Attributes:
        sample_rate: samples per second of every clip.
        length: samples per clip (every clip of a container has this length).
        classes: label names in code order (None when the clips are unlabelled).
        label_name: the name of the label (the condition key: ``conditions={"label": "seven"}``).
    """

    sample_rate: int
    length: int
    classes: list[str] | None = None
    label_name: str = "label"
    modality: str = field(default="audio", init=False)

    @property
    def duration(self) -> float:
        """Seconds per clip."""
        return self.length / self.sample_rate

    @property
    def n_classes(self) -> int:
        return len(self.classes) if self.classes else 0

    @property
    def names(self) -> list[str]:
        """The condition keys this spec accepts (the label, if any)."""
        return [self.label_name] if self.classes else []

    def class_code(self, value: Any) -> int:
        """The code of class ``value`` (its name, or an int code); a DataError lists the classes."""
        return class_code(self.classes, value, "clips")

    def to_dict(self) -> dict[str, Any]:
        return {
            "modality": "audio",
            "sample_rate": self.sample_rate,
            "length": self.length,
            "classes": self.classes,
            "label_name": self.label_name,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AudioSpec:
        if d.get("modality") != "audio":
            raise DataError(f"not an audio spec (modality {d.get('modality')!r})")
        return cls(
            sample_rate=int(d["sample_rate"]),
            length=int(d["length"]),
            classes=None if d.get("classes") is None else [str(c) for c in d["classes"]],
            label_name=str(d.get("label_name", "label")),
        )


def check_sample_rate(sample_rate: Any, what: str = "sample_rate") -> int:
    """``sample_rate`` as an int in [1 kHz, 384 kHz] (a DataError otherwise)."""
    ok = isinstance(sample_rate, (int, np.integer)) and not isinstance(sample_rate, bool)
    if not ok or not MIN_SAMPLE_RATE <= int(sample_rate) <= MAX_SAMPLE_RATE:
        raise DataError(
            f"`{what}` must be an int number of samples per second in "
            f"[{MIN_SAMPLE_RATE}, {MAX_SAMPLE_RATE}], got {sample_rate!r}"
        )
    return int(sample_rate)


class Audio:
    """Mono clips (float32 N×T in [-1, 1]) with optional integer labels coding ``spec.classes``.

    Args:
        waveforms: float32 array N×T (one row per clip).
        labels: int codes into ``spec.classes`` (length N), or None.
        spec: the spec (sample rate, length, classes).
        name: an optional name shown in reports and dataset cards.
        source: optional provenance per clip (``"real"`` / ``"synthetic"``; set by augment()).
    """

    modality = "audio"

    def __init__(
        self,
        waveforms: np.ndarray,
        labels: np.ndarray | None = None,
        spec: AudioSpec | None = None,
        *,
        sample_rate: int | None = None,
        name: str | None = None,
        source: np.ndarray | None = None,
    ):
        x = np.asarray(waveforms)
        if x.ndim != 2:
            raise DataError(
                f"waveforms must be an array N×T (one mono clip per row), got shape {x.shape}; "
                "mix stereo to mono with to_mono()"
            )
        if x.dtype != np.float32:
            raise DataError(
                f"waveforms must be float32 in [-1, 1], got {x.dtype}; use Audio.from_arrays(), "
                "which converts int16 / int32 / float64"
            )
        if len(x) == 0 or x.shape[1] == 0:
            raise DataError("there are no clips (or the clips are empty)")
        if not np.isfinite(x).all():
            raise DataError("waveforms contain NaN or infinity")
        n, t = x.shape
        if spec is None:
            if sample_rate is None:
                raise DataError("give the sample rate: Audio(waveforms, sample_rate=16000)")
            spec = AudioSpec(check_sample_rate(sample_rate), t)
        elif spec.length != t:
            raise DataError(f"clips are {t} samples long but the spec says {spec.length}")
        if labels is not None:
            labels = np.asarray(labels)
            if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
                raise DataError(
                    f"labels must be {n} integer codes, got {labels.dtype} {labels.shape}"
                )
            if not spec.classes:
                raise DataError("labels were given but the spec has no classes")
            if labels.min() < 0 or labels.max() >= spec.n_classes:
                raise DataError(f"label codes must lie in [0, {spec.n_classes - 1}]")
            labels = labels.astype(np.int64, copy=False)
        if source is not None:
            source = np.asarray(source, dtype=object)
            if source.shape != (n,):
                raise DataError(f"`source` must hold one entry per clip ({n}), got {source.shape}")
        self.waveforms = x
        self.labels = labels
        self.spec = spec
        self.name = name
        self.source = source

    # --- construction -------------------------------------------------------------------------
    @classmethod
    def from_arrays(
        cls,
        waveforms: Any,
        sample_rate: int,
        labels: Sequence[Any] | np.ndarray | None = None,
        *,
        classes: Sequence[Any] | None = None,
        label_name: str = "label",
        length: int | None = None,
        name: str | None = None,
    ) -> Audio:
        """Audio from an array N×T (or a list of 1-D clips of any lengths).

        int16 / int32 PCM is scaled to [-1, 1]; floats must already lie in [-1, 1] (a little
        overshoot from resampling is clipped; more is a DataError). Clips of different lengths
        are trimmed / padded to ``length`` (default: the longest). Labels may be names or ints;
        ``classes`` fixes their order (default: sorted unique, "2" before "10").
        """
        sr = check_sample_rate(sample_rate)
        if isinstance(waveforms, (list, tuple)):
            clips = [to_float32(np.asarray(c)) for c in waveforms]
            if not clips:
                raise DataError("there are no clips")
            if any(c.ndim != 1 for c in clips):
                raise DataError("each clip of a list must be 1-D (mono); mix with to_mono()")
            target = length or max(len(c) for c in clips)
            x = np.stack([fix_length(c, target) for c in clips])
        else:
            x = to_float32(np.asarray(waveforms))
            if x.ndim == 1:
                x = x[None]
            if length is not None:
                x = fix_length(x, length)
        codes, spec_classes = encode_labels(labels, len(x), classes, "clips")
        spec = AudioSpec(sr, x.shape[1], spec_classes, label_name)
        return cls(x, codes, spec, name=name)

    @classmethod
    def from_tensor(
        cls, x: torch.Tensor, spec: AudioSpec, labels: Any = None, *, name: str | None = None
    ) -> Audio:
        """Audio from a float tensor N×T (or N×1×T); values outside [-1, 1] are clipped."""
        x = x.detach().float()
        if x.ndim == 3:
            x = x[:, 0]
        wav = x.clamp(-1.0, 1.0).cpu().numpy().astype(np.float32, copy=False)
        if labels is not None:
            labels = torch.as_tensor(labels).cpu().numpy().astype(np.int64)
        return cls(np.ascontiguousarray(wav), labels, spec, name=name)

    # --- views --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.waveforms)

    def __repr__(self) -> str:
        name = f" {self.name!r}" if self.name else ""
        lab = f", {self.spec.n_classes} classes" if self.labels is not None else ""
        return (
            f"Audio{name}({len(self)} × {self.spec.duration:.3g} s at "
            f"{self.spec.sample_rate} Hz{lab})"
        )

    def __getitem__(self, idx: Any) -> Audio:
        """A subset (slice, index array or boolean mask) with the same spec."""
        if isinstance(idx, (int, np.integer)):
            idx = [int(idx)]
        wav = self.waveforms[idx]
        labels = None if self.labels is None else self.labels[idx]
        source = None if self.source is None else self.source[idx]
        return Audio(wav, labels, self.spec, name=self.name, source=source)

    @property
    def sample_rate(self) -> int:
        return self.spec.sample_rate

    @property
    def shape(self) -> tuple[int, ...]:
        return self.waveforms.shape

    @property
    def label_names(self) -> np.ndarray | None:
        """The labels as class names (None when unlabelled)."""
        if self.labels is None or not self.spec.classes:
            return None
        return np.asarray(self.spec.classes, dtype=object)[self.labels]

    def class_counts(self) -> dict[str, int]:
        """Clips per class name (every class of the spec, zeros included)."""
        if self.labels is None or not self.spec.classes:
            return {}
        counts = np.bincount(self.labels, minlength=self.spec.n_classes)
        return {c: int(k) for c, k in zip(self.spec.classes, counts, strict=True)}

    def to_tensor(self, device: torch.device | str = "cpu") -> torch.Tensor:
        """Waveforms as float32 N×T on ``device``."""
        return torch.from_numpy(self.waveforms).to(device)

    def labels_tensor(self, device: torch.device | str = "cpu") -> torch.Tensor | None:
        return None if self.labels is None else torch.from_numpy(self.labels).to(device)

    def fingerprint(self) -> str:
        """SHA-256 of the samples, sample rate, labels and classes (a cache key)."""
        h = hashlib.sha256()
        h.update(f"{self.waveforms.shape} {self.spec.sample_rate}".encode())
        h.update(np.ascontiguousarray(self.waveforms).tobytes())
        if self.labels is not None:
            h.update(self.labels.tobytes())
            h.update("\x00".join(self.spec.classes or []).encode())
        return h.hexdigest()

    def split(
        self, frac: float = 0.8, *, seed: int | None = 0, stratify: bool = True
    ) -> tuple[Audio, Audio]:
        """Split into (first, second) with ``frac`` in the first; by class when labelled."""
        a, b = split_indices(
            len(self),
            self.labels,
            self.spec.n_classes,
            frac,
            seed=seed,
            stratify=stratify,
            what="clips",
        )
        return self[a], self[b]

    def per_class(self, n: int, *, seed: int | None = 0) -> Audio:
        """At most ``n`` clips of every class (a fixed random choice for ``seed``)."""
        if self.labels is None:
            raise DataError("per_class() needs labelled clips")
        return self[per_class_indices(self.labels, self.spec.n_classes, n, seed=seed)]

    # --- preprocessing (each returns a new container) -----------------------------------------
    def resample(self, sample_rate: int) -> Audio:
        """The clips at ``sample_rate`` (polyphase, anti-aliased); the length scales with it."""
        sr = check_sample_rate(sample_rate)
        if sr == self.spec.sample_rate:
            return self
        wav = resample(self.waveforms, self.spec.sample_rate, sr)
        spec = AudioSpec(sr, wav.shape[1], self.spec.classes, self.spec.label_name)
        return Audio(wav, self.labels, spec, name=self.name, source=self.source)

    def with_length(self, length: int) -> Audio:
        """The clips trimmed / zero-padded at the end to ``length`` samples."""
        wav = fix_length(self.waveforms, length)
        spec = AudioSpec(self.spec.sample_rate, length, self.spec.classes, self.spec.label_name)
        return Audio(wav, self.labels, spec, name=self.name, source=self.source)

    def normalized(self, target_dbfs: float = -20.0, *, peak_dbfs: float = -1.0) -> Audio:
        """The clips at a common RMS loudness (see :func:`normalize_loudness`)."""
        wav = normalize_loudness(self.waveforms, target_dbfs, peak_dbfs=peak_dbfs)
        return Audio(wav, self.labels, self.spec, name=self.name, source=self.source)


# --- preprocessing functions (vectorised over clips) -----------------------------------------
def to_float32(x: np.ndarray) -> np.ndarray:
    """PCM or float samples as float32 in [-1, 1] (int types are scaled by their full range)."""
    if x.dtype == np.uint8:  # 8-bit WAV is unsigned
        return ((x.astype(np.float32) - 128.0) / 128.0).astype(np.float32)
    if np.issubdtype(x.dtype, np.integer):
        scale = float(np.iinfo(x.dtype).max) + 1.0
        return (x.astype(np.float64) / scale).astype(np.float32)
    if not np.issubdtype(x.dtype, np.floating):
        raise DataError(f"audio samples must be numbers, got {x.dtype}")
    xf = x.astype(np.float32, copy=False)
    if not np.isfinite(xf).all():
        raise DataError("audio samples contain NaN or infinity")
    peak = float(np.abs(xf).max(initial=0.0))
    if peak > 1.5:
        raise DataError(
            f"float audio must lie in [-1, 1] (full scale), got a peak of {peak:g}; scale it, "
            "or pass int16 PCM, which is converted"
        )
    return np.clip(xf, -1.0, 1.0) if peak > 1.0 else xf


def to_mono(x: np.ndarray, channel_axis: int = -1) -> np.ndarray:
    """Mix channels to mono by their mean (a 1-D array is returned unchanged)."""
    x = np.asarray(x)
    if x.ndim == 1:
        return x
    return x.mean(axis=channel_axis).astype(x.dtype if x.dtype.kind == "f" else np.float32)


def fix_length(x: np.ndarray, length: int, *, offset: int = 0) -> np.ndarray:
    """Trim or zero-pad the last axis to ``length`` samples (trimming starts at ``offset``)."""
    if not isinstance(length, (int, np.integer)) or length < 1:
        raise DataError(f"`length` must be an int ≥ 1 (samples), got {length!r}")
    t = x.shape[-1]
    if t >= length:
        return np.ascontiguousarray(x[..., offset : offset + length])
    pad = [(0, 0)] * (x.ndim - 1) + [(0, length - t)]
    return np.pad(x, pad)


def resample(x: np.ndarray, sr_from: int, sr_to: int) -> np.ndarray:
    """Resample the last axis from ``sr_from`` to ``sr_to`` Hz (polyphase FIR with a Kaiser
    window, scipy's ``resample_poly``: anti-aliased, one call for every clip)."""
    from scipy.signal import resample_poly

    sr_from, sr_to = int(sr_from), int(sr_to)
    if sr_from == sr_to:
        return x.astype(np.float32, copy=False)
    g = math.gcd(sr_from, sr_to)
    y = resample_poly(x, sr_to // g, sr_from // g, axis=-1)
    return np.clip(y, -1.0, 1.0).astype(np.float32)


def rms_dbfs(x: np.ndarray) -> np.ndarray:
    """RMS level of each clip (last axis) in dB relative to full scale (−inf for silence)."""
    rms = np.sqrt(np.mean(np.square(x, dtype=np.float64), axis=-1))
    with np.errstate(divide="ignore"):
        return 20.0 * np.log10(rms)


def normalize_loudness(
    x: np.ndarray, target_dbfs: float = -20.0, *, peak_dbfs: float = -1.0
) -> np.ndarray:
    """Scale each clip (last axis) to an RMS level of ``target_dbfs`` dBFS, then lower any clip
    whose peak would exceed ``peak_dbfs`` so that nothing clips. Silent clips stay silent."""
    if not -80.0 <= target_dbfs <= 0.0:
        raise DataError(f"`target_dbfs` must lie in [-80, 0] dB, got {target_dbfs!r}")
    x = np.asarray(x, dtype=np.float32)
    rms = np.sqrt(np.mean(np.square(x, dtype=np.float64), axis=-1, keepdims=True))
    peak = np.abs(x).max(axis=-1, keepdims=True).astype(np.float64)
    silent = rms < 1e-7
    gain = np.where(silent, 1.0, 10.0 ** (target_dbfs / 20.0) / np.maximum(rms, 1e-12))
    limit = 10.0 ** (peak_dbfs / 20.0)
    gain = np.minimum(gain, np.where(peak > 0, limit / np.maximum(peak, 1e-12), gain))
    return (x * gain).astype(np.float32)


def trim_silence(x: np.ndarray, sample_rate: int, *, top_db: float = 40.0) -> np.ndarray:
    """One 1-D clip without its leading and trailing silence (frames more than ``top_db`` below
    the loudest 10 ms frame); a clip that is all silence is returned unchanged."""
    x = np.asarray(x, dtype=np.float32)
    frame = max(1, sample_rate // 100)
    n = len(x) // frame
    if n == 0:
        return x
    energy = np.sqrt(np.mean(np.square(x[: n * frame].reshape(n, frame)), axis=1))
    if energy.max() <= 0:
        return x
    loud = np.flatnonzero(20 * np.log10(np.maximum(energy, 1e-12) / energy.max()) > -top_db)
    return x[loud[0] * frame : min(len(x), (loud[-1] + 1) * frame)]


def concat_audio(parts: Sequence[Audio]) -> Audio:
    """Join clips of the same spec (labels kept only when every part has them)."""
    if not parts:
        raise DataError("nothing to concatenate")
    spec = parts[0].spec
    for p in parts[1:]:
        same = (p.spec.sample_rate, p.spec.length, p.spec.classes) == (
            spec.sample_rate,
            spec.length,
            spec.classes,
        )
        if not same:
            raise DataError(
                f"cannot join clips of {p.spec.length} samples at {p.spec.sample_rate} Hz with "
                f"{spec.length} at {spec.sample_rate} Hz (or their classes differ)"
            )
    wav = np.concatenate([p.waveforms for p in parts])
    labels = None
    if all(p.labels is not None for p in parts):
        labels = np.concatenate([p.labels for p in parts])
    source = None
    if all(p.source is not None for p in parts):
        source = np.concatenate([p.source for p in parts])
    return Audio(wav, labels, spec, name=parts[0].name, source=source)


def as_audio(data: Any, spec: AudioSpec | None = None) -> Audio:
    """Coerce ``data`` (Audio, or a folder / file path) to :class:`Audio`; with ``spec``, the
    clips are resampled and trimmed / padded to match it."""
    if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
        from synthset.data.audio_io import read_audio

        data = read_audio(data)
    if not isinstance(data, Audio):
        raise DataError(
            f"cannot use {type(data).__name__} as audio; pass an Audio (Audio.from_arrays("
            "waveforms, sample_rate)) or a folder of WAV / FLAC files"
        )
    if spec is not None:
        if data.spec.sample_rate != spec.sample_rate:
            data = data.resample(spec.sample_rate)
        if data.spec.length != spec.length:
            data = data.with_length(spec.length)
    return data


_natural_sort = natural_sort  # the readers import it under this name

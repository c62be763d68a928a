"""Classic waveform augmentations, vectorised over a batch of clips N×T on the device.

>>> policy = Compose([Speed((0.9, 1.1)), PitchShift((-2, 2)), TimeShift(100.0),
...                   Gain((-6, 6)), AddNoise((5, 30))], p=0.5)
>>> gen = make_torch_generator(0)
>>> y = policy(x, sample_rate=16_000, generator=gen)       # x: float32 N×T in [-1, 1]

Every op draws one random parameter per clip from an explicit ``torch.Generator`` (so a seed
fixes the output) and applies it to the whole batch at once; there are no per-clip Python loops.

* :class:`AddNoise` — white, pink or brown noise (white noise shaped by ``f^-β/2`` in the
  frequency domain) scaled to a clip-level signal-to-noise ratio in dB;
* :class:`Gain` — a gain in dB, with peak limiting: a clip whose peak would pass full scale is
  scaled down to it (no clipping);
* :class:`TimeShift` — a shift of up to ``± max_ms``, zero-filled or circular (one gather);
* :class:`Speed` — resampling by a per-clip factor (faster is higher and shorter), trimmed or
  zero-padded back to the length. The samples are read at fractional positions by a
  Blackman-windowed sinc interpolator whose cut-off follows each clip's factor (anti-aliased);
* :class:`PitchShift` — a pitch shift in semitones that keeps the duration: a phase-vocoder time
  stretch on ``torch.stft`` by ``α = 2^(s/12)`` (each clip with its own α: the output frames are
  read at per-clip fractional frame positions, padded to the longest), then resampling by ``α``
  with the same interpolator (librosa's stretch-then-resample recipe);
* :class:`Compose` — a fixed-order policy: each op is applied to a clip with its probability
  ``p`` (optionally at least one op per clip), seeded by the generator.

The functional forms (:func:`add_noise`, :func:`gain`, :func:`time_shift`, :func:`speed`,
:func:`time_stretch`, :func:`pitch_shift`, :func:`read_at`) take the per-clip parameters as
tensors, for callers that draw them themselves.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor

from synthset.errors import ConfigError, DataError

NOISE_COLORS = {"white": 0.0, "pink": 1.0, "brown": 2.0}  # power falls as 1 / f^β
INTERP_HALF_WIDTH = 8  # zero crossings of the sinc kernel on each side (16 taps)


# --- helpers ---------------------------------------------------------------------------------
def _check_batch(x: Tensor) -> Tensor:
    if not isinstance(x, Tensor) or x.ndim != 2:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise DataError(f"augmentations take a float tensor N×T (one clip per row), got {shape}")
    if not x.is_floating_point():
        raise DataError(f"augmentations take float waveforms, got {x.dtype}")
    return x


def _per_clip(value: Tensor | float, x: Tensor) -> Tensor:
    """``value`` as a float tensor of shape (N,) on the device of ``x``."""
    v = torch.as_tensor(value, dtype=x.dtype, device=x.device)
    if v.ndim == 0:
        v = v.expand(x.shape[0])
    if v.shape != (x.shape[0],):
        raise DataError(f"expected one parameter per clip ({x.shape[0]}), got {tuple(v.shape)}")
    return v


def uniform(
    n: int, low: float, high: float, generator: torch.Generator, device: torch.device | str
) -> Tensor:
    """``n`` draws from U[low, high] (float32) on ``device``."""
    u = torch.rand(n, generator=generator, device=device)
    return low + (high - low) * u


def limit_peak(x: Tensor, peak: float = 1.0) -> Tensor:
    """Scale down every clip whose absolute peak exceeds ``peak`` to exactly ``peak``."""
    m = x.abs().amax(dim=-1, keepdim=True)
    return x * torch.clamp(peak / m.clamp_min(1e-12), max=1.0)


def default_stft_size(sample_rate: int) -> int:
    """The power of two nearest 32 ms of samples (512 at 16 kHz, 256 at 8 kHz)."""
    return int(2 ** round(math.log2(0.032 * sample_rate)))


# --- functional ops (parameters given per clip) ----------------------------------------------
def colored_noise(
    n: int,
    length: int,
    beta: Tensor | float,
    generator: torch.Generator,
    device: torch.device | str = "cpu",
) -> Tensor:
    """Unit-RMS noise n×length whose power falls as ``1 / f^β`` (β = 0 white, 1 pink, 2 brown):
    white Gaussian noise shaped in the frequency domain (the DC bin is removed when β > 0)."""
    white = torch.randn(n, length, generator=generator, device=device)
    beta = torch.as_tensor(beta, dtype=white.dtype, device=white.device)
    beta = beta.expand(n) if beta.ndim == 0 else beta
    shaped = beta > 0
    if bool(shaped.any()):
        rows = torch.nonzero(shaped).squeeze(1)
        spec = torch.fft.rfft(white[rows], dim=-1)
        k = torch.arange(spec.shape[-1], device=white.device, dtype=white.dtype)
        # amplitude ∝ f^(-β/2), so the power ∝ f^-β; DC carries nothing
        amp = torch.where(k > 0, k.clamp_min(1.0)[None] ** (-beta[rows, None] / 2), 0.0)
        white = white.index_copy(0, rows, torch.fft.irfft(spec * amp, n=length, dim=-1))
    rms = white.pow(2).mean(dim=-1, keepdim=True).sqrt().clamp_min(1e-12)
    return white / rms


def add_noise(x: Tensor, snr_db: Tensor | float, noise: Tensor, *, peak: float = 1.0) -> Tensor:
    """``x`` plus ``noise`` scaled so that each clip's signal-to-noise power ratio is ``snr_db``
    (powers averaged over the whole clip; a silent clip stays silent), then peak-limited to
    ``peak`` (which keeps the ratio)."""
    x = _check_batch(x)
    snr = _per_clip(snr_db, x)
    p_sig = x.pow(2).mean(dim=-1)
    p_noise = noise.pow(2).mean(dim=-1).clamp_min(1e-20)
    scale = torch.sqrt(p_sig / p_noise * 10.0 ** (-snr / 10.0))
    return limit_peak(x + scale[:, None] * noise, peak)


def gain(x: Tensor, gain_db: Tensor | float, *, peak: float = 1.0) -> Tensor:
    """Each clip times ``10^(gain_db / 20)``, scaled back to ``peak`` where it would exceed it."""
    x = _check_batch(x)
    g = 10.0 ** (_per_clip(gain_db, x) / 20.0)
    return limit_peak(x * g[:, None], peak)


def time_shift(x: Tensor, shift: Tensor | int, *, mode: str = "zero") -> Tensor:
    """Delay each clip by ``shift`` samples (negative: advance). ``mode="zero"`` fills the gap
    with silence (what leaves the clip is lost), ``"circular"`` wraps it round."""
    x = _check_batch(x)
    if mode not in ("zero", "circular"):
        raise ConfigError(f"`mode` must be 'zero' or 'circular', got {mode!r}")
    n, t = x.shape
    s = torch.as_tensor(shift, device=x.device).long()
    s = s.expand(n) if s.ndim == 0 else s
    idx = (
        torch.arange(t, device=x.device)[None] - s[:, None]
    )  # (N, T): where each sample comes from
    if mode == "circular":
        return x.gather(1, idx.remainder(t))
    valid = (idx >= 0) & (idx < t)
    return x.gather(1, idx.clamp(0, t - 1)) * valid


def read_at(
    x: Tensor,
    pos: Tensor,
    cutoff: Tensor | float = 1.0,
    *,
    half_width: int = INTERP_HALF_WIDTH,
) -> Tensor:
    """Band-limited values of each clip at fractional sample positions.

    ``y[n, m] = Σ_k x[n, i + k] · h_n(pos[n, m] − i − k)`` over the ``2 · half_width`` samples
    around ``i = floor(pos)``, with ``h_n(d) = c_n · sinc(c_n d) · blackman(d / half_width)``
    and the weights normalised to sum to one (unit gain at DC). Outside the clip the signal is
    zero. The loop runs over the taps (a constant), each one gather over the whole batch; the
    sines and cosines are computed once per position and shifted to each tap by the angle
    addition formulas.

    Args:
        x: clips N×T.
        pos: positions N×M in samples (any real values).
        cutoff: per-clip cut-off ``c`` as a fraction of the Nyquist frequency, in (0, 1]:
            ``min(1, 1 / factor)`` when reading every ``factor``-th sample (anti-aliasing).
        half_width: zero crossings on each side (1 gives a short, blurry kernel).

    Returns:
        N×M values.
    """
    x = _check_batch(x)
    n, t = x.shape
    k_w = int(half_width)
    c = _per_clip(cutoff, x)[:, None]
    base = torch.floor(pos)
    frac = (pos - base).to(x.dtype)  # in [0, 1)
    base = base.long().clamp(-k_w, t) + k_w  # further out reads only zeros anyway; ≥ 0
    xp = torch.nn.functional.pad(x, (2 * k_w, 2 * k_w + 1))  # index base + k + 2K is valid
    a = math.pi * c * frac  # sin(π c (frac − k)) from sin / cos of π c frac and of π c k
    sin_a, cos_a = torch.sin(a), torch.cos(a)
    b = (math.pi / k_w) * frac  # the window's cos(π (frac − k) / K) likewise
    sin_b, cos_b = torch.sin(b), torch.cos(b)
    del a, b
    acc = torch.zeros_like(frac)
    wsum = torch.zeros_like(frac)
    for k in range(-k_w + 1, k_w + 1):
        # w = sin(π c d) / (π d) · blackman(d / K) with d = frac − k, in place where possible
        ck = math.pi * c * k  # (N, 1)
        w = sin_a * torch.cos(ck)
        w.addcmul_(cos_a, torch.sin(ck), value=-1.0)  # sin(π c d)
        if k == 0:  # the one tap where d can be 0: there the sinc is c
            w = torch.where(frac == 0, math.pi * c, w / frac.clamp_min(1e-12))
        else:
            w.div_(frac - k)
        win = cos_b * math.cos(math.pi * k / k_w)
        win.add_(sin_b, alpha=math.sin(math.pi * k / k_w))  # cw = cos(π d / K)
        # Blackman 0.42 + 0.5 cw + 0.08 (2cw² − 1) = 0.34 + cw (0.5 + 0.16 cw), over π
        w.mul_(win.mul(0.16 / math.pi).add_(0.5 / math.pi).mul_(win).add_(0.34 / math.pi))
        acc.addcmul_(xp[:, k + k_w :].gather(1, base), w)  # x[i + k]
        wsum.add_(w)
    return acc / wsum.clamp_min(1e-6)


def speed(x: Tensor, factor: Tensor | float, *, half_width: int = INTERP_HALF_WIDTH) -> Tensor:
    """Play each clip ``factor`` times faster (pitch × factor, duration ÷ factor), trimmed or
    zero-padded back to its length: ``y[t] = x[t · factor]``, band-limited."""
    x = _check_batch(x)
    f = _per_clip(factor, x)
    if bool((f <= 0).any()):
        raise ConfigError("speed factors must be > 0")
    t = torch.arange(x.shape[1], device=x.device, dtype=x.dtype)
    pos = t[None] * f[:, None]
    return read_at(x, pos, torch.clamp(1.0 / f, max=1.0), half_width=half_width)


def time_stretch(
    x: Tensor,
    stretch: Tensor | float,
    *,
    n_fft: int,
    hop_length: int | None = None,
    length: int | None = None,
    phase_lock: bool = True,
) -> Tensor:
    """Phase-vocoder time stretch: each clip becomes ``stretch`` times longer at the same pitch.

    The STFT frames of clip n are read at the fractional frame positions ``m / stretch[n]``:
    magnitudes are interpolated between the two neighbouring frames and phases advance by
    each bin's measured instantaneous frequency (Flanagan & Golden 1966; the recipe of
    torchaudio's ``phase_vocoder``). Clips with different stretches share one batch: the output
    frames are padded to the longest clip's count.

    Args:
        x: clips N×T.
        stretch: per-clip duration factors > 0.
        n_fft: FFT size (Hann window).
        hop_length: frame step (default ``n_fft // 4``).
        length: output samples (default ``ceil(T · max(stretch))``); clip n is valid over its
            first ``T · stretch[n]`` samples.
        phase_lock: lock every bin's phase to its spectral peak's (:func:`_lock_phases`);
            without it, stretching a steady tone by more than 1 loses several dB to bins that
            drift out of phase.

    Returns:
        N×length stretched clips.
    """
    x = _check_batch(x)
    n, t = x.shape
    hop = hop_length or n_fft // 4
    a = _per_clip(stretch, x)
    if bool((a <= 0).any()):
        raise ConfigError("time-stretch factors must be > 0")
    out_len = length or int(math.ceil(t * float(a.max())))
    window = torch.hann_window(n_fft, device=x.device, dtype=x.dtype)
    # silence after the end: the last samples get frames centred past them, so the end of a
    # clip is reconstructed whole even when later output frames are silent
    padded = torch.nn.functional.pad(x, (0, n_fft))
    spec = torch.stft(
        padded, n_fft, hop, window=window, center=True, pad_mode="constant", return_complex=True
    )
    n_bins, n_frames = spec.shape[1], spec.shape[2]
    # magnitudes and phases of the input frames, two silent frames after the end
    mag_in = torch.nn.functional.pad(spec.abs(), (0, 2))
    ang_in = torch.nn.functional.pad(spec.angle(), (0, 2))
    del spec
    # frames up to n_fft past the end, so that every kept sample has its full overlap of frames
    m_out = out_len // hop + 1 + n_fft // hop
    steps = torch.arange(m_out, device=x.device, dtype=torch.float64)[None] / a.double()[:, None]
    i = torch.floor(steps).long().clamp(max=n_frames)  # (N, M) input frame before each output
    alpha = (steps - torch.floor(steps)).to(x.dtype).clamp(0.0, 1.0)
    alpha = torch.where(i >= n_frames, 0.0, alpha)[:, None, :]
    idx = i[:, None, :].expand(n, n_bins, m_out)
    a0, a1 = ang_in.gather(2, idx), ang_in.gather(2, idx + 1)
    m0 = mag_in.gather(2, idx)
    mag = torch.lerp(m0, mag_in.gather(2, idx + 1), alpha)
    del m0
    advance = torch.linspace(0.0, math.pi * hop, n_bins, device=x.device, dtype=x.dtype)[:, None]
    dphase = a1 - a0 - advance  # deviation from each bin's centre frequency, wrapped to ±π
    dphase = torch.remainder(dphase + math.pi, 2.0 * math.pi) - math.pi + advance
    phase = torch.cumsum(torch.cat([ang_in[:, :, :1], dphase[:, :, :-1]], dim=-1), dim=-1)
    del dphase, a1
    if phase_lock:
        phase = _lock_phases(phase, a0, mag)
    out = torch.polar(mag, phase)
    return torch.istft(out, n_fft, hop, window=window, center=True, length=out_len)


def _lock_phases(phase: Tensor, angle: Tensor, mag: Tensor, reach: int = 2) -> Tensor:
    """Identity phase locking (after Laroche & Dolson 1999): every bin keeps its input phase
    offset from the loudest bin within ``± reach`` bins (the peak of its partial, for a Hann
    window's main lobe), whose phase is the vocoder's accumulated one. The bins of one partial
    stay coherent, so a stretched tone keeps its level. One max-pool over (N, F, M)."""
    n, n_bins, m = mag.shape
    _, peak = torch.nn.functional.max_pool2d(
        mag[:, None], (2 * reach + 1, 1), stride=1, padding=(reach, 0), return_indices=True
    )
    peak = peak.view(n, n_bins * m)  # flat indices f · M + m of each bin's peak
    flat = (phase - angle).view(n, n_bins * m)
    return angle + flat.gather(1, peak).view(n, n_bins, m)


def pitch_shift(
    x: Tensor,
    semitones: Tensor | float,
    sample_rate: int,
    *,
    n_fft: int | None = None,
    half_width: int = INTERP_HALF_WIDTH,
) -> Tensor:
    """Shift each clip's pitch by ``semitones`` at the same duration: stretch it by
    ``α = 2^(s/12)`` (:func:`time_stretch`), then read it back ``α`` times faster."""
    x = _check_batch(x)
    s = _per_clip(semitones, x)
    a = torch.pow(2.0, s / 12.0)
    n_fft = n_fft or default_stft_size(sample_rate)
    if x.shape[1] < 64:
        raise DataError(f"clips of {x.shape[1]} samples are too short to pitch-shift (< 64)")
    if n_fft > x.shape[1]:
        n_fft = 2 ** int(math.log2(x.shape[1]))  # very short clips: the largest fitting FFT
    # n_fft more samples than the longest stretch: the interpolator reads a little past a
    # clip's end, where the vocoder's tail lies, whatever the other clips of the batch are
    z = time_stretch(x, a, n_fft=n_fft, length=int(math.ceil(x.shape[1] * float(a.max()))) + n_fft)
    t = torch.arange(x.shape[1], device=x.device, dtype=x.dtype)
    return read_at(z, t[None] * a[:, None], torch.clamp(1.0 / a, max=1.0), half_width=half_width)


# --- random ops ------------------------------------------------------------------------------
def _check_range(name: str, value: Any, low: float, high: float) -> tuple[float, float]:
    """A (lo, hi) pair of numbers within [low, high] with lo ≤ hi."""
    ok = isinstance(value, (tuple, list)) and len(value) == 2
    ok = ok and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    if ok:
        lo, hi = float(value[0]), float(value[1])
        ok = math.isfinite(lo) and math.isfinite(hi) and low <= lo <= hi <= high
    if not ok:
        raise ConfigError(
            f"`{name}` must be a pair (low, high) with {low:g} ≤ low ≤ high ≤ {high:g}, "
            f"got {value!r}"
        )
    return lo, hi


class AudioOp(ABC):
    """One random augmentation: ``draw`` per-clip parameters, ``apply`` them to a batch."""

    name: ClassVar[str]

    @abstractmethod
    def draw(
        self, n: int, sample_rate: int, generator: torch.Generator, device: torch.device
    ) -> dict[str, Tensor]:
        """Per-clip parameters for ``n`` clips (tensors of shape (n,))."""

    @abstractmethod
    def apply(
        self, x: Tensor, params: dict[str, Tensor], sample_rate: int, generator: torch.Generator
    ) -> Tensor:
        """The augmented batch (the generator serves ops that need more randomness: noise)."""

    def __call__(self, x: Tensor, sample_rate: int, generator: torch.Generator) -> Tensor:
        x = _check_batch(x)
        return self.apply(
            x, self.draw(len(x), sample_rate, generator, x.device), sample_rate, generator
        )


@dataclass
class AddNoise(AudioOp):
    """Noise at a signal-to-noise ratio drawn from U[snr_db]; each clip's noise colour is drawn
    uniformly from ``colors`` (``"white"``, ``"pink"``, ``"brown"``)."""

    snr_db: tuple[float, float] = (5.0, 30.0)
    colors: Sequence[str] = ("white", "pink")
    name: ClassVar[str] = "noise"

    def __post_init__(self) -> None:
        self.snr_db = _check_range("noise_snr_db", self.snr_db, -30.0, 120.0)
        colors = [self.colors] if isinstance(self.colors, str) else list(self.colors)
        bad = [c for c in colors if c not in NOISE_COLORS]
        if not colors or bad:
            raise ConfigError(
                f"noise colours must be some of {', '.join(NOISE_COLORS)}, got {self.colors!r}"
            )
        self.colors = tuple(colors)

    def draw(self, n, sample_rate, generator, device):
        betas = torch.tensor([NOISE_COLORS[c] for c in self.colors], device=device)
        pick = torch.randint(len(self.colors), (n,), generator=generator, device=device)
        return {"snr_db": uniform(n, *self.snr_db, generator, device), "beta": betas[pick]}

    def apply(self, x, params, sample_rate, generator):
        noise = colored_noise(len(x), x.shape[1], params["beta"], generator, x.device)
        return add_noise(x, params["snr_db"], noise.to(x.dtype))


@dataclass
class Gain(AudioOp):
    """A gain drawn from U[gain_db] dB, peak-limited to ``peak``."""

    gain_db: tuple[float, float] = (-6.0, 6.0)
    peak: float = 1.0
    name: ClassVar[str] = "gain"

    def __post_init__(self) -> None:
        self.gain_db = _check_range("gain_db", self.gain_db, -60.0, 60.0)

    def draw(self, n, sample_rate, generator, device):
        return {"gain_db": uniform(n, *self.gain_db, generator, device)}

    def apply(self, x, params, sample_rate, generator):
        return gain(x, params["gain_db"], peak=self.peak)


@dataclass
class TimeShift(AudioOp):
    """A shift drawn uniformly from [−max_ms, max_ms] (whole samples), zero-filled or circular."""

    max_ms: float = 100.0
    mode: str = "zero"
    name: ClassVar[str] = "shift"

    def __post_init__(self) -> None:
        ok = isinstance(self.max_ms, (int, float)) and not isinstance(self.max_ms, bool)
        if not ok or not 0.0 <= self.max_ms <= 60_000.0:
            raise ConfigError(
                f"`shift_ms` must be a number of ms in [0, 60000], got {self.max_ms!r}"
            )
        if self.mode not in ("zero", "circular"):
            raise ConfigError(f"`shift_mode` must be 'zero' or 'circular', got {self.mode!r}")

    def draw(self, n, sample_rate, generator, device):
        k = int(round(self.max_ms * sample_rate / 1000.0))
        return {"shift": torch.randint(-k, k + 1, (n,), generator=generator, device=device)}

    def apply(self, x, params, sample_rate, generator):
        return time_shift(x, params["shift"], mode=self.mode)


@dataclass
class Speed(AudioOp):
    """A speed factor drawn from U[factors]: pitch and tempo change together."""

    factors: tuple[float, float] = (0.9, 1.1)
    name: ClassVar[str] = "speed"

    def __post_init__(self) -> None:
        self.factors = _check_range("speed", self.factors, 0.25, 4.0)

    def draw(self, n, sample_rate, generator, device):
        return {"factor": uniform(n, *self.factors, generator, device)}

    def apply(self, x, params, sample_rate, generator):
        return limit_peak(speed(x, params["factor"]))  # interpolation may overshoot a little


@dataclass
class PitchShift(AudioOp):
    """A pitch shift drawn from U[semitones] at the same duration (phase vocoder + resampling)."""

    semitones: tuple[float, float] = (-2.0, 2.0)
    n_fft: int | None = None
    name: ClassVar[str] = "pitch"

    def __post_init__(self) -> None:
        self.semitones = _check_range("pitch_semitones", self.semitones, -24.0, 24.0)

    def draw(self, n, sample_rate, generator, device):
        return {"semitones": uniform(n, *self.semitones, generator, device)}

    def apply(self, x, params, sample_rate, generator):
        # the vocoder's onsets may overshoot a little: peak-limit rather than clip
        return limit_peak(pitch_shift(x, params["semitones"], sample_rate, n_fft=self.n_fft))


class Compose:
    """Apply ops in a fixed order, each to a random subset of the clips.

    Args:
        ops: the augmentations, in the order they run.
        p: the probability that a clip gets each op (one number for all, or one per op).
        at_least_one: a clip that drew no op gets one op picked uniformly among those with
            p > 0, so that no output is a plain copy of its input.
        peak: every output is peak-limited to this (interpolation can overshoot a little).

    Calling it with ``(x, sample_rate, generator)`` returns the augmented N×T batch; a given
    generator state gives the same output.
    """

    def __init__(
        self,
        ops: Sequence[AudioOp],
        p: float | Sequence[float] = 0.5,
        *,
        at_least_one: bool = True,
        peak: float = 1.0,
    ):
        self.ops = list(ops)
        if not self.ops:
            raise ConfigError("an augmentation policy needs at least one op")
        probs = [p] * len(self.ops) if isinstance(p, (int, float)) else list(p)
        if len(probs) != len(self.ops) or not all(
            isinstance(q, (int, float)) and not isinstance(q, bool) and 0.0 <= q <= 1.0
            for q in probs
        ):
            raise ConfigError(
                f"`p` must be a probability in [0, 1], or one per op ({len(self.ops)}), got {p!r}"
            )
        if not any(q > 0 for q in probs):
            raise ConfigError("every op has p = 0, so nothing would change; raise one p above 0")
        self.p = [float(q) for q in probs]
        self.at_least_one = at_least_one
        self.peak = peak

    def __repr__(self) -> str:
        ops = ", ".join(f"{op!r} p={q:g}" for op, q in zip(self.ops, self.p, strict=True))
        return f"Compose([{ops}])"

    @classmethod
    def from_options(cls, ops: Sequence[AudioOp], p: float | Mapping[str, float]) -> Compose:
        """A policy whose ``p`` may be a dict ``{op name: p}`` (ops missing from it are off)."""
        if isinstance(p, Mapping):
            names = [op.name for op in ops]
            unknown = sorted(set(p) - set(names))
            if unknown:
                raise ConfigError(f"`p` names unknown ops {unknown}; ops: {', '.join(names)}")
            return cls(ops, [p.get(name, 0.0) for name in names])
        return cls(ops, p)

    def choose(self, n: int, generator: torch.Generator, device: torch.device) -> Tensor:
        """Which op each clip gets: a boolean mask (n, n_ops)."""
        probs = torch.tensor(self.p, device=device)
        mask = torch.rand(n, len(self.ops), generator=generator, device=device) < probs
        if self.at_least_one:
            enabled = torch.nonzero(probs > 0).squeeze(1)
            pick = enabled[torch.randint(len(enabled), (n,), generator=generator, device=device)]
            none = ~mask.any(dim=1)
            mask[torch.arange(n, device=device), pick] |= none
        return mask

    def __call__(self, x: Tensor, sample_rate: int, generator: torch.Generator) -> Tensor:
        x = _check_batch(x).clone()
        mask = self.choose(len(x), generator, x.device)
        for k, op in enumerate(self.ops):
            rows = torch.nonzero(mask[:, k]).squeeze(1)
            if len(rows) == 0:
                continue
            x = x.index_copy(0, rows, op(x[rows], sample_rate, generator).to(x.dtype))
        return limit_peak(x, self.peak)

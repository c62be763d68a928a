"""Mel spectrograms on ``torch.stft`` and their inversion by Griffin-Lim (no torchaudio).

>>> mel = MelSpectrogram(sample_rate=16_000)           # 1024-point FFT, hop 256, 64 bands
>>> m = mel.log_mel(wave)                              # (N, 64, frames), natural log
>>> back = mel.inverse_log_mel(m, length=wave.shape[-1], n_iter=64, seed=0)   # (N, T)
>>> spectral_convergence(mel.magnitude(wave), mel.magnitude(back))           # ≈ 0.1-0.3

:class:`MelCodec` adds the scaling the spectrogram models train on: log-mel values mapped to
[-1, 1] by a floor and a ceiling learned from the training clips, and back to a waveform.

Everything works on batches N×T at once, on whatever device the input lives on. The phase
is recovered by the fast Griffin-Lim algorithm (Perraudin, Balazs & Søndergaard 2013: plain
Griffin-Lim with a momentum of 0.99), starting from a seeded random phase so that a seed
gives the same waveform.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor

from synthset.errors import ConfigError, DataError

LOG_FLOOR = 1e-5  # magnitudes below this are floored before the log (−100 dB re 1)


def default_n_fft(sample_rate: int) -> int:
    """The power of two nearest 64 ms of samples (1024 at 16 kHz, 512 at 8 kHz)."""
    return int(2 ** round(math.log2(0.064 * sample_rate)))


def hz_to_mel(f: Tensor) -> Tensor:
    """The HTK mel scale: 2595 · log10(1 + f / 700)."""
    return 2595.0 * torch.log10(1.0 + f / 700.0)


def mel_to_hz(m: Tensor) -> Tensor:
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


def mel_filterbank(
    sample_rate: int, n_fft: int, n_mels: int, f_min: float = 0.0, f_max: float | None = None
) -> Tensor:
    """Triangular mel filters (n_mels, n_fft // 2 + 1), area-normalised (Slaney), float32."""
    f_max = sample_rate / 2 if f_max is None else f_max
    freqs = torch.linspace(0.0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)
    m_pts = torch.linspace(
        float(hz_to_mel(torch.tensor(f_min))),
        float(hz_to_mel(torch.tensor(f_max))),
        n_mels + 2,
        dtype=torch.float64,
    )
    f_pts = mel_to_hz(m_pts)
    lower, centre, upper = f_pts[:-2, None], f_pts[1:-1, None], f_pts[2:, None]
    up = (freqs[None] - lower) / (centre - lower)
    down = (upper - freqs[None]) / (upper - centre)
    fb = torch.clamp(torch.minimum(up, down), min=0.0)
    fb = fb * (2.0 / (upper - lower))  # equal area per filter, so every band weighs alike
    return fb.float()


@dataclass
class MelSpectrogram:
    """STFT magnitudes, their mel projection, and the way back.

    Args:
        sample_rate: samples per second of the clips.
        n_fft: FFT size (default: the power of two nearest 64 ms).
        hop_length: samples between frames (default ``n_fft // 4``: 75% overlap, which
            Griffin-Lim needs to reconstruct well).
        n_mels: mel bands.
        f_min, f_max: the band edges in Hz (``f_max`` default: half the sample rate).
    """

    sample_rate: int
    n_fft: int | None = None
    hop_length: int | None = None
    n_mels: int = 64
    f_min: float = 0.0
    f_max: float | None = None

    def __post_init__(self) -> None:
        self.n_fft = self.n_fft or default_n_fft(self.sample_rate)
        self.hop_length = self.hop_length or self.n_fft // 4
        self.f_max = float(self.f_max or self.sample_rate / 2)
        if self.n_fft < 16 or self.hop_length < 1 or self.hop_length > self.n_fft:
            raise ConfigError(
                f"need n_fft ≥ 16 and 1 ≤ hop_length ≤ n_fft, got {self.n_fft}, {self.hop_length}"
            )
        if not 1 <= self.n_mels <= self.n_fft // 2 + 1:
            raise ConfigError(f"`n_mels` must lie in [1, {self.n_fft // 2 + 1}], got {self.n_mels}")
        if not 0 <= self.f_min < self.f_max <= self.sample_rate / 2:
            raise ConfigError(
                f"need 0 ≤ f_min < f_max ≤ {self.sample_rate / 2:g} Hz, got {self.f_min}, "
                f"{self.f_max}"
            )
        self._cache: dict[Any, Tensor] = {}

    # ------------------------------------------------------------------ shapes
    def n_frames(self, length: int) -> int:
        """Frames of a clip of ``length`` samples (centred frames: 1 + length // hop)."""
        return 1 + length // self.hop_length

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: d[k] for k in ("sample_rate", "n_fft", "hop_length", "n_mels", "f_min", "f_max")}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MelSpectrogram:
        return cls(**{k: d[k] for k in ("sample_rate", "n_fft", "hop_length", "n_mels")},
                   f_min=float(d["f_min"]), f_max=float(d["f_max"]))  # fmt: skip

    # ------------------------------------------------------------------ constants per device
    def _window(self, device: torch.device) -> Tensor:
        key = ("window", device)
        if key not in self._cache:
            self._cache[key] = torch.hann_window(self.n_fft, device=device)
        return self._cache[key]

    def filterbank(self, device: torch.device | str = "cpu") -> Tensor:
        """The mel filters (n_mels, n_fft // 2 + 1) on ``device``."""
        device = torch.device(device)
        key = ("fb", device)
        if key not in self._cache:
            fb = mel_filterbank(self.sample_rate, self.n_fft, self.n_mels, self.f_min, self.f_max)
            self._cache[key] = fb.to(device)
        return self._cache[key]

    def _pinv(self, device: torch.device) -> Tensor:
        key = ("pinv", device)
        if key not in self._cache:
            self._cache[key] = torch.linalg.pinv(self.filterbank("cpu").double()).float().to(device)
        return self._cache[key]

    # ------------------------------------------------------------------ forward
    def stft(self, wave: Tensor) -> Tensor:
        """Complex STFT (N, n_fft // 2 + 1, frames) of waveforms (N, T) or (T,)."""
        wave = _as_batch(wave)
        return torch.stft(
            wave,
            self.n_fft,
            self.hop_length,
            window=self._window(wave.device),
            center=True,
            pad_mode="reflect" if wave.shape[-1] > self.n_fft // 2 else "constant",
            return_complex=True,
        )

    def istft(self, spec: Tensor, length: int) -> Tensor:
        """Waveforms (N, length) from a complex STFT."""
        return torch.istft(
            spec,
            self.n_fft,
            self.hop_length,
            window=self._window(spec.device),
            center=True,
            length=length,
        )

    def magnitude(self, wave: Tensor) -> Tensor:
        """|STFT| (N, n_fft // 2 + 1, frames)."""
        return self.stft(wave).abs()

    def mel(self, wave: Tensor) -> Tensor:
        """Mel magnitudes (N, n_mels, frames)."""
        mag = self.magnitude(wave)
        return torch.matmul(self.filterbank(mag.device), mag)

    def log_mel(self, wave: Tensor) -> Tensor:
        """Natural-log mel magnitudes (N, n_mels, frames), floored at ``LOG_FLOOR``."""
        return torch.log(self.mel(wave).clamp_min(LOG_FLOOR))

    # ------------------------------------------------------------------ inverse
    def mel_to_magnitude(self, mel: Tensor, n_iter: int = 30) -> Tensor:
        """Non-negative linear magnitudes (N, n_fft // 2 + 1, frames) whose mel projection is
        closest to ``mel``: the clamped pseudo-inverse, refined by multiplicative updates of
        the non-negative least-squares problem (each keeps it non-negative and lowers the
        error)."""
        fb = self.filterbank(mel.device)
        mel = mel.clamp_min(0.0)
        s = torch.matmul(self._pinv(mel.device), mel).clamp_min(1e-8)
        fbt_m = torch.matmul(fb.T, mel)
        for _ in range(n_iter):  # fbᵀ(fb s) through the narrow mel space: 3× faster than (fbᵀfb) s
            s = s * fbt_m / (torch.matmul(fb.T, torch.matmul(fb, s)) + 1e-10)
        return s

    def griffin_lim(
        self,
        magnitude: Tensor,
        length: int,
        *,
        n_iter: int = 64,
        momentum: float = 0.99,
        seed: int | None = 0,
    ) -> Tensor:
        """Waveforms (N, length) whose STFT magnitude approaches ``magnitude`` (fast
        Griffin-Lim; the initial phase is random from ``seed``, or zero for ``seed=None``)."""
        if not 0.0 <= momentum < 1.0:
            raise ConfigError(f"`momentum` must lie in [0, 1), got {momentum}")
        magnitude = _as_batch(magnitude) if magnitude.ndim == 2 else magnitude
        if seed is None:
            angles = torch.ones_like(magnitude, dtype=torch.complex64)
        else:
            g = torch.Generator(device=magnitude.device).manual_seed(int(seed))
            phase = torch.rand(
                magnitude.shape, generator=g, device=magnitude.device, dtype=magnitude.dtype
            )
            angles = torch.polar(torch.ones_like(phase), phase * (2 * math.pi))
        previous = torch.zeros_like(angles)
        mag = magnitude.to(angles.real.dtype)
        for _ in range(n_iter):
            rebuilt = self.stft(self.istft(mag * angles, length))
            angles = rebuilt - previous * (momentum / (1.0 + momentum))
            angles = angles / (angles.abs() + 1e-16)
            previous = rebuilt
        return self.istft(mag * angles, length)

    def inverse_mel(
        self, mel: Tensor, length: int, *, n_iter: int = 64, seed: int | None = 0
    ) -> Tensor:
        """Waveforms (N, length) from mel magnitudes."""
        return self.griffin_lim(self.mel_to_magnitude(mel), length, n_iter=n_iter, seed=seed)

    def inverse_log_mel(
        self, log_mel: Tensor, length: int, *, n_iter: int = 64, seed: int | None = 0
    ) -> Tensor:
        """Waveforms (N, length) from natural-log mel magnitudes."""
        return self.inverse_mel(torch.exp(log_mel), length, n_iter=n_iter, seed=seed)


def spectral_convergence(reference: Tensor, estimate: Tensor) -> Tensor:
    """‖|S_ref| − |S_est|‖_F / ‖|S_ref|‖_F per clip (N,): 0 is perfect; magnitudes in."""
    ref = reference.flatten(1)
    est = estimate.flatten(1)
    return torch.linalg.vector_norm(ref - est, dim=1) / torch.linalg.vector_norm(
        ref, dim=1
    ).clamp_min(1e-12)


class MelCodec:
    """Waveforms ⇄ log-mel "images" (N, 1, n_mels, frames) in [-1, 1], for the spectrogram
    models.

    ``fit`` learns a ceiling (the loudest log-mel value of the training clips) and a floor
    ``dynamic_range_db`` below it; ``encode`` maps [floor, ceiling] to [-1, 1] (quieter values
    clip at −1), ``decode`` maps back and runs Griffin-Lim. The state is three numbers plus
    the mel parameters, so it goes into an artifact's JSON.

    Args:
        mel: the :class:`MelSpectrogram`.
        length: samples per clip (the frames follow from it).
        dynamic_range_db: how far below the ceiling the floor lies (80 dB by default).
    """

    def __init__(self, mel: MelSpectrogram, length: int, dynamic_range_db: float = 80.0):
        if not 10.0 <= dynamic_range_db <= 160.0:
            raise ConfigError(f"`dynamic_range_db` must lie in [10, 160], got {dynamic_range_db}")
        self.mel = mel
        self.length = int(length)
        self.dynamic_range_db = float(dynamic_range_db)
        self.ceiling: float | None = None

    @property
    def floor(self) -> float:
        return self._checked_ceiling() - self.dynamic_range_db * math.log(10.0) / 20.0

    @property
    def shape(self) -> tuple[int, int]:
        """(n_mels, frames) of one encoded clip."""
        return (self.mel.n_mels, self.mel.n_frames(self.length))

    def _checked_ceiling(self) -> float:
        if self.ceiling is None:
            raise DataError("the MelCodec is not fitted; call fit(waveforms) first")
        return self.ceiling

    def fit(self, wave: Tensor, batch: int = 512) -> MelCodec:
        top = max(
            float(self.mel.log_mel(wave[i : i + batch]).max()) for i in range(0, len(wave), batch)
        )
        self.ceiling = top
        return self

    def encode(self, wave: Tensor, batch: int = 512) -> Tensor:
        """(N, 1, n_mels, frames) in [-1, 1] from waveforms (N, T)."""
        lo, hi = self.floor, self._checked_ceiling()
        parts = [self.mel.log_mel(wave[i : i + batch]) for i in range(0, len(wave), batch)]
        m = torch.cat(parts) if parts else wave.new_zeros((0, *self.shape))
        return ((m - lo) / (hi - lo) * 2.0 - 1.0).clamp(-1.0, 1.0).unsqueeze(1)

    def to_log_mel(self, x: Tensor) -> Tensor:
        """Natural-log mel (N, n_mels, frames) from encoded values (N, 1, n_mels, frames)."""
        lo, hi = self.floor, self._checked_ceiling()
        return (x.squeeze(1).clamp(-1.0, 1.0) + 1.0) / 2.0 * (hi - lo) + lo

    def decode(self, x: Tensor, *, n_iter: int = 64, seed: int | None = 0) -> Tensor:
        """Waveforms (N, length) from encoded values, peak-limited to [-1, 1]."""
        wave = self.mel.inverse_log_mel(self.to_log_mel(x), self.length, n_iter=n_iter, seed=seed)
        peak = wave.abs().amax(dim=1, keepdim=True)
        return wave / torch.clamp(peak / 0.99, min=1.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mel": self.mel.to_dict(),
            "length": self.length,
            "dynamic_range_db": self.dynamic_range_db,
            "ceiling": self.ceiling,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MelCodec:
        codec = cls(MelSpectrogram.from_dict(d["mel"]), d["length"], d["dynamic_range_db"])
        codec.ceiling = None if d.get("ceiling") is None else float(d["ceiling"])
        return codec


def _as_batch(x: Tensor) -> Tensor:
    if x.ndim == 1:
        return x[None]
    if x.ndim != 2:
        raise DataError(f"expected waveforms (N, T) or (T,), got shape {tuple(x.shape)}")
    return x

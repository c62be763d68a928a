"""Restoration metrics, degradations and classical baselines for audio.

Super-resolution: :func:`degrade_lowpass` low-passes and decimates clips (what the model gets);
:func:`upsample_cubic` (cubic spline) and :func:`upsample_sinc` (polyphase windowed sinc) are the
classical ways back. Inpainting: :func:`make_gaps` draws missing stretches; :func:`fill_zeros`,
:func:`fill_linear` and :func:`fill_lpc` (autoregressive extrapolation from both sides with a
cross-fade, the standard packet-loss concealment) fill them. :func:`snr` and :func:`lsd` score a
restoration per clip; :func:`evaluate_restoration` runs a model and every baseline on clean
clips and returns a :class:`~synthset.evaluation.report.Report`.

>>> low = degrade_lowpass(clean, 2)                       # (N, T/2)
>>> snr(clean, upsample_cubic(low, 2)).mean()             # dB
>>> mask = make_gaps(len(clean), clean.shape[1], 16_000, gap_ms=100, seed=0)
>>> lsd(clean, fill_lpc(clean * ~mask, mask), 16_000, mask=mask)

Everything works on whole arrays N×T at once.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from synthset.data.audio import Audio, AudioSpec
from synthset.errors import ConfigError, DataError
from synthset.utils import make_rng

MAX_SNR_DB = 100.0  # an exact restoration scores this instead of infinity
# Signal and error powers are floored at the noise of 16-bit quantisation (a step of 2**-15,
# power step²/12 per sample, about −101 dBFS): what a 16-bit file cannot hold does not count.
# Without it a gap of exact digital silence scores about −300 dB for any fill that is not
# exactly zero, and one such clip moves a mean over hundreds of clips by more than a dB.
SNR_POWER_FLOOR = (2.0**-15) ** 2 / 12.0
POWER_FLOOR = 1e-10  # power spectra are floored here (−100 dB re full scale) before the log
TASKS = ("super_resolution", "inpainting")
LPC_ORDER = 32  # the linear-prediction baseline: AR order ...
LPC_CONTEXT = 1024  # ... and the samples it is fitted on, on each side of a gap
LPC_ORDER_HIGH = 128  # the stronger "lpc128" baseline (``audio_inpaint``'s own pre-fill) ...
LPC_CONTEXT_HIGH = 2048  # ... fitted on 2048 samples each side


# --- scores -------------------------------------------------------------------------------------
def _pair(reference: Any, estimate: Any) -> tuple[np.ndarray, np.ndarray]:
    ref = np.atleast_2d(np.asarray(reference, dtype=np.float64))
    est = np.atleast_2d(np.asarray(estimate, dtype=np.float64))
    if ref.shape != est.shape or ref.ndim != 2:
        raise DataError(
            f"reference and estimate must both be N×T arrays of one shape, got {ref.shape} and "
            f"{est.shape}"
        )
    return ref, est


def _mask2d(mask: Any, shape: tuple[int, ...]) -> np.ndarray:
    m = np.atleast_2d(np.asarray(mask))
    if m.shape != shape or m.dtype != bool:
        raise DataError(f"`mask` must be a bool array of shape {shape}, got {m.dtype} {m.shape}")
    return m


def snr(reference: Any, estimate: Any, mask: Any = None) -> np.ndarray:
    """Signal-to-noise ratio of each clip in dB: 10·log10(Σ ref² / Σ (ref − est)²).

    Args:
        reference: the clean clips N×T (or one clip T).
        estimate: the restored clips, same shape.
        mask: bool N×T; only the True samples count (the gaps, for inpainting). A clip with no
            True sample scores NaN.

    Returns:
        float64 (N,); ``MAX_SNR_DB`` (100) where the estimate is exact. Both powers are
        floored at 16-bit quantisation noise (``SNR_POWER_FLOOR`` per sample), so a region of
        digital silence scores 0 dB when left silent and a bounded negative value otherwise.
    """
    ref, est = _pair(reference, estimate)
    w = np.ones_like(ref) if mask is None else _mask2d(mask, ref.shape).astype(np.float64)
    signal = np.sum(w * ref**2, axis=1)
    noise = np.sum(w * (ref - est) ** 2, axis=1)
    floor = SNR_POWER_FLOOR * w.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 10.0 * np.log10((signal + floor) / (noise + floor))
    out = np.minimum(out, MAX_SNR_DB)
    out[(noise == 0) & (signal > 0)] = MAX_SNR_DB  # exact
    out[(signal == 0) & (noise == 0)] = 0.0  # silence restored as silence: no signal, no error
    out[w.sum(axis=1) == 0] = np.nan
    return out


def _default_n_fft(sample_rate: int) -> int:
    """The power of two nearest 32 ms (512 at 16 kHz, 256 at 8 kHz)."""
    return int(2 ** round(math.log2(0.032 * sample_rate)))


def log_power_spectrogram(
    wave: Any, sample_rate: int, *, n_fft: int | None = None, hop_length: int | None = None
) -> np.ndarray:
    """10·log10 of the Hann-windowed power spectrum, (N, frames, n_fft // 2 + 1), floored at
    −100 dB. Frames start at multiples of ``hop_length`` (default ``n_fft // 4``); a clip shorter
    than one frame is zero-padded to it."""
    x = np.atleast_2d(np.asarray(wave, dtype=np.float32))
    n_fft = n_fft or _default_n_fft(sample_rate)
    hop = hop_length or max(n_fft // 4, 1)
    if x.shape[1] < n_fft:
        x = np.pad(x, ((0, 0), (0, n_fft - x.shape[1])))
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)  # periodic Hann
    out = []
    for k in range(0, len(x), 64):  # bounded: 64 clips per FFT keeps memory small
        frames = np.lib.stride_tricks.sliding_window_view(x[k : k + 64], n_fft, axis=1)[:, ::hop]
        power = np.abs(np.fft.rfft(frames * window, axis=-1)) ** 2
        out.append(10.0 * np.log10(np.maximum(power, POWER_FLOOR)))
    return np.concatenate(out)


def lsd(
    reference: Any,
    estimate: Any,
    sample_rate: int,
    *,
    band: tuple[float, float] | None = None,
    mask: Any = None,
    n_fft: int | None = None,
    hop_length: int | None = None,
) -> np.ndarray:
    """Log-spectral distance of each clip in dB: the mean over frames of the RMS over
    frequency of the difference of the log power spectra (10·log10 |STFT|²).

    Args:
        reference, estimate: clips N×T (or one clip T) at ``sample_rate``.
        band: (low Hz, high Hz): only these frequencies (e.g. the band a super-resolution model
            has to invent); default all.
        mask: bool N×T; only the frames that overlap a True sample count (the gaps); a clip
            without any scores NaN.
        n_fft, hop_length: the STFT (default: ≈32 ms frames, hop a quarter of that).

    Returns:
        float64 (N,); 0 where the estimate equals the reference.
    """
    ref, est = _pair(reference, estimate)
    n_fft = n_fft or _default_n_fft(sample_rate)
    hop = hop_length or max(n_fft // 4, 1)
    diff = log_power_spectrogram(ref, sample_rate, n_fft=n_fft, hop_length=hop)
    diff -= log_power_spectrogram(est, sample_rate, n_fft=n_fft, hop_length=hop)
    if band is not None:
        freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
        keep = (freqs >= band[0]) & (freqs <= band[1])
        if not keep.any():
            raise ConfigError(f"`band` {band} holds no frequency bin at {sample_rate} Hz")
        diff = diff[..., keep]
    per_frame = np.sqrt(np.mean(diff**2, axis=-1))  # (N, frames)
    if mask is None:
        return per_frame.mean(axis=1)
    m = _mask2d(mask, ref.shape)
    if m.shape[1] < n_fft:
        m = np.pad(m, ((0, 0), (0, n_fft - m.shape[1])))
    # frames overlapping the mask: a windowed count of True samples
    counts = np.concatenate([np.zeros((len(m), 1)), np.cumsum(m, axis=1)], axis=1)
    starts = np.arange(per_frame.shape[1]) * hop
    hit = (counts[:, starts + n_fft] - counts[:, starts]) > 0
    with np.errstate(invalid="ignore"):
        return np.where(hit, per_frame, 0.0).sum(axis=1) / hit.sum(axis=1)


def summarize(values: Any) -> dict[str, float]:
    """Mean, std, median, min, max and count of per-clip scores (NaNs left out)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return {"mean": float("nan"), "std": float("nan"), "median": float("nan"), "n": 0}
    return {
        "mean": float(v.mean()),
        "std": float(v.std()),
        "median": float(np.median(v)),
        "min": float(v.min()),
        "max": float(v.max()),
        "n": int(len(v)),
    }


def format_mean_std(values: Any, digits: int = 2) -> str:
    """``"12.34 ± 1.20"`` for per-clip scores."""
    s = summarize(values)
    return f"{s['mean']:.{digits}f} ± {s['std']:.{digits}f}"


# --- super-resolution: degradation and baselines -------------------------------------------------
def _check_factor(factor: Any) -> int:
    if isinstance(factor, bool) or not isinstance(factor, (int, np.integer)) or factor < 2:
        raise ConfigError(f"`factor` must be an int ≥ 2 (2 or 4), got {factor!r}")
    return int(factor)


def degrade_lowpass(wave: Any, factor: int) -> np.ndarray:
    """Low-pass and decimate clips N×T by ``factor`` (scipy ``resample_poly``: a Kaiser-windowed
    sinc anti-aliasing filter, zero delay) → float32 N×ceil(T / factor)."""
    from scipy.signal import resample_poly

    factor = _check_factor(factor)
    x = np.atleast_2d(np.asarray(wave, dtype=np.float32))
    return resample_poly(x, 1, factor, axis=-1).astype(np.float32)


def upsample_cubic(low: Any, factor: int, length: int | None = None) -> np.ndarray:
    """Cubic-spline interpolation of low-rate clips N×t back to ``factor ×`` the rate (one
    not-a-knot spline per clip, fitted for every clip at once) → float32 N×``length``
    (default ``t · factor``). Sample k of the low-rate clip sits at full-rate sample k·factor,
    as :func:`degrade_lowpass` (zero-delay) leaves it."""
    from scipy.interpolate import CubicSpline

    factor = _check_factor(factor)
    y = np.atleast_2d(np.asarray(low, dtype=np.float64))
    length = length or y.shape[1] * factor
    if y.shape[1] < 2:
        return np.repeat(y, factor, axis=1)[:, :length].astype(np.float32)
    spline = CubicSpline(np.arange(y.shape[1]) * factor, y, axis=1)
    return spline(np.arange(length)).astype(np.float32)


def upsample_sinc(low: Any, factor: int, length: int | None = None) -> np.ndarray:
    """Band-limited (polyphase windowed-sinc, scipy ``resample_poly``) interpolation of low-rate
    clips back to ``factor ×`` the rate → float32 N×``length``: the ideal reconstruction of the
    low band, with an empty high band."""
    from scipy.signal import resample_poly

    factor = _check_factor(factor)
    y = np.atleast_2d(np.asarray(low, dtype=np.float32))
    up = resample_poly(y, factor, 1, axis=-1).astype(np.float32)
    length = length or up.shape[1]
    return _fit_length(up, length)


def _fit_length(x: np.ndarray, length: int) -> np.ndarray:
    if x.shape[1] >= length:
        return np.ascontiguousarray(x[:, :length])
    return np.pad(x, ((0, 0), (0, length - x.shape[1])))


# --- inpainting: gaps and baselines -------------------------------------------------------------
def gap_range(gap_ms: Any) -> tuple[float, float]:
    """``gap_ms`` (a number, or a (low, high) pair) as (low, high) milliseconds."""
    if isinstance(gap_ms, (int, float, np.integer, np.floating)) and not isinstance(gap_ms, bool):
        lo = hi = float(gap_ms)
    elif isinstance(gap_ms, (tuple, list)) and len(gap_ms) == 2:
        lo, hi = float(gap_ms[0]), float(gap_ms[1])
    else:
        raise ConfigError(f"`gap_ms` must be a number or a (low, high) pair of ms, got {gap_ms!r}")
    if not 0 < lo <= hi:
        raise ConfigError(f"`gap_ms` must satisfy 0 < low ≤ high, got {gap_ms!r}")
    return lo, hi


def make_gaps(
    n: int,
    length: int,
    sample_rate: int,
    gap_ms: Any = (20.0, 200.0),
    n_gaps: int = 1,
    seed: int | None = None,
) -> np.ndarray:
    """Missing stretches for ``n`` clips of ``length`` samples: bool N×T, True = missing.

    The clip is cut into ``n_gaps`` equal segments and each holds one gap, so gaps never overlap
    and each has context on both sides; a gap lasts a uniform draw from ``gap_ms`` (a number,
    or a (low, high) range in ms) and starts uniformly in the middle three quarters of the room
    its segment leaves.

    Raises:
        DataError: a segment is shorter than the longest gap.
    """
    if n_gaps < 1:
        raise ConfigError(f"`n_gaps` must be an int ≥ 1, got {n_gaps!r}")
    lo, hi = gap_range(gap_ms)
    rng = make_rng(seed)
    seg = length // n_gaps
    lo_n = max(1, round(lo * sample_rate / 1000))
    hi_n = max(lo_n, round(hi * sample_rate / 1000))
    if hi_n >= seg:
        raise DataError(
            f"clips of {length} samples ({1000 * length / sample_rate:.0f} ms) cannot hold "
            f"{n_gaps} gap(s) of up to {hi:g} ms; use shorter gaps or fewer of them"
        )
    gap_len = rng.integers(lo_n, hi_n + 1, size=(n, n_gaps))
    room = seg - gap_len
    offset = room // 8 + np.floor(rng.random((n, n_gaps)) * (room - 2 * (room // 8) + 1))
    start = np.arange(n_gaps) * seg + offset.astype(np.int64)
    t = np.arange(length)
    inside = (t >= start[..., None]) & (t < (start + gap_len)[..., None])  # (N, G, T)
    return inside.any(axis=1)


def _check_mask(wave: np.ndarray, mask: Any) -> np.ndarray:
    return _mask2d(mask, wave.shape)


def fill_zeros(wave: Any, mask: Any) -> np.ndarray:
    """The clips with every missing sample set to zero (silence in the gaps)."""
    x = np.atleast_2d(np.asarray(wave, dtype=np.float32))
    return np.where(_check_mask(x, mask), 0.0, x).astype(np.float32)


def fill_linear(wave: Any, mask: Any) -> np.ndarray:
    """Straight lines across each gap, from the last known sample before it to the first after
    it (a gap at a clip's edge holds its one neighbour; a clip with no known sample is zero)."""
    x = np.atleast_2d(np.asarray(wave, dtype=np.float64))
    m = _check_mask(x, mask)
    n, t = x.shape
    idx = np.broadcast_to(np.arange(t), (n, t))
    prev = np.maximum.accumulate(np.where(m, -1, idx), axis=1)
    nxt = np.minimum.accumulate(np.where(m, t, idx)[:, ::-1], axis=1)[:, ::-1]
    rows = np.arange(n)[:, None]
    xp = np.pad(x, ((0, 0), (0, 1)))  # index t (no known sample after) reads 0
    left = xp[rows, np.maximum(prev, 0)]
    right = xp[rows, np.minimum(nxt, t)]
    has_l, has_r = prev >= 0, nxt < t
    frac = (idx - prev) / np.maximum(nxt - prev, 1)
    both = left + frac * (right - left)
    filled = np.where(has_l & has_r, both, np.where(has_l, left, np.where(has_r, right, 0.0)))
    return np.where(m, filled, x).astype(np.float32)


def find_gaps(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(clip, start, end) of every run of True in a bool N×T mask (end exclusive)."""
    padded = np.pad(mask.astype(np.int8), ((0, 0), (1, 1)))
    d = np.diff(padded, axis=1)
    clip, start = np.nonzero(d == 1)
    clip_e, end = np.nonzero(d == -1)
    order, order_e = np.lexsort((start, clip)), np.lexsort((end, clip_e))
    return clip[order], start[order], end[order_e]


def lpc_coefficients(context: np.ndarray, order: int) -> np.ndarray:
    """Autoregressive coefficients (G, order) of each row of ``context`` (G, C) by the
    autocorrelation method: x[n] ≈ Σ_k a_k x[n − k]. The Toeplitz normal equations of every row
    are solved in one batched call (a silent row gets zeros)."""
    g, c = context.shape
    spec = np.fft.rfft(context, n=2 * c, axis=1)
    r = np.fft.irfft(np.abs(spec) ** 2, n=2 * c, axis=1)[:, : order + 1]
    r[:, 0] *= 1.0 + 1e-6  # white-noise correction: keeps the system well conditioned
    lags = np.abs(np.arange(order)[:, None] - np.arange(order)[None, :])
    R = r[:, lags] + 1e-12 * np.eye(order)  # (G, p, p) Toeplitz
    a = np.linalg.solve(R, r[:, 1 : order + 1, None])[..., 0]
    a[r[:, 0] <= 1e-12] = 0.0
    return a


def _extrapolate(history: np.ndarray, a: np.ndarray, steps: int) -> np.ndarray:
    """Run each AR model ``a`` (G, p) forward ``steps`` samples from ``history`` (G, p), most
    recent last. One vectorised step per sample (bounded by the longest gap)."""
    p = a.shape[1]
    buf = np.concatenate([history, np.zeros((len(history), steps))], axis=1)
    coef = a[:, ::-1]  # aligned with buf[:, n − p : n]
    for n in range(p, p + steps):
        buf[:, n] = np.einsum("gp,gp->g", coef, buf[:, n - p : n])
    return buf[:, p:]


def fill_lpc(
    wave: Any, mask: Any, *, order: int = LPC_ORDER, context: int = LPC_CONTEXT
) -> np.ndarray:
    """Linear-prediction (LPC) concealment of every gap.

    For each gap an order-``order`` autoregressive model is fitted (autocorrelation method) on
    the ``context`` samples before it and, separately, on those after it; the first is run
    forward into the gap, the second backward (time-reversed), and the two are cross-faded with
    a raised-cosine ramp. A gap at a clip's edge uses its one side. The Toeplitz solves are
    batched over every gap of every clip; the extrapolation loops over samples (at most the
    longest gap), vectorised over gaps.
    """
    x = np.atleast_2d(np.asarray(wave, dtype=np.float64))
    m = _check_mask(x, mask)
    if order < 1 or context <= order:
        raise ConfigError(f"need 1 ≤ order < context, got order={order}, context={context}")
    x = np.where(m, 0.0, x)
    clip, start, end = find_gaps(m)
    if len(clip) == 0:
        return x.astype(np.float32)
    n, t = x.shape
    xp = np.pad(x, ((0, 0), (context, context)))  # reads outside the clip give zeros
    k = np.arange(context)
    before = xp[clip[:, None], start[:, None] + k]  # the `context` samples before the gap
    after = xp[clip[:, None], end[:, None] + context + k]  # ... and after it
    a_f = lpc_coefficients(before, order)
    a_b = lpc_coefficients(after[:, ::-1], order)
    length = end - start
    steps = int(length.max())
    fwd = _extrapolate(before[:, -order:], a_f, steps)
    bwd = _extrapolate(after[:, :order][:, ::-1], a_b, steps)  # reversed time
    j = np.arange(steps)
    # bwd[:, i] is the sample i before the gap's end: position (L − 1 − i) in the gap
    pos_b = np.clip(length[:, None] - 1 - j, 0, steps - 1)
    bwd_aligned = np.take_along_axis(bwd, pos_b, axis=1)
    w = 0.5 * (1.0 + np.cos(np.pi * (j + 0.5) / length[:, None]))  # 1 → 0 across the gap
    w = np.where(start[:, None] == 0, 0.0, np.where(end[:, None] == t, 1.0, w))
    fill = w * fwd + (1.0 - w) * bwd_aligned
    valid = j < length[:, None]
    rows = np.broadcast_to(clip[:, None], valid.shape)[valid]
    cols = (start[:, None] + j)[valid]
    out = x.copy()
    out[rows, cols] = fill[valid]
    return np.clip(out, -1.0, 1.0).astype(np.float32)


# --- one evaluation -----------------------------------------------------------------------------
def evaluate_restoration(
    model: Any,
    clean: Audio,
    *,
    task: str | None = None,
    factor: int | None = None,
    gap_ms: Any = 100.0,
    n_gaps: int = 1,
    seed: int = 0,
    n_examples: int = 4,
) -> Any:
    """Degrade clean clips, restore them with ``model`` and with the classical baselines, and
    score every restoration.

    Args:
        model: a fitted ``audio_sr`` / ``audio_inpaint`` (anything with ``transform``).
        clean: clean clips (held out from the model's training data).
        task: ``"super_resolution"`` or ``"inpainting"`` (default: from the model).
        factor: the super-resolution factor (default: the model's).
        gap_ms: gap length for inpainting (a number or a (low, high) range in ms).
        n_gaps: gaps per clip.
        seed: draws the gaps.
        n_examples: clips kept in ``report.audio_examples`` (reference, degraded, baselines,
            the model) for the HTML page.

    Returns:
        A :class:`~synthset.evaluation.report.Report`: ``snr_<model>``, ``snr_<baseline>``,
        ``lsd_<model>``, ``lsd_<baseline>`` … (each with per-clip summaries in ``details``) and
        the model's gains over the baselines (positive = the model is better).
    """
    from synthset.evaluation.base import MetricResult

    if not isinstance(clean, Audio):
        raise DataError(f"`clean` must be Audio, got {type(clean).__name__}")
    name = str(getattr(model, "name", "model"))
    task = task or ("inpainting" if "inpaint" in name else "super_resolution")
    if task not in TASKS:
        raise ConfigError(f"`task` must be one of {TASKS}, got {task!r}")
    ref = clean.waveforms
    sr = clean.sample_rate
    t0 = time.perf_counter()
    meta: dict[str, Any] = {"modality": "audio", "task": task, "clips": len(clean), "seed": seed}
    meta.update({"sample_rate": sr, "seconds_per_clip": clean.spec.duration, "model": name})
    if task == "super_resolution":
        factor = _check_factor(factor if factor is not None else getattr(model, "factor", 2))
        low = degrade_lowpass(ref, factor)
        degraded = Audio(np.clip(low, -1, 1), None, AudioSpec(sr // factor, low.shape[1]))
        t1 = time.perf_counter()
        restored = model.transform(degraded).waveforms
        meta["transform_seconds"] = time.perf_counter() - t1
        outputs = {
            name: restored,
            "cubic": upsample_cubic(low, factor, ref.shape[1]),
            "sinc": upsample_sinc(low, factor, ref.shape[1]),
        }
        baselines, headline = ["cubic", "sinc"], "cubic"
        high = (sr / (2 * factor), sr / 2)
        snrs = {k: snr(ref, v) for k, v in outputs.items()}
        lsds = {k: lsd(ref, v, sr) for k, v in outputs.items()}
        lsd_high = {k: lsd(ref, v, sr, band=high) for k, v in outputs.items()}
        meta.update({"factor": factor, "high_band_hz": list(high)})
        examples_degraded = outputs["sinc"]
    else:
        mask = make_gaps(len(ref), ref.shape[1], sr, gap_ms, n_gaps, seed)
        zeroed = fill_zeros(ref, mask)
        degraded = Audio(zeroed, None, clean.spec)
        t1 = time.perf_counter()
        restored = model.transform(degraded, mask).waveforms
        meta["transform_seconds"] = time.perf_counter() - t1
        outputs = {
            name: restored,
            "zeros": zeroed,
            "linear": fill_linear(zeroed, mask),
            "lpc": fill_lpc(zeroed, mask),
            "lpc128": fill_lpc(zeroed, mask, order=LPC_ORDER_HIGH, context=LPC_CONTEXT_HIGH),
        }
        baselines, headline = ["zeros", "linear", "lpc", "lpc128"], "lpc"
        snrs = {k: snr(ref, v, mask) for k, v in outputs.items()}
        lsds = {k: lsd(ref, v, sr, mask=mask) for k, v in outputs.items()}
        lsd_high = {}
        lo, hi = gap_range(gap_ms)
        meta.update({"gap_ms": [lo, hi], "n_gaps": n_gaps})
        meta["missing_fraction"] = float(mask.mean())
        examples_degraded = zeroed

    metrics: list[MetricResult] = []
    what = {"snr": "signal-to-noise ratio (dB)", "lsd": "log-spectral distance (dB)"}
    where = " in the gaps" if task == "inpainting" else ""
    for kind, table in (("snr", snrs), ("lsd", lsds), ("lsd_high", lsd_high)):
        for k, v in table.items():
            label = what["lsd" if kind == "lsd_high" else kind]
            band = " of the high band" if kind == "lsd_high" else where
            metrics.append(
                MetricResult(
                    f"{kind}_{k}",
                    "fidelity",
                    summarize(v)["mean"],
                    higher_is_better=kind == "snr",
                    details={**summarize(v), "per_clip": np.round(v, 3).tolist(), "method": k},
                    bounds=None,
                    description=f"{label}{band} of {k} against the clean clips",
                )
            )
    s = {k: summarize(v)["mean"] for k, v in snrs.items()}
    d = {k: summarize(v)["mean"] for k, v in lsds.items()}
    best_snr = max(baselines, key=lambda b: s[b])
    best_lsd = min(baselines, key=lambda b: d[b])
    gains = [
        (f"snr_gain_vs_{headline}", s[name] - s[headline], True, headline, "SNR"),
        (f"lsd_gain_vs_{headline}", d[headline] - d[name], True, headline, "LSD"),
        ("snr_gain_vs_best_baseline", s[name] - s[best_snr], True, best_snr, "SNR"),
        ("lsd_gain_vs_best_baseline", d[best_lsd] - d[name], True, best_lsd, "LSD"),
    ]
    for metric, value, hib, base, label in gains:
        metrics.append(
            MetricResult(
                metric,
                "fidelity",
                float(value),
                higher_is_better=hib,
                details={"baseline": base, "model": name},
                bounds=None,
                description=f"{label} improvement (dB) of {name} over {base}; > 0: the model wins",
            )
        )
    meta["seconds"] = time.perf_counter() - t0
    k = min(n_examples, len(ref))
    examples = {
        "reference": clean[:k],
        "degraded": Audio(
            np.clip(examples_degraded[:k], -1, 1).astype(np.float32), None, clean.spec
        ),
    }
    for b in baselines:
        if b not in ("zeros", "sinc"):  # the degraded clip shows those already
            examples[b] = Audio(np.clip(outputs[b][:k], -1, 1), None, clean.spec)
    examples[name] = Audio(np.clip(outputs[name][:k], -1, 1).astype(np.float32), None, clean.spec)
    return _make_report(metrics, meta, examples)


def _make_report(metrics: list[Any], meta: dict[str, Any], examples: dict[str, Audio]) -> Any:
    import dataclasses

    from synthset.evaluation.report import Report

    names = {f.name for f in dataclasses.fields(Report)}
    if "audio_examples" in names:
        return Report(metrics=metrics, meta=meta, audio_examples=examples)
    report = Report(metrics=metrics, meta=meta)
    report.audio_examples = examples  # type: ignore[attr-defined]  (until Report has the field)
    return report

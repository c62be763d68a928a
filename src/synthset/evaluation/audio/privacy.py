"""Privacy metrics for audio: does the synthesizer hand back the clips it was trained on?

Two searches, both against the real (training) clips:

* **embedding**: every synthetic clip's two nearest training clips in the standardised
  ``stats`` embedding (per-band log-mel mean and spread: blind to time shifts and phase), for
  the distance to the closest record (DCR) and the nearest-neighbour distance ratio (NNDR,
  nearest over second nearest: near 0 when a clip sits on top of one training clip).
* **waveform**: exact copies (sample for sample, hashed and confirmed over *every* clip), and
  near copies: a synthetic clip whose normalised cross-correlation with one of its
  ``N_CANDIDATES`` nearest training clips (embedding) reaches ``NEAR_COPY_CORRELATION`` at some
  lag within ±``MAX_LAG_SHARE`` of the clip length, which catches shifted, rescaled, polarity-
  flipped or lightly noised copies (white noise at 10 dB SNR still correlates at 0.95).

Holdout clips (real clips the synthesizer never saw), searched the same way, are the baseline.

=========================  ==============================================  ====================
metric                     value                                           pass / warn
=========================  ==============================================  ====================
``audio_dcr``              median DCR of synthetic clips over that of      ≥ 0.8 / ≥ 0.5
                           holdout clips; needs a holdout (details: NNDR,
                           share closer than 95% of holdout clips, copies)
``audio_copies``           share of synthetic clips that are exact or      ≤ b + 0.01 / ≤ b +
                           near copies of a training clip                  0.05 (b: holdout's)
=========================  ==============================================  ====================
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from synthset.evaluation.audio.context import AudioEvalContext
from synthset.evaluation.base import MetricResult, register_metric
from synthset.evaluation.images import metrics as M

FAMILY = "privacy"
EMBEDDING = "stats"
N_CANDIDATES = 4  # nearest training clips (embedding) whose waveforms are cross-correlated
NEAR_COPY_CORRELATION = 0.95
MAX_LAG_SHARE = 0.25
FFT_BLOCK_VALUES = 2**24  # pairs per FFT block × FFT size stays below this
QUERY_BLOCK = 1_024
N_PAIRS = 8
PERCENTILES = (5, 25, 50)
HISTOGRAM_BINS = 40


def nearest_candidates(query: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distances (n, k) and indices (n, k) of every query row's k = min(N_CANDIDATES, m)
    nearest reference rows (Euclidean, in blocks)."""
    q_all = torch.from_numpy(np.ascontiguousarray(query, dtype=np.float32))
    r = torch.from_numpy(np.ascontiguousarray(reference, dtype=np.float32))
    k = min(N_CANDIDATES, len(r))
    dists, idx = [], []
    with torch.no_grad():
        for i in range(0, len(q_all), QUERY_BLOCK):
            d = torch.cdist(q_all[i : i + QUERY_BLOCK].double(), r.double())
            v, j = torch.topk(d, k, dim=1, largest=False)
            dists.append(v)
            idx.append(j)
    return torch.cat(dists).numpy(), torch.cat(idx).numpy()


def max_correlation(a: np.ndarray, b: np.ndarray, max_lag: int) -> np.ndarray:
    """Peak |normalised cross-correlation| of every row pair ``(a[i], b[i])`` over lags within
    ±``max_lag`` samples (FFT-based, in blocks of pairs; 0 for a silent clip)."""
    n_pairs, t = a.shape
    n_fft = 1 << int(np.ceil(np.log2(2 * t)))
    block = max(1, FFT_BLOCK_VALUES // n_fft)
    lags = np.r_[0 : max_lag + 1, n_fft - max_lag : n_fft] if max_lag else np.array([0])
    lag_idx = torch.from_numpy(lags)
    out = np.zeros(n_pairs)
    with torch.no_grad():
        for i in range(0, n_pairs, block):
            x = torch.from_numpy(np.ascontiguousarray(a[i : i + block])).double()
            y = torch.from_numpy(np.ascontiguousarray(b[i : i + block])).double()
            cc = torch.fft.irfft(torch.fft.rfft(x, n_fft) * torch.fft.rfft(y, n_fft).conj(), n_fft)[
                :, lag_idx
            ]
            norm = x.norm(dim=1) * y.norm(dim=1)
            peak = cc.abs().amax(1) / norm.clamp_min(1e-12)
            out[i : i + len(x)] = torch.where(norm > 1e-9, peak, torch.zeros_like(peak)).numpy()
    return np.minimum(out, 1.0)


def _search(ctx: AudioEvalContext, which: str) -> dict[str, Any]:
    """Nearest training clips of the subsample of ``which`` and its copy checks (cached)."""
    key = ("audio_memorisation", which)
    if key in ctx._cache:
        return ctx._cache[key]
    real_pos = ctx.positions("real")
    d, idx = nearest_candidates(ctx.features(EMBEDDING, which), ctx.features(EMBEDDING, "real"))
    query = ctx.sample(which).waveforms
    train = ctx.real.waveforms
    t = train.shape[1]
    k = idx.shape[1]
    corr = max_correlation(
        np.repeat(query, k, axis=0),
        train[real_pos[idx.reshape(-1)]],
        int(MAX_LAG_SHARE * t),
    ).reshape(len(query), k)
    exact = M.exact_copies(ctx.audio(which).waveforms, train)  # every clip, not a subsample
    best = corr.argmax(1)
    out = {
        "dcr": d[:, 0],
        "nndr": d[:, 0] / np.maximum(d[:, 1], 1e-12) if k > 1 else np.ones(len(d)),
        "nearest": real_pos[idx[:, 0]],
        "correlation": corr[np.arange(len(corr)), best],
        "correlated_with": real_pos[idx[np.arange(len(idx)), best]],
        "exact": exact,
        "positions": ctx.positions(which),
    }
    ctx._cache[key] = out
    return out


def _copies(found: dict[str, Any]) -> dict[str, Any]:
    """Exact and near-copy counts of one search (exact over every clip, near over the
    subsample; a clip is counted once)."""
    near = found["correlation"] >= NEAR_COPY_CORRELATION
    exact_sub = found["exact"][found["positions"]] >= 0
    n_exact = int((found["exact"] >= 0).sum())
    n_near = int((near & ~exact_sub).sum())
    share_near = float(np.mean(near | exact_sub))
    share = max(share_near, n_exact / len(found["exact"]))
    return {"exact": n_exact, "near": n_near, "share": share}


def _percentiles(x: np.ndarray) -> dict[str, float]:
    return {f"p{p}": float(np.percentile(x, p)) for p in PERCENTILES}


def _pairs(found: dict[str, Any]) -> list[dict[str, Any]]:
    order = np.argsort(-found["correlation"], kind="stable")[:N_PAIRS]
    return [
        {
            "synthetic": int(found["positions"][i]),
            "real": int(found["correlated_with"][i]),
            "correlation": float(found["correlation"][i]),
        }
        for i in order
    ]


@register_metric("audio_dcr", FAMILY, pass_at=0.8, warn_at=0.5, modality="audio")
def audio_dcr(ctx: AudioEvalContext) -> MetricResult:
    """Median distance of synthetic clips to their nearest training clip (standardised
    spectral-statistics embedding) over that of holdout clips.

    About 1: synthetic clips sit as far from the training clips as unseen real clips; well
    below 1: closer (memorised). Thresholds: pass ≥ 0.8, warn ≥ 0.5. Needs a holdout (else
    not computed). Details: NNDR, the share closer than 95% of holdout clips, copy counts.
    """
    if ctx.holdout is None:
        return MetricResult(
            "audio_dcr",
            FAMILY,
            float("nan"),
            True,
            details={"error": "needs a holdout (real clips the synthesizer never saw)"},
            bounds=None,
        )
    syn, hold = _search(ctx, "synthetic"), _search(ctx, "holdout")
    med_hold = float(np.median(hold["dcr"]))
    value = float(np.median(syn["dcr"])) / med_hold if med_hold > 0 else float("nan")
    cut = float(np.percentile(hold["dcr"], 5))
    top = float(np.percentile(np.concatenate([syn["dcr"], hold["dcr"]]), 99)) or 1.0
    edges = np.linspace(0.0, top, HISTOGRAM_BINS + 1)
    details: dict[str, Any] = {
        "embedding": "spectral statistics (standardised by the real clips)",
        "synthetic": _percentiles(syn["dcr"]),
        "holdout": _percentiles(hold["dcr"]),
        "nndr": {
            "synthetic_median": float(np.median(syn["nndr"])),
            "holdout_median": float(np.median(hold["nndr"])),
        },
        "closer_than_holdout_p5": float(np.mean(syn["dcr"] <= cut)),
        "copies": {"synthetic": _copies(syn), "holdout": _copies(hold)},
        "histogram": {
            "bins": edges,
            "synthetic": np.histogram(np.minimum(syn["dcr"], top), edges)[0],
            "holdout": np.histogram(np.minimum(hold["dcr"], top), edges)[0],
        },
        "clips": ctx.used("real", "synthetic", "holdout"),
    }
    if med_hold <= 0:
        details["error"] = "the median holdout distance to the training clips is 0"
    return MetricResult(
        "audio_dcr",
        FAMILY,
        value,
        True,
        details=details,
        bounds=None,
        description="Median distance from a synthetic clip to its nearest training clip, "
        "relative to that of unseen holdout clips (1 = as far as new real clips; below 1 = "
        "closer).",
    )


@register_metric("audio_copies", FAMILY, pass_at=0.01, warn_at=0.05, modality="audio")
def audio_copies(ctx: AudioEvalContext) -> MetricResult:
    """Share of synthetic clips that copy a training clip: exactly (every clip), or nearly
    (waveform cross-correlation ≥ ``NEAR_COPY_CORRELATION`` with a nearby training clip).

    With a holdout, its share ``b`` is the baseline (datasets hold duplicates) and the
    thresholds are pass ≤ b + 0.01, warn ≤ b + 0.05; without, 0.01 / 0.05.
    """
    syn = _search(ctx, "synthetic")
    counts = _copies(syn)
    details: dict[str, Any] = {
        "exact_count": counts["exact"],
        "near_count": counts["near"],
        "near_copy_correlation": NEAR_COPY_CORRELATION,
        "max_lag_seconds": MAX_LAG_SHARE * ctx.real.spec.duration,
        "correlation": _percentiles(syn["correlation"]) | {"max": float(syn["correlation"].max())},
        "copied_pairs": _pairs(syn),
        "holdout_share": None,
        "clips": ctx.used("real", "synthetic", "holdout"),
    }
    result = MetricResult(
        "audio_copies",
        FAMILY,
        counts["share"],
        False,
        details=details,
        description="Share of synthetic clips that copy a training clip, exactly or up to a "
        "shift, gain or light noise (waveform correlation ≥ "
        f"{NEAR_COPY_CORRELATION}).",
    )
    if ctx.holdout is not None:
        base = _copies(_search(ctx, "holdout"))["share"]
        details["holdout_share"] = base
        result.thresholds = {"pass": base + 0.01, "warn": base + 0.05}
    return result

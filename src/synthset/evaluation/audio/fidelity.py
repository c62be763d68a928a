"""Fidelity metrics for audio: do the synthetic clips sound (spectrally) like the real ones?

=========================  ==============================================  ======================
metric                     what it measures                                pass / warn
=========================  ==============================================  ======================
``frechet_audio_stats``    Fréchet distance of the spectral-statistics     ≤ 2× / ≤ 5× baseline
                           embeddings (standardised by the real clips)
``frechet_audio_domain``   the same on the domain-classifier embedding     ≤ 2× / ≤ 5× baseline
``precision_audio``        share of synthetic clips on the real manifold   ≥ 0.8 / ≥ 0.6
``recall_audio``           share of real clips on the synthetic manifold   ≥ 0.7 / ≥ 0.5
``coverage_audio``         share of real neighbourhoods with a synthetic   ≥ 0.8 / ≥ 0.6
                           clip (domain embedding)
``lsd_mean_spectrum``      log-spectral distance (dB) of the class-mean    ≤ max(3, 1.5·b) /
                           power spectra, averaged over classes            ≤ max(6, 2.5·b) dB
``audio_class_balance``    1 − total variation of the class shares         ≥ 0.9 / ≥ 0.75
``loudness_distance``      Wasserstein distance of the clips' RMS levels   ≤ 3 / ≤ 6 dB
                           (dBFS)
=========================  ==============================================  ======================

The Fréchet distances are judged against a *baseline* measured in the same run, as the image
FID is: the distance between two disjoint sets of real clips (real vs holdout, or two halves of
the real clips). Its absolute scale depends on the embedding, the dataset and the number of
clips; synthetic clips within twice the baseline are about as close to the real ones as fresh
real clips are. Precision / recall / coverage (Naeem et al. 2020, k = 5) use the domain
embedding (the spectral statistics when the clips are unlabelled), with the image metrics'
thresholds, which sit below what real clips score against real clips.

The log-spectral distance ``sqrt(mean_f (10·log10 P_real(f) − 10·log10 P_syn(f))²)`` compares
the mean power spectrum (every frame of every clip of a class) of real and synthetic clips,
class by class, so a generator that gets each class's timbre and bandwidth right scores near 0
dB whatever the words; classes without synthetic clips are left out (and listed). Its baseline
``b`` is the same distance between the real and the holdout clips (or two real halves), which
grows when there are few clips per class, hence the thresholds ``max(3, 1.5b)`` /
``max(6, 2.5b)``. Two halves make a more lenient baseline than a holdout: on 16 clips of two
classes (4 per class and half) it reaches 6 dB where a holdout of 16 gives 2 dB, so clips of
entirely different bands (10 dB) only warn; give a holdout. From ~32 clips both baselines agree
(2-3 dB). A uniform 3 dB gain error alone gives an LSD of 3 dB.

Measured on ``spoken_digits`` (250 training clips against 250 others, 200 held-out voices as
the holdout; baselines in brackets): the other real clips score Fréchet 6.1 (10.0) on the
statistics and 2.6 (2.4) on the domain embedding, coverage 0.95, LSD 2.4 dB (2.7), CAS ratio
0.99; the same clips resynthesised from their log-mel by Griffin-Lim 9.9, 2.6, 0.95, 3.6 dB,
0.99 (all pass); white noise 392, 121, coverage 0.004, LSD 9.0 dB, CAS ratio 0.15 (all fail,
loudness 5.9 dB warns). Noise that collapses into one spot of the embedding can still score a
precision of 1 (inside some real neighbourhood): read precision with recall and coverage.

The loudness distance is the 1-Wasserstein distance between the distributions of per-clip RMS
levels in dBFS (silent clips count as −100 dB): a generator that is 3 dB too quiet on every clip
scores 3.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from synthset.data.audio import rms_dbfs
from synthset.errors import DataError, SynthsetError
from synthset.evaluation.audio.context import EMBEDDING_TITLES, EMBEDDINGS, AudioEvalContext
from synthset.evaluation.audio.features import mean_power_spectrum, power_db
from synthset.evaluation.base import MetricResult, register_metric
from synthset.evaluation.images import metrics as M
from synthset.utils import derive_seed

FAMILY = "fidelity"
K = 5
FD_PASS_RATIO = 2.0
FD_WARN_RATIO = 5.0
PRDC_EMBEDDING = "domain"
PRDC_THRESHOLDS = {"precision": (0.8, 0.6), "recall": (0.7, 0.5), "coverage": (0.8, 0.6)}
LSD_PASS_DB, LSD_WARN_DB = 3.0, 6.0
LSD_PASS_RATIO, LSD_WARN_RATIO = 1.5, 2.5
SILENCE_DBFS = -100.0
SPECTRUM_POINTS = 96  # points of each class-mean spectrum kept in the details for the plot
LOUDNESS_BINS = 30
_PRDC_TEXT = {
    "precision": "Share of synthetic clips that fall in the neighbourhood of some real clip "
    "({emb}); low means unrealistic clips.",
    "recall": "Share of real clips that fall in the neighbourhood of some synthetic clip ({emb}); "
    "low means missing variety.",
    "coverage": "Share of real clips whose neighbourhood holds a synthetic clip ({emb}); low "
    "means parts of the real data are not produced.",
}


def _baseline(ctx: AudioEvalContext, emb: str, fn: Callable) -> tuple[Any, str]:
    """``fn(a, b)`` on the two real embedding sets of the baseline, and where they come from;
    ``(None, why)`` when there are too few real clips for it."""
    try:
        a, b, source = ctx.baseline_features(emb)
        return fn(a, b), source
    except DataError as exc:
        return None, f"no baseline: {exc}"


def _frechet(ctx: AudioEvalContext, emb: str) -> MetricResult:
    value = M.fid(ctx.features(emb, "real"), ctx.features(emb, "synthetic"))
    baseline, source = _baseline(ctx, emb, M.fid)
    details = {
        **ctx.embedding_info(emb),
        "baseline": baseline,
        "baseline_source": source,
        "ratio_to_baseline": value / baseline if baseline else None,
        "clips": ctx.used("real", "synthetic", "holdout"),
    }
    seen = "" if baseline is None else f"; unseen real clips score {baseline:.3g} here"
    result = MetricResult(
        f"frechet_audio_{emb}",
        FAMILY,
        value,
        False,
        details=details,
        bounds=None,
        description=f"Fréchet distance between the real and synthetic clips' "
        f"{EMBEDDING_TITLES[emb]} (0 = same mean and covariance){seen}.",
    )
    if baseline:
        result.thresholds = {"pass": FD_PASS_RATIO * baseline, "warn": FD_WARN_RATIO * baseline}
    return result


def _prdc(ctx: AudioEvalContext) -> tuple[dict[str, float], dict | None, str]:
    key = ("prdc", PRDC_EMBEDDING)
    if key not in ctx._cache:
        emb = PRDC_EMBEDDING
        syn = M.prdc(ctx.features(emb, "real"), ctx.features(emb, "synthetic"), k=K)
        base, source = _baseline(ctx, emb, partial(M.prdc, k=K))
        ctx._cache[key] = (syn, base, source)
    return ctx._cache[key]


def _prdc_metric(ctx: AudioEvalContext, which: str) -> MetricResult:
    syn, base, source = _prdc(ctx)
    return MetricResult(
        f"{which}_audio",
        FAMILY,
        syn[which],
        True,
        details={
            **ctx.embedding_info(PRDC_EMBEDDING),
            "k": K,
            "prdc": syn,
            "baseline": base,
            "baseline_source": source,
            "clips": ctx.used("real", "synthetic", "holdout"),
        },
        description=_PRDC_TEXT[which].format(emb=EMBEDDING_TITLES[PRDC_EMBEDDING]),
    )


def class_lsd(
    ctx: AudioEvalContext, a: Any, b: Any
) -> tuple[float, dict[str, float], list[str], dict[str, np.ndarray]]:
    """Log-spectral distance (dB) between the class-mean power spectra of clip sets ``a`` and
    ``b`` (one group when unlabelled), averaged over the classes both hold.

    Returns:
        ``(mean LSD, {class: LSD}, classes missing from b, spectra)`` with ``spectra`` holding
        ``"a"`` and ``"b"`` (groups, bins) in dB and the group ``"names"``.
    """
    labelled = a.labels is not None and b.labels is not None and ctx.real.spec.n_classes >= 1
    n_groups = ctx.real.spec.n_classes if labelled else 1
    names = list(ctx.real.spec.classes) if labelled else ["all clips"]
    groups_a = a.labels if labelled else np.zeros(len(a), np.int64)
    groups_b = b.labels if labelled else np.zeros(len(b), np.int64)
    pa, ca = mean_power_spectrum(a.waveforms, groups_a, n_groups, ctx.mel, ctx.device)
    pb, cb = mean_power_spectrum(b.waveforms, groups_b, n_groups, ctx.mel, ctx.device)
    da, db = power_db(pa), power_db(pb)
    both = (ca > 0) & (cb > 0)
    if not both.any():
        raise DataError("no class has both real and synthetic clips, so no spectrum compares")
    lsd = np.sqrt(np.mean((da - db) ** 2, axis=1))
    per_class = {names[g]: float(lsd[g]) for g in np.flatnonzero(both)}
    missing = [names[g] for g in np.flatnonzero((ca > 0) & (cb == 0))]
    return float(lsd[both].mean()), per_class, missing, {"a": da, "b": db, "names": names}


def _lsd(ctx: AudioEvalContext) -> MetricResult:
    real, syn = ctx.sample("real"), ctx.sample("synthetic")
    value, per_class, missing, spectra = class_lsd(ctx, real, syn)
    if ctx.holdout is not None:
        base_source = "real vs holdout"
        try:
            baseline = class_lsd(ctx, real, ctx.sample("holdout"))[0]
        except DataError:
            baseline = None
    else:
        base_source = "real half vs real half"
        rng = np.random.default_rng(derive_seed(ctx.seed, 60))
        perm = rng.permutation(len(real))
        half = len(real) // 2
        try:
            baseline = class_lsd(ctx, real[perm[:half]], real[perm[half:]])[0] if half else None
        except DataError:
            baseline = None
    # the spectra, thinned to SPECTRUM_POINTS frequencies, for the report's plot
    n_bins = spectra["a"].shape[1]
    pick = np.unique(np.linspace(0, n_bins - 1, min(SPECTRUM_POINTS, n_bins)).round().astype(int))
    freqs = pick * (ctx.real.spec.sample_rate / ctx.mel.n_fft)
    names = spectra["names"]
    shown = [g for g, n in enumerate(names) if n in per_class][:12]
    details: dict[str, Any] = {
        "unit": "dB",
        "per_class": per_class,
        "classes_missing": missing,
        "baseline": baseline,
        "baseline_source": base_source,
        "n_fft": ctx.mel.n_fft,
        "clips": ctx.used("real", "synthetic", "holdout"),
        "spectra": {
            "frequency_hz": freqs,
            "classes": [names[g] for g in shown],
            "real_db": spectra["a"][shown][:, pick],
            "synthetic_db": spectra["b"][shown][:, pick],
        },
    }
    result = MetricResult(
        "lsd_mean_spectrum",
        FAMILY,
        value,
        False,
        details=details,
        bounds=None,
        description="Log-spectral distance (dB) between the real and synthetic clips' mean power "
        "spectra, class by class (0 = same average timbre)"
        + ("" if baseline is None else f"; unseen real clips score {baseline:.2f} dB here")
        + ".",
    )
    b = baseline or 0.0
    result.thresholds = {
        "pass": max(LSD_PASS_DB, LSD_PASS_RATIO * b),
        "warn": max(LSD_WARN_DB, LSD_WARN_RATIO * b),
    }
    return result


def _class_balance(ctx: AudioEvalContext) -> MetricResult | None:
    if not ctx.labelled:
        return MetricResult(
            "audio_class_balance",
            FAMILY,
            float("nan"),
            True,
            details={"error": "needs labelled real and synthetic clips"},
        )
    real = np.asarray(list(ctx.real.class_counts().values()), float)
    syn = np.asarray(list(ctx.synthetic.class_counts().values()), float)
    real, syn = real / real.sum(), syn / syn.sum()
    return MetricResult(
        "audio_class_balance",
        FAMILY,
        float(1.0 - 0.5 * np.abs(real - syn).sum()),
        True,
        details={
            "real_share": dict(zip(ctx.real.spec.classes, real.tolist(), strict=True)),
            "synthetic_share": dict(zip(ctx.real.spec.classes, syn.tolist(), strict=True)),
        },
        description="How alike the class shares of the real and synthetic clips are "
        "(1 − total variation distance).",
    )


def _levels(audio: Any) -> np.ndarray:
    return np.maximum(rms_dbfs(audio.waveforms), SILENCE_DBFS)


def _loudness(ctx: AudioEvalContext) -> MetricResult:
    from scipy.stats import wasserstein_distance

    real, syn = _levels(ctx.real), _levels(ctx.synthetic)
    value = float(wasserstein_distance(real, syn))
    pooled = np.concatenate([real, syn])
    lo, hi = np.percentile(pooled, [1, 99])
    if hi - lo < 1.0:
        lo, hi = lo - 1.0, hi + 1.0
    edges = np.linspace(lo, hi, LOUDNESS_BINS + 1)
    hist = {
        "bins": edges,
        "real": np.histogram(np.clip(real, lo, hi), edges)[0],
        "synthetic": np.histogram(np.clip(syn, lo, hi), edges)[0],
    }
    details: dict[str, Any] = {
        "unit": "dB",
        "real_dbfs": {"mean": float(real.mean()), "std": float(real.std())},
        "synthetic_dbfs": {"mean": float(syn.mean()), "std": float(syn.std())},
        "mean_difference_db": float(syn.mean() - real.mean()),
        "baseline": None,
        "histogram": hist,
    }
    if ctx.holdout is not None:
        details["baseline"] = float(wasserstein_distance(real, _levels(ctx.holdout)))
    return MetricResult(
        "loudness_distance",
        FAMILY,
        value,
        False,
        details=details,
        bounds=None,
        description="Wasserstein distance (dB) between the real and synthetic clips' RMS "
        "levels in dBFS (0 = same loudness distribution).",
    )


def _guarded(fn: Callable, name: str, higher_is_better: bool) -> Callable:
    """``fn`` returning a not-computed result with the reason when the clips do not allow it
    (too few of them for k nearest neighbours, say), so the rest of the report stays."""

    def metric(ctx: AudioEvalContext) -> MetricResult | None:
        try:
            return fn(ctx)
        except SynthsetError as exc:
            return MetricResult(
                name, FAMILY, float("nan"), higher_is_better, details={"error": str(exc)}
            )

    metric.__name__ = metric.__qualname__ = name
    metric.__doc__ = f"``{name}``: see :mod:`synthset.evaluation.audio.fidelity`."
    return metric


for _name, _fn, _hib, _pass, _warn in [
    *[(f"frechet_audio_{e}", partial(_frechet, emb=e), False, None, None) for e in EMBEDDINGS],
    *[
        (f"{w}_audio", partial(_prdc_metric, which=w), True, p, wa)
        for w, (p, wa) in PRDC_THRESHOLDS.items()
    ],
    ("lsd_mean_spectrum", _lsd, False, None, None),
    ("audio_class_balance", _class_balance, True, 0.9, 0.75),
    ("loudness_distance", _loudness, False, 3.0, 6.0),
]:
    register_metric(_name, FAMILY, pass_at=_pass, warn_at=_warn, modality="audio")(
        _guarded(_fn, _name, _hib)
    )

"""Utility metrics for audio: does a classifier trained on the synthetic clips work on real ones?

The log-mel CNN of :mod:`~synthset.evaluation.audio.classifier` is trained, for each of
``N_SEEDS`` seeds (``ctx.seed``, +1, +2), three times: on the real training clips, on the
labelled synthetic clips, and on the real clips plus ``min(real, synthetic)`` synthetic clips
(a fresh seeded draw per seed). All three are tested on real clips the synthesizer never saw:
the holdout when one is given (labelled); otherwise a seeded, stratified 25% of the real clips,
the real arms training on the other 75% (the synthesizer saw those test clips, so the synthetic
score is optimistic then; ``details["test"]`` says which). The real arm is shared by CAS and
the augmentation gain, so the whole family costs 3 × ``N_SEEDS`` small fits. Every set is
capped at ``ctx.max_clips`` clips; the details give mean, standard deviation and every seed's
accuracy.

=============================  ===========================================  =================
metric                         value                                        pass / warn
=============================  ===========================================  =================
``cas_audio``                  real-test accuracy of the CNN trained on     none (read it with
                               synthetic clips (classification accuracy     its ``trtr``)
                               score)
``cas_ratio_audio``            ``cas_audio`` over the real-trained CNN's    ≥ 0.9 / ≥ 0.75
                               accuracy
``augmentation_gain_audio``    accuracy of real + synthetic minus real      ≥ 0 / ≥ −0.02
                               alone, mean over seeds
=============================  ===========================================  =================

Each returns a not-computed result (NaN, with the reason) when the real or the synthetic clips
have no labels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from synthset.errors import SynthsetError
from synthset.evaluation.audio.classifier import (
    AudioClassifierConfig,
    accuracy,
    train_audio_classifier,
)
from synthset.evaluation.audio.context import AudioEvalContext
from synthset.evaluation.audio.features import log_mel
from synthset.evaluation.base import MetricResult, register_metric
from synthset.utils import derive_seed

FAMILY = "utility"
N_SEEDS = 3
TEST_SHARE = 0.25
CLASSIFIER = AudioClassifierConfig()
NO_LABELS = "needs labelled real and synthetic clips (with at least 2 real classes)"
_TEST_SOURCES = {True: "holdout", False: "real split (optimistic: the synthesizer saw these clips)"}


def _cap(n: int, cap: int, seed: int | None) -> np.ndarray:
    """Sorted positions of a seeded subsample of at most ``cap`` of ``n``."""
    if n <= cap:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, cap, replace=False))


def _stats(values: list[float]) -> dict[str, Any]:
    v = np.asarray(values, dtype=float)
    return {"mean": float(v.mean()), "std": float(v.std()), "values": v.tolist()}


def _runs(ctx: AudioEvalContext) -> dict[str, Any] | None:
    """Accuracies of the real, synthetic and real + synthetic arms on the real test clips, per
    seed (cached; None without labels)."""
    if "audio_utility" in ctx._cache:
        return ctx._cache["audio_utility"]
    if not ctx.labelled:
        ctx._cache["audio_utility"] = None
        return None
    real, syn = ctx.real, ctx.synthetic
    has_holdout = ctx.holdout is not None and ctx.holdout.labels is not None
    if has_holdout:
        train_real, test = real, ctx.holdout
    else:
        train_real, test = real.split(1.0 - TEST_SHARE, seed=derive_seed(ctx.seed, 21))
    test = test[_cap(len(test), ctx.max_clips, derive_seed(ctx.seed, 22))]
    train_real = train_real[_cap(len(train_real), ctx.max_clips, derive_seed(ctx.seed, 23))]
    syn = syn[_cap(len(syn), ctx.max_clips, derive_seed(ctx.seed, 24))]
    spec = {w: log_mel(a.waveforms, ctx.mel, ctx.device) for w, a in
            (("real", train_real), ("synthetic", syn), ("test", test))}  # fmt: skip
    n_classes = real.spec.n_classes
    k = min(len(train_real), len(syn))
    acc: dict[str, list[float]] = {"real": [], "synthetic": [], "real+synthetic": []}
    seeds = [ctx.seed + i for i in range(N_SEEDS)]
    for run_seed in seeds:
        seed = derive_seed(run_seed, 30)
        pick = np.sort(np.random.default_rng(derive_seed(seed, 3)).choice(len(syn), k, False))
        arms = {
            "real": (spec["real"], train_real.labels),
            "synthetic": (spec["synthetic"], syn.labels),
            "real+synthetic": (
                torch.cat([spec["real"], spec["synthetic"][torch.from_numpy(pick)]]),
                np.concatenate([train_real.labels, syn.labels[pick]]),
            ),
        }
        for name, (x, y) in arms.items():
            model = train_audio_classifier(
                x, y, n_classes, CLASSIFIER, seed=seed, device=ctx.device
            )
            acc[name].append(accuracy(model, spec["test"], test.labels))
    out = {
        "accuracy": {k_: _stats(v) for k_, v in acc.items()},
        "per_seed": acc,
        "test": _TEST_SOURCES[has_holdout],
        "test_clips": len(test),
        "train_clips": {"real": len(train_real), "synthetic": len(syn), "mixed_synthetic": k},
        "seeds": seeds,
        "chance": float(np.bincount(test.labels, minlength=n_classes).max() / len(test)),
        "classifier": CLASSIFIER.to_dict(),
    }
    ctx._cache["audio_utility"] = out
    return out


def _runs_or_error(ctx: AudioEvalContext) -> tuple[dict | None, str | None]:
    try:
        runs = _runs(ctx)
    except SynthsetError as exc:  # e.g. too few clips of a class to split
        return None, str(exc)
    return (None, NO_LABELS) if runs is None else (runs, None)


def _details(runs: dict[str, Any]) -> dict[str, Any]:
    """Details in the layout the report's utility table reads (TSTR / TRTR per scorer)."""
    return {
        "task": "audio classification (log-mel CNN)",
        "score": "accuracy",
        "tstr": {"accuracy": runs["accuracy"]["synthetic"]},
        "trtr": {"accuracy": runs["accuracy"]["real"]},
        "test": runs["test"],
        "test_rows": runs["test_clips"],
        "test_unit": "clips",
        "train_clips": runs["train_clips"],
        "seeds": runs["seeds"],
        "chance_accuracy": runs["chance"],
        "classifier": runs["classifier"],
    }


def _not_computed(name: str, error: str) -> MetricResult:
    return MetricResult(name, FAMILY, float("nan"), True, details={"error": error}, bounds=None)


@register_metric("cas_audio", FAMILY, modality="audio")
def cas_audio(ctx: AudioEvalContext) -> MetricResult:
    """Classification accuracy score: real-test accuracy of the log-mel CNN trained on the
    synthetic clips (mean over seeds). No thresholds: compare it with ``details["trtr"]``, or
    read ``cas_ratio_audio``."""
    runs, error = _runs_or_error(ctx)
    if error:
        return _not_computed("cas_audio", error)
    acc = runs["accuracy"]
    return MetricResult(
        "cas_audio",
        FAMILY,
        acc["synthetic"]["mean"],
        True,
        details={**_details(runs), "ratio": _ratio(acc)},
        description="Accuracy on real test clips of a log-mel CNN trained on the labelled "
        f"synthetic clips (trained on real clips: {acc['real']['mean']:.3f}).",
    )


def _ratio(acc: dict[str, Any]) -> float:
    real = acc["real"]["mean"]
    return acc["synthetic"]["mean"] / real if real > 0 else float("nan")


@register_metric("cas_ratio_audio", FAMILY, pass_at=0.9, warn_at=0.75, modality="audio")
def cas_ratio_audio(ctx: AudioEvalContext) -> MetricResult:
    """``cas_audio`` over the accuracy of the same CNN trained on real clips (1 = synthetic
    clips teach the classes as well as real ones). Thresholds: pass ≥ 0.9, warn ≥ 0.75."""
    runs, error = _runs_or_error(ctx)
    if error:
        return _not_computed("cas_ratio_audio", error)
    details = _details(runs)
    value = _ratio(runs["accuracy"])
    if np.isnan(value):
        details["error"] = "the real-trained CNN scored 0, so the ratio is undefined"
    return MetricResult(
        "cas_ratio_audio",
        FAMILY,
        value,
        True,
        details=details,
        bounds=None,
        description="Audio CAS divided by the accuracy of the same CNN trained on real clips; 1 "
        "means synthetic clips train a classifier as well as real ones.",
    )


@register_metric("augmentation_gain_audio", FAMILY, pass_at=0.0, warn_at=-0.02, modality="audio")
def augmentation_gain_audio(ctx: AudioEvalContext) -> MetricResult:
    """Test-accuracy gain of the CNN trained on real + synthetic clips over real clips alone,
    mean ± std over seeds. Thresholds: pass ≥ 0, warn ≥ −0.02."""
    runs, error = _runs_or_error(ctx)
    if error:
        return _not_computed("augmentation_gain_audio", error)
    gains = np.asarray(runs["per_seed"]["real+synthetic"]) - np.asarray(runs["per_seed"]["real"])
    acc = runs["accuracy"]
    return MetricResult(
        "augmentation_gain_audio",
        FAMILY,
        float(gains.mean()),
        True,
        details={
            "task": "audio classification (log-mel CNN)",
            "score": "accuracy",
            "gain": {"mean": float(gains.mean()), "std": float(gains.std()), "per_seed": gains},
            "real": {"accuracy": acc["real"]},
            "real+synthetic": {"accuracy": acc["real+synthetic"]},
            "test": runs["test"],
            "test_rows": runs["test_clips"],
            "test_unit": "clips",
            "train_clips": runs["train_clips"],
            "seeds": runs["seeds"],
        },
        bounds=(-1.0, 1.0),
        description="Change in real-test accuracy when synthetic clips are added to the real "
        "training clips (> 0 = they help), mean over seeds.",
    )

"""Fidelity metrics for text: do the synthetic texts read like the real ones, in all their variety?

=======================  ==============================================  =========================
metric                   what it measures                                pass / warn
=======================  ==============================================  =========================
``text_fd``              Fréchet distance of the sentence embeddings      ≤ 2× / ≤ 5× the baseline
``text_precision``       share of synthetic texts on the real manifold    ≥ 0.8 / ≥ 0.6 (*)
``text_recall``          share of real texts on the synthetic manifold    ≥ 0.7 / ≥ 0.5 (*)
``text_coverage``        share of real neighbourhoods with a synthetic    ≥ 0.8 / ≥ 0.6 (*)
                         text
``perplexity``           perplexity of the synthetic texts under a        ≤ 1.5× / ≤ 3× the
                         reference model fitted on the real texts         holdout's
``distinct_n``           distinct-2: distinct word pairs / word pairs     ≥ 0.8× / ≥ 0.5× the
                                                                          real texts'
``self_bleu``            mean BLEU-4 of each text against the others      ≤ real + 0.1 / + 0.25
``length_distance``      Wasserstein distance of the word counts over     ≤ 0.1 / ≤ 0.25
                         the real mean word count
``class_balance``        1 − total variation of the class shares          ≥ 0.9 / ≥ 0.75
``reply_similarity``     dialogue: cosine similarity of a synthetic       none (for information)
                         reply to the real reply of the same context
=======================  ==============================================  =========================

(*) or 0.9× / 0.7× what unseen real texts score, when that is lower: with the lexical embedder
real texts against the holdout reach a recall of only 0.5 (MiniLM: 0.93) on Rotten Tomatoes.

Embeddings come from the context's embedder (the packaged all-MiniLM-L6-v2 through
sentence-transformers, or the lexical TF-IDF → SVD fallback; ``details["embedder"]`` says
which). Like FID for images, ``text_fd``'s scale depends on the embedder and the number of texts,
so it is judged against a baseline measured in the same run: the distance between two sets of
real texts (real vs holdout, or two real halves). The perplexity is judged against the holdout's
(or 20% of the real texts left out of the model), and distinct-n and self-BLEU against the real
texts' own values on a subsample of the same size (both depend on the number of texts).

Measured on Rotten Tomatoes reviews (3,404 training, 1,459 holdout), trigram word model: holdout
perplexity 287, training texts 13 (seen), the holdout with its words shuffled 1,044 (3.6×, fail).
Self-BLEU of 1,459 real reviews 0.17-0.18; distinct-2 0.67.

For dialogue data every metric reads the replies. ``reply_similarity`` pairs each synthetic
reply with the real replies to the same context (contexts compared after case and space folding)
and reports the mean cosine similarity to the closest of them, beside what a random real reply
scores (``details["chance"]``); it returns None when no synthetic context occurs in the real data.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from synthset.errors import DataError, SynthsetError
from synthset.evaluation.base import MetricResult, register_metric
from synthset.evaluation.images import metrics as M
from synthset.evaluation.text import metrics as T
from synthset.evaluation.text.context import TextEvalContext
from synthset.utils import derive_seed

FAMILY = "fidelity"
K = 5  # nearest neighbours of precision / recall / coverage
FD_PASS_RATIO, FD_WARN_RATIO = 2.0, 5.0
PPL_PASS_RATIO, PPL_WARN_RATIO = 1.5, 3.0
DISTINCT_PASS, DISTINCT_WARN = 0.8, 0.5  # share of the real texts' distinct-2
SELF_BLEU_PASS, SELF_BLEU_WARN = 0.1, 0.25  # above the real texts' self-BLEU
DISTINCT_ORDERS = (1, 2, 3)
SELF_BLEU_HYPOTHESES = 500
PRDC_THRESHOLDS = {"precision": (0.8, 0.6), "recall": (0.7, 0.5), "coverage": (0.8, 0.6)}
PRDC_PASS_SHARE, PRDC_WARN_SHARE = 0.9, 0.7  # of the baseline's value, when that is lower
_PRDC_TEXT = {
    "precision": "Share of synthetic texts that fall in the embedding neighbourhood of some real "
    "text; low means unrealistic texts.",
    "recall": "Share of real texts that fall in the embedding neighbourhood of some synthetic "
    "text; low means missing variety.",
    "coverage": "Share of real texts whose embedding neighbourhood holds a synthetic text; low "
    "means parts of the real data are not produced.",
}
LENGTH_BINS = 40
MAX_PAIRS_EMBEDDED = 2_000  # dialogue pairs embedded for reply_similarity


def _used(ctx: TextEvalContext, *which: str) -> dict[str, int]:
    return {w: len(ctx.positions(w)) for w in which if w != "holdout" or ctx.holdout is not None}


def _error(name: str, higher_is_better: bool, exc: Exception) -> MetricResult:
    return MetricResult(
        name, FAMILY, float("nan"), higher_is_better, details={"error": str(exc)}, bounds=None
    )


def _guarded(fn: Callable, name: str, higher_is_better: bool) -> Callable:
    """``fn`` returning a not-computed result, with the reason, when the texts do not allow it
    (too few of them, an embedder that cannot load), so the rest of the report stays."""

    def metric(ctx: TextEvalContext) -> MetricResult | None:
        try:
            return fn(ctx)
        except SynthsetError as exc:
            return _error(name, higher_is_better, exc)

    metric.__name__ = metric.__qualname__ = name
    metric.__doc__ = fn.__doc__ or f"``{name}``: see :mod:`synthset.evaluation.text.fidelity`."
    return metric


# --- embeddings -----------------------------------------------------------------------------------
def _fd(ctx: TextEvalContext) -> MetricResult:
    """Fréchet distance between Gaussians fitted to the real and synthetic sentence embeddings,
    judged against the distance between two sets of real texts (pass ≤ 2×, warn ≤ 5×)."""
    value = M.fid(ctx.embeddings("real"), ctx.embeddings("synthetic"))
    try:
        a, b, source = ctx.baseline_embeddings()
        baseline = M.fid(a, b)
    except DataError as exc:
        baseline, source = None, f"no baseline: {exc}"
    result = MetricResult(
        "text_fd",
        FAMILY,
        value,
        False,
        details={
            **ctx.embedder_info(),
            "baseline": baseline,
            "baseline_source": source,
            "ratio_to_baseline": value / baseline if baseline else None,
            "texts": _used(ctx, "real", "synthetic", "holdout"),
        },
        bounds=None,
        description="Fréchet distance between the real and synthetic texts' sentence embeddings"
        + ("" if baseline is None else f"; unseen real texts score {baseline:.3g} here")
        + ".",
    )
    if baseline:
        result.thresholds = {"pass": FD_PASS_RATIO * baseline, "warn": FD_WARN_RATIO * baseline}
    return result


def _prdc(ctx: TextEvalContext) -> tuple[dict, dict | None, str]:
    if "prdc" not in ctx._cache:
        syn = M.prdc(ctx.embeddings("real"), ctx.embeddings("synthetic"), k=K)
        try:
            a, b, source = ctx.baseline_embeddings()
            base = M.prdc(a, b, k=K)
        except DataError as exc:
            base, source = None, f"no baseline: {exc}"
        ctx._cache["prdc"] = (syn, base, source)
    return ctx._cache["prdc"]


def _prdc_metric(ctx: TextEvalContext, which: str) -> MetricResult:
    """Precision / recall / coverage of the synthetic embeddings (k = 5). Judged at the fixed
    thresholds, or at 0.9× / 0.7× what unseen real texts score when that is lower (the lexical
    embedder spreads texts thinly, so even real texts score lower recall there)."""
    syn, base, source = _prdc(ctx)
    result = MetricResult(
        f"text_{which}",
        FAMILY,
        syn[which],
        True,
        details={
            **ctx.embedder_info(),
            "k": K,
            "prdc": syn,
            "baseline": base,
            "baseline_source": source,
            "texts": _used(ctx, "real", "synthetic", "holdout"),
        },
        description=_PRDC_TEXT[which],
    )
    if base is not None:
        pass_at, warn_at = PRDC_THRESHOLDS[which]
        result.thresholds = {
            "pass": min(pass_at, PRDC_PASS_SHARE * base[which]),
            "warn": min(warn_at, PRDC_WARN_SHARE * base[which]),
        }
    return result


# --- language model -------------------------------------------------------------------------------
def _perplexity(ctx: TextEvalContext) -> MetricResult:
    """Perplexity of the synthetic texts under a reference model of the real texts, judged
    against unseen real texts under the same model (pass ≤ 1.5×, warn ≤ 3× theirs)."""
    model, baseline_texts, source = ctx.language_model()
    syn = ctx.synthetic.texts.tolist()
    value = _ppl(model, syn)
    baseline = None if baseline_texts is None else _ppl(model, baseline_texts)
    details: dict[str, Any] = {
        "baseline": baseline,
        "baseline_source": source,
        "ratio_to_baseline": value / baseline if baseline else None,
        "texts": {"synthetic": len(syn), "baseline": len(baseline_texts or [])},
    }
    if ctx.reference_model is not None:
        details["model"] = f"given reference model ({type(model).__name__})"
    else:
        details.update(
            model=f"interpolated Kneser-Ney {model.order}-gram ({model.unit} tokens), fitted on "
            f"{'every real text' if ctx.holdout is not None else 'the rest of the real texts'}",
            training_tokens=model.n_train_tokens_,
            oov_rate={
                "synthetic": model.oov_rate(syn),
                "baseline": model.oov_rate(baseline_texts) if baseline_texts else None,
            },
        )
        per_text = model.text_perplexities(syn)
        details["synthetic_per_text"] = T.length_summary(per_text)
    result = MetricResult(
        "perplexity",
        FAMILY,
        value,
        False,
        details=details,
        bounds=None,
        description="Perplexity of the synthetic texts under a language model of the real texts"
        + ("" if baseline is None else f"; unseen real texts score {baseline:.4g}")
        + " (lower reads more like the real texts; far below the unseen real texts suggests "
        "copying).",
    )
    if baseline:
        result.thresholds = {"pass": PPL_PASS_RATIO * baseline, "warn": PPL_WARN_RATIO * baseline}
    return result


def _ppl(model: Any, texts: list[str]) -> float:
    """``model.perplexity(texts)`` as a float; per-text values are combined as their geometric
    mean."""
    out = model.perplexity(texts)
    arr = np.asarray(out, dtype=np.float64)
    if arr.ndim == 0:
        return float(arr)
    return float(np.exp(np.log(arr).mean()))


# --- diversity ------------------------------------------------------------------------------------
def _distinct(ctx: TextEvalContext) -> MetricResult:
    """Distinct-2 of the synthetic texts (distinct word pairs over all word pairs), judged
    against the real texts' on a subsample of equal size (pass ≥ 0.8×, warn ≥ 0.5× theirs)."""
    sets = ctx.equal_samples("real", "synthetic")
    scores = {
        w: {f"distinct_{n}": T.distinct_n(texts, n) for n in DISTINCT_ORDERS}
        for w, texts in sets.items()
    }
    value = scores["synthetic"]["distinct_2"]
    real = scores["real"]["distinct_2"]
    result = MetricResult(
        "distinct_n",
        FAMILY,
        value,
        True,
        details={
            "synthetic": scores["synthetic"],
            "real": scores["real"],
            "ratio_to_real": value / real if real else None,
            "texts_each": len(sets["real"]),
        },
        description=f"Distinct-2 of the synthetic texts (distinct word pairs over all word "
        f"pairs; real texts of the same number score {real:.3f}); low means repetitive text.",
    )
    if real > 0:
        result.thresholds = {"pass": DISTINCT_PASS * real, "warn": DISTINCT_WARN * real}
    return result


def _self_bleu(ctx: TextEvalContext) -> MetricResult:
    """Mean BLEU-4 of synthetic texts against the other synthetic texts, judged against the real
    texts' own self-BLEU on a subsample of equal size (pass ≤ theirs + 0.1, warn ≤ + 0.25)."""
    sets = ctx.equal_samples("real", "synthetic")
    if len(sets["real"]) < 2:
        raise DataError("self-BLEU needs at least 2 texts in each set")
    seed = derive_seed(ctx.seed, 60)
    syn = T.self_bleu(sets["synthetic"], n_hypotheses=SELF_BLEU_HYPOTHESES, seed=seed)
    real = T.self_bleu(sets["real"], n_hypotheses=SELF_BLEU_HYPOTHESES, seed=seed)
    result = MetricResult(
        "self_bleu",
        FAMILY,
        syn,
        False,
        details={
            "real": real,
            "difference": syn - real,
            "texts_each": len(sets["real"]),
            "hypotheses": min(SELF_BLEU_HYPOTHESES, len(sets["real"])),
            "bleu": "BLEU-4, smoothing 1 (ε = 0.1), effective order for short texts",
        },
        description=f"Mean BLEU-4 of each synthetic text against the other synthetic texts "
        f"(real texts: {real:.3f}); high means the texts repeat each other.",
    )
    result.thresholds = {
        "pass": min(1.0, real + SELF_BLEU_PASS),
        "warn": min(1.0, real + SELF_BLEU_WARN),
    }
    return result


# --- lengths and classes --------------------------------------------------------------------------
def _length_histogram(sets: dict[str, np.ndarray]) -> dict[str, Any]:
    pooled = np.concatenate(list(sets.values()))
    top = max(float(np.percentile(pooled, 99)), 1.0)
    width = max(1.0, float(np.ceil(top / LENGTH_BINS)))
    edges = np.arange(-0.5, top + width + 0.5, width)
    return {
        "bins": edges,
        **{w: np.histogram(np.minimum(x, top), edges)[0] for w, x in sets.items()},
    }


def _length_distance(ctx: TextEvalContext) -> MetricResult:
    """Wasserstein-1 distance between the real and synthetic word counts, over the real mean
    word count (0 = same lengths). Thresholds: pass ≤ 0.1, warn ≤ 0.25."""
    from scipy.stats import ks_2samp, wasserstein_distance

    words = {"real": ctx.real.lengths("words"), "synthetic": ctx.synthetic.lengths("words")}
    if ctx.holdout is not None:
        words["holdout"] = ctx.holdout.lengths("words")
    mean_real = max(float(words["real"].mean()), 1.0)
    w1 = wasserstein_distance(words["real"], words["synthetic"])
    details: dict[str, Any] = {
        "wasserstein_words": w1,
        "ks": float(ks_2samp(words["real"], words["synthetic"]).statistic),
        "words": {w: T.length_summary(x) for w, x in words.items()},
        "chars_mean": {
            w: float(ctx.texts(w).lengths("chars").mean())
            for w in words  # same sets as the word counts
        },
        "histogram": _length_histogram(words),
    }
    if "holdout" in words:
        details["holdout_value"] = wasserstein_distance(words["real"], words["holdout"]) / mean_real
    return MetricResult(
        "length_distance",
        FAMILY,
        w1 / mean_real,
        False,
        details=details,
        bounds=None,
        description="Wasserstein distance between the real and synthetic texts' word counts, as "
        "a share of the real mean length (0 = same length distribution).",
    )


def _class_balance(ctx: TextEvalContext) -> MetricResult | None:
    """1 − total variation distance between the real and synthetic class shares. Thresholds:
    pass ≥ 0.9, warn ≥ 0.75. None without labels on both sets."""
    if ctx.real.labels is None or ctx.synthetic.labels is None or not ctx.real.spec.classes:
        return None
    classes = ctx.real.spec.classes
    real = T.class_shares(ctx.real.labels, len(classes))
    syn = T.class_shares(ctx.synthetic.labels, len(classes))
    return MetricResult(
        "class_balance",
        FAMILY,
        float(1.0 - 0.5 * np.abs(real - syn).sum()),
        True,
        details={
            "classes": {
                c: {"real": float(r), "synthetic": float(s)}
                for c, r, s in zip(classes, real, syn, strict=True)
            },
            "missing_classes": [c for c, s in zip(classes, syn, strict=True) if s == 0],
        },
        description="How alike the class shares of the real and synthetic texts are "
        "(1 − total variation distance; 1 = same shares). A deliberately balanced synthetic set "
        "scores lower on purpose.",
    )


# --- dialogue -------------------------------------------------------------------------------------
def _reply_similarity(ctx: TextEvalContext) -> MetricResult | None:
    """Mean cosine similarity of each synthetic reply to the closest real reply to the same
    context (contexts matched after case and space folding). For information, beside the
    similarity to a random real reply (``details["chance"]``). None for non-dialogue texts or
    when no synthetic context occurs in the real data."""
    if not ctx.is_dialogue or ctx.synthetic.contexts is None:
        return None
    real_ctx = T.normalise(ctx.real.contexts)
    syn_ctx = T.normalise(ctx.synthetic.contexts)
    known = np.isin(syn_ctx, real_ctx)
    matched = np.flatnonzero(known)
    if len(matched) == 0:
        return None
    rng = np.random.default_rng(derive_seed(ctx.seed, 70))
    if len(matched) > MAX_PAIRS_EMBEDDED:
        matched = np.sort(rng.choice(matched, MAX_PAIRS_EMBEDDED, replace=False))
    # every real reply to a matched context, with the context's group id
    groups, real_group = np.unique(real_ctx, return_inverse=True)
    syn_group = np.searchsorted(groups, syn_ctx[matched])
    needed = np.flatnonzero(np.isin(real_group, syn_group))
    syn_emb = ctx.embed(ctx.synthetic.texts[matched].tolist())
    real_emb = ctx.embed(ctx.real.texts[needed].tolist())
    sim = syn_emb @ real_emb.T  # (matched, needed) cosine similarities (unit rows)
    same = syn_group[:, None] == real_group[needed][None, :]
    best = np.where(same, sim, -np.inf).max(1)
    # chance: the same synthetic replies against a random one of those real replies
    other = rng.integers(0, len(needed), len(matched))
    chance = sim[np.arange(len(matched)), other]
    value = float(best.mean())
    return MetricResult(
        "reply_similarity",
        FAMILY,
        value,
        True,
        details={
            **ctx.embedder_info(),
            "matched_pairs": int(known.sum()),
            "matched_share": float(known.mean()),
            "pairs_scored": len(matched),
            "chance": float(chance.mean()),
            "distribution": T.length_summary(best),
        },
        bounds=(-1.0, 1.0),
        description="Mean cosine similarity of a synthetic reply to the closest real reply to "
        f"the same context (a random real reply scores {chance.mean():.3f}).",
    )


for _name, _fn, _hib, _pass, _warn in [
    ("text_fd", _fd, False, None, None),
    *[
        (f"text_{w}", partial(_prdc_metric, which=w), True, p, warn)
        for w, (p, warn) in PRDC_THRESHOLDS.items()
    ],
    ("perplexity", _perplexity, False, None, None),
    ("distinct_n", _distinct, True, None, None),
    ("self_bleu", _self_bleu, False, None, None),
    ("length_distance", _length_distance, False, 0.1, 0.25),
    ("class_balance", _class_balance, True, 0.9, 0.75),
    ("reply_similarity", _reply_similarity, True, None, None),
]:
    register_metric(_name, FAMILY, pass_at=_pass, warn_at=_warn, modality="text")(
        _guarded(_fn, _name, _hib)
    )

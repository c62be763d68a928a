"""Privacy metrics for text: does the synthesizer hand back the texts it was trained on?

The memorisation check finds, for every synthetic text (of the seeded subsample), the training
text it shares the longest run of characters with (:func:`~.metrics.memorisation_search`: the
closest training texts in word TF-IDF, then the exact longest common substring, in characters
and in words, against each). A run as long as half the synthetic text is a copied passage.
Holdout texts (real texts the synthesizer never saw) searched the same way are the baseline:
short reviews share phrases ("one of the best films of the year") by chance.

==========================  ============================================  ========================
metric                      value                                         pass / warn
==========================  ============================================  ========================
``text_memorisation``       share of synthetic texts sharing a run of     ≤ holdout + 0.05 /
                            ≥ 50% of their characters with one training   ≤ holdout + 0.15
                            text                                          (0.05 / 0.15 without)
``text_exact_copies``       share of synthetic texts equal to a training  ≤ holdout + 0.01 /
                            text (case and spaces folded; every text)     ≤ holdout + 0.05
``text_dcr``                median embedding distance to the nearest      ≥ 0.8 / ≥ 0.5
                            training text, synthetic over holdout; needs
                            a holdout
==========================  ============================================  ========================

``details["closest_pairs"]`` lists the synthetic texts with the longest shared runs, with the
training text and the shared characters: the report shows them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synthset.errors import SynthsetError
from synthset.evaluation.base import MetricResult, register_metric
from synthset.evaluation.images import metrics as M
from synthset.evaluation.text import metrics as T
from synthset.evaluation.text.context import TextEvalContext

FAMILY = "privacy"
LCS_SHARE = 0.5  # a shared run of at least this share of a text's characters flags it
N_PAIRS = 8  # closest pairs kept for the report
MAX_SHOWN_CHARS = 300
RATIO_BINS = 20
PERCENTILES = (50, 95, 99)


def _search(ctx: TextEvalContext, which: str) -> dict[str, Any]:
    """The memorisation search of the subsample of ``which`` over every training text."""
    key = ("memorisation", which)
    if key not in ctx._cache:
        query = ctx.sample(which).texts.tolist()
        ctx._cache[key] = T.memorisation_search(query, ctx.real.texts.tolist())
    return ctx._cache[key]


def _percentiles(x: np.ndarray) -> dict[str, float]:
    return {f"p{p}": float(np.percentile(x, p)) for p in PERCENTILES}


def _clip(text: str, n: int = MAX_SHOWN_CHARS) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _closest_pairs(ctx: TextEvalContext, found: dict[str, Any]) -> list[dict[str, Any]]:
    order = np.lexsort((-found["lcs_chars"], -found["char_ratio"]))[:N_PAIRS]
    syn_pos = ctx.positions("synthetic")
    syn_norm = T.normalise(ctx.sample("synthetic").texts[order])
    real_norm = T.normalise(ctx.real.texts[found["nearest"][order]])
    pairs = []
    for i, (k, s, r) in enumerate(zip(order, syn_norm, real_norm, strict=True)):
        j = int(found["nearest"][k])
        pairs.append(
            {
                "synthetic": int(syn_pos[k]),
                "real": j,
                "char_ratio": float(found["char_ratio"][k]),
                "word_ratio": float(found["word_ratio"][k]),
                "lcs_chars": int(found["lcs_chars"][k]),
                "synthetic_text": _clip(str(ctx.synthetic.texts[syn_pos[k]])),
                "training_text": _clip(str(ctx.real.texts[j])),
                "common": _clip(T.common_run(s, r, int(found["lcs_chars"][k]))),
                "rank": i,
            }
        )
    return pairs


@register_metric("text_memorisation", FAMILY, pass_at=0.05, warn_at=0.15, modality="text")
def text_memorisation(ctx: TextEvalContext) -> MetricResult:
    """Share of synthetic texts that share a run of at least half their characters with one
    training text (case and spaces folded).

    With a holdout, the same share for holdout texts is the baseline, and the thresholds are
    relative to it: pass ≤ baseline + 0.05, warn ≤ baseline + 0.15; without one, pass ≤ 0.05,
    warn ≤ 0.15. ``details`` also give the word-level share and the longest shared runs.
    """
    syn = _search(ctx, "synthetic")
    flagged = syn["char_ratio"] >= LCS_SHARE
    edges = np.linspace(0.0, 1.0, RATIO_BINS + 1)
    details: dict[str, Any] = {
        "share_words": float(np.mean(syn["word_ratio"] >= LCS_SHARE)),
        "count": int(flagged.sum()),
        "char_ratio": _percentiles(syn["char_ratio"]),
        "word_ratio": _percentiles(syn["word_ratio"]),
        "longest_run_chars": int(syn["lcs_chars"].max()) if len(flagged) else 0,
        "holdout_share": None,
        "histogram": {"bins": edges, "synthetic": np.histogram(syn["char_ratio"], edges)[0]},
        "closest_pairs": _closest_pairs(ctx, syn),
        "texts": {
            "synthetic": len(flagged),
            "training_searched": len(ctx.real),
            "candidates_per_text": T.N_CANDIDATES,
        },
    }
    result = MetricResult(
        "text_memorisation",
        FAMILY,
        float(flagged.mean()),
        False,
        details=details,
        description="Share of synthetic texts that share a run of at least half their "
        "characters with one training text (copied passages).",
    )
    if ctx.holdout is not None:
        hold = _search(ctx, "holdout")
        base = float(np.mean(hold["char_ratio"] >= LCS_SHARE))
        details.update(
            holdout_share=base,
            holdout_share_words=float(np.mean(hold["word_ratio"] >= LCS_SHARE)),
            holdout_char_ratio=_percentiles(hold["char_ratio"]),
        )
        details["histogram"]["holdout"] = np.histogram(hold["char_ratio"], edges)[0]
        details["texts"]["holdout"] = len(hold["char_ratio"])
        result.thresholds = {"pass": base + 0.05, "warn": base + 0.15}
        result.description += f" Unseen holdout texts: {base:.3f}."
    return result


@register_metric("text_exact_copies", FAMILY, pass_at=0.01, warn_at=0.05, modality="text")
def text_exact_copies(ctx: TextEvalContext) -> MetricResult:
    """Share of synthetic texts equal to a training text after case folding and collapsing
    whitespace, over every synthetic text.

    ``details["holdout_share"]`` is the rate at which unseen real texts equal a training text
    (short replies repeat); the thresholds are relative to it: pass ≤ baseline + 0.01, warn ≤
    baseline + 0.05 (0.01 / 0.05 without a holdout).
    """
    match = T.exact_matches(ctx.synthetic.texts, ctx.real.texts)
    hit = match >= 0
    details: dict[str, Any] = {
        "count": int(hit.sum()),
        "copied_pairs": [
            {"synthetic": int(i), "real": int(match[i]), "text": _clip(str(ctx.synthetic.texts[i]))}
            for i in np.flatnonzero(hit)[:N_PAIRS]
        ],
        "holdout_share": None,
        "holdout_count": None,
    }
    result = MetricResult(
        "text_exact_copies",
        FAMILY,
        float(hit.mean()),
        False,
        details=details,
        description="Share of synthetic texts that exactly copy a training text (case and "
        "spacing ignored).",
    )
    if ctx.holdout is not None:
        hold = T.exact_matches(ctx.holdout.texts, ctx.real.texts) >= 0
        base = float(hold.mean())
        details.update(holdout_share=base, holdout_count=int(hold.sum()))
        result.thresholds = {"pass": base + 0.01, "warn": base + 0.05}
    return result


@register_metric("text_dcr", FAMILY, pass_at=0.8, warn_at=0.5, modality="text")
def text_dcr(ctx: TextEvalContext) -> MetricResult | None:
    """Median embedding distance of synthetic texts to their nearest training text, over that
    of holdout texts (1 = as far as unseen real texts; below 1 = closer, paraphrased or copied).
    Thresholds: pass ≥ 0.8, warn ≥ 0.5. Needs a holdout."""
    if ctx.holdout is None:
        return None
    try:
        real = ctx.embeddings("real")
        d_syn, idx = M.nearest_neighbour(ctx.embeddings("synthetic"), real)
        d_hold, _ = M.nearest_neighbour(ctx.embeddings("holdout"), real)
    except SynthsetError as exc:
        return MetricResult(
            "text_dcr", FAMILY, float("nan"), True, details={"error": str(exc)}, bounds=None
        )
    med_hold = float(np.median(d_hold))
    top = float(np.percentile(np.concatenate([d_syn, d_hold]), 99)) or 1.0
    edges = np.linspace(0.0, top, 41)
    details: dict[str, Any] = {
        **ctx.embedder_info(),
        "synthetic": {**_percentiles(d_syn), "p5": float(np.percentile(d_syn, 5))},
        "holdout": {**_percentiles(d_hold), "p5": float(np.percentile(d_hold, 5))},
        "closer_than_holdout_p5": float(np.mean(d_syn <= np.percentile(d_hold, 5))),
        "histogram": {
            "bins": edges,
            "synthetic": np.histogram(np.minimum(d_syn, top), edges)[0],
            "holdout": np.histogram(np.minimum(d_hold, top), edges)[0],
        },
        "unit": "Euclidean distance of unit-length embeddings (√(2 − 2 cos))",
        "texts": {
            "synthetic": len(d_syn),
            "holdout": len(d_hold),
            "training_searched": len(real),
        },
    }
    if med_hold <= 0:
        details["error"] = "the median holdout distance to the training texts is 0"
    return MetricResult(
        "text_dcr",
        FAMILY,
        float(np.median(d_syn)) / med_hold if med_hold > 0 else float("nan"),
        True,
        details=details,
        bounds=None,
        description="Median embedding distance from a synthetic text to its nearest training "
        "text, relative to that of unseen holdout texts (1 = as far as new real texts; below 1 "
        "= closer).",
    )

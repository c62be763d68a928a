"""Words and number formats shared by the Markdown and HTML renderers.

:data:`METRIC_TEXT` is the one place that says, per metric name, what a value means to a reader;
a metric's own ``description`` wins when it has one.
"""

from __future__ import annotations

import math
from typing import Any

from synthset.evaluation.base import MetricResult

FAMILY_TITLES = {"fidelity": "Fidelity", "utility": "Utility", "privacy": "Privacy"}

FAMILY_QUESTIONS = {
    "fidelity": "Does the synthetic data look like the real data?",
    "utility": "Does a model trained on it work on real data?",
    "privacy": "Does it leak the real rows it was trained on?",
}
IMAGE_FAMILY_QUESTIONS = {
    "fidelity": "Do the synthetic images look like the real ones, in all their variety?",
    "utility": "Does a classifier trained on them work on real images?",
    "privacy": "Do they give back the real images they were trained on?",
}


TEXT_FAMILY_QUESTIONS = {
    "fidelity": "Do the synthetic texts read like the real ones, in all their variety?",
    "utility": "Does a classifier trained on them work on real texts?",
    "privacy": "Do they give back passages of the real texts they were trained on?",
}
AUDIO_FAMILY_QUESTIONS = {
    "fidelity": "Do the synthetic clips sound like the real ones, in all their variety?",
    "utility": "Does a classifier trained on them work on real clips?",
    "privacy": "Do they give back the real clips they were trained on?",
}
RESTORATION_FAMILY_QUESTIONS = {
    "fidelity": "How close are the repaired clips to the clean originals, against the classical "
    "repairs?",
}
_QUESTIONS = {
    "audio_restoration": RESTORATION_FAMILY_QUESTIONS,
    "image": IMAGE_FAMILY_QUESTIONS,
    "text": TEXT_FAMILY_QUESTIONS,
    "audio": AUDIO_FAMILY_QUESTIONS,
}


def family_question(family: str, modality: str = "table") -> str:
    """The question a family answers, worded for tables, images, texts, audio or an audio
    restoration report (``"audio_restoration"``, see :func:`question_modality`)."""
    return _QUESTIONS.get(modality, FAMILY_QUESTIONS).get(family, "")


def question_modality(meta: dict | None, modality: str) -> str:
    """``"audio_restoration"`` for a report of ``evaluate_restoration`` (its meta names a
    task), else ``modality``."""
    task = (meta or {}).get("task")
    return "audio_restoration" if task in ("super_resolution", "inpainting") else modality


METRIC_TEXT = {
    # fidelity
    "column_shapes": "How alike each column's distribution is (1 − KS for numbers, 1 − total "
    "variation for categories), averaged over columns; 1 is identical.",
    "pair_trends": "How alike the relations between pairs of columns are (correlation, "
    "contingency); 1 is identical.",
    "detection": "How hard a classifier finds it to tell real from synthetic rows, 1 − (2·AUC "
    "− 1): 1 means it cannot (AUC 0.5), 0 means every synthetic row is recognisable.",
    "missing_values": "How alike the share of missing values per column is; 1 is identical.",
    "range_coverage": "How much of each numeric column's real range the synthetic data covers.",
    "category_coverage": "Share of the real categories that appear in the synthetic data.",
    # utility
    "tstr": "Score on real holdout rows of a model trained on synthetic rows (train on synthetic, "
    "test on real).",
    "tstr_ratio": "TSTR score divided by the score of the same model trained on real rows (TRTR); "
    "1 means synthetic data trains as well as real data.",
    "augmentation_gain": "Change in holdout score when synthetic rows are added to the real "
    "training rows; above 0 helps.",
    # privacy
    "dcr": "Median distance of synthetic rows to their closest training row, relative to that "
    "of unseen holdout rows: 1 means as far as new real data, below 1 closer (memorised).",
    "closer_than_holdout": "Share of synthetic rows closer to a training row than 95% of holdout "
    "rows are; about 0.05 is what new data from the same distribution gets.",
    "nndr": "Nearest-neighbour distance ratio: a synthetic row's closest training row against "
    "its second closest; near 0 means it sits on top of one real row.",
    "exact_copies": "Share of synthetic rows that are exact copies of a training row.",
    "membership_inference": "ROC AUC of an attacker guessing from distances whether a real row "
    "was in the training data; 0.5 means it cannot.",
}

_FEATURES = {"imagenet": "ImageNet features", "domain": "domain-classifier features"}
for _ext, _words in _FEATURES.items():
    METRIC_TEXT.update(
        {
            f"fid_{_ext}": f"Fréchet distance between the real and synthetic images' {_words}; "
            "judged against the distance between two sets of real images.",
            f"kid_{_ext}": f"Kernel inception distance (unbiased MMD²) between the real and "
            f"synthetic images' {_words}; about 0 for unseen real images.",
            f"precision_{_ext}": f"Share of synthetic images that look like some real image "
            f"({_words}).",
            f"recall_{_ext}": f"Share of real images that some synthetic image looks like "
            f"({_words}); low means missing variety.",
            f"density_{_ext}": f"How densely synthetic images crowd around real ones ({_words}); "
            "about 1 for real images.",
            f"coverage_{_ext}": f"Share of real images with a synthetic image nearby ({_words}).",
        }
    )
METRIC_TEXT.update(
    {
        "cas": "Accuracy on real test images of a CNN trained on the labelled synthetic images "
        "(classification accuracy score).",
        "cas_ratio": "CAS divided by the accuracy of the same CNN trained on real images; 1 means "
        "synthetic images teach the classes as well as real ones.",
        "image_dcr": "Median distance of synthetic images to their nearest training image, "
        "relative to that of unseen holdout images: 1 means as far as new real images.",
        "image_closer_than_holdout": "Share of synthetic images closer to a training image than "
        "95% of holdout images are; about 0.05 for new real images.",
        "image_exact_copies": "Share of synthetic images that are exact copies of a training "
        "image.",
    }
)

METRIC_TEXT.update(
    {
        # text fidelity
        "text_fd": "Fréchet distance between the real and synthetic texts' sentence embeddings; "
        "judged against the distance between two sets of real texts.",
        "text_precision": "Share of synthetic texts whose embedding looks like some real text's.",
        "text_recall": "Share of real texts that some synthetic text's embedding looks like; low "
        "means missing variety.",
        "text_coverage": "Share of real texts with a synthetic text nearby in embedding space.",
        "perplexity": "How surprised a language model of the real texts is by the synthetic "
        "texts; judged against its perplexity on unseen real texts (lower reads more alike, far "
        "lower suggests copying).",
        "distinct_n": "Distinct-2: distinct word pairs over all word pairs of the synthetic "
        "texts; judged against the real texts' (low means repetitive text).",
        "self_bleu": "Mean BLEU-4 of each synthetic text against the other synthetic texts; "
        "judged against the real texts' (high means the texts repeat each other).",
        "length_distance": "Wasserstein distance between the real and synthetic word counts, as a "
        "share of the real mean length; 0 is the same length distribution.",
        "class_balance": "How alike the class shares of the real and synthetic texts are "
        "(1 − total variation distance).",
        "reply_similarity": "Dialogue: mean cosine similarity of a synthetic reply to the closest "
        "real reply to the same context, beside a random real reply's.",
        # text utility
        "text_cas": "Accuracy on real test texts of a classifier trained on the labelled "
        "synthetic texts (classification accuracy score).",
        "text_cas_ratio": "Text CAS divided by the accuracy of the same classifier trained on "
        "real texts; 1 means synthetic texts teach the classes as well as real ones.",
        "text_augmentation_gain": "Change in test accuracy when synthetic texts are added to the "
        "real training texts; above 0 helps.",
        # text privacy
        "text_memorisation": "Share of synthetic texts that share a run of at least half their "
        "characters with one training text; judged against unseen holdout texts.",
        "text_exact_copies": "Share of synthetic texts that are exact copies of a training text "
        "(case and spacing ignored).",
        "text_dcr": "Median embedding distance of synthetic texts to their nearest training "
        "text, relative to that of unseen holdout texts: 1 means as far as new real texts.",
    }
)

METRIC_TEXT.update(
    {
        # audio fidelity
        "frechet_audio_stats": "Fréchet distance between the real and synthetic clips' spectral "
        "statistics (per-band log-mel mean and spread, cepstrum); judged against the distance "
        "between two sets of real clips.",
        "frechet_audio_domain": "Fréchet distance between the real and synthetic clips' "
        "embeddings from a log-mel classifier trained on the real clips; judged against the "
        "distance between two sets of real clips.",
        "precision_audio": "Share of synthetic clips that sound like some real clip (classifier "
        "embedding).",
        "recall_audio": "Share of real clips that some synthetic clip sounds like (classifier "
        "embedding); low means missing variety.",
        "coverage_audio": "Share of real clips with a synthetic clip nearby (classifier "
        "embedding).",
        "lsd_mean_spectrum": "Log-spectral distance (dB) between the real and synthetic clips' "
        "mean power spectra, class by class; 0 is the same average timbre.",
        "audio_class_balance": "How alike the class shares of the real and synthetic clips are "
        "(1 − total variation distance).",
        "loudness_distance": "Wasserstein distance (dB) between the real and synthetic clips' RMS "
        "levels; 0 is the same loudness distribution.",
        # audio utility
        "cas_audio": "Accuracy on real test clips of a log-mel classifier trained on the labelled "
        "synthetic clips (classification accuracy score).",
        "cas_ratio_audio": "Audio CAS divided by the accuracy of the same classifier trained on "
        "real clips; 1 means synthetic clips teach the classes as well as real ones.",
        "augmentation_gain_audio": "Change in test accuracy when synthetic clips are added to "
        "the real training clips; above 0 helps.",
        # audio privacy
        "audio_dcr": "Median distance of synthetic clips to their nearest training clip "
        "(spectral statistics), relative to that of unseen holdout clips: 1 means as far as new "
        "real clips.",
        "audio_copies": "Share of synthetic clips that copy a training clip, exactly or up to a "
        "shift, gain or light noise (waveform cross-correlation ≥ 0.95).",
        # audio restoration (evaluate_restoration)
        "snr_gain_vs_best_baseline": "SNR improvement (dB) of the model over the best classical "
        "baseline; above 0 the model wins.",
        "lsd_gain_vs_best_baseline": "Log-spectral-distance improvement (dB) of the model over "
        "the best classical baseline; above 0 the model wins.",
    }
)

# Metrics shown on the family cards at the top of the page, in this order when present (the
# first three present of each family; table metrics come first, then image and text metrics).
HEADLINE = {
    "fidelity": (
        "column_shapes",
        "pair_trends",
        "detection",
        "fid_imagenet",
        "fid_domain",
        "coverage_imagenet",
        "text_fd",
        "perplexity",
        "self_bleu",
        "frechet_audio_domain",
        "lsd_mean_spectrum",
        "coverage_audio",
        "snr_gain_vs_best_baseline",
        "lsd_gain_vs_best_baseline",
    ),
    "utility": (
        "tstr_ratio",
        "augmentation_gain",
        "tstr",
        "cas_ratio",
        "cas",
        "text_cas_ratio",
        "text_augmentation_gain",
        "text_cas",
        "cas_ratio_audio",
        "augmentation_gain_audio",
        "cas_audio",
    ),
    "privacy": (
        "closer_than_holdout",
        "exact_copies",
        "membership_inference",
        "image_closer_than_holdout",
        "image_exact_copies",
        "image_dcr",
        "text_memorisation",
        "text_exact_copies",
        "text_dcr",
        "audio_dcr",
        "audio_copies",
    ),
}


def meaning(metric: MetricResult) -> str:
    """One sentence saying what ``metric``'s value means."""
    text = metric.description or METRIC_TEXT.get(metric.name, "")
    return text[:1].upper() + text[1:]


def is_missing(value: Any) -> bool:
    """True for None and NaN (a metric that could not be computed)."""
    if value is None:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def fmt_number(value: Any) -> str:
    """A compact, readable number: 0.913, 1.2e-05, 32,561; ``n/a`` when missing."""
    if is_missing(value):
        return "n/a"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (
        isinstance(value, float) and value.is_integer() and abs(value) >= 1000
    ):
        return f"{int(value):,}"
    v = float(value)
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) < 1e-3:
        return f"{v:.2e}"
    return f"{v:.3f}" if abs(v) < 10 else f"{v:.4g}"


def fmt_value(metric: MetricResult) -> str:
    """The metric's value as shown in tables (``n/a`` when it could not be computed)."""
    return fmt_number(metric.value)


def fmt_interval(metric: MetricResult) -> str:
    """``[0.485, 0.576]``: the value's 95% interval from ``details["ci_low"]`` /
    ``details["ci_high"]``, or an empty string when the metric reports none."""
    details = metric.details if isinstance(metric.details, dict) else {}
    lo, hi = details.get("ci_low"), details.get("ci_high")
    if is_missing(metric.value) or is_missing(lo) or is_missing(hi):
        return ""
    return f"[{fmt_number(lo)}, {fmt_number(hi)}]"


def fmt_thresholds(metric: MetricResult) -> str:
    """``pass ≥ 0.85 · warn ≥ 0.7`` in the metric's direction, or an em dash."""
    t = metric.thresholds
    if not t or "pass" not in t or "warn" not in t:
        return "—"
    op = "≥" if metric.higher_is_better else "≤"
    return f"pass {op} {_short_number(t['pass'])} · warn {op} {_short_number(t['warn'])}"


def _short_number(value: Any) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)


def fmt_direction(metric: MetricResult) -> str:
    """``higher is better`` / ``lower is better``."""
    return "higher is better" if metric.higher_is_better else "lower is better"


def status_word(status: str | None) -> str:
    """The status as a word; ``—`` when the metric has none."""
    return status if status in ("pass", "warn", "fail") else "—"


def error_of(metric: MetricResult) -> str | None:
    """Why the metric was not computed, if it was not."""
    details = metric.details if isinstance(metric.details, dict) else {}
    err = details.get("error")
    return str(err) if err else None


def overall_status(summary: dict[str, dict[str, Any]]) -> str | None:
    """The worst status over the families of :meth:`Report.summary`."""
    statuses = [s.get("status") for s in summary.values()]
    for worst in ("fail", "warn", "pass"):
        if worst in statuses:
            return worst
    return None


def total_counts(summary: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Pass / warn / fail counts summed over the families."""
    return {k: sum(int(s.get(k, 0)) for s in summary.values()) for k in ("pass", "warn", "fail")}


def rows_line(meta: dict[str, Any]) -> str:
    """``32,561 real · 32,561 synthetic · 16,281 holdout rows``, from ``meta["rows"]`` (or
    ``… images`` / ``… texts`` / ``… clips`` from ``meta["images"]`` / ``meta["texts"]`` /
    ``meta["clips"]``; a plain count of clips reads ``200 clips``)."""
    if isinstance(meta.get("clips"), int) and not isinstance(meta.get("clips"), bool):
        return f"{fmt_number(meta['clips'])} clips"
    unit = next((u for u in ("images", "texts", "clips") if isinstance(meta.get(u), dict)), "rows")
    rows = meta.get(unit) if isinstance(meta.get(unit), dict) else {}
    parts = [f"{fmt_number(n)} {k}" for k, n in rows.items() if n is not None]
    return " · ".join(parts) + f" {unit}" if parts else ""


def dp_line(meta: dict[str, Any]) -> str:
    """One line on differential privacy from ``meta["differential_privacy"]`` ("" when the
    report was made without a privacy record)."""
    dp = meta.get("differential_privacy")
    if not isinstance(dp, dict):
        return ""
    if not dp.get("dp"):
        return "trained without differential privacy"
    text = f"differentially private: ε = {fmt_number(dp.get('epsilon'))}"
    text += f", δ = {float(dp.get('delta', 0)):.2g}"
    if dp.get("accountant"):
        text += f" ({str(dp['accountant']).upper()} accountant)"
    return text


def dp_sources(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """(column, "what: source; …") for every column the private preprocessing reports."""
    dp = meta.get("differential_privacy")
    if not isinstance(dp, dict):
        return []
    cols = (dp.get("preprocessing") or {}).get("columns") or {}
    return [
        (str(name), "; ".join(f"{k}: {v}" for k, v in src.items()))
        for name, src in cols.items()
        if isinstance(src, dict)
    ]

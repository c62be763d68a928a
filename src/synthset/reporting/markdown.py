"""Report → Markdown: a summary per family, a table per family, per-column scores and the meta
(for texts: a table of real and synthetic texts per class and the longest shared passages; for
audio: a pointer to the HTML version, which holds the players)."""

from __future__ import annotations

import html
from typing import Any

from synthset.evaluation.base import FAMILIES
from synthset.reporting.glossary import (
    FAMILY_TITLES,
    dp_line,
    dp_sources,
    error_of,
    family_question,
    fmt_interval,
    fmt_number,
    fmt_thresholds,
    fmt_value,
    meaning,
    overall_status,
    question_modality,
    rows_line,
    status_word,
    total_counts,
)

_STATUS_MARK = {"pass": "✅ pass", "warn": "⚠️ warn", "fail": "❌ fail"}


def render_markdown(report: Any) -> str:
    """Render ``report`` as a Markdown document.

    Args:
        report: a :class:`~synthset.evaluation.report.Report`.

    Returns:
        The document: title, summary per family, then per family a table of metric, value,
        status and what it means, per-column scores of ``column_shapes``, and the run's meta.
    """
    summary = report.summary()
    meta = report.meta or {}
    modality = meta.get("modality")
    modality = modality if modality in ("image", "text", "audio") else "table"
    title = {
        "image": "Synthetic image report",
        "text": "Synthetic text report",
        "audio": "Synthetic audio report",
    }.get(modality, "Synthetic data report")
    if modality == "audio" and meta.get("task"):
        title = "Audio restoration report"
    lines = [f"# {title}", ""]
    intro = rows_line(meta)
    if meta.get("target"):
        intro += f"; target `{_cell(meta['target'])}`"
    if dp_line(meta):
        intro += f"; {dp_line(meta)}"
    if intro:
        lines += [intro, ""]
    if modality == "text" and meta.get("text_embedder"):
        lines += [f"Text embeddings: {_cell(meta['text_embedder'])}", ""]
    if modality == "audio":
        lines += [
            "Audio players and spectrograms of the clips are in the HTML version of this "
            "report (`report.to_html()`).",
            "",
        ]

    lines += ["## Summary", ""]
    overall = overall_status(summary)
    if overall:
        counts = total_counts(summary)
        lines += [
            f"Overall: **{_mark(overall)}** ({counts['pass']} pass, {counts['warn']} warn, "
            f"{counts['fail']} fail)",
            "",
        ]
    lines += _table(
        ["family", "metrics", "pass", "warn", "fail", "status"],
        [
            [
                FAMILY_TITLES.get(fam, fam),
                s.get("n", 0),
                s["pass"],
                s["warn"],
                s["fail"],
                _mark(s.get("status")),
            ]
            for fam, s in summary.items()
        ],
    )

    for fam in FAMILIES:
        metrics = report.family(fam)
        if not metrics:
            continue
        lines += [
            f"## {FAMILY_TITLES.get(fam, fam)}",
            "",
            f"_{family_question(fam, question_modality(meta, modality))}_",
            "",
        ]
        rows = []
        for m in metrics:
            text = meaning(m)
            if error_of(m):
                text = f"not computed: {error_of(m)}"
            rows.append(
                [
                    f"`{m.name}`",
                    " ".join(filter(None, (fmt_value(m), fmt_interval(m)))),
                    _mark(m.status),
                    fmt_thresholds(m),
                    _cell(text),
                ]
            )
        lines += _table(["metric", "value", "status", "thresholds", "what it means"], rows)
        if fam == "fidelity" and "column_shapes" in report:
            lines += _column_scores(report["column_shapes"].details)
        if fam == "privacy" and modality == "image":
            lines += _nearest_pairs(report)
        if fam == "privacy" and modality == "text":
            lines += _shared_passages(report)

    if modality == "text":
        lines += _text_samples(report, meta)

    lines += ["## Run", ""]
    lines += _meta_lines(meta)
    return "\n".join(lines).rstrip() + "\n"


def _column_scores(details: dict[str, Any]) -> list[str]:
    columns = details.get("columns") if isinstance(details, dict) else None
    if not isinstance(columns, dict) or not columns:
        return []
    rows = []
    for col, d in sorted(columns.items(), key=lambda kv: _score_key(kv[1])):
        d = d if isinstance(d, dict) else {"score": d}
        rows.append([_cell(col), fmt_number(d.get("score")), _cell(d.get("method", ""))])
    return [
        "### Per-column shape scores (worst first)",
        "",
        *_table(["column", "score", "method"], rows),
    ]


def _nearest_pairs(report: Any) -> list[str]:
    """The closest synthetic / training image pairs of the memorisation check, as a table."""
    for name in ("image_exact_copies", "image_dcr"):
        if name in report and isinstance(report[name].details.get("nearest_pairs"), dict):
            pairs = report[name].details["nearest_pairs"]
            break
    else:
        return []
    rows = [
        [_cell(space), f"#{p.get('synthetic')}", f"#{p.get('real')}", fmt_number(p.get("distance"))]
        for space, items in pairs.items()
        if isinstance(items, list)
        for p in items
        if isinstance(p, dict)
    ]
    if not rows:
        return []
    return [
        "### Synthetic images closest to a training image",
        "",
        *_table(["space", "synthetic image", "nearest training image", "distance"], rows),
    ]


def _shared_passages(report: Any) -> list[str]:
    """The synthetic texts sharing the longest passages with a training text, as a table."""
    if "text_memorisation" not in report:
        return []
    pairs = report["text_memorisation"].details.get("closest_pairs")
    rows = [
        [
            _cell(_clip(p.get("synthetic_text", ""))),
            _cell(_clip(p.get("training_text", ""))),
            f"“{_cell(_clip(p.get('common', ''), 80))}”",
            fmt_number(p.get("char_ratio")),
        ]
        for p in (pairs if isinstance(pairs, list) else [])
        if isinstance(p, dict)
    ]
    if not rows:
        return []
    return [
        "### Longest passages shared with a training text",
        "",
        *_table(["synthetic text", "training text", "shared passage", "share of text"], rows),
    ]


def _text_samples(report: Any, meta: dict[str, Any]) -> list[str]:
    """A few real and synthetic texts per class, side by side (context → reply for dialogue)."""
    names = meta.get("text_columns") if isinstance(meta.get("text_columns"), dict) else {}
    frames = {"real": report.real_sample, "synthetic": report.synthetic_sample}
    per: dict[str, dict[str, list[str]]] = {}
    for which, frame in frames.items():
        if frame is None or getattr(frame, "empty", True):
            continue
        text_col = names.get("text") if names.get("text") in frame.columns else frame.columns[-1]
        label = names.get("label") if names.get("label") in frame.columns else None
        ctx = names.get("context") if names.get("context") in frame.columns else None
        for i in range(len(frame)):
            row = frame.iloc[i]
            text = _clip(row[text_col])
            if ctx is not None:
                text = f"{_clip(row[ctx], 80)} → {text}"
            key = str(row[label]) if label else ""
            per.setdefault(key, {}).setdefault(which, []).append(text)
    if not per:
        return []
    rows = []
    for key, sets in per.items():
        real, syn = sets.get("real", []), sets.get("synthetic", [])
        for j in range(max(len(real), len(syn))):
            cells = [_cell(key) if j == 0 else ""] if any(per) else []
            cells += [
                _cell(real[j]) if j < len(real) else "",
                _cell(syn[j]) if j < len(syn) else "",
            ]
            rows.append(cells)
    header = (["class"] if any(per) else []) + ["real", "synthetic"]
    return ["## Samples", "", *_table(header, rows)]


def _clip(text: Any, n: int = 200) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def _score_key(d: Any) -> float:
    score = d.get("score") if isinstance(d, dict) else d
    try:
        v = float(score)
    except (TypeError, ValueError):
        return float("inf")
    return v if v == v else float("inf")


def _meta_lines(meta: dict[str, Any]) -> list[str]:
    rows: list[list[Any]] = []
    for unit in ("rows", "images", "texts", "clips"):
        counts = meta.get(unit)
        if isinstance(counts, int) and not isinstance(counts, bool):
            counts = {"all": counts}
        for key, n in (counts if isinstance(counts, dict) else {}).items():
            if n is not None:
                rows.append([f"{unit} ({_cell(key)})", fmt_number(n)])
    if meta.get("columns"):
        rows.append(["columns", len(meta["columns"])])
    if meta.get("image_shape"):
        rows.append(["image shape", " × ".join(str(v) for v in meta["image_shape"])])
    if meta.get("classes"):
        rows.append(["classes", len(meta["classes"])])
    for key in (
        "target",
        "sensitive",
        "seed",
        "device",
        "image_resolution",
        "max_images",
        "kind",
        "text_embedder",
        "max_texts",
        "reference_model",
        "sample_rate",
        "duration",
        "max_clips",
        "task",
        "synthset_version",
    ):
        if meta.get(key) is not None:
            rows.append([key.replace("_", " "), _cell(meta[key])])
    dp = meta.get("differential_privacy")
    if isinstance(dp, dict):
        rows.append(["differential privacy", _cell(dp.get("guarantee") or dp_line(meta))])
        for column, src in dp_sources(meta):
            rows.append([f"DP preprocessing ({_cell(column)})", _cell(src)])
    seconds = meta.get("seconds") if isinstance(meta.get("seconds"), dict) else {}
    if seconds:
        total = sum(float(s) for s in seconds.values())
        rows.append(["seconds (all metrics)", f"{total:.1f}"])
        for name, s in seconds.items():
            rows.append([f"seconds: `{_cell(name)}`", f"{float(s):.2f}"])
    return _table(["", ""], rows) if rows else []


def _mark(status: str | None) -> str:
    return _STATUS_MARK.get(status or "", status_word(status))


def _cell(value: Any) -> str:
    """Make ``value`` safe inside a table cell: no pipes, no newlines, no raw HTML."""
    text = html.escape(str(value), quote=False)
    return " ".join(text.replace("|", "\\|").split())


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return [*out, ""]

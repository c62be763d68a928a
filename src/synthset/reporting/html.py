"""Report → one self-contained HTML page: inline CSS, figures as base64 PNGs, no JavaScript.

The page reads top to bottom: the verdict and a card per family, the score table
(``id="scores"``), then Fidelity, Utility and Privacy with their figures, a sample of real and
synthetic rows, and a footer with the run's meta and how to read the thresholds. A report on
images (``report.modality == "image"``) shows grids of real and synthetic images (a row per
class when labelled) instead of sample rows, a precision / recall / density / coverage chart and
a table per feature extractor for fidelity, and the synthetic images closest to a training image
beside that image for privacy. A report on texts (``report.modality == "text"``) shows a table
of real and synthetic texts per class, embedding and language-model scores beside their real
baselines, and the synthetic texts sharing the longest passages with a training text (sections
in :mod:`synthset.reporting.html_text`). A report on audio (``report.modality == "audio"``)
shows rows of clips, each a log-mel spectrogram above an ``<audio>`` player, the class-mean
spectra and loudness of real and synthetic clips, and the distances to the closest training
clip (sections in :mod:`synthset.reporting.html_audio`). Every string
that comes from the data or the report (column names, values, errors) goes through
:func:`html.escape`. A figure that cannot be drawn is replaced by a one-line note, so one odd
column never costs the whole page.
"""

from __future__ import annotations

import base64
import html
import struct
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from synthset.evaluation.base import FAMILIES, MetricResult
from synthset.reporting import plots
from synthset.reporting.glossary import (
    FAMILY_TITLES,
    HEADLINE,
    dp_line,
    dp_sources,
    error_of,
    family_question,
    fmt_direction,
    fmt_interval,
    fmt_number,
    fmt_thresholds,
    fmt_value,
    is_missing,
    meaning,
    overall_status,
    question_modality,
    rows_line,
    total_counts,
)

SAMPLE_ROWS = 10
MAX_COLUMN_PLOTS = 24
MAX_CELL_CHARS = 40
# Details drawn as figures or tables of their own; the generic details table skips them.
_DRAWN = {
    "roc",
    "histogram",
    "correlation",
    "association",
    "pairs",
    "error",
    "nearest_pairs",
    "copied_pairs",
    "prdc",
    "closest_pairs",
    "spectra",
}
GRID_IMAGES = 64  # images per sample grid (8 × 8) for unlabelled sets
PER_CLASS = 8  # images per class in the labelled grids
MAX_GRID_CLASSES = 20


def render_html(report: Any) -> str:
    """Render ``report`` as one self-contained HTML page.

    Args:
        report: a :class:`~synthset.evaluation.report.Report`.

    Returns:
        The page as a string: no external URL, no script; figures are inline PNGs.
    """
    summary = report.summary()
    meta = report.meta or {}
    families = [f for f in FAMILIES if report.family(f)]
    image = _is_image_report(report)
    text = getattr(report, "modality", None) == "text" or meta.get("modality") == "text"
    audio = getattr(report, "modality", None) == "audio" or meta.get("modality") == "audio"
    if text:
        from synthset.reporting import html_text
    if audio:
        from synthset.reporting import html_audio
    body = [
        _header(meta, families),
        _verdict(summary, _by_family(report.metrics)),
        _cards(report, summary),
        _score_table(report.metrics),
    ]
    if image:
        body.append(_image_samples(report, meta))
    elif text:
        body.append(html_text.text_samples(report, meta))
    elif audio:
        body.append(html_audio.audio_samples(report, meta))
    if report.family("fidelity"):
        if text:
            body.append(html_text.text_fidelity(report))
        elif audio:
            body.append(html_audio.audio_fidelity(report))
        else:
            body.append(_image_fidelity(report) if image else _fidelity(report, meta))
    if report.family("utility"):
        body.append(_utility(report))
    if report.family("privacy") or isinstance(meta.get("differential_privacy"), dict):
        if text:
            body.append(html_text.text_privacy(report))
        elif audio:
            body.append(html_audio.audio_privacy(report))
        else:
            body.append(_image_privacy(report) if image else _privacy(report))
    if not image and not text and not audio:
        body.append(_samples(report.real_sample, report.synthetic_sample))
    body.append(_footer(meta))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(_title(meta))}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(b for b in body if b)
        + "\n</main>\n</body>\n</html>\n"
    )


# --- small helpers ----------------------------------------------------------------------------
def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _title(meta: dict[str, Any]) -> str:
    if meta.get("modality") == "image":
        return "Synthetic image report"
    if meta.get("modality") == "text":
        return "Synthetic text report"
    if meta.get("modality") == "audio":
        return "Audio restoration report" if meta.get("task") else "Synthetic audio report"
    target = meta.get("target")
    return "Synthetic data report" + (f" (target: {target})" if target else "")


def _is_image_report(report: Any) -> bool:
    return (
        getattr(report, "modality", None) == "image"
        or (report.meta or {}).get("modality") == "image"
    )


def _pill(status: str | None) -> str:
    """A coloured badge: pass / warn / fail; ``none`` = no threshold, None = not computed."""
    if status in ("pass", "warn", "fail"):
        return f'<span class="pill {status}">{status}</span>'
    if status == "none":
        return '<span class="pill none" title="no threshold: for information">—</span>'
    return '<span class="pill none" title="not computed">n/a</span>'


def _metric_pill(m: MetricResult) -> str:
    return _pill(m.status or ("none" if not is_missing(m.value) else None))


def _img(png: bytes | None, alt: str) -> str:
    if not png:
        return ""
    data = base64.b64encode(png).decode("ascii")
    w, h = _png_size(png)
    return f'<img src="data:image/png;base64,{data}" width="{w}" height="{h}" alt="{_e(alt)}">'


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG header (IHDR comes first)."""
    return struct.unpack(">II", png[16:24])


def _figure(draw: Callable[[], bytes | None], alt: str, caption: str = "") -> str:
    """``<figure>`` with the PNG ``draw`` returns; a note when drawing fails, '' when no data."""
    try:
        png = draw()
    except Exception as exc:  # a renderer must not lose the page to one figure
        return f'<p class="note">Figure “{_e(alt)}” could not be drawn: {_e(exc)}</p>'
    if png is None:
        return ""
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    # As wide as the image (plus padding and border), so a long caption wraps beneath it.
    width = _png_size(png)[0] + 18
    return f'<figure style="max-width:{width}px">{_img(png, alt)}{cap}</figure>'


def _table(header: Iterable[str], rows: Iterable[Iterable[str]], *, attrs: str = "") -> str:
    """An HTML table; cells are inserted as given (escape them first)."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table{attrs}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _by_family(metrics: list[MetricResult]) -> list[MetricResult]:
    """Fidelity, then utility, then privacy (as the sections); computed order within each."""
    rank = {f: i for i, f in enumerate(FAMILIES)}
    return sorted(metrics, key=lambda m: rank.get(m.family, len(rank)))


def _details(metric: MetricResult) -> dict[str, Any]:
    return metric.details if isinstance(metric.details, dict) else {}


def _get(report: Any, name: str) -> MetricResult | None:
    return report[name] if name in report else None


# --- top of the page --------------------------------------------------------------------------
def _header(meta: dict[str, Any], families: list[str]) -> str:
    image = meta.get("modality") in ("image", "text", "audio")  # samples come first
    links = [("summary", "Summary"), ("score-table", "Scores")]
    if image:
        links.append(("samples", "Samples"))
    links += [(f, FAMILY_TITLES[f]) for f in families]
    if not image:
        links.append(("samples", "Sample rows"))
    links.append(("about", "How to read this"))
    nav = " · ".join(f'<a href="#{a}">{t}</a>' for a, t in links)
    sub = _e(rows_line(meta))
    if meta.get("target"):
        sub += f" · target <code>{_e(meta['target'])}</code>"
    if meta.get("columns"):
        sub += f" · {len(meta['columns'])} columns"
    if isinstance(meta.get("image_shape"), list) and len(meta["image_shape"]) == 3:
        h, w, c = meta["image_shape"]
        sub += f" · {_e(h)}×{_e(w)} {'grey' if c == 1 else 'RGB'}"
    if meta.get("kind") == "dialogue":
        sub += " · dialogue pairs (replies evaluated)"
    if meta.get("modality") == "audio" and meta.get("sample_rate"):
        sub += f" · {_e(fmt_number(meta['sample_rate']))} Hz"
        if meta.get("duration"):
            sub += f", {_e(fmt_number(meta['duration']))} s clips"
    if isinstance(meta.get("classes"), list):
        sub += f" · {len(meta['classes'])} classes"
    if dp_line(meta):
        sub += f" · {_e(dp_line(meta))}"
    return f'<header><h1>{_e(_title(meta))}</h1><p class="sub">{sub}</p><nav>{nav}</nav></header>'


def _verdict(summary: dict[str, dict[str, Any]], metrics: list[MetricResult]) -> str:
    overall = overall_status(summary)
    counts = total_counts(summary)
    judged = counts["pass"] + counts["warn"] + counts["fail"]
    headline = {
        "pass": "Every judged metric passes its threshold.",
        "warn": "No metric fails, but some are only in the warning band.",
        "fail": "Some metrics fail their threshold.",
        None: "No metric has a threshold to judge it against.",
    }[overall]
    parts = [f"{counts['pass']} pass", f"{counts['warn']} warn", f"{counts['fail']} fail"]
    detail = f"{judged} of {len(metrics)} metrics judged: " + ", ".join(parts) + "."
    worst = [m for m in metrics if m.status == "fail"] or [m for m in metrics if m.status == "warn"]
    if worst:
        names = ", ".join(f"<code>{_e(m.name)}</code> ({fmt_value(m)})" for m in worst[:6])
        detail += f" {'Failing' if worst[0].status == 'fail' else 'Warning'}: {names}."
    missing = [m for m in metrics if is_missing(m.value)]
    if missing:
        detail += " Not computed: " + ", ".join(f"<code>{_e(m.name)}</code>" for m in missing)
        detail += "."
    return (
        f'<section id="summary" class="verdict {overall or "none"}">'
        f"<div>{_pill(overall or 'none')}</div>"
        f'<div><p class="big">{headline}</p><p>{detail}</p></div>'
        "</section>"
    )


def _cards(report: Any, summary: dict[str, dict[str, Any]]) -> str:
    cards = []
    asked = question_modality(report.meta, report.modality)
    for fam, s in summary.items():
        metrics = report.family(fam)
        chosen = [m for n in HEADLINE.get(fam, ()) for m in metrics if m.name == n]
        chosen = (chosen or metrics)[:3]
        lines = "".join(
            f"<li><span>{_e(m.name)}</span><b>{fmt_value(m)}</b>{_metric_pill(m)}</li>"
            for m in chosen
        )
        cards.append(
            f'<a class="card" href="#{fam}"><h3>{FAMILY_TITLES.get(fam, _e(fam))} '
            f"{_pill(s.get('status') or 'none')}</h3>"
            f'<p class="q">{_e(family_question(fam, asked))}</p><ul>{lines}</ul>'
            f'<p class="counts">{s["pass"]} pass · {s["warn"]} warn · {s["fail"]} fail'
            f" of {s.get('n', len(metrics))}</p></a>"
        )
    return f'<div class="cards">{"".join(cards)}</div>' if cards else ""


def _score_table(metrics: list[MetricResult]) -> str:
    rows = []
    for m in _by_family(metrics):
        what = _e(meaning(m))
        if error_of(m):
            what = f'<span class="err">not computed: {_e(error_of(m))}</span>'
        rows.append(
            [
                f"<code>{_e(m.name)}</code>",
                _e(FAMILY_TITLES.get(m.family, m.family)),
                f'<span class="num">{fmt_value(m)}</span>'
                + (
                    f'<br><span class="dim">95% CI {fmt_interval(m)}</span>'
                    if fmt_interval(m)
                    else ""
                ),
                _metric_pill(m),
                f'{_e(fmt_thresholds(m))}<br><span class="dim">{fmt_direction(m)}</span>',
                f'<span class="dim">{what}</span>',
            ]
        )
    table = _table(
        ["metric", "family", "value", "status", "threshold", "what it means"],
        rows,
        attrs=' id="scores"',
    )
    return f'<section id="score-table"><h2>Scores</h2>{table}</section>'


# --- fidelity ---------------------------------------------------------------------------------
def _fidelity(report: Any, meta: dict[str, Any]) -> str:
    parts = [_family_head("fidelity")]
    parts.append(_column_section(report, meta))
    trends = _get(report, "pair_trends")
    if trends is not None:
        d = _details(trends)
        figs = []
        if isinstance(d.get("correlation"), dict):
            figs.append(
                _figure(
                    lambda: plots.correlation_plot(d["correlation"], title="Pearson"),
                    "Pearson correlation of the numeric columns: real, synthetic, difference",
                    "Pearson correlation between numeric columns; the right panel is the absolute "
                    "difference (0 = same trend).",
                )
            )
        if isinstance(d.get("association"), dict):
            figs.append(
                _figure(
                    lambda: plots.correlation_plot(d["association"], title="Association"),
                    "Association between every pair of columns: real, synthetic, difference",
                    "Strength of association between every pair of columns (|Pearson| or "
                    "Cramér's V).",
                )
            )
        if any(figs):
            parts.append(f'<h3>Pair trends</h3><div class="row">{"".join(figs)}</div>')
        parts.append(_worst_pairs(d.get("pairs")))
    det = _get(report, "detection")
    if det is not None:
        d = _details(det)
        auc = d.get("auc")
        fig = ""
        if isinstance(d.get("roc"), dict):
            fig = _figure(
                lambda: plots.roc_plot(d["roc"], auc=auc, title="Real vs synthetic"),
                "ROC curve of the real-vs-synthetic classifier",
                "A classifier's ROC curve at telling synthetic from real rows; the closer to "
                "the diagonal, the better the synthetic data.",
            )
        text = f"<p>Detection score <b>{fmt_value(det)}</b> {_metric_pill(det)}"
        if auc is not None:
            text += f" — classifier ROC AUC {fmt_number(auc)} (0.5 = cannot tell them apart)"
        parts.append(f'<h3>Detection</h3><div class="row">{fig}<div>{text}.</p></div></div>')
    others = [
        m
        for m in report.family("fidelity")
        if m.name not in ("column_shapes", "pair_trends", "detection")
    ]
    parts.append(_details_blocks(others, open_=False))
    return _section("fidelity", parts)


def _column_section(report: Any, meta: dict[str, Any]) -> str:
    real, syn = report.real_sample, report.synthetic_sample
    shapes = _get(report, "column_shapes")
    scores = _details(shapes).get("columns") if shapes is not None else None
    scores = scores if isinstance(scores, dict) else {}
    if not isinstance(real, pd.DataFrame) or not isinstance(syn, pd.DataFrame):
        return _column_score_table(scores, open_=True)
    names = [c for c in real.columns if c in syn.columns]
    # Worst-scoring columns first: they are what a reader should look at.
    names.sort(key=lambda c: _score_of(scores.get(str(c), scores.get(c))))
    kinds = meta.get("kinds") if isinstance(meta.get("kinds"), dict) else {}
    formats = meta.get("datetime_formats")
    formats = formats if isinstance(formats, dict) else {}
    figs = []
    for name in names:
        if len(figs) >= MAX_COLUMN_PLOTS:
            break
        kind = kinds.get(name) or plots.guess_kind(real[name])
        if kind == "id":
            continue
        s = scores.get(str(name), scores.get(name))
        cap = _e(kind)
        if s is not None:
            method = s.get("method", "") if isinstance(s, dict) else ""
            cap += f" · score {fmt_number(_score_of(s, None))}"
            cap += f" ({_e(str(method).upper())})" if method else ""
        fig = _figure(
            lambda name=name, kind=kind: plots.column_plot(
                real[name], syn[name], kind, title=str(name), date_format=formats.get(name)
            ),
            f"Real vs synthetic distribution of {name}",
            cap,
        )
        if fig:
            figs.append(fig)
    shown = len(figs)
    note = ""
    if len(names) > shown:
        note = f'<p class="note">Showing {shown} of {len(names)} columns, worst score first.</p>'
    legend = (
        '<p class="legend"><span class="sw real"></span>real <span class="sw syn"></span>'
        f"synthetic · {len(real):,} vs {len(syn):,} sampled rows"
        + (" · sorted by score, worst first" if scores else "")
        + "</p>"
    )
    grid = f'<div class="grid">{"".join(figs)}</div>' if figs else ""
    return (
        "<h3>Column distributions</h3>"
        + legend
        + grid
        + note
        + _column_score_table(scores, open_=False)
    )


def _score_of(d: Any, default: float | None = float("inf")) -> float | None:
    score = d.get("score") if isinstance(d, dict) else d
    try:
        v = float(score)
    except (TypeError, ValueError):
        return default
    return default if v != v else v


def _column_score_table(scores: dict[str, Any], *, open_: bool) -> str:
    if not scores:
        return ""
    rows = []
    for col, d in sorted(scores.items(), key=lambda kv: _score_of(kv[1])):
        method = d.get("method", "") if isinstance(d, dict) else ""
        rows.append([_e(col), fmt_number(_score_of(d, None)), _e(method)])
    table = _table(["column", "score", "method"], rows, attrs=' class="compact"')
    return _disclosure(f"Per-column shape scores ({len(rows)} columns)", table, open_)


def _worst_pairs(pairs: Any, n: int = 10) -> str:
    if not isinstance(pairs, dict) or not pairs:
        return ""
    items = sorted(pairs.items(), key=lambda kv: _score_of(kv[1]))[:n]
    rows = []
    for key, d in items:
        a, _, b = str(key).partition("|")
        method = d.get("method", "") if isinstance(d, dict) else ""
        rows.append([_e(a), _e(b), fmt_number(_score_of(d, None)), _e(method)])
    table = _table(["column", "column", "score", "method"], rows, attrs=' class="compact"')
    return _disclosure(f"The {len(rows)} least similar column pairs", table, False)


# --- utility ----------------------------------------------------------------------------------
def _utility(report: Any) -> str:
    parts = [_family_head("utility", getattr(report, "modality", "table"))]
    table = _utility_table(report)
    parts.append(table)
    lines = []
    for m in report.family("utility"):
        text = _e(meaning(m))
        if error_of(m):
            text = f'<span class="err">not computed: {_e(error_of(m))}</span>'
        lines.append(
            f"<li><code>{_e(m.name)}</code> <b>{fmt_value(m)}</b> {_metric_pill(m)} "
            f'<span class="dim">{text}</span></li>'
        )
    parts.append(f'<ul class="plain">{"".join(lines)}</ul>')
    parts.append(_details_blocks(report.family("utility"), open_=not table))
    return _section("utility", parts)


def _utility_table(report: Any) -> str:
    """Downstream scores per scorer: trained on real, on synthetic, on real + synthetic."""
    columns: dict[str, dict[str, Any]] = {}
    info: dict[str, Any] = {}
    tstr = (
        _get(report, "tstr")
        or _get(report, "cas")
        or _get(report, "text_cas")
        or _get(report, "cas_audio")
    )
    aug = (
        _get(report, "augmentation_gain")
        or _get(report, "text_augmentation_gain")
        or _get(report, "augmentation_gain_audio")
    )
    if tstr is not None:
        info = _details(tstr)
        columns["trained on real (TRTR)"] = _score_stats(info.get("trtr"))
        columns["trained on synthetic (TSTR)"] = _score_stats(info.get("tstr"))
    if aug is not None:
        d = _details(aug)
        info = info or d
        if not columns.get("trained on real (TRTR)"):
            columns["trained on real (TRTR)"] = _score_stats(d.get("real"))
        columns["trained on real + synthetic"] = _score_stats(d.get("real+synthetic"))
    columns = {k: v for k, v in columns.items() if v}
    if not columns:
        return ""
    main = info.get("score")
    scorers: list[str] = []
    for stats in columns.values():
        scorers += [k for k in stats if k not in scorers]
    rows = []
    for scorer in scorers:
        name = f"<b>{_e(scorer)}</b> (headline)" if scorer == main else _e(scorer)
        rows.append([name] + [_mean_std(stats.get(scorer)) for stats in columns.values()])
    caption = []
    if info.get("task"):
        caption.append(f"{_e(info['task'])}")
    if info.get("test"):
        rows_ = info.get("test_rows")
        caption.append(
            f"tested on {fmt_number(rows_) + ' ' if rows_ else ''}{_e(info['test'])} "
            f"{_e(info.get('test_unit', 'rows'))}"
        )
    if isinstance(info.get("seeds"), list):
        caption.append(f"mean ± std over seeds {_e(', '.join(map(str, info['seeds'])))}")
    note = f'<p class="dim">{" · ".join(caption)}</p>' if caption else ""
    return (
        "<h3>Train on synthetic, test on real</h3>"
        + _table(["score", *columns], rows, attrs=' class="utility"')
        + note
    )


def _score_stats(value: Any) -> dict[str, Any]:
    """``{scorer: {"mean", "std", ...}}`` from a details entry (a number becomes ``score``)."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items() if isinstance(v, dict) and "mean" in v}
    if _is_number(value):
        return {"score": {"mean": value}}
    return {}


def _mean_std(stats: Any) -> str:
    if not isinstance(stats, dict):
        return "—"
    text = fmt_number(stats.get("mean"))
    if stats.get("std") is not None and not is_missing(stats.get("std")):
        std = float(stats["std"])
        spread = f"{std:.3f}" if std >= 0.0005 else "< 0.001"
        text += f' <span class="dim">± {spread}</span>'
    return f'<span class="num">{text}</span>'


def _first(d: dict[str, Any], keys: Iterable[str]) -> Any:
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return None


# --- privacy ----------------------------------------------------------------------------------
def _dp_block(meta: dict[str, Any]) -> str:
    """The differential-privacy guarantee and what its preprocessing paid for."""
    dp = meta.get("differential_privacy")
    if not isinstance(dp, dict):
        return ""
    if not dp.get("dp"):
        return (
            "<p><b>Differential privacy:</b> none — the synthesizer was trained without DP, so "
            "only the measured risks below speak for these data.</p>"
        )
    text = f"<p><b>Differential privacy:</b> {_e(dp.get('guarantee') or dp_line(meta))}."
    bits = []
    for key, label in (
        ("noise_multiplier", "noise multiplier"),
        ("max_grad_norm", "clip bound"),
        ("steps", "steps"),
        ("sample_rate", "sample rate"),
    ):
        if dp.get(key) is not None:
            bits.append(f"{label} {_e(fmt_number(dp[key]))}")
    if dp.get("private_networks"):
        bits.append("private networks: " + _e(", ".join(map(str, dp["private_networks"]))))
    pre = dp.get("preprocessing") or {}
    if pre.get("epsilon_alone") is not None:
        bits.append(f"preprocessing alone: ε = {_e(fmt_number(pre['epsilon_alone']))}")
    if bits:
        text += " " + " · ".join(bits) + "."
    text += "</p>"
    rows = [[_e(c), _e(src)] for c, src in dp_sources(meta)]
    if rows:
        text += _details_html(
            "What the preprocessing declared public and what it paid for",
            _table(["column", "source"], rows)
            + (f"<p>{_e(pre['public'])}.</p>" if pre.get("public") else ""),
        )
    return text


def _details_html(summary: str, body: str) -> str:
    return f"<details><summary>{_e(summary)}</summary>{body}</details>"


def _privacy(report: Any) -> str:
    parts = [_family_head("privacy"), _dp_block(report.meta or {})]
    figs = []
    dcr = _get(report, "dcr")
    if dcr is not None and isinstance(_details(dcr).get("histogram"), dict):
        hist = _details(dcr)["histogram"]
        figs.append(
            _figure(
                lambda: plots.distance_histogram_plot(hist),
                "Distance to the closest training row: synthetic vs holdout",
                "Distance from each synthetic row, and from each unseen holdout row, to its "
                "closest training row. Synthetic rows piled up near 0, left of the holdout curve, "
                "are copies or near-copies.",
            )
        )
    mia = _get(report, "membership_inference")
    if mia is not None and isinstance(_details(mia).get("roc"), dict):
        roc, auc = _details(mia)["roc"], _details(mia).get("auc", mia.value)
        figs.append(
            _figure(
                lambda: plots.roc_plot(roc, auc=auc, title="Membership inference"),
                "ROC curve of the membership-inference attack",
                "An attacker's ROC curve at telling training rows from unseen rows by their "
                "distance to the synthetic data; the diagonal means it learns nothing.",
            )
        )
    if any(figs):
        parts.append(f'<div class="row">{"".join(figs)}</div>')
    copies = _get(report, "exact_copies")
    if copies is not None:
        d = _details(copies)
        n = _first(d, ("count", "n_copies", "copies"))
        text = f"Exact copies of training rows: <b>{fmt_value(copies)}</b>"
        if n is not None and not isinstance(n, (list, dict)):
            text += f" ({fmt_number(n)} rows)"
        base = d.get("holdout_share")
        if base is not None and not is_missing(base):
            text += (
                f"; baseline: {fmt_number(base)} of unseen holdout rows also equal a training row"
            )
        parts.append(f"<p>{text} {_metric_pill(copies)}</p>")
    parts.append(_details_blocks(report.family("privacy"), open_=False))
    return _section("privacy", parts)


# --- images -----------------------------------------------------------------------------------
def _px_img(pixels: Any, alt: str, *, nrow: int, scale: int | None = None) -> str:
    """An inline PNG grid of uint8 images, upscaled without blur."""
    from synthset.reporting.images import image_grid_png

    png = image_grid_png(pixels, nrow=nrow, padding=1, scale=scale)
    return _img(png, alt).replace("<img ", '<img class="px" ', 1)


def _scale(images: Any, target: int = 40) -> int:
    from synthset.reporting.images import display_scale

    h, w = images.pixels.shape[1:3]
    return display_scale(h, w, target)


def _pick(n_total: int, n: int, seed: int, candidates: Any = None) -> Any:
    """Sorted positions of a seeded choice of at most ``n`` items (of ``candidates``)."""
    import numpy as np

    pool = np.arange(n_total) if candidates is None else np.asarray(candidates)
    if len(pool) <= n:
        return pool
    return np.sort(np.random.default_rng(seed).choice(pool, n, replace=False))


def _image_samples(report: Any, meta: dict[str, Any]) -> str:
    real, syn = report.real_images, report.synthetic_images
    head = '<section id="samples"><h2>Samples</h2>'
    if real is None or syn is None:
        return head + '<p class="note">The images are not stored with this report.</p></section>'
    seed = int(meta.get("seed") or 0)
    scale = _scale(real)
    classes = real.spec.classes or []
    labelled = bool(classes) and real.labels is not None and syn.labels is not None
    try:
        if not labelled:
            boxes = []
            for title, data in (("Real", real), ("Synthetic", syn)):
                pos = _pick(len(data), GRID_IMAGES, seed)
                fig = _px_img(data.pixels[pos], f"{title} images", nrow=8, scale=scale)
                boxes.append(
                    f"<figure>{fig}<figcaption>{title}: {len(pos)} of {len(data):,} images, "
                    "chosen at random</figcaption></figure>"
                )
            return (
                head + '<p class="q">Random real and synthetic images side by side.</p>'
                f'<div class="row">{"".join(boxes)}</div></section>'
            )
        rows = []
        real_counts = real.class_counts()
        syn_counts = syn.class_counts()
        for k, name in enumerate(classes[:MAX_GRID_CLASSES]):
            cells = [f"<b>{_e(name)}</b>"]
            for data in (real, syn):
                members = (data.labels == k).nonzero()[0]
                if len(members) == 0:
                    cells.append('<span class="dim">none</span>')
                    continue
                pos = _pick(len(data), PER_CLASS, seed + k, members)
                cells.append(_px_img(data.pixels[pos], f"{name}", nrow=PER_CLASS, scale=scale))
            cells.append(
                f'<span class="num">{fmt_number(real_counts.get(name, 0))}</span> / '
                f'<span class="num">{fmt_number(syn_counts.get(name, 0))}</span>'
            )
            rows.append(cells)
        table = _table(
            ["class", "real", "synthetic", "images real / synthetic"],
            rows,
            attrs=' class="classes"',
        )
        note = ""
        if len(classes) > MAX_GRID_CLASSES:
            note = f'<p class="note">Showing {MAX_GRID_CLASSES} of {len(classes)} classes.</p>'
        return (
            head + f'<p class="q">{PER_CLASS} random real and synthetic images of each class.</p>'
            f'<div class="scroll">{table}</div>{note}</section>'
        )
    except Exception as exc:  # the page must survive odd images
        return (
            head + f'<p class="note">The sample grids could not be drawn: {_e(exc)}</p></section>'
        )


_EXTRACTOR_TITLES = {"imagenet": "ImageNet (EfficientNet-Lite0)", "domain": "domain classifier"}
_FEATURE_ROWS = ("fid", "kid", "precision", "recall", "density", "coverage")


def _image_fidelity(report: Any) -> str:
    parts = [_family_head("fidelity", image=True)]
    extractors = [
        e
        for e in _EXTRACTOR_TITLES
        if any(m.name.endswith(f"_{e}") for m in report.family("fidelity"))
    ]
    values, baselines = {}, {}
    for ext in extractors:
        for name in ("precision", "recall", "density", "coverage"):
            m = _get(report, f"{name}_{ext}")
            if m is None:
                continue
            d = _details(m)
            if isinstance(d.get("prdc"), dict):
                values[_EXTRACTOR_TITLES[ext]] = d["prdc"]
            if isinstance(d.get("baseline"), dict):
                baselines[_EXTRACTOR_TITLES[ext]] = d["baseline"]
            break
    if values:
        parts.append(
            _figure(
                lambda: plots.prdc_plot(values, baselines or None),
                "Precision, recall, density and coverage of the synthetic images per feature space",
                "Precision and density: do synthetic images fall where real images are? Recall "
                "and coverage: do they reach all the variety of the real images? Black ticks: "
                "what unseen real images score (k = 5 nearest neighbours).",
            )
        )
    parts.append(_feature_table(report, extractors))
    parts.append(_details_blocks(report.family("fidelity"), open_=False))
    return _section("fidelity", parts)


def _feature_table(report: Any, extractors: list[str]) -> str:
    """Per extractor: each metric for the synthetic images and for unseen real images."""
    if not extractors:
        return ""
    header = ["metric"]
    for ext in extractors:
        header += [f"{_e(_EXTRACTOR_TITLES[ext])}: synthetic", "unseen real"]
    rows = []
    for base in _FEATURE_ROWS:
        row = [f"<code>{_e(base)}</code>"]
        present = False
        for ext in extractors:
            m = _get(report, f"{base}_{ext}")
            if m is None:
                row += ["—", "—"]
                continue
            present = True
            d = _details(m)
            ref = d.get("baseline")
            if isinstance(ref, dict) and base in ("precision", "recall", "density", "coverage"):
                ref = ref.get(base)
            elif isinstance(ref, dict):
                ref = ref.get("mean")
            text = f"{fmt_value(m)} {_metric_pill(m)}"
            # every subset is the whole set when there are few images: no spread to show
            if base == "kid" and _is_number(d.get("std")) and float(d["std"]) > 1e-12:
                text = f'{fmt_value(m)} <span class="dim">± {fmt_number(d["std"])}</span>'
            row += [f'<span class="num">{text}</span>', fmt_number(ref)]
        if present:
            rows.append(row)
    notes = []
    for ext in extractors:
        m = next((m for m in report.family("fidelity") if m.name.endswith(f"_{ext}")), None)
        d = _details(m) if m is not None else {}
        bits = []
        if d.get("resolution"):
            bits.append(f"images resized to {_e(d['resolution'])} × {_e(d['resolution'])}")
        if d.get("task"):
            task = "its classes" if d["task"] == "classes" else "rotations (no labels)"
            bits.append(f"trained on the real images to predict {task}")
        if d.get("held_out_accuracy") is not None:
            bits.append(f"held-out accuracy {fmt_number(d['held_out_accuracy'])}")
        if d.get("baseline_source"):
            bits.append(f"unseen real = {_e(d['baseline_source'])}")
        if isinstance(d.get("images"), dict):
            bits.append(
                ", ".join(f"{fmt_number(v)} {_e(k)}" for k, v in d["images"].items()) + " images"
            )
        if bits:
            notes.append(f"<li><b>{_e(_EXTRACTOR_TITLES[ext])}</b>: {'; '.join(bits)}.</li>")
    return (
        "<h3>Feature-space scores</h3>"
        + _table(header, rows, attrs=' class="compact"')
        + (f'<ul class="dim">{"".join(notes)}</ul>' if notes else "")
    )


_SPACE_TITLES = {"pixel": "in pixels", "feature": "in ImageNet features"}


def _image_privacy(report: Any) -> str:
    parts = [_family_head("privacy", image=True), _dp_block(report.meta or {})]
    dcr = _get(report, "image_dcr")
    if dcr is not None and isinstance(_details(dcr).get("histogram"), dict):
        figs = []
        for space, hist in _details(dcr)["histogram"].items():
            if not isinstance(hist, dict):
                continue
            title = f"Distance to the nearest training image {_SPACE_TITLES.get(space, space)}"
            figs.append(
                _figure(
                    lambda hist=hist, title=title: plots.distance_histogram_plot(
                        hist, title=title, unit="image"
                    ),
                    title,
                    "Synthetic images piled up near 0, left of the holdout curve, are copies or "
                    "near-copies of training images.",
                )
            )
        if any(figs):
            parts.append(f'<div class="row">{"".join(figs)}</div>')
    copies = _get(report, "image_exact_copies")
    if copies is not None:
        d = _details(copies)
        text = f"Exact copies of training images: <b>{fmt_value(copies)}</b>"
        if d.get("count") is not None:
            text += f" ({fmt_number(d['count'])} images)"
        if d.get("holdout_share") is not None:
            text += (
                f"; baseline: {fmt_number(d['holdout_share'])} of unseen holdout images also "
                "equal a training image"
            )
        parts.append(f"<p>{text} {_metric_pill(copies)}</p>")
    pairs_from = next(
        (
            _details(m)["nearest_pairs"]
            for m in (copies, dcr)
            if m is not None and isinstance(_details(m).get("nearest_pairs"), dict)
        ),
        None,
    )
    parts.append(_nearest_pairs(report, pairs_from))
    parts.append(_details_blocks(report.family("privacy"), open_=False))
    return _section("privacy", parts)


def _nearest_pairs(report: Any, pairs: dict[str, Any] | None) -> str:
    real, syn = report.real_images, report.synthetic_images
    if not pairs or real is None or syn is None:
        return ""
    import numpy as np

    blocks = []
    scale = _scale(real, 48)
    for space, items in pairs.items():
        if not isinstance(items, list) or not items:
            continue
        try:
            s_pos = np.array([int(p["synthetic"]) for p in items])
            r_pos = np.array([int(p["real"]) for p in items])
            dist = [p.get("distance") for p in items]
            top = [
                _px_img(syn.pixels[i : i + 1], f"synthetic image {i}", nrow=1, scale=scale)
                for i in s_pos
            ]
            bottom = [
                _px_img(real.pixels[j : j + 1], f"training image {j}", nrow=1, scale=scale)
                for j in r_pos
            ]
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            blocks.append(f'<p class="note">Pairs {_e(space)} could not be drawn: {_e(exc)}</p>')
            continue
        rows = [
            ["synthetic", *top],
            ["nearest training", *bottom],
            ["distance", *(fmt_number(v) for v in dist)],
            [
                "positions",
                *(
                    f'<span class="dim">#{i} ↔ #{j}</span>'
                    for i, j in zip(s_pos, r_pos, strict=True)
                ),
            ],
        ]
        table = _table([""] * (len(items) + 1), rows, attrs=' class="pairs"')
        title = _e(_SPACE_TITLES.get(space, space))
        blocks.append(f'<h3>Closest pairs {title}</h3><div class="scroll">{table}</div>')
    if not blocks:
        return ""
    return (
        '<p class="q">The synthetic images closest to a training image, each above that '
        "training image: look for copies.</p>" + "".join(blocks)
    )


# --- generic details --------------------------------------------------------------------------
def _details_blocks(metrics: list[MetricResult], *, open_: bool) -> str:
    blocks = []
    for m in metrics:
        body = _details_table(_details(m))
        if body:
            title = f"<code>{_e(m.name)}</code> {fmt_value(m)} — details"
            blocks.append(_disclosure(title, body, open_))
    return "".join(blocks)


def _details_table(d: dict[str, Any]) -> str:
    """Scalars, short lists and dicts of scalars from ``details`` as tables; the rest skipped."""
    out = []
    scalars = []
    for key, value in d.items():
        if key in _DRAWN:
            continue
        if key == "columns" and isinstance(value, dict):
            out.append(_nested_table(value, first="column"))
        elif isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            out.append(f'<p class="dim">{_e(key)}</p>' + _nested_table(value, first=""))
        elif isinstance(value, dict):
            scalars += [(f"{key}: {k}", v) for k, v in value.items() if not isinstance(v, dict)]
        else:
            scalars.append((key, value))
    if scalars:
        rows = [[_e(k), _summarise(v)] for k, v in scalars]
        out.insert(0, _table(["", ""], rows, attrs=' class="compact kv"'))
    return "".join(out)


def _nested_table(d: dict[str, Any], *, first: str) -> str:
    keys: list[str] = []
    for sub in d.values():
        if isinstance(sub, dict):
            keys += [k for k in sub if k not in keys]
    if "score" in keys:
        keys.remove("score")
        keys.insert(0, "score")
    items = list(d.items())
    if "score" in keys:
        items.sort(key=lambda kv: _score_of(kv[1]))
    rows = [
        [_e(name)] + [_summarise(sub.get(k)) if isinstance(sub, dict) else "" for k in keys]
        for name, sub in items
    ]
    return _table([_e(first)] + [_e(k) for k in keys], rows, attrs=' class="compact"')


def _summarise(value: Any) -> str:
    """A value as short escaped text: numbers formatted, short lists listed, long ones summed up."""
    if value is None:
        return "—"
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        seq = value.tolist() if hasattr(value, "tolist") else list(value)
        if not isinstance(seq, list):
            return fmt_number(seq) if _is_number(seq) else _e(seq)
        if all(_is_number(x) for x in seq):
            if len(seq) <= 4:
                return ", ".join(fmt_number(x) for x in seq)
            s = pd.Series(seq, dtype=float)
            return f"{fmt_number(s.mean())} ± {fmt_number(s.std())} (n={len(seq)})"
        return _e(_clip(", ".join(str(x) for x in seq[:6]) + (" …" if len(seq) > 6 else "")))
    if isinstance(value, dict):
        return _e(_clip(", ".join(f"{k}: {v}" for k, v in list(value.items())[:6])))
    if _is_number(value):
        return fmt_number(value)
    return _e(_clip(str(value)))


def _is_number(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    return isinstance(x, (int, float)) or getattr(getattr(x, "dtype", None), "kind", "") in (
        "i",
        "u",
        "f",
    )


def _clip(text: str, n: int = 120) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _disclosure(summary_html: str, body: str, open_: bool) -> str:
    return f"<details{' open' if open_ else ''}><summary>{summary_html}</summary>{body}</details>"


def _family_head(fam: str, image: bool | str = False) -> str:
    """The family's title and question; ``image`` is True for images, or the modality."""
    modality = image if isinstance(image, str) else "image" if image else "table"
    question = family_question(fam, modality)
    return f'<h2>{FAMILY_TITLES[fam]}</h2><p class="q">{_e(question)}</p>'


def _section(fam: str, parts: list[str]) -> str:
    return f'<section id="{fam}">' + "".join(p for p in parts if p) + "</section>"


# --- sample rows and footer -------------------------------------------------------------------
def _samples(real: pd.DataFrame | None, synthetic: pd.DataFrame | None) -> str:
    boxes = []
    for title, df in (("Real rows", real), ("Synthetic rows", synthetic)):
        if not isinstance(df, pd.DataFrame) or df.empty:
            continue
        head = df.head(SAMPLE_ROWS)
        rows = [[_cell(v) for v in row] for row in head.itertuples(index=False, name=None)]
        table = _table([_e(c) for c in head.columns], rows, attrs=' class="sample"')
        boxes.append(f'<div class="box"><h3>{title}</h3><div class="scroll">{table}</div></div>')
    if not boxes:
        return ""
    return (
        '<section id="samples"><h2>Sample rows</h2><p class="q">'
        f"{SAMPLE_ROWS} random rows of each set, as stored.</p>"
        f'<div class="pair">{"".join(boxes)}</div></section>'
    )


def _cell(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value) is True):
        return '<span class="dim">—</span>'
    if isinstance(value, float):
        return fmt_number(value) if abs(value) < 1e6 else f"{value:.4g}"
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return _e(value.date().isoformat())
    return _e(_clip(str(value), MAX_CELL_CHARS))


def _footer(meta: dict[str, Any]) -> str:
    rows = [
        [f"{unit} ({_e(k)})", fmt_number(n)]
        for unit in ("rows", "images", "texts", "clips")
        for k, n in (meta.get(unit) if isinstance(meta.get(unit), dict) else {}).items()
        if n is not None
    ]
    for key in (
        "target",
        "seed",
        "device",
        "image_resolution",
        "max_images",
        "text_embedder",
        "max_texts",
        "reference_model",
        "sample_rate",
        "max_clips",
        "synthset_version",
    ):
        if meta.get(key) is not None:
            rows.append([_e(key.replace("_", " ")), _e(meta[key])])
    seconds = meta.get("seconds") if isinstance(meta.get("seconds"), dict) else {}
    if seconds:
        total = sum(float(s) for s in seconds.values())
        rows.append(["seconds (all metrics)", f"{total:.1f}"])
    run = _table(["run", ""], rows, attrs=' class="compact kv"') if rows else ""
    timing = ""
    if seconds:
        timing = _table(
            ["metric", "seconds"],
            [[f"<code>{_e(k)}</code>", f"{float(v):.2f}"] for k, v in seconds.items()],
            attrs=' class="compact kv"',
        )
    return (
        '<footer id="about"><h2>How to read this</h2>'
        "<p>Each metric is judged against two documented thresholds in its own direction: "
        f"{_pill('pass')} at or beyond the pass threshold, {_pill('warn')} between the two, "
        f"{_pill('fail')} short of the warning threshold. {_pill('none')} marks a "
        f"metric without thresholds, shown for information, and {_pill(None)} one that could "
        "not be computed (the score table says why). The thresholds are rules of thumb, not "
        "guarantees: read them together with the figures.</p>"
        + _guide(meta)
        + f'<div class="pair">{run}{timing}</div>'
        f'<p class="dim">Made by synthset {_e(meta.get("synthset_version", ""))}.</p></footer>'
    )


def _guide(meta: dict[str, Any]) -> str:
    if meta.get("modality") == "text":
        from synthset.reporting.html_text import TEXT_GUIDE

        return TEXT_GUIDE
    if meta.get("modality") == "audio":
        from synthset.reporting.html_audio import AUDIO_GUIDE

        return AUDIO_GUIDE
    return _IMAGE_GUIDE if meta.get("modality") == "image" else _TABLE_GUIDE


_TABLE_GUIDE = (
    "<ul><li><b>Fidelity</b> compares the synthetic rows with the training rows: one column "
    "at a time, pairs of columns, and all columns at once through a classifier.</li>"
    "<li><b>Utility</b> trains the same model on synthetic and on real rows and scores both "
    "on real rows the synthesizer never saw (the holdout).</li>"
    "<li><b>Privacy</b> measures how close synthetic rows lie to the training rows, using "
    "the holdout rows as the baseline of what unseen data from the same population looks "
    "like. Synthetic rows much closer than holdout rows suggest memorisation.</li></ul>"
)
_IMAGE_GUIDE = (
    "<ul><li><b>Fidelity</b> compares synthetic and real images through two feature "
    "extractors: an ImageNet network (EfficientNet-Lite0) and a small classifier trained on the "
    "real images. FID is judged against the FID between two sets of real images measured in the "
    "same run; precision and density say whether synthetic images look real, recall and "
    "coverage whether they show all the variety of the real images.</li>"
    "<li><b>Utility</b> trains the same small CNN on the labelled synthetic images and on real "
    "images and tests both on real images (the holdout when given): the classification "
    "accuracy score.</li>"
    "<li><b>Privacy</b> finds each synthetic image's nearest training image, in pixels and in "
    "ImageNet features, and compares the distances with those of unseen holdout images. "
    "Synthetic images much closer than holdout images, or exact copies, suggest "
    "memorisation; the closest pairs are shown side by side.</li></ul>"
)

_CSS = """
:root{--fg:#1f2328;--dim:#59636e;--line:#d1d9e0;--bg:#f6f8fa;--real:#4c72b0;--syn:#dd8452;
--pass:#1a7f37;--pass-bg:#dafbe1;--warn:#9a6700;--warn-bg:#fff8c5;--fail:#cf222e;
--fail-bg:#ffebe9}
*{box-sizing:border-box}
body{margin:0;color:var(--fg);background:#fff;font:14px/1.45 system-ui,-apple-system,
"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:32px 0 4px;padding-top:8px;
border-top:1px solid var(--line)}h3{font-size:15px;margin:20px 0 8px}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
a{color:#0969da;text-decoration:none}
.sub,.q,.dim,.note,figcaption,.legend{color:var(--dim)}.q{margin:0 0 12px}
nav{margin:8px 0 16px;font-size:13px}
.pill{display:inline-block;min-width:42px;padding:1px 9px;border-radius:999px;font-size:12px;
font-weight:600;text-align:center;text-transform:uppercase;letter-spacing:.02em;
vertical-align:middle}
.pill.pass{color:var(--pass);background:var(--pass-bg)}
.pill.warn{color:var(--warn);background:var(--warn-bg)}
.pill.fail{color:var(--fail);background:var(--fail-bg)}
.pill.none{color:var(--dim);background:var(--bg)}
.verdict{display:flex;gap:16px;align-items:center;padding:14px 18px;border-radius:8px;
border:1px solid var(--line);background:var(--bg)}
.verdict .pill{font-size:16px;padding:4px 14px}.verdict p{margin:2px 0}
.verdict .big{font-size:17px;font-weight:600}
.verdict.pass{border-color:#aceebb;background:#f0fff4}
.verdict.warn{border-color:#f5e0a0;background:#fffdf0}
.verdict.fail{border-color:#ffcecb;background:#fff8f7}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:14px;
margin:16px 0}
.card{display:block;color:inherit;border:1px solid var(--line);border-radius:8px;
padding:12px 16px}
.card h3{margin:0 0 2px;display:flex;justify-content:space-between;align-items:center}
.card ul{list-style:none;padding:0;margin:8px 0}
.card li{display:grid;grid-template-columns:1fr auto auto;gap:10px;align-items:center;
padding:3px 0;border-bottom:1px dashed var(--line)}
.card li b{font-variant-numeric:tabular-nums}.card .counts{margin:0;color:var(--dim);
font-size:12px}
table{border-collapse:collapse;margin:8px 0 12px}
th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600;font-size:13px}
#scores{width:100%}#scores td:nth-child(6){max-width:420px;font-size:12.5px}
.num{font-variant-numeric:tabular-nums;font-weight:600}
table.compact td,table.compact th{padding:3px 8px;font-size:12.5px}
table.kv th:empty{display:none}
.err{color:var(--fail)}
ul.plain{list-style:none;padding:0}ul.plain li{margin:4px 0}
table.utility td{font-variant-numeric:tabular-nums}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:12px;
align-items:start}
.row{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
figure{margin:0;padding:8px;border:1px solid var(--line);border-radius:6px;background:#fff}
.row>figure,section>figure{width:fit-content;margin-bottom:12px}
figure img{display:block;max-width:100%;height:auto}
figcaption{font-size:12.5px;margin-top:4px;max-width:760px}
.legend .sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin:0 4px -1px 8px}
.sw.real{background:var(--real);opacity:.6}.sw.syn{background:var(--syn)}
details{margin:8px 0;border:1px solid var(--line);border-radius:6px;padding:4px 10px}
summary{cursor:pointer;color:var(--dim);font-size:13px}
.pair{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
.pair>.box{flex:1 1 520px;min-width:0}
.scroll{overflow-x:auto}
table.sample td,table.sample th{padding:3px 8px;font-size:12px;white-space:nowrap}
footer{margin-top:32px}
img.px{image-rendering:pixelated;image-rendering:crisp-edges}
table.classes td{vertical-align:middle}
table.pairs td{text-align:center;font-size:12px;padding:4px 6px}
table.texts td{font-size:12.5px;max-width:480px}table.texts ul{margin:0;padding-left:16px}
table.texts li{margin:2px 0}.ctx{color:var(--dim)}
mark{background:#ffe08a;padding:0 1px;border-radius:2px}
.clips{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start}
figure.clip{width:min-content}figure.clip audio{display:block;width:190px;height:32px;
margin-top:4px}
"""

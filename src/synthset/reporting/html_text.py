"""The text sections of the HTML report: samples per class, fidelity and privacy.

:func:`synthset.reporting.html.render_html` calls these for a report on texts. Every text from
the data is escaped with :func:`html.escape`; the shared passages of the memorisation check are
highlighted with ``<mark>`` around escaped text only.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from synthset.reporting import plots
from synthset.reporting.glossary import fmt_number, fmt_value, is_missing
from synthset.reporting.html import (
    _clip,
    _details,
    _details_blocks,
    _dp_block,
    _e,
    _family_head,
    _figure,
    _get,
    _metric_pill,
    _section,
    _table,
)

MAX_TEXT_CHARS = 240  # characters of a sample text shown
MAX_SAMPLE_CLASSES = 20

TEXT_GUIDE = (
    "<ul><li><b>Fidelity</b> compares synthetic and real texts through sentence embeddings "
    "(the Fréchet distance, judged against the distance between two sets of real texts, and "
    "precision / recall / coverage), a language model of the real texts (perplexity, judged "
    "against unseen real texts), diversity (distinct-n and self-BLEU, judged against the real "
    "texts' own values on as many texts) and the distribution of lengths and classes.</li>"
    "<li><b>Utility</b> trains the same classifier on the labelled synthetic texts and on real "
    "texts and tests both on real texts (the holdout when given): the classification accuracy "
    "score; augmentation gain adds the synthetic texts to the real ones.</li>"
    "<li><b>Privacy</b> finds, for each synthetic text, the training text it shares the longest "
    "passage with, and counts texts that share at least half their characters or copy a "
    "training text outright, against unseen holdout texts as the baseline; the longest shared "
    "passages are shown highlighted.</li></ul>"
)


def _text_cell(text: Any, context: Any = None) -> str:
    body = _e(_clip(str(text), MAX_TEXT_CHARS))
    if context is not None and not (isinstance(context, float) and pd.isna(context)):
        body = f'<span class="ctx">{_e(_clip(str(context), MAX_TEXT_CHARS))} →</span> {body}'
    return f"<li>{body}</li>"


def _texts_of(frame: pd.DataFrame | None, meta: dict[str, Any]) -> dict[str, list[str]]:
    """``{class (or ""): [list items]}`` from a sample frame as ``Texts.to_frame`` writes it;
    ``meta["text_columns"]`` names its text, label and context columns."""
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        return {}
    names = meta.get("text_columns") if isinstance(meta.get("text_columns"), dict) else {}
    text_col = names.get("text", "text")
    if text_col not in frame.columns:
        text_col = frame.columns[-1]
    label = names.get("label")
    label = label if label in frame.columns and meta.get("classes") else None
    ctx_col = names.get("context")
    ctx_col = ctx_col if ctx_col in frame.columns and meta.get("kind") == "dialogue" else None
    texts = frame[text_col].tolist()
    contexts = frame[ctx_col].tolist() if ctx_col else [None] * len(texts)
    keys = frame[label].astype(str).tolist() if label else [""] * len(texts)
    out: dict[str, list[str]] = {}
    for key, text, context in zip(keys, texts, contexts, strict=True):
        out.setdefault(key, []).append(_text_cell(text, context))
    return out


def text_samples(report: Any, meta: dict[str, Any]) -> str:
    """Real and synthetic texts side by side, a row per class (one row when unlabelled)."""
    head = '<section id="samples"><h2>Samples</h2>'
    real = _texts_of(report.real_sample, meta)
    syn = _texts_of(report.synthetic_sample, meta)
    if not real and not syn:
        return head + '<p class="note">The texts are not stored with this report.</p></section>'
    keys = list(dict.fromkeys([*real, *syn]))
    classes = meta.get("classes") if isinstance(meta.get("classes"), list) else []
    if classes:
        keys = [c for c in classes if c in real or c in syn][:MAX_SAMPLE_CLASSES]
    rows = []
    for key in keys:
        cells = [f"<b>{_e(key)}</b>"] if classes else []
        for items in (real.get(key), syn.get(key)):
            cells.append(f"<ul>{''.join(items)}</ul>" if items else '<span class="dim">none</span>')
        rows.append(cells)
    header = (["class"] if classes else []) + ["real", "synthetic"]
    what = "A few random real and synthetic texts"
    what += " of each class." if classes else "."
    if meta.get("kind") == "dialogue":
        what += " Dialogue pairs show the context, then the reply (→)."
    table = _table(header, rows, attrs=' class="texts"')
    return head + f'<p class="q">{what}</p><div class="scroll">{table}</div></section>'


# --- fidelity ---------------------------------------------------------------------------------
_EMBEDDING_ROWS = (
    ("text_fd", "Fréchet distance"),
    ("text_precision", "precision"),
    ("text_recall", "recall"),
    ("text_coverage", "coverage"),
)


def _embedding_table(report: Any) -> str:
    rows = []
    embedder = source = None
    for name, title in _EMBEDDING_ROWS:
        m = _get(report, name)
        if m is None:
            continue
        d = _details(m)
        embedder = embedder or d.get("embedder")
        source = source or d.get("baseline_source")
        ref = d.get("baseline")
        if isinstance(ref, dict):
            ref = ref.get(name.removeprefix("text_"))
        rows.append(
            [
                f"<code>{_e(name)}</code> {_e(title)}",
                f'<span class="num">{fmt_value(m)}</span> {_metric_pill(m)}',
                fmt_number(ref),
            ]
        )
    if not rows:
        return ""
    note = []
    if embedder:
        note.append(f"embeddings: {_e(embedder)}")
    if source:
        note.append(f"unseen real = {_e(source)}")
    return (
        "<h3>Sentence embeddings</h3>"
        + _table(["metric", "synthetic", "unseen real"], rows, attrs=' class="compact"')
        + (f'<p class="dim">{" · ".join(note)}.</p>' if note else "")
    )


def _language_table(report: Any) -> str:
    """Perplexity, distinct-n, self-BLEU and lengths: synthetic beside the real reference."""
    rows = []
    ppl = _get(report, "perplexity")
    if ppl is not None:
        d = _details(ppl)
        rows.append(
            [
                "<code>perplexity</code>",
                f'<span class="num">{fmt_value(ppl)}</span> {_metric_pill(ppl)}',
                fmt_number(d.get("baseline")),
                _e(d.get("baseline_source", "")),
            ]
        )
    dist = _get(report, "distinct_n")
    if dist is not None:
        d = _details(dist)
        syn, real = d.get("synthetic") or {}, d.get("real") or {}
        for key in sorted(syn):
            pill = _metric_pill(dist) if key == "distinct_2" else ""
            rows.append(
                [
                    f"<code>{_e(key.replace('_', '-'))}</code>",
                    f'<span class="num">{fmt_number(syn.get(key))}</span> {pill}',
                    fmt_number(real.get(key)),
                    f"real, {fmt_number(d.get('texts_each'))} texts each",
                ]
            )
    bleu = _get(report, "self_bleu")
    if bleu is not None:
        d = _details(bleu)
        rows.append(
            [
                "<code>self_bleu</code>",
                f'<span class="num">{fmt_value(bleu)}</span> {_metric_pill(bleu)}',
                fmt_number(d.get("real")),
                f"real, {fmt_number(d.get('texts_each'))} texts each",
            ]
        )
    length = _get(report, "length_distance")
    if length is not None:
        words = _details(length).get("words") or {}
        syn_w, real_w = words.get("synthetic") or {}, words.get("real") or {}
        rows.append(
            [
                "words per text (mean)",
                f'<span class="num">{fmt_number(syn_w.get("mean"))}</span>',
                fmt_number(real_w.get("mean")),
                "real",
            ]
        )
    if not rows:
        return ""
    return "<h3>Language and diversity</h3>" + _table(
        ["measure", "synthetic", "reference", "reference is"], rows, attrs=' class="compact"'
    )


def _class_table(report: Any) -> str:
    m = _get(report, "class_balance")
    classes = _details(m).get("classes") if m is not None else None
    if not isinstance(classes, dict) or not classes:
        return ""
    rows = [
        [_e(c), fmt_number(v.get("real")), fmt_number(v.get("synthetic"))]
        for c, v in classes.items()
        if isinstance(v, dict)
    ]
    return (
        f"<h3>Class shares</h3><p>Class balance <b>{fmt_value(m)}</b> {_metric_pill(m)}</p>"
        + _table(["class", "real", "synthetic"], rows, attrs=' class="compact"')
    )


def text_fidelity(report: Any) -> str:
    parts = [_family_head("fidelity", "text"), _embedding_table(report), _language_table(report)]
    length = _get(report, "length_distance")
    if length is not None and isinstance(_details(length).get("histogram"), dict):
        hist = _details(length)["histogram"]
        parts.append(
            '<div class="row">'
            + _figure(
                lambda: plots.distance_histogram_plot(
                    hist, title="Words per text", unit="text", xlabel="words per text"
                ),
                "Distribution of words per text: real vs synthetic",
                f"Words per text. Length distance <b>{fmt_value(length)}</b> (Wasserstein "
                "distance over the real mean length).",
            )
            + "</div>"
        )
    parts.append(_class_table(report))
    reply = _get(report, "reply_similarity")
    if reply is not None:
        d = _details(reply)
        parts.append(
            f"<h3>Replies</h3><p>Synthetic replies to contexts the real data holds "
            f"({fmt_number(d.get('matched_pairs'))} pairs) have a mean cosine similarity of "
            f"<b>{fmt_value(reply)}</b> to the closest real reply to the same context; a random "
            f"real reply scores {fmt_number(d.get('chance'))}.</p>"
        )
    parts.append(_details_blocks(report.family("fidelity"), open_=False))
    return _section("fidelity", parts)


# --- privacy ----------------------------------------------------------------------------------
def _highlight(text: str, common: str) -> str:
    """``text`` escaped, with the first case- and space-insensitive occurrence of ``common``
    wrapped in ``<mark>``."""
    words = str(common).split()
    if not words:
        return _e(text)
    pattern = r"\s+".join(re.escape(w) for w in words)
    match = re.search(pattern, text, flags=re.IGNORECASE)
    if match is None:
        return _e(text)
    a, b = match.span()
    return f"{_e(text[:a])}<mark>{_e(text[a:b])}</mark>{_e(text[b:])}"


def _closest_pairs(pairs: Any) -> str:
    if not isinstance(pairs, list) or not pairs:
        return ""
    rows = []
    for p in pairs:
        if not isinstance(p, dict):
            continue
        common = str(p.get("common", ""))
        rows.append(
            [
                _highlight(str(p.get("synthetic_text", "")), common),
                _highlight(str(p.get("training_text", "")), common),
                f'<span class="num">{fmt_number(p.get("char_ratio"))}</span><br>'
                f'<span class="dim">{fmt_number(p.get("lcs_chars"))} chars · '
                f"#{_e(p.get('synthetic'))} ↔ #{_e(p.get('real'))}</span>",
            ]
        )
    if not rows:
        return ""
    return (
        "<h3>Longest passages shared with a training text</h3>"
        '<p class="q">The synthetic texts sharing the largest part of themselves with one '
        "training text, the shared passage highlighted.</p>"
        + '<div class="scroll">'
        + _table(
            ["synthetic text", "training text", "shared share of the synthetic text"],
            rows,
            attrs=' class="texts"',
        )
        + "</div>"
    )


def text_privacy(report: Any) -> str:
    parts = [_family_head("privacy", "text"), _dp_block(report.meta or {})]
    mem = _get(report, "text_memorisation")
    figs = []
    if mem is not None:
        d = _details(mem)
        line = (
            f"Synthetic texts sharing at least half their characters with one training text: "
            f"<b>{fmt_value(mem)}</b> {_metric_pill(mem)}"
        )
        if not is_missing(d.get("holdout_share")):
            line += f"; unseen holdout texts: {fmt_number(d['holdout_share'])}"
        parts.append(f"<p>{line}.</p>")
        if isinstance(d.get("histogram"), dict):
            hist = d["histogram"]
            figs.append(
                _figure(
                    lambda: plots.distance_histogram_plot(
                        hist,
                        title="Longest passage shared with a training text",
                        unit="text",
                        xlabel="shared run / text length (1 = whole text)",
                    ),
                    "Longest shared passage as a share of each text: synthetic vs holdout",
                    "Synthetic texts piled up at the right, beyond the holdout texts, copy "
                    "passages of training texts.",
                )
            )
    copies = _get(report, "text_exact_copies")
    if copies is not None:
        d = _details(copies)
        text = f"Exact copies of training texts: <b>{fmt_value(copies)}</b>"
        if d.get("count") is not None:
            text += f" ({fmt_number(d['count'])} texts)"
        if not is_missing(d.get("holdout_share")):
            text += f"; baseline: {fmt_number(d['holdout_share'])} of unseen holdout texts"
        parts.append(f"<p>{text} {_metric_pill(copies)}</p>")
    dcr = _get(report, "text_dcr")
    if dcr is not None and isinstance(_details(dcr).get("histogram"), dict):
        hist = _details(dcr)["histogram"]
        figs.append(
            _figure(
                lambda: plots.distance_histogram_plot(
                    hist, title="Embedding distance to the nearest training text", unit="text"
                ),
                "Embedding distance to the nearest training text: synthetic vs holdout",
                f"DCR ratio <b>{fmt_value(dcr)}</b>: synthetic texts left of the holdout curve "
                "sit closer to a training text than unseen real texts do.",
            )
        )
    if any(figs):
        parts.append(f'<div class="row">{"".join(figs)}</div>')
    if mem is not None:
        parts.append(_closest_pairs(_details(mem).get("closest_pairs")))
    parts.append(_details_blocks(report.family("privacy"), open_=False))
    return _section("privacy", parts)

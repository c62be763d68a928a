"""The audio sections of the HTML report: clips to listen to, fidelity and privacy.

:func:`synthset.reporting.html.render_html` calls these for a report on audio
(``report.modality == "audio"``). ``report.audio_examples`` holds named sets of a few clips
(``{"real", "synthetic"}`` from ``evaluate``; ``{"reference", "degraded", "cubic", ...}`` from
``evaluate_restoration``, where clip i of every set is the same clip): each set becomes a row
of clips, each clip a log-mel spectrogram (an inline PNG, labelled with its class) above a
playable ``<audio controls>`` whose source is the clip as a 16-bit PCM WAV data URI. The page
stays bounded: at most ``MAX_CLIPS_PER_SET`` clips of at most ``MAX_SECONDS`` each per set
(~43 KB of base64 per second of 16 kHz audio).
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np

from synthset.reporting import plots
from synthset.reporting.glossary import fmt_number, fmt_value, is_missing, question_modality
from synthset.reporting.html import (
    _details,
    _details_blocks,
    _dp_block,
    _e,
    _family_head,
    _figure,
    _get,
    _img,
    _metric_pill,
    _section,
    _table,
)

MAX_CLIPS_PER_SET = 12
MAX_PER_CLASS = 2
MAX_SETS = 6
MAX_SECONDS = 4.0
DYNAMIC_RANGE_DB = 80.0
SPECTROGRAM_HEIGHT = 96  # pixels (about; an integer multiple of the mel bands)
SPECTROGRAM_WIDTH = 180
COLORMAP = "magma"
SET_TITLES = {"real": "Real", "synthetic": "Synthetic"}

AUDIO_GUIDE = (
    "<ul><li><b>Fidelity</b> compares synthetic and real clips through two embeddings: "
    "spectral statistics (each log-mel band's mean and spread, and the cepstrum of the mean) "
    "and a small log-mel classifier trained on the real clips. The Fréchet distances are judged "
    "against the distance between two sets of real clips measured in the same run; precision "
    "and coverage say whether synthetic clips sound real and reach all the variety of the real "
    "ones. The log-spectral distance compares each class's average spectrum, the loudness "
    "distance the clips' RMS levels.</li>"
    "<li><b>Utility</b> trains the same log-mel classifier on the labelled synthetic clips, on "
    "real clips and on both, and tests them on real clips (the holdout when given): the "
    "classification accuracy score and the augmentation gain.</li>"
    "<li><b>Privacy</b> finds each synthetic clip's nearest training clip in the spectral "
    "statistics and compares the distance with that of unseen holdout clips; it also counts "
    "exact copies and near copies (waveform cross-correlation over small shifts).</li></ul>"
)


# --- clips ------------------------------------------------------------------------------------
def wav_data_uri(wave: np.ndarray, sample_rate: int) -> str:
    """One clip as a 16-bit PCM WAV ``data:audio/wav;base64,…`` URI."""
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.clip(np.asarray(wave, np.float32), -1.0, 1.0), sample_rate, format="WAV",
             subtype="PCM_16")  # fmt: skip
    return "data:audio/wav;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def spectrogram_pngs(waveforms: np.ndarray, sample_rate: int, top_db: float | None) -> list[bytes]:
    """Log-mel spectrogram PNGs (low frequencies at the bottom) of clips N×T, coloured over
    ``[top_db − DYNAMIC_RANGE_DB, top_db]`` (None: the clips' own loudest value), so that clips
    on one page share one scale."""
    import torch
    from matplotlib import colormaps

    from synthset.evaluation.audio.features import make_mel
    from synthset.reporting.images import to_png

    mel = make_mel(sample_rate)
    with torch.no_grad():
        power = mel.mel(torch.from_numpy(np.ascontiguousarray(waveforms))).square()
        db = (10.0 * torch.log10(power.clamp_min(1e-10))).numpy()  # (N, n_mels, frames)
    top = float(db.max()) if top_db is None else top_db
    unit = np.clip((db - (top - DYNAMIC_RANGE_DB)) / DYNAMIC_RANGE_DB, 0.0, 1.0)
    rgb = (colormaps[COLORMAP](unit[:, ::-1])[..., :3] * 255).astype(np.uint8)  # (N, M, F, 3)
    sy = max(1, round(SPECTROGRAM_HEIGHT / rgb.shape[1]))
    sx = max(1, round(SPECTROGRAM_WIDTH / rgb.shape[2]))
    rgb = np.repeat(np.repeat(rgb, sy, axis=1), sx, axis=2)
    return [to_png(img) for img in rgb]


def _top_db(sets: dict[str, Any]) -> float:
    """The loudest log-mel value (dB) over every clip shown, the page's colour ceiling."""
    import torch

    from synthset.evaluation.audio.features import make_mel

    top = -200.0
    for clips in sets.values():
        mel = make_mel(clips.spec.sample_rate)
        with torch.no_grad():
            peak = mel.mel(torch.from_numpy(np.ascontiguousarray(clips.waveforms))).amax()
        top = max(top, 20.0 * float(np.log10(max(float(peak), 1e-10))))
    return top


def _shown(clips: Any) -> Any:
    """The clips of one set to show: for labelled sets up to ``MAX_PER_CLASS`` per class (fewer
    when there are many classes), at most ``MAX_CLIPS_PER_SET``, cut to ``MAX_SECONDS``; a set
    that small already (restoration examples) is shown whole, in its order."""
    if len(clips) <= MAX_CLIPS_PER_SET:
        pos = np.arange(len(clips))
    elif clips.labels is not None and clips.spec.classes:
        per_class = max(1, min(MAX_PER_CLASS, MAX_CLIPS_PER_SET // max(1, clips.spec.n_classes)))
        order = np.argsort(clips.labels, kind="stable")
        labels = clips.labels[order]
        rank = np.arange(len(order)) - np.searchsorted(labels, labels)  # position in its class
        pos = order[rank < per_class][:MAX_CLIPS_PER_SET]
    else:
        pos = np.arange(min(len(clips), MAX_CLIPS_PER_SET))
    picked = clips[pos]
    limit = int(MAX_SECONDS * clips.spec.sample_rate)
    return picked.with_length(limit) if clips.spec.length > limit else picked


def _clip_cell(png: bytes, uri: str, caption: str) -> str:
    return (
        f'<figure class="clip">{_img(png, "log-mel spectrogram: " + caption)}'
        f'<audio controls preload="none" src="{uri}"></audio>'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def audio_samples(report: Any, meta: dict[str, Any]) -> str:
    """A row of clips (spectrogram + player) per named set of ``report.audio_examples``."""
    head = '<section id="samples"><h2>Samples</h2>'
    sets = getattr(report, "audio_examples", None)
    if not isinstance(sets, dict) or not sets:
        return head + '<p class="note">The clips are not stored with this report.</p></section>'
    try:
        shown = {str(k): _shown(v) for k, v in list(sets.items())[:MAX_SETS] if len(v)}
        top = _top_db(shown)
        rows = []
        for name, clips in shown.items():
            sr = clips.spec.sample_rate
            pngs = spectrogram_pngs(clips.waveforms, sr, top)
            names = clips.label_names
            cells = []
            for i, (png, wave) in enumerate(zip(pngs, clips.waveforms, strict=True)):
                caption = str(names[i]) if names is not None else f"clip {i + 1}"
                cells.append(_clip_cell(png, wav_data_uri(wave, sr), caption))
            title = SET_TITLES.get(name, name)
            rows.append(
                f'<h3>{_e(title)} <span class="dim">({len(clips)} of {len(sets[name]):,} '
                f'clips, {sr:,} Hz)</span></h3><div class="clips">{"".join(cells)}</div>'
            )
    except Exception as exc:  # the page must survive odd clips
        return head + f'<p class="note">The clips could not be drawn: {_e(exc)}</p></section>'
    what = (
        "A few clips of each set, with their log-mel spectrograms (one colour scale for the page, "
        f"{DYNAMIC_RANGE_DB:g} dB deep; low frequencies at the bottom). Press play to listen."
    )
    if set(shown) - {"real", "synthetic"}:
        what += " Clip i of every set is the same clip."
    return head + f'<p class="q">{what}</p>' + "".join(rows) + "</section>"


# --- fidelity ---------------------------------------------------------------------------------
_EMBEDDING_ROWS = (
    ("frechet_audio_stats", "Fréchet distance (spectral statistics)"),
    ("frechet_audio_domain", "Fréchet distance (domain classifier)"),
    ("precision_audio", "precision"),
    ("recall_audio", "recall"),
    ("coverage_audio", "coverage"),
    ("lsd_mean_spectrum", "log-spectral distance of class-mean spectra (dB)"),
    ("loudness_distance", "loudness distance (dB)"),
)


def _baseline_of(m: Any) -> Any:
    d = _details(m)
    base = d.get("baseline")
    if isinstance(base, dict) and m.name.endswith("_audio"):
        return base.get(m.name.removesuffix("_audio"))
    return base


def _embedding_table(report: Any) -> str:
    rows = []
    for name, title in _EMBEDDING_ROWS:
        m = _get(report, name)
        if m is None:
            continue
        base = _baseline_of(m)
        source = _details(m).get("baseline_source") or ("real vs holdout" if base else "")
        rows.append(
            [
                f'{_e(title)}<br><code class="dim">{_e(name)}</code>',
                f'<span class="num">{fmt_value(m)}</span> {_metric_pill(m)}',
                "—" if base is None or is_missing(base) else fmt_number(base),
                _e(source),
            ]
        )
    if not rows:
        return ""
    return _table(
        ["score", "synthetic", "unseen real clips", "baseline"], rows, attrs=' class="compact"'
    )


def _spectra_png(spectra: dict[str, Any]) -> bytes | None:
    """Real and synthetic class-mean power spectra (dB), one small panel per class."""
    freqs = np.asarray(spectra.get("frequency_hz", []), float)
    real = np.asarray(spectra.get("real_db", []), float)
    syn = np.asarray(spectra.get("synthetic_db", []), float)
    classes = list(spectra.get("classes") or [])
    if freqs.size < 2 or real.ndim != 2 or real.shape != syn.shape or not classes:
        return None
    n = min(len(classes), 6)
    cols = min(n, 3)
    nrows = -(-n // cols)
    with plots._figure(2.4 * cols + 0.4, 1.9 * nrows + 0.3) as fig:
        axes = np.atleast_1d(fig.subplots(nrows, cols, sharex=True, sharey=True)).ravel()
        for i, ax in enumerate(axes):
            if i >= n:
                ax.set_visible(False)
                continue
            ax.plot(freqs / 1000, real[i], color=plots.REAL_COLOR, lw=1.4, label="real")
            ax.plot(freqs / 1000, syn[i], color=plots.SYNTHETIC_COLOR, lw=1.2, label="synthetic")
            ax.set_title(str(classes[i]), loc="left", fontsize=9)
        axes[0].legend(fontsize=8)
        fig.supxlabel("frequency (kHz)", fontsize=9)
        fig.supylabel("mean power (dB)", fontsize=9)
        return plots._png(fig)


def audio_fidelity(report: Any) -> str:
    parts = [
        _family_head("fidelity", question_modality(report.meta, "audio")),
        _embedding_table(report),
    ]
    figs = []
    lsd = _get(report, "lsd_mean_spectrum")
    if lsd is not None and isinstance(_details(lsd).get("spectra"), dict):
        spectra = _details(lsd)["spectra"]
        figs.append(
            _figure(
                lambda: _spectra_png(spectra),
                "Mean power spectrum per class: real vs synthetic",
                "Average power spectrum of each class (every frame of every clip), real against "
                "synthetic: a gap is a timbre or bandwidth the generator gets wrong.",
            )
        )
    loud = _get(report, "loudness_distance")
    if loud is not None and isinstance(_details(loud).get("histogram"), dict):
        hist = _details(loud)["histogram"]
        figs.append(
            _figure(
                lambda: plots.distance_histogram_plot(
                    hist, title="Loudness", unit="clip", xlabel="RMS level (dBFS)"
                ),
                "RMS level of the real and synthetic clips",
                "Distribution of the clips' RMS levels in dB relative to full scale.",
            )
        )
    if any(figs):
        parts.append(f'<div class="row">{"".join(figs)}</div>')
    parts.append(_metric_list(report.family("fidelity")))
    parts.append(_details_blocks(report.family("fidelity"), open_=False))
    return _section("fidelity", parts)


def _metric_list(metrics: list[Any]) -> str:
    from synthset.reporting.glossary import error_of, meaning

    lines = []
    for m in metrics:
        text = _e(meaning(m))
        if error_of(m):
            text = f'<span class="err">not computed: {_e(error_of(m))}</span>'
        lines.append(
            f"<li><code>{_e(m.name)}</code> <b>{fmt_value(m)}</b> {_metric_pill(m)} "
            f'<span class="dim">{text}</span></li>'
        )
    return f'<ul class="plain">{"".join(lines)}</ul>' if lines else ""


# --- privacy ----------------------------------------------------------------------------------
def audio_privacy(report: Any) -> str:
    parts = [_family_head("privacy", "audio"), _dp_block(report.meta or {})]
    dcr = _get(report, "audio_dcr")
    if dcr is not None and isinstance(_details(dcr).get("histogram"), dict):
        hist = _details(dcr)["histogram"]
        parts.append(
            _figure(
                lambda: plots.distance_histogram_plot(
                    hist, title="Distance to the closest training clip", unit="clip"
                ),
                "Distance to the closest training clip: synthetic vs holdout",
                "Distance from each synthetic clip, and from each unseen holdout clip, to its "
                "closest training clip (spectral statistics). Synthetic clips piled up near 0, "
                "left of the holdout curve, are copies or near-copies.",
            )
        )
    copies = _get(report, "audio_copies")
    if copies is not None and not is_missing(copies.value):
        d = _details(copies)
        text = f"Copies of training clips: <b>{fmt_value(copies)}</b>"
        if d.get("exact_count") is not None:
            text += (
                f" ({fmt_number(d['exact_count'])} exact, {fmt_number(d.get('near_count'))} "
                "near copies)"
            )
        base = d.get("holdout_share")
        if base is not None and not is_missing(base):
            text += f"; baseline: {fmt_number(base)} of unseen holdout clips"
        parts.append(f"<p>{text} {_metric_pill(copies)}</p>")
    parts.append(_metric_list(report.family("privacy")))
    parts.append(_details_blocks(report.family("privacy"), open_=False))
    return _section("privacy", parts)

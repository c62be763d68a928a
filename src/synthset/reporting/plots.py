"""The report's figures as PNG bytes, drawn with Matplotlib's Agg canvas.

Figures are built from :class:`matplotlib.figure.Figure` on an explicit ``FigureCanvasAgg``, never
through ``pyplot``: no global backend switch, no figure registry to leak into, and style changes
live only inside :func:`matplotlib.rc_context`. Each function takes plain data (frames, or the
``details`` dict of one metric) and returns None when that data is missing or malformed, so a
renderer can skip a figure instead of failing the whole page.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 80
REAL_COLOR = "#4c72b0"
SYNTHETIC_COLOR = "#dd8452"
HOLDOUT_COLOR = "#55a868"
SERIES_COLORS = {
    "real": REAL_COLOR,
    "train": REAL_COLOR,
    "synthetic": SYNTHETIC_COLOR,
    "holdout": HOLDOUT_COLOR,
}
MAX_CATEGORIES = 15
MAX_DISCRETE_BARS = 25
HIST_BINS = 30

_STYLE = {
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titleweight": "bold",
}


@contextmanager
def _figure(width: float, height: float, layout: str = "constrained") -> Iterator[Figure]:
    """A Figure on its own Agg canvas, styled only inside this block.

    ``layout="compressed"`` suits grids of fixed-aspect images (matrices).
    """
    with mpl.rc_context(_STYLE):
        fig = Figure(figsize=(width, height), dpi=DPI, layout=layout)
        FigureCanvasAgg(fig)
        try:
            yield fig
        finally:
            fig.clear()


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _short(text: Any, width: int = 24) -> str:
    text = str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


# --- per-column distributions -------------------------------------------------------------------
def column_plot(
    real: pd.Series,
    synthetic: pd.Series,
    kind: str,
    *,
    title: str | None = None,
    date_format: str | None = None,
) -> bytes | None:
    """Real vs synthetic distribution of one column.

    Args:
        real: the column's real values.
        synthetic: the same column's synthetic values.
        kind: the spec kind (``continuous``, ``discrete``, ``datetime``, ``categorical``,
            ``boolean``); ``id`` columns get no figure.
        title: shown above the plot (defaults to the series name).
        date_format: the strptime format of a datetime column held as text (the spec's
            ``format``); without one, text dates are parsed value by value.

    Returns:
        PNG bytes: shared-bin histograms of the share of rows for numbers and dates, bars of the
        share of the top categories for the rest (small discrete columns get one bar per value).
        None for ``id`` columns or when neither side has a value.
    """
    title = _short(real.name if title is None else title, 40)
    if kind == "id" or (real.notna().sum() == 0 and synthetic.notna().sum() == 0):
        return None
    if kind in ("continuous", "discrete", "datetime"):
        r, s = _as_numbers(real, kind, date_format), _as_numbers(synthetic, kind, date_format)
        if kind == "discrete" and pd.unique(r[~np.isnan(r)]).size <= MAX_DISCRETE_BARS:
            return _value_bars(r, s, title)
        if np.isfinite(r).any() or np.isfinite(s).any():
            return _histogram(r, s, title, kind)
    return _category_bars(real, synthetic, title)


def _as_numbers(values: pd.Series, kind: str, date_format: str | None = None) -> np.ndarray:
    if kind == "datetime":
        from matplotlib import dates as mdates

        from synthset.data.datetimes import parse_datetimes

        t = values
        if not pd.api.types.is_datetime64_any_dtype(values.dtype):
            t = parse_datetimes(values, date_format)
        if t.dt.tz is not None:
            t = t.dt.tz_localize(None)
        out = np.full(len(t), np.nan)
        ok = t.notna().to_numpy()
        if ok.any():
            out[ok] = mdates.date2num(t[ok].to_numpy())
        return out
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers.to_numpy(dtype=float, na_value=np.nan)


def _histogram(real: np.ndarray, synthetic: np.ndarray, title: str, kind: str) -> bytes:
    r, s = real[np.isfinite(real)], synthetic[np.isfinite(synthetic)]
    both = np.concatenate([r, s])
    # The central 99% of both sets; the tails fall into the edge bins instead of squeezing the rest.
    lo, hi = (float(q) for q in np.quantile(both, [0.005, 0.995]))
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    if kind == "discrete":  # integer-aligned bins, so no bin holds one value more than the next
        width = max(1.0, float(np.ceil((hi - lo) / HIST_BINS)))
        edges = np.arange(np.floor(lo) - 0.5, np.ceil(hi) + width, width)
    else:
        edges = np.linspace(lo, hi, HIST_BINS + 1)
    shares = [
        np.histogram(np.clip(v, edges[0], edges[-1]), bins=edges)[0] / max(v.size, 1)
        for v in (r, s)
    ]
    # One bin holding most rows (capital-gain: 92% zeros) flattens the rest; a log axis shows it.
    log = max(float(shares[0].max()), float(shares[1].max())) > 0.5
    floor = 0.5 / max(r.size, s.size, 1)  # below any non-empty bin: the log axis's baseline
    with _figure(4.0, 2.4) as fig:
        ax = fig.subplots()
        if r.size:
            ax.stairs(
                shares[0],
                edges,
                fill=True,
                color=REAL_COLOR,
                alpha=0.45,
                linewidth=0,
                baseline=floor if log else 0,
            )
        if s.size:
            ax.stairs(
                shares[1], edges, color=SYNTHETIC_COLOR, linewidth=1.6, baseline=floor if log else 0
            )
        if log:
            ax.set_yscale("log")
            ax.set_ylim(bottom=floor)
        if kind == "datetime":
            ax.xaxis_date()
            for label in ax.get_xticklabels():
                label.set_rotation(30)
                label.set_horizontalalignment("right")
        ax.set_title(title, loc="left")
        ax.set_ylabel("share of rows" + (" (log)" if log else ""))
        return _png(fig)


def _value_bars(real: np.ndarray, synthetic: np.ndarray, title: str) -> bytes:
    r, s = real[~np.isnan(real)], synthetic[~np.isnan(synthetic)]
    values = np.union1d(np.unique(r), np.unique(s))
    if values.size > MAX_DISCRETE_BARS:  # synthetic invented values: keep the real ones
        values = np.unique(r)
    r_share = np.array([(r == v).sum() for v in values]) / max(r.size, 1)
    s_share = np.array([(s == v).sum() for v in values]) / max(s.size, 1)
    x = np.arange(values.size)
    with _figure(4.0, 2.4) as fig:
        ax = fig.subplots()
        ax.bar(x - 0.2, r_share, width=0.4, color=REAL_COLOR, alpha=0.8)
        ax.bar(x + 0.2, s_share, width=0.4, color=SYNTHETIC_COLOR, alpha=0.9)
        step = max(1, int(np.ceil(values.size / 12)))
        ax.set_xticks(x[::step], [_fmt_tick(v) for v in values[::step]])
        ax.set_title(title, loc="left")
        ax.set_ylabel("share of rows")
        return _png(fig)


def _fmt_tick(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.3g}"


def _category_bars(real: pd.Series, synthetic: pd.Series, title: str) -> bytes:
    r = _category_shares(real)
    s = _category_shares(synthetic)
    order = pd.concat([r, s], axis=1).fillna(0.0).max(axis=1).sort_values(ascending=False)
    top = list(order.index[:MAX_CATEGORIES])
    r_top, s_top = r.reindex(top, fill_value=0.0), s.reindex(top, fill_value=0.0)
    labels = [_short(c, 18) for c in top]
    if len(order) > MAX_CATEGORIES:
        r_top.loc["(other)"] = max(0.0, 1.0 - r_top.sum())
        s_top.loc["(other)"] = max(0.0, 1.0 - s_top.sum())
        labels.append("(other)")
    y = np.arange(len(labels))
    height = 1.0 + 0.17 * len(labels)
    with _figure(4.0, max(2.4, height)) as fig:
        ax = fig.subplots()
        ax.barh(y - 0.2, r_top.to_numpy(), height=0.4, color=REAL_COLOR, alpha=0.8)
        ax.barh(y + 0.2, s_top.to_numpy(), height=0.4, color=SYNTHETIC_COLOR, alpha=0.9)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_title(title, loc="left")
        ax.set_xlabel("share of rows")
        return _png(fig)


def _category_shares(values: pd.Series) -> pd.Series:
    labels = values.astype("object").where(values.notna(), "(missing)").map(str)
    return labels.value_counts(normalize=True)


def column_plots(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    kinds: Mapping[str, str] | None = None,
    *,
    columns: list[str] | None = None,
    max_columns: int = 24,
    date_formats: Mapping[str, str] | None = None,
) -> dict[str, bytes]:
    """One :func:`column_plot` per column present in both frames, at most ``max_columns``.

    Args:
        real, synthetic: the rows to compare (a sample is enough).
        kinds: spec kind per column; a column without one is guessed from its dtype.
        columns: the columns to draw, in order (default: those of ``real``).
        max_columns: cap on the number of figures, to keep the page light.
        date_formats: the spec's ``format`` of each datetime column held as text.

    Returns:
        ``{column: png bytes}`` in drawing order, skipping columns with nothing to draw.
    """
    kinds = dict(kinds or {})
    names = [
        c
        for c in (columns if columns is not None else list(real.columns))
        if c in real.columns and c in synthetic.columns
    ]
    out: dict[str, bytes] = {}
    for name in names:
        if len(out) >= max_columns:
            break
        kind = kinds.get(name) or guess_kind(real[name])
        png = column_plot(
            real[name],
            synthetic[name],
            kind,
            title=str(name),
            date_format=(date_formats or {}).get(name),
        )
        if png is not None:
            out[name] = png
    return out


def guess_kind(values: pd.Series) -> str:
    """A spec-like kind from the dtype, for reports made without ``meta["kinds"]``."""
    if pd.api.types.is_bool_dtype(values):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "datetime"
    if pd.api.types.is_integer_dtype(values):
        return "discrete"
    if pd.api.types.is_numeric_dtype(values):
        return "continuous"
    return "categorical"


# --- pair trends -------------------------------------------------------------------------------
def correlation_plot(correlation: Mapping[str, Any], *, title: str = "Correlation") -> bytes | None:
    """Real, synthetic and |real − synthetic| matrices side by side.

    Args:
        correlation: ``{"columns": [...], "real": k×k, "synthetic": k×k}`` (nested lists).
        title: what the matrices hold, e.g. ``"Pearson correlation"``.

    Returns:
        PNG bytes, or None when the matrices are missing, not k×k, or k < 2.
    """
    try:
        columns = [str(c) for c in correlation["columns"]]
        real = np.asarray(correlation["real"], dtype=float)
        synthetic = np.asarray(correlation["synthetic"], dtype=float)
    except (KeyError, TypeError, ValueError):
        return None
    k = len(columns)
    if k < 2 or real.shape != (k, k) or synthetic.shape != (k, k):
        return None
    low = -1.0 if min(np.nanmin(real, initial=0), np.nanmin(synthetic, initial=0)) < 0 else 0.0
    diff = np.abs(real - synthetic)
    size = min(4.2, 1.6 + 0.2 * k)
    with _figure(3 * size + 0.9, size + 0.6, layout="compressed") as fig:
        axes = fig.subplots(1, 3)
        panels = (
            (real, "real", "RdBu_r" if low < 0 else "Blues", low, 1.0),
            (synthetic, "synthetic", "RdBu_r" if low < 0 else "Blues", low, 1.0),
            (diff, "|real − synthetic|", "Reds", 0.0, max(0.5, float(np.nanmax(diff, initial=0)))),
        )
        for ax, (matrix, name, cmap, vmin, vmax) in zip(axes, panels, strict=True):
            image = ax.imshow(np.ma.masked_invalid(matrix), cmap=cmap, vmin=vmin, vmax=vmax)
            ax.set_title(f"{title}: {name}" if name == "real" else name, loc="left")
            if k <= 30:
                labels = [_short(c, 14) for c in columns]
                ax.set_xticks(range(k), labels, rotation=90, fontsize=6 if k > 12 else 7)
                ax.set_yticks(
                    range(k), labels if ax is axes[0] else [""] * k, fontsize=6 if k > 12 else 7
                )
            else:
                ax.set_xticks([])
                ax.set_yticks([])
            ax.spines[:].set_visible(False)
            fig.colorbar(image, ax=ax, shrink=0.8, pad=0.02)
        return _png(fig)


# --- privacy and detection ----------------------------------------------------------------------
def distance_histogram_plot(
    histogram: Mapping[str, Any],
    *,
    title: str = "Distance to the closest training row",
    unit: str = "row",
    xlabel: str | None = None,
) -> bytes | None:
    """Histograms of distances (``{"bins": edges, "synthetic": counts, "holdout": counts}``).

    Each series is drawn as its share of rows so sets of different sizes compare; every key
    besides ``bins`` whose length matches the bins is a series. ``unit`` names what is counted
    in the axis labels (``"row"``, ``"image"``); ``xlabel`` replaces the distance axis label
    (histograms of something else than distances, such as text lengths).

    Returns:
        PNG bytes, or None when ``bins`` is missing or no series matches it.
    """
    try:
        edges = np.asarray(histogram["bins"], dtype=float)
    except (KeyError, TypeError, ValueError):
        return None
    if edges.ndim != 1 or edges.size < 2:
        return None
    series = {}
    for key, counts in histogram.items():
        if key == "bins":
            continue
        try:
            c = np.asarray(counts, dtype=float)
        except (TypeError, ValueError):
            continue
        if c.shape == (edges.size - 1,) and np.nansum(c) > 0:
            series[str(key)] = c / np.nansum(c)
    if not series:
        return None
    with _figure(5.0, 2.8) as fig:
        ax = fig.subplots()
        for i, (name, share) in enumerate(series.items()):
            color = SERIES_COLORS.get(name, f"C{i}")
            ax.stairs(share, edges, color=color, linewidth=1.6, label=name)
            ax.stairs(share, edges, color=color, fill=True, alpha=0.15)
        ax.set_title(title, loc="left")
        ax.set_xlabel(xlabel or f"distance (0 = identical {unit})")
        ax.set_ylabel(f"share of {unit}s")
        ax.legend()
        return _png(fig)


def roc_plot(
    roc: Mapping[str, Any], *, auc: float | None = None, title: str = "ROC curve"
) -> bytes | None:
    """A ROC curve (``{"fpr": [...], "tpr": [...]}``) against the chance diagonal.

    Returns:
        PNG bytes, or None when the curve is missing or its two lists differ in length.
    """
    try:
        fpr = np.asarray(roc["fpr"], dtype=float)
        tpr = np.asarray(roc["tpr"], dtype=float)
    except (KeyError, TypeError, ValueError):
        return None
    if fpr.ndim != 1 or fpr.shape != tpr.shape or fpr.size < 2:
        return None
    with _figure(3.2, 3.0) as fig:
        ax = fig.subplots()
        ax.plot(
            [0, 1], [0, 1], color="#999999", linestyle="--", linewidth=1, label="chance (AUC 0.5)"
        )
        label = "classifier" if auc is None or auc != auc else f"AUC {auc:.3f}"
        ax.plot(fpr, tpr, color=SYNTHETIC_COLOR, linewidth=1.8, label=label)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.01)
        ax.set_aspect("equal")
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
        ax.set_title(title, loc="left")
        ax.legend(loc="lower right")
        return _png(fig)


# --- images ------------------------------------------------------------------------------------
PRDC_NAMES = ("precision", "recall", "density", "coverage")
EXTRACTOR_COLORS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52")


def prdc_plot(
    values: Mapping[str, Mapping[str, Any]],
    baseline: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    title: str = "Precision / recall / density / coverage",
) -> bytes | None:
    """Grouped bars of precision, recall, density and coverage, one colour per feature space.

    Args:
        values: ``{feature space: {"precision": p, "recall": r, "density": d, "coverage": c}}``
            for the synthetic images.
        baseline: the same for unseen real images, drawn as a black tick on each bar (what
            real data scores).
        title: shown above the bars.

    Returns:
        PNG bytes, or None when no space has a finite value.
    """
    spaces = []
    for name, d in (values or {}).items():
        if not isinstance(d, Mapping):
            continue
        row = [_finite(d.get(k)) for k in PRDC_NAMES]
        if any(v is not None for v in row):
            spaces.append((str(name), row))
    if not spaces:
        return None
    n = len(spaces)
    width = 0.8 / n
    x = np.arange(len(PRDC_NAMES))
    top = 1.05
    with _figure(6.0, 2.8) as fig:
        ax = fig.subplots()
        for i, (name, row) in enumerate(spaces):
            pos = x - 0.4 + width * (i + 0.5)
            heights = [np.nan if v is None else v for v in row]
            ax.bar(pos, heights, width=width * 0.92, color=EXTRACTOR_COLORS[i % 4], label=name)
            base = (baseline or {}).get(name) if isinstance(baseline, Mapping) else None
            if isinstance(base, Mapping):
                b = [_finite(base.get(k)) for k in PRDC_NAMES]
                for p, v in zip(pos, b, strict=True):
                    if v is not None:
                        ax.hlines(v, p - width * 0.46, p + width * 0.46, color="black", lw=1.6)
                        top = max(top, v + 0.05)
            top = max(top, *(v + 0.05 for v in row if v is not None))
        if baseline:
            ax.plot([], [], color="black", lw=1.6, label="unseen real images")
        ax.axhline(1.0, color="#999999", lw=0.8, ls="--")
        ax.set_xticks(x, list(PRDC_NAMES))
        ax.set_ylim(0, top)
        ax.set_title(title, loc="left")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        return _png(fig)


def _finite(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None

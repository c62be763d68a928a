"""The Report: every MetricResult of one evaluation plus what the renderers show beside them."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from synthset.evaluation.base import FAMILIES, MetricResult, _jsonable


@dataclass
class Report:
    """The outcome of :func:`synthset.evaluate`.

    Attributes:
        metrics: every result, in the order they were computed.
        meta: rows and columns of each input, target, seed, seconds per metric, version (for
            images: ``modality="image"``, image counts, shape, classes, device, resolution;
            for audio: ``modality="audio"``, clip counts, sample rate, duration, classes).
        real_sample, synthetic_sample: up to a few thousand rows of each input, kept for plots
            and the sample table (for texts: a few texts per class); not written to JSON.
        real_images, synthetic_images: the evaluated images (references, not copies), for the
            sample grids and the nearest-image pairs the HTML page shows (not written to
            JSON; the pairs' positions in ``details`` index these sets).
        audio_examples: named sets of a few clips for the HTML page's players and
            spectrograms, e.g. ``{"real": ..., "synthetic": ...}`` from :func:`evaluate`, or
            ``{"reference", "degraded", "cubic", "audio_sr"}`` from ``evaluate_restoration``
            (clip i of each set is the same clip there); not written to JSON.
    """

    metrics: list[MetricResult] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    real_sample: pd.DataFrame | None = None
    synthetic_sample: pd.DataFrame | None = None
    real_images: Any = None
    synthetic_images: Any = None
    audio_examples: dict[str, Any] | None = None

    @property
    def modality(self) -> str:
        """``"image"`` for a report on images, ``"text"`` on texts, ``"audio"`` on audio, else
        ``"table"``."""
        if self.real_images is not None or self.meta.get("modality") == "image":
            return "image"
        if self.meta.get("modality") in ("text", "audio"):
            return self.meta["modality"]
        if self.audio_examples is not None:
            return "audio"
        return "table"

    def __getitem__(self, name: str) -> MetricResult:
        for m in self.metrics:
            if m.name == name:
                return m
        raise KeyError(
            f"no metric {name!r} in this report; it has {[m.name for m in self.metrics]}"
        )

    def __contains__(self, name: object) -> bool:
        return any(m.name == name for m in self.metrics)

    def family(self, family: str) -> list[MetricResult]:
        return [m for m in self.metrics if m.family == family]

    @property
    def scores(self) -> dict[str, float]:
        """``{metric name: value}``."""
        return {m.name: m.value for m in self.metrics}

    def summary(self) -> dict[str, dict[str, Any]]:
        """Per family: how many metrics passed, warned and failed, and the worst status."""
        out = {}
        for fam in FAMILIES:
            ms = [m for m in self.family(fam) if m.status]
            if not self.family(fam):
                continue
            counts = {s: sum(m.status == s for m in ms) for s in ("pass", "warn", "fail")}
            worst = "fail" if counts["fail"] else "warn" if counts["warn"] else "pass"
            out[fam] = {**counts, "status": worst if ms else None, "n": len(self.family(fam))}
        return out

    # --- serialisation ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "metrics": [m.to_dict() for m in self.metrics],
            "meta": _jsonable(self.meta),
        }

    def to_json(self, path: str | Path | None = None, *, overwrite: bool = False) -> str:
        text = json.dumps(self.to_dict(), indent=2)
        if path is not None:
            _write_text(path, text, overwrite)
        return text

    def to_markdown(self, path: str | Path | None = None, *, overwrite: bool = False) -> str:
        from synthset.reporting.markdown import render_markdown

        text = render_markdown(self)
        if path is not None:
            _write_text(path, text, overwrite)
        return text

    def to_html(self, path: str | Path | None = None, *, overwrite: bool = False) -> str:
        from synthset.reporting.html import render_html

        text = render_html(self)
        if path is not None:
            _write_text(path, text, overwrite)
        return text

    def __repr__(self) -> str:
        parts = [
            f"{m.name}={m.value:.3f}"
            for m in self.metrics
            if isinstance(m.value, float) and not math.isnan(m.value)
        ][:6]
        return f"Report({', '.join(parts)}{', …' if len(self.metrics) > 6 else ''})"


def _write_text(path: str | Path, text: str, overwrite: bool) -> None:
    from synthset.utils import atomic_path

    with atomic_path(Path(path), overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")

"""Renderers of an evaluation :class:`~synthset.evaluation.report.Report`: Markdown and HTML.

Rendering never computes a metric; it only lays out what ``evaluate()`` measured. Matplotlib is
imported only when a page with figures is rendered.
"""

from __future__ import annotations

from typing import Any

__all__ = ["render_html", "render_markdown"]


def render_markdown(report: Any) -> str:
    """Render ``report`` as Markdown (see :func:`synthset.reporting.markdown.render_markdown`)."""
    from synthset.reporting.markdown import render_markdown as render

    return render(report)


def render_html(report: Any) -> str:
    """Render ``report`` as one self-contained HTML page (see :mod:`synthset.reporting.html`)."""
    from synthset.reporting.html import render_html as render

    return render(report)

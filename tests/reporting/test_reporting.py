"""Markdown and HTML renderers on a hand-made Report (no metric code runs)."""

from __future__ import annotations

import base64
import io
import json
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from synthset.errors import SynthsetError
from synthset.evaluation.base import MetricResult
from synthset.evaluation.report import Report
from synthset.reporting import plots, render_html, render_markdown
from tests.reporting.conftest import EVIL, make_report

VOID = {"meta", "img", "br", "hr", "input", "link", "source", "wbr", "col", "area", "base"}


class PageParser(HTMLParser):
    """Collects images, ids and tag balance; fails on a tag closed out of order."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self.ids: set[str] = set()
        self.scripts = 0
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "img":
            self.images.append(attrs)
        if tag == "script":
            self.scripts += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(make_report())


@pytest.fixture(scope="module")
def parsed(page) -> PageParser:
    parser = PageParser()
    parser.feed(page)
    parser.close()
    return parser


# --- markdown ---------------------------------------------------------------------------------
def test_render_markdown_has_summary_and_every_metric(report):
    text = render_markdown(report)

    assert text.startswith("# Synthetic data report")
    assert "## Summary" in text and "| Fidelity | 4 | 1 | 2 | 0 |" in text
    for m in report.metrics:
        assert f"`{m.name}`" in text
    assert "### Per-column shape scores" in text
    assert "not computed: ValueError: &lt;bad&gt; input" in text
    assert "pass ≥ 0.9 · warn ≥ 0.8" in text and "pass ≤ 0.6 · warn ≤ 0.75" in text
    assert "| rows (holdout) | 100 |" in text


def test_render_markdown_escapes_column_names_and_pipes():
    report = make_report()
    report["column_shapes"].details["columns"]["a|b"] = {"score": 0.5, "method": "tv"}

    text = render_markdown(report)

    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    assert "| a\\|b | 0.500 | tv |" in text


def test_report_to_markdown_and_json_round_trip(tmp_path, report):
    report.to_markdown(tmp_path / "r.md")
    report.to_json(tmp_path / "r.json")

    assert (tmp_path / "r.md").read_text().startswith("# Synthetic data report")
    data = json.loads((tmp_path / "r.json").read_text())
    assert [m["name"] for m in data["metrics"]] == [m.name for m in report.metrics]


# --- html -------------------------------------------------------------------------------------
def test_render_html_is_well_formed_and_self_contained(page, parsed):
    assert page.startswith("<!DOCTYPE html>")
    assert parsed.errors == [] and parsed.stack == []
    assert parsed.scripts == 0
    assert "http://" not in page and "https://" not in page
    assert {"summary", "scores", "fidelity", "utility", "privacy", "samples"} <= parsed.ids


def test_render_html_images_are_inline_pngs(parsed):
    # 7 columns + 2 matrices + detection ROC + DCR histogram + membership-inference ROC
    assert len(parsed.images) == 12
    for img in parsed.images:
        prefix = "data:image/png;base64,"
        assert img["src"].startswith(prefix)
        with Image.open(io.BytesIO(base64.b64decode(img["src"][len(prefix) :]))) as im:
            im.load()
            assert im.format == "PNG"
            assert (str(im.width), str(im.height)) == (img["width"], img["height"])
        assert img["alt"]


def test_render_html_score_table_has_every_metric_and_status(page):
    table = page[page.index('id="scores"') : page.index("</table>", page.index('id="scores"'))]

    for m in make_report().metrics:
        assert f"<code>{m.name}</code>" in table
    assert table.count('class="pill fail"') == 1
    assert table.count('class="pill warn"') == 2
    assert "pass ≤ 0.01 · warn ≤ 0.05" in table


def test_render_html_escapes_column_names_and_values(page):
    assert EVIL not in page
    assert "<img src=x" not in page
    assert "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_render_html_verdict_names_failing_metrics(page):
    verdict = page[
        page.index('id="summary"') : page.index("</section>", page.index('id="summary"'))
    ]

    assert 'class="verdict fail"' in verdict
    assert "<code>membership_inference</code>" in verdict
    assert "Not computed: <code>missing_values</code>" in verdict


def test_render_html_without_samples_or_details_still_renders():
    report = Report(
        metrics=[
            MetricResult("column_shapes", "fidelity", 0.9, True),
            MetricResult("dcr", "privacy", 0.1, False, details={"histogram": {"bins": [0, 1]}}),
            MetricResult("mystery", "utility", float("nan"), True, details={"error": "<x>"}),
        ]
    )

    page = render_html(report)

    assert 'id="scores"' in page and "<img" not in page
    assert "&lt;x&gt;" in page


def test_report_to_markdown_refuses_to_overwrite(tmp_path, report):
    path = tmp_path / "r.md"
    path.write_text("old")

    with pytest.raises(SynthsetError, match="exists"):
        report.to_markdown(path)
    assert path.read_text() == "old"


# --- plots ------------------------------------------------------------------------------------
def _png_size(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as im:
        return im.size


def test_column_plots_cover_each_kind_and_skip_ids():
    real = pd.DataFrame(
        {
            "id": np.arange(50),
            "x": np.linspace(0, 1, 50),
            "c": ["a", "b"] * 25,
            "missing": [None] * 50,
        }
    )
    kinds = {"id": "id", "x": "continuous", "c": "categorical", "missing": "categorical"}

    figs = plots.column_plots(real, real.copy(), kinds)

    assert list(figs) == ["x", "c"]
    assert all(_png_size(png)[0] == int(4.0 * plots.DPI) for png in figs.values())


def test_column_plots_cap_the_number_of_figures():
    real = pd.DataFrame({f"c{i}": np.arange(10.0) for i in range(5)})

    assert len(plots.column_plots(real, real, max_columns=3)) == 3


def test_category_bars_keep_the_top_categories():
    real = pd.Series([f"cat{i}" for i in range(40)] * 2, name="many")

    png = plots.column_plot(real, real, "categorical")

    assert png is not None and _png_size(png)[1] > 2.4 * plots.DPI  # grows with the bars


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"columns": ["a"], "real": [[1.0]], "synthetic": [[1.0]]},
        {"columns": ["a", "b"], "real": [[1.0, 0.0]], "synthetic": [[1.0, 0.0]]},
    ],
)
def test_correlation_plot_skips_malformed_details(bad):
    assert plots.correlation_plot(bad) is None


def test_roc_and_histogram_plots_skip_malformed_details():
    assert plots.roc_plot({"fpr": [0, 1], "tpr": [0]}) is None
    assert plots.distance_histogram_plot({"bins": [0, 1, 2], "synthetic": [1]}) is None
    assert plots.roc_plot({"fpr": [0, 0.5, 1], "tpr": [0, 0.8, 1]}, auc=0.8) is not None

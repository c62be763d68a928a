"""The HTML report in a real browser: headless Chromium loads it, decodes every image, shows it.

Skipped when ``chromium`` is not on PATH (``.ci/run`` installs it). Set SYNTHSET_SCREENSHOT_DIR
to keep the screenshot (``report.png``) for a person to look at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.reporting.conftest import make_report

CHROMIUM = shutil.which("chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WINDOW = (1280, 2000)

# Appended to a copy of the report (the report itself has no script). After the load event it
# writes what the browser made of the page into <pre id="check">, which --dump-dom returns.
CHECK_SCRIPT = """
<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const bad = images.filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.alt);
  const scores = document.getElementById("scores");
  const pre = document.createElement("pre");
  pre.id = "check";
  pre.textContent = JSON.stringify({
    images: images.length,
    bad: bad,
    scoreRows: scores ? scores.querySelectorAll("tbody tr").length : -1,
    width: document.documentElement.scrollWidth,
  });
  document.body.appendChild(pre);
});
</script>
"""
# A deliberately broken image, so the check is seen to catch one.
BROKEN_IMAGE = '<img alt="broken on purpose" src="data:image/png;base64,iVBORw0KGgoAAAA">'

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not on PATH")


def run_chromium(profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.fixture(scope="module")
def report_page(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "report.html"
    make_report().to_html(path)
    return path


def test_every_image_decodes_and_the_score_table_is_there(report_page, tmp_path):
    page = report_page.read_text(encoding="utf-8")
    checked = tmp_path / "checked.html"
    checked.write_text(
        page.replace("</main>", BROKEN_IMAGE + "</main>").replace(
            "</body>", CHECK_SCRIPT + "</body>"
        ),
        encoding="utf-8",
    )

    dom = run_chromium(
        tmp_path / "profile",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        checked.as_uri(),
    ).stdout

    match = re.search(r'<pre id="check">(.*?)</pre>', dom, re.S)
    assert match, dom[-2000:]
    check = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert check["images"] == page.count("<img ") + 1
    assert check["bad"] == ["broken on purpose"]  # every real figure decoded
    assert check["scoreRows"] == len(make_report().metrics)
    assert check["width"] <= WINDOW[0]  # no horizontal scrolling at the page level


def test_screenshot_shows_the_page(report_page, tmp_path):
    shot = tmp_path / "report.png"

    run_chromium(
        tmp_path / "profile",
        f"--screenshot={shot}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--hide-scrollbars",
        report_page.as_uri(),
    )

    with Image.open(shot) as im:
        im.load()
        assert im.size == WINDOW
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 100  # text, pills and figures, not a blank page
    keep = os.environ.get("SYNTHSET_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(keep) / "report.png")

"""The report in a real headless browser (Chromium): the summary table is there, every image loads.

Chromium is driven through its command line, without a Python dependency: a
copy of the report gets an inline script that, once the page has loaded,
writes what it finds (rows of the summary table, each image's natural size)
into the DOM, and ``--dump-dom`` prints the DOM. One broken image is added to
the copy as a control, so the check is shown to catch an image that does not load.

The page must stay self-contained: the probe also lists every request the page made
(the browser's resource timing entries, which include failed requests and leave out
``data:`` URIs). A second control, an image on a closed local port, is the one request
expected, which shows the list would catch a plot, script or style fetched from elsewhere.
"""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import subprocess

import pytest

from riskmc.analysis.report import write_report
from riskmc.engine.propagate import METRICS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=10000",
    "--dump-dom",
]
# Port 9 (discard) is closed here: the request fails at once and nothing leaves the machine.
REMOTE = "http://127.0.0.1:9/riskmc-control.png"
BROKEN = base64.b64encode(b"\x89PNG\r\n\x1a\n not really a PNG").decode()
PROBE = """
<img id="control" src="data:image/png;base64,%s" alt="a broken image, the control">
<img id="remote" src="%s" alt="a request leaving the page, the other control">
<script>
window.addEventListener("load", function () {
  var found = {
    summaryRows: document.querySelectorAll("table#summary tbody tr").length,
    summaryHeader: Array.from(document.querySelectorAll("table#summary thead th"))
      .map(function (th) { return th.textContent; }),
    images: Array.from(document.images).map(function (img) {
      return {id: img.id || (img.parentElement && img.parentElement.id) || "",
              complete: img.complete, width: img.naturalWidth, height: img.naturalHeight};
    }),
    requests: performance.getEntriesByType("resource").map(function (e) { return e.name; })
  };
  var out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify(found);
  document.body.appendChild(out);
});
</script>
"""


def _png_size(src: str) -> tuple[int, int]:
    data = base64.b64decode(src.split(",", 1)[1])
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
def test_report_opens_in_chromium_with_its_table_and_every_image(default_result_dir, tmp_path):
    report = write_report(default_result_dir, tmp_path / "report.html").read_text("utf-8")
    page = tmp_path / "probed.html"
    page.write_text(
        report.replace("</body>", PROBE % (BROKEN, REMOTE) + "</body>"), encoding="utf-8"
    )
    profile = tmp_path / "profile"
    profile.mkdir()
    proc = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    found = re.search(r'<pre id="probe">(.*?)</pre>', proc.stdout, flags=re.S)
    assert found is not None, proc.stderr[-2000:]
    seen = json.loads(html.unescape(found.group(1)))
    # The summary table: one row per project and metric, with the quantile columns.
    assert seen["summaryRows"] == 2 * len(METRICS)
    assert seen["summaryHeader"] == ["project", "metric", "unit", "mean", "P50", "P80", "P90"]
    images = {i["id"]: i for i in seen["images"]}
    control = images.pop("control")
    assert control["width"] == 0  # a broken image is seen as broken
    images.pop("remote")
    # No request leaves the file: the remote control is the only one the page made.
    assert seen["requests"] == [REMOTE]
    sources = re.findall(r'<figure id="([^"]+)"><img src="([^"]+)"', report)
    assert len(sources) >= 6
    assert sorted(images) == sorted(name for name, _ in sources)
    for name, src in sources:
        assert images[name]["complete"]
        # Decoded by the browser at the size the PNG says it has.
        assert (images[name]["width"], images[name]["height"]) == _png_size(src), name

"""The kiosk's baseline in benchmarks/bench_kiosk.py: Debian's Chromium in kiosk mode (a 1280×800
window, as the kiosk's) on a static page with the attract screen's content (header, 请插入社会保障卡, the hint, the three language
buttons; the same colours and font sizes, WenQuanYi Micro Hei).

``ChromiumRun.start`` launches ``/usr/bin/chromium`` fresh (a new ``--user-data-dir``) on a display;
``first_paint()`` returns the first-contentful-paint time on ``time.monotonic()``'s clock: the page
logs ``performance.timeOrigin + startTime`` of its paint entry (presentation time, epoch ms) to the
console, which Chromium writes to stderr with ``--enable-logging=stderr``.
"""

from __future__ import annotations

import html
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from kiosk.i18n import LANGUAGE_NAMES, LANGUAGES, tr

logger = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--kiosk",
    "--window-size=1280,800",  # the kiosk's window (config/default.toml [ui]), also at the top left
    "--window-position=0,0",
    "--disable-features=Translate",  # no "translate this page?" bubble over a Chinese page
    "--enable-logging=stderr",
    "--v=0",
)
_FCP = re.compile(r"RENSHE_FCP ([0-9.]+)")


def attract_page(language: str = "zh_CN") -> str:
    """A static HTML page showing what the kiosk's attract screen shows."""
    buttons = "".join(f"<button>{html.escape(LANGUAGE_NAMES[lang])}</button>" for lang in LANGUAGES)
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(tr("app.title", language))}</title>
<style>
html, body {{ margin: 0; height: 100%; background: #fff; font-family: "WenQuanYi Micro Hei", sans-serif; }}
body {{ display: flex; flex-direction: column; }}
header {{ height: 96px; background: rgb(10, 92, 168); color: #fff; font-size: 30px; display: flex;
  align-items: center; padding: 0 24px; }}
main {{ flex: 1; display: flex; flex-direction: column; padding: 32px; gap: 20px; color: rgb(26, 31, 41); }}
.spacer {{ flex: 1; }}
h1 {{ font-size: 44px; text-align: center; margin: 0; }}
p {{ font-size: 30px; text-align: center; margin: 0; }}
nav {{ display: flex; gap: 16px; height: 110px; }}
button {{ flex: 1; font: inherit; font-size: 32px; border: 0; background: rgb(219, 224, 235); color: rgb(26, 31, 41); }}
</style></head>
<body><header>{html.escape(tr("app.title", language))}</header>
<main><div class="spacer"></div><h1>{html.escape(tr("attract.insert_card", language))}</h1>
<p>{html.escape(tr("attract.hint", language))}</p><div class="spacer"></div><nav>{buttons}</nav></main>
<script>
new PerformanceObserver((list) => {{
  for (const entry of list.getEntries())
    if (entry.name === "first-contentful-paint") console.log("RENSHE_FCP " + (performance.timeOrigin + entry.startTime));
}}).observe({{type: "paint", buffered: true}});
</script></body></html>
"""


class ChromiumRun:
    """One Chromium process (tree) showing ``page``; ``stop()`` ends it and removes its profile."""

    def __init__(self, process: subprocess.Popen[str], profile: Path, started: float) -> None:
        self.process = process
        self.started = started  # time.monotonic() just before the launch
        self._profile = profile
        self._paint: float | None = None
        self._painted = threading.Event()
        self._offset = time.time() - time.monotonic()  # epoch = monotonic + offset
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()

    @classmethod
    def start(cls, page: Path, display: str) -> ChromiumRun:
        """Launch Chromium in kiosk mode on ``display`` showing the file ``page``."""
        profile = Path(tempfile.mkdtemp(prefix="renshe-bench-chromium-"))
        env = dict(os.environ, DISPLAY=display)
        command = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", page.as_uri()]
        started = time.monotonic()
        process = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        return cls(process, profile, started)

    def _read_stderr(self) -> None:
        stream = self.process.stderr
        if stream is None:
            return
        for line in stream:
            match = _FCP.search(line)
            if match and self._paint is None:
                self._paint = float(match.group(1)) / 1000 - self._offset
                self._painted.set()

    def first_paint(self, timeout: float = 60.0) -> float:
        """The first contentful paint, on the time.monotonic() clock; RuntimeError after ``timeout``."""
        if not self._painted.wait(timeout) or self._paint is None:
            raise RuntimeError(f"Chromium showed no first paint in {timeout:.0f} s")
        return self._paint

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self._profile, ignore_errors=True)

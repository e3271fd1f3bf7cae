"""The kiosk as a resident meets it, on one Xvfb display, each figure beside a baseline of the same run.

Rows:
- cold start → first frame of the attract screen, production mode (enrolled with its own gateway
  process, card through pcscd, virtual printer) and demo mode, vs Debian's Chromium in kiosk mode
  on a static page of the same content (benchmarks/chromium_page.py), started the same way;
- the same production start with every known service enabled, vs the default four;
- peak proportional memory (PSS) of the kiosk's process tree from start through its journeys, vs
  Chromium's tree on its page, and vs the 200 MB goal;
- touch → next screen drawn, p50 and p95, over the production journeys (the X input event to the
  first frame showing the state the touch caused; a touch that starts a query is answered by the
  busy screen, so the query's own wait is not counted), vs the 100 ms goal;
- card inserted → the resident's name on screen (PIN screen) through pcscd, vs the same insertion
  read into CardData in-process with no UI;
- a whole journey with zero think time in demo mode (card via the dock, PIN, 参保信息, print
  参保证明, card out), the first after start (1 s after the first frame) and a later one, vs the
  3 s goal.

A journey: card in → PIN digits → OK → 参保信息 → back → 打印参保证明 → print → continue → exit →
card out, each action sent as soon as the frame it waits for is logged. Times come from the
kiosk's frame log (screens/frame_probe.py, RENSHE_FRAME_LOG) on the machine's monotonic clock;
touches are X events made with XTest (benchmarks/kiosk_rig.py). The measurement runs in a child
process, as bench_card's does: libpcsclite fixes the pcscd socket at a process's first context.
"""

from __future__ import annotations

import json
import logging
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
TOUCH_GOAL_MS = 100.0
JOURNEY_GOAL_S = 3.0
PSS_GOAL_MB = 200.0
FIRST_TOUCH_AFTER_S = 1.0  # the demo's first journey starts this long after the first frame


def run(quick: bool) -> list[dict]:
    cmd = [sys.executable, "-m", "benchmarks.bench_kiosk", "--child"] + (["--quick"] if quick else [])
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        traceback = proc.stderr[proc.stderr.rfind("Traceback") :] if "Traceback" in proc.stderr else proc.stderr
        raise RuntimeError(f"kiosk benchmark child failed (exit {proc.returncode}): {traceback.strip()[-800:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


class Journey:
    """One scripted resident journey on a running kiosk; collects touch → frame latencies (ms)."""

    def __init__(self, kiosk: Any, xin: Any, insert: Callable[[], float], pull: Callable[[], float], pin: str) -> None:
        self.kiosk, self.xin, self.insert, self.pull, self.pin = kiosk, xin, insert, pull, pin
        self.touch_ms: list[float] = []
        self.card_to_name = 0.0
        self.seconds = 0.0

    def tap(self, target: str) -> None:
        """Touch ``target`` on the screen on show; the answer is the first frame of a newer state
        logged after the app received the touch (a state published meanwhile for another reason,
        a printer status say, is drawn before the touch arrives and does not count)."""
        log = self.kiosk.log
        log.poll()
        frame, touches = log.last(), len(log.touches)
        x, y = frame["targets"][target]
        pressed = self.xin.click(x, y)
        seq = frame["seq"]

        def answers(f: dict[str, Any]) -> bool:
            return f["seq"] > seq and len(log.touches) > touches and f["t"] >= log.touches[touches]

        answer = log.wait(answers, 30, self.kiosk.alive)
        self.touch_ms.append((answer["t"] - pressed) * 1000)

    def play(self) -> Journey:
        wait = self.kiosk.wait_screen
        started = self.insert()
        self.card_to_name = wait("pin", 30)["t"] - started
        for digit in self.pin:
            self.tap(f"pin:{digit}")
        self.tap("pin:ok")
        wait("menu", 30, target="service:print_insured_certificate")
        self.tap("service:insurance_info")
        wait("records", 30, target="back")
        self.tap("back")
        wait("menu", 30, target="service:print_insured_certificate")
        self.tap("service:print_insured_certificate")
        wait("print_preview", 30, target="print")
        self.tap("print")
        wait("message", 30, target="continue")
        self.tap("continue")
        wait("menu", 30, target="exit")
        self.tap("exit")
        wait("remove_card", 30)
        self.pull()
        self.seconds = wait("attract", 30)["t"] - started
        return self


def _first_frame(kiosk: Any) -> float:
    try:
        return kiosk.wait_screen("attract", 90)["t"] - kiosk.started
    finally:
        kiosk.stop()


def _chromium(page: Path, display: str) -> tuple[float, float]:
    """(seconds to Chromium's first paint, peak PSS in MB over the 2 s after it)."""
    from benchmarks.chromium_page import ChromiumRun
    from benchmarks.kiosk_rig import pss_mb

    browser = ChromiumRun.start(page, display)
    try:
        painted = browser.first_paint() - browser.started
        peak = 0.0
        for _ in range(10):
            time.sleep(0.2)
            peak = max(peak, pss_mb(browser.process.pid))
        return painted, peak
    finally:
        browser.stop()


def _card_baseline(pcscd: Any, card: Any, repeats: int) -> float:
    """Median ms from inserting ``card`` to its CardData read in this process, no UI."""
    from drivers.card.pcsc_reader import PcscCardReader
    from drivers.card.sscard import read_card
    from drivers.card.vpcd_card import VpcdCardBridge

    reader = PcscCardReader(pcscd.reader_name_pattern)
    bridge = VpcdCardBridge(port=pcscd.vpcd_port, netns_path=lambda: pcscd.netns_path)
    times = []
    for _ in range(repeats):
        start = time.monotonic()
        bridge.insert(card)
        while not reader.card_present():
            reader.wait_for_change(0.1)
        with reader.connect() as conn:
            read_card(conn)
        times.append((time.monotonic() - start) * 1000)
        bridge.remove()
        while reader.card_present():
            reader.wait_for_change(0.05)
    return statistics.median(times)


def _measure(quick: bool) -> list[dict]:
    from benchmarks.chromium_page import attract_page
    from benchmarks.kiosk_rig import Kiosk, PssSampler, XInput, enrolled_gateway, xvfb
    from common.card_auth import card_keys_from_json
    from common.config import KNOWN_SERVICES
    from drivers.card.pcscd_service import IsolatedPcscd
    from drivers.card.simulator import VirtualSocialSecurityCard
    from drivers.card.vpcd_card import VpcdCardBridge
    from kiosk.models import card_data_from_json

    logging.disable(logging.INFO)
    starts, journeys = (2, 2) if quick else (5, 4)
    root = Path(tempfile.mkdtemp(prefix="renshe-bench-kiosk-"))
    pcscd = IsolatedPcscd(root / "pcscd")
    pcscd.export_env()
    pcscd.start()
    try:
        with xvfb() as display, enrolled_gateway(root) as (_url, kiosk_dir, person):
            keys = card_keys_from_json(person.get("card_keys"))  # the card's own keys, as seeded
            card = VirtualSocialSecurityCard.from_card_data(card_data_from_json(person), pin=person["pin"], keys=keys)
            card_base = _card_baseline(pcscd, card, 3 if quick else 10)
            page = root / "attract.html"
            page.write_text(attract_page(), encoding="utf-8")
            production = ["--data-dir", str(kiosk_dir), "--set", "card.kind=pcsc"]
            production += ["--set", f"card.reader={pcscd.reader_name_pattern}", "--set", "printer.kind=virtual"]
            every = "services.enabled=[" + ", ".join(f'"{name}"' for name in KNOWN_SERVICES) + "]"
            demo = ["--demo", "--data-dir", str(root / "demo")]
            kinds: dict[str, Callable[[], Any]] = {
                "production": lambda: Kiosk(production, display, pcscd.env),
                "all_services": lambda: Kiosk([*production, "--set", every], display, pcscd.env),
                "demo": lambda: Kiosk(demo, display),
            }
            for make in kinds.values():  # warm-up: page cache, bytecode, the demo world's database
                _first_frame(make())
            _chromium(page, display)
            firsts: dict[str, list[float]] = {name: [] for name in [*kinds, "chromium"]}
            chromium_pss = 0.0
            for _ in range(starts):
                for name, make in kinds.items():
                    firsts[name].append(_first_frame(make()))
                painted, pss = _chromium(page, display)
                firsts["chromium"].append(painted)
                chromium_pss = max(chromium_pss, pss)
            start = {name: statistics.median(values) for name, values in firsts.items()}

            xin = XInput(display)
            bridge = VpcdCardBridge(port=pcscd.vpcd_port, netns_path=lambda: pcscd.netns_path)

            def insert() -> float:
                started = time.monotonic()
                bridge.insert(card)
                return started

            def pull() -> float:
                started = time.monotonic()
                bridge.remove()
                return started

            kiosk = kinds["production"]()
            sampler = PssSampler(kiosk.process.pid)
            try:
                kiosk.wait_screen("attract", 90)
                played = [Journey(kiosk, xin, insert, pull, person["pin"]).play() for _ in range(journeys)]
            finally:
                kiosk_pss = sampler.stop()
                kiosk.stop()
            touches = sorted(ms for journey in played for ms in journey.touch_ms)
            card_to_name = statistics.median(journey.card_to_name for journey in played) * 1000

            demo_pin = _demo_pin(root / "demo")
            kiosk = kinds["demo"]()
            try:
                frame = kiosk.wait_screen("attract", 90)
                dock = frame["targets"]
                # A click in the first milliseconds after the window maps is lost (SDL takes the
                # pointer's focus then), and no resident is that quick: the first journey starts later.
                time.sleep(FIRST_TOUCH_AFTER_S)

                def dock_insert() -> float:
                    return xin.click(*kiosk.log.last()["targets"]["dock:insert"])

                def dock_pull() -> float:
                    return xin.click(*dock["dock:pull"])

                demo_runs = [Journey(kiosk, xin, dock_insert, dock_pull, demo_pin).play() for _ in range(journeys)]
            finally:
                kiosk.stop()
            xin.close()
    finally:
        pcscd.stop()
        shutil.rmtree(root, ignore_errors=True)
    return _rows(start, kiosk_pss, chromium_pss, touches, card_to_name, card_base, demo_runs)


def _demo_pin(demo_dir: Path) -> str:
    """The PIN of the demo world's first resident (the card the dock inserts by default)."""
    from server.embedded import start_embedded_server

    server = start_embedded_server(demo_dir / "server", persons=12, seed=2024)
    try:
        return str(server.demo_people()[0]["pin"])
    finally:
        server.stop()


def _percentile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, round(fraction * (len(values) - 1)))]


def _rows(
    start: dict[str, float],
    kiosk_pss: float,
    chromium_pss: float,
    touches: list[float],
    card_to_name: float,
    card_base: float,
    demo_runs: list[Journey],
) -> list[dict]:
    chromium = "Chromium --kiosk, same page, same display"

    def row(name: str, value: float, unit: str, baseline_name: str, baseline: float) -> dict:
        return {"name": name, "value": value, "unit": unit, "baseline_name": baseline_name, "baseline": baseline}

    later = statistics.median(journey.seconds for journey in demo_runs[1:])
    return [
        row("kiosk: cold start → first frame, production", start["production"], "s", chromium, start["chromium"]),
        row("kiosk: cold start → first frame, demo mode", start["demo"], "s", chromium, start["chromium"]),
        row(
            "kiosk: cold start, all services enabled",
            start["all_services"],
            "s",
            "default services",
            start["production"],
        ),
        row(
            "kiosk: peak PSS of the process tree, journeys", kiosk_pss, "MB", "Chromium tree on its page", chromium_pss
        ),
        row("kiosk: peak PSS, journeys, vs goal", kiosk_pss, "MB", "goal", PSS_GOAL_MB),
        row(
            f"kiosk: touch → screen drawn p50 ({len(touches)} touches)",
            _percentile(touches, 0.5),
            "ms",
            "goal for p95",
            TOUCH_GOAL_MS,
        ),
        row(
            "kiosk: touch → screen drawn p95 (queries excepted)",
            _percentile(touches, 0.95),
            "ms",
            "goal",
            TOUCH_GOAL_MS,
        ),
        row("kiosk: card in → name on screen via pcscd", card_to_name, "ms", "insert → CardData, no UI", card_base),
        row("kiosk: whole journey, demo, 0 think time, first", demo_runs[0].seconds, "s", "goal", JOURNEY_GOAL_S),
        row("kiosk: whole journey, demo, 0 think time, later", later, "s", "goal", JOURNEY_GOAL_S),
    ]


if __name__ == "__main__":
    if "--child" in sys.argv:
        sys.path.insert(0, str(REPO_ROOT))
        print(json.dumps(_measure("--quick" in sys.argv)))

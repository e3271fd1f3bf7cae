"""Fleet manager figures: one gateway process, thousands of simulated terminals heartbeating.

``run(quick)`` starts the gateway (with the fleet router) in a subprocess on 127.0.0.1, registers
N terminals, and lets worker threads play them: each terminal beats every ``interval`` seconds at
its own phase and, when the beat's answer names a config version it does not have, fetches the
signed bundle (``GET /api/v1/terminal/config?since=``). The first interval warms up, the second is
measured as steady state, and at the start of the third a global profile changes. Figures: the
server's CPU use (share of one core, from /proc) in steady state and during the change, the
heartbeats' p50/p99 latency in steady state beside ``/healthz`` probed under the same load, the time
until 95 % of terminals hold the new version (beside the interval itself), and the cost of signing +
verifying a bundle. Each beat is what a kiosk sends: built by ``kiosk.heartbeat.HeartbeatBuilder``
with every device, the counters and the headers of ``kiosk.fleet_client.FleetClient``.

Full run: 5 000 terminals every 30 s (≈ 100 s). Quick: 500 terminals every 5 s (≈ 20 s). Prints nothing.
"""

from __future__ import annotations

import heapq
import http.client
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from server.devdb import free_port

logger = logging.getLogger(__name__)

WORKERS = 16


def _serve(data_dir: str, port: int) -> None:
    """Subprocess entry: the gateway with the fleet router mounted (whether or not app.py does it)."""
    import uvicorn

    from server.app import create_app
    from server.fleet.router import install_fleet
    from server.fleet.router import router as fleet_router
    from server.logs import configure_logging
    from server.settings import ServerSettings

    configure_logging(logging.WARNING)
    app = create_app(ServerSettings(data_dir=Path(data_dir)))
    if "/api/v1/terminal/heartbeat" not in app.openapi()["paths"]:
        app.include_router(fleet_router)
    install_fleet(app, Path(data_dir), heartbeat_interval=int(os.environ["RENSHE_HEARTBEAT_INTERVAL"]))
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)


def _register(data_dir: Path, count: int) -> list[tuple[str, str]]:
    """(terminal id, token) pairs written straight into a migrated database."""
    from server.app import create_app
    from server.auth import hash_secret, utcnow
    from server.models import Terminal
    from server.settings import ServerSettings

    app = create_app(ServerSettings(data_dir=data_dir))
    terminals = [(f"B{i:05d}", f"bench-token-{i:05d}-{os.urandom(8).hex()}") for i in range(count)]
    with app.state.ctx.sessions.begin() as db:
        now = utcnow()
        db.add_all(
            [
                Terminal(id=tid, region="320583", token_hash=hash_secret(tok), created_at=now, enrolled_at=now)
                for tid, tok in terminals
            ]
        )
    app.state.ctx.engine.dispose()
    return terminals


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_up(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("benchmark gateway exited during start-up")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("benchmark gateway did not start")


class _Terminals:
    """Shared results of the worker threads."""

    def __init__(self, count: int) -> None:
        self.lock = threading.Lock()
        self.latencies: list[tuple[float, float]] = []  # (time, seconds)
        self.versions = [-1] * count
        self.reached: dict[int, float] = {}
        self.target_version: int | None = None
        self.errors = 0


class _Kiosk:
    """One simulated terminal's fleet side: the real ``HeartbeatBuilder`` (every device the kiosk
    reports, with the printer's paper state, counters since the last beat, print queue, maintenance)
    and the headers ``kiosk.fleet_client.FleetClient`` sends."""

    def __init__(self, idx: int, token: str) -> None:
        from kiosk.device_report import DeviceReport, printer_report
        from kiosk.heartbeat import HeartbeatBuilder

        self.idx = idx
        self.beats = 0
        self.sessions = 0
        self.prints = 0
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "User-Agent": "renshe-kiosk-fleet/1",
            "Content-Type": "application/json",
        }
        self.builder = HeartbeatBuilder(
            "1.4.2",
            {
                "printer": lambda: printer_report(self._printer()),
                "card_reader": lambda: DeviceReport("ok", "ACS ACR39U ICC Reader 00 00"),
                "camera": lambda: DeviceReport("ok", "USB2.0 HD UVC WebCam 1280x720"),
            },
            totals=lambda: (self.sessions, self.prints),
            print_queue=lambda: 1 if self.idx % 7 == 0 and self.beats % 3 == 0 else 0,
        )

    def _printer(self) -> str:
        # One terminal in 50 runs its paper down now and then: a state change staff care about.
        return "paper_near_end" if self.idx % 50 == 0 and (self.beats // 2) % 2 else "ready"

    def beat(self, config_version: int | None) -> bytes:
        self.beats += 1
        self.sessions += (self.idx + self.beats) % 3  # residents served since the last beat
        self.prints += (self.idx + self.beats) % 2
        return json.dumps(self.builder.build(config_version)).encode()

    def request_headers(self) -> dict[str, str]:
        return {**self.headers, "X-Request-ID": uuid.uuid4().hex[:16]}


def _worker(
    port: int, items: list[tuple[int, str, str]], interval: float, start: float, end: float, shared: _Terminals
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    kiosks = {idx: _Kiosk(idx, tok) for idx, _tid, tok in items}
    queue = [(start + interval * (idx / len(shared.versions)), idx) for idx, _tid, _tok in items]
    heapq.heapify(queue)
    while queue:
        due, idx = heapq.heappop(queue)
        if due >= end:
            break
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        kiosk = kiosks[idx]
        applied = shared.versions[idx]
        body = kiosk.beat(applied if applied >= 0 else None)
        t0 = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/terminal/heartbeat", body=body, headers=kiosk.request_headers())
            resp = conn.getresponse()
            answer = json.loads(resp.read())
            took = time.perf_counter() - t0
            if resp.status != 200:
                raise RuntimeError(f"HTTP {resp.status}")
            if answer["config_version"] != applied:
                conn.request("GET", f"/api/v1/terminal/config?since={applied}", headers=kiosk.request_headers())
                cfg = conn.getresponse()
                data = cfg.read()
                if cfg.status == 200:
                    version = json.loads(data)["bundle"]["version"]
                    shared.versions[idx] = version
                    if version == shared.target_version:
                        with shared.lock:
                            shared.reached.setdefault(idx, time.monotonic())
        except (OSError, ValueError, RuntimeError, http.client.HTTPException):
            with shared.lock:
                shared.errors += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            took = None
        if took is not None:
            with shared.lock:
                shared.latencies.append((time.monotonic(), took))
        heapq.heappush(queue, (due + interval, idx))
    conn.close()


def _probe(port: int, end: float, out: list[tuple[float, float]]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while time.monotonic() < end:
        t0 = time.perf_counter()
        conn.request("GET", "/healthz")
        conn.getresponse().read()
        out.append((time.monotonic(), time.perf_counter() - t0))
        time.sleep(0.1)
    conn.close()


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _sign_verify(repeat: int) -> tuple[float, float]:
    """(sign+verify ms, canonical JSON only ms) for a typical bundle."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from common.bundles import canonical_json, sign_bundle, verify_envelope

    key = Ed25519PrivateKey.generate()
    bundle = {
        "version": 42,
        "terminal_id": "B00001",
        "issued_at": "2026-11-24T00:00:00+00:00",
        "config": {
            "session": {"idle_timeout": 90},
            "services": {"enabled": ["insurance_info"]},
            "terminal": {"language": "zh_CN"},
            "printer": {"paper_width_dots": 576},
        },
        "origin": {"session.idle_timeout": "region:320583", "services.enabled": "global"},
    }
    t0 = time.perf_counter()
    for _ in range(repeat):
        verify_envelope(sign_bundle(key, bundle), key.public_key(), "B00001")
    both = (time.perf_counter() - t0) / repeat * 1000
    t0 = time.perf_counter()
    for _ in range(repeat):
        canonical_json(bundle)
        canonical_json(bundle)
    plain = (time.perf_counter() - t0) / repeat * 1000
    return both, plain


def run(quick: bool) -> list[dict[str, Any]]:
    count, interval = (500, 5) if quick else (5000, 30)
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        data_dir = Path(tmp)
        terminals = _register(data_dir, count)
        port = free_port()
        env = {**os.environ, "RENSHE_HEARTBEAT_INTERVAL": str(interval)}
        with open(data_dir / "server.log", "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.bench_fleet", "--serve", tmp, str(port)],
                env=env,
                stdout=log,
                stderr=log,
                cwd=Path(__file__).resolve().parent.parent,
            )
            try:
                _wait_up(port, proc)
                shared = _Terminals(count)
                # Interval 1 warms up (first beats, first bundles); 2 is steady state; 3 carries a change.
                start = time.monotonic() + 0.5
                steady_at = start + interval
                change_at = start + 2 * interval
                end = start + 3 * interval + 1
                items = [(i, tid, tok) for i, (tid, tok) in enumerate(terminals)]
                threads = [
                    threading.Thread(
                        target=_worker, daemon=True, args=(port, items[w::WORKERS], interval, start, end, shared)
                    )
                    for w in range(WORKERS)
                ]
                probes: list[tuple[float, float]] = []
                threads.append(threading.Thread(target=_probe, args=(port, end, probes), daemon=True))
                for thread in threads:
                    thread.start()
                time.sleep(max(0.0, steady_at - time.monotonic()))
                cpu_s0, wall_s0 = _cpu_seconds(proc.pid), time.monotonic()
                time.sleep(max(0.0, change_at - time.monotonic()))
                cpu0, wall0 = _cpu_seconds(proc.pid), time.monotonic()
                steady_cpu = 100 * (cpu0 - cpu_s0) / (wall0 - wall_s0)
                shared.target_version = _change_config(data_dir)
                changed = time.monotonic()
                for thread in threads:
                    thread.join(end - time.monotonic() + 30)
                cpu1, wall1 = _cpu_seconds(proc.pid), time.monotonic()
            finally:
                proc.terminate()
                proc.wait(20)
    window = [took for at, took in shared.latencies if steady_at <= at < change_at]
    probe_window = [took for at, took in probes if steady_at <= at < change_at]
    reach = sorted(at - changed for at in shared.reached.values())
    reach95 = reach[int(0.95 * count) - 1] if len(reach) >= int(0.95 * count) else float("inf")
    sign_ms, plain_ms = _sign_verify(200 if quick else 2000)
    label = f"{count} terminals / {interval} s"
    return [
        {
            "name": f"fleet heartbeat p99 ({label})",
            "value": _percentile(window, 0.99) * 1000,
            "unit": "ms",
            "baseline_name": "/healthz p99, same load",
            "baseline": _percentile(probe_window, 0.99) * 1000,
        },
        {
            "name": f"fleet heartbeat p50 ({label})",
            "value": _percentile(window, 0.50) * 1000,
            "unit": "ms",
            "baseline_name": "/healthz p50, same load",
            "baseline": _percentile(probe_window, 0.50) * 1000,
        },
        {
            "name": f"fleet server CPU, steady ({label})",
            "value": steady_cpu,
            "unit": "% of a core",
            "baseline_name": "goal",
            "baseline": 25.0,
        },
        {
            "name": f"fleet server CPU, config change ({label})",
            "value": 100 * (cpu1 - cpu0) / (wall1 - wall0),
            "unit": "% of a core",
            "baseline_name": "steady",
            "baseline": steady_cpu,
        },
        {
            "name": f"fleet config reaches 95 % ({label})",
            "value": reach95,
            "unit": "s",
            "baseline_name": "one heartbeat interval",
            "baseline": float(interval),
        },
        {
            "name": "fleet heartbeat errors",
            "value": float(shared.errors),
            "unit": "requests",
            "baseline_name": "heartbeats sent",
            "baseline": float(len(shared.latencies)),
        },
        {
            "name": "fleet bundle sign + verify",
            "value": sign_ms,
            "unit": "ms",
            "baseline_name": "canonical JSON ×2 only",
            "baseline": plain_ms,
        },
    ]


def _change_config(data_dir: Path) -> int:
    """A new global profile version, written the way the console does (its id is the new version)."""
    from server.db import make_engine, make_session_factory
    from server.fleet.profiles import save_profile
    from server.settings import sqlite_url

    engine = make_engine(sqlite_url(data_dir))
    try:
        with make_session_factory(engine).begin() as db:
            return save_profile(db, "global", "", {"session": {"idle_timeout": 75}}, "bench").id
    finally:
        engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        _serve(sys.argv[2], int(sys.argv[3]))

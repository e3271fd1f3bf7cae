"""`python main.py doctor [--json]`: is every configured device and the server usable?

Exit 0 only if all checks pass. Each problem is named with the fix an operator can apply.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from kiosk.device_report import CARD_FIX_DEFAULT, PRINTER_FIXES, DeviceReport, card_reader_report, printer_report
from kiosk.errors import CardError, KioskError
from kiosk.printer_status import PrinterStatus

logger = logging.getLogger(__name__)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _check(name: str, probe: Callable[[], str], fix_for: Callable[[Exception], str]) -> Check:
    try:
        return Check(name, True, probe())
    except Exception as exc:
        detail = exc.detail if isinstance(exc, KioskError) and exc.detail else str(exc) or type(exc).__name__
        return Check(name, False, detail, fix_for(exc))


def _from_report(name: str, report: DeviceReport) -> Check:
    return Check(name, report.ok, report.detail, report.fix)


def card_check(reader: Any) -> Check:
    """Asks the reader itself (the doctor runs alone, with no card monitor owning the reader)."""
    name = "card reader 读卡器"
    try:
        readers = reader.list_readers()
        present = reader.card_present()
    except CardError as exc:
        return _from_report(name, card_reader_report(reader.name, exc))
    except Exception as exc:  # a driver bug is still the reader's problem to report
        return Check(name, False, str(exc) or type(exc).__name__, CARD_FIX_DEFAULT)
    detail = (
        f"reader {reader.name!r} ({len(readers)} reader(s) found); card {'inserted' if present else 'not inserted'}"
    )
    return Check(name, True, detail)


def printer_check(printer: Any) -> Check:
    """Asks the printer itself: only a real answer that it can print passes (UNKNOWN does not)."""
    name = "printer 打印机"
    try:
        status = PrinterStatus.parse(printer.status())
    except Exception as exc:
        return Check(name, False, str(exc), PRINTER_FIXES[PrinterStatus.OFFLINE])
    report = printer_report(status)
    return Check(name, status.checked_usable, f"status {status.name}", report.fix)


def camera_check(camera: Any) -> Check:
    def probe() -> str:
        camera.open()
        try:
            frame = camera.read()
        finally:
            camera.close()
        return f"{camera.name}: {frame.shape[1]}x{frame.shape[0]} frames"

    return _check(
        "camera 摄像头",
        probe,
        lambda exc: (
            "connect the camera, or set camera.source to its device index, file or URL "
            "(v4l2-ctl --list-devices lists them)"
        ),
    )


def server_check(backend: Any, url: str) -> Check:
    def probe() -> str:
        if not backend.health():
            raise RuntimeError("/healthz did not answer OK: the gateway is down or unreachable, or its database is")
        return f"{url} healthy"

    return _check(
        "server 服务器",
        probe,
        lambda exc: f"check the network and server.url ({url}); the gateway's /healthz must answer",
    )


def credential_check(has_token: bool) -> Check:
    if has_token:
        return Check("terminal credential 终端凭证", True, "present")
    return Check(
        "terminal credential 终端凭证",
        False,
        "this terminal is not enrolled",
        "run: python main.py enroll --server URL --code CODE (code from python -m server create-terminal)",
    )


def font_check(configured: str) -> Check:
    from screens.fonts import CHINESE_FIRST_FONTS

    candidates = [configured] if configured else list(CHINESE_FIRST_FONTS)
    found = next((path for path in candidates if os.path.isfile(path)), None)
    if found:
        return Check("CJK font 中文字体", True, found)
    return Check("CJK font 中文字体", False, "no Chinese font found", "apt-get install fonts-wqy-microhei")


def run_doctor(args: argparse.Namespace) -> int:
    from cli.runtime import open_runtime

    try:
        runtime = open_runtime(args, camera=True)
    except KioskError as exc:
        checks = [Check("configuration 配置", False, exc.detail, "fix the named key in the config file")]
        return _report(checks, getattr(args, "json", False))
    try:
        config = runtime.config
        checks = [
            Check("configuration 配置", True, f"terminal {config.terminal.id}"),
            card_check(runtime.devices.card_reader),
            printer_check(runtime.devices.printer),
            camera_check(runtime.devices.camera),
            server_check(runtime.backend, config.server.url),
            credential_check(bool(runtime.token)),
            font_check(config.ui.font_path),
        ]
    finally:
        runtime.close()
    return _report(checks, getattr(args, "json", False))


def _report(checks: list[Check], as_json: bool) -> int:
    ok = all(check.ok for check in checks)
    if as_json:
        print(json.dumps({"ok": ok, "checks": [asdict(check) for check in checks]}, ensure_ascii=False, indent=2))
    else:
        for check in checks:
            mark = "OK " if check.ok else "ERR"
            print(f"[{mark}] {check.name}: {check.detail}")
            if check.fix:
                print(f"      fix: {check.fix}")
        print("all checks passed" if ok else "some checks failed", file=sys.stderr)
    return 0 if ok else 1

"""``python main.py qr-login IMAGE [--json]``: sign in with a 电子社保卡 code in an image, as the camera would.

Finds the QR code in IMAGE with the terminal's own decoder (drivers/camera/qr.py), has the gateway
resolve it (``POST /api/v1/sessions/esscard``) and ends the session at once. Prints
``{"ok": bool, "name": masked name, "ssn": masked SSN, "reason": code or null}`` with --json (docs/
commands.md), else one line; a refusal also goes to stderr in Chinese and English. ``reason`` is the
gateway's refusal code (``esscard_code_used`` …) or one of ``bad_image``, ``no_qr_code``,
``not_esscard_code``, ``backend_unavailable``. The code is a credential: it is never printed.
Exit codes: 0 signed in, 1 refused (no code, not a 电子社保卡 code, refused by the gateway, gateway
unreachable), 2 the image cannot be read. Works with ``--demo`` (the embedded gateway).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

# reason → (简体, English) for the refusals found on the terminal, before any gateway is asked.
LOCAL_REFUSALS = {
    "bad_image": ("无法读取该图片", "The image cannot be read"),
    "no_qr_code": ("图片中未找到二维码", "No QR code found in the image"),
    "not_esscard_code": ("该二维码不是电子社保卡二维码", "The QR code is not an electronic social security card code"),
}


def add_qr_parser(subparsers: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``qr-login IMAGE [--json]``; the parsed namespace's ``func(args)`` runs it."""
    login = subparsers.add_parser(
        "qr-login", parents=parents, help="sign in with a 电子社保卡 QR code in an image, then sign out"
    )
    login.add_argument("image", type=Path, help="a photo or camera frame showing the code")
    login.add_argument("--json", action="store_true", dest="as_json")
    login.set_defaults(func=run_qr_login)


def _report(
    as_json: bool, ok: bool, reason: str | None, name: str = "", ssn: str = "", zh: str = "", en: str = ""
) -> None:
    if as_json:
        print(json.dumps({"ok": ok, "name": name or None, "ssn": ssn or None, "reason": reason}, ensure_ascii=False))
    elif ok:
        print(f"signed in and out: {name} {ssn}")
    else:
        print(f"refused: {reason}")
    if not ok:
        print(f"{zh} / {en}", file=sys.stderr)


def _refuse_locally(as_json: bool, reason: str) -> None:
    zh, en = LOCAL_REFUSALS[reason]
    _report(as_json, False, reason, zh=zh, en=en)


def run_qr_login(args: argparse.Namespace) -> int:
    """Decode, resolve, sign out; see the module doc for the output and exit codes."""
    import cv2

    from common.esscard import is_esscard_code
    from common.ssn import mask_name
    from drivers.camera.qr import decode_qr

    as_json = bool(args.as_json)
    frame = cv2.imread(str(args.image), cv2.IMREAD_COLOR)
    if frame is None:
        _refuse_locally(as_json, "bad_image")
        return 2
    code = decode_qr(frame)
    if code is None:
        _refuse_locally(as_json, "no_qr_code")
        return 1
    if not is_esscard_code(code):
        _refuse_locally(as_json, "not_esscard_code")
        return 1
    answer, refusal = _resolve(args, code)
    if refusal is not None:
        reason, zh, en = refusal
        _report(as_json, False, reason, zh=zh, en=en)
        return 1
    person = answer.get("person") or {}
    _report(as_json, True, None, mask_name(str(person.get("name", ""))), str(person.get("ssn_masked", "")))
    return 0


def _resolve(args: argparse.Namespace, code: str) -> tuple[dict[str, Any], tuple[str, str, str] | None]:
    """(the gateway's answer, None) with the session already ended, or ({}, (reason, 简体, English))."""
    from cli.runtime import open_runtime
    from kiosk.errors import BackendRejected, KioskError
    from kiosk.i18n import tr

    runtime = open_runtime(args, devices=False)
    try:
        backend = runtime.backend
        answer = backend.start_esscard_session(code)
        try:
            backend.end_session(str(answer["session_id"]))
        except KioskError as exc:  # the gateway ends it anyway when the terminal's next session starts
            logger.warning("ending the session: %s", exc.detail)
        return answer, None
    except BackendRejected as exc:
        return {}, (exc.code, exc.message_zh, exc.message_en)
    except KioskError as exc:
        return {}, ("backend_unavailable", tr(exc.message_key, "zh_CN"), tr(exc.message_key, "en"))
    finally:
        runtime.close()

"""`python main.py enroll --server URL --code CODE` and `python main.py config sync`.

Enrolment exchanges the one-time code for this terminal's credential, kept in the data directory
readable by the kiosk's user alone (mode 0600).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from kiosk.errors import BackendRejected, KioskError
from kiosk.i18n import tr

logger = logging.getLogger(__name__)


def run_enroll(args: argparse.Namespace) -> int:
    from kiosk.backend import BackendClient
    from kiosk.config import load_config, parse_override

    overrides = [parse_override(text) for text in getattr(args, "overrides", []) or []]
    if getattr(args, "data_dir", None):
        overrides.append({"terminal": {"data_dir": str(args.data_dir)}})
    config = load_config(getattr(args, "config", None), overrides=overrides)
    client = BackendClient(args.server, None, timeout=config.server.timeout, retries=config.server.retries)
    try:
        answer = client.enroll(config.terminal.id, args.code)
    except BackendRejected as exc:
        print(f"注册失败 / enrolment refused: {exc.message_zh} / {exc.message_en}", file=sys.stderr)
        return 1
    except KioskError as exc:
        print(f"{tr(exc.message_key, 'zh_CN')} / {tr(exc.message_key, 'en')}: {exc.detail}", file=sys.stderr)
        return 1
    data_dir = config.data_path()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = data_dir / "terminal.json"
    record = {"terminal_id": answer.get("terminal_id", config.terminal.id), "server": args.server,
              "token": answer["token"]}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    os.chmod(path, 0o600)
    print(f"enrolled terminal {record['terminal_id']}; credential stored in {path}")
    return 0


def run_config_sync(args: argparse.Namespace) -> int:
    message = "remote configuration bundles are not served by this gateway version yet; the local config stays in force"
    if getattr(args, "json", False):
        print(json.dumps({"applied": False, "version": None, "reason": message}))
    else:
        print(message, file=sys.stderr)
    return 1

"""`python main.py enroll --server URL --code CODE` and `python main.py config sync`.

Enrolment exchanges the one-time code for this terminal's credential, kept in the data directory
readable by the kiosk's user alone (mode 0600), and pins the fleet manager's Ed25519 key that
signs every configuration bundle.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from kiosk.errors import BackendRejected, KioskError
from kiosk.fleet_client import pin_after_enrolment, store_credential, sync_config_now
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
        answer = client.enroll(args.terminal_id or config.terminal.id, args.code)
    except BackendRejected as exc:
        print(f"注册失败 / enrolment refused: {exc.message_zh} / {exc.message_en}", file=sys.stderr)
        return 1
    except KioskError as exc:
        print(f"{tr(exc.message_key, 'zh_CN')} / {tr(exc.message_key, 'en')}: {exc.detail}", file=sys.stderr)
        return 1
    terminal_id = answer.get("terminal_id", args.terminal_id or config.terminal.id)
    path = store_credential(config.data_path(), terminal_id, args.server, answer["token"])
    try:
        key_id = pin_after_enrolment(args.server, answer["token"], config.data_path(), config.server.timeout)
    except KioskError as exc:
        print(f"enrolled, but the server key could not be pinned: {exc.detail}", file=sys.stderr)
        return 1
    print(f"enrolled terminal {terminal_id}; credential in {path}; server key {key_id} pinned")
    return 0


def run_config_sync(args: argparse.Namespace) -> int:
    """Fetch, verify and cache the signed remote bundle now; the kiosk applies it at its next idle moment."""
    from cli.runtime import config_builder

    build, config = config_builder(args)
    result = sync_config_now(config.data_path(), build, config.server.timeout)
    if getattr(args, "json", False):
        print(json.dumps(result, ensure_ascii=False))
    elif result["applied"]:
        print(f"config version {result['version']} applied" + (f" ({result['reason']})" if result["reason"] else ""))
    else:
        print(f"config refused or unavailable: {result['reason']}", file=sys.stderr)
    return 0 if result["applied"] else 1

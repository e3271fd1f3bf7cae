"""`python main.py enroll --server URL --code CODE [--terminal-id ID]` and `python main.py config sync`.

Enrolment exchanges the one-time code for this terminal's credential, kept in the data directory
(--data-dir or KIOSK_DATA_DIR) readable by the kiosk's user alone (mode 0600), and pins the fleet
manager's Ed25519 key that signs every configuration bundle. The code names its terminal: the
terminal id comes from the gateway's answer; ``--terminal-id`` only double-checks it. The server
URL is kept with the credential, and every later call of the kiosk goes there (cli/runtime.py).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys

from common.config import plain_http_refusal
from kiosk.errors import BackendRejected, KioskError
from kiosk.fleet_client import pin_after_enrolment, store_credential, sync_config_now
from kiosk.i18n import tr

logger = logging.getLogger(__name__)

# What config's server.url accepts (kiosk.config.ServerConfig): checked before the code is spent.
SERVER_URL_RE = re.compile(r"^https?://[^\s/]+(/.*)?$")


def run_enroll(args: argparse.Namespace) -> int:
    """Enrol with ``--server`` and ``--code`` (``--terminal-id`` optional); 0 when enrolled, 1 when
    refused or unreachable, 2 for a malformed server URL. Refusals print the gateway's own message in
    Chinese and English (wrong code, code already used, code issued for another terminal)."""
    from kiosk.backend import BackendClient
    from kiosk.config import load_config, parse_override

    server = args.server.strip().rstrip("/")
    if not SERVER_URL_RE.match(server):
        print(
            f"服务器地址无效 / invalid server URL {args.server!r}: expected https://HOST (http://127.0.0.1:PORT on loopback)",
            file=sys.stderr,
        )
        return 2
    refusal = plain_http_refusal(server)
    if refusal:
        # Checked before the code is spent: the code and the token would cross the network in clear.
        print(f"server.url = {server!r}: expected {refusal}", file=sys.stderr)
        return 2
    overrides = [parse_override(text) for text in getattr(args, "overrides", []) or []]
    if getattr(args, "data_dir", None):
        overrides.append({"terminal": {"data_dir": str(args.data_dir)}})
    config = load_config(getattr(args, "config", None), overrides=overrides)
    client = BackendClient(server, None, timeout=config.server.timeout, retries=config.server.retries)
    try:
        # No fallback to terminal.id of the config: that would turn a valid code into a mismatch.
        answer = client.enroll(args.terminal_id, args.code)
    except BackendRejected as exc:
        print(f"注册失败 / enrolment refused: {exc.message_zh} / {exc.message_en}", file=sys.stderr)
        return 1
    except KioskError as exc:
        print(f"{tr(exc.message_key, 'zh_CN')} / {tr(exc.message_key, 'en')}: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        client.close()
    terminal_id = str(answer["terminal_id"])
    path = store_credential(config.data_path(), terminal_id, server, answer["token"])
    try:
        key_id = pin_after_enrolment(server, answer["token"], config.data_path(), config.server.timeout)
    except KioskError as exc:
        print(f"enrolled, but the server key could not be pinned: {exc.detail}", file=sys.stderr)
        return 1
    print(f"enrolled terminal {terminal_id} with {server}; credential in {path}; server key {key_id} pinned")
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

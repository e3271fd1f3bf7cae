"""``main.py card read|verify-pin|change-pin [--reader NAME] [--json]`` (docs/commands.md).

- ``card read``: read the inserted 社保卡; ``--json`` prints CardData.to_json() as one object,
  otherwise a short masked summary (the full data only goes out with --json, on request).
- ``card verify-pin``: reads the PIN from standard input (first line), prints
  ``{"ok": bool, "tries_left": int|null, "blocked": bool}`` with --json, else a sentence.
- ``card change-pin``: reads the old PIN, then the new PIN (two lines) from standard input and
  changes the PIN on the card itself (CHANGE PIN); prints the same object. A new PIN that is not
  6 digits or too easy to guess (kiosk.pin_policy, incl. the birth date read from the card) is
  refused before anything is sent: exit 1, the reason on stderr.

Exit codes: 0 success; 1 card/reader error (message in 中文 and English on stderr);
3 PIN wrong or blocked (the result is still printed).  PINs are never echoed or logged.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
from typing import Any, TextIO

from drivers.card.base import CardReader
from kiosk.errors import CardError, CardErrorKind
from kiosk.i18n import tr
from kiosk.pin_policy import is_pin_format, pin_refusal

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_ERROR, EXIT_PIN_REFUSED = 0, 1, 3
# pcscd notices a freshly inserted card within ~0.4 s; wait a little before saying "no card".
CARD_WAIT_SECONDS = 1.0


def add_card_parser(subparsers: Any, parents: list[argparse.ArgumentParser] | None = None) -> argparse.ArgumentParser:
    """Register ``card read|verify-pin|change-pin`` (args.card_action, args.reader, args.json)."""
    card = subparsers.add_parser("card", parents=parents or [], help="read the 社会保障卡, verify or change its PIN")
    actions = card.add_subparsers(dest="card_action", required=True)
    for action, text in (
        ("read", "read the inserted card"),
        ("verify-pin", "verify the PIN read from stdin"),
        ("change-pin", "change the PIN: old PIN, then new PIN, one per line on stdin"),
    ):
        sub = actions.add_parser(action, parents=parents or [], help=text)
        sub.add_argument("--reader", default=None, help="reader name or regular expression (overrides config)")
        sub.add_argument("--json", action="store_true", help="print one JSON object")
    return card


def _select_reader(reader: CardReader, wanted: str | None) -> CardReader:
    """Apply ``--reader``: a PC/SC reader is re-targeted; any other must match by name."""
    if not wanted:
        return reader
    from drivers.card.pcsc_reader import PcscCardReader

    if isinstance(reader, PcscCardReader):
        return PcscCardReader(wanted, protocol=reader.protocol)
    if wanted == reader.name or re.search(wanted, reader.name or "", re.IGNORECASE):
        return reader
    raise CardError(CardErrorKind.NO_READER, f"no reader matches {wanted!r}")


def _wait_for_card(reader: CardReader, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not reader.card_present():
        if time.monotonic() >= deadline:
            return  # connect() will raise NO_CARD with the reader's own detail
        reader.wait_for_change(0.05)


def _error(err: CardError, out_err: TextIO) -> int:
    out_err.write(f"错误：{tr(err.message_key, 'zh_CN')}\nError: {tr(err.message_key, 'en')}\n")
    logger.info("card command failed: %s (%s)", err.kind.value, err.detail)
    return EXIT_ERROR


def run_card_command(
    args: argparse.Namespace,
    reader: CardReader,
    out: TextIO | None = None,
    stdin: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run ``card read`` or ``card verify-pin`` against ``reader``; returns the exit code.

    ``out``/``stdin``/``err`` default to the process's streams (looked up at call time).
    """
    from drivers.card.sscard import change_pin, read_card, verify_pin  # the kiosk's parser does not need them

    out = out or sys.stdout
    stdin = stdin or sys.stdin
    err = err or sys.stderr
    action = getattr(args, "card_action", None)
    as_json = bool(getattr(args, "json", False))
    pin = new_pin = ""
    if action in ("verify-pin", "change-pin"):
        pin = stdin.readline().strip()
    if action == "change-pin":
        new_pin = stdin.readline().strip()
    try:
        chosen = _select_reader(reader, getattr(args, "reader", None))
        if action in ("verify-pin", "change-pin"):
            # Validate before touching the card, so a typo never costs a try.
            if not is_pin_format(pin) or (action == "change-pin" and not is_pin_format(new_pin)):
                raise CardError(CardErrorKind.PIN_FORMAT, "PIN must be 6 digits")
        if action == "change-pin" and pin_refusal(new_pin) is not None:
            raise CardError(CardErrorKind.PIN_TRIVIAL, "new PIN too easy to guess (not sent)")
        _wait_for_card(chosen, CARD_WAIT_SECONDS)
        with chosen.connect() as conn:
            if action == "read":
                card = read_card(conn)
                if as_json:
                    out.write(json.dumps(card.to_json(), ensure_ascii=False) + "\n")
                else:
                    out.write(
                        f"社保卡 / card: {card.masked()}  规范版本 spec {card.spec_version}  "
                        f"有效期至 valid until {card.expires_on.isoformat()}\n"
                    )
                return EXIT_OK
            if action in ("verify-pin", "change-pin"):
                if action == "verify-pin":
                    result = verify_pin(conn, pin)
                else:
                    result = change_pin(conn, pin, new_pin, birth_date=read_card(conn).birth_date, select=False)
                pin = new_pin = ""
                if as_json:
                    out.write(json.dumps(result.to_json()) + "\n")
                elif result.ok:
                    out.write("密码已修改 / PIN changed\n" if action == "change-pin" else "密码正确 / PIN correct\n")
                elif result.blocked:
                    out.write(f"{tr('card.pin_blocked', 'zh_CN')} / {tr('card.pin_blocked', 'en')}\n")
                else:
                    out.write(
                        f"密码错误，还可尝试 {result.tries_left} 次 / wrong PIN, {result.tries_left} tries left\n"
                    )
                return EXIT_OK if result.ok else EXIT_PIN_REFUSED
        raise CardError(CardErrorKind.UNEXPECTED_STATUS, f"unknown card action {action!r}")
    except CardError as exc:
        return _error(exc, err)
    finally:
        pin = new_pin = ""

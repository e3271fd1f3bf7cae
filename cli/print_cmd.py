"""`python main.py print certificate --ssn SSN --kind insured|payment|rights [--from] [--to] --out FILE.bin [--preview FILE.png]`

Issues the certificate through the gateway within a resident session and writes the exact bytes
the configured printer would receive (and a PNG preview). The session is opened the way the kiosk
opens it: the card in the reader is read, the PIN read from standard input (first line) is
verified on the card, and the card's key-02 answer to the gateway's challenge opens the session
(kiosk.card_sign_in). The gateway opens nothing on the command's word alone. In --demo the demo
resident with that SSN has their card put in the simulated reader first.

Exit codes: 0 written; 1 refused (card, reader, gateway: the reason in 中文 and English on stderr);
2 an invalid SSN or a PIN that is not 6 digits (refused before the card is touched); 3 the PIN
was wrong or the card is blocked. The PIN is never echoed or logged.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Any

from common.ssn import InvalidSSN, mask_ssn, validate_ssn
from kiosk.errors import BackendRejected, KioskError
from kiosk.i18n import tr

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_PIN_REFUSED = 0, 1, 2, 3
# pcscd notices a freshly inserted card within ~0.4 s (the demo's card goes in through vpcd).
CARD_WAIT_SECONDS = 2.0


def _wait_for_card(reader: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not reader.card_present() and time.monotonic() < deadline:
        reader.wait_for_change(0.05)  # connect() then says NO_CARD in the reader's own words


def _sign_in(runtime: Any, ssn: str, pin: str) -> dict[str, Any] | None:
    """The resident session opened with the card's proof; None when the card refused the PIN
    (the reason already on stderr). Raises CardError / BackendError / KioskError."""
    from kiosk.card_sign_in import sign_in_with_pin

    if runtime.world is not None:
        index = runtime.world.person_index(ssn)
        if index is None:
            raise KioskError(f"no demo resident {mask_ssn(ssn)}", message_key="backend.rejected")
        runtime.world.insert_person(index)
    devices = runtime.devices
    _wait_for_card(devices.card_reader, CARD_WAIT_SECONDS)
    card_session = devices.card_port().open_card()
    try:
        card = card_session.read()
        if card.ssn != ssn:
            raise KioskError("the card in the reader belongs to someone else", message_key="card.bad_data")
        result = card_session.verify_pin(pin)
        if not result.ok:
            if result.blocked:
                print(f"{tr('card.pin_blocked', 'zh_CN')} / {tr('card.pin_blocked', 'en')}", file=sys.stderr)
            else:
                print(
                    f"密码错误，还可尝试 {result.tries_left} 次 / wrong PIN, {result.tries_left} tries left",
                    file=sys.stderr,
                )
            return None
        return sign_in_with_pin(runtime.backend, card_session, card)
    finally:
        card_session.close()


def run_print_certificate(args: argparse.Namespace) -> int:
    from cli.runtime import open_runtime
    from drivers.printer.encoder import EscPosEncoder
    from drivers.printer.preview import render_preview
    from kiosk.layouts import build_certificate_document

    try:
        ssn = validate_ssn(args.ssn)
    except InvalidSSN as exc:
        print(f"社会保障号码无效 / invalid SSN: {exc}", file=sys.stderr)
        return EXIT_USAGE
    pin = sys.stdin.readline().strip()
    # Checked before the card is touched, so a typo never costs one of the card's tries.
    if len(pin) != 6 or not pin.isascii() or not pin.isdigit():
        print(f"{tr('card.pin_format', 'zh_CN')} / {tr('card.pin_format', 'en')}", file=sys.stderr)
        return EXIT_USAGE
    runtime = open_runtime(args)
    try:
        session = _sign_in(runtime, ssn, pin)
        pin = ""
        if session is None:
            return EXIT_PIN_REFUSED
        backend = runtime.backend
        try:
            certificate = backend.issue_certificate(session["session_id"], args.kind, args.from_period, args.to_period)
        finally:
            backend.end_session(session["session_id"])
        document = build_certificate_document(certificate, runtime.config.terminal.language)
        printer_config = runtime.config.printer
        encoder = EscPosEncoder(printer_config.paper_width_dots, printer_config.encoding, printer_config.qr_mode)
        data = encoder.encode(document)
        Path(args.out).write_bytes(data)
        if args.preview:
            render_preview(document, printer_config.paper_width_dots).save(args.preview, format="PNG")
        print(f"{certificate['serial']} {certificate['verification_code']} {len(data)} bytes -> {args.out}")
        return EXIT_OK
    except BackendRejected as exc:
        print(f"{exc.message_zh} / {exc.message_en}", file=sys.stderr)
        return EXIT_REFUSED
    except KioskError as exc:  # CardError included
        print(f"{tr(exc.message_key, 'zh_CN')} / {tr(exc.message_key, 'en')}: {exc.detail}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        pin = ""
        runtime.close()

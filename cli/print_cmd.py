"""`python main.py print certificate --ssn SSN --kind insured|payment|rights [--from] [--to] --out FILE.bin [--preview FILE.png]`

Issues the certificate through the gateway within a resident session and writes the exact bytes
the configured printer would receive (and a PNG preview). The gateway only opens a session for
the resident whose card is in the reader (in --demo: the demo resident with that number).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from common.ssn import InvalidSSN, mask_ssn, validate_ssn
from kiosk.errors import BackendRejected, KioskError
from kiosk.i18n import tr

logger = logging.getLogger(__name__)


def _card_number_for(runtime, ssn: str) -> str:
    if runtime.world is not None:
        for person in runtime.world.people:
            if person["ssn"] == ssn:
                return person["card_number"]
        raise KioskError(f"no demo resident {mask_ssn(ssn)}", message_key="backend.rejected")
    from drivers.factory import CardPortAdapter

    session = CardPortAdapter(runtime.devices.card_reader).open_card()
    try:
        card = session.read()
    finally:
        session.close()
    if card.ssn != ssn:
        raise KioskError("the card in the reader belongs to someone else", message_key="card.bad_data")
    return card.card_number


def run_print_certificate(args: argparse.Namespace) -> int:
    from cli.runtime import open_runtime
    from drivers.printer.encoder import EscPosEncoder
    from drivers.printer.preview import render_preview
    from kiosk.layouts import build_certificate_document

    try:
        ssn = validate_ssn(args.ssn)
    except InvalidSSN as exc:
        print(f"社会保障号码无效 / invalid SSN: {exc}", file=sys.stderr)
        return 2
    runtime = open_runtime(args)
    try:
        backend = runtime.backend
        session = backend.start_session(ssn, _card_number_for(runtime, ssn), "card_pin")
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
        return 0
    except BackendRejected as exc:
        print(f"{exc.message_zh} / {exc.message_en}", file=sys.stderr)
        return 1
    except KioskError as exc:
        print(f"{tr(exc.message_key, 'zh_CN')} / {tr(exc.message_key, 'en')}: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        runtime.close()

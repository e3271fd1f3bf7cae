"""Renshe kiosk — composition root and command line (docs/commands.md).

python main.py [--demo]                    the kiosk UI
python main.py doctor [--json]             check devices and server
python main.py card read|verify-pin|change-pin    the inserted 社会保障卡
python main.py print certificate ...       issue a certificate and write the printer bytes
python main.py enroll --server URL --code CODE [--terminal-id ID]
python main.py config sync [--json]
python main.py face check IMAGE [--json]
python main.py qr-login IMAGE [--json]     sign in and out with a 电子社保卡 QR code in an image
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from demo import STORY_NAMES
from kiosk.errors import KioskError

logger = logging.getLogger("main")
os.environ.setdefault("KIVY_NO_ARGS", "1")  # our argparse owns the command line, wherever Kivy gets imported


def build_parser() -> argparse.ArgumentParser:
    from cli.runtime import add_common_options

    parser = argparse.ArgumentParser(prog="main.py", description="人社自助服务终端 Renshe kiosk")
    add_common_options(parser)
    parser.add_argument(
        "--script",
        choices=STORY_NAMES,
        help="play a scripted resident journey in demo mode (default with no display: journey)",
    )
    parser.add_argument("--output", help="folder for the scripted journey's screenshots")
    sub = parser.add_subparsers(dest="command")
    common = argparse.ArgumentParser(add_help=False)
    add_common_options(common, suppress=True)

    doctor = sub.add_parser("doctor", parents=[common], help="check every device and the server")
    doctor.add_argument("--json", action="store_true")

    from cli.card_cmd import add_card_parser

    add_card_parser(sub, parents=[common])

    printing = sub.add_parser("print", parents=[common], help="issue and print documents")
    print_sub = printing.add_subparsers(dest="print_action", required=True)
    cert = print_sub.add_parser("certificate", parents=[common])
    cert.add_argument("--ssn", required=True)
    cert.add_argument("--kind", choices=["insured", "payment", "rights"], required=True)
    cert.add_argument("--from", dest="from_period", metavar="YYYY-MM")
    cert.add_argument("--to", dest="to_period", metavar="YYYY-MM")
    cert.add_argument("--out", required=True, help="file for the exact printer bytes")
    cert.add_argument("--preview", help="PNG preview of the printout")

    enroll = sub.add_parser("enroll", parents=[common], help="enrol this terminal with the fleet manager")
    enroll.add_argument("--server", required=True)
    enroll.add_argument("--code", required=True)
    enroll.add_argument("--terminal-id", help="optional check: refuse unless the code was issued for this terminal id")

    config = sub.add_parser("config", parents=[common], help="remote configuration")
    config_sub = config.add_subparsers(dest="config_action", required=True)
    sync = config_sub.add_parser("sync", parents=[common])
    sync.add_argument("--json", action="store_true")

    from cli.face_cmd import add_face_parser

    add_face_parser(sub)

    from cli.qr_cmd import add_qr_parser

    add_qr_parser(sub, parents=[common])
    return parser


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def dispatch(args: argparse.Namespace) -> int:
    command = args.command
    if command is None:
        from cli.ui import run_ui

        return run_ui(args)
    if command == "doctor":
        from cli.doctor import run_doctor

        return run_doctor(args)
    if command == "card":
        from cli.card_cmd import run_card_command
        from cli.runtime import open_runtime

        runtime = open_runtime(args)
        try:
            if runtime.world is not None:
                runtime.world.insert_person(0)  # demo: the first demo resident's card is in the reader
            return run_card_command(args, runtime.devices.card_reader)
        finally:
            runtime.close()
    if command == "print":
        from cli.print_cmd import run_print_certificate

        return run_print_certificate(args)
    if command == "enroll":
        from cli.enroll_cmd import run_enroll

        return run_enroll(args)
    if command == "config":
        from cli.enroll_cmd import run_config_sync

        return run_config_sync(args)
    if command in ("face", "qr-login"):
        return args.func(args)
    raise SystemExit(f"unknown command {command}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(bool(getattr(args, "verbose", False)))
    try:
        return dispatch(args)
    except KioskError as exc:
        from kiosk.i18n import tr

        print(f"{tr(exc.message_key, 'zh_CN')} / {tr(exc.message_key, 'en')}\n{exc.detail}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

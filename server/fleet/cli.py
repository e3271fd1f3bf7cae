"""``python -m server create-staff``, ``disable-staff`` / ``enable-staff`` and the fleet-aware ``create-terminal``.

    python -m server create-staff USER --role admin|operator|viewer [--region CODE ...]   (password on stdin)
    python -m server disable-staff USER / enable-staff USER   (disabling ends the account's sessions)
    python -m server create-terminal ID [--region CODE] [--site NAME] [--address TEXT]

Both take ``--database-url`` / ``--data-dir`` like the other server commands and migrate first.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from server.fleet import service
from server.fleet.models import ROLES
from server.fleet.staff import create_staff, set_disabled

logger = logging.getLogger(__name__)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", default=None, help="SQLAlchemy URL (env RENSHE_DATABASE_URL)")
    parser.add_argument("--data-dir", default=None, help="data directory (env RENSHE_DATA_DIR)")


def _sessions(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from server.db import make_engine, make_session_factory, migrate
    from server.settings import ServerSettings

    settings = ServerSettings.from_env(data_dir=args.data_dir, database_url=args.database_url)
    engine = make_engine(settings.database_url)
    migrate(engine)
    return make_session_factory(engine)


def create_staff_main(argv: Sequence[str]) -> int:
    """Create or update a staff account; the password is the first line of standard input."""
    parser = argparse.ArgumentParser(prog="python -m server create-staff")
    parser.add_argument("username")
    parser.add_argument("--role", required=True, choices=ROLES)
    parser.add_argument("--region", action="append", default=[], help="operator's region (repeatable)")
    _common(parser)
    args = parser.parse_args(list(argv))
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        with _sessions(args).begin() as db:
            create_staff(db, args.username, args.role, password, args.region)
            service.audit(db, "cli", "staff_create", args.username, f"role={args.role} regions={args.region}")
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"staff account {args.username} ({args.role}) saved")
    return 0


def _staff_state(argv: Sequence[str], disabled: bool) -> int:
    name = "disable-staff" if disabled else "enable-staff"
    parser = argparse.ArgumentParser(prog=f"python -m server {name}")
    parser.add_argument("username")
    _common(parser)
    args = parser.parse_args(list(argv))
    try:
        with _sessions(args).begin() as db:
            set_disabled(db, args.username, disabled)
            service.audit(db, "cli", "staff_disable" if disabled else "staff_enable", args.username)
    except LookupError:
        print(f"没有此员工账号 / no staff account {args.username!r}", file=sys.stderr)
        return 2
    print(f"staff account {args.username} {'disabled (its sessions ended)' if disabled else 'enabled'}")
    return 0


def disable_staff_main(argv: Sequence[str]) -> int:
    """Disable a staff account: it cannot log in, and its open console sessions end at once."""
    return _staff_state(argv, disabled=True)


def enable_staff_main(argv: Sequence[str]) -> int:
    """Enable a disabled staff account again (its password is unchanged)."""
    return _staff_state(argv, disabled=False)


def create_terminal_main(argv: Sequence[str]) -> int:
    """Register a terminal with its site and address; prints the one-time enrolment code."""
    parser = argparse.ArgumentParser(prog="python -m server create-terminal")
    parser.add_argument("terminal_id")
    parser.add_argument("--region", default="000000")
    parser.add_argument("--site", default="")
    parser.add_argument("--address", default="")
    _common(parser)
    args = parser.parse_args(list(argv))
    try:
        with _sessions(args).begin() as db:
            code = service.register_terminal(db, args.terminal_id, args.region, args.site, args.address, actor="cli")
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(code)
    return 0

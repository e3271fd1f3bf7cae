"""``python -m server mint-esscard SSN [--database-url URL] [--data-dir DIR]``.

Prints one fresh 电子社保卡 code for the person with that 社会保障号码, as the resident's phone
would show it (valid 60 s, single use). Exit codes: 0 printed, 1 the SSN is invalid or nobody on
record has it (a bilingual message on stderr), 2 bad usage.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from sqlalchemy import select

from common.ssn import InvalidSSN, validate_ssn
from server.esscard.codes import mint_code
from server.models import Person

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m server mint-esscard", description="issue a 电子社保卡 sign-in code (demo and tests)"
    )
    parser.add_argument("ssn", help="社会保障号码 of the person the code is for")
    parser.add_argument("--database-url", default=None, help="SQLAlchemy URL (env RENSHE_DATABASE_URL)")
    parser.add_argument("--data-dir", default=None, help="data directory (env RENSHE_DATA_DIR)")
    return parser


def main(argv: Sequence[str]) -> int:
    """Mint and print one code; see the module doc for the exit codes."""
    from server.db import make_engine, make_session_factory, migrate
    from server.settings import ServerSettings

    args = build_parser().parse_args(list(argv))
    try:
        ssn = validate_ssn(args.ssn.strip())
    except InvalidSSN as exc:
        print(f"社会保障号码格式不正确 / invalid social security number: {exc}", file=sys.stderr)
        return 1
    settings = ServerSettings.from_env(data_dir=args.data_dir, database_url=args.database_url)
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        with make_session_factory(engine).begin() as db:
            if db.scalar(select(Person.id).where(Person.ssn == ssn)) is None:
                print(
                    "未找到该社会保障号码的参保人员 / no insured person with this social security number",
                    file=sys.stderr,
                )
                return 1
            code = mint_code(db, ssn)
    finally:
        engine.dispose()
    print(code)
    return 0

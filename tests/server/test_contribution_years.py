"""The yearly contribution sums (contribution_years) equal a fresh SUM over the contributions after
every kind of write — seeding, a monthly load, a correction, the migration's backfill — and the
个人权益单 read from them is what the SUM over decades of months gave; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from server import seeding
from server.contribution_writes import rebuild_years, write_contributions
from server.db import alembic_config, make_engine, make_session_factory, migrate
from server.devdb import ThrowawayPostgres
from server.models import Contribution, ContributionYear, Person
from server.settings import sqlite_url
from server.store.sql import SqlResidentDataSource, year_summaries

AS_OF = dt.date(2026, 6, 15)
PERSONS = 12
SEED = 3


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated database holding PERSONS seeded persons, written in chunks of 5."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
    else:
        server: ThrowawayPostgres = request.getfixturevalue("postgres_server")
        url = server.create_database(f"years_{tmp_path.name.lower().replace('-', '_')}"[:60])
    eng = make_engine(url)
    migrate(eng)
    monkeypatch.setattr(seeding, "SEED_CHUNK", 5)
    with make_session_factory(eng).begin() as db:
        seeding.seed_database(db, PERSONS, SEED, AS_OF)
    yield eng
    eng.dispose()


def _fresh_sums(db: Session) -> list[tuple[Any, ...]]:
    year = func.substr(Contribution.period, 1, 4)
    rows = db.execute(
        select(
            Contribution.person_id,
            year,
            Contribution.type_code,
            func.count(),
            func.min(Contribution.period),
            func.sum(Contribution.base),
            func.sum(Contribution.personal_amount),
            func.sum(Contribution.unit_amount),
        )
        .where(Contribution.paid.is_(True))
        .group_by(Contribution.person_id, year, Contribution.type_code)
    ).all()
    return sorted((r[0], int(r[1]), r[2], int(r[3]), r[4], *(Decimal(v) for v in r[5:])) for r in rows)


def _kept_sums(db: Session) -> list[tuple[Any, ...]]:
    rows = db.execute(
        select(
            ContributionYear.person_id,
            ContributionYear.year,
            ContributionYear.type_code,
            ContributionYear.months,
            ContributionYear.first_period,
            ContributionYear.base_total,
            ContributionYear.personal_total,
            ContributionYear.unit_total,
        )
    ).all()
    return sorted((*r[:5], *(Decimal(v) for v in r[5:])) for r in rows)


def _assert_kept(eng: Engine) -> None:
    with make_session_factory(eng)() as db:
        fresh = _fresh_sums(db)
        assert len(fresh) > PERSONS * 10  # decades of years, several insurance types
        assert _kept_sums(db) == fresh


def _month_rows(db: Session, period: str, paid: bool) -> list[tuple[Any, ...]]:
    """A monthly load: one 养老 and one 医疗 row per person for ``period``."""
    people = db.scalars(select(Person.id).order_by(Person.id)).all()
    return [
        (pid, code, period, Decimal("5123.45"), Decimal("409.88"), Decimal("819.75"), paid, None, "320583")
        for pid in people
        for code in ("110", "310")
    ]


def test_seeding_keeps_the_yearly_sums(engine: Engine) -> None:
    _assert_kept(engine)


def test_monthly_loads_add_to_the_yearly_sums(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    with sessions.begin() as db:  # extends the current year, and with an unpaid month
        write_contributions(db, _month_rows(db, "2026-06", True))
        write_contributions(db, _month_rows(db, "2026-07", False))
    with sessions.begin() as db:  # opens a new year, first in December then earlier
        write_contributions(db, _month_rows(db, "2027-12", True))
        write_contributions(db, _month_rows(db, "2027-03", True))
    _assert_kept(engine)
    with sessions() as db:
        first = db.scalar(select(func.min(ContributionYear.first_period)).where(ContributionYear.year == 2027))
    assert first == "2027-03"


def test_a_correction_is_rebuilt_for_the_persons_it_touched(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    with sessions.begin() as db:
        unpaid = db.execute(select(Contribution.id, Contribution.person_id).where(Contribution.paid.is_(False))).all()
        assert unpaid, f"seed {SEED} has no unpaid month to correct"
        ids = [row.id for row in unpaid[:20]]
        db.execute(update(Contribution).where(Contribution.id.in_(ids)).values(paid=True))  # 补缴
        some = db.scalar(select(func.min(Contribution.id)))
        db.execute(update(Contribution).where(Contribution.id == some).values(base=Contribution.base + 1))
        touched = {row.person_id for row in unpaid[:20]} | {
            db.scalar(select(Contribution.person_id).where(Contribution.id == some))
        }
        rebuild_years(db, touched)
    _assert_kept(engine)
    with sessions.begin() as db:
        db.execute(update(ContributionYear).values(months=0))
        rebuild_years(db)  # everyone
    _assert_kept(engine)


def test_the_migration_backfills_from_the_contributions(engine: Engine) -> None:
    config = alembic_config(engine)
    command.downgrade(config, "0008")
    command.upgrade(config, "0009")
    _assert_kept(engine)


def _summed_rows(db: Session, pid: int, to_year: int) -> list[tuple[Any, ...]]:
    """The rows the 个人权益单 was computed from before the yearly sums: a SUM over every paid month."""
    year = func.substr(Contribution.period, 1, 4)
    return db.execute(
        select(
            year,
            Contribution.type_code,
            func.count(),
            func.sum(Contribution.base),
            func.sum(Contribution.personal_amount),
            func.sum(Contribution.unit_amount),
        )
        .where(Contribution.person_id == pid, Contribution.paid.is_(True), year <= f"{to_year:04d}")
        .group_by(year, Contribution.type_code)
        .order_by(year)
    ).all()


def test_the_statement_is_what_summing_the_months_gave(engine: Engine) -> None:
    store = SqlResidentDataSource(make_session_factory(engine))
    compared = 0
    with make_session_factory(engine)() as db:
        people = db.execute(select(Person.id, Person.ssn)).all()
        for pid, ssn in people:
            for from_year, to_year in ((1990, 2026), (2010, 2020), (2026, 2026), (2030, 2031)):
                expected = year_summaries(_summed_rows(db, pid, to_year), from_year)
                assert store.yearly_summary(ssn, from_year, to_year) == expected
                compared += len(expected)
    assert compared > PERSONS * 10
    assert store.yearly_summary("000000000000000000", 1990, 2026) == []

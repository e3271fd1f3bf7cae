"""Streamed seeding (chunks, COPY on PostgreSQL) writes exactly what the generator made, on both databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import demo_basics, demo_data, seeding
from server.db import make_engine, make_session_factory, migrate
from server.devdb import ThrowawayPostgres
from server.models import BenefitPayment, Card, Contribution, Enrolment, Person, Unit
from server.settings import sqlite_url

AS_OF = dt.date(2026, 6, 15)
PERSONS = 23
SEED = 5


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def seeded(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
    else:
        server: ThrowawayPostgres = request.getfixturevalue("postgres_server")
        url = server.create_database(f"seeding_{tmp_path.name.lower().replace('-', '_')}"[:60])
    engine = make_engine(url)
    migrate(engine)
    monkeypatch.setattr(seeding, "SEED_CHUNK", 7)  # 23 persons: three full chunks and a short one
    written: list[int] = []
    with make_session_factory(engine).begin() as db:
        assert seeding.seed_database(db, PERSONS, SEED, AS_OF, progress=written.append) == PERSONS
    assert written == [7, 14, 21, 23]
    with make_session_factory(engine)() as db:
        yield db
    engine.dispose()


def _everyone() -> list[demo_basics.DemoPerson]:
    """The generated people and their household members (server.demo_household), as seeded."""
    return [q for p in demo_data.generate_people(PERSONS, SEED, AS_OF) for q in (p, *p.household)]


def test_seeded_rows_are_the_generated_people(seeded: Session) -> None:
    people = _everyone()
    assert len(people) > PERSONS  # every run of twenty has each household situation once
    ids = dict(seeded.execute(select(Person.ssn, Person.id)).all())
    assert set(ids) == {p.ssn for p in people}
    units = dict(seeded.execute(select(Unit.id, Unit.code)).all())
    for p in people:
        pid = ids[p.ssn]
        rows = seeded.execute(
            select(Contribution.period, Contribution.type_code, Contribution.personal_amount, Contribution.unit_id)
            .where(Contribution.person_id == pid)
            .order_by(Contribution.id)
        ).all()
        assert [(r.period, r.type_code, Decimal(r.personal_amount)) for r in rows] == [
            (c["period"], c["type_code"], c["personal_amount"]) for c in p.contributions
        ]
        assert [units[r.unit_id] for r in rows] == [c["unit_code"] for c in p.contributions]
        assert seeded.scalar(select(func.count()).select_from(Card).where(Card.person_id == pid)) == len(p.cards)
        assert seeded.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.person_id == pid)) == len(
            p.enrolments
        )
        benefits = seeded.scalar(
            select(func.count()).select_from(BenefitPayment).where(BenefitPayment.person_id == pid)
        )
        assert benefits == len(p.benefits)
    # The demo photo: the first person's, and the first pensioners' with a usable card (the face
    # step of 养老待遇资格认证, once in each pass of the tour), all in the first chunk written.
    pensioners = [
        p.ssn
        for p in demo_data.generate_people(PERSONS, SEED, AS_OF)[1 : seeding.SEED_CHUNK]
        if p.employment_status == "retired"
        and p.current_card["status"] == "normal"
        and p.current_card["production_stage"] == "issued"
    ]
    assert pensioners
    with_photo = set(seeded.scalars(select(Person.ssn).where(Person.photo.is_not(None))))
    assert with_photo == {people[0].ssn, *pensioners[: seeding.FACE_PENSIONERS]}


def test_every_row_points_at_a_row_that_exists(seeded: Session) -> None:
    """PostgreSQL seeding skips the per-row foreign-key triggers; the links must hold all the same."""
    orphans = seeded.scalar(
        select(func.count())
        .select_from(Contribution)
        .outerjoin(Person, Person.id == Contribution.person_id)
        .outerjoin(Unit, Unit.id == Contribution.unit_id)
        .where((Person.id.is_(None)) | (Unit.id.is_(None)))
    )
    assert orphans == 0
    assert seeded.scalar(select(func.count()).select_from(Contribution)) == sum(
        len(p.contributions) for p in _everyone()
    )

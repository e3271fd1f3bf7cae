"""Writing generated demo people (``server.demo_data``) into the gateway's database, and reading
their virtual cards back.

``seed_database`` streams persons ``SEED_CHUNK`` at a time, contributions through COPY on
PostgreSQL (server.contribution_writes, which also keeps their yearly sums), so 100 000 persons
(about 10^8 contribution rows) take constant memory;
``demo_card_profiles`` rebuilds each seeded person's card data and demo PIN from the stored seed,
and with the gateway's key store the card's own keys (``card_keys``, server.card_keys), so a card
simulator can play the card, INTERNAL AUTHENTICATE included.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from common.card_auth import card_keys_to_json
from server.card_keys import IssuerKeyStore
from server.contribution_writes import write_contributions
from server.demo_basics import DemoPerson, card_profile, demo_pin
from server.demo_data import iter_people
from server.models import BenefitPayment, Card, Enrolment, Person, ServerMeta, SkillCertificate, Unit

logger = logging.getLogger(__name__)


def _insert_chunk(session: Session, main: list[DemoPerson], unit_ids: dict[str, int], with_photo: bool) -> None:
    # The main people first, then their household members: the first ``len(main)`` ids of a chunk
    # are the stream's people in order, whatever households they have.
    people = main + [member for p in main for member in p.household]
    new_units: dict[str, dict[str, str]] = {}
    for p in people:
        for code, name, region in p.units:
            if code not in unit_ids and code not in new_units:
                new_units[code] = {"code": code, "name": name, "region": region}
    if new_units:
        rows = list(new_units.values())
        new_ids = session.execute(insert(Unit).returning(Unit.id, sort_by_parameter_order=True), rows).scalars()
        unit_ids.update(zip(new_units, new_ids, strict=True))
    person_rows = [
        {
            "ssn": p.ssn,
            "name": p.name,
            "gender": p.gender,
            "birth_date": p.birth_date,
            "ethnicity": p.ethnicity,
            "birth_place": p.birth_place,
            "region": p.region,
            "phone": p.phone,
            "address": p.address,
            "employment_status": p.employment_status,
            "hukou_region": p.hukou_region,
            "residence_permit_region": p.residence_permit_region,
            "student": p.student,
            "photo": None,
        }
        for p in people
    ]
    if with_photo:
        # Only the first demo person gets an enrolled photo: the astronaut portrait is the only
        # real face shipped in a registry package that the simulated camera can also show live.
        from server.face.demo import demo_photo_jpeg  # cv2 + scikit-image: only when seeding

        person_rows[0]["photo"] = demo_photo_jpeg("astronaut")
        # And the first pensioners with a usable card, so 养老待遇资格认证's face step can be shown
        # (the same portrait: it is the only live face the simulated camera has); one for each
        # pass of the demo's tour (demo.tour), since a pensioner is certified once a year.
        pensioners = [
            i
            for i, p in enumerate(main)
            if i > 0
            and p.employment_status == "retired"
            and p.current_card["status"] == "normal"
            and p.current_card["production_stage"] == "issued"
        ]
        for pensioner in pensioners[:FACE_PENSIONERS]:
            person_rows[pensioner]["photo"] = person_rows[0]["photo"]
    ids = list(
        session.execute(insert(Person).returning(Person.id, sort_by_parameter_order=True), person_rows).scalars()
    )
    cards: list[dict[str, Any]] = []
    enrolments: list[dict[str, Any]] = []
    benefits: list[dict[str, Any]] = []
    contributions: list[tuple[Any, ...]] = []
    certificates: list[dict[str, Any]] = []
    for pid, p in zip(ids, people, strict=True):
        certificates.extend({**c, "person_id": pid} for c in p.certificates)
        cards.extend({**c, "person_id": pid} for c in p.cards)
        enrolments.extend(
            {
                "person_id": pid,
                "type_code": e["type_code"],
                "status": e["status"],
                "start_date": e["start_date"],
                "unit_id": unit_ids.get(e["unit_code"]) if e["unit_code"] else None,
                "region": e["region"],
            }
            for e in p.enrolments
        )
        benefits.extend({**b, "person_id": pid} for b in p.benefits)
        contributions.extend(
            (
                pid,
                c["type_code"],
                c["period"],
                c["base"],
                c["personal_amount"],
                c["unit_amount"],
                c["paid"],
                unit_ids[c["unit_code"]],
                c["region"],
            )
            for c in p.contributions
        )
    session.execute(insert(Card), cards)
    session.execute(insert(Enrolment), enrolments)
    if benefits:
        session.execute(insert(BenefitPayment), benefits)
    if certificates:
        session.execute(insert(SkillCertificate), certificates)
    write_contributions(session, contributions)


SEED_CHUNK = 500
# Pensioners whose face is enrolled with the demo portrait (besides the first person): one for each
# of the six passes of the demo tour, which certifies each pensioner once (养老待遇资格认证, yearly).
FACE_PENSIONERS = 6


def _skip_foreign_key_triggers(session: Session) -> None:
    """On PostgreSQL as a superuser, skip the per-row foreign-key triggers for this transaction.

    The generator links every row to a person and unit it has just written, so the checks cannot
    fail; they cost two index look-ups per contribution row and made COPY three times slower.
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return
    if connection.exec_driver_sql("SELECT current_setting('is_superuser')").scalar() == "on":
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")


def seed_database(
    session: Session,
    n: int,
    seed: int,
    as_of: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert ``n`` generated persons (with everything they own, their household members included:
    server.demo_household) and remember ``seed``. Caller commits.

    Persons are generated and written ``SEED_CHUNK`` at a time, so memory stays flat however many
    are asked for; ``progress`` hears the count written after each chunk. Returns ``n``;
    ``demo_card_profiles`` reads the seeded cards back.
    """
    session.merge(ServerMeta(key="demo_seed", value=str(seed)))
    _skip_foreign_key_triggers(session)
    unit_ids: dict[str, int] = dict(session.execute(select(Unit.code, Unit.id)).all())
    chunk: list[DemoPerson] = []
    written = 0
    for person in iter_people(n, seed, as_of):
        chunk.append(person)
        if len(chunk) == SEED_CHUNK or written + len(chunk) == n:
            _insert_chunk(session, chunk, unit_ids, with_photo=written == 0)
            written += len(chunk)
            chunk = []
            if progress is not None:
                progress(written)
    _analyze(session)
    logger.info("seeded demo data", extra={"persons": n, "seed": seed})
    return n


def _analyze(session: Session) -> None:
    """Fresh planner statistics for the tables just filled. Without them PostgreSQL guessed a
    quarter of a million contribution rows per person (instead of about a thousand) and chose
    parallel scans with JIT compilation: 200 ms for a page that takes 0.2 ms."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA analysis_limit = 1000")  # sampled: seconds, not minutes
    connection.exec_driver_sql("ANALYZE")


def demo_card_profiles(session: Session, key_store: IssuerKeyStore | None = None) -> list[dict[str, Any]]:
    """Virtual-card data for the seeded persons: CardData JSON fields + ``pin`` + ``card_status``
    + ``has_photo`` (an enrolled photo exists, so face verification can be offered), and with
    ``key_store`` + ``card_keys`` (``{"01": hex, "02": hex}``: what the issuer loads into the card)."""
    seed_value = session.scalar(select(ServerMeta.value).where(ServerMeta.key == "demo_seed"))
    if seed_value is None:
        return []
    seed = int(seed_value)
    out: list[dict[str, Any]] = []
    rows = session.execute(
        select(Person, Card)
        .join(Card, Card.person_id == Person.id)
        .where(Card.is_current.is_(True))
        .order_by(Person.id)
    ).all()
    with_photo = set(session.scalars(select(Person.id).where(Person.photo.is_not(None))))
    for person, card in rows:
        profile = card_profile(
            person.ssn,
            person.name,
            person.gender,
            person.ethnicity,
            person.birth_date,
            person.birth_place,
            {c.key: getattr(card, c.key) for c in Card.__table__.columns},
            demo_pin(seed, person.ssn),
        )
        entry = {**profile, "has_photo": person.id in with_photo}
        if key_store is not None:
            entry["card_keys"] = card_keys_to_json(key_store.card_keys(card.card_id))
        out.append(entry)
    return out

"""Writing contribution rows, and keeping their yearly sums (``contribution_years``) equal to them.

Every writer of ``contributions`` goes through here: ``write_contributions`` for new rows (the
demo seeding, a monthly load from the core system), ``rebuild_years`` after anything that changes
or deletes existing rows (a back-office correction, a 补缴 marking a month paid) for the persons it
touched. The contract, tested on SQLite and PostgreSQL: after either, each person's
``contribution_years`` rows are exactly ``SUM``/``COUNT``/``MIN`` over their paid contribution rows,
grouped by year and insurance type — which is what the 个人权益单 (server.store.sql) reads.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, cast, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.models import Contribution, ContributionYear

logger = logging.getLogger(__name__)

CONTRIBUTION_COLUMNS = (
    "person_id",
    "type_code",
    "period",
    "base",
    "personal_amount",
    "unit_amount",
    "paid",
    "unit_id",
    "region",
)
_SUMMED = ("months", "base_total", "personal_total", "unit_total")


def write_contributions(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Bulk-insert contribution rows (in ``CONTRIBUTION_COLUMNS`` order) in the session's
    transaction, and add their paid months to the persons' yearly sums in the same transaction.

    About 10^8 rows for 100 000 persons: PostgreSQL takes them through COPY, SQLite through the
    driver's own executemany with the column types' bind conversions applied once per value (an
    ORM or Core insert spends most of its time building per-row dictionaries and statements).
    """
    connection = session.connection()
    dialect = connection.dialect
    raw = connection.connection.dbapi_connection
    columns = ", ".join(CONTRIBUTION_COLUMNS)
    if dialect.name == "postgresql" and raw is not None:
        with raw.cursor() as cursor:  # type: ignore[attr-defined]
            with cursor.copy(f"COPY contributions ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    elif dialect.name == "sqlite":
        table = Contribution.__table__
        convert = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in CONTRIBUTION_COLUMNS]
        converted = [
            tuple(value if fn is None or value is None else fn(value) for fn, value in zip(convert, row, strict=True))
            for row in rows
        ]
        marks = ", ".join("?" for _ in CONTRIBUTION_COLUMNS)
        connection.exec_driver_sql(f"INSERT INTO contributions ({columns}) VALUES ({marks})", converted)
    else:
        session.execute(insert(Contribution), [dict(zip(CONTRIBUTION_COLUMNS, row, strict=True)) for row in rows])
    add_to_years(session, rows)


def yearly_sums(rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    """The ``contribution_years`` rows of the paid ones among ``rows`` (``CONTRIBUTION_COLUMNS`` order)."""
    sums: dict[tuple[int, int, str], list[Any]] = {}
    for person_id, type_code, period, base, personal, unit, paid, *_ in rows:
        if not paid:
            continue
        key = (person_id, int(period[:4]), type_code)
        entry = sums.get(key)
        if entry is None:
            sums[key] = [1, period, Decimal(base), Decimal(personal), Decimal(unit)]
        else:
            entry[0] += 1
            entry[1] = min(entry[1], period)
            entry[2] += base
            entry[3] += personal
            entry[4] += unit
    return [
        {
            "person_id": pid,
            "year": year,
            "type_code": code,
            "months": months,
            "first_period": first,
            "base_total": base,
            "personal_total": personal,
            "unit_total": unit,
        }
        for (pid, year, code), (months, first, base, personal, unit) in sums.items()
    ]


def add_to_years(session: Session, rows: Iterable[Sequence[Any]]) -> None:
    """Add newly written contribution rows (``CONTRIBUTION_COLUMNS`` order) to the yearly sums:
    an upsert that adds to a (person, year, type) already there, so a monthly load that extends a
    year keeps it right. Only for rows that are new: a changed row needs ``rebuild_years``."""
    values = yearly_sums(rows)
    if not values:
        return
    dialect = session.connection().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"no upsert of contribution_years on {dialect}")
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(ContributionYear)
    table = ContributionYear.__table__
    update: dict[str, Any] = {name: table.c[name] + stmt.excluded[name] for name in _SUMMED}
    # The scalar two-argument minimum is LEAST on PostgreSQL and min() on SQLite.
    least = func.least if dialect == "postgresql" else func.min
    update["first_period"] = least(table.c.first_period, stmt.excluded.first_period)
    session.execute(
        stmt.on_conflict_do_update(index_elements=["person_id", "year", "type_code"], set_=update),
        values,
    )


def rebuild_years(session: Session, person_ids: Iterable[int] | None = None) -> None:
    """Recompute the yearly sums of ``person_ids`` (everyone when None) from their contribution rows
    — after contribution rows were changed or deleted, or as the check job after a monthly load."""
    ids = None if person_ids is None else sorted(set(person_ids))
    year = cast(func.substr(Contribution.period, 1, 4), Integer)
    summed = select(
        Contribution.person_id,
        year,
        Contribution.type_code,
        func.count(),
        func.min(Contribution.period),
        func.sum(Contribution.base),
        func.sum(Contribution.personal_amount),
        func.sum(Contribution.unit_amount),
    ).where(Contribution.paid.is_(True))
    clear = delete(ContributionYear)
    if ids is not None:
        summed = summed.where(Contribution.person_id.in_(ids))
        clear = clear.where(ContributionYear.person_id.in_(ids))
    session.execute(clear)
    columns = ["person_id", "year", "type_code", "months", "first_period", *_SUMMED[1:]]
    session.execute(
        insert(ContributionYear).from_select(
            columns, summed.group_by(Contribution.person_id, year, Contribution.type_code)
        )
    )
    logger.info("contribution_years rebuilt", extra={"persons": "all" if ids is None else len(ids)})

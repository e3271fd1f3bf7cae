"""Who of the demo residents may make which application, asked of the embedded gateway's own rules
without submitting anything: the wizard journeys (demo.wizard_stories) pick a resident the records
let through, and the answers only that resident's records can give (the region they paid in, their
certificate's number, a course open where they live).

Demo only: it reads the demo world's in-process gateway (``server``), never a real one.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import select

from demo.photo_answers import SAMPLE_RECEIPT, TAKE_PHOTO
from demo.wizard_answers import sample_answer
from kiosk.forms import FieldKind
from server.applications.applicant import Applicant
from server.applications.forms import ApplicationRequest
from server.applications.rules import RULES
from server.applications.settings import BackOfficeSettings
from server.errors import ApiError
from server.models import Card, Person
from server.reference.training import courses

logger = logging.getLogger(__name__)

_REQUEST: TypeAdapter[Any] = TypeAdapter(ApplicationRequest)
OTHER_REGIONS = ("110101", "310101", "441900", "320583")


@dataclass(frozen=True)
class Pick:
    person: int  # index into the demo world's people
    overrides: dict[str, str]  # the wizard's answers (kiosk values) that differ from the samples


def _candidates(kind: str, person: Any, source: Any, today: dt.date) -> list[dict[str, str]]:
    """Answers worth trying for this resident: their own regions, certificates, courses."""
    region = person.region
    elsewhere = next(r for r in OTHER_REGIONS if r != region)
    paid = sorted({c.region for c in source.contributions(person.ssn, None, None, None, 1, 10_000).items if c.paid})
    if kind == "pension_transfer":
        return [{"from_region": r, "to_region": region} for r in paid if r != region]
    if kind == "unemployment_transfer":
        out = [{"direction": "out", "from_region": region, "to_region": elsewhere}]
        return out + [{"direction": "in", "from_region": r, "to_region": region} for r in paid if r != region]
    if kind == "unemployment_registration":
        return [{"route": "hukou"}, {"route": "residence_permit"}]
    if kind == "training_subsidy":
        return [{"certificate_number": c.number} for c in source.skill_certificates(person.ssn)]
    if kind == "training_signup":
        return [{"course_id": c.id[1:]} for c in courses(region, today)[:1]]
    if kind == "medical_filing":
        return [{"target_region": elsewhere}]
    if kind == "card_replacement":
        return [{"reason": r} for r in ("damaged", "info_change", "lost")]
    return [{}]


def find(ctx: Any, terminal_id: str, people: list[dict[str, Any]], kind: str, form: Any, skip: set[int]) -> Pick | None:
    """The first resident (not in ``skip``) whose application of ``kind`` the rules would take,
    with the answers that get it through; None when the demo data has nobody."""
    now = dt.datetime.now(dt.UTC)
    by_face = any(f.kind is FieldKind.FACE for f in form.fields)
    for index, card in enumerate(people):
        if index in skip or card.get("card_status") != "normal":
            continue
        if by_face and not card.get("has_photo"):
            continue  # the face step needs an enrolled photo the simulated camera's person matches
        with ctx.sessions() as db:
            person = ctx.source.find_person(card["ssn"])
            if person is None:
                continue
            applicant = Applicant(db, ctx.source, person, "probe", terminal_id, BackOfficeSettings(), now)
            if by_face:
                # The face step will pass for this resident; the rule takes a session opened by face
                # as it takes that step's check, and a probe has no check to name.
                applicant.auth_method = "face"
            for overrides in _candidates(kind, person, ctx.source, applicant.today):
                answers = {f.name: sample_answer(f, overrides) for f in form.fields}
                # A photo is taken only on screen: the rules are asked with a photo studio's number.
                answers.update({f.name: SAMPLE_RECEIPT for f in form.fields if answers[f.name] == TAKE_PHOTO})
                body = {"kind": kind, "idempotency_key": "probe-0000000000", "form": form.payload(answers)}
                try:
                    request = _REQUEST.validate_python(body)
                    RULES[kind](applicant, request.form)
                except (ApiError, ValueError) as exc:
                    logger.debug("probe %s person %d: %s", kind, index, getattr(exc, "code", exc))
                    continue
                return Pick(index, overrides)
    return None


def cardless(ctx: Any) -> list[dict[str, Any]]:
    """Seeded residents who hold no card (in the order seeded), as ``find`` reads people: they
    sign in with the 电子社保卡 (``esscard``), and 社保卡申领 is theirs."""
    with ctx.sessions() as db:
        held = select(Card.id).where(Card.person_id == Person.id, Card.status != "cancelled").exists()
        ssns = db.scalars(select(Person.ssn).where(~held).order_by(Person.id)).all()
    return [{"ssn": ssn, "card_status": "normal", "esscard": True} for ssn in ssns]

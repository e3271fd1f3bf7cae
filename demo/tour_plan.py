"""Who makes which application in the tour (demo.tour): residents the gateway's rules let through.

An application once made is refused the second time, and some change the card (挂失), so each pass
of the tour (a language and a display mode) needs residents of its own. The plan is made as the
tour goes, asking the embedded gateway's rules (demo.wizard_probe.find) after every application:
one made can open the next (失业登记, then 失业保险金; 挂失, then 解挂), so the resident signed in
is asked first, and only when they can make none of the wizards left does the next one sign in.
That keeps the sign-ins few (the gateway limits them per terminal, and each costs the tour time).

Demo only: it reads the demo world's in-process gateway, never a real one.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from demo.wizard_probe import Pick, cardless, find
from kiosk.forms import FieldKind
from kiosk.services import CATALOGUE, WizardParams
from server.applications.applicant import Applicant
from server.applications.rules_unemployment import MIN_UNEMPLOYMENT_MONTHS
from server.applications.settings import BackOfficeSettings

logger = logging.getLogger(__name__)

REFUSED_BY = 0  # the tour's first resident: employed, so the rules refuse them some applications
# 失业登记 is worth most to a resident who can then claim 失业保险金 (a year of unemployment
# insurance paid) in the same session: nobody can claim it before registering.
REGISTRATION, BENEFIT = "unemployment_registration", "unemployment_benefit"
CANDIDATES = 4  # residents weighed for the next sign-in


def wizard_kinds() -> list[str]:
    return [name for name, spec in CATALOGUE.items() if isinstance(spec.params, WizardParams)]


class TourPlan:
    """The residents of the tour's applications, over all its passes. ``used`` are the residents
    who signed in for an application and serve no later pass; ``nobody`` the kinds no resident
    left can make (shown refused by whoever is signed in).

    A resident not used yet does not change, so what the rules said of them holds: each kind
    remembers who it refused and asks only the others (the tour asks often; each answer reads the
    resident's records)."""

    def __init__(self, world: Any) -> None:
        server = world.server
        self._ctx = server._ctx  # noqa: SLF001 - the demo's own in-process gateway
        self._terminal = server.terminal_id
        # The residents with a card (world.people, by index), then those without one, who sign
        # in with the 电子社保卡 (``esscard``): 社保卡申领 is theirs.
        self._people: list[dict[str, Any]] = [*world.people, *cardless(self._ctx)]
        self.used: set[int] = {REFUSED_BY}
        self.nobody: set[str] = set()
        self._refused: dict[str, set[int]] = {}
        self._insured: dict[int, bool] = {}
        self._refusal: str | None = None

    def resident(self, index: int) -> dict[str, Any]:
        """Resident ``index`` of a Pick: a card's profile (world.people), or ``ssn`` and
        ``esscard`` for one who signs in with the 电子社保卡."""
        return self._people[index]

    def _ask(self, kind: str, index: int) -> Pick | None:
        """What the rules say of resident ``index`` making ``kind`` now (None: refused)."""
        skip = set(range(len(self._people))) - {index}
        return find(self._ctx, self._terminal, self._people, kind, CATALOGUE[kind].params.form, skip)

    def refusal(self, kinds: list[str]) -> str | None:
        """Of the kinds the rules refuse REFUSED_BY (who never applies), the one of fewest
        questions: the quickest way to the screen a refused resident meets."""
        if self._refusal is None:
            refused = [kind for kind in kinds if self._ask(kind, REFUSED_BY) is None]
            self._refusal = min(refused, key=lambda kind: len(CATALOGUE[kind].params.form.fields), default="")
        return self._refusal or None

    def next_for(self, index: int, kinds: list[str]) -> tuple[str, Pick] | None:
        """The first of ``kinds`` that resident ``index`` (signed in) can make now, and how."""
        for kind in kinds:
            if kind in self.nobody:
                continue
            pick = self._ask(kind, index)
            if pick is not None:
                return kind, pick
        return None

    def next_resident(self, kinds: list[str]) -> tuple[str, Pick] | None:
        """The first of ``kinds`` somebody can make and a resident not used yet who can; None when
        nobody left can make any. A kind nobody can make stays so."""
        for kind in kinds:
            if kind in self.nobody:
                continue
            pick = self._first_unused(kind, kinds, insured=kind == REGISTRATION and BENEFIT in kinds)
            if pick is None:
                logger.info("tour plan: nobody left for %s", kind)
                self.nobody.add(kind)
                continue
            self.used.add(pick.person)
            return kind, pick
        return None

    def _first_unused(self, kind: str, kinds: list[str], insured: bool) -> Pick | None:
        """A resident not used yet whom the rules let make ``kind``: of the first CANDIDATES, the
        one who can make the most of the other ``kinds`` too (each sign-in costs the tour time);
        with ``insured`` only one who could go on to 失业保险金, unless nobody could. The refused
        are remembered (``refused`` marks a resident a kind cannot use: the rules' no, or a card or
        an enrolled face that does not fit)."""
        refused = self._refused.setdefault(kind, set())
        # A face step passes only for a resident whose face is enrolled (server.seeding): they are
        # kept for it, one for each pass.
        face = any(field.kind is FieldKind.FACE for field in CATALOGUE[kind].params.form.fields)
        found: list[Pick] = []
        fallback: Pick | None = None
        for index, card in enumerate(self._people):
            if index in self.used or index in refused:
                continue
            usable = card.get("card_status") == "normal" and bool(card.get("has_photo")) == face
            pick = self._ask(kind, index) if usable else None
            if pick is None:
                refused.add(index)
            elif not insured or self._paid_a_year(index):
                found.append(pick)
                if len(found) == CANDIDATES:
                    break
            else:
                fallback = fallback or pick
        if not found:
            return fallback
        others = [other for other in kinds if other != kind and other not in self.nobody]
        return max(found, key=lambda pick: sum(self._ask(other, pick.person) is not None for other in others))

    def _paid_a_year(self, index: int) -> bool:
        """Resident ``index`` paid a year of unemployment insurance (失业保险金 after 失业登记)."""
        if index not in self._insured:
            self._insured[index] = False
            with self._ctx.sessions() as db:
                person = self._ctx.source.find_person(self._people[index]["ssn"])
                if person is not None:
                    now = dt.datetime.now(dt.UTC)
                    applicant = Applicant(
                        db, self._ctx.source, person, "probe", self._terminal, BackOfficeSettings(), now
                    )
                    self._insured[index] = applicant.paid_months("210") >= MIN_UNEMPLOYMENT_MONTHS
        return self._insured[index]

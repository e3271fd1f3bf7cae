"""The pinyin journey (``--script pinyin``): one wizard whose free texts are typed in pinyin.

A resident the demo records let through turns 长辈模式 on at the attract screen (the pad's keys and
bar are then checked against the larger rules at every screenshot; the wizard journeys check the
standard ones), signs in, opens 劳动人事争议调解申请, and answers every
question by touch; the employer's name (某某科技有限公司) and the description are typed as pinyin
letters and chosen on the candidate bar (demo.wizard_answers), with a screenshot of the bar. The
application is submitted and the receipt printed; ``pinyin.json`` in the output directory holds the
form the gateway stored, for the UI test to find the Chinese text in it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from demo.player import JourneyFailed
from demo.wizard_stories import _answer_until, _log_in, _pull_at_menu, _submit
from kiosk.services import CATALOGUE
from kiosk.state import Screen, WizardStep

logger = logging.getLogger(__name__)

Step = tuple[str, Any]
SERVICE = "dispute_mediation"


def _stored_form(player: Any) -> dict[str, Any]:
    """The form of the newest application of the journey's kind, as the gateway's database holds it
    (the demo's data directory is new for each run, so it is the one just submitted)."""
    from sqlalchemy import select

    from server.models import Application

    ctx = player.world.server._ctx  # noqa: SLF001 - the demo's embedded gateway, as in wizard_probe
    with ctx.sessions() as db:
        newest = db.scalars(select(Application).where(Application.kind == SERVICE).order_by(Application.id.desc()))
        found = newest.first()
        return dict(found.form) if found is not None else {}


def pinyin(player: Any) -> Iterator[Step]:
    """See the module's doc."""
    from demo.wizard_probe import find

    server = player.world.server
    form = CATALOGUE[SERVICE].params.form
    pick = find(server._ctx, server.terminal_id, player.world.people, SERVICE, form, set())  # noqa: SLF001
    if pick is None:
        raise JourneyFailed(f"nobody in the demo records may make {SERVICE}")
    yield "screen", (Screen.ATTRACT, "attract screen")
    player.press("elder")
    yield "settle", None
    if not player.app.controller.state.elder_mode:
        raise JourneyFailed("长辈模式 did not turn on")
    resident = player.world.people[pick.person]
    yield from _log_in(player, resident, pick.person)
    yield from _answer_until(player, SERVICE, pick.overrides, WizardStep.REVIEW)
    record: dict[str, Any] = {"service": SERVICE, "elder_mode": player.app.controller.state.elder_mode}
    yield from _submit(player, SERVICE, record)
    record["form"] = _stored_form(player)
    logger.info("pinyin journey: %s", record.get("outcome"))
    yield from _pull_at_menu(player, resident)
    (player.out_dir / "pinyin.json").write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")

"""The 查询 and 打印 story (``--script records``): every record service of a resident's session.

缴费明细 for a chosen period (近三年, then 自选月份 in the from–to editor) and its pages; 待遇发放;
办事进度 with each application's status history; 个人权益单 year by year; 社保卡信息 with its
制卡进度; 转出参保凭证 previewed and printed, its bytes kept as ``transfer.bin``. The 缴费凭证 of the
months on screen (打印本期缴费凭证, its preview's 返回 back to the table) and from the menu, where it
asks the months first (the chooser, 预览, the preview's 首页 to the menu). Each screenshot checks the
legibility rules (demo.player.StoryPlayer.check_legible).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from demo.player import JourneyFailed, Step
from kiosk.state import Screen

logger = logging.getLogger(__name__)

SERVICES = (
    "contributions",
    "benefits",
    "applications",
    "rights_statement",
    "card_info",
    "print_payment_certificate",
    "print_transfer_certificate",
)


def _table(player: Any, what: str, check: Any) -> tuple[Any, str]:
    """A wait until the records screen shows a table for which ``check(records)`` holds."""
    state = player.app.controller.state

    def ready() -> bool:
        return player.showing(Screen.RECORDS) and state.records is not None and bool(check(state.records))

    return ready, what


def _back(player: Any) -> Iterator[Step]:
    player.press("home")
    yield "screen", (Screen.MENU, "the menu via the home button")


PASSES = (("zh_CN", False), ("en", True), ("zh_TW", True))  # (language, 长辈模式)


def records(player: Any) -> Iterator[Step]:
    """The session below once per pass of PASSES: each screen in 简体 as it is, and in English and
    繁體 in 长辈模式 (the longest words in the largest type)."""
    for language, elder in PASSES:
        yield from _session(player, language, elder)


def _session(player: Any, language: str, elder: bool) -> Iterator[Step]:
    state = player.app.controller.state
    tag = f"{language}-{'elder' if elder else 'normal'}"
    shot = player.shot

    def named(name: str) -> None:
        shot(f"{tag}-{name}")

    yield "screen", (Screen.ATTRACT, "attract screen")
    player.press(f"language:{language}")
    yield "settle", None
    if state.elder_mode != elder:
        player.press("elder")
        yield "settle", None
    player.world.insert_person(0)
    yield from player.sign_in(player.person["pin"])
    named("menu")

    player.press("service:contributions")
    yield "wait", _table(player, "contributions of this year", lambda r: r.period and r.period.preset == "this_year")
    yield "settle", None
    named("contributions-this-year")
    player.press("period:last_3_years")
    yield "wait", _table(player, "contributions of the last 3 years", lambda r: r.period.preset == "last_3_years")
    yield "settle", None
    if state.records.pages < 2:
        raise JourneyFailed(f"three years of contributions on {state.records.pages} page")
    player.on_screen(f"{state.records.page}")
    named("contributions-3-years")
    player.press("page_next")
    yield "wait", _table(player, "the second page", lambda r: r.page == 2)
    yield "settle", None
    named("contributions-page-2")
    player.press("period:custom")
    yield "wait", _table(player, "the from–to editor", lambda r: r.period.editing)
    yield "settle", None
    for intent in ("period:from:-12", "period:from:+1", "period:to:-1"):
        player.press(intent)
        yield "settle", None
    named("contributions-editor")
    chosen = (state.records.period.draft_start, state.records.period.draft_end)
    player.press("period:apply")
    yield "wait", _table(player, "the chosen months", lambda r: (r.period.start, r.period.end) == chosen)
    yield "settle", None
    if state.records.period.preset != "custom" or not state.records.rows:
        raise JourneyFailed(f"the chosen months {chosen} show no contributions")
    player.on_screen(chosen[0])
    named("contributions-chosen")
    player.press("print")  # 打印本期缴费凭证
    yield "screen", (Screen.PRINT_PREVIEW, "the certificate of the months on screen")
    yield "settle", None
    named("contributions-print-preview")
    player.press("back")
    yield "wait", _table(player, "the same months again", lambda r: (r.period.start, r.period.end) == chosen)
    yield "settle", None
    yield from _back(player)

    player.press("service:print_payment_certificate")
    yield "wait", _table(player, "the certificate's months", lambda r: r.period and not r.rows)
    yield "settle", None
    player.press("period:last_year")
    yield "wait", _table(player, "last year's months", lambda r: r.period.preset == "last_year")
    yield "settle", None
    named("payment-certificate-months")
    player.press("print")  # 预览
    yield "screen", (Screen.PRINT_PREVIEW, "the certificate of last year")
    yield "settle", None
    named("payment-certificate-preview")
    yield from _back(player)

    player.press("service:benefits")
    yield "wait", _table(player, "benefit payments", lambda r: r.summary)
    yield "settle", None
    named("benefits")
    yield from _back(player)

    # An application made at an earlier visit (as the 办理 wizard would send it), so that 办事进度
    # has one to show with its status history.
    controller = player.app.controller
    controller.backend.submit_application(
        controller.session.session_id, "contact_update", {"phone": "13912345678"}, idempotency_key="records-story"
    )
    player.press("service:applications")
    yield "wait", _table(player, "the applications", lambda r: r.rows or r.summary)
    yield "settle", None
    history = [row for row in state.records.rows if row[0] == ""]
    if not state.records.rows or not history:
        raise JourneyFailed(f"the applications show none with its status history: {state.records.rows}")
    named("applications")
    yield from _back(player)

    player.press("service:rights_statement")
    yield "wait", _table(player, "the rights statement", lambda r: r.period and r.period.kind == "year")
    yield "settle", None
    year = int(state.records.period.start)
    named("rights-statement")
    player.press("period:year_back")
    yield "wait", _table(player, "the year before", lambda r: r.period.start == str(year - 1))
    yield "settle", None
    named("rights-statement-year-before")
    yield from _back(player)

    player.press("service:card_info")
    yield "wait", _table(player, "the card information", lambda r: r.rows)
    yield "settle", None
    named("card-info")
    yield from _back(player)

    player.press("service:print_transfer_certificate")
    yield "screen", (Screen.PRINT_PREVIEW, "the transfer-out certificate preview")
    yield "settle", None
    named("transfer-preview")
    player.press("print")
    yield "screen", (Screen.MESSAGE, "print result")
    player.expect_message("print.done")
    named("transfer-printed")
    (player.out_dir / "transfer.bin").write_bytes(player.world.printed_bytes())  # every pass's so far
    player.press("continue")
    yield "screen", (Screen.MENU, "menu after printing")
    player.press("exit")
    yield "screen", (Screen.REMOVE_CARD, "remove-card screen")
    player.world.pull_card()
    yield "screen", (Screen.ATTRACT, "attract screen at the end")
    player.check_nothing_left()

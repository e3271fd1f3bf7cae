"""Announcements: schema, time windows, language fallback, rotation, and live application through
the same ConfigApplier a pushed remote bundle goes through (never during a resident's session)."""

from __future__ import annotations

import datetime as dt
import tomllib
from typing import Any

import pytest

from common.config import DEFAULT_CONFIG_PATH, AnnouncementConfig, AnnouncementsConfig, KioskConfig
from kiosk.announcements import AnnouncementBoard, current_notices, is_current, text_for
from kiosk.config import load_config, parse_override
from kiosk.controller import KioskController
from kiosk.errors import ConfigError
from kiosk.remote_config import Accepted, ConfigApplier
from kiosk.state import Notice, Screen
from kiosk.worker import InlineWorker
from tests.kiosk.fakes import Clock, FakeBackend, FakeCardPort, FakeJournal, FakePrinter, FakePrintService

CST = dt.timezone(dt.timedelta(hours=8))
UPGRADE = {
    "zh_CN": "系统升级，今晚 22:00 后暂停服务",
    "zh_TW": "系統升級，今晚 22:00 後暫停服務",
    "en": "System upgrade: no service after 22:00 tonight",
    "level": "warning",
    "start": "2026-11-24T08:00:00+08:00",
    "end": "2026-11-25T06:00:00+08:00",
}
HOURS = {"zh_CN": "本厅周六上午照常办公"}


def with_announcements(*items: Any, **section: Any) -> KioskConfig:
    return load_config(overrides=[{"announcements": {"items": list(items), **section}}])


class WallClock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def controller_with(config: KioskConfig, wall: WallClock) -> tuple[KioskController, FakeCardPort, Clock]:
    card, clock = FakeCardPort(), Clock()
    controller = KioskController(
        config,
        InlineWorker(),
        card,
        FakeBackend(),
        FakePrintService(FakePrinter(), FakeJournal()),
        lambda doc: b"\x89PNG-preview",
        clock=clock,
        document_builder=lambda cert, lang: ("document", cert["serial"], lang),
        wall_clock=wall,
    )
    return controller, card, clock


def log_in(controller: KioskController, card: FakeCardPort) -> None:
    controller.card_inserted()
    for digit in card.pin:
        controller.pin_digit(digit)
    controller.pin_submit()
    assert controller.state.screen is Screen.MENU


# ----------------------------------------------------------------------------- schema
def test_default_is_no_announcements_and_the_documented_example_is_valid() -> None:
    config = load_config()
    assert config.announcements.items == []
    assert config.announcements.rotate_seconds == 8
    # The example in default.toml's comments is real TOML the kiosk accepts.
    text = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    section = text[text.index("[announcements]") :]
    example = "\n".join(line.removeprefix("#   ") for line in section.splitlines() if line.startswith("#   "))
    parsed = tomllib.loads(example)
    items = with_announcements(*parsed["announcements"]["items"]).announcements.items
    assert [(item.level, item.start) for item in items] == [("warning", dt.datetime(2026, 11, 24, 8, tzinfo=CST))]


def test_full_and_short_forms() -> None:
    items = with_announcements(UPGRADE, "本厅周六上午照常办公").announcements.items
    assert items[0] == AnnouncementConfig(
        zh_CN=UPGRADE["zh_CN"],
        zh_TW=UPGRADE["zh_TW"],
        en=UPGRADE["en"],
        level="warning",
        start=dt.datetime(2026, 11, 24, 8, tzinfo=CST),
        end=dt.datetime(2026, 11, 25, 6, tzinfo=CST),
    )
    assert items[1] == AnnouncementConfig(zh_CN="本厅周六上午照常办公")


def test_a_local_toml_file_sets_announcements_with_native_datetimes(tmp_path) -> None:
    local = tmp_path / "local.toml"
    local.write_text(
        '[[announcements.items]]\nzh_CN = "系统升级"\nlevel = "warning"\nend = 2026-11-25T06:00:00+08:00\n',
        encoding="utf-8",
    )
    (item,) = load_config(local).announcements.items
    assert item.end == dt.datetime(2026, 11, 24, 22, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "items, section, named",
    [
        ([{"zh_CN": "通" * 81}], {}, "announcement 1: zh_CN: expected at most 80 characters"),
        ([HOURS, {"zh_CN": "好", "en": "x" * 161}], {}, "announcement 2: en: expected at most 160 characters"),
        ([{"en": "English only"}], {}, "announcement 1: zh_CN: missing"),
        ([{"zh_CN": "  "}], {}, "announcement 1: zh_CN: expected a 简体 text"),
        ([{"zh_CN": "第一行\n第二行"}], {}, "zh_CN: expected one line"),
        ([{"zh_CN": "好", "level": "urgent"}], {}, "level: expected 'info' or 'warning'"),
        ([{"zh_CN": "好", "start": "2026-11-24T22:00:00"}], {}, "start: expected timezone info (ISO 8601"),
        ([{"zh_CN": "好", "end": "tonight"}], {}, "announcement 1: end:"),
        (
            [{"zh_CN": "好", "start": "2026-11-25T00:00:00+08:00", "end": "2026-11-24T22:00:00+08:00"}],
            {},
            "announcement 1: expected end (2026-11-24T22:00:00+08:00) after start",
        ),
        ([{"zh_CN": "好", "zh_cn": "好"}], {}, "zh_cn: unknown key"),
        ([HOURS, 42], {}, "announcement 2: expected plain notice text or a table"),
        (['[{"zh_CN": "系统升级，今晚 22:00 后暂停服务"'], {}, "announcement 1: expected plain notice text or a table"),
        ([HOURS, '"level": "warning"}]'], {}, "announcement 2: expected plain notice text or a table;"),
        (['zh_CN = "系统升级"'], {}, "looks like part of a table"),
        ([HOURS] * 6, {}, "expected at most 5 announcements (got 6)"),
        ([], {"rotate_seconds": 1}, "announcements.rotate_seconds = 1: expected greater than or equal to 3"),
        ([], {"colour": "red"}, "announcements.colour: unknown key"),
    ],
)
def test_bad_announcements_are_refused_naming_which_and_why(items: Any, section: Any, named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        with_announcements(*items, **section)
    assert named in caught.value.detail
    assert "announcements." in caught.value.detail


def test_command_line_override_sets_a_short_announcement() -> None:
    config = load_config(overrides=[parse_override("announcements.items=['本厅周六上午照常办公']")])
    assert config.announcements.items[0].zh_CN == "本厅周六上午照常办公"


# ----------------------------------------------------------------------------- plain evaluation
def test_language_falls_back_to_simplified() -> None:
    full, short = with_announcements(UPGRADE, HOURS).announcements.items
    assert [text_for(full, lang) for lang in ("zh_CN", "zh_TW", "en")] == [
        UPGRADE["zh_CN"],
        UPGRADE["zh_TW"],
        UPGRADE["en"],
    ]
    assert {text_for(short, lang) for lang in ("zh_CN", "zh_TW", "en", "fr")} == {HOURS["zh_CN"]}


def test_window_is_start_inclusive_end_exclusive_across_offsets() -> None:
    (item,) = with_announcements(UPGRADE).announcements.items
    start_utc = dt.datetime(2026, 11, 24, 0, tzinfo=dt.UTC)  # 08:00 at +08:00
    end_utc = dt.datetime(2026, 11, 24, 22, tzinfo=dt.UTC)
    tick = dt.timedelta(microseconds=1)
    assert not is_current(item, start_utc - tick)
    assert is_current(item, start_utc)
    assert is_current(item, end_utc - tick)
    assert not is_current(item, end_utc)
    with pytest.raises(ValueError):
        is_current(item, dt.datetime(2026, 11, 24, 12))


def test_current_notices_keep_order_and_level() -> None:
    items = with_announcements(UPGRADE, HOURS).announcements.items
    during = dt.datetime(2026, 11, 24, 12, tzinfo=CST)
    after = dt.datetime(2026, 11, 25, 7, tzinfo=CST)
    assert current_notices(items, during, "en") == [Notice(UPGRADE["en"], "warning"), Notice(HOURS["zh_CN"], "info")]
    assert current_notices(items, after, "en") == [Notice(HOURS["zh_CN"], "info")]


def test_board_rotates_only_when_asked_and_restarts_when_the_set_changes() -> None:
    section = AnnouncementsConfig(items=[{"zh_CN": "一"}, {"zh_CN": "二"}, {"zh_CN": "三"}], rotate_seconds=8)
    board = AnnouncementBoard(WallClock(dt.datetime(2026, 11, 24, tzinfo=dt.UTC)))
    assert board.update(section, "zh_CN", 0.0, rotating=True)
    assert board.index == 0
    assert not board.update(section, "zh_CN", 7.9, rotating=True)
    assert board.update(section, "zh_CN", 8.0, rotating=True) and board.index == 1
    assert not board.update(section, "zh_CN", 100.0, rotating=False)  # not on the attract screen
    assert board.update(section, "zh_CN", 101.0, rotating=True) is False  # a full period first
    assert board.update(section, "zh_CN", 109.0, rotating=True) and board.index == 2
    assert board.update(section, "zh_CN", 117.0, rotating=True) and board.index == 0
    board.update(section, "zh_CN", 125.0, rotating=True)
    assert board.index == 1
    assert board.update(AnnouncementsConfig(items=[{"zh_CN": "一"}, {"zh_CN": "二"}]), "zh_CN", 126.0, True)
    assert board.index == 0


# ----------------------------------------------------------------------------- the controller
def test_attract_screen_state_follows_language_and_survives_sessions() -> None:
    wall = WallClock(dt.datetime(2026, 11, 24, 12, tzinfo=CST))
    controller, card, _ = controller_with(with_announcements(UPGRADE, HOURS), wall)
    seen: list[list[Notice]] = []
    controller.subscribe(lambda state: seen.append(state.announcements))
    assert seen[-1] == [Notice(UPGRADE["zh_CN"], "warning"), Notice(HOURS["zh_CN"], "info")]
    controller.set_language("en")
    assert seen[-1][0] == Notice(UPGRADE["en"], "warning")
    log_in(controller, card)
    controller.finish()
    controller.card_removed()  # the card is out: the attract screen in the terminal's language again
    assert controller.state.screen is Screen.ATTRACT
    assert not controller.state.holds_resident_data()
    assert seen[-1][0] == Notice(UPGRADE["zh_CN"], "warning")


def test_windows_open_and_close_without_a_new_push() -> None:
    wall = WallClock(dt.datetime(2026, 11, 24, 7, 59, tzinfo=CST))
    controller, _, clock = controller_with(with_announcements(UPGRADE), wall)
    published: list[list[Notice]] = []
    controller.subscribe(lambda state: published.append(state.announcements))
    controller.tick()
    assert published == [[]]  # nothing changed, nothing published
    wall.now = dt.datetime(2026, 11, 24, 8, 0, tzinfo=CST)
    clock.now += 1
    controller.tick()
    assert published[-1] == [Notice(UPGRADE["zh_CN"], "warning")]
    wall.now = dt.datetime(2026, 11, 25, 6, 0, tzinfo=CST)
    clock.now += 1
    controller.tick()
    assert published[-1] == []


def test_rotation_on_the_attract_screen_only() -> None:
    wall = WallClock(dt.datetime(2026, 11, 24, 12, tzinfo=CST))
    controller, card, clock = controller_with(with_announcements(UPGRADE, HOURS, rotate_seconds=5), wall)
    controller.tick()
    clock.now += 5
    controller.tick()
    assert controller.state.announcement_index == 1
    log_in(controller, card)
    for _ in range(10):
        clock.now += 5
        controller.touch()
        controller.tick()
    assert controller.state.announcement_index == 1
    assert controller.state.screen is Screen.MENU


def test_pushed_announcements_wait_for_the_session_to_end_then_apply_live() -> None:
    wall = WallClock(dt.datetime(2026, 11, 24, 12, tzinfo=CST))
    controller, card, _ = controller_with(load_config(), wall)
    restarts: list[set[str]] = []
    applier = ConfigApplier(
        lambda: controller.state.screen in (Screen.ATTRACT, Screen.OUT_OF_SERVICE),
        lambda config, keys: controller.apply_config(config),
        lambda config, keys: restarts.append(keys),
    )
    log_in(controller, card)
    overlay = {"announcements": {"items": [UPGRADE]}}
    pushed = Accepted(7, load_config(overrides=[overlay]), overlay, {"announcements.items"})
    assert not pushed.needs_restart
    applier.offer(pushed)
    assert applier.pending is pushed
    assert controller.state.announcements == []  # the resident's session is not disturbed
    assert controller.state.screen is Screen.MENU
    controller.finish()
    controller.card_removed()
    assert applier.tick() == "live"
    assert restarts == []
    assert controller.state.announcements == [Notice(UPGRADE["zh_CN"], "warning")]
    assert controller.config.announcements.items[0].en == UPGRADE["en"]


def test_announcement_keys_are_live_keys() -> None:
    config = load_config()
    for key in ("announcements.items", "announcements.rotate_seconds"):
        assert not Accepted(1, config, {}, {key}).needs_restart, key

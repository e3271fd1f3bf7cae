"""The scripted demo stories, played inside the running app with real touches (demo.player).

``journey``: attract → insert the demo card → PIN on the on-screen pad → menu → 参保信息 (after a
moment's wait on the busy screen) → 缴费明细 → print 参保证明 → finish → pull the card → attract
with nothing of the resident left; each screen saved as a PNG, with the receipt's preview and the
printer's bytes. The others play what goes wrong (paper out, a foreign card, an idle resident,
faces, maintenance, announcements). Used by ``main.py --demo`` with no display and by the UI tests.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kivy.base import EventLoop

from demo import change_pin_stories, display_stories, pinyin_story, record_stories, tour, wizard_stories
from demo.player import STEP_TIMEOUT, JourneyFailed, Step, StoryPlayer, tap
from kiosk.printer_status import PrinterStatus
from kiosk.remote_config import BUNDLE_FILE
from kiosk.state import Screen, WizardStep
from screens import capture

FLEET_TIMEOUT = 30.0  # a few heartbeats of the demo terminal
FACE_TIMEOUT = 90.0  # a capture: framing, two liveness challenges, then the server's 1:1 check


class DemoStories(StoryPlayer):
    """Every story of ``STORY_NAMES`` (demo/__init__.py), by name."""

    def __init__(self, app: Any, world: Any, out_dir: Path, result: dict[str, int], script: str = "journey") -> None:
        stories = {
            "journey": DemoStories._journey,
            "paper-out": DemoStories._paper_out,
            "foreign-card": DemoStories._foreign_card,
            "idle-timeout": DemoStories._idle_timeout,
            "face-match": DemoStories._face_match,
            "face-photo": DemoStories._face_photo,
            "face-other": DemoStories._face_other,
            "maintenance": DemoStories._maintenance,
            "announcement": DemoStories._announcement,
            "wizard": DemoStories._wizard,
            "elder-mode": display_stories.elder_mode,
            "staff": display_stories.staff,
            "tour": tour.tour,
            "wizards": wizard_stories.wizards,
            "records": record_stories.records,
            "change-pin": change_pin_stories.change_pin,
            "pinyin": pinyin_story.pinyin,
        }
        super().__init__(app, world, out_dir, result, script, stories[script])  # type: ignore[arg-type]

    def _log_in(self) -> Iterator[Step]:
        """Attract → card → PIN → menu, with screenshots of each."""
        yield "screen", (Screen.ATTRACT, "attract screen")
        self.on_screen("请插入社会保障卡")
        self.shot("attract")
        capture.save_png(self.app.root, self.out_dir / "window-with-dock.png")
        self.world.insert_person(0)
        yield "screen", (Screen.PIN, "PIN screen after inserting the card")
        self.on_screen(f"{self.person['name']}，您好")
        self.on_screen("请输入社保卡密码")
        self.shot("pin")
        for digit in self.person["pin"]:
            self.press(f"pin:{digit}")
        yield "settle", None
        self.on_screen("● ● ● ● ● ●")
        self.shot("pin-entered")
        self.press("pin:ok")
        yield "screen", (Screen.MENU, "menu after the PIN")
        yield "wait", (lambda: self.app.controller.state.printer_status is not PrinterStatus.UNKNOWN, "printer status")
        yield "settle", None
        self.on_screen("请选择要办理的业务")
        for intent, label in (
            ("service:insurance_info", "参保信息查询"),
            ("service:print_insured_certificate", "打印参保证明"),
        ):
            self.enabled(intent)
            self.on_screen(label)
        self.shot("menu")

    def _leave(self) -> Iterator[Step]:
        """Finish, pull the card, and check nothing of the resident is left."""
        self.press("exit")
        yield "screen", (Screen.REMOVE_CARD, "remove-card screen")
        self.on_screen("请取走您的社保卡")
        self.shot("remove-card")
        self.world.pull_card()
        yield "screen", (Screen.ATTRACT, "attract screen after the card was pulled")
        self.on_screen("请插入社会保障卡")
        self.shot("attract-again")
        self.check_nothing_left()

    def _journey(self) -> Iterator[Step]:
        yield from self._log_in()
        # The server takes a moment to answer (the run ends the app, so the shorter delay stays):
        # the busy screen shows meanwhile.
        self.world.server.set_fault("slow", 1.5)
        self.press("service:insurance_info")
        yield "screen", (Screen.BUSY, "busy screen while the server answers")
        self.on_screen("正在查询，请稍候")
        self.shot("loading")
        self.world.server.set_fault(None)
        yield "screen", (Screen.RECORDS, "参保信息 screen")
        self.on_screen("参保信息")
        self.on_screen("参保缴费")
        self.shot("insurance")
        self.press("back")
        yield "screen", (Screen.MENU, "menu again")
        self.press("service:contributions")
        yield "screen", (Screen.RECORDS, "缴费明细 screen")
        self.shot("contributions")
        records = self.app.controller.state.records
        if records is None or not records.rows or not records.summary:
            raise JourneyFailed("the contributions table is empty")
        self.press("back")
        yield "screen", (Screen.MENU, "menu before printing")
        self.press("service:print_insured_certificate")
        yield "screen", (Screen.PRINT_PREVIEW, "print preview")
        self.shot("print-preview")
        (self.out_dir / "receipt-preview.png").write_bytes(self.app.controller.state.preview_png or b"")
        self.press("print")
        yield "screen", (Screen.MESSAGE, "print result")
        self.on_screen("打印完成，请取走凭证")
        self.shot("printed")
        self.expect_message("print.done")
        (self.out_dir / "receipt.bin").write_bytes(self.world.printed_bytes())
        self.press("continue")
        yield "screen", (Screen.MENU, "menu after printing")
        yield from self._leave()

    def _paper_out(self) -> Iterator[Step]:
        """The printer runs out of paper: the resident is told, and printing is offered no more."""
        yield from self._log_in()
        self.press("service:print_insured_certificate")
        yield "screen", (Screen.PRINT_PREVIEW, "print preview")
        self.world.set_paper("out")
        self.press("print")
        yield "screen", (Screen.MESSAGE, "printer message")
        self.shot("paper-out")
        self.expect_message("printer.no_paper")
        self.press("continue")
        yield "screen", (Screen.MENU, "menu after the failed print")
        yield "wait", (lambda: self.service_disabled("print_insured_certificate"), "printing disabled in the menu")
        yield "settle", None
        self.enabled("service:print_insured_certificate", expected=False)
        self.on_screen("打印暂停：打印机缺纸")
        self.shot("menu-printing-disabled")
        self.world.set_paper("ok")
        yield from self._leave()

    def _foreign_card(self) -> Iterator[Step]:
        """A visitor switches to English and inserts a bank card: a clear message in English, the card
        is asked back, and the next resident finds the terminal in 简体 again."""
        yield "screen", (Screen.ATTRACT, "attract screen")
        self.press("language:en")
        yield "settle", None
        self.on_screen("Please insert your social security card")
        self.world.insert_foreign_card()
        yield "screen", (Screen.MESSAGE, "not-a-social-security-card message")
        self.on_screen("This is not a social security card")
        self.shot("foreign-card")
        self.expect_message("card.not_sscard")
        self.world.pull_card()
        yield "screen", (Screen.ATTRACT, "attract screen after the card was pulled")
        self.on_screen("请插入社会保障卡")
        self.shot("attract-again")

    def _idle_timeout(self) -> Iterator[Step]:
        """Nobody touches the screen: a countdown dialog, then the session ends by itself.

        ``main.py`` runs this story with a short session timing of its own (cli.ui.SCRIPT_SETTINGS);
        the waits follow whatever timing is in force, so a longer one given with --set works too."""
        yield from self._log_in()
        session = self.app.controller.config.session
        idle_wait = session.idle_timeout + STEP_TIMEOUT
        yield "wait", (lambda: self.app.controller.state.countdown is not None, "idle countdown", idle_wait)
        yield "settle", None
        self.shot("countdown", self.app.countdown)  # the dialog lives on the window, not the root
        yield "screen", (Screen.REMOVE_CARD, "session ended by the idle timeout", session.countdown + STEP_TIMEOUT)
        self.shot("remove-card")
        self.world.pull_card()
        yield "screen", (Screen.ATTRACT, "attract screen after the card was pulled")
        self.check_nothing_left()

    def _face_match(self) -> Iterator[Step]:
        """The resident chooses face verification; the camera sees them, live: straight to the menu."""
        yield "screen", (Screen.ATTRACT, "attract screen")
        self.world.insert_person(0)
        yield "screen", (Screen.PIN, "PIN screen after inserting the card")
        self.world.show_face("match")
        self.press("face")
        yield "screen", (Screen.FACE, "face capture screen")
        yield "wait", (lambda: self.app.controller.state.face_preview is not None, "camera preview")
        yield "settle", None
        self.shot("face-capture")
        yield "screen", (Screen.MENU, "menu after face verification", FACE_TIMEOUT)
        self.shot("menu")
        self.world.show_face("none")
        yield from self._leave()

    def _face_photo(self) -> Iterator[Step]:
        """A still photo held to the camera fails liveness; the PIN stays the way in."""
        yield "screen", (Screen.ATTRACT, "attract screen")
        self.world.insert_person(0)
        yield "screen", (Screen.PIN, "PIN screen after inserting the card")
        self.world.show_face("still_photo")
        self.press("face")
        yield "screen", (Screen.FACE, "face capture screen")
        yield "screen", (Screen.PIN, "back to the PIN after the liveness check", FACE_TIMEOUT)
        self.shot("face-refused")
        message = self.app.controller.state.pin_message
        if message is None or not message.key.startswith(("face.liveness", "face.capture")):
            raise JourneyFailed(f"expected a liveness failure, got {message.key if message else 'nothing'}")
        self.world.show_face("none")
        yield from self._leave()

    def _face_other(self) -> Iterator[Step]:
        """Someone else, live, with this card: liveness passes but the server says it is not them."""
        yield "screen", (Screen.ATTRACT, "attract screen")
        self.world.insert_person(0)
        yield "screen", (Screen.PIN, "PIN screen after inserting the card")
        self.world.show_face("other")
        self.press("face")
        yield "screen", (Screen.FACE, "face capture screen")
        yield "screen", (Screen.PIN, "back to the PIN after the server's refusal", FACE_TIMEOUT)
        self.shot("face-mismatch")
        message = self.app.controller.state.pin_message
        if message is None or message.key != "backend.rejected":
            raise JourneyFailed(f"expected the server's refusal, got {message.key if message else 'nothing'}")
        self.world.show_face("none")
        yield from self._leave()

    def _wizard(self) -> Iterator[Step]:
        """An application from the menu through the generic wizard (个人资料修改: a new phone number):
        须知 ticked → the resident's data → the number on the keypad → review → submit → the 回执,
        printed; then the receipt's number is on the paper."""
        yield from self._log_in()
        controller = self.app.controller

        def at(step: WizardStep) -> tuple[Any, str]:
            return (lambda: controller.state.wizard is not None and controller.state.wizard.step is step, step.value)

        self.press("service:contact_update")
        yield "screen", (Screen.WIZARD, "the wizard's notice")
        self.on_screen("第 1 步，共 5 步")
        self.shot("wizard-notice")
        self.press("wizard:next")  # not ticked yet: the wizard says so and stays
        yield "settle", None
        self.on_screen("请先阅读须知")
        self.press("wizard:tick")
        yield "settle", None
        self.press("wizard:next")
        yield "wait", at(WizardStep.CONFIRM)
        yield "settle", None
        self.on_screen("请核对您的信息")
        self.shot("wizard-confirm")
        self.press("wizard:next")
        yield "wait", at(WizardStep.FIELD)
        yield "settle", None
        self.press("wizard:choice:phone")  # 要修改什么: the phone number
        yield "settle", None
        self.press("wizard:next")
        yield "wait", (lambda: controller.state.wizard.question.name == "phone", "the phone number's step")
        for digit in "13912345678":
            yield "settle", None
            self.press(f"wizard:key:{digit}")
        yield "settle", None
        self.on_screen("13912345678")
        self.shot("wizard-phone")
        self.press("wizard:next")
        yield "wait", at(WizardStep.REVIEW)
        yield "settle", None
        self.shot("wizard-review")
        self.press("wizard:next")  # 确认提交
        yield "wait", at(WizardStep.RESULT)
        yield "settle", None
        self.on_screen("申请已提交")
        self.shot("wizard-result")
        number = str((controller.state.wizard.receipt or {}).get("number", ""))
        if not number:
            raise JourneyFailed("the receipt has no application number")
        self.press("wizard:next")  # 打印回执
        yield "screen", (Screen.MESSAGE, "print result")
        self.expect_message("print.done")
        if number.encode("ascii") not in self.world.printed_bytes():
            raise JourneyFailed(f"the printed receipt does not carry the application number {number}")
        self.press("continue")
        yield "screen", (Screen.MENU, "menu after the receipt")
        yield from self._leave()

    def _maintenance(self) -> Iterator[Step]:
        """Staff put the terminal in maintenance from the fleet manager, then back in service."""
        yield "screen", (Screen.ATTRACT, "attract screen")
        self.world.staff_command("maintenance_on")
        yield "screen", (Screen.OUT_OF_SERVICE, "out-of-service screen after the staff command", FLEET_TIMEOUT)
        self.shot("out-of-service")
        self.world.insert_person(0)
        yield "sleep", 1.5  # longer than the card monitor needs to notice a card
        if self.screen() is not Screen.OUT_OF_SERVICE:
            raise JourneyFailed("a card was accepted while the terminal was in maintenance")
        self.world.pull_card()
        self.world.staff_command("maintenance_off")
        yield "screen", (Screen.ATTRACT, "attract screen after maintenance", FLEET_TIMEOUT)
        self.shot("attract-again")

    def _announcement(self) -> Iterator[Step]:
        """Staff push a warning notice from the fleet manager: the attract screen shows it live, with
        no restart, and in English after the language switch. A second push while a resident is
        being served reaches the kiosk but waits until the card is out (the menu shows the warning in
        one line meanwhile); an expired notice never shows."""
        cst = dt.timezone(dt.timedelta(hours=8))
        now = dt.datetime.now(cst).replace(microsecond=0)
        upgrade = {
            "zh_CN": "系统升级，今晚 22:00 后暂停服务",
            "zh_TW": "系統升級，今晚 22:00 後暫停服務",
            "en": "System upgrade: no service after 22:00 tonight",
            "level": "warning",
            "start": (now - dt.timedelta(hours=1)).isoformat(),
            "end": (now + dt.timedelta(hours=12)).isoformat(),
        }
        saturday = {"zh_CN": "本厅周六上午照常办公", "en": "Open as usual on Saturday mornings"}
        expired = {"zh_CN": "上周系统维护已完成", "end": (now - dt.timedelta(minutes=5)).isoformat()}
        controller = self.app.controller
        yield "screen", (Screen.ATTRACT, "attract screen")
        if self.app.views[Screen.ATTRACT].notice_panel.shown:
            raise JourneyFailed("an announcement shows before any was pushed")
        self.world.set_profile({"announcements": {"items": [upgrade]}}, "tonight's upgrade")
        yield "wait", (lambda: bool(controller.state.announcements), "the pushed announcement", FLEET_TIMEOUT)
        yield "settle", None
        self.on_screen("【重要】")
        self.on_screen(upgrade["zh_CN"])
        self.on_screen("请插入社会保障卡")
        self.shot("announcement")
        self.press("language:en")
        yield "settle", None
        self.on_screen("Important:")
        self.on_screen(upgrade["en"])
        self.shot("announcement-en")
        self.world.insert_person(0)
        yield "screen", (Screen.PIN, "PIN screen after inserting the card")
        for digit in self.person["pin"]:
            self.press(f"pin:{digit}")
        self.press("pin:ok")
        yield "screen", (Screen.MENU, "menu after the PIN")
        self.on_screen(f"Important:[/color][/b] {upgrade['en']}")  # one line in the menu's header
        self.shot("menu-warning")
        received = self._bundle_version()
        self.world.set_profile(
            {"announcements": {"items": [upgrade, expired, saturday], "rotate_seconds": 4}}, "opening hours"
        )
        yield "wait", (lambda: self._bundle_version() != received, "the second push to reach the kiosk", FLEET_TIMEOUT)
        yield "sleep", 1.0  # past the heartbeat that brought it: the applier had its chance to (wrongly) apply
        if self.screen() is not Screen.MENU or len(controller.config.announcements.items) != 1:
            raise JourneyFailed("a pushed config was applied in the middle of a resident's session")
        self.press("exit")
        yield "screen", (Screen.REMOVE_CARD, "remove-card screen")
        self.world.pull_card()
        yield "screen", (Screen.ATTRACT, "attract screen after the card was pulled")
        yield (
            "wait",
            (lambda: len(controller.state.announcements) == 2, "the new notices after the session", FLEET_TIMEOUT),
        )
        yield "settle", None
        if len(controller.config.announcements.items) != 3:
            raise JourneyFailed("the second push was not applied")
        self.on_screen("1/2")
        self.shot("announcements-after-session")
        yield "wait", (lambda: controller.state.announcement_index == 1, "the next notice in rotation")
        yield "settle", None
        self.on_screen("【通知】")
        self.on_screen(saturday["zh_CN"])
        self.on_screen("2/2")
        self.shot("announcement-rotated")
        self.check_nothing_left()
        yield from self._dock_notice()

    def _dock_notice(self) -> Iterator[Step]:
        """The dock's "推送通知 Push notice" pushes a long Chinese warning (the same fleet path): its
        【重要】 stays on the first line, level with the text that wraps by characters beside it, not
        alone above it. Pressed again, the notice is withdrawn and the band goes."""
        controller = self.app.controller
        height = EventLoop.window.height
        hidden = [
            name
            for name, widget in self.app.dock.controls.items()
            if widget.to_window(widget.x, widget.top)[1] > height + 1 or widget.to_window(widget.x, widget.y)[1] < -1
        ]
        if hidden:
            raise JourneyFailed(f"demo dock controls outside the window: {hidden}")
        toggle = self.app.dock.controls["notice"]
        tap(toggle)

        def long_warning_shown() -> bool:
            notices = controller.state.announcements
            return len(notices) == 1 and notices[0].level == "warning" and len(notices[0].text) > 50

        yield "wait", (long_warning_shown, "the dock's long notice", FLEET_TIMEOUT)
        yield "settle", None
        self.on_screen("【重要】")
        self.on_screen(controller.state.announcements[0].text)
        self._check_marker_beside_text()
        if toggle.state != "down":
            raise JourneyFailed("the dock's notice button is not shown pressed while the notice is up")
        self.shot("announcement-long")
        tap(toggle)
        yield "wait", (lambda: not controller.state.announcements, "the dock's notice to be withdrawn", FLEET_TIMEOUT)
        yield "settle", None
        if self.app.views[Screen.ATTRACT].notice_panel.shown or toggle.state != "normal":
            raise JourneyFailed("the withdrawn notice still shows")

    def _check_marker_beside_text(self) -> None:
        """The marker is one line, left of the notice text and level with its first line; the text
        wraps onto more lines and fills its first line (broken by characters, as Chinese is)."""
        view = self.app.views[Screen.ATTRACT]
        marker, text = view.notice_marker, view.notice
        line_height = marker.texture_size[1]
        if abs(marker.top - text.top) > 2 or marker.right > text.x + 1:
            raise JourneyFailed(f"the marker is not beside the notice's first line ({marker.pos}, {text.pos})")
        if text.texture_size[1] < 1.8 * line_height:
            raise JourneyFailed("the long notice does not wrap")
        lines = getattr(text._label, "_cached_lines", [])  # Kivy's laid-out lines of the label
        if not lines or lines[0].w < 0.85 * text.width:
            raise JourneyFailed(f"the notice's first line is not filled ({lines[0].w if lines else 0} of {text.width})")

    def _bundle_version(self) -> int | None:
        """The version of the signed bundle the kiosk last accepted (its on-disk cache)."""
        try:
            envelope = json.loads((self.app.controller.config.data_path() / BUNDLE_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return envelope["bundle"]["version"]

"""The demo dock (demo mode only): plays the world around the terminal.

Insert a card of any demo resident (or a bank card, or a broken card), pull it, run the printer
out of paper or open its cover, push a staff notice (press again to withdraw it), take the server
down or make it slow. Every button calls the
DemoWorld, which drives the simulated devices exactly as hardware would; the kiosk screens learn
about it only through their normal device events. Slow device calls run off the UI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.graphics import Color, Rectangle
from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.spinner import Spinner
from kivy.uix.togglebutton import ToggleButton

logger = logging.getLogger(__name__)

# The dock's own look, flat (Kivy's default images are not used): white text on slate, on a deep
# teal when pressed or selected. White is 13.6:1 on the panel, 8.6:1 on a button and 6.2:1 on a
# selected one; Kivy's default light-blue "down" image gave 2.9:1.
DOCK_PANEL = (0.16, 0.18, 0.22, 1)
DOCK_BUTTON = (0.27, 0.30, 0.36, 1)
DOCK_BUTTON_DOWN = (0.0, 0.42, 0.47, 1)


def dock_look(button: Any) -> Any:
    """Give a dock Button, ToggleButton or Spinner the dock's flat colours; returns it."""
    button.background_normal = ""
    button.background_down = ""
    button.color = (1, 1, 1, 1)

    def paint(*_: Any) -> None:
        button.background_color = DOCK_BUTTON_DOWN if button.state == "down" else DOCK_BUTTON

    button.bind(state=paint)
    paint()
    return button


class DemoDock(BoxLayout):
    def __init__(self, world: Any, width: int, **kwargs: Any) -> None:
        # Compact rows: every control must fit the 800-pixel-high demo window, none pushed off the top.
        super().__init__(orientation="vertical", size_hint_x=None, width=width, padding=dp(10), spacing=dp(6), **kwargs)
        self.world = world
        self.controls: dict[str, Any] = {}
        with self.canvas.before:  # a dark panel, clearly not part of the kiosk screen
            Color(*DOCK_PANEL)
            self._background = Rectangle(pos=self.pos, size=self.size)
        self.bind(
            pos=lambda *_: setattr(self._background, "pos", self.pos),
            size=lambda *_: setattr(self._background, "size", self.size),
        )
        self.add_widget(Label(text="演示控制台 Demo dock", size_hint_y=None, height=dp(34), font_size=dp(20)))
        labels = [f"{i + 1}. {world.person_label(i)}" for i in range(len(world.people))]
        self.person = dock_look(
            Spinner(text=labels[0] if labels else "", values=labels, size_hint_y=None, height=dp(50), font_size=dp(18))
        )
        self.controls["person"] = self.person
        self.add_widget(self.person)
        cards = self._row()
        self._button("insert", "插入所选居民的社保卡", lambda: world.insert_person(self.selected_person()), cards, 2)
        self._button("pull", "拔卡", world.pull_card, cards)
        other_cards = self._row()
        self._button("insert_foreign", "插入银行卡", world.insert_foreign_card, other_cards)
        self._button("insert_broken", "插入损坏的卡", world.insert_broken_card, other_cards)
        self._section("摄像头 Camera")
        self._toggle_row(
            "camera",
            [
                ("none", "无人"),
                ("match", "本人"),
                ("other", "他人"),
                ("still_photo", "照片"),
                ("portrait:astronaut", "证件照"),  # 本人 before a plain light wall: the 社保卡 photo's rules hold
                ("esscard", "电子社保卡"),
            ],
            self._show_to_camera,
        )
        self._section("打印机 Printer")
        self._toggle_row("paper", [("ok", "有纸"), ("near_end", "将尽"), ("out", "缺纸")], world.set_paper)
        self._toggle_row(
            "cover", [("closed", "盖好"), ("open", "开盖")], lambda value: world.set_cover_open(value == "open")
        )
        self._section("工作人员 Staff (console commands)")
        self._toggle_row(
            "staff", [("maintenance_off", "正常服务"), ("maintenance_on", "维护模式")], world.staff_command
        )
        self._notice_toggle()
        self._section("服务器 Server")
        self._toggle_row(
            "server",
            [("up", "正常"), ("slow", "缓慢"), ("down", "宕机")],
            lambda value: world.set_server_fault(None if value == "up" else value),
        )
        self.status = Label(text="", size_hint_y=None, height=dp(28), font_size=dp(16))
        self.add_widget(self.status)
        self.add_widget(BoxLayout())

    def _show_to_camera(self, scene: str) -> None:
        """A face scene, or the selected resident's phone showing a fresh 电子社保卡 code."""
        if scene == "esscard":
            self.world.show_esscard(self.selected_person())
        else:
            self.world.show_face(scene)

    def selected_person(self) -> int:
        text = self.person.text
        return int(text.split(".", 1)[0]) - 1 if text else 0

    def _run(self, name: str, action: Callable[[], None]) -> None:
        def task() -> None:
            try:
                action()
            except Exception as exc:  # a dock action must never take the kiosk down
                logger.warning("demo dock %s failed: %s", name, exc)

        threading.Thread(target=task, name=f"dock-{name}", daemon=True).start()

    def _row(self) -> BoxLayout:
        row = BoxLayout(size_hint_y=None, height=dp(52), spacing=dp(6))
        self.add_widget(row)
        return row

    def _button(
        self, name: str, text: str, action: Callable[[], None], row: BoxLayout | None = None, weight: float = 1
    ) -> None:
        """A dock button, full width or sharing ``row`` (``weight``: its share of the row's width)."""
        button = dock_look(Button(text=text, size_hint=(weight, None), height=dp(52), font_size=dp(19)))
        button.intent = f"dock:{name}"
        button.bind(on_release=lambda *_: self._run(name, action))
        self.controls[name] = button
        (row or self).add_widget(button)

    def _notice_toggle(self) -> None:
        """The "推送通知 Push notice" toggle: down while the sample staff notice is pushed. The press
        flips it at once; when the push is done it shows what the world says, so a failed push does
        not stay down."""
        toggle = dock_look(ToggleButton(text="推送通知 Push notice", size_hint_y=None, height=dp(52), font_size=dp(19)))
        toggle.intent = "dock:notice"

        def push_or_withdraw() -> None:
            try:
                self.world.toggle_notice()
            finally:
                pushed = self.world.notice_pushed
                Clock.schedule_once(lambda _dt: setattr(toggle, "state", "down" if pushed else "normal"), 0)

        toggle.bind(on_release=lambda *_: self._run("notice", push_or_withdraw))
        self.controls["notice"] = toggle
        self.add_widget(toggle)

    def _section(self, text: str) -> None:
        self.add_widget(Label(text=text, size_hint_y=None, height=dp(30), font_size=dp(18)))

    def _toggle_row(self, group: str, options: list[tuple[str, str]], action: Callable[[str], None]) -> None:
        row = BoxLayout(size_hint_y=None, height=dp(50), spacing=dp(6))
        for index, (value, text) in enumerate(options):
            toggle = dock_look(
                ToggleButton(
                    text=text,
                    group=f"dock-{group}",
                    state="down" if index == 0 else "normal",
                    allow_no_selection=False,
                    font_size=dp(18),
                )
            )
            toggle.bind(on_release=lambda _w, value=value: self._run(f"{group}:{value}", lambda: action(value)))
            self.controls[f"{group}:{value}"] = toggle
            row.add_widget(toggle)
        self.add_widget(row)

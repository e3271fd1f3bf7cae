"""The player of scripted demo stories: real touches into the running app, screenshots, waits.

A story is a generator of steps (``"screen"``, ``"wait"``, ``"sleep"``, ``"settle"``) that the
player advances on Kivy's clock; a step that does not reach its expected screen in time fails the
run (exit code 1) and says which. Screenshots are what the window shows (screens.capture): opaque,
the same pixels as the display. With ``RENSHE_JOURNEY_OBSERVER=1`` in the environment each
screenshot is also announced to an outside observer (the UI test that grabs the X display itself),
and the story waits for it.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kivy.base import EventLoop
from kivy.clock import Clock
from kivy.input.motionevent import MotionEvent
from kivy.uix.label import Label

from kiosk.state import Screen
from screens import capture, legibility, theme

logger = logging.getLogger(__name__)

Step = tuple[str, Any]
_touch_ids = itertools.count(1)
STEP_TIMEOUT = 20.0
SETTLE_FRAMES = 4  # main-loop frames after a change before a screenshot may be taken
SETTLE_SECONDS = 0.1
START_SETTLE_SECONDS = 1.0
OBSERVER_ENV = "RENSHE_JOURNEY_OBSERVER"
OBSERVER_TIMEOUT = 30.0  # for the observer to grab the display and answer


class _Tap(MotionEvent):
    """A finger press and release at window coordinates, dispatched through Kivy's input path."""

    def __init__(self, x: float, y: float) -> None:
        win = EventLoop.window
        super().__init__(
            "journey",
            next(_touch_ids),
            {"x": x / (win.width - 1.0), "y": y / (win.height - 1.0)},
            is_touch=True,
            type_id="touch",
        )
        self.profile = ["pos"]

    def depack(self, args: dict[str, float]) -> None:
        self.sx, self.sy = args["x"], args["y"]
        super().depack(args)


def tap(widget: Any) -> None:
    tap_at(*widget.to_window(*widget.center))


def tap_at(x: float, y: float) -> None:
    """A tap at window coordinates (origin bottom left)."""
    touch = _Tap(x, y)
    EventLoop.post_dispatch_input("begin", touch)
    EventLoop.post_dispatch_input("end", touch)


class StoryPlayer:
    """Plays ``steps`` (a story's generator, made by ``story(self)``) in ``app``; writes the
    screenshots and ``journey.json`` to ``out_dir`` and the exit code to ``result``."""

    def __init__(
        self,
        app: Any,
        world: Any,
        out_dir: Path,
        result: dict[str, int],
        script: str,
        story: Callable[[StoryPlayer], Iterator[Step]],
    ) -> None:
        self.app = app
        self.world = world
        self.out_dir = out_dir
        self.result = result
        self.script = script
        self.person = world.people[0]
        self.shots: list[str] = []
        self._steps: Iterator[Step] = story(self)
        self._waiting: tuple[Callable[[], bool], float, str] | None = None
        self._event: Any = None

    def start(self) -> None:
        logger.info("scripted journey starting; output in %s", self.out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        # Every frame: a story step costs one frame, not a fixed tick (the tour takes hundreds).
        self._event = Clock.schedule_interval(self._advance, 0)
        # The window and its layouts are still settling in the first frames after start (sizes,
        # fonts): a first tap computed from a layout of then can miss its button.
        begin_at = time.monotonic() + START_SETTLE_SECONDS
        self._waiting = (lambda: time.monotonic() >= begin_at, begin_at + 1, "the window after start")

    # ----------------------------------------------------------------- helpers for steps
    def screen(self) -> Screen:
        return self.app.controller.state.screen

    def showing(self, screen: Screen) -> bool:
        """The state is on ``screen`` and Kivy has finished switching to its view (touches reach it)."""
        manager = self.app.kiosk_area
        return (
            self.screen() is screen
            and manager.current == screen.value
            and not manager.transition.is_active
            and manager.current_screen is self.app.views[screen]
        )

    def reveal(self, intent: str) -> Any:
        """The shown view's widget for ``intent``, brought on screen first when the view pages its
        buttons (a service on another tab or page of the menu: screens.menu_view.MenuView.reveal)."""
        view = self.app.current_view()
        reveal = getattr(view, "reveal", None)
        if reveal is not None:
            reveal(intent)
        return view.intents[intent]

    def press(self, intent: str) -> None:
        tap(self.reveal(intent))

    def sign_in(self, pin: str) -> Iterator[Step]:
        """Steps: on the PIN screen (a card is in), type ``pin`` on the pad, OK, and the menu."""
        yield "screen", (Screen.PIN, "PIN screen")
        for digit in pin:
            self.press(f"pin:{digit}")
        yield "settle", None
        self.press("pin:ok")
        yield "screen", (Screen.MENU, "menu after the PIN")
        yield "settle", None

    def sign_in_esscard(self, ssn: str) -> Iterator[Step]:
        """Steps: at the attract screen, 电子社保卡, the camera, the resident's code (minted by the
        embedded gateway) shown to it, and the menu."""
        self.press("esscard")
        yield "screen", (Screen.FACE, "the camera for the e-card code")
        self.world.show_esscard_of(ssn)
        yield "screen", (Screen.MENU, "menu after the e-card code")

    def shot(self, name: str, widget: Any = None) -> None:
        """Save what the window shows of ``widget`` (default: the kiosk area) as the next numbered
        PNG, opaque; then let an observer, if one is attached, see the display as it is now."""
        path = self.out_dir / f"{len(self.shots) + 1:02d}-{name}.png"
        capture.save_png(widget if widget is not None else self.app.kiosk_area, path)
        self.shots.append(path.name)
        self._let_observer_see(path.stem)
        if widget is None or widget is self.app.countdown:
            self.check_legible()

    def check_legible(self) -> None:
        """Fail unless every text and button on screen keeps the rules of the display mode in force
        (kiosk.legibility: sizes and contrast, stricter in 长辈模式); the message names the widgets."""
        elder = self.app.controller.state.elder_mode
        found = legibility.check_view(self.app.current_view(), elder)
        dialog = self.app.countdown
        if dialog is not None and dialog.parent is not None:  # the idle countdown over the view
            found.extend(legibility.check_view(dialog, elder))
        if found:
            more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
            raise JourneyFailed(f"illegible on the {self.screen().value} screen: {'; '.join(found[:5])}{more}")

    def _let_observer_see(self, stem: str) -> None:
        """With RENSHE_JOURNEY_OBSERVER=1: write ``<stem>.layout.json`` (where the window is, the
        screen and its body, the visible texts, the intended background) and hold the app, so the
        display does not change, until the observer writes ``<stem>.seen`` (or OBSERVER_TIMEOUT)."""
        if os.environ.get(OBSERVER_ENV) != "1":
            return
        window = EventLoop.window
        view = self.app.current_view()
        layout = {
            "shot": stem,
            "screen": self.screen().value,
            "window": [int(window.left), int(window.top), int(window.width), int(window.height)],
            "kiosk_area": list(capture.widget_box(self.app.kiosk_area)),
            "header": list(capture.widget_box(view.header)),
            "body": list(capture.widget_box(view.body)),
            "body_padding": [round(value) for value in view.body.padding],
            "dialog": self.app.countdown is not None and self.app.countdown.parent is not None,
            "background": [round(channel * 255) for channel in theme.BACKGROUND[:3]],
            "texts": capture.visible_texts(),
        }
        pending = self.out_dir / f"{stem}.layout.json.part"
        pending.write_text(json.dumps(layout, ensure_ascii=False), encoding="utf-8")
        pending.rename(self.out_dir / f"{stem}.layout.json")
        seen = self.out_dir / f"{stem}.seen"
        deadline = time.monotonic() + OBSERVER_TIMEOUT
        while not seen.exists():  # blocks the Kivy thread on purpose: nothing on screen may change
            if time.monotonic() > deadline:
                raise JourneyFailed(f"the observer did not answer for {stem} in {OBSERVER_TIMEOUT:.0f} s")
            time.sleep(0.02)

    def on_screen(self, text: str) -> None:
        """Fail unless a label or button of the shown view displays ``text``."""
        shown = [w.text for w in self.app.current_view().walk(restrict=True) if isinstance(w, Label) and w.opacity > 0]
        if not any(text in item for item in shown):
            raise JourneyFailed(f"{text!r} is not on the {self.screen().value} screen (shown: {shown})")

    def enabled(self, intent: str, expected: bool = True) -> None:
        widget = self.reveal(intent)
        if widget.disabled == expected:
            raise JourneyFailed(f"button {intent} is {'disabled' if widget.disabled else 'enabled'}")

    def service_disabled(self, service: str) -> bool:
        return any(item.service == service and not item.enabled for item in self.app.controller.state.menu)

    def expect_message(self, key: str) -> None:
        message = self.app.controller.state.message
        if message is None or message.key != key:
            raise JourneyFailed(f"expected message {key}, got {message.key if message else 'nothing'}")

    def check_nothing_left(self) -> None:
        if self.app.controller.state.holds_resident_data():
            raise JourneyFailed("the kiosk state still holds resident data")
        name = self.person["name"]
        for view in self.app.views.values():
            for widget in view.walk():
                if isinstance(widget, Label) and name in widget.text:
                    raise JourneyFailed(f"a {type(view).__name__} label still shows the resident's name")

    # ----------------------------------------------------------------- driver
    def _advance(self, _dt: float) -> None:
        try:
            if self._waiting is not None:
                predicate, deadline, what = self._waiting
                if not predicate():
                    if time.monotonic() > deadline:
                        raise JourneyFailed(f"timed out waiting for the {what} (now on {self.screen().value})")
                    return
                self._waiting = None
            kind, arg = next(self._steps)
            if kind == "wait":
                predicate, what, *limit = arg
                self._waiting = (predicate, time.monotonic() + (limit[0] if limit else STEP_TIMEOUT), what)
            elif kind == "screen":
                screen, what, *limit = arg
                deadline = time.monotonic() + (limit[0] if limit else STEP_TIMEOUT)
                self._waiting = (lambda: self.showing(screen), deadline, what)
                self._steps = itertools.chain([("settle", None)], self._steps)
            elif kind == "sleep":
                wake_at = time.monotonic() + arg
                self._waiting = (lambda: time.monotonic() >= wake_at, wake_at + 1, "a pause")
            elif kind == "settle":
                self._waiting = (self._settled_after(), time.monotonic() + 2, "layout")
        except StopIteration:
            self._finish(0, f"{self.script} complete")
        except JourneyFailed as exc:
            self._finish(1, f"{self.script} failed: {exc}")
        except Exception as exc:  # a crash in a step is a failed journey, reported, not a hung app
            logger.exception("journey step crashed")
            self._finish(1, f"{self.script} crashed: {type(exc).__name__}: {exc}")

    @staticmethod
    def _settled_after() -> Callable[[], bool]:
        """A predicate true once layouts and textures have caught up with the last change: Kivy runs
        its layout and text triggers before each frame and a change can cascade over a few frames,
        so wait SETTLE_FRAMES main-loop frames and at least SETTLE_SECONDS (a fixed 0.4 s before:
        most of the tour's time)."""
        frame, since = Clock.frames_displayed, time.monotonic()
        return lambda: Clock.frames_displayed >= frame + SETTLE_FRAMES and time.monotonic() >= since + SETTLE_SECONDS

    def _finish(self, code: int, summary: str) -> None:
        if self._event is not None:
            self._event.cancel()
        self.result["code"] = code
        report = {"script": self.script, "ok": code == 0, "summary": summary, "screenshots": self.shots}
        (self.out_dir / "journey.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"{summary}; screenshots and receipt preview in {self.out_dir}", flush=True)
        self.app.stop()


class JourneyFailed(Exception):
    pass

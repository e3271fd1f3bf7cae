"""The Kivy application: a ScreenManager showing the controller's state, the idle countdown, and
in demo mode the demo dock beside the kiosk area.

The controller runs on the Kivy thread: the worker posts its results with Clock.schedule_once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.i18n import tr
from kiosk.state import KioskState, Screen
from kiosk.voice import VoicePrompter
from screens import frame_probe, theme, views
from screens.change_pin_view import ChangePinView
from screens.maintenance_view import MaintenanceView
from screens.menu_view import MenuView
from screens.record_views import RecordsView
from screens.voice_player import KivyVoicePlayer
from screens.widgets import KioskLabel, load_rules, make
from screens.wizard_view import WizardScreen

logger = logging.getLogger(__name__)

VIEW_CLASSES: dict[Screen, type[views.BaseView]] = {
    Screen.ATTRACT: views.AttractView,
    Screen.READING: views.BusyView,
    Screen.BUSY: views.BusyView,
    Screen.PIN: views.PinView,
    Screen.FACE: views.FaceView,
    Screen.MENU: MenuView,
    Screen.RECORDS: RecordsView,
    Screen.PRINT_PREVIEW: views.PreviewView,
    Screen.MESSAGE: views.MessageView,
    Screen.REMOVE_CARD: views.RemoveCardView,
    Screen.OUT_OF_SERVICE: views.OutOfServiceView,
    Screen.WIZARD: WizardScreen,
    Screen.MAINTENANCE: MaintenanceView,
    Screen.CHANGE_PIN: ChangePinView,
}
# The hidden staff corner (kiosk.staff_screen): the top-left of the header, in window pixels.
STAFF_CORNER = (120, 96)


def kivy_post(callback: Callable[[], None]) -> None:
    """The worker's ``post``: run ``callback`` on the Kivy thread at the next frame."""
    Clock.schedule_once(lambda _dt: callback(), 0)


class TouchAwareRoot(BoxLayout):
    """Tells the controller about every touch (idle timer) before the widgets get it."""

    def __init__(
        self, on_any_touch: Callable[[], None], on_corner: Callable[[], None] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._on_any_touch = on_any_touch
        self._on_corner = on_corner

    def on_touch_down(self, touch: Any) -> bool:
        self._on_any_touch()
        width, height = STAFF_CORNER
        if self._on_corner is not None and touch.x < dp(width) and touch.y > self.top - dp(height):
            self._on_corner()  # the staff gesture counts it; the touch goes on as any other
        return super().on_touch_down(touch)


class CountdownDialog(ModalView):
    def __init__(self, on_stay: Callable[[], None], **kwargs: Any) -> None:
        # A plain fill of the header's colour (not Kivy's translucent grey picture), so the white
        # text has a known background that the legibility check measures (screens.legibility).
        super().__init__(size_hint=(0.6, 0.45), auto_dismiss=False, background="", **kwargs)
        box = BoxLayout(orientation="vertical", padding=dp(24), spacing=dp(16))
        self.title = make("TitleLabel", color=(1, 1, 1, 1))
        self.countdown = KioskLabel(color=(1, 1, 1, 1))
        self.stay = make("KioskButton", intent="stay")
        self.stay.bind(on_release=lambda *_: on_stay())
        for widget in (self.title, self.countdown, self.stay):
            box.add_widget(widget)
        self.add_widget(box)

    def show(self, seconds: int, lang: str) -> None:
        self.background_color = theme.primary(App.get_running_app().elder)
        self.title.text = tr("idle.title", lang)
        self.countdown.text = tr("idle.countdown", lang, seconds=seconds)
        self.stay.text = tr("idle.stay", lang)


class KioskApp(App):
    font_scale = NumericProperty(1.0)
    elder = BooleanProperty(False)  # 长辈模式 on screen now (style.kv colours follow it)

    def __init__(
        self,
        controller: Any,
        dock_factory: Callable[[], Any] | None = None,
        on_started: Callable[[KioskApp], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.controller = controller
        self.font_scale = controller.config.ui.font_scale
        self._dock_factory = dock_factory
        self._on_started = on_started
        self.views: dict[Screen, views.BaseView] = {}
        self.countdown: CountdownDialog | None = None
        self.kiosk_area: ScreenManager | None = None
        self.dock: Any = None
        self.voice: VoicePrompter | None = None
        self.allow_close = dock_factory is not None  # demo mode: the window closes as any other
        self.title = tr("app.title", controller.config.terminal.language)  # the window title

    def build(self) -> Any:
        """The screens in a ScreenManager, the dock beside them in demo mode, the idle countdown.
        The window clears to the theme's light background, as every screen paints it."""
        from kivy.core.window import Window

        Window.clearcolor = theme.BACKGROUND  # Kivy's default is black, which no screen is designed on
        load_rules()
        # Lockdown: Alt+F4 and the window manager's close are refused outside demo mode (Esc and
        # multitouch emulation are off in cli.ui.prepare_kivy_environment).
        Window.bind(on_request_close=self._refuse_close)
        root = TouchAwareRoot(self.controller.touch, self.controller.staff_screen.corner_tap)
        manager = ScreenManager(transition=NoTransition())
        for screen, cls in VIEW_CLASSES.items():
            view = cls(self.controller, name=screen.value)
            self.views[screen] = view
            manager.add_widget(view)
        self.kiosk_area = manager
        root.add_widget(manager)
        if self._dock_factory is not None:
            self.dock = self._dock_factory()
            root.add_widget(self.dock)
        self.countdown = CountdownDialog(self.controller.touch)
        self.controller.subscribe(self.render)
        # Voice prompts follow the state the screens show (kiosk.voice), so they say what the screen says.
        self.voice = VoicePrompter(KivyVoicePlayer(), lambda: self.controller.config.voice)
        self.controller.subscribe(self.voice.observe)
        Clock.schedule_interval(lambda _dt: self.controller.tick(), 0.5)
        return root

    def _refuse_close(self, *_args: Any, **_kwargs: Any) -> bool:
        """True (refused) unless ``allow_close``; the app still stops by itself (restart, demo end)."""
        if not self.allow_close:
            logger.info("window close refused (kiosk lockdown)")
        return not self.allow_close

    def on_start(self) -> None:
        frame_probe.install(self)  # benchmarks only: nothing unless RENSHE_FRAME_LOG is set
        if self._on_started is not None:
            self._on_started(self)

    def render(self, state: KioskState) -> None:
        self._set_display_mode(state.elder_mode)
        view = self.views[state.screen]
        view.render(state)
        if self.kiosk_area is not None and self.kiosk_area.current != state.screen.value:
            self.kiosk_area.current = state.screen.value
            # Views not shown must not keep the previous resident's text: re-render them empty.
            if not state.session_active:
                for other in self.views.values():
                    if other is not view:
                        other.render(state)
        if self.countdown is not None:
            if state.countdown is not None:
                self.countdown.show(state.countdown, state.language)
                if self.countdown.parent is None:
                    self.countdown.open(animation=False)
            elif self.countdown.parent is not None:
                self.countdown.dismiss(animation=False)

    def _set_display_mode(self, elder: bool) -> None:
        """长辈模式 or not: larger type (at least theme.ELDER_FONT_SCALE) and the darker fills."""
        base = self.controller.config.ui.font_scale
        scale = max(base, theme.ELDER_FONT_SCALE) if elder else base
        if self.elder != elder or self.font_scale != scale:
            self.elder = elder
            self.font_scale = scale

    def current_view(self) -> views.BaseView:
        return self.views[self.controller.state.screen]

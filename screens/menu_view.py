"""The menu of services: tabs 查询 / 办理 / 打印, pages of six big buttons, languages and 退出.

The tabs and pages come from kiosk.menu_pages; which tab and page is on screen is the view's own
(it is no resident data) and is kept while the menu's services stay the same, so a resident who
comes back from a service finds the tab they left. ``reveal`` brings a service's button on screen
(the demo stories press buttons by their intent). A service that cannot run now stays on its page,
disabled, with the reason under its name.
"""

from __future__ import annotations

import logging
from typing import Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.i18n import LANGUAGE_NAMES, LANGUAGES, tr
from kiosk.menu_pages import PER_PAGE, MenuTab, clamp, locate, menu_tabs
from kiosk.state import KioskState
from screens.views import BaseView, announcement_markup, message_text
from screens.widgets import AnnouncementPanel, KioskButton, make

logger = logging.getLogger(__name__)

COLUMNS = 3
ROW = 110  # dp, every button row


def _nothing(*_args: Any) -> None:
    return None


def _replace_children(layout: Any, widgets: list[Any]) -> None:
    """Make ``widgets`` the children of ``layout`` in this order, touching nothing when they are."""
    if list(reversed(layout.children)) != widgets:
        layout.clear_widgets()
        for widget in widgets:
            layout.add_widget(widget)


class MenuView(BaseView):
    def build(self) -> None:
        self.body.spacing = dp(16)
        self.title = make("TitleLabel")
        self.body.add_widget(self.title)
        self.tab_row = BoxLayout(size_hint_y=None, height=dp(ROW), spacing=dp(16))
        self._tab_widgets: dict[str, KioskButton] = {}
        self._tab_actions: dict[str, Any] = {}
        self.page_prev = self.button("menu:page_prev", lambda: self._turn(-1), rule="SecondaryButton")
        self.page_next = self.button("menu:page_next", lambda: self._turn(1), rule="SecondaryButton")
        self.body.add_widget(self.tab_row)
        # Always two rows high, so a short last page does not move the buttons under the finger.
        rows = -(-PER_PAGE // COLUMNS)
        self.grid = GridLayout(cols=COLUMNS, spacing=dp(16), size_hint_y=None, height=rows * dp(ROW) + dp(16))
        self.body.add_widget(self.grid)
        self.body.add_widget(Widget())
        # Warnings only, one line in the header bar beside the title: a resident mid-session needs
        # "service stops at 22:00", not news, and the header takes no room from the service buttons.
        self.notice_panel = AnnouncementPanel(size_hint_x=1.6, pos_hint={"center_y": 0.5})
        self.notice_panel.padding = (dp(20), dp(2), dp(16), dp(2))
        self.notice = make("HeaderNoticeLabel")
        self.notice_panel.add_widget(self.notice)
        self.footer = BoxLayout(size_hint_y=None, height=dp(ROW), spacing=dp(16))
        for lang in LANGUAGES:
            self.footer.add_widget(
                self.button(
                    f"language:{lang}",
                    lambda lang=lang: self.controller.set_language(lang),
                    rule="SecondaryButton",
                    text=LANGUAGE_NAMES[lang],
                )
            )
        self.footer.add_widget(self.button("exit", self.controller.finish, rule="SecondaryButton"))
        self.body.add_widget(self.footer)
        self._services: list[str] = []
        self._tabs: list[MenuTab] = []
        self._where = (0, 0)
        self._state: KioskState | None = None

    def update(self, state: KioskState) -> None:
        self._state = state
        lang = state.language
        self.title.text = tr("menu.title", lang)
        self._show_notice(state)
        self.intents["exit"].text = tr("key.exit", lang)
        services = [item.service for item in state.menu]
        if services != self._services:
            for name in self._services:
                self.intents.pop(f"service:{name}", None)
            for name in services:
                self.button(f"service:{name}", lambda name=name: self.controller.choose_service(name))
            self._services, self._where = services, (0, 0)
        self._tabs = menu_tabs(state.menu)
        self._where = clamp(self._tabs, *self._where)
        self._layout_page(lang)
        for item in state.menu:
            widget = self.intents[f"service:{item.service}"]
            widget.disabled = not item.enabled
            label = tr(f"service.{item.service}", lang)
            widget.text = label if item.enabled else f"{label}\n{message_text(item.reason, lang)}"

    def _show_notice(self, state: KioskState) -> None:
        warnings = [notice for notice in state.announcements if notice.level == "warning"]
        self.notice.text = announcement_markup(KioskState(language=state.language, announcements=warnings[:1]))[0]
        self.notice_panel.level = "warning"
        self.notice_panel.shown = bool(self.notice.text)
        if self.notice_panel.shown and self.notice_panel.parent is None:
            self.header.add_widget(self.notice_panel, index=1)  # before the 长辈模式 button
        elif not self.notice_panel.shown and self.notice_panel.parent is not None:
            self.header.remove_widget(self.notice_panel)

    def _layout_page(self, lang: str) -> None:
        """The tab row (tabs, then 上一页/下一页 when the tab has pages) and the page's buttons.

        Widgets are made once and only re-added when what is on screen changes: a widget made
        anew at every render is laid out a frame later, and in between it stands at (0, 0)."""
        tab_index, page_index = self._where
        row: list[KioskButton] = []
        if len(self._tabs) > 1:
            for index, tab in enumerate(self._tabs):
                button = self._tab_button(tab.group.value, index)
                button.secondary = index != tab_index  # the open tab in the strong colour
                button.text = tr(tab.title_key, lang)
                row.append(button)
        pages = len(self._tabs[tab_index].pages) if self._tabs else 1
        if pages > 1:
            self.page_prev.text = tr("key.page_prev", lang)
            self.page_next.text = tr("key.page_next", lang)
            self.page_prev.disabled = page_index == 0
            self.page_next.disabled = page_index >= pages - 1
            row += [self.page_prev, self.page_next]
        _replace_children(self.tab_row, row)
        self.tab_row.height = dp(ROW) if row else 0
        self.tab_row.opacity = 1 if row else 0
        page = self._tabs[tab_index].pages[page_index] if self._tabs else []
        _replace_children(self.grid, [self.intents[f"service:{item.service}"] for item in page])
        self.grid.do_layout()

    def _tab_button(self, group: str, index: int) -> KioskButton:
        """The tab's button, made at its first showing; ``index`` is its place among the tabs now."""
        button = self._tab_widgets.get(group)
        if button is None:
            button = self.button(f"menu:tab:{group}", lambda: None)
            self._tab_widgets[group] = button
        button.unbind(on_release=self._tab_actions.get(group, _nothing))
        self._tab_actions[group] = action = lambda *_args, index=index: self._open(index, 0)
        button.bind(on_release=action)
        return button

    def _open(self, tab: int, page: int) -> None:
        self.controller.touch()
        self._where = clamp(self._tabs, tab, page)
        if self._state is not None:
            self._layout_page(self._state.language)

    def _turn(self, step: int) -> None:
        self._open(self._where[0], self._where[1] + step)

    def reveal(self, intent: str) -> None:
        """Bring the button of ``service:<id>`` on screen (its tab and page); other intents: nothing."""
        if not intent.startswith("service:"):
            return
        where = locate(self._tabs, intent.removeprefix("service:"))
        if where is not None and where != self._where:
            self._open(*where)

"""The records screen: a translated table from KioskState.records, paged, with its period.

Above the table, when the service lets the resident choose the period (kiosk.periods), either
the presets (今年 / 去年 / 近三年 / 自选月份) or one year with 上一年 / 下一年; 自选月份 replaces
the table with the from–to editor (big month and year steps, 确定 and 返回) until the range is
applied or dropped. Below it then the page buttons (only when there is more than one page),
返回 and 首页 (both back to the menu of services: the table is the first step of a query) and 退出.
Every touch is an intent for the query flow (kiosk.flows.query); the view keeps no state.
"""

from __future__ import annotations

import logging
from typing import Any

from kivy.app import App
from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView

from kiosk.i18n import N_, tr
from kiosk.periods import MONTHS, PRESET_KEYS, PRESETS, PeriodChoice
from kiosk.state import KioskState
from screens import theme
from screens.views import BaseView
from screens.widgets import KioskLabel, make

logger = logging.getLogger(__name__)

STEPS = (
    ("-12", N_("period.year_back")),
    ("-1", N_("period.month_back")),
    ("+1", N_("period.month_on")),
    ("+12", N_("period.year_on")),
)
ROW_HEIGHT = 110  # dp: every button row, 96 px and more in both modes


def _shown(widget: Any, shown: bool, height: float | None = ROW_HEIGHT) -> None:
    """Show or hide a part without leaving a gap or a touch target behind: a row of ``height`` dp,
    or (``height`` None) a part that takes the room left."""
    widget.opacity = 1 if shown else 0
    widget.disabled = not shown
    widget.size_hint_y = 1 if shown and height is None else None
    if height is not None or not shown:
        widget.height = dp(height) if shown and height is not None else 0


class RecordsView(BaseView):
    def build(self) -> None:
        self.body.spacing = dp(12)
        self.presets = self._row()
        for preset in (*PRESETS, "custom"):
            self.presets.add_widget(self._intent_button(f"period:{preset}", "period", preset))
        self.years = self._row()
        self.years.add_widget(self._intent_button("period:year_back", "period_step", "year:-1"))
        self.year_label = make("TitleLabel")
        self.years.add_widget(self.year_label)
        self.years.add_widget(self._intent_button("period:year_on", "period_step", "year:+1"))
        self.range_label = KioskLabel()
        self.editor = BoxLayout(orientation="vertical", spacing=dp(12))
        self.editor_labels: dict[str, KioskLabel] = {}
        for which in ("from", "to"):
            label = KioskLabel()
            self.editor_labels[which] = label
            self.editor.add_widget(label)
            steps = BoxLayout(size_hint_y=None, height=dp(ROW_HEIGHT), spacing=dp(16))
            for amount, _key in STEPS:
                steps.add_widget(self._intent_button(f"period:{which}:{amount}", "period_step", f"{which}:{amount}"))
            self.editor.add_widget(steps)
        self.editor_error = KioskLabel(color=theme.ERROR_TEXT)
        self.editor.add_widget(self.editor_error)
        self.body.add_widget(self.editor)
        self.scroll = ScrollView()
        self.table = GridLayout(cols=1, spacing=dp(4), size_hint_y=None)
        self.table.bind(minimum_height=self.table.setter("height"))
        self.scroll.add_widget(self.table)
        self.body.add_widget(self.scroll)
        self.body.add_widget(self.range_label)
        self.summary = KioskLabel()
        self.body.add_widget(self.summary)
        # The page buttons share the footer: the table needs every line of the screen it can get.
        footer = BoxLayout(size_hint_y=None, height=dp(ROW_HEIGHT), spacing=dp(16))
        self.pager = BoxLayout(spacing=dp(16), size_hint_x=2)
        self.pager.add_widget(self._intent_button("page_prev", "page_prev"))
        self.page_label = KioskLabel(size_hint_y=1)
        self.pager.add_widget(self.page_label)
        self.pager.add_widget(self._intent_button("page_next", "page_next"))
        footer.add_widget(self.pager)
        footer.add_widget(self.button("back", self._back, rule="SecondaryButton"))
        footer.add_widget(self.button("home", self.controller.back_to_menu, rule="SecondaryButton"))
        footer.add_widget(self.button("exit", self.controller.finish, rule="SecondaryButton"))
        self.editor_apply = self.button("period:apply", lambda: self.controller.intent("period_apply"))
        footer.add_widget(self.editor_apply)
        self.body.add_widget(footer)
        self._editing = False

    def _row(self) -> BoxLayout:
        row = BoxLayout(size_hint_y=None, height=dp(ROW_HEIGHT), spacing=dp(16))
        self.body.add_widget(row)
        return row

    def _intent_button(self, name: str, intent: str, value: str = "") -> Any:
        return self.button(name, lambda: self.controller.intent(intent, value), rule="SecondaryButton")

    def _back(self) -> None:
        """返回: one step back; from the period editor to the table, else to the menu."""
        if self._editing:
            self.controller.intent("period_cancel")
        else:
            self.controller.back_to_menu()

    def update(self, state: KioskState) -> None:
        lang = state.language
        self.intents["back"].text = tr("key.back", lang)
        self.intents["home"].text = tr("key.home", lang)
        self.intents["exit"].text = tr("key.exit", lang)
        self.intents["period:apply"].text = tr("key.ok", lang)
        self.table.clear_widgets()
        records = state.records
        period = records.period if records is not None else None
        self._editing = period is not None and period.editing
        self._show_period(period, lang)
        self.editor_apply.opacity = 1 if self._editing else 0
        self.editor_apply.disabled = not self._editing
        self.editor_apply.size_hint_x = 1 if self._editing else None
        self.editor_apply.width = self.editor_apply.width if self._editing else 0
        if records is None:
            self.summary.text = ""
            self._show_pager(False)
            return
        self.header_label.text = records.title  # the screen's name in the header: the body is for the table
        table_shown = not self._editing
        _shown(self.scroll, table_shown, None)
        self.summary.text = "\n".join(records.summary) if table_shown else ""
        self._show_pager(table_shown and records.pages > 1)
        self.page_label.text = tr("records.page", lang, page=records.page, pages=records.pages)
        self.intents["page_prev"].text = tr("key.page_prev", lang)
        self.intents["page_next"].text = tr("key.page_next", lang)
        self.intents["page_prev"].disabled = not table_shown or records.page <= 1
        self.intents["page_next"].disabled = not table_shown or records.page >= records.pages
        if table_shown:
            self._fill_table(records.columns, records.rows)

    def _show_pager(self, shown: bool) -> None:
        self.pager.opacity = 1 if shown else 0
        self.pager.disabled = not shown
        self.pager.size_hint_x = 2 if shown else None
        if not shown:
            self.pager.width = 0

    def _fill_table(self, columns: list[str], rows: list[list[str]]) -> None:
        self.table.cols = max(len(columns), 1)
        size = sp(24) * App.get_running_app().font_scale  # 24 px, 32 px and more in 长辈模式
        for heading in columns:
            self.table.add_widget(KioskLabel(text=heading, bold=True, font_size=size))
        for row in rows:
            for cell in row:
                self.table.add_widget(KioskLabel(text=cell, font_size=size))

    def _show_period(self, period: PeriodChoice | None, lang: str) -> None:
        months = period is not None and period.kind == MONTHS and not period.editing
        year = period is not None and period.kind != MONTHS
        _shown(self.presets, months)
        _shown(self.years, year)
        _shown(self.editor, period is not None and period.editing, None)
        self.range_label.text = ""
        if period is None:
            return
        for preset in (*PRESETS, "custom"):
            button = self.intents[f"period:{preset}"]
            button.text = tr(PRESET_KEYS[preset], lang)
            button.secondary = preset != period.preset  # the chosen one in the strong colour
        if months:
            self.range_label.text = tr("period.range", lang, start=period.start, end=period.end)
        self.intents["period:year_back"].text = tr("period.year_before", lang)
        self.intents["period:year_on"].text = tr("period.year_after", lang)
        self.year_label.text = tr("period.year", lang, year=period.start)
        for which, month in (("from", period.draft_start), ("to", period.draft_end)):
            key = N_("period.edit_from") if which == "from" else N_("period.edit_to")
            self.editor_labels[which].text = tr(key, lang, month=month)
            for amount, key in STEPS:
                self.intents[f"period:{which}:{amount}"].text = tr(key, lang)
        self.editor_error.text = tr(period.error, lang) if period.error else ""

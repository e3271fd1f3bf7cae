"""The records screen: a translated table from KioskState.records, paged, with its period.

Above the table, when the service lets the resident choose the period (kiosk.periods), either
the presets (今年 / 去年 / 近三年 / 自选月份) or one year with 上一年 / 下一年; 自选月份 replaces
the table with the from–to editor (big month and year steps, 确定 and 返回) until the range is
applied or dropped. Under the table the months shown, with the print button beside them when the
service offers one (打印本期缴费凭证; a certificate's own months chooser has no table and 预览
there). Below it then the page buttons
(only when there is more than one page), 返回 and 首页 (both back to the menu of services: the
table is the first step of a query) and 退出.
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
        self.scroll = ScrollView()
        self.table = GridLayout(cols=1, spacing=dp(4), size_hint_y=None)
        self.table.bind(minimum_height=self.table.setter("height"))
        self.scroll.add_widget(self.table)
        self.summary = KioskLabel()
        # The months and the print button share one row: the table keeps every line it can get.
        self.print_row = self._row()
        self.print_range = KioskLabel(size_hint_y=1)
        self.print_row.add_widget(self.print_range)
        self.print_row.add_widget(self.button("print", lambda: self.controller.intent("print")))  # the next step
        # The page buttons share the footer: the table needs every line of the screen it can get.
        footer = BoxLayout(size_hint_y=None, height=dp(ROW_HEIGHT), spacing=dp(16))
        self.pager = BoxLayout(spacing=dp(16), size_hint_x=2.4)
        self.pager.add_widget(self._intent_button("page_prev", "page_prev"))
        self.page_label = KioskLabel(size_hint_y=1, size_hint_x=0.6)
        self.pager.add_widget(self.page_label)
        self.pager.add_widget(self._intent_button("page_next", "page_next"))
        footer.add_widget(self.pager)
        footer.add_widget(self.button("back", self._back, rule="SecondaryButton"))
        footer.add_widget(self.button("home", self.controller.back_to_menu, rule="SecondaryButton"))
        footer.add_widget(self.button("exit", self.controller.finish, rule="SecondaryButton"))
        self.editor_apply = self.button("period:apply", lambda: self.controller.intent("period_apply"))
        footer.add_widget(self.editor_apply)
        self.footer = footer
        self._editing = False

    def _row(self) -> BoxLayout:
        return BoxLayout(size_hint_y=None, height=dp(ROW_HEIGHT), spacing=dp(16))

    def _arrange(self, shown: list[Any]) -> None:
        """Put exactly the parts in ``shown`` in the body, in their order. A hidden part is taken out
        rather than shrunk to nothing: a zero-height row still lays its buttons out, over its
        neighbours, and a disabled widget swallows the touches that land on it."""
        if list(reversed(self.body.children)) != shown:
            self.body.clear_widgets()
            for part in shown:
                self.body.add_widget(part)

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
        table_shown = not self._editing
        paged = table_shown and records is not None and records.pages > 1
        parts = [self.presets] if period is not None and period.kind == MONTHS and not self._editing else []
        parts += [self.years] if period is not None and period.kind != MONTHS else []
        printable = table_shown and records is not None and records.print_key is not None
        months = self.print_row if printable else self.range_label
        parts += [self.scroll, months, self.summary] if table_shown else [self.editor]
        self._arrange(parts + [self.footer])
        buttons = [self.pager] if paged else []
        buttons += [self.intents["back"], self.intents["home"], self.intents["exit"]]
        buttons += [self.editor_apply] if self._editing else []
        if list(reversed(self.footer.children)) != buttons:
            self.footer.clear_widgets()
            for button in buttons:
                self.footer.add_widget(button)
        if records is None:
            self.summary.text = ""
            return
        self.header_label.text = records.title  # the screen's name in the header: the body is for the table
        self.intents["print"].text = tr(records.print_key, lang) if records.print_key else ""
        self.print_range.text = self.range_label.text
        self.summary.text = "\n".join(records.summary) if table_shown else ""
        self.page_label.text = tr("records.page", lang, page=records.page, pages=records.pages)
        self.intents["page_prev"].text = tr("key.page_prev", lang)
        self.intents["page_next"].text = tr("key.page_next", lang)
        self.intents["page_prev"].disabled = not table_shown or records.page <= 1
        self.intents["page_next"].disabled = not table_shown or records.page >= records.pages
        if table_shown:
            self._fill_table(records.columns, records.rows)

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

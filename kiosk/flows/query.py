"""A query service: load a table from the gateway, page through it, choose its period, print from it.

The catalogue entry names the loader (kiosk.records.LOADERS), the period it covers (``months``
back from today, or chosen by the resident: kiosk.periods) and, when the table has a printed
counterpart, the service that prints it.

Intents on the records screen: ``page_next``/``page_prev``; ``period`` with a preset
(``this_year``, ``last_year``, ``last_3_years``) or ``custom`` (opens the from–to editor);
``period_step`` with ``from:-12`` … ``to:+1`` (the editor's months) or ``year:-1``/``year:+1``;
``period_apply`` and ``period_cancel`` (the editor's 确定 and 返回); ``print``.
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk import periods
from kiosk.records import LOADERS, QueryRequest, period_back
from kiosk.session import Flow, FlowHost
from kiosk.state import Message, Records, Screen

logger = logging.getLogger(__name__)


class QueryFlow(Flow):
    def __init__(self, host: FlowHost, spec: Any) -> None:
        super().__init__(host)
        self.spec = spec
        self.params = spec.params
        self._page = 1
        self.period: periods.PeriodChoice | None = None
        if self.params.period == periods.MONTHS:
            self.period = periods.months_choice()
        elif self.params.period == periods.YEAR:
            self.period = periods.year_choice()

    def start(self) -> None:
        self._load(1)

    def _range(self) -> tuple[str | None, str | None]:
        if self.period is not None:
            return self.period.start, self.period.end
        return period_back(self.params.months) if self.params.months else (None, None)

    def _load(self, page: int) -> None:
        host = self.host
        session_id = host.session.session_id
        if session_id is None:
            return
        start, end = self._range()
        request = QueryRequest(session_id, host.state.language, start, end, page, self.params.page_size)
        loader, backend = LOADERS[self.params.loader], host.backend
        host.state.busy_message = Message("loading")
        host.go(Screen.BUSY)
        self._page = page
        host.run(lambda: loader(backend, request), self._show, host.fail_to_menu)

    def _show(self, records: Records) -> None:
        records.period = self.period
        self.host.state.records = records
        self.host.go(Screen.RECORDS)

    def handle(self, intent: str, value: str = "") -> None:
        records = self.host.state.records
        if self.host.state.screen is not Screen.RECORDS or records is None:
            return
        if intent == "page_next" and records.page < records.pages:
            self._load(records.page + 1)
        elif intent == "page_prev" and records.page > 1:
            self._load(records.page - 1)
        elif intent == "print" and self.params.print_service:
            self.host.start_service(self.params.print_service)
        elif intent.startswith("period") and self.period is not None:
            self._period(intent, value)

    def _period(self, intent: str, value: str) -> None:
        """Change the period: a new range reloads page 1; the editor's steps only redraw."""
        choice = self.period
        if choice is None:
            return
        logger.debug("period: %s %s", intent, value)
        if intent == "period" and choice.kind == periods.MONTHS and (value in periods.PRESETS or value == "custom"):
            choice = periods.choose(choice, value)
        elif intent == "period_step":
            which, _, amount = value.partition(":")
            try:
                count = int(amount)
            except ValueError:
                logger.info("period step %r ignored", value)
                return
            if which == "year" and choice.kind == periods.YEAR:
                choice = periods.step_year(choice, count)
            else:
                choice = periods.step(choice, which, count)
        elif intent == "period_apply":
            choice = periods.apply(choice)
        elif intent == "period_cancel":
            choice = periods.cancel(choice)
        else:
            return
        reload = (choice.start, choice.end) != (self.period.start, self.period.end) and not choice.editing
        self.period = choice
        if reload:
            self._load(1)
        else:
            records = self.host.state.records
            if records is not None:
                records.period = choice
            self.host.publish()

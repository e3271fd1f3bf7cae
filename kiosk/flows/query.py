"""A query service: load a table from the gateway, page through it, choose its period, print from it.

The catalogue entry names the loader (kiosk.records.LOADERS), the period it covers (``months``
back from today, or chosen by the resident: kiosk.periods) and, when the table has a printed
counterpart, the service that prints it.

Intents on the records screen: ``page_next``/``page_prev``; ``period`` with a preset
(``this_year``, ``last_year``, ``last_3_years``) or ``custom`` (opens the from–to editor);
``period_step`` with ``from:-12`` … ``to:+1`` (the editor's months) or ``year:-1``/``year:+1``;
``period_apply`` and ``period_cancel`` (the editor's 确定 and 返回); ``print``.

``print`` on a table whose period the resident chose prints that period (缴费明细 → 打印本期缴费凭证):
the certificate flow runs inside this one, and its preview's 返回 comes back to the same table.
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk import periods
from kiosk.flows.certificate import CertificateFlow
from kiosk.i18n import tr
from kiosk.records import LOADERS, QueryRequest, period_back
from kiosk.services import CATALOGUE
from kiosk.session import Flow, FlowHost
from kiosk.state import Message, Records, Screen

logger = logging.getLogger(__name__)


class QueryFlow(Flow):
    def __init__(self, host: FlowHost, spec: Any) -> None:
        super().__init__(host)
        self.spec = spec
        self.params = spec.params
        self._page = 1
        self._printing: CertificateFlow | None = None  # 打印本期: the certificate of the table's period
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
        if self._can_print():
            records.print_key = self.params.print_key
        self.host.state.records = records
        self.host.go(Screen.RECORDS)

    def _can_print(self) -> bool:
        """The table offers its print service when the terminal has it and the printer can print."""
        name = self.params.print_service
        host = self.host
        return bool(name and self.params.print_key and name in host.config.services.enabled) and (
            host.state.printer_status.usable
        )

    def handle(self, intent: str, value: str = "") -> None:
        if self._printing is not None:
            self._printing.handle(intent, value)
            return
        records = self.host.state.records
        if self.host.state.screen is not Screen.RECORDS or records is None:
            return
        if intent == "page_next" and records.page < records.pages:
            self._load(records.page + 1)
        elif intent == "page_prev" and records.page > 1:
            self._load(records.page - 1)
        elif intent == "print" and self.params.print_service:
            self._print(records)
        elif intent.startswith("period") and self.period is not None:
            self._period(intent, value)

    def cancel(self) -> None:
        if self._printing is not None:
            self._printing.cancel()
            self._printing = None

    def _print(self, records: Records) -> None:
        """打印本期: the print service for the months on screen; a table without a chosen period (or
        one of whole years) starts the print service as the menu would."""
        name = self.params.print_service or ""
        period, spec = self.period, CATALOGUE.get(name)
        if period is None or period.kind != periods.MONTHS or spec is None or not self._can_print():
            self.host.start_service(name)
            return
        error = periods.validate_range(
            period.start, period.end, max_months=periods.CERTIFICATE_MAX_MONTHS, too_long=periods.CERTIFICATE_TOO_LONG
        )
        if error is not None:
            message = tr(error, self.host.state.language)
            if message not in records.summary:
                records.summary = [*records.summary, message]
            self.host.publish()
            return
        logger.info(
            "printing the table's period (%s months)",
            periods.month_index(period.end) - periods.month_index(period.start) + 1,
        )
        self._printing = CertificateFlow(
            self.host, spec, period=(period.start, period.end), on_back=self._back_to_table
        )
        self._printing.start()

    def _back_to_table(self) -> None:
        """The preview's 返回: the table as it was (its records are still in the state)."""
        self._printing = None
        self.host.state.preview_png = None
        self.host.go(Screen.RECORDS)

    def _period(self, intent: str, value: str) -> None:
        """Change the period: a new range reloads page 1; the editor's steps only redraw."""
        choice = self.period
        if choice is None:
            return
        logger.debug("period: %s %s", intent, value)
        changed = periods.on_intent(choice, intent, value)
        if changed is None:
            return
        choice = changed
        reload = (choice.start, choice.end) != (self.period.start, self.period.end) and not choice.editing
        self.period = choice
        if reload:
            self._load(1)
        else:
            records = self.host.state.records
            if records is not None:
                records.period = choice
            self.host.publish()

"""A query service: load a table from the gateway, page through it, and print from it.

The catalogue entry names the loader (kiosk.records.LOADERS), the period it covers and, when the
table has a printed counterpart, the service that prints it.
"""

from __future__ import annotations

from typing import Any

from kiosk.records import LOADERS, QueryRequest, period_back
from kiosk.session import Flow, FlowHost
from kiosk.state import Message, Records, Screen


class QueryFlow(Flow):
    def __init__(self, host: FlowHost, spec: Any) -> None:
        super().__init__(host)
        self.spec = spec
        self.params = spec.params
        self._page = 1

    def start(self) -> None:
        self._load(1)

    def _load(self, page: int) -> None:
        host = self.host
        session_id = host.session.session_id
        if session_id is None:
            return
        start, end = period_back(self.params.months) if self.params.months else (None, None)
        request = QueryRequest(session_id, host.state.language, start, end, page, self.params.page_size)
        loader, backend = LOADERS[self.params.loader], host.backend
        host.state.busy_message = Message("loading")
        host.go(Screen.BUSY)
        self._page = page
        host.run(lambda: loader(backend, request), self._show, host.fail_to_menu)

    def _show(self, records: Records) -> None:
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

"""A printed certificate (参保证明, 缴费凭证, 个人权益单 …): issue → preview → print, never twice.

The gateway issues the certificate (one idempotency key per request, so a retried POST is the same
certificate); the resident sees the preview and confirms; the print service prints it and keeps it
in the journal until the paper is confirmed. If the same resident asks again for the same kind and
period while an earlier printout of it is unfinished (paper ran out, power cut), they get that one
again as 补打 of its own serial, not a second certificate.

A service whose months the resident chooses (``choose_period``: 缴费凭证) first shows the records
screen with the chooser of 缴费明细 (kiosk.periods; 今年 / 去年 / 近三年 / from–to, at most
CERTIFICATE_MAX_MONTHS) and a 预览 button (intent ``print``); the preview's 返回 (intent ``back``)
comes back to it. Started for a given period (打印本期 from a table) it goes straight to the
preview, and its 返回 calls ``on_back``. Without either, 返回 leads to the menu.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from kiosk import periods
from kiosk.errors import PrinterError
from kiosk.i18n import N_, tr
from kiosk.records import period_back
from kiosk.session import Flow, FlowHost
from kiosk.state import Message, Records, Screen

logger = logging.getLogger(__name__)


class CertificateFlow(Flow):
    def __init__(
        self,
        host: FlowHost,
        spec: Any,
        period: tuple[str, str] | None = None,
        on_back: Callable[[], None] | None = None,
    ) -> None:
        """``period`` (from, to as YYYY-MM) prints those months without asking; ``on_back`` is
        where the preview's 返回 leads (the table this flow was started from)."""
        super().__init__(host)
        self.spec = spec
        self.params = spec.params
        self._period = period
        self._on_back = on_back
        self.choice: periods.PeriodChoice | None = None
        if period is None and self.params.choose_period:
            self.choice = periods.certificate_choice()
        self._certificate: dict | None = None
        self._document: Any = None
        self._reprint_job: int | None = None

    def start(self) -> None:
        if self.choice is not None:
            self._show_chooser()
            return
        if self._period is not None:
            self._issue(*self._period)
        elif self.params.months:
            self._issue(*period_back(self.params.months))
        else:
            self._issue(None, None)

    def _show_chooser(self, error: str | None = None) -> None:
        """The records screen with the period chooser and no table: which months to print."""
        host, choice = self.host, self.choice
        if choice is None:
            return
        lang = host.state.language
        # TRANSLATORS: under the months chooser of a certificate (缴费凭证); the button is cert.preview.
        hint = tr("cert.choose_period", lang)
        summary = [hint, tr(error, lang)] if error else [hint]
        title = tr(f"service.{self.spec.id}", lang)
        host.state.records = Records(title, [], [], summary, period=choice, print_key=N_("cert.preview"))
        host.state.preview_png = None
        host.go(Screen.RECORDS)

    def _issue(self, start: str | None, end: str | None) -> None:
        host = self.host
        session_id = host.session.session_id
        if session_id is None:
            return
        kind, lang = self.params.kind, host.state.language
        self._request_key = host.session.request_key("certificate", kind, start or "", end or "")
        key = str(uuid.uuid4())  # one key per resident request: a retried POST is the same certificate
        backend, printing, build, preview = host.backend, host.printing, host.build_document, host.render_preview
        request_key = self._request_key

        def prepare() -> tuple[dict, Any, bytes, int | None]:
            unfinished = printing.unfinished_for(request_key)
            if unfinished is not None and unfinished.doc_json:
                from kiosk.layouts import reprint_document

                document = reprint_document(unfinished.doc_json, lang)
                return json.loads(unfinished.doc_json), document, preview(document), unfinished.job_id
            certificate = backend.issue_certificate(session_id, kind, start, end, idempotency_key=key)
            document = build(certificate, lang)
            return certificate, document, preview(document), None

        host.state.busy_message = Message("print.issuing")
        host.go(Screen.BUSY)
        host.run(prepare, self._show_preview, host.fail_to_menu)

    def _show_preview(self, prepared: tuple[dict, Any, bytes, int | None]) -> None:
        self._certificate, self._document, self.host.state.preview_png, self._reprint_job = prepared
        if self._reprint_job is not None:
            logger.info("an unfinished printout of this certificate is offered again as a reprint")
        self.host.go(Screen.PRINT_PREVIEW)

    def handle(self, intent: str, value: str = "") -> None:
        screen = self.host.state.screen
        if screen is Screen.RECORDS and self.choice is not None:
            self._choose(intent, value)
        elif screen is Screen.PRINT_PREVIEW and intent == "back":
            self._back()
        elif intent == "confirm" and screen is Screen.PRINT_PREVIEW and self._document is not None:
            self._print()

    def _choose(self, intent: str, value: str) -> None:
        """A touch on the chooser: a period change redraws it, ``print`` issues the months shown."""
        choice = self.choice
        if choice is None:
            return
        if intent == "print" and not choice.editing:
            error = periods.choice_error(choice)
            if error is not None:
                self._show_chooser(error)
                return
            self._issue(choice.start, choice.end)
            return
        changed = periods.on_intent(choice, intent, value)
        if changed is not None:
            self.choice = changed
            self._show_chooser()

    def _back(self) -> None:
        """The preview's 返回: one step back (the chooser, the table it came from, else the menu)."""
        self._document = None
        self.host.state.preview_png = None
        if self.choice is not None:
            self._show_chooser()
        elif self._on_back is not None:
            self._on_back()
        else:
            self.host.enter_menu()

    def _print(self) -> None:
        host = self.host
        host.state.busy_message = Message("print.printing")
        host.go(Screen.BUSY)
        on_done, on_error = host.guard(self._printed), host.guard(self._failed)
        if self._reprint_job is not None:
            host.printing.reprint_job(self._reprint_job, host.state.language, on_done, on_error)
        else:
            host.printing.print_certificate(
                self._certificate or {}, self._document, self._request_key, on_done, on_error
            )

    def cancel(self) -> None:
        self._document = None

    def _printed(self, _: Any) -> None:
        self.host.state.preview_png = None
        self._document = None
        self.host.show_message(Message("print.done"), then=Screen.MENU)

    def _failed(self, exc: BaseException) -> None:
        host = self.host
        if isinstance(exc, PrinterError):
            host.note_printer_status(exc.status)
        host.state.preview_png = None
        self._document = None
        host.show_message(host.error_message(exc, extra_key="print.failed_kept"), then=Screen.MENU)

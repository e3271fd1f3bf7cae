"""A printed certificate (参保证明, 缴费凭证, 个人权益单 …): issue → preview → print, never twice.

The gateway issues the certificate (one idempotency key per request, so a retried POST is the same
certificate); the resident sees the preview and confirms; the print service prints it and keeps it
in the journal until the paper is confirmed. If the same resident asks again for the same kind and
period while an earlier printout of it is unfinished (paper ran out, power cut), they get that one
again as 补打 of its own serial, not a second certificate.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from kiosk.errors import PrinterError
from kiosk.records import period_back
from kiosk.session import Flow, FlowHost
from kiosk.state import Message, Screen

logger = logging.getLogger(__name__)


class CertificateFlow(Flow):
    def __init__(self, host: FlowHost, spec: Any) -> None:
        super().__init__(host)
        self.spec = spec
        self.params = spec.params
        self._certificate: dict | None = None
        self._document: Any = None
        self._reprint_job: int | None = None

    def start(self) -> None:
        host = self.host
        session_id = host.session.session_id
        if session_id is None:
            return
        kind, lang = self.params.kind, host.state.language
        start, end = period_back(self.params.months) if self.params.months else (None, None)
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
        if intent != "confirm" or self.host.state.screen is not Screen.PRINT_PREVIEW or self._document is None:
            return
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

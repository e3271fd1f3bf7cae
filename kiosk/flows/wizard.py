"""The generic application wizard: 须知 → confirm the resident's data → one question per screen →
review → submit → result with a receipt to print.

Everything a particular application needs is in its catalogue entry (kiosk.forms.WizardForm); this
flow knows none of them. One idempotency key per wizard run: a submission retried after a timeout is
the same application, and a card pulled mid-wizard ends the session with nothing submitted twice.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from typing import Any

from common.ssn import mask_ssn
from kiosk.forms import FieldKind, FormField, WizardForm
from kiosk.session import Flow, FlowHost
from kiosk.state import Message, Screen, WizardStep, WizardView

logger = logging.getLogger(__name__)

MAX_TYPED = 100


class WizardFlow(Flow):
    def __init__(self, host: FlowHost, spec: Any) -> None:
        super().__init__(host)
        self.spec = spec
        self.form: WizardForm = spec.params.form
        self._answers: dict[str, str] = {}
        self._index = 0
        self._key = uuid.uuid4().hex
        self._submitted = False
        # NOTICE, CONFIRM, one step per field, REVIEW
        self._steps: list[tuple[WizardStep, FormField | None]] = [
            (WizardStep.NOTICE, None),
            (WizardStep.CONFIRM, None),
            *((WizardStep.FIELD, field) for field in self.form.fields),
            (WizardStep.REVIEW, None),
        ]

    # ------------------------------------------------------------------ view
    def _view(self, **changes: Any) -> None:
        step, field = self._steps[self._index]
        card = self.host.session.card
        view = self.host.state.wizard or WizardView(service=self.spec.id, notice_key=self.form.notice_key)
        self.host.state.wizard = replace(
            view,
            step=step,
            step_number=self._index + 1,
            step_count=len(self._steps),
            question=field,
            value=self._answers.get(field.name, "") if field else "",
            error=None,
            resident=[("wizard.name", card.name if card else ""), ("wizard.ssn", mask_ssn(card.ssn) if card else "")],
            review=[
                (f.label_key, self._answers.get(f.name, ""), f.display(self._answers.get(f.name, "")))
                for f in self.form.fields
            ],
            **changes,
        )
        self.host.go(Screen.WIZARD)

    def start(self) -> None:
        self.host.state.wizard = None
        self._view(agreed=False)

    # ------------------------------------------------------------------ intents
    def handle(self, intent: str, value: str = "") -> None:
        view = self.host.state.wizard
        if self.host.state.screen is not Screen.WIZARD or view is None:
            return
        if view.step is WizardStep.RESULT:
            if intent == "print" and view.receipt is not None and self.form.receipt:
                self._print_receipt(view.receipt)
            return
        if intent == "tick" and view.step is WizardStep.NOTICE:
            self.host.state.wizard = replace(view, agreed=not view.agreed, error=None)
            self.host.publish()
        elif intent == "back":
            if self._index == 0:
                self.host.enter_menu()
            else:
                self._index -= 1
                self._view()
        elif intent in ("input", "type", "delete") and view.question is not None:
            self._edit(view.question, intent, value)
        elif intent == "next":
            self._next(view)
        elif intent == "submit" and view.step is WizardStep.REVIEW:
            self._submit()

    def _edit(self, field: FormField, intent: str, value: str) -> None:
        current = self._answers.get(field.name, "")
        if intent == "input":
            current = value
        elif intent == "type" and len(current) < MAX_TYPED:
            if field.kind in (FieldKind.DIGITS, FieldKind.PHONE) and not value.isdigit():
                return
            current += value
        elif intent == "delete":
            current = current[:-1]
        self._answers[field.name] = current
        view = self.host.state.wizard
        if view is not None:
            self.host.state.wizard = replace(view, value=current, error=None)
        self.host.publish()

    def _next(self, view: WizardView) -> None:
        if view.step is WizardStep.NOTICE and not view.agreed:
            self.host.state.wizard = replace(view, error="wizard.must_agree")
            self.host.publish()
            return
        if view.question is not None:
            problem = view.question.validate(self._answers.get(view.question.name, ""))
            if problem is not None:
                self.host.state.wizard = replace(view, error=problem)
                self.host.publish()
                return
        if self._index < len(self._steps) - 1:
            self._index += 1
            self._view()

    def _submit(self) -> None:
        host = self.host
        session_id = host.session.session_id
        if session_id is None or self._submitted:
            return
        form = {
            f.name: self._answers[f.name].strip() for f in self.form.fields if self._answers.get(f.name, "").strip()
        }
        backend, kind, key = host.backend, self.form.application_kind, self._key
        host.state.busy_message = Message("wizard.submitting")
        host.go(Screen.BUSY)
        host.run(
            lambda: backend.submit_application(session_id, kind, form, idempotency_key=key), self._result, self._failed
        )

    def _result(self, receipt: dict) -> None:
        self._submitted = True
        logger.info("application %s submitted", self.form.application_kind)
        view = self.host.state.wizard
        if view is not None:
            self.host.state.wizard = replace(view, step=WizardStep.RESULT, receipt=receipt, error=None)
        self.host.go(Screen.WIZARD)

    def _failed(self, exc: BaseException) -> None:
        """A refusal or an outage goes back to the review with the reason; the answers are kept."""
        view = self.host.state.wizard
        message = self.host.error_message(exc)
        if view is not None:
            self.host.state.wizard = replace(view, failure=message)
        self.host.go(Screen.WIZARD)

    def _print_receipt(self, receipt: dict) -> None:
        host = self.host
        lang = host.state.language
        host.state.busy_message = Message("print.printing")
        host.go(Screen.BUSY)

        def done(_: Any) -> None:
            host.show_message(Message("print.done"), then=Screen.MENU)

        def failed(exc: BaseException) -> None:
            host.show_message(host.error_message(exc, extra_key="print.failed_kept"), then=Screen.MENU)

        host.printing.print_receipt(receipt, lang, host.guard(done), host.guard(failed))

    def cancel(self) -> None:
        self._answers.clear()

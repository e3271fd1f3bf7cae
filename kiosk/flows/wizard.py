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
from kiosk import divisions
from kiosk.flows.wizard_face import FaceStep, skipped
from kiosk.flows.wizard_photo import PhotoStep
from kiosk.forms import ADDRESS_SEPARATOR, NUMERIC, PICKED, FieldKind, FormField, WizardForm, split_address
from kiosk.pinyin_input import PinyinInput, ime_view
from kiosk.session import Flow, FlowHost
from kiosk.state import Message, Screen, WizardStep, WizardView

logger = logging.getLogger(__name__)

MAX_TYPED = 100
IME_PAGE = 4  # candidates on the bar: four phrases of four characters fit the pad's width
TEXT_KEYS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")  # the letters-and-digits pad


class WizardFlow(Flow):
    def __init__(self, host: FlowHost, spec: Any) -> None:
        super().__init__(host)
        self.spec = spec
        self.form: WizardForm = spec.params.form
        self._answers: dict[str, str] = {}
        self._index = 0
        self._key = uuid.uuid4().hex
        self._submitted = False
        self._cursor: str | None = None  # the division whose children the picker lists
        self._page = 1
        # The pinyin input method of a text question (kiosk.pinyin_input): its pending pinyin and
        # the bar's page; the answer itself is only ever in self._answers.
        self._ime = PinyinInput(page_size=IME_PAGE)
        self._ime_for: str | None = None
        self._chinese = True
        # NOTICE, CONFIRM, one step per field, REVIEW
        self._steps: list[tuple[WizardStep, FormField | None]] = [
            (WizardStep.NOTICE, None),
            (WizardStep.CONFIRM, None),
            *((WizardStep.FIELD, field) for field in self.form.fields),
            (WizardStep.REVIEW, None),
        ]
        self._photo = PhotoStep(host, self._answers, self._view)  # a PHOTO question's camera and upload
        self._face = FaceStep(host, self._answers, self._view)  # a FACE question's capture and check

    # ------------------------------------------------------------------ view
    def _asked(self, index: int) -> bool:
        field = self._steps[index][1]
        return field is None or (self.form.asked(field, self._answers) and not skipped(self.host, field))

    def _view(self, **changes: Any) -> None:
        step, field = self._steps[self._index]
        card = self.host.session.card
        asked = [i for i in range(len(self._steps)) if self._asked(i)]
        view = self.host.state.wizard or WizardView(service=self.spec.id, notice_key=self.form.notice_key)
        self.host.state.wizard = replace(
            view,
            step=step,
            step_number=asked.index(self._index) + 1,
            step_count=len(asked),
            question=field,
            value=self._answers.get(field.name, "") if field else "",
            error=None,
            picker=self._picker_page(field),
            ime=self._ime_state(field),
            photo=self._photo.view(field),
            resident=[("wizard.name", card.name if card else ""), ("wizard.ssn", mask_ssn(card.ssn) if card else "")],
            review=[
                (f.label_key, f.shown(self._answers.get(f.name, "")), f.display(self._answers.get(f.name, "")))
                for f in self.form.fields
                if self.form.asked(f, self._answers) and not skipped(self.host, f)
            ],
            **changes,
        )
        self.host.go(Screen.WIZARD)

    def _picker_page(self, field: FormField | None) -> divisions.PickerPage | None:
        """The division list of a REGION / ADDRESS step, or None once its county is picked (an
        address then takes its detail; a region shows its name with 重新选择)."""
        if field is None or field.kind not in PICKED:
            return None
        code = split_address(self._answers.get(field.name, ""))[0]
        if code and divisions.division(code) is not None:
            return None
        return divisions.page(self._cursor, self._page)

    @staticmethod
    def _composes(field: FormField | None) -> bool:
        """A free text (not a code with a pattern) or an address's detail takes Chinese."""
        if field is None:
            return False
        return (field.kind is FieldKind.TEXT and field.pattern is None) or field.kind is FieldKind.ADDRESS

    def _ime_state(self, field: FormField | None) -> Any:
        if not self._composes(field):
            self._ime_for = None
            return None
        if self._ime_for != field.name:
            # A new question starts with nothing pending: a free text in Chinese, an address's
            # detail (a building and room, mostly letters and digits) on the letters pad.
            self._ime.clear()
            self._ime_for, self._chinese = field.name, field.kind is FieldKind.TEXT
        return ime_view(self._ime, self._chinese)

    def _publish_ime(self, field: FormField) -> None:
        view = self.host.state.wizard
        if view is not None:
            self.host.state.wizard = replace(view, ime=self._ime_state(field), error=None)
        self.host.publish()

    def _compose(self, field: FormField, intent: str, value: str) -> None:
        """中/英 switch, a candidate chosen from the bar, or the bar paged."""
        if not self._composes(field):
            return
        if intent == "ime":
            self._chinese = not self._chinese
            self._ime.clear()
        elif intent == "candidates" and value == "+1":
            self._ime.next_page()
        elif intent == "candidates":
            self._ime.prev_page()
        elif intent == "candidate" and value.isdigit():
            chosen = self._ime.choose(int(value))
            if chosen:
                self._edit(field, "append", chosen)
                return
        self._publish_ime(field)

    def start(self) -> None:
        self.host.state.wizard = None
        self._view(agreed=False)

    # ------------------------------------------------------------------ intents
    def handle(self, intent: str, value: str = "") -> None:
        view = self.host.state.wizard
        if self._photo.handle(intent, view):
            return
        if self._face.handle(intent, view):
            return
        if self.host.state.screen is not Screen.WIZARD or view is None:
            return
        if view.step is WizardStep.RESULT:
            if intent == "print" and view.receipt is not None and self.form.receipt:
                self._print_receipt(view.receipt)
            return
        if intent == "tick" and view.step is WizardStep.NOTICE:
            self.host.state.wizard = replace(view, agreed=not view.agreed, error=None)
            self.host.publish()
        elif intent == "back" and self._picked(view.question):
            self._repick(view.question)
        elif intent == "back":
            if self._index == 0:
                self.host.enter_menu()
            else:
                self._index -= 1
                while self._index > 0 and not self._asked(self._index):
                    self._index -= 1
                self._reset_picker()
                self._view()
        elif intent in ("pick", "up", "page", "repick") and view.question is not None:
            self._pick(view.question, intent, value)
        elif intent in ("ime", "candidate", "candidates") and view.question is not None:
            self._compose(view.question, intent, value)
        elif intent in ("input", "type", "delete") and view.question is not None:
            self._edit(view.question, intent, value)
        elif intent == "next":
            self._next(view)
        elif intent == "submit" and view.step is WizardStep.REVIEW:
            self._submit()

    def _reset_picker(self) -> None:
        self._cursor, self._page = None, 1

    def _pick(self, field: FormField, intent: str, value: str) -> None:
        """The division lists: ``pick`` a code (a level down, or the answer at a county), ``up`` a
        level, ``page`` by +1 / -1, ``repick`` to choose the division again."""
        if field.kind not in PICKED:
            return
        if intent == "pick":
            found = divisions.division(value)
            if found is None or found.parent != self._cursor:
                return  # a stale touch on a list that has already moved on
            if found.leaf:
                self._answers[field.name] = found.code + (ADDRESS_SEPARATOR if field.kind is FieldKind.ADDRESS else "")
            else:
                self._cursor, self._page = found.code, 1
        elif intent == "up" and self._cursor is not None:
            parent = divisions.division(self._cursor)
            self._cursor, self._page = (parent.parent if parent else None), 1
        elif intent == "page":
            self._page += 1 if value == "+1" else -1
        elif intent == "repick":
            self._repick(field)
            return
        self._view()

    def _picked(self, field: FormField | None) -> bool:
        """A REGION / ADDRESS step whose county is picked: 返回 goes back to its list."""
        if field is None or field.kind not in PICKED:
            return False
        return divisions.division(split_address(self._answers.get(field.name, ""))[0]) is not None

    def _repick(self, field: FormField) -> None:
        """Back to the list the county was picked from (its detail, if any, is dropped with it)."""
        found = divisions.division(split_address(self._answers.get(field.name, ""))[0])
        self._answers[field.name] = ""
        self._cursor, self._page = (found.parent if found else None), 1
        self._view()

    def _edit(self, field: FormField, intent: str, value: str) -> None:
        if self._composes(field) and self._chinese:  # letters are pinyin while Chinese is on
            if intent == "type" and value.isascii() and value.isalpha():
                self._ime.type(value)
                self._publish_ime(field)
                return
            if intent == "delete" and self._ime.letters:
                self._ime.backspace()
                self._publish_ime(field)
                return
            if intent == "input":
                self._ime.clear()
        current = self._answers.get(field.name, "")
        head = ""
        if field.kind is FieldKind.ADDRESS:  # only the detail is typed; the division was picked
            code, current = split_address(current)
            if not code:
                return
            head = code + ADDRESS_SEPARATOR
        if intent == "input":
            current = value
        elif intent == "type" and len(current) < MAX_TYPED:
            typed = self._typed(field, current, value)
            if typed is None:
                return
            current = typed
        elif intent == "append" and len(current) + len(value) <= MAX_TYPED:
            current += value
        elif intent == "delete":
            current = current[:-1].rstrip("-") if field.kind is FieldKind.DATE else current[:-1]
        self._answers[field.name] = head + current
        view = self.host.state.wizard
        if view is not None:
            self.host.state.wizard = replace(view, value=head + current, error=None, ime=self._ime_state(field))
        self.host.publish()

    @staticmethod
    def _typed(field: FormField, current: str, key: str) -> str | None:
        """``current`` with ``key`` typed, or None when that key means nothing for this field."""
        if field.kind in NUMERIC:
            if key == "." and field.kind is FieldKind.AMOUNT and "." not in current:
                return (current or "0") + "."
            if not key.isdigit():
                return None
            if field.kind is FieldKind.DATE:  # eight digits, the dashes put in for the resident
                if len(current) >= 10:
                    return None
                return current + key + ("-" if len(current) in (3, 6) else "")
            return current + key
        if key not in TEXT_KEYS:
            return None
        return current + key

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
            while self._index < len(self._steps) - 1 and not self._asked(self._index):
                self._index += 1
            self._reset_picker()
            self._view()

    def _submit(self) -> None:
        host = self.host
        session_id = host.session.session_id
        if session_id is None or self._submitted:
            return
        form = self.form.payload(self._answers)
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
        self._photo.cancel()
        self._face.cancel()
        self._answers.clear()

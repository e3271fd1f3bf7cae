"""The 办理 wizards' forms: the new kinds of answer validate as the screens promise, the division
lists page and pick down to a county, and every form's payload (each option of each choice) is
accepted by the real gateway's model of its kind: submitted through a seeded gateway, none
answers ``invalid_request`` (the request-model error); a refusal of the rules (409) or a rule's own
422 is the records speaking, not a wrong shape."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from demo.wizard_answers import sample_answer
from kiosk import divisions
from kiosk.flows.wizard import WizardFlow
from kiosk.forms import FieldKind, FormField, luhn_ok
from kiosk.services import CATALOGUE, WizardParams
from kiosk.state import Screen, WizardStep
from tests.kiosk.fakes import make_controller
from tests.kiosk.test_session_core import log_in
from tests.server.back_office import Office, office_gateway

WIZARDS = {name: spec.params.form for name, spec in CATALOGUE.items() if isinstance(spec.params, WizardParams)}
BRIEF = {
    "unemployment_registration",
    "unemployment_benefit",
    "unemployment_subsidy",
    "unemployment_transfer",
    "pension_transfer",
    "resident_pension_enrollment",
    "pension_certification",
    "card_application",
    "card_replacement",
    "card_suspend",
    "card_unsuspend",
    "contact_update",
    "medical_filing",
    "training_subsidy",
    "training_signup",
    "dispute_mediation",
}


@pytest.fixture(scope="module", params=["sqlite"])
def office(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    yield from office_gateway(request, tmp_path_factory)


def test_every_application_of_the_brief_is_a_wizard() -> None:
    assert set(WIZARDS) == BRIEF
    for name, form in WIZARDS.items():
        assert form.application_kind == name and form.notice_key == f"notice.{name}"


def test_amount_bank_account_photo_and_date_answers() -> None:
    amount = FormField("claim", "l", FieldKind.AMOUNT, cast="int", max_amount=1000)
    assert amount.validate("800") is None and amount.payload("800") == {"claim": 800}
    assert amount.validate("12.5") == "form.error.whole_yuan"
    assert amount.validate("1.234") == "form.error.amount"
    assert amount.validate("1001") == "form.error.amount_too_large"
    yuan = FormField("fee", "l", FieldKind.AMOUNT)
    assert yuan.validate("12.50") is None and yuan.validate("012") == "form.error.amount"
    account = FormField("account", "l", FieldKind.BANK_ACCOUNT)
    assert luhn_ok("6222021234567890128") and not luhn_ok("6222021234567890123")
    assert account.validate("6222021234567890128") is None
    assert account.validate("6222021234567890123") == "form.error.bank_account_check"
    assert account.validate("123456789012") is None  # a 12-digit 存折 account carries no check digit
    assert account.validate("12345") == "form.error.bank_account"
    photo = FormField("photo", "l", FieldKind.PHOTO)
    assert photo.validate("photo:cap-20261130-01") is None and photo.validate("20261130001") is None
    assert photo.validate("me.jpg") == "form.error.photo"
    date = FormField("day", "l", FieldKind.DATE)
    assert date.validate("2026-02-30") == "form.error.date" and date.validate("2026-02-28") is None


def test_regions_and_addresses_are_counties_of_gb_t_2260_with_a_detail() -> None:
    region = FormField("to_region", "l", FieldKind.REGION)
    assert region.validate("320583") is None and region.shown("320583") == "江苏省苏州市昆山市"
    assert region.validate("320500") == "form.error.region"  # a city with counties: go on down
    assert region.validate("441900") is None  # 东莞市 has no counties: a leaf itself
    address = FormField("address", "l", FieldKind.ADDRESS, region_key="address_region", min_length=5)
    assert address.validate("320583|8-31") == "form.error.address_detail"
    assert address.validate("320583|A8-1203") is None
    assert address.payload("320583|A8-1203") == {"address_region": "320583", "address": "A8-1203"}
    one_line = dataclasses.replace(address, region_key=None)
    assert one_line.payload("320583|A8-1203") == {"address": "江苏省苏州市昆山市A8-1203"}
    first = divisions.page(None)
    assert first.pages > 1 and len(first.items) == divisions.PAGE_SIZE and first.path == ()
    assert divisions.page(None, 99).number == first.pages  # clamped, never an empty page
    assert divisions.page("320500").path == ("江苏省", "苏州市")


def test_the_division_lists_pick_a_county_and_then_take_the_detail() -> None:
    controller, *_ = make_controller("services.enabled=['contact_update']")
    log_in(controller)
    controller.choose_service("contact_update")
    for intent, value in (("tick", ""), ("next", ""), ("next", ""), ("input", "address"), ("next", "")):
        controller.intent(intent, value)
    view = controller.state.wizard
    assert view.question.name == "address" and view.picker.parent is None
    assert (view.step_number, view.step_count) == (4, 5)
    controller.intent("next")
    assert controller.state.wizard.error == "form.error.required"
    controller.intent("page", "+1")
    assert controller.state.wizard.picker.number == 2
    controller.intent("pick", "320583")  # not on this list: a stale touch, ignored
    assert controller.state.wizard.picker.parent is None
    controller.intent("pick", "320000")
    controller.intent("pick", "320500")
    assert controller.state.wizard.picker.path == ("江苏省", "苏州市")
    controller.intent("up")
    assert controller.state.wizard.picker.parent == "320000"
    controller.intent("pick", "320500")
    controller.intent("pick", "320583")
    view = controller.state.wizard
    assert view.picker is None and view.value == "320583|"
    controller.intent("back")  # 返回 on the detail: back to the list the county came from
    view = controller.state.wizard
    assert view.question.name == "address" and view.picker.parent == "320500" and view.value == ""
    controller.intent("page", "+1")
    controller.intent("page", "-1")
    controller.intent("pick", "320583")
    for key in "A8-12x03":  # "x" is not on the letters pad
        controller.intent("type", key.upper() if key != "x" else "x")
    assert controller.state.wizard.value == "320583|A8-1203"
    controller.intent("next")
    view = controller.state.wizard
    assert view.step is WizardStep.REVIEW
    assert ("form.contact.address", "江苏省苏州市昆山市 A8-1203", None) in view.review
    controller.intent("submit")
    assert controller.state.screen is Screen.WIZARD


def test_dates_are_typed_as_eight_digits_and_amounts_with_a_point() -> None:
    flow = WizardFlow
    date = next(f for f in WIZARDS["dispute_mediation"].fields if f.kind is FieldKind.DATE)
    amount = next(f for f in WIZARDS["dispute_mediation"].fields if f.kind is FieldKind.AMOUNT)
    assert flow._typed(date, "", "2") == "2" and flow._typed(date, "202", "6") == "2026-"
    assert flow._typed(date, "2026-1", "1") == "2026-11-" and flow._typed(date, "2026-11-30", "1") is None
    assert flow._typed(amount, "", ".") == "0." and flow._typed(amount, "1.5", ".") is None


def _submissions() -> Iterator[tuple[str, dict[str, str]]]:
    """Every wizard with its sample answers, then once more per further option of each choice."""
    for name, form in WIZARDS.items():
        answers = {f.name: sample_answer(f) for f in form.fields}
        yield name, answers
        for field in form.fields:
            for choice in field.choices[1:]:
                yield name, {**answers, field.name: choice.value}


def test_every_form_is_accepted_by_the_gateways_model_of_its_kind(office: Office) -> None:
    resident = office.find(lambda r: r.card is not None and r.card["card_status"] == "normal")
    sid = office.session(resident)
    answered = 0
    for name, answers in _submissions():
        form = WIZARDS[name]
        body = form.payload(answers)
        answer = office.submit(sid, form.application_kind, body, key=f"forms-{answered:04d}")
        answered += 1
        error = answer.json().get("error", {}) if answer.status_code >= 400 else {}
        assert error.get("code") != "invalid_request", (name, body, answer.text)
        assert answer.status_code in (201, 409, 422), (name, answer.text)
    assert answered > len(WIZARDS) * 2

"""CHANGE PIN ``80 5E 01 00 07 <old> FF <new>``: the exact APDUs, the new-PIN policy, the simulator."""

from __future__ import annotations

import datetime as dt

import pytest

from drivers.card.simulated_reader import SimulatedCardReader
from drivers.card.simulator import CardFaults, VirtualSocialSecurityCard
from drivers.card.sscard import change_pin, verify_pin
from kiosk.errors import CardError, CardErrorKind
from kiosk.pin_policy import pin_refusal
from tests.drivers.card.carddata import make_card_data

SELECT_DF = "00A404000F" + "73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF"
CHANGE = "80 5E 01 00 07 12 34 56 FF 80 27 31"


@pytest.mark.parametrize(
    ("answer", "ok", "tries", "blocked"),
    [("9000", True, None, False), ("63C2", False, 2, False), ("63C0", False, 0, True), ("6983", False, 0, True)],
)
def test_change_pin_sends_exactly_select_and_change(scripted, answer, ok, tries, blocked):
    result = change_pin(scripted([(SELECT_DF, "9000"), (CHANGE, answer)]), "123456", "802731")
    assert (result.ok, result.tries_left, result.blocked) == (ok, tries, blocked)


def test_change_pin_without_select(scripted):
    assert change_pin(scripted([(CHANGE, "9000")]), "123456", "802731", select=False).ok


def test_unknown_status_is_typed(scripted):
    with pytest.raises(CardError) as err:
        change_pin(scripted([(SELECT_DF, "9000"), (CHANGE, "6A80")]), "123456", "802731")
    assert err.value.kind is CardErrorKind.UNEXPECTED_STATUS and err.value.sw == 0x6A80


@pytest.mark.parametrize("new", ["000000", "111111", "123456", "654321", "890123", "850312", "031285", "120385"])
def test_trivial_new_pin_never_reaches_the_card(scripted, new):
    with pytest.raises(CardError) as err:
        change_pin(scripted([]), "123456", new, birth_date=dt.date(1985, 3, 12))
    assert err.value.kind is CardErrorKind.PIN_TRIVIAL and err.value.message_key == "card.pin_trivial"


@pytest.mark.parametrize(("old", "new"), [("12345", "802731"), ("123456", "80273"), ("123456", "８０２７３１")])
def test_bad_format_never_reaches_the_card(scripted, old, new):
    with pytest.raises(CardError) as err:
        change_pin(scripted([]), old, new)
    assert err.value.kind is CardErrorKind.PIN_FORMAT


def test_policy_accepts_ordinary_pins():
    assert pin_refusal("802731", dt.date(1985, 3, 12)) is None
    assert pin_refusal("850312") is None  # the birth date is only refused when known
    assert pin_refusal("850312", dt.date(1985, 3, 12)) == "card.pin_trivial"
    assert pin_refusal("abc") == "card.pin_format"


def _reader(**kw) -> tuple[SimulatedCardReader, VirtualSocialSecurityCard]:
    card = VirtualSocialSecurityCard.from_card_data(make_card_data(), "123456", **kw)
    slot = SimulatedCardReader()
    slot.insert(card)
    return slot, card


@pytest.mark.parametrize("t0", [False, True])
def test_simulator_changes_the_pin(t0):
    slot, card = _reader(t0=t0)
    with slot.connect() as conn:
        assert change_pin(conn, "123456", "802731").ok
        assert verify_pin(conn, "802731").ok
        assert verify_pin(conn, "123456").tries_left == 2
    assert card.profile.pin == "802731"


def test_simulator_wrong_old_pin_counts_down_then_blocks():
    slot, card = _reader()
    with slot.connect() as conn:
        assert change_pin(conn, "111112", "802731").tries_left == 2
        assert change_pin(conn, "111112", "802731").tries_left == 1
        last = change_pin(conn, "111112", "802731")
        assert last.blocked and last.tries_left == 0
        assert change_pin(conn, "123456", "802731").blocked  # the right old PIN no longer helps
    assert card.profile.pin == "123456"


def test_simulator_faults_as_for_verify():
    slot, card = _reader(faults=CardFaults(pin_blocked=True))
    with slot.connect() as conn:
        assert change_pin(conn, "123456", "802731").blocked
    card.faults.pin_blocked = False
    card.faults.status_override[b"\x80\x5e"] = 0x6581
    with slot.connect() as conn, pytest.raises(CardError) as err:
        change_pin(conn, "123456", "802731")
    assert err.value.sw == 0x6581
    card.faults.status_override.clear()
    card.faults.remove_after_apdus = card.apdu_count + 1  # pulled while CHANGE PIN is in flight
    with slot.connect() as conn, pytest.raises(CardError) as err:
        change_pin(conn, "123456", "802731")
    assert err.value.kind is CardErrorKind.REMOVED and card.profile.pin == "123456"


@pytest.mark.parametrize(
    ("apdu", "sw"),
    [
        ("00 5E 01 00 07 12 34 56 FF 80 27 31", "6D00"),  # CHANGE PIN is CLA 80
        ("80 5E 00 00 07 12 34 56 FF 80 27 31", "6A86"),
        ("80 5E 01 00 06 12 34 56 80 27 31", "6700"),
        ("80 5E 01 00 07 12 34 56 00 80 27 31", "6A80"),
        ("80 20 00 00 03 12 34 56", "6E00"),  # only CHANGE PIN is proprietary
    ],
)
def test_simulator_is_strict(apdu, sw):
    _, card = _reader()
    card.process(bytes.fromhex(SELECT_DF.replace(" ", "")))
    assert card.process(bytes.fromhex(apdu.replace(" ", ""))).hex().upper() == sw


def test_simulator_needs_the_df_selected():
    _, card = _reader()
    assert card.process(bytes.fromhex(CHANGE.replace(" ", ""))).hex().upper() == "6A88"

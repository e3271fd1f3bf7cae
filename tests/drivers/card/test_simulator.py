"""The virtual cards: strict APDU validation, T=0 behaviour, faults; and the in-process reader."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest

from drivers.card.monitor import CardMonitor
from drivers.card.simulated_reader import SimulatedCardReader
from drivers.card.simulator import (
    BrokenCard,
    CardMute,
    CardProfile,
    CardPulled,
    NonSocialSecurityCard,
    VirtualSocialSecurityCard,
)
from drivers.card.sscard import SSSE_DF_NAME, read_card, verify_pin
from drivers.factory import CardPortAdapter
from kiosk.errors import CardError, CardErrorKind
from tests.drivers.card.carddata import make_card_data

SELECT_DF = bytes.fromhex("00A404000F") + SSSE_DF_NAME


def vcard(t0: bool = False, **kw) -> VirtualSocialSecurityCard:
    return VirtualSocialSecurityCard.from_card_data(make_card_data(**kw), "123456", t0=t0)


def sw(resp: bytes) -> str:
    return resp[-2:].hex().upper()


@pytest.mark.parametrize(
    "apdu,expected",
    [
        ("80A404000F" + SSSE_DF_NAME.hex(), "6E00"),  # wrong CLA
        ("00FF000000", "6D00"),  # unknown INS
        ("00A4040100", "6A86"),  # bad P2 for SELECT
        ("00A4040010" + SSSE_DF_NAME.hex(), "6700"),  # Lc longer than the data
        ("00B2010012", "6986"),  # READ RECORD with no current EF
        ("00A4020002EF05", "6A82"),  # EF before the DF
        ("0020000003123456", "6A88"),  # VERIFY before the DF
        ("00C0000010", "6985"),  # GET RESPONSE with nothing pending
        ("00A4", "6700"),
    ],
)
def test_strict_validation(apdu, expected):
    assert sw(vcard().process(bytes.fromhex(apdu))) == expected


def test_read_record_errors_after_select():
    card = vcard()
    assert sw(card.process(SELECT_DF)) == "9000"
    assert sw(card.process(bytes.fromhex("00A4020002EF05"))) == "9000"
    assert sw(card.process(bytes.fromhex("00B2010100"))) == "6A86"
    assert sw(card.process(bytes.fromhex("00B2090012"))) == "6A83"  # tag of EF06 while EF05 selected
    assert sw(card.process(bytes.fromhex("00B2010005"))) == "6C12"  # Le too short
    assert card.process(bytes.fromhex("00B2010000"))[:2] == b"\x01\x10"


def test_t0_card_uses_61xx_and_6cxx():
    card = vcard(t0=True)
    assert sw(card.process(SELECT_DF)) == "6113"
    assert sw(card.process(bytes.fromhex("00C0000005"))) == "6C13"
    assert card.process(bytes.fromhex("00C0000013"))[-2:] == b"\x90\x00"
    card.process(bytes.fromhex("00A4020002EF05"))
    card.process(bytes.fromhex("00C0000006"))
    assert sw(card.process(bytes.fromhex("00B2010020"))) == "6C12"
    assert sw(card.process(bytes.fromhex("00B2010012"))) == "6112"


def test_reset_forgets_selection():
    card = vcard()
    card.process(SELECT_DF)
    card.reset()
    assert sw(card.process(bytes.fromhex("00A4020002EF05"))) == "6A82"


def test_name_outside_gbk_cannot_be_personalised():
    with pytest.raises(ValueError):
        vcard(name="李㛃")


def test_profile_repr_hides_pin_and_person():
    text = repr(vcard().profile)
    assert "123456" not in text and "王喆" not in text and make_card_data().ssn not in text


def test_faults_raise_transport_exceptions():
    card = vcard()
    card.faults.remove_after_apdus = 1
    card.process(SELECT_DF)
    with pytest.raises(CardPulled):
        card.process(SELECT_DF)
    mute = vcard()
    mute.faults.mute = True
    with pytest.raises(CardMute):
        mute.process(SELECT_DF)
    over = vcard()
    over.faults.status_override[bytes.fromhex("00A404")] = 0x6581
    assert sw(over.process(SELECT_DF)) == "6581"


def test_non_social_security_and_broken_cards():
    assert sw(NonSocialSecurityCard().process(SELECT_DF)) == "6A82"
    assert BrokenCard().process(SELECT_DF) == b"\x6f"
    with pytest.raises(CardMute):
        BrokenCard(garbage=False).atr()


# --- the in-process reader ----------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.00", "2.00", "3.00"])
@pytest.mark.parametrize("t0", [False, True])
def test_simulated_reader_reads_every_version(version, t0):
    reader = SimulatedCardReader()
    reader.insert(vcard(t0=t0, spec_version=version))
    with reader.connect() as conn:
        assert read_card(conn) == make_card_data(spec_version=version)


def test_simulated_reader_errors():
    reader = SimulatedCardReader()
    assert reader.card_present() is False
    with pytest.raises(CardError) as err:
        reader.connect()
    assert err.value.kind is CardErrorKind.NO_CARD
    reader.insert(BrokenCard(garbage=False))
    with pytest.raises(CardError) as err:
        reader.connect()
    assert err.value.kind is CardErrorKind.MUTE
    reader.insert(BrokenCard())
    with reader.connect() as conn, pytest.raises(CardError) as err:
        read_card(conn)
    assert err.value.kind is CardErrorKind.MUTE
    reader.insert(NonSocialSecurityCard())
    with reader.connect() as conn, pytest.raises(CardError) as err:
        read_card(conn)
    assert err.value.kind is CardErrorKind.NOT_SOCIAL_SECURITY_CARD
    reader.unplug()
    with pytest.raises(CardError) as err:
        reader.card_present()
    assert err.value.kind is CardErrorKind.NO_READER
    reader.plug()
    reader.service_down = True
    with pytest.raises(CardError) as err:
        reader.list_readers()
    assert err.value.kind is CardErrorKind.SERVICE


def test_card_pulled_mid_read_empties_the_slot():
    reader = SimulatedCardReader()
    card = vcard()
    card.faults.remove_after_apdus = 4
    reader.insert(card)
    conn = reader.connect()
    with pytest.raises(CardError) as err:
        read_card(conn)
    assert err.value.kind is CardErrorKind.REMOVED
    assert reader.card_present() is False and reader.inserted_card is None


def test_removed_card_old_connection_fails():
    reader = SimulatedCardReader()
    reader.insert(vcard())
    conn = reader.connect()
    reader.remove()
    reader.insert(vcard())
    with pytest.raises(CardError) as err:
        read_card(conn)
    assert err.value.kind is CardErrorKind.REMOVED


def test_pin_counter_and_block():
    reader = SimulatedCardReader()
    reader.insert(vcard())
    session = CardPortAdapter(reader).open_card()
    session.read()
    assert session.verify_pin("111111").tries_left == 2
    assert session.verify_pin("111111").tries_left == 1
    assert session.verify_pin("123456").ok
    for left in (2, 1, 0):
        assert session.verify_pin("111111").tries_left == left
    assert session.verify_pin("123456").blocked
    session.close()
    blocked = vcard()
    blocked.faults.pin_blocked = True
    reader.insert(blocked)
    with reader.connect() as conn:
        assert verify_pin(conn, "123456").blocked


def test_monitor_over_simulated_reader_survives_reader_loss():
    reader = SimulatedCardReader()
    reader.insert(vcard())
    events: list[str] = []
    seen = threading.Event()

    def note(kind: str) -> None:
        events.append(kind)
        seen.set()

    def bad_callback() -> None:
        note("in")
        raise RuntimeError("handler bug must not stop the monitor")

    monitor = CardMonitor(reader, bad_callback, lambda: note("out"), poll_interval=0.01)
    monitor.start()
    try:
        assert seen.wait(1)  # a card present at start is reported
        for action, expected in (
            (reader.unplug, "out"),
            (reader.plug, None),
            (lambda: reader.insert(vcard()), "in"),
            (reader.remove, "out"),
        ):
            seen.clear()
            action()
            if expected:
                assert seen.wait(1) and events[-1] == expected
            else:
                time.sleep(0.05)
        reader.service_down = True
        time.sleep(0.05)
        reader.service_down = False
        seen.clear()
        reader.insert(vcard())
        assert seen.wait(1) and events[-1] == "in"
        assert monitor.running
    finally:
        monitor.stop()
    assert events == ["in", "out", "in", "out", "in"]


def test_profile_variants():
    profile = vcard().profile
    other = dataclasses.replace(profile, spec_version="1.00")
    assert VirtualSocialSecurityCard(other).profile.spec_version == "1.00"
    with pytest.raises(ValueError):
        CardProfile(**{**dataclasses.asdict(profile), "pin": "12"})


def test_in_process_fallback_stack_reads():
    from drivers.card.stack import open_virtual_card_stack

    stack = open_virtual_card_stack(prefer_pcscd=False)
    try:
        assert stack.transport == "in-process"
        stack.slot.insert(vcard())
        with stack.reader.connect() as conn:
            assert read_card(conn).card_number == "A12345678"
    finally:
        stack.close()

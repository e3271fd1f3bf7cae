"""cli.card_cmd: `card read` / `card verify-pin` over the in-process simulated reader."""

from __future__ import annotations

import argparse
import io
import json

import pytest

from cli.card_cmd import add_card_parser, run_card_command
from drivers.card.simulated_reader import SimulatedCardReader
from drivers.card.simulator import NonSocialSecurityCard, VirtualSocialSecurityCard
from tests.drivers.card.carddata import make_card_data


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_card_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["card", *argv])


@pytest.fixture
def reader() -> SimulatedCardReader:
    slot = SimulatedCardReader()
    slot.insert(VirtualSocialSecurityCard.from_card_data(make_card_data(), "123456", t0=True))
    return slot


def run(reader, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_card_command(parse(*argv), reader, out=out, stdin=io.StringIO(stdin), err=err)
    return code, out.getvalue(), err.getvalue()


def test_read_json(reader):
    code, out, _ = run(reader, "read", "--json")
    assert code == 0
    data = json.loads(out)
    assert data == make_card_data().to_json()
    assert set(data) == {
        "ssn",
        "name",
        "gender",
        "ethnicity",
        "birth_date",
        "birth_place",
        "card_number",
        "card_id",
        "issuing_region",
        "card_type",
        "spec_version",
        "issued_on",
        "expires_on",
    }


def test_read_text_is_masked(reader):
    code, out, _ = run(reader, "read")
    assert code == 0 and make_card_data().ssn not in out and "王喆" not in out


def test_verify_pin_json(reader):
    assert run(reader, "verify-pin", "--json", stdin="123456\n")[:2] == (
        0,
        '{"ok": true, "tries_left": null, "blocked": false}\n',
    )
    code, out, _ = run(reader, "verify-pin", "--json", stdin="000000\n")
    assert code == 3 and json.loads(out) == {"ok": False, "tries_left": 2, "blocked": False}


def test_verify_pin_bad_format_costs_no_try(reader):
    code, out, err = run(reader, "verify-pin", "--json", stdin="12345\n")
    assert code == 1 and out == "" and "6位数字" in err and "6 digits" in err
    assert reader.inserted_card.tries_left == 3


def test_errors_bilingual(reader):
    reader.insert(NonSocialSecurityCard())
    code, _, err = run(reader, "read", "--json")
    assert code == 1 and "不是社会保障卡" in err and "not a social security card" in err
    reader.remove()
    code, _, err = run(reader, "read")
    assert code == 1 and "No card" in err
    code, _, err = run(reader, "read", "--reader", "^Other Reader$")
    assert code == 1 and "reader" in err.lower()


def test_change_pin_json(reader):
    code, out, _ = run(reader, "change-pin", "--json", stdin="123456\n802731\n")
    assert (code, out) == (0, '{"ok": true, "tries_left": null, "blocked": false}\n')
    assert reader.inserted_card.profile.pin == "802731"
    code, out, _ = run(reader, "change-pin", "--json", stdin="123456\n409172\n")
    assert code == 3 and json.loads(out) == {"ok": False, "tries_left": 2, "blocked": False}
    assert run(reader, "verify-pin", "--json", stdin="802731\n")[0] == 0


def test_change_pin_text_never_echoes_pins(reader):
    code, out, err = run(reader, "change-pin", stdin="123456\n802731\n")
    assert code == 0 and "PIN changed" in out and "802731" not in out + err and "123456" not in out + err


@pytest.mark.parametrize("new", ["123456", "000000", "850312"])
def test_change_pin_trivial_refused_before_the_card(reader, new):
    before = reader.inserted_card.apdu_count
    code, out, err = run(reader, "change-pin", "--json", stdin=f"123456\n{new}\n")
    assert code == 1 and out == "" and "太简单" in err and "too easy" in err
    assert reader.inserted_card.profile.pin == "123456" and reader.inserted_card.tries_left == 3
    if new != "850312":  # the birth date is only known once the card is read; nothing is changed
        assert reader.inserted_card.apdu_count == before


def test_change_pin_needs_two_lines(reader):
    code, out, err = run(reader, "change-pin", "--json", stdin="123456\n")
    assert code == 1 and out == "" and "6 digits" in err and reader.inserted_card.apdu_count == 0

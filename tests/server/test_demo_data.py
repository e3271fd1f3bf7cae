"""The demo-data generator: deterministic, valid and realistic; the seed and create-terminal CLIs."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from common.ssn import is_valid_ssn
from server.demo_basics import REGION_NAMES, demo_pin
from server.demo_data import generate_people

AS_OF = dt.date(2026, 6, 15)
ROOT = Path(__file__).resolve().parents[2]


def test_same_seed_same_people_other_seed_other_people() -> None:
    a, b = generate_people(30, 5, AS_OF), generate_people(30, 5, AS_OF)
    assert [(p.ssn, p.name, p.pin, p.current_card["card_number"]) for p in a] == [
        (p.ssn, p.name, p.pin, p.current_card["card_number"]) for p in b
    ]
    assert [p.contributions for p in a] == [p.contributions for p in b]
    c = generate_people(30, 6, AS_OF)
    assert {p.ssn for p in a}.isdisjoint({p.ssn for p in c}) or [p.ssn for p in a] != [p.ssn for p in c]
    # Identities do not depend on the day the demo runs, nor on how many persons are asked for.
    later = generate_people(10, 5, dt.date(2027, 3, 1))
    assert [p.ssn for p in later] == [p.ssn for p in a[:10]]


def test_identities_and_cards_are_valid() -> None:
    people = generate_people(60, 2024, AS_OF)
    assert len({p.ssn for p in people}) == 60
    for p in people:
        assert is_valid_ssn(p.ssn) and p.ssn[6:14] == f"{p.birth_date:%Y%m%d}"
        assert p.gender == ("1" if int(p.ssn[16]) % 2 else "2")
        assert 2 <= len(p.name) <= 4 and p.region in REGION_NAMES
        assert len(p.pin) == 6 and p.pin.isdigit() and p.pin == demo_pin(2024, p.ssn)
        card = p.card_json()
        assert len(card["card_number"]) == 9 and len(card["card_id"]) == 32
        assert card["card_id"][:6] == card["issuing_region"] and card["card_id"] == card["card_id"].upper()
        int(card["card_id"], 16)
        assert sum(c["is_current"] for c in p.cards) == 1
    statuses = Counter(c["status"] for p in people for c in p.cards)
    assert {"normal", "temp_lost", "lost"} <= set(statuses)
    assert any(c["production_stage"] != "issued" for p in people for c in p.cards)


def test_histories_are_realistic() -> None:
    people = generate_people(60, 2024, AS_OF)
    kinds = Counter(p.employment_status for p in people)
    assert kinds["employed"] and kinds["retired"] and kinds["unemployed"]
    last_period = "2026-05"
    transfers = gaps = 0
    for p in people:
        pension = [c for c in p.contributions if c["type_code"] == "110"]
        periods = [c["period"] for c in pension]
        assert periods == sorted(periods) and periods[-1] <= last_period
        years = int(periods[-1][:4]) - int(periods[0][:4])
        assert 8 <= years <= 31, (years, p.employment_status)
        transfers += len({c["region"] for c in pension}) > 1
        months = [int(x[:4]) * 12 + int(x[5:]) for x in periods]
        gaps += any(b - a > 1 for a, b in zip(months, months[1:], strict=False))
        for prev, cur in zip(pension, pension[1:], strict=False):
            same_job = prev["unit_code"] == cur["unit_code"]
            if same_job and cur["base"] != prev["base"]:
                assert cur["period"].endswith("-07"), "bases change each July"
            assert cur["personal_amount"] == (cur["base"] * 8 / 100).quantize(cur["personal_amount"])
        if p.employment_status == "retired":
            assert p.benefits and {b["kind"] for b in p.benefits} == {"pension"}
            assert all(e["status"] in ("terminated", "active") for e in p.enrolments)
        elif p.employment_status == "unemployed":
            assert p.benefits and {b["kind"] for b in p.benefits} == {"unemployment"}
            assert periods[-1] < last_period
        else:
            assert not p.benefits
    assert transfers >= 5 and gaps >= 3


def test_seed_and_create_terminal_cli(tmp_path: Path) -> None:
    env_args = ["--data-dir", str(tmp_path)]
    out = subprocess.run(
        [sys.executable, "-m", "server", "seed", "--persons", "4", "--seed", "9", "--json", *env_args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    people = json.loads(out.stdout)
    main = generate_people(4, 9)
    # Seeded in this order: the people, then the household members who hold a card (demo_household).
    expected = main + [m for p in main for m in p.household if m.cards]
    assert [(p["ssn"], p["name"], p["card_number"], p["pin"]) for p in people] == [
        (p.ssn, p.name, p.current_card["card_number"], p.pin) for p in expected
    ]
    assert set(people[0]["card"]) == {
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
    assert (tmp_path / "renshe.db").exists()
    again = subprocess.run(
        [sys.executable, "-m", "server", "seed", *env_args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 1 and "already" in again.stderr
    term = subprocess.run(
        [sys.executable, "-m", "server", "create-terminal", "KS-01", "--region", "320583", *env_args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert term.returncode == 0, term.stderr
    code = term.stdout.strip()
    assert len(code) == 10 and not set(code) & set("01OIL")
    bad = subprocess.run(
        [sys.executable, "-m", "server", "create-terminal", "bad id!", *env_args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2

"""The command-line contracts of docs/commands.md, run as a user would run them (--demo)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from common.ssn import is_valid_ssn
from drivers.printer.decode import decode_escpos
from server.demo_basics import demo_pin

REPO = Path(__file__).resolve().parents[2]
DEMO_SEED = 2024  # cli.demo_world's seed: the demo residents' PINs derive from it
CARD_KEYS = {
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


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("demo")


def main_py(*args: str, data_dir: Path, stdin: str = "", extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, **(extra_env or {}))
    env.pop("DISPLAY", None)
    return subprocess.run(
        [sys.executable, str(REPO / "main.py"), "--demo", "--data-dir", str(data_dir), *args],
        cwd=REPO,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_doctor_json_reports_every_device(demo_dir):
    completed = main_py("doctor", "--json", data_dir=demo_dir)
    report = json.loads(completed.stdout)
    names = [check["name"] for check in report["checks"]]
    assert any("card reader" in name for name in names)
    assert any("printer" in name for name in names)
    assert any("server" in name for name in names)
    assert report["ok"] is True, report
    assert completed.returncode == 0


def test_doctor_names_a_bad_config_key(demo_dir, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[printer]\npaper_width_dots = 500\n", encoding="utf-8")
    completed = main_py("--config", str(bad), "doctor", data_dir=demo_dir)
    assert completed.returncode == 1
    assert "printer.paper_width_dots = 500" in completed.stdout + completed.stderr


def test_card_read_json_contract(demo_dir):
    completed = main_py("card", "read", "--json", data_dir=demo_dir)
    assert completed.returncode == 0, completed.stderr
    card = json.loads(completed.stdout)
    assert set(card) == CARD_KEYS
    assert is_valid_ssn(card["ssn"])
    assert len(card["card_id"]) == 32 and card["card_id"] == card["card_id"].upper()
    assert card["gender"] in ("1", "2")
    assert len(card["birth_date"]) == 10 and card["birth_date"][4] == "-"


_PEOPLE: dict[str, list[dict]] = {}


def _demo_people(demo_dir) -> list[dict]:
    """The demo residents (with their PINs) as `server seed --json` lists them (seeded once per dir)."""
    if str(demo_dir) in _PEOPLE:
        return _PEOPLE[str(demo_dir)]
    _PEOPLE[str(demo_dir)] = json.loads(
        subprocess.run(
            [
                sys.executable,
                "-m",
                "server",
                "seed",
                "--json",
                "--persons",
                "12",
                "--seed",
                "2024",
                "--database-url",
                f"sqlite:///{demo_dir}/seed-check.db",
                "--data-dir",
                str(demo_dir / "seed-check"),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
    )
    return _PEOPLE[str(demo_dir)]


def test_card_verify_pin_contract(demo_dir):
    people = _demo_people(demo_dir)
    good = main_py("card", "verify-pin", "--json", data_dir=demo_dir, stdin=people[0]["pin"] + "\n")
    assert json.loads(good.stdout) == {"ok": True, "tries_left": None, "blocked": False}, good.stderr
    wrong_pin = "000000" if people[0]["pin"] != "000000" else "111111"
    bad = main_py("card", "verify-pin", "--json", data_dir=demo_dir, stdin=wrong_pin + "\n")
    answer = json.loads(bad.stdout)
    assert answer["ok"] is False and answer["blocked"] is False and answer["tries_left"] >= 1


def test_card_change_pin_contract(demo_dir):
    """`card change-pin --demo`: old PIN then new PIN on stdin, the VERIFY-like object on stdout."""
    old = _demo_people(demo_dir)[0]["pin"]
    new = "802731" if old != "802731" else "913842"
    good = main_py("card", "change-pin", "--json", data_dir=demo_dir, stdin=f"{old}\n{new}\n")
    assert good.returncode == 0 and json.loads(good.stdout) == {"ok": True, "tries_left": None, "blocked": False}
    wrong_old = "000000" if old != "000000" else "111111"
    bad = main_py("card", "change-pin", "--json", data_dir=demo_dir, stdin=f"{wrong_old}\n{new}\n")
    answer = json.loads(bad.stdout)
    assert bad.returncode == 3 and answer["ok"] is False and answer["blocked"] is False and answer["tries_left"] >= 1
    trivial = main_py("card", "change-pin", "--json", data_dir=demo_dir, stdin=f"{old}\n123456\n")
    assert trivial.returncode == 1 and trivial.stdout == "" and "too easy" in trivial.stderr


def _demo_ssn(demo_dir) -> str:
    return json.loads(main_py("card", "read", "--json", data_dir=demo_dir).stdout)["ssn"]


def test_print_certificate_writes_printer_bytes_and_preview(demo_dir, tmp_path):
    ssn = _demo_ssn(demo_dir)
    out, preview = tmp_path / "cert.bin", tmp_path / "cert.png"
    completed = main_py(
        "print",
        "certificate",
        "--ssn",
        ssn,
        "--kind",
        "payment",
        "--from",
        "2024-01",
        "--to",
        "2024-12",
        "--out",
        str(out),
        "--preview",
        str(preview),
        data_dir=demo_dir,
        stdin=demo_pin(DEMO_SEED, ssn) + "\n",
    )
    assert completed.returncode == 0, completed.stderr
    decoded = decode_escpos(out.read_bytes())
    assert any("缴费" in line for line in decoded.lines)
    assert decoded.qr_payloads and "/verify/" in decoded.qr_payloads[0]
    assert preview.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_print_certificate_refuses_bad_ssn(demo_dir, tmp_path):
    completed = main_py(
        "print", "certificate", "--ssn", "123", "--kind", "insured", "--out", str(tmp_path / "x.bin"), data_dir=demo_dir
    )
    assert completed.returncode == 2
    assert "invalid SSN" in completed.stderr


def test_print_certificate_needs_the_pin_on_the_card(demo_dir, tmp_path):
    """The command opens its session with the card's proof: without the right PIN, nothing is issued."""
    ssn = _demo_ssn(demo_dir)
    out = tmp_path / "cert.bin"
    args = ("print", "certificate", "--ssn", ssn, "--kind", "insured", "--out", str(out))
    no_pin = main_py(*args, data_dir=demo_dir)
    assert no_pin.returncode == 2 and "PIN" in no_pin.stderr
    right = demo_pin(DEMO_SEED, ssn)
    wrong = main_py(*args, data_dir=demo_dir, stdin=("000000" if right != "000000" else "111111") + "\n")
    assert wrong.returncode == 3, wrong.stderr
    assert "wrong PIN" in wrong.stderr and right not in wrong.stderr + wrong.stdout
    assert not out.exists()

"""``python main.py qr-login IMAGE [--json]`` run as a user would run it (--demo): a 电子社保卡 code
minted by ``python -m server mint-esscard`` for a demo resident, photographed on a phone held at
an angle, signs in once; the same code again, a code never issued, an image without a code, another
kind of QR code and a file that is no image are each refused with their reason."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from common.esscard import new_code
from common.ssn import make_ssn, mask_name, mask_ssn
from tests.cli.test_commands import REPO, main_py
from tests.drivers.camera.test_qr import in_frame, phone_with_code


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("qr-demo")


@pytest.fixture(scope="module")
def resident(demo_dir: Path) -> dict:
    """The first demo resident (their card is what `card read` finds); also creates the demo database."""
    completed = main_py("card", "read", "--json", data_dir=demo_dir)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def photo_of(code: str, path: Path) -> Path:
    """A camera frame of a phone showing ``code``, turned and tilted, saved as PNG."""
    if not cv2.imwrite(str(path), in_frame(phone_with_code(code), roll_deg=-20, height=0.7, tilt=0.2, noise=5)):
        pytest.fail("cannot write the test image")
    return path


def mint(demo_dir: Path, ssn: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server", "mint-esscard", ssn, "--data-dir", str(demo_dir / "server")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def qr_login(demo_dir: Path, image: Path) -> tuple[subprocess.CompletedProcess, dict]:
    completed = main_py("qr-login", str(image), "--json", data_dir=demo_dir)
    return completed, json.loads(completed.stdout)


def test_a_minted_code_signs_in_once(demo_dir: Path, resident: dict, tmp_path: Path) -> None:
    minted = mint(demo_dir, resident["ssn"])
    assert minted.returncode == 0, minted.stderr
    code = minted.stdout.strip()
    image = photo_of(code, tmp_path / "phone.png")

    completed, answer = qr_login(demo_dir, image)
    assert completed.returncode == 0, completed.stderr
    assert answer == {"ok": True, "name": mask_name(resident["name"]), "ssn": mask_ssn(resident["ssn"]), "reason": None}
    assert code not in completed.stdout + completed.stderr  # a credential is never printed

    completed, answer = qr_login(demo_dir, image)
    assert completed.returncode == 1
    assert answer == {"ok": False, "name": None, "ssn": None, "reason": "esscard_code_used"}
    assert "已使用" in completed.stderr and "already been used" in completed.stderr


def test_a_code_never_issued_is_unknown(demo_dir: Path, resident: dict, tmp_path: Path) -> None:
    completed, answer = qr_login(demo_dir, photo_of(new_code(), tmp_path / "forged.png"))
    assert completed.returncode == 1 and answer["reason"] == "esscard_code_unknown"


def test_mint_refuses_an_invalid_or_unknown_ssn(demo_dir: Path, resident: dict) -> None:
    invalid = mint(demo_dir, "123")
    assert invalid.returncode == 1 and "社会保障号码格式不正确" in invalid.stderr and invalid.stdout == ""
    unknown = mint(demo_dir, make_ssn("110101", dt.date(1950, 1, 1), 991))
    assert unknown.returncode == 1 and "no insured person" in unknown.stderr and unknown.stdout == ""


def test_images_refused_on_the_terminal(demo_dir: Path, tmp_path: Path) -> None:
    """Refused before any gateway is asked (these need no demo world)."""
    not_an_image = tmp_path / "note.png"
    not_an_image.write_text("not a picture", encoding="utf-8")
    completed, answer = qr_login(demo_dir, not_an_image)
    assert completed.returncode == 2 and answer["reason"] == "bad_image"
    assert "无法读取" in completed.stderr

    empty = tmp_path / "wall.png"
    cv2.imwrite(str(empty), in_frame(phone_with_code("x")[:40, :40]))  # a bit of phone, no code
    completed, answer = qr_login(demo_dir, empty)
    assert completed.returncode == 1 and answer == {"ok": False, "name": None, "ssn": None, "reason": "no_qr_code"}

    payment = photo_of("https://pay.example.test/q/8a7f", tmp_path / "payment.png")
    completed, answer = qr_login(demo_dir, payment)
    assert completed.returncode == 1 and answer["reason"] == "not_esscard_code"
    assert "不是电子社保卡二维码" in completed.stderr

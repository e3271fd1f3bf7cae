"""Server-side verification: compare, the face-compare CLI, verify_capture and the daily lock."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from server.face.cli import main as face_compare
from server.face.router import FaceAttemptLimiter, FaceLocked, verify_capture
from server.face.verifier import FaceImageError, FaceVerifier, compare


def test_compare_same_and_different(faces_dir: Path) -> None:
    same = compare((faces_dir / "img2.jpg").read_bytes(), (faces_dir / "img7.jpg").read_bytes())
    assert same["match"] is True and isinstance(same["score"], float)
    other = compare((faces_dir / "img2.jpg").read_bytes(), (faces_dir / "img20.jpg").read_bytes())
    assert other["match"] is False and other["score"] < same["score"]
    strict = compare((faces_dir / "img2.jpg").read_bytes(), (faces_dir / "img7.jpg").read_bytes(), threshold=0.99)
    assert strict["match"] is False


def test_cli_json(faces_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert face_compare([str(faces_dir / "fr_kit_1.jpg"), str(faces_dir / "fr_kit_2.jpg"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"match", "score"} and out["match"] is True
    assert face_compare([str(faces_dir / "fr_kit_1.jpg"), str(faces_dir / "fr_rose_1.jpg")]) == 0
    assert "no match" in capsys.readouterr().out


def test_cli_errors(faces_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((200, 200, 3), 200, np.uint8))
    assert face_compare([str(blank), str(faces_dir / "img2.jpg"), "--json"]) == 2
    assert "no_face" in capsys.readouterr().err
    assert face_compare([str(tmp_path / "missing.jpg"), str(faces_dir / "img2.jpg")]) == 2
    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(b"not an image")
    with pytest.raises(FaceImageError) as info:
        FaceVerifier().embed(garbage.read_bytes())
    assert info.value.message_key == "face.bad_image"


def test_verify_capture_rules(faces_dir: Path, verifier: FaceVerifier) -> None:
    photo = (faces_dir / "fr_obama_1.jpg").read_bytes()
    same = [(faces_dir / n).read_bytes() for n in ("fr_obama_2.jpg", "fr_obama_3.jpg")]
    ok = verify_capture(photo, same, verifier=verifier)
    assert ok.match and ok.frames_used == 2 and len(ok.scores) == 2
    swapped = verify_capture(photo, [same[0], (faces_dir / "fr_biden_1.jpg").read_bytes()], verifier=verifier)
    assert not swapped.match and swapped.reason == "inconsistent_capture"
    blank = cv2.imencode(".jpg", np.full((100, 100, 3), 90, np.uint8))[1].tobytes()
    assert verify_capture(photo, [blank], verifier=verifier).reason == "no_face_in_capture"
    assert verify_capture(blank, same, verifier=verifier).reason == "no_face_in_photo"
    assert verify_capture(photo, same, verifier=verifier).to_json()["match"] is True


def test_five_failures_lock_for_the_day() -> None:
    day = [dt.date(2026, 11, 24)]
    limiter = FaceAttemptLimiter(today=lambda: day[0])
    ssn = "110101199003074514"
    assert limiter.record(ssn, matched=True) == 5
    for left in (4, 3, 2, 1, 0):
        limiter.check(ssn)
        assert limiter.record(ssn, matched=False) == left
    with pytest.raises(FaceLocked) as info:
        limiter.check(ssn)
    assert ssn not in str(info.value)  # masked in the error text
    assert limiter.remaining("110101199003070000") == 5
    day[0] = dt.date(2026, 11, 25)
    limiter.check(ssn)
    assert limiter.failures(ssn) == 0


def test_concurrent_requests_agree(faces_dir: Path) -> None:
    """FastAPI runs sync endpoints on a thread pool: parallel verifications must not interfere."""
    from concurrent.futures import ThreadPoolExecutor

    verifier = FaceVerifier()
    images = [(faces_dir / n).read_bytes() for n in ("img2.jpg", "img5.jpg", "img20.jpg", "img21.jpg")]
    expected = [verifier.compare(images[i], images[(i + 1) % 4]).score for i in range(4)]
    verifier.clear_cache()
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda i: verifier.compare(images[i], images[(i + 1) % 4]).score, range(4)))
    assert got == pytest.approx(expected, abs=1e-5)

"""`python main.py face check IMAGE [--json]` through cli.face_cmd."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from cli.face_cmd import add_face_parser, run_face_check
from drivers.camera.quality import FrameAnalyzer


def test_json_good_and_two_people(faces_dir: Path, analyzer: FrameAnalyzer, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_face_check(faces_dir / "img20.jpg", as_json=True, analyzer=analyzer) == 0
    assert json.loads(capsys.readouterr().out) == {"faces": 1, "ok": True, "reasons": []}
    assert run_face_check(faces_dir / "fr_two_people.jpg", as_json=True, analyzer=analyzer) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["faces"] == 2 and out["ok"] is False and "multiple_faces" in out["reasons"]


def test_text_and_bad_image(
    tmp_path: Path, faces_dir: Path, analyzer: FrameAnalyzer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_face_check(faces_dir / "fr_kit_2.jpg", analyzer=analyzer) == 1
    assert "not_frontal: 请正对屏幕" in capsys.readouterr().out
    assert run_face_check(tmp_path / "missing.jpg", as_json=True) == 2
    assert json.loads(capsys.readouterr().out)["reasons"] == ["bad_image"]


def test_parser(faces_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="main.py")
    add_face_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["face", "check", str(faces_dir / "img20.jpg"), "--json"])
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True

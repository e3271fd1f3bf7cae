"""``python main.py face check IMAGE [--json]``: the terminal's face detection and gates on an image.

Prints ``{"faces": n, "ok": bool, "reasons": [...]}`` (docs/commands.md) with --json, else one line
per reason with its 简体 instruction. Exit codes: 0 the image passes every gate, 1 it does not,
2 the image cannot be read.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # OpenCV and dlib load when the command runs, not with every command's parser
    from drivers.camera.quality import FrameAnalyzer

logger = logging.getLogger(__name__)


def add_face_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``face check IMAGE [--json]``; the parsed namespace's ``func(args)`` runs it."""
    face = subparsers.add_parser("face", help="face capture tools")
    actions = face.add_subparsers(dest="face_command", required=True)
    check = actions.add_parser("check", help="run face detection and quality gates on an image")
    check.add_argument("image", type=Path)
    check.add_argument("--json", action="store_true", dest="as_json")
    check.set_defaults(func=lambda args: run_face_check(args.image, args.as_json))
    return face


def run_face_check(image_path: str | Path, as_json: bool = False, analyzer: FrameAnalyzer | None = None) -> int:
    """Analyse one image file; prints the result; returns the exit code."""
    import cv2

    from drivers.camera.quality import FrameAnalyzer
    from kiosk.face_quality import QualityIssue

    frame = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
    if frame is None:
        message = f"cannot read image {image_path}"
        if as_json:
            print(json.dumps({"faces": 0, "ok": False, "reasons": ["bad_image"], "error": message}))
        else:
            print(f"face check: {message}", file=sys.stderr)
        return 2
    analysis = (analyzer or FrameAnalyzer()).analyze(frame)
    result = analysis.quality
    if as_json:
        print(json.dumps({"faces": analysis.metrics.faces, "ok": result.ok, "reasons": result.reasons}))
    else:
        print(f"faces: {analysis.metrics.faces}  {'ok' if result.ok else 'not ok'}")
        for issue in result.issues:
            print(f"  {issue.value}: {QualityIssue(issue).instruction_zh}")
    return 0 if result.ok else 1

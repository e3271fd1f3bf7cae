"""``python -m server face-compare IMAGE_A IMAGE_B [--json] [--threshold T]``.

Prints ``{"match": bool, "score": float}`` with --json, a line of text otherwise. Exit codes:
0 compared (match or not), 2 an image unreadable or without a face (message on stderr).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from server.face.verifier import DEFAULT_THRESHOLD, FaceImageError, default_verifier

logger = logging.getLogger(__name__)


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """Arguments of face-compare; pass a sub-parser to mount it under ``python -m server``."""
    parser = parser or argparse.ArgumentParser(prog="python -m server face-compare")
    parser.add_argument("image_a", type=Path)
    parser.add_argument("image_b", type=Path)
    parser.add_argument("--json", action="store_true", dest="as_json")
    parser.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f"minimum score for a match (default {DEFAULT_THRESHOLD})",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Run an already-parsed face-compare."""
    try:
        a, b = args.image_a.read_bytes(), args.image_b.read_bytes()
    except OSError as exc:
        print(f"face-compare: cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        result = default_verifier().compare(a, b, args.threshold)
    except FaceImageError as exc:
        print(f"face-compare: {exc.code}: {exc}", file=sys.stderr)
        return 2
    if args.as_json:
        print(json.dumps(result.to_json()))
    else:
        print(f"{'match' if result.match else 'no match'} (score {result.score:.3f}, threshold {args.threshold})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))

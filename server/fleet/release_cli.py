"""``python -m server publish-release ARTEFACT --version V [--notes TEXT]``: store a release.

The artefact (``scripts/build-release.sh`` makes one) goes into the database with its sha256 and
size, so every gateway of the fleet serves it; the manifest is signed with the fleet key when a
terminal asks for it. Publishing offers it to nobody: staff roll it out in the console
(软件更新). Takes ``--database-url`` / ``--data-dir`` like the other server commands.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from server.fleet import releases
from server.fleet.cli import _common, _sessions

logger = logging.getLogger(__name__)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m server publish-release")
    parser.add_argument("artefact", type=Path, help="the release's .tar.gz (scripts/build-release.sh)")
    parser.add_argument("--version", required=True, help="its version (letters, digits, . _ + -; at most 32)")
    parser.add_argument("--notes", default="", help="release notes shown to staff and signed in the manifest")
    _common(parser)
    args = parser.parse_args(list(argv))
    try:
        data = args.artefact.read_bytes()
    except OSError as exc:
        print(f"cannot read {args.artefact}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        with _sessions(args).begin() as db:
            row = releases.publish(db, args.version, data, args.notes, actor="cli")
            sha256, size = row.sha256, row.size
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"release {args.version} published: {size} bytes, sha256 {sha256}")
    return 0

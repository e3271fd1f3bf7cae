#!/usr/bin/env python3
"""Write the table of the tour's screens into docs/screens.md from a tour run's ``tour.json``.

    .venv/bin/python main.py --demo --script tour --output /tmp/tour
    .venv/bin/python scripts/tour_screens.py /tmp/tour/tour.json   # rewrites the block in docs/screens.md

The block (demo.tour_index.BEGIN … END) lists per service the tour's screen names and PNG counts;
the rest of the document is written by hand. Exit codes: 0 written, 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo.tour_index import with_table

logger = logging.getLogger(__name__)
DOC = Path(__file__).resolve().parents[1] / "docs" / "screens.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tour_json", type=Path, help="tour.json of a tour run (main.py --demo --script tour)")
    parser.add_argument("--doc", type=Path, default=DOC, help="the document to update (default docs/screens.md)")
    args = parser.parse_args(argv)
    if not args.tour_json.is_file() or not args.doc.is_file():
        print(f"no such file: {args.tour_json if not args.tour_json.is_file() else args.doc}", file=sys.stderr)
        return 2
    entries = json.loads(args.tour_json.read_text(encoding="utf-8"))
    args.doc.write_text(with_table(args.doc.read_text(encoding="utf-8"), entries), encoding="utf-8")
    print(f"{args.doc}: the table of {len(entries)} tour screens written")
    return 0


if __name__ == "__main__":
    sys.exit(main())

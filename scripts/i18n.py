#!/usr/bin/env python3
"""The kiosk's message catalogue commands (Babel): extract → update → compile, and check.

    .venv/bin/python scripts/i18n.py extract   # keys named in the code (babel.cfg) → kiosk/locale/kiosk.pot
    .venv/bin/python scripts/i18n.py update    # kiosk.pot → every kiosk.po (new keys get an empty text)
    .venv/bin/python scripts/i18n.py compile   # every kiosk.po → kiosk.mo (only those missing, stale or changed)
    .venv/bin/python scripts/i18n.py all       # the three in order
    .venv/bin/python scripts/i18n.py check     # exit 1 if a text is missing or a .mo is not current

scripts/setup.sh runs ``compile``. Exit codes: 0 done, 1 ``check`` found problems (or a
language has empty texts after ``update``: translate them), 2 bad usage. See docs/i18n.md.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk.i18n import DEFAULT_LANGUAGE, LANGUAGES, LOCALE_DIR, po_path
from kiosk.i18n_build import (
    check_compiled,
    compile_catalogues,
    extract_keys,
    merge_template,
    placeholders,
    read_catalogue,
    reference_texts,
    template_path,
    update_catalogues,
    write_catalogue,
)

logger = logging.getLogger("i18n")


def extract(verbose: bool) -> int:
    template = read_catalogue(template_path())
    merged, added, unseen = merge_template(template, extract_keys())
    changed = write_catalogue(template_path(), merged, reference_texts())
    print(f"extract: {len(merged)} keys, {len(added)} new{': ' + ', '.join(added) if added else ''}")
    print(f"extract: {len(unseen)} keys are built at run time (not named literally in the code)")
    if verbose:
        for key in unseen:
            print(f"  {key}")
    print(f"extract: {template_path()} {'written' if changed else 'unchanged'}")
    return 0


def update() -> int:
    for po in update_catalogues():
        print(f"update: {po} written")
    empty = problems_in_texts()
    for problem in empty:
        print(f"update: {problem}", file=sys.stderr)
    return 1 if empty else 0


def compile_all() -> int:
    written = compile_catalogues()
    for mo in written:
        print(f"compile: {mo} written")
    if not written:
        print("compile: every kiosk.mo is current")
    return 0


def problems_in_texts() -> list[str]:
    """Empty texts and placeholder mismatches against 简体, in every language."""
    problems: list[str] = []
    reference = reference_texts()
    keys = {m.id for m in read_catalogue(template_path()) if m.id}
    for lang in LANGUAGES:
        texts = {m.id: m.string for m in read_catalogue(po_path(lang)) if m.id}
        for key in sorted(keys):
            text = texts.get(key)
            if not text:
                problems.append(f"{lang}: {key} has no text")
                continue
            try:
                if lang != DEFAULT_LANGUAGE and placeholders(text) != placeholders(reference.get(key, "")):
                    problems.append(f"{lang}: {key} has other placeholders than {DEFAULT_LANGUAGE}")
            except ValueError as exc:
                problems.append(f"{lang}: {key}: {exc}")
    return problems


def check() -> int:
    problems = problems_in_texts() + check_compiled()
    for problem in problems:
        print(f"check: {problem}", file=sys.stderr)
    if not problems:
        print(f"check: {len(LANGUAGES)} catalogues complete and compiled ({LOCALE_DIR})")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("extract", "update", "compile", "all", "check"))
    parser.add_argument("-v", "--verbose", action="store_true", help="list the keys built at run time")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "extract":
        return extract(args.verbose)
    if args.command == "update":
        return update()
    if args.command == "compile":
        return compile_all()
    if args.command == "check":
        return check()
    extract(args.verbose)
    rc = update()
    compile_all()
    return rc


if __name__ == "__main__":
    sys.exit(main())

"""Write docs/configuration.md, the configuration reference, from config/default.toml's comments.

config/default.toml documents every key where it is set; this renders it as one table per
section, so the reference in docs/ can never say something else (tests/test_config_reference.py
checks that the committed file is what this script writes).

Usage: .venv/bin/python scripts/config_reference.py [--check]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "config" / "default.toml"
TARGET = REPO / "docs" / "configuration.md"
SECTION = re.compile(r"^\[([a-z_.]+)\]\s*$")
KEY = re.compile(r"^([a-z_]+)\s*=\s*(.+?)\s*$")

HEADER = """# Configuration reference

Written by `scripts/config_reference.py` from the comments of `config/default.toml`, which sets
every key; edit the comments there, not this file.

Layers, later wins: `config/default.toml` → a local file (`--config FILE` or `KIOSK_CONFIG`) → the
signed bundle last fetched from the fleet manager → command-line flags (`--set section.key=value`).
An invalid value is refused at start with a message naming the key, the value and what was expected.
The fleet manager's bundle may set only `services`, `session`, `terminal.language`, `ui.font_scale`,
`ui.elder_mode_default`, `announcements` and `voice` (`common.config.REMOTE_KEYS`); endpoints and devices are local only.
"""


def render(toml_text: str) -> str:
    """The Markdown reference: per section, rows of (keys, default, what the comment above says).
    Keys that follow one another under one comment share its row."""
    out = [HEADER]
    comment: list[str] = []
    rows: list[tuple[list[str], list[str], str]] = []
    section = ""

    def flush_section() -> None:
        if section and rows:
            out.append(f"\n## [{section}]\n\n| key | default | meaning |\n| --- | --- | --- |")
            for keys, values, meaning in rows:
                names = ", ".join(f"`{key}`" for key in keys)
                defaults = ", ".join(f"`{value}`" for value in values)
                out.append(f"| {names} | {defaults} | {meaning} |")
        rows.clear()

    for raw in toml_text.splitlines():
        line = raw.strip()
        if match := SECTION.match(line):
            flush_section()
            section, comment = match.group(1), []
        elif line.startswith("#"):
            comment.append(line.lstrip("#").strip())
        elif not line:
            comment = []
        elif (match := KEY.match(line)) and section:
            key, value = match.groups()
            meaning = " ".join(text for text in comment if text).replace("|", "\\|")
            if not comment and rows:
                rows[-1][0].append(key)
                rows[-1][1].append(value.replace("|", "\\|"))
            else:
                rows.append(([key], [value.replace("|", "\\|")], meaning))
            comment = []
    flush_section()
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/configuration.md is out of date")
    args = parser.parse_args()
    text = render(SOURCE.read_text(encoding="utf-8"))
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is out of date: run scripts/config_reference.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The tour's screens as docs/screens.md lists them: a table derived from a run's ``tour.json``.

docs/screens.md says in words what every screen is; between its BEGIN and END lines it holds a table
that nobody writes by hand: per service (``session`` for the attract, PIN, menu and remove-card
screens) the tour's screen names and how many PNGs the tour took of them, with the tour's total.
``scripts/tour_screens.py`` rewrites that block from a ``tour.json``; tests/ui/test_tour.py fails when
a screen of a tour run is missing from it, so the document cannot fall behind the tour.

Pure Python (no Kivy): the script and the tests import it without a display.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any

logger = logging.getLogger(__name__)

BEGIN = "<!-- tour-table:begin - written by scripts/tour_screens.py from a tour.json; do not edit -->"
END = "<!-- tour-table:end -->"
SESSION = "session"  # tour.json's service null: the screens around the services
_ROW = re.compile(r"^\| `([^`]+)` \| (.*?) \|", re.MULTILINE)


def _service(entry: dict[str, Any]) -> str:
    return entry["service"] or SESSION


def screens_by_service(entries: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each service's screen names in the order the tour first met them, services likewise."""
    found: dict[str, list[str]] = {}
    for entry in entries:
        names = found.setdefault(_service(entry), [])
        if entry["screen"] not in names:
            names.append(entry["screen"])
    return found


def table(entries: list[dict[str, Any]]) -> str:
    """The block for docs/screens.md (BEGIN … END) listing the screens of ``entries``."""
    counts = Counter(_service(entry) for entry in entries)
    passes = len({(entry["language"], entry["mode"]) for entry in entries})
    lines = [
        BEGIN,
        "",
        f"The tour takes **{len(entries)} screens** in {passes} passes (languages × display modes).",
        "",
        "| service | tour screen names | PNGs |",
        "|---|---|---|",
    ]
    for service, names in screens_by_service(entries).items():
        lines.append(f"| `{service}` | {', '.join(f'`{name}`' for name in names)} | {counts[service]} |")
    return "\n".join([*lines, "", END])


def _block(doc: str) -> str:
    start, end = doc.find(BEGIN), doc.find(END)
    if start < 0 or end < start:
        return ""
    return doc[start:end]


def undocumented(entries: list[dict[str, Any]], doc: str) -> list[tuple[str, str]]:
    """The (service, screen) pairs of ``entries`` that the table in ``doc`` does not list."""
    listed = {(service, name) for service, cell in _ROW.findall(_block(doc)) for name in re.findall(r"`([^`]+)`", cell)}
    return [
        (service, name)
        for service, names in screens_by_service(entries).items()
        for name in names
        if (service, name) not in listed
    ]


def with_table(doc: str, entries: list[dict[str, Any]]) -> str:
    """``doc`` with its table block replaced by one of ``entries`` (appended when it has none)."""
    start, end = doc.find(BEGIN), doc.find(END)
    if start < 0 or end < start:
        return doc.rstrip("\n") + "\n\n" + table(entries) + "\n"
    return doc[:start] + table(entries) + doc[end + len(END) :]

"""A scan of every log line of the test run for personal data: unmasked 社会保障号码, names, card numbers.

Why: the rule "never log a full SSN, name or card number" is only as good as the code paths the
tests reach; a leak in an error path (a failed statement with its parameters, a traceback with a
resident in it) shows up only when the whole suite's logging is watched. ``tests/conftest.py``
installs one ``LogScan`` for the session and fails the run, loudly, when it found anything.

What counts as a leak in a record (its message, its ``extra=`` fields and its formatted traceback):
- any number of GB 11643 form with a valid check character (whoever's it is);
- the name or a card number of a person ``server.demo_data`` generated during the run (recorded by
  wrapping its per-person builder, so every seed any test uses is covered).
Findings are kept masked: the report must not itself print what it found.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from common.ssn import is_valid_ssn, mask_name, mask_ssn

logger = logging.getLogger(__name__)

SSN_RE = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
CARD_RE = re.compile(r"(?<![0-9A-Za-z])[A-Z]\d{8}(?![0-9A-Za-z])")
CJK_RUN_RE = re.compile(r"[\u3400-\u9fff]{2,}")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
# Loggers of the project's own packages: scanned at DEBUG (their debug lines must be clean too).
PROJECT_LOGGERS = ("kiosk", "server", "common", "drivers", "cli", "screens", "main")


@dataclass
class Finding:
    """One leak: which logger, where, what kind and the value masked."""

    logger: str
    where: str
    kind: str
    masked: str

    def __str__(self) -> str:
        return f"{self.logger} ({self.where}): unmasked {self.kind} {self.masked}"


@dataclass
class LogScan:
    """Watches every record handed to handlers (``Logger.callHandlers``) and keeps the leaks."""

    names: set[str] = field(default_factory=set)
    cards: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    records: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _undo: list[Callable[[], None]] = field(default_factory=list)

    # ------------------------------------------------------------------ the generated people
    def remember(self, person: Any) -> None:
        """Record a generated person's name and card numbers (their SSN is caught by its form)."""
        with self._lock:
            self.names.add(person.name)
            self.cards.update(card["card_number"] for card in person.cards)

    def watch_generator(self) -> None:
        """Wrap ``server.demo_data._person`` (looked up by name at each call, so every caller sees it)."""
        from server import demo_data

        original = demo_data._person

        def recording(*args: Any, **kwargs: Any) -> Any:
            person = original(*args, **kwargs)
            self.remember(person)
            return person

        demo_data._person = recording
        self._undo.append(lambda: setattr(demo_data, "_person", original))

    # ------------------------------------------------------------------ the log records
    def install(self) -> None:
        """Scan every record from now on; raise the root logger to INFO and ours to DEBUG."""
        original = logging.Logger.callHandlers
        scan = self

        def call_handlers(this: logging.Logger, record: logging.LogRecord) -> None:
            scan.check(record)
            original(this, record)

        logging.Logger.callHandlers = call_handlers  # type: ignore[method-assign]
        self._undo.append(lambda: setattr(logging.Logger, "callHandlers", original))
        self.ensure_levels()

    @staticmethod
    def ensure_levels() -> None:
        """INFO on the root (what a deployment writes), DEBUG for the project's loggers. Called
        before each test too: code under test may configure logging (server.logs) and raise it."""
        root = logging.getLogger()
        if root.level == logging.NOTSET or root.level > logging.INFO:
            root.setLevel(logging.INFO)
        for name in PROJECT_LOGGERS:
            logging.getLogger(name).setLevel(logging.DEBUG)

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def text_of(self, record: logging.LogRecord) -> str:
        try:
            parts = [record.getMessage()]
        except Exception:  # a bad format string is the logging call's bug, not a leak
            parts = [str(record.msg), repr(record.args)]
        parts.extend(str(value) for key, value in vars(record).items() if key not in _STANDARD)
        if record.exc_info and record.exc_info[1] is not None:
            parts.append(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            parts.append(record.exc_text)
        return "\n".join(parts)

    def check(self, record: logging.LogRecord) -> None:
        text = self.text_of(record)
        found = self.leaks_in(text)
        with self._lock:
            self.records += 1
            where = f"{record.pathname}:{record.lineno}"
            self.findings.extend(Finding(record.name, where, kind, masked) for kind, masked in found)

    def leaks_in(self, text: str) -> list[tuple[str, str]]:
        """(kind, masked value) of every piece of personal data in ``text``."""
        out: list[tuple[str, str]] = []
        for match in SSN_RE.finditer(text):
            if is_valid_ssn(match.group(0)):
                out.append(("SSN", mask_ssn(match.group(0))))
        with self._lock:
            cards, names = self.cards, self.names
            for match in CARD_RE.finditer(text):
                if match.group(0) in cards:
                    out.append(("card number", mask_ssn(match.group(0))))
            for run in CJK_RUN_RE.finditer(text):
                chunk = run.group(0)
                for start in range(len(chunk) - 1):
                    for size in (2, 3, 4):
                        candidate = chunk[start : start + size]
                        if len(candidate) == size and candidate in names:
                            out.append(("name", mask_name(candidate)))
        return out

    def report(self) -> str:
        unique = sorted({str(f) for f in self.findings})
        return (
            f"personal data in {len(self.findings)} log record(s) of {self.records} scanned "
            "(tests/log_scan.py; values masked here):\n  " + "\n  ".join(unique[:50])
        )

    def take(self) -> list[Finding]:
        """The findings so far, cleared (the scanner's own test logs a leak on purpose)."""
        with self._lock:
            found, self.findings = self.findings, []
        return found

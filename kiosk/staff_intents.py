"""Staff commands as intents posted to the session core: they run only between residents.

The fleet agent's thread never touches the printer or the core: it posts a command here (through
the UI thread's ``post``) and gets its answer through ``reply(ok, text)``. Maintenance, test pages,
reprints and clearing the print queue run as soon as no resident is at the terminal; while one is,
they wait. A restart also waits for the resident and for the print service to finish its job; if
the resident is still there after ``restart_wait`` seconds, the session ends cleanly with a message
and the restart follows.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from kiosk.errors import KioskError
from kiosk.state import KioskState, Message, Screen

logger = logging.getLogger(__name__)

Reply = Callable[[bool, str], None]
PRINT_COMMANDS = frozenset({"print_test_page", "reprint_pending", "clear_print_queue"})
KINDS = frozenset({"maintenance_on", "maintenance_off", "restart_app", *PRINT_COMMANDS})
DEFAULT_RESTART_WAIT = 180.0
# What staff read in the console for each print command's result.
RESULT_TEXT = {
    "print_test_page": "{result}",
    "reprint_pending": "{result} jobs reprinted",
    "clear_print_queue": "{result} jobs removed",
}


class _Core(Protocol):
    state: KioskState

    @property
    def printing(self) -> Any: ...
    def is_idle(self) -> bool: ...
    def set_out_of_service(self, out: bool) -> None: ...
    def end_with_message(self, message: Message) -> None: ...


class StaffIntents:
    """The queue of staff intents of one kiosk; every method runs on the UI thread."""

    def __init__(self, core: _Core, clock: Callable[[], float], restart_wait: float = DEFAULT_RESTART_WAIT) -> None:
        self._core = core
        self._clock = clock
        self.restart_wait = restart_wait
        self._queue: deque[tuple[str, Reply]] = deque()
        self._restart_deadline: float | None = None
        self._restart_forced = False
        self.restart_handler: Callable[[], None] | None = None

    @property
    def restart_due(self) -> bool:
        """A restart is waiting: no new resident is taken."""
        return self._restart_deadline is not None

    def post(self, kind: str, reply: Reply) -> None:
        """Queue a staff command; it runs now if no resident is being served."""
        if kind not in KINDS:
            reply(False, f"unsupported command {kind}")
            return
        if kind == "restart_app":
            if self._restart_deadline is None:
                self._restart_deadline = self._clock() + self.restart_wait
                logger.info("restart requested; it waits for the current resident (at most %.0f s)", self.restart_wait)
            reply(True, "restarting when no resident is being served")
        else:
            self._queue.append((kind, reply))
        self.run_due()

    def run_due(self) -> None:
        """Run what may run now: everything queued when no resident is there, then a due restart."""
        while self._queue and self._core.is_idle():
            kind, reply = self._queue.popleft()
            self._run(kind, reply)
        self._restart_if_ready()

    def tick(self) -> None:
        """Once a second: a restart past its wait ends the resident's session cleanly."""
        if self._restart_deadline is None:
            return
        if not self._core.is_idle() and not self._restart_forced and self._clock() >= self._restart_deadline:
            logger.info("restart waited %.0f s for the resident: ending the session", self.restart_wait)
            self._restart_forced = True
            self._core.end_with_message(Message("terminal.restarting", is_error=True))
        self._restart_if_ready()

    def _restart_if_ready(self) -> None:
        if self._restart_deadline is None or not self._core.printing.idle:
            return
        # After a forced end the session is over once the message has given way to "take your card".
        ended = self._restart_forced and self._core.state.screen is Screen.REMOVE_CARD
        if not (self._core.is_idle() or ended):
            return
        self._restart_deadline = None
        logger.info("restarting now: no resident, no print job")
        if self.restart_handler is not None:
            self.restart_handler()

    def _run(self, kind: str, reply: Reply) -> None:
        logger.info("staff command %s", kind)
        if kind in ("maintenance_on", "maintenance_off"):
            on = kind == "maintenance_on"
            self._core.set_out_of_service(on)
            reply(True, "maintenance on" if on else "maintenance off")
            return

        def done(result: Any) -> None:
            reply(True, RESULT_TEXT[kind].format(result=result))

        def failed(exc: BaseException) -> None:
            text = f"{exc.message_key}: {exc.detail}" if isinstance(exc, KioskError) else f"{type(exc).__name__}: {exc}"
            reply(False, text[:500])

        self._core.printing.run_staff(kind, done, failed)

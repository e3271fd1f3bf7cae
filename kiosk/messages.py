"""What the resident is told about an error: one Message from any exception, in their language.

A refusal from the gateway carries the gateway's own words (中文 or English); a kiosk error its
message key (with what happens next, ``then_key``); anything else is a bug, logged with its
traceback, and the resident gets the generic words — never a stack trace or an HTTP status.
"""

from __future__ import annotations

import logging

from kiosk.errors import BackendRejected, KioskError
from kiosk.state import Message

logger = logging.getLogger(__name__)


def error_message(exc: BaseException, language: str, extra_key: str | None = None) -> Message:
    if isinstance(exc, BackendRejected):
        reason = exc.message_en if language == "en" else exc.message_zh
        return Message("backend.rejected", {"reason": reason or exc.code}, is_error=True)
    if isinstance(exc, KioskError):
        logger.warning("%s: %s", type(exc).__name__, exc.detail)
        params = {"then_key": extra_key} if extra_key else {}
        return Message(exc.message_key, params, is_error=True)
    logger.error("unexpected error", exc_info=exc)
    return Message("error.generic", is_error=True)


def idle_countdown(idle: float, limit: float, countdown: float) -> int | None:
    """None while the resident has been idle less than ``limit`` seconds; then the whole seconds
    left of the ``countdown`` that follows (0 or less: time is up)."""
    if idle < limit:
        return None
    return int(limit + countdown - idle + 0.999)

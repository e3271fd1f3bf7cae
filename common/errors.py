"""The typed errors of the shared modules: a message key for the resident and a detail for the log.

``KioskError`` is the base of every error the terminal turns into a message on screen
(``tr(error.message_key, lang)``); ``detail`` goes to logs and never holds personal data.
``ConfigError`` is raised by the configuration schema (``common.config``), which the fleet manager
uses too. ``kiosk.errors`` re-exports both beside the terminal's own errors.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


class KioskError(Exception):
    """Base of every error the flows turn into a message on screen."""

    message_key: str = "error.generic"

    def __init__(self, detail: str = "", *, message_key: str | None = None) -> None:
        super().__init__(detail or self.message_key)
        self.detail = detail
        if message_key:
            self.message_key = message_key


class ConfigError(KioskError):
    """Invalid configuration: names the key, the value and what was expected."""

    message_key = "config.invalid"

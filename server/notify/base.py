"""The notifier interface and the log notifier.

A ``Notifier`` sends one ``Notification`` or raises ``NotificationFailed`` (``retry``: whether a
later attempt may succeed). It is only ever called by the outbox sender, outside any request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from common.ssn import mask_phone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notification:
    """One message: its outbox id (the gateway's idempotency key for the SMS), to whom, and what."""

    id: int
    recipient: str
    text: str
    application_number: str

    def __repr__(self) -> str:  # no phone number in reprs: they end up in logs
        return f"Notification({self.id}, {mask_phone(self.recipient)})"


class NotificationFailed(Exception):
    def __init__(self, reason: str, retry: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


class Notifier(Protocol):
    name: str

    def send(self, message: Notification) -> None:
        """Deliver ``message`` or raise NotificationFailed."""


class LogNotifier:
    """Writes each message to the log (the phone number masked): the demo's and the tests' notifier."""

    name = "log"

    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def send(self, message: Notification) -> None:
        self.sent.append(message)
        logger.info(
            "notification",
            extra={
                "outbox_id": message.id,
                "to": mask_phone(message.recipient),
                "application": message.application_number,
                "text": message.text,
            },
        )

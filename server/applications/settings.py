"""Settings of the back office (applications, review, notifications), from the environment.

``RENSHE_TEMP_SUSPENSION_DAYS`` (default 5): a 临时挂失 lapses after this many days.
``RENSHE_SMS_GATEWAY_URL`` / ``RENSHE_SMS_GATEWAY_TOKEN``: send the residents' notifications to an
SMS gateway over HTTP (server.notify.sms); without a URL they are written to the log (demo, tests).
``RENSHE_NOTIFY_INTERVAL`` (default 2 s; 0: no sending thread, the caller drives
``OutboxDispatcher.run_once``): how often the outbox is looked at for messages due.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackOfficeSettings:
    temp_suspension_days: int = 5
    sms_gateway_url: str = ""
    sms_gateway_token: str = ""
    notify_interval_seconds: float = 2.0
    # Retries of a message that could not be sent: back-off doubling from ``retry_base_seconds`` up
    # to ``retry_max_seconds``; after ``max_attempts`` attempts it is marked failed.
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    max_attempts: int = 8
    sms_timeout_seconds: float = 5.0

    def __post_init__(self) -> None:
        if self.temp_suspension_days < 1:
            raise ValueError("temp_suspension_days must be at least 1")
        if self.max_attempts < 1 or self.retry_base_seconds <= 0 or self.retry_max_seconds < self.retry_base_seconds:
            raise ValueError("notification retries: max_attempts >= 1 and 0 < base <= max")
        if self.sms_gateway_url and not self.sms_gateway_url.startswith(
            ("https://", "http://127.", "http://localhost")
        ):
            raise ValueError("the SMS gateway URL must be https (http on loopback only)")

    @classmethod
    def from_env(cls) -> BackOfficeSettings:
        env = os.environ
        return cls(
            temp_suspension_days=int(env.get("RENSHE_TEMP_SUSPENSION_DAYS", "5") or 5),
            sms_gateway_url=env.get("RENSHE_SMS_GATEWAY_URL", "").strip(),
            sms_gateway_token=env.get("RENSHE_SMS_GATEWAY_TOKEN", "").strip(),
            notify_interval_seconds=float(env.get("RENSHE_NOTIFY_INTERVAL", "2") or 2),
        )

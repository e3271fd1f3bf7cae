"""The back office of one gateway app (``app.state.backoffice``): its settings, the notifier, and
the outbox sender started and stopped with the app (server.app's lifespan)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from server.applications.settings import BackOfficeSettings
from server.notify.base import LogNotifier, Notifier
from server.notify.outbox import OutboxDispatcher
from server.notify.sms import SmsGatewayNotifier

logger = logging.getLogger(__name__)


@dataclass
class BackOffice:
    settings: BackOfficeSettings
    notifier: Notifier
    dispatcher: OutboxDispatcher


def build_back_office(
    settings: BackOfficeSettings, sessions: sessionmaker[Session], notifier: Notifier | None = None
) -> BackOffice:
    """The SMS gateway notifier when a URL is configured, else the log; ``notifier`` overrides both."""
    if notifier is None:
        if settings.sms_gateway_url:
            notifier = SmsGatewayNotifier(
                settings.sms_gateway_url, settings.sms_gateway_token, settings.sms_timeout_seconds
            )
        else:
            notifier = LogNotifier()
    dispatcher = OutboxDispatcher(
        sessions,
        notifier,
        interval=settings.notify_interval_seconds,
        base=settings.retry_base_seconds,
        cap=settings.retry_max_seconds,
        max_attempts=settings.max_attempts,
    )
    logger.info("back office ready", extra={"notifier": notifier.name})
    return BackOffice(settings, notifier, dispatcher)


async def get_backoffice(request: Request) -> BackOffice:
    return request.app.state.backoffice

"""The notification outbox (migration 0007): one row per message to a resident.

A row is written in the same transaction as the status change it tells of, so a change is never
committed without its message, nor a message without its change; ``server.notify.outbox`` sends
the rows afterwards, outside any request, retrying with back-off.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base

logger = logging.getLogger(__name__)

OUTBOX_STATES = ("pending", "sent", "failed", "no_recipient")


class NotificationOutbox(Base):
    """A message waiting to be sent (``pending``), sent, given up on (``failed``) or with nobody to
    send it to (``no_recipient``: no phone number on record)."""

    __tablename__ = "notification_outbox"
    __table_args__ = (Index("ix_notification_outbox_due", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))  # sms
    recipient: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # the application status the message tells of
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)

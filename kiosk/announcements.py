"""Announcements for residents: which are in force at a given time, in which words, and which
one the attract screen shows now.

The configuration (``[announcements]`` in config/default.toml, validated by
:class:`common.config.AnnouncementsConfig`) is a short list of notices, each with 简体 text and
optional 繁體/English (falling back to 简体), a level and an optional time window. This module is
plain Python: the controller calls :meth:`AnnouncementBoard.update` on every publish and every
tick, copies the result into :class:`kiosk.state.KioskState`, and the screens only render that.
A time window therefore opens and closes by itself, without a new push from the fleet manager.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence

from common.config import AnnouncementConfig, AnnouncementsConfig
from kiosk.state import Notice

logger = logging.getLogger(__name__)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def text_for(item: AnnouncementConfig, language: str) -> str:
    """The notice's text in ``language``; the 简体 text when that translation is not given."""
    if language == "zh_TW" and item.zh_TW:
        return item.zh_TW
    if language == "en" and item.en:
        return item.en
    return item.zh_CN


def is_current(item: AnnouncementConfig, now: dt.datetime) -> bool:
    """True when ``now`` (timezone-aware) is inside the window: from start (inclusive) to end (exclusive)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware: announcement windows carry a UTC offset")
    return (item.start is None or item.start <= now) and (item.end is None or now < item.end)


def current_notices(items: Sequence[AnnouncementConfig], now: dt.datetime, language: str) -> list[Notice]:
    """The notices in force at ``now``, in configuration order, worded for ``language``."""
    return [Notice(text_for(item, language), item.level) for item in items if is_current(item, now)]


class AnnouncementBoard:
    """The notices in force and the one on show, rotating every ``rotate_seconds`` while asked to.

    ``update`` is cheap (a handful of comparisons) so the controller may call it every tick.
    ``monotonic_now`` times the rotation; the wall clock (UTC, injectable for tests) decides the
    windows, because a window is a date and time staff chose, not an interval.
    """

    def __init__(self, wall_clock: Callable[[], dt.datetime] = utc_now) -> None:
        self._wall_clock = wall_clock
        self.notices: list[Notice] = []
        self.index = 0
        self._shown_since: float | None = None

    def update(self, config: AnnouncementsConfig, language: str, monotonic_now: float, rotating: bool) -> bool:
        """Re-evaluate the windows and, when ``rotating``, move to the next notice once the current
        one has been shown long enough. Returns True when what is shown changed."""
        before = (self.notices, self.index)
        notices = current_notices(config.items, self._wall_clock(), language)
        if len(notices) != len(self.notices):
            # Notices appeared or expired: start again from the first, shown for a full period.
            if self.notices or notices:
                logger.info("announcements in force: %d", len(notices))
            self.index = 0
            self._shown_since = None
        self.notices = notices
        if not rotating or len(notices) < 2:
            self._shown_since = None
        elif self._shown_since is None:
            self._shown_since = monotonic_now
        elif monotonic_now - self._shown_since >= config.rotate_seconds:
            self.index = (self.index + 1) % len(notices)
            self._shown_since = monotonic_now
        return (self.notices, self.index) != before

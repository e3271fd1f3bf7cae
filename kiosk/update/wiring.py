"""Connect the updater and the health watch to a running kiosk's fleet agent.

``attach_updater`` is called by the composition root (cli/fleet_wiring.py) once the agent runs.
The install layout comes from the environment exactly as the launcher reads it
(``$RENSHE_KIOSK_ROOT``, ``$KIOSK_DATA_DIR``); the server key is the one pinned in the kiosk's
data directory at enrolment. On a development checkout (no ``ROOT/current``) only the health
watch's report runs: nothing is ever downloaded or switched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.fleet_client import load_credential
from kiosk.update.client import UpdateClient
from kiosk.update.health import HealthWatch
from kiosk.update.layout import Layout
from kiosk.update.updater import Updater

if TYPE_CHECKING:
    from kiosk.fleet_client import FleetAgent

logger = logging.getLogger(__name__)


def attach_updater(
    agent: FleetAgent,
    data_dir: Path,
    *,
    version: str,
    is_idle: Callable[[], bool],
    request_restart: Callable[[], None],
    request_exit: Callable[[], None],
    check_every: float = 300.0,
    timeout: float = 30.0,
    layout: Layout | None = None,
) -> Updater | None:
    """Wire an ``Updater`` (with its ``HealthWatch`` armed) into ``agent``; None before enrolment."""
    credential = load_credential(data_dir)
    if credential is None:
        return None
    layout = layout or Layout.from_env()
    client = UpdateClient(credential["server"], credential["token"], timeout)
    health = HealthWatch(layout, version, client.report, request_exit)
    health.start()
    updater = Updater(client, layout, Path(data_dir), is_idle, request_restart, health, check_every)
    agent.updater = updater
    if not layout.installed():
        logger.info("not running from an install root (%s): software updates are off", layout.current)
    return updater

"""Connect a running kiosk to the fleet manager: heartbeats, signed config, staff commands.

The agent runs on its own thread and never touches the printer or the session core: every staff
command becomes an intent posted to the UI thread (kiosk.staff_intents), which runs it only
between residents, and the agent waits a little for its answer to acknowledge it. Config is
offered to the core, which applies it between residents; keys that cannot change live restart
the app (RESTART_EXIT_CODE, for the supervisor's ``Restart=always``) once no resident is served
and no sheet is being printed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING

from kiosk.config import KioskConfig
from kiosk.fleet_client import CommandFailed

if TYPE_CHECKING:
    from cli.runtime import Runtime
    from drivers.card.monitor import CardMonitor
    from kiosk.controller import KioskController
    from kiosk.fleet_client import FleetAgent
    from kiosk.print_service import PrintService

logger = logging.getLogger(__name__)

RESTART_EXIT_CODE = 75  # EX_TEMPFAIL: "start me again"
APP_VERSION = "0.1.0"
# How long the agent waits for a staff intent's answer before acknowledging it as queued.
ANSWER_WAIT = 20.0


def staff_command(post: Callable[[Callable[[], None]], None], controller: KioskController, kind: str) -> str:
    """Post ``kind`` to the core and wait for its answer (agent thread). Raises KioskError if it failed."""
    answer: Future[tuple[bool, str]] = Future()
    post(lambda: controller.staff.post(kind, lambda ok, text: answer.set_result((ok, text))))
    try:
        ok, text = answer.result(timeout=ANSWER_WAIT)
    except FutureTimeout:
        return "queued: runs when no resident is being served"
    if not ok:
        raise CommandFailed(text)
    return text


def start_agent(
    runtime: Runtime,
    controller: KioskController,
    printing: PrintService,
    card_monitor: CardMonitor,
    post: Callable[[Callable[[], None]], None],
) -> FleetAgent | None:
    """Start the fleet agent for an enrolled terminal; returns it (``.stop()``), or None before enrolment.

    Device reports come from what each device's owner last saw (the print service's last status,
    the card monitor's last poll): the agent's thread never asks the hardware itself."""
    from kiosk.device_report import card_reader_report, printer_report
    from kiosk.fleet_client import CommandDispatcher, start_fleet_agent
    from kiosk.update.layout import running_version
    from kiosk.update.wiring import attach_updater

    config = runtime.config
    _devices, journal = runtime.require_devices()

    def apply_live(new_config: KioskConfig, keys: set[str]) -> None:
        logger.info("applying remote config live: %s", ", ".join(sorted(keys)) or "no changes")
        post(lambda: controller.apply_config(new_config))

    def request_restart(new_config: KioskConfig, keys: set[str]) -> None:
        logger.info("remote config needs a restart for: %s", ", ".join(sorted(keys)))
        post(lambda: controller.staff.post("restart_app", lambda ok, text: None))

    def command(kind: str) -> Callable[[], str]:
        return lambda: staff_command(post, controller, kind)

    dispatcher = CommandDispatcher(
        {
            kind: command(kind)
            for kind in (
                "maintenance_on",
                "maintenance_off",
                "restart_app",
                "print_test_page",
                "reprint_pending",
                "clear_print_queue",
            )
        }
    )
    version = running_version(APP_VERSION)  # a release's VERSION file, else the constant
    agent = start_fleet_agent(
        config.data_path(),
        runtime.build,
        app_version=version,
        is_idle=controller.is_idle,
        apply_live=apply_live,
        request_restart=request_restart,
        dispatcher=dispatcher,
        devices={
            "printer": lambda: printer_report(printing.last_status),
            "card_reader": lambda: card_reader_report(card_monitor.reader.name, card_monitor.last_error),
        },
        totals=lambda: (controller.sessions_started, printing.prints_done),
        print_queue=lambda: len(journal.pending()),
        maintenance=lambda: controller.out_of_service,
        timeout=config.server.timeout,
    )
    if agent is not None:
        # Software updates (kiosk/update): a switched release or a failed probation restarts
        # through the same staff intent as a remote restart, so only between residents.
        def restart() -> None:
            post(lambda: controller.staff.post("restart_app", lambda ok, text: None))

        attach_updater(
            agent,
            config.data_path(),
            version=version,
            is_idle=controller.is_idle,
            request_restart=restart,
            request_exit=restart,
        )
    return agent

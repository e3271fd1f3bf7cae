"""Connect a running kiosk to the fleet manager: heartbeats, signed config, staff commands.

The agent runs on its own thread; everything it asks of the kiosk is posted to the UI thread.
Config is applied only while the kiosk is idle (attract or out-of-service screen), never in the
middle of a resident's session; keys that cannot change live end the app with RESTART_EXIT_CODE
so the supervisor (systemd ``Restart=always``) starts it again with the new config.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from kiosk.config import KioskConfig
from kiosk.documents import Cut, Document, Heading, KeyValue, QRCode
from kiosk.state import Screen

logger = logging.getLogger(__name__)

RESTART_EXIT_CODE = 75  # EX_TEMPFAIL: "start me again"
APP_VERSION = "0.1.0"


def test_page(config: KioskConfig) -> Document:
    """What staff get from "print a test page": terminal, time and a QR, so alignment and QR print are checked."""
    now = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    return Document(
        title="打印测试页 Test page",
        blocks=[
            Heading("打印测试页 Test page"),
            KeyValue(
                [
                    ("终端 Terminal", config.terminal.id),
                    ("时间 Time", now),
                    ("纸宽 Paper", f"{config.printer.paper_width_dots} dots"),
                    ("标点 Punctuation", "，。：；（）「」￥"),
                ]
            ),
            QRCode(f"TEST-{config.terminal.id}"),
            Cut(),
        ],
    )


def start_agent(
    runtime: Any, controller: Any, post: Callable[[Callable[[], None]], None], stop_app: Callable[[int], None]
) -> Any:
    """Start the fleet agent for an enrolled terminal; returns it (``.stop()``), or None before enrolment."""
    from kiosk.fleet_client import CommandDispatcher, start_fleet_agent
    from kiosk.heartbeat import DeviceReport, Tally, printer_report

    config, printer, journal = runtime.config, runtime.devices.printer, runtime.journal

    def is_idle() -> bool:
        return controller.state.screen in (Screen.ATTRACT, Screen.OUT_OF_SERVICE)

    def apply_live(new_config: KioskConfig, keys: set[str]) -> None:
        logger.info("applying remote config live: %s", ", ".join(sorted(keys)) or "no changes")
        post(lambda: controller.apply_config(new_config))

    def request_restart(new_config: KioskConfig, keys: set[str]) -> None:
        logger.info("remote config needs a restart for: %s", ", ".join(sorted(keys)))
        post(lambda: stop_app(RESTART_EXIT_CODE))

    def clear_print_queue() -> int:
        jobs = journal.pending()
        for job in jobs:
            journal.mark_abandoned(job.job_id, "cleared by staff")
        return len(jobs)

    # Staff reprints are printouts like the resident's: the heartbeat's ``prints`` counts both.
    staff_prints = Tally()

    def reprint_pending_jobs() -> int:
        """Staff at the terminal ask for the printouts that paper-out or a power cut left unfinished:
        each prints as 补打 / REPRINT of its own serial, from the journal's stored content (there is
        no resident session to ask the gateway for it). Each one confirmed on paper is counted, also
        when a later one fails."""
        from kiosk.journal import reprint_pending

        lang = config.terminal.language
        return len(reprint_pending(journal, printer, lang, on_printed=lambda _job: staff_prints.add()))

    def print_test_page() -> str:
        printer.print_document(test_page(controller.config))
        return "test page printed"

    def card_report() -> DeviceReport:
        try:
            runtime.devices.card_reader.list_readers()
        except Exception as exc:  # the report says what is wrong; the heartbeat goes on
            return DeviceReport("error", str(exc)[:200])
        return DeviceReport("ok", runtime.devices.card_reader.name)

    dispatcher = CommandDispatcher.for_kiosk(
        lambda on: post(lambda: controller.set_out_of_service(on)),
        lambda: post(lambda: stop_app(RESTART_EXIT_CODE)),
        print_test_page,
        clear_print_queue,
        reprint_pending_jobs,
    )
    return start_fleet_agent(
        config.data_path(),
        runtime.build,
        app_version=APP_VERSION,
        is_idle=is_idle,
        apply_live=apply_live,
        request_restart=request_restart,
        dispatcher=dispatcher,
        devices={"printer": lambda: printer_report(printer.last_status), "card_reader": card_report},
        totals=lambda: (controller.sessions_started, controller.prints_done + staff_prints.value),
        print_queue=lambda: len(journal.pending()),
        timeout=config.server.timeout,
    )

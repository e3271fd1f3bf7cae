"""The world around a demo terminal: an embedded gateway, demo residents and their cards,
a simulated printer and camera, all under the demo dock's (and the UI tests') control.

Card insertion goes through the same simulated reader slot the kiosk reads, so a demo card
exchanges the real 社保卡 APDUs (through the real pcscd + vpcd when they are available), INTERNAL
AUTHENTICATE included: each demo card carries its own keys from the embedded gateway's key store.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
from pathlib import Path
from typing import Any

from common.card_auth import card_keys_from_json
from common.ssn import mask_name
from kiosk.models import card_data_from_json

logger = logging.getLogger(__name__)

# Demo only: the embedded server's console login, printed when the demo starts.
DEMO_STAFF_USER = "admin"
DEMO_STAFF_PASSWORD = "demo-admin-2026"
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
# The dock's sample staff notice: a long warning, as real ones are, so the band shows how it wraps.
SAMPLE_NOTICE: dict[str, Any] = {
    "zh_CN": "系统将于今晚22:00至次日6:00升级维护，届时暂停办理全部自助业务，请您合理安排时间，给您带来的不便敬请谅解。",
    "zh_TW": "系統將於今晚22:00至次日6:00升級維護，屆時暫停辦理全部自助業務，請您合理安排時間，給您帶來的不便敬請諒解。",
    "en": "System upgrade from 22:00 tonight to 6:00 tomorrow: no self-service in that time. Sorry for the trouble.",
    "level": "warning",
}


# Residents of the demo world; a script that needs more brings its own count. The tour makes every
# application once in each of its six passes, each pass with residents of its own (an application is
# refused the second time): a hall's day of residents, each situation of server.demo_household
# (one in twenty) six times over.
DEMO_PERSONS = 12
SCRIPT_PERSONS = {"tour": 120}


def pcscd_usable() -> bool:
    """True when an isolated pcscd with vpcd can be started here (binaries present, root for unshare)."""
    return shutil.which("pcscd") is not None and VPCD_DRIVER.exists() and os.geteuid() == 0


class DemoWorld:
    def __init__(
        self, data_dir: Path, use_pcscd: bool | None = None, persons: int = DEMO_PERSONS, seed: int = 2024
    ) -> None:
        self.data_dir = data_dir
        self.use_pcscd = pcscd_usable() if use_pcscd is None else use_pcscd
        self._persons = persons
        self._seed = seed
        self.server: Any = None
        self.people: list[dict[str, Any]] = []
        self.devices: Any = None
        self.notice_pushed = False
        self._notice_lock = threading.Lock()  # dock presses run on threads of their own

    def start(self) -> list[dict[str, Any]]:
        """Start the embedded server; return config overrides that point the kiosk at this world."""
        from server.embedded import start_embedded_server

        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Demo terminals beat every few seconds so staff actions show at once (production default: 30 s).
        os.environ.setdefault("RENSHE_HEARTBEAT_INTERVAL", "3")
        self.server = start_embedded_server(self.data_dir / "server", persons=self._persons, seed=self._seed)
        self.people = list(self.server.demo_people())
        self._enrol_demo_terminal(self.data_dir / "kiosk")
        self.server.create_staff(DEMO_STAFF_USER, "admin", DEMO_STAFF_PASSWORD)
        print(
            f"staff console: {self.server.url}/console/  (demo login {DEMO_STAFF_USER} / {DEMO_STAFF_PASSWORD})",
            file=sys.stderr,
            flush=True,
        )
        logger.info(
            "demo world: server %s, %d residents, card via %s",
            self.server.url,
            len(self.people),
            "pcscd+vpcd" if self.use_pcscd else "in-process reader",
        )
        return [
            {
                "terminal": {"id": self.server.terminal_id, "data_dir": str(self.data_dir / "kiosk")},
                "server": {"url": self.server.url, "timeout": 3.0, "retries": 1},
                "card": {"kind": "vpcd" if self.use_pcscd else "simulated", "reader": ""},
                "printer": {"kind": "virtual"},
                "camera": {"kind": "simulated"},
            }
        ]

    def _enrol_demo_terminal(self, kiosk_dir: Path) -> None:
        """Store the demo terminal's credential and pin the server key, as `main.py enroll` would."""
        from kiosk.fleet_client import pin_after_enrolment, store_credential

        store_credential(kiosk_dir, self.server.terminal_id, self.server.url, self.server.terminal_token)
        pin_after_enrolment(self.server.url, self.server.terminal_token, kiosk_dir)

    def attach(self, devices: Any) -> None:
        self.devices = devices

    # ----------------------------------------------------------------- dock controls
    def person_label(self, index: int) -> str:
        person = self.people[index]
        return f"{mask_name(person['name'])} {person['ssn'][:6]}…{person['ssn'][-2:]}"

    def insert_person(self, index: int) -> None:
        from drivers.card.simulator import VirtualSocialSecurityCard

        person = self.people[index]
        card = VirtualSocialSecurityCard.from_card_data(
            card_data_from_json(person), pin=person["pin"], keys=card_keys_from_json(person.get("card_keys"))
        )
        self.devices.card_slot.insert(card)

    def person_index(self, ssn: str) -> int | None:
        """Which demo resident has this 社会保障号码 (None: nobody)."""
        return next((i for i, person in enumerate(self.people) if person["ssn"] == ssn), None)

    def insert_foreign_card(self) -> None:
        """A bank card: SELECT of the 社保 DF answers 6A82."""
        from drivers.card.simulator import NonSocialSecurityCard

        self.devices.card_slot.insert(NonSocialSecurityCard())

    def insert_broken_card(self) -> None:
        from drivers.card.simulator import BrokenCard

        self.devices.card_slot.insert(BrokenCard())

    def pull_card(self) -> None:
        self.devices.card_slot.remove()

    def show_face(self, scene: str) -> None:
        """Put someone in front of the simulated camera: 'none', 'match' (the first demo resident,
        the one with an enrolled photo), 'other' (a different person) or 'still_photo' (a printed photo)."""
        self.devices.camera.show("match:astronaut" if scene == "match" else scene)

    def show_esscard(self, index: int) -> None:
        """Hold demo resident ``index``'s phone, showing a fresh 电子社保卡 code, up to the simulated
        camera (the code is minted by the embedded gateway and valid for 60 s)."""
        self.show_esscard_of(self.people[index]["ssn"])

    def show_esscard_of(self, ssn: str) -> None:
        """The same for any seeded resident, one without a card too (the tour's 社保卡申领)."""
        self.devices.camera.show_code(self.server.mint_esscard(ssn))

    def staff_command(self, kind: str) -> int:
        """What a staff member sends from the console (maintenance_on/off, print_test_page, ...)."""
        return self.server.queue_command(kind)

    def set_profile(self, values: dict[str, Any], comment: str = "") -> int:
        """What staff do in the console's profile editor for this terminal: a new version of its
        profile, which the kiosk fetches as a signed bundle (the real remote-config path)."""
        return self.server.save_profile(values, "demo-dock", comment)

    def toggle_notice(self) -> bool:
        """The dock's "推送通知 / Push notice": push the sample warning as staff would (a new profile
        version, fetched as a signed bundle), or withdraw it when it is up. Returns True when pushed."""
        with self._notice_lock:
            pushing = not self.notice_pushed
            items = [SAMPLE_NOTICE] if pushing else []
            self.set_profile({"announcements": {"items": items}}, "demo notice" if pushing else "demo notice withdrawn")
            self.notice_pushed = pushing
        logger.info("demo dock: sample notice %s", "pushed" if pushing else "withdrawn")
        return pushing

    def set_paper(self, state: str) -> None:
        self.devices.virtual_printer.set_paper(state)

    def set_cover_open(self, is_open: bool) -> None:
        self.devices.virtual_printer.cover_open(is_open)

    def set_server_fault(self, mode: str | None) -> None:
        self.server.set_fault(mode)

    def printed_bytes(self) -> bytes:
        return bytes(self.devices.virtual_printer.received)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

"""Fixtures of the card-layer tests: demo card data and scripted connections."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from drivers.card.pcsc_reader import PcscCardReader
from drivers.card.pcscd_service import IsolatedPcscd, PcscdUnavailable
from drivers.card.vpcd_card import VpcdCardBridge
from kiosk.errors import CardError
from kiosk.models import CardData
from tests.drivers.card.carddata import make_card_data
from tests.drivers.card.scripted import ScriptedConnection


@pytest.fixture
def card_data() -> CardData:
    return make_card_data()


@pytest.fixture
def scripted() -> Iterator[Callable[..., ScriptedConnection]]:
    made: list[ScriptedConnection] = []

    def factory(script: list) -> ScriptedConnection:
        conn = ScriptedConnection(script)
        made.append(conn)
        return conn

    yield factory
    for conn in made:
        conn.assert_done()


# --- the real pcscd + vpcd stack -----------------------------------------------------------------
# libpcsclite fixes the daemon socket path at the first PC/SC context of the process, so the
# path is chosen and exported when this conftest is imported (collection), before any test runs.
_PCSCD_RUN_DIR = Path(tempfile.mkdtemp(prefix="renshe-pcscd-test-"))
os.environ["PCSCLITE_CSOCK_NAME"] = str(_PCSCD_RUN_DIR / "pcscd.comm")


@pytest.fixture(scope="session")
def pcscd() -> Iterator[IsolatedPcscd]:
    """A private pcscd + vpcd for the whole session. Missing packages FAIL (never skip)."""
    service = IsolatedPcscd(_PCSCD_RUN_DIR)
    try:
        service.start()
    except PcscdUnavailable as exc:
        pytest.fail(f"pcscd/vpcd stack unavailable: {exc} (install pcscd vsmartcard-vpcd iproute2)")
    yield service
    service.stop()
    shutil.rmtree(_PCSCD_RUN_DIR, ignore_errors=True)


@pytest.fixture
def bridge(pcscd: IsolatedPcscd) -> Iterator[VpcdCardBridge]:
    """A vpcd card slot; the card is pulled and pcscd has noticed before the next test."""
    slot = VpcdCardBridge(port=pcscd.vpcd_port)  # finds the namespace through the running IsolatedPcscd
    yield slot
    slot.remove()
    reader = PcscCardReader(pcscd.reader_name_pattern)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            if not reader.card_present():
                break
        except CardError:
            break
        time.sleep(0.02)

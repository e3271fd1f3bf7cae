"""Card-layer figures through the real pcscd + vpcd stack (docs/card-protocol.md: the vpcd latency trap).

Rows (each with a baseline measured in the same run):
- insertion → parsed CardData (ms): monitor-style wait in SCardGetStatusChange, vs. plain 0.1 s
  polling of card_present();
- per-APDU latency (ms): bridge with TCP_NODELAY/TCP_QUICKACK and single writes, vs. the naive
  bridge (default socket options, header and payload written separately);
- full read, SELECT + EF05 + EF06 (ms): tuned vs. naive bridge.  Goal < 50 ms.

The measurement runs in a child process: libpcsclite fixes the pcscd socket path at the first
PC/SC context of a process, so the child exports the isolated pcscd's path before any context.
``run`` prints nothing; the child's JSON goes through a pipe.
"""

from __future__ import annotations

import json
import logging
import statistics
import subprocess
import sys
import time
from pathlib import Path

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent


def run(quick: bool) -> list[dict]:
    cmd = [sys.executable, "-m", "benchmarks.bench_card", "--child"] + (["--quick"] if quick else [])
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"card benchmark child failed: {proc.stderr.strip()[-400:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _measure(quick: bool) -> list[dict]:
    import tempfile

    from drivers.card.pcscd_service import IsolatedPcscd

    pcscd = IsolatedPcscd(Path(tempfile.mkdtemp(prefix="renshe-bench-pcscd-")))
    pcscd.export_env()
    pcscd.start()
    try:
        return _rows(pcscd, quick)
    finally:
        pcscd.stop()
        import shutil

        shutil.rmtree(pcscd.run_dir, ignore_errors=True)


def _card():
    import datetime as dt

    from common.ssn import make_ssn
    from drivers.card.simulator import CardProfile, VirtualSocialSecurityCard

    profile = CardProfile(
        ssn=make_ssn("330106", dt.date(1985, 3, 12), 123),
        name="王喆",
        gender="1",
        ethnicity="01",
        birth_date=dt.date(1985, 3, 12),
        birth_place="330106",
        card_number="A12345678",
        card_id="33010086000000123456789ABCDEF012",
    )
    return VirtualSocialSecurityCard(profile)


def _insert_to_card(pcscd, bridge, reader, wait_mode: str) -> float:
    from drivers.card.sscard import read_card

    bridge.remove()
    while reader.card_present():
        reader.wait_for_change(0.05)
    start = time.perf_counter()
    bridge.insert(_card())
    while not reader.card_present():
        if wait_mode == "event":
            reader.wait_for_change(0.1)
        else:
            time.sleep(0.1)
    with reader.connect() as conn:
        read_card(conn)
    return (time.perf_counter() - start) * 1000


def _apdu_and_read(pcscd, tuned: bool, apdus: int, reads: int, split: bool | None = None) -> tuple[float, float]:
    from drivers.card.pcsc_reader import PcscCardReader
    from drivers.card.sscard import SSSE_DF_NAME, read_card
    from drivers.card.vpcd_card import VpcdCardBridge

    reader = PcscCardReader(pcscd.reader_name_pattern)
    bridge = VpcdCardBridge(
        port=pcscd.vpcd_port, netns_path=lambda: pcscd.netns_path, tcp_tuning=tuned, split_writes=split
    )
    bridge.insert(_card())
    try:
        while not reader.card_present():
            reader.wait_for_change(0.1)
        select = bytes.fromhex("00A404000F") + SSSE_DF_NAME
        with reader.connect() as conn:
            conn.transmit(select)
            start = time.perf_counter()
            for _ in range(apdus):
                conn.transmit(select)
            per_apdu = (time.perf_counter() - start) * 1000 / apdus
            times = []
            for _ in range(reads):
                start = time.perf_counter()
                read_card(conn)
                times.append((time.perf_counter() - start) * 1000)
        return per_apdu, statistics.median(times)
    finally:
        bridge.remove()
        while reader.card_present():
            reader.wait_for_change(0.05)


def _rows(pcscd, quick: bool) -> list[dict]:
    from drivers.card.pcsc_reader import PcscCardReader
    from drivers.card.vpcd_card import VpcdCardBridge

    logging.disable(logging.INFO)
    apdus, reads, inserts = (30, 5, 3) if quick else (200, 30, 10)
    tuned_apdu, tuned_read = _apdu_and_read(pcscd, True, apdus, reads)
    # The naive socket costs ~0.1 s per APDU: fewer repetitions keep the run short.
    naive_apdu, naive_read = _apdu_and_read(pcscd, False, max(apdus // 10, 5), max(reads // 10, 2))
    plain_apdu, _ = _apdu_and_read(pcscd, False, apdus, 1, split=False)
    reader = PcscCardReader(pcscd.reader_name_pattern)
    bridge = VpcdCardBridge(port=pcscd.vpcd_port, netns_path=lambda: pcscd.netns_path)
    try:
        event = statistics.median(_insert_to_card(pcscd, bridge, reader, "event") for _ in range(inserts))
        polled = statistics.median(_insert_to_card(pcscd, bridge, reader, "poll") for _ in range(inserts))
    finally:
        bridge.remove()
    return [
        {
            "name": "card insert → parsed CardData via pcscd (median)",
            "value": event,
            "unit": "ms",
            "baseline_name": "same, polling card_present every 0.1 s",
            "baseline": polled,
        },
        {
            "name": "APDU round trip via pcscd+vpcd, NODELAY/QUICKACK",
            "value": tuned_apdu,
            "unit": "ms",
            "baseline_name": "naive vpcd socket (no options, split writes)",
            "baseline": naive_apdu,
        },
        {
            "name": "APDU round trip via pcscd+vpcd, NODELAY/QUICKACK",
            "value": tuned_apdu,
            "unit": "ms",
            "baseline_name": "no socket options, single write per reply",
            "baseline": plain_apdu,
        },
        {
            "name": "full 社保卡 read (SELECT+EF05+EF06, 15 APDUs), goal < 50",
            "value": tuned_read,
            "unit": "ms",
            "baseline_name": "same over the naive vpcd socket",
            "baseline": naive_read,
        },
    ]


if __name__ == "__main__":
    if "--child" in sys.argv:
        sys.path.insert(0, str(REPO_ROOT))
        print(json.dumps(_measure("--quick" in sys.argv)))

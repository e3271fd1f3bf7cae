"""The log scan of tests/conftest.py finds what it must (and is emptied again here, so the leaks
these tests log on purpose do not fail the run)."""

from __future__ import annotations

import logging

from common.ssn import make_ssn, mask_name, mask_ssn
from server.demo_data import generate_people
from tests.conftest import LOG_SCAN

logger = logging.getLogger("kiosk.test_log_scan")


def test_the_scan_finds_an_unmasked_ssn_name_and_card_number() -> None:
    person = generate_people(1, seed=4242)[0]
    card = person.current_card["card_number"]
    LOG_SCAN.take()
    logger.info("session for %s", person.ssn)
    logger.warning("card %s of %s", card, person.name, extra={"holder": person.name})
    logger.debug("a bare valid number %s", make_ssn("110101", __import__("datetime").date(1990, 3, 7), 2))
    try:
        raise ValueError(f"parameters: {person.ssn}")
    except ValueError:
        logger.exception("a failed statement")
    found = LOG_SCAN.take()
    kinds = [f.kind for f in found]
    assert kinds.count("SSN") == 3  # the message, the debug line, the traceback
    assert kinds.count("name") == 2 and kinds.count("card number") == 1
    assert all(person.ssn not in str(f) and person.name not in str(f) for f in found)


def test_masked_values_and_invalid_numbers_pass() -> None:
    person = generate_people(1, seed=4243)[0]
    LOG_SCAN.take()
    logger.info("session for %s (%s)", mask_ssn(person.ssn), mask_name(person.name))
    logger.info("not a valid number: %s", person.ssn[:-1] + ("0" if person.ssn[-1] != "0" else "1"))
    assert LOG_SCAN.take() == []

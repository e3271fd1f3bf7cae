"""The console's dashboard lists terminals that ran into the session-start or failed-card-proof
limits (server.terminal_limits): the sign of a stolen terminal token."""

from __future__ import annotations

from typing import Any

import pytest

from server.errors import ApiError
from server.settings import TerminalLimits
from server.terminal_limits import admit_start, record_failure
from tests.fleet.conftest import REGION_A, REGION_B, Fleet

LIMITS = TerminalLimits(session_starts=2, failed_proofs=2)


def test_dashboard_shows_terminals_over_their_limits(fleet: Fleet, staff_client: Any) -> None:
    fleet.register("T-A1", REGION_A)
    fleet.register("T-A2", REGION_A)
    fleet.register("T-B1", REGION_B)
    client, _csrf = staff_client("admin")
    assert 'id="auth-alerts"' not in client.get("/console/").text
    with fleet.ctx.sessions() as db:
        for _ in range(LIMITS.failed_proofs):
            record_failure(db, "T-A1", "card not verified", LIMITS)
        for _ in range(LIMITS.session_starts):
            admit_start(db, "T-B1", LIMITS)
        admit_start(db, "T-A2", LIMITS)  # within its limit: no alert
    page = client.get("/console/").text
    assert 'id="auth-alert-T-A1-over_failures"' in page and "社保卡核验失败过多" in page
    assert 'id="auth-alert-T-B1-over_starts"' not in page  # T-B1 is within its limit so far
    assert "T-A2-" not in page
    with fleet.ctx.sessions() as db, pytest.raises(ApiError) as refused:
        admit_start(db, "T-B1", LIMITS)
    assert refused.value.status_code == 429
    page = client.get("/console/").text
    assert 'id="auth-alert-T-B1-over_starts"' in page and "终端凭证可能已被盗用" in page
    # The region filter applies to the alerts as to the terminal list.
    filtered = client.get("/console/", params={"region": REGION_A}).text
    assert "auth-alert-T-A1" in filtered and "auth-alert-T-B1" not in filtered
    client.get("/console/lang/en")
    assert "Too many failed card checks" in client.get("/console/").text

"""Terminal API, the resident's records: 参保信息, 缴费明细, 待遇发放, 社保卡 and 个人权益单.

Each call carries ``Authorization: Bearer <terminal token>`` and the id of the resident session
the terminal opened (server.api); a terminal reads only its own resident.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Query

from common.ssn import mask_card_number
from server import certificates as certs
from server.api import SessionId, open_session_on_loop, person_out, session_person
from server.context import GatewayContext, get_ctx, get_token_hash
from server.errors import TERMINAL_ERROR_RESPONSES, ApiError
from server.schemas import (
    PERIOD_PATTERN,
    BenefitOut,
    BenefitsResponse,
    CardOut,
    CardsResponse,
    ContributionOut,
    ContributionsResponse,
    EnrolmentOut,
    InsuranceResponse,
    InsuranceSummary,
)
from server.store.base import CARD_STATUS_ZH, ENROLMENT_STATUS_ZH, INSURANCE_TYPES, PRODUCTION_STAGE_ZH

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", responses=TERMINAL_ERROR_RESPONSES)


# The hot resident queries (参保信息, 缴费明细, 待遇, 社保卡) are ``async def`` that run their reads on
# the event loop, on its pinned connection: two indexed statements each (the session, the answer),
# well under a millisecond, and a thread-pool hop cost more than that. Measured with 2 workers:
# 1 200-1 300 queries/s against 850-980 through one hop and about 600 as plain ``def`` handlers
# (FastAPI gives those two hops). The price: a stalled database stalls that worker's loop, which the
# serving connections' 5 s statement timeout bounds. 个人权益单 reads the yearly sums
# (contribution_years) and runs here too; writes stay plain ``def``.
@router.get("/sessions/{session_id}/insurance", response_model=InsuranceResponse, tags=["queries"])
async def insurance(
    session_id: str = SessionId,
    token_hash: str = Depends(get_token_hash),
    ctx: GatewayContext = Depends(get_ctx),
) -> InsuranceResponse:
    """参保信息: enrolment per insurance type and the 养老 months paid."""
    session = open_session_on_loop(ctx, token_hash, session_id)
    overview = ctx.source.insurance_overview(session.ssn)
    if overview is None:
        raise ApiError(404, "person_not_found", "未找到参保记录", "Person no longer exists")
    return InsuranceResponse(
        person=person_out(overview.person),
        enrolments=[
            EnrolmentOut(
                type_code=e.type_code,
                type_name=INSURANCE_TYPES.get(e.type_code, e.type_code),
                status=ENROLMENT_STATUS_ZH.get(e.status, e.status),
                status_code=e.status,
                start_date=e.start_date.isoformat(),
                unit_name=e.unit_name,
                region=e.region,
            )
            for e in overview.enrolments
        ],
        summary=InsuranceSummary(months_paid_total=overview.months_paid, first_paid_period=overview.first_paid_period),
    )


@router.get("/sessions/{session_id}/contributions", response_model=ContributionsResponse, tags=["queries"])
async def contributions(
    session_id: str = SessionId,
    from_: str | None = Query(default=None, alias="from", pattern=PERIOD_PATTERN),
    to: str | None = Query(default=None, pattern=PERIOD_PATTERN),
    type: str | None = Query(default=None, pattern=r"^(110|210|310|410|510)$"),
    page: int = Query(default=1, ge=1, le=10_000),
    page_size: int = Query(default=100, ge=1, le=500),
    token_hash: str = Depends(get_token_hash),
    ctx: GatewayContext = Depends(get_ctx),
) -> ContributionsResponse:
    """缴费明细 in a period range (inclusive), newest first, paged, with totals of the whole range."""
    certs.check_range(from_, to)
    session = open_session_on_loop(ctx, token_hash, session_id)
    result = ctx.source.contributions(session.ssn, from_, to, type, page, page_size)
    items = [
        ContributionOut(
            period=c.period,
            type_code=c.type_code,
            type_name=INSURANCE_TYPES.get(c.type_code, c.type_code),
            base=str(c.base),
            personal=str(c.personal_amount),
            unit=str(c.unit_amount),
            paid=c.paid,
            unit_name=c.unit_name,
            region=c.region,
        )
        for c in result.items
    ]
    totals: dict[str, Any] = {
        "months_paid": result.months,
        "personal": str(result.personal_total),
        "unit": str(result.unit_total),
        "total": str(result.personal_total + result.unit_total),
    }
    return ContributionsResponse(
        items=items, page=page, page_size=page_size, total_items=result.total_items, totals=totals
    )


@router.get("/sessions/{session_id}/benefits", response_model=BenefitsResponse, tags=["queries"])
async def benefits(
    session_id: str = SessionId,
    kind: str | None = Query(default=None, pattern=r"^(pension|unemployment)$"),
    token_hash: str = Depends(get_token_hash),
    ctx: GatewayContext = Depends(get_ctx),
) -> BenefitsResponse:
    """养老金 / 失业金 发放记录, newest first."""
    session = open_session_on_loop(ctx, token_hash, session_id)
    rows = ctx.source.benefit_payments(session.ssn, kind)
    names = {"pension": "基本养老金", "unemployment": "失业保险金"}
    return BenefitsResponse(
        items=[
            BenefitOut(
                kind=b.kind,
                kind_name=names.get(b.kind, b.kind),
                period=b.period,
                amount=str(b.amount),
                paid_on=b.paid_on.isoformat() if b.paid_on else None,
                status=b.status,
            )
            for b in rows
        ],
        total_amount=str(sum((b.amount for b in rows), start=Decimal(0))),
    )


@router.get("/sessions/{session_id}/cards", response_model=CardsResponse, tags=["queries"])
async def cards(
    session_id: str = SessionId,
    token_hash: str = Depends(get_token_hash),
    ctx: GatewayContext = Depends(get_ctx),
) -> CardsResponse:
    """社保卡 status and 制卡进度 of all the resident's cards."""
    session = open_session_on_loop(ctx, token_hash, session_id)
    return CardsResponse(
        cards=[
            CardOut(
                card_number_masked=mask_card_number(c.card_number),
                status=c.status,
                status_name=CARD_STATUS_ZH.get(c.status, c.status),
                production_stage=c.production_stage,
                production_stage_name=PRODUCTION_STAGE_ZH.get(c.production_stage, c.production_stage),
                is_current=c.is_current,
                issued_on=c.issued_on.isoformat(),
                expires_on=c.expires_on.isoformat(),
                tracking_number=c.tracking_number,
            )
            for c in ctx.source.cards(session.ssn)
        ]
    )


@router.get("/sessions/{session_id}/rights", tags=["queries"])
async def rights(
    session_id: str = SessionId,
    from_year: int | None = Query(default=None, ge=1990, le=2100),
    to_year: int | None = Query(default=None, ge=1990, le=2100),
    token_hash: str = Depends(get_token_hash),
    ctx: GatewayContext = Depends(get_ctx),
) -> dict[str, Any]:
    """个人权益单: per year months paid, average base, personal/unit amounts, 养老 account balance.

    On the event loop like the other resident queries: it reads the yearly sums (a few dozen rows),
    no longer decades of months, so a hop to the thread pool would cost more than the query."""
    this_year = int(certs.current_period()[:4])
    to_y = to_year or this_year
    from_y = from_year or to_y
    if to_y > this_year:
        raise ApiError(422, "period_in_future", f"{to_y} 年尚未到来", f"Year {to_y} is in the future")
    if from_y > to_y:
        raise ApiError(422, "period_range_invalid", "起始年份晚于结束年份", "from_year is after to_year")
    person = session_person(ctx, open_session_on_loop(ctx, token_hash, session_id))
    years = ctx.source.yearly_summary(person.ssn, from_y, to_y)
    return {
        "person": person_out(person).model_dump(),
        "from_year": from_y,
        "to_year": to_y,
        "years": [
            {
                "year": y.year,
                "months_paid": y.months_paid,
                "average_base": str(y.average_base),
                "personal": str(y.personal_total),
                "unit": str(y.unit_total),
                "pension_account_balance": str(y.account_balance),
                "by_type": [
                    {"type_code": code, "type_name": INSURANCE_TYPES.get(code, code), **v}
                    for code, v in y.by_type.items()
                ],
            }
            for y in years
        ],
    }

"""Request and response models of the terminal API (they make the OpenAPI document)."""

from __future__ import annotations

import logging
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from common.ssn import InvalidSSN, validate_ssn

logger = logging.getLogger(__name__)

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
_PERIOD_RE = re.compile(PERIOD_PATTERN)
IDEMPOTENCY_PATTERN = r"^[A-Za-z0-9._:-]{8,64}$"


class StrictModel(BaseModel):
    # Wrong types are refused rather than coerced, and unknown fields are an error.
    model_config = ConfigDict(extra="forbid", strict=True)


class EnrollRequest(StrictModel):
    # Optional: the code names its terminal; when sent, the id only double-checks it.
    terminal_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    code: str = Field(min_length=4, max_length=32)


class EnrollResponse(BaseModel):
    terminal_id: str
    token: str


HEX32_PATTERN = r"^[0-9a-fA-F]{32}$"


class SessionRequest(StrictModel):
    """A ``card_pin`` session start: the card's data and its key-02 proof (server.card_sessions).
    There is no ``auth_method``: the endpoint, not the terminal, decides how a resident was identified."""

    ssn: str = Field(min_length=18, max_length=18, description="社会保障号码 read from the card")
    card_number: str = Field(min_length=9, max_length=9, pattern=r"^[0-9A-Z]{9}$")
    challenge: str = Field(pattern=HEX32_PATTERN, description="from POST /api/v1/sessions/challenge")
    cryptogram: str = Field(pattern=HEX32_PATTERN, description="the card's INTERNAL AUTHENTICATE answer, key 02")

    @field_validator("ssn")
    @classmethod
    def _valid_ssn(cls, value: str) -> str:
        try:
            return validate_ssn(value)
        except InvalidSSN as exc:
            raise ValueError("社会保障号码格式不正确", f"invalid 社会保障号码 ({exc})") from exc


class PersonOut(BaseModel):
    name: str
    gender: str
    birth_date: str
    region: str
    region_name: str
    ssn_masked: str


class SessionResponse(BaseModel):
    session_id: str
    person: PersonOut


class EnrolmentOut(BaseModel):
    type_code: str
    type_name: str
    status: str = Field(description="Displayable Chinese status, e.g. 参保缴费")
    status_code: str = Field(description="active / suspended / terminated")
    start_date: str
    unit_name: str | None
    region: str


class InsuranceSummary(BaseModel):
    months_paid_total: int
    first_paid_period: str | None


class InsuranceResponse(BaseModel):
    person: PersonOut
    enrolments: list[EnrolmentOut]
    summary: InsuranceSummary


class ContributionOut(BaseModel):
    period: str
    type_code: str
    type_name: str
    base: str
    personal: str = Field(description="Personal share in yuan")
    unit: str = Field(description="Employer (unit) share in yuan")
    paid: bool
    unit_name: str | None
    region: str


class ContributionsResponse(BaseModel):
    items: list[ContributionOut]
    page: int
    page_size: int
    total_items: int
    totals: dict[str, Any]


class BenefitOut(BaseModel):
    kind: str
    kind_name: str
    period: str
    amount: str
    paid_on: str | None
    status: str


class BenefitsResponse(BaseModel):
    items: list[BenefitOut]
    total_amount: str


class CardOut(BaseModel):
    card_number_masked: str
    status: str
    status_name: str
    production_stage: str
    production_stage_name: str
    is_current: bool
    issued_on: str
    expires_on: str
    tracking_number: str | None = None  # 已寄出: the courier's number (制卡进度)


class CardsResponse(BaseModel):
    cards: list[CardOut]


class CertificateRequest(StrictModel):
    kind: Literal["insured", "payment", "rights", "transfer_out"]
    from_: str | None = Field(default=None, alias="from", pattern=PERIOD_PATTERN)
    to: str | None = Field(default=None, pattern=PERIOD_PATTERN)
    idempotency_key: str = Field(pattern=IDEMPOTENCY_PATTERN)

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class CertificateResponse(BaseModel):
    serial: str
    kind: str
    issued_at: str
    terminal_id: str
    verification_code: str
    content_hash: str
    verify_url: str
    reprint: bool
    reprint_count: int
    content: dict[str, Any]


class VerificationResponse(BaseModel):
    genuine: bool
    serial: str
    kind: str | None = None
    title: str | None = None
    issued_at: str | None = None
    terminal_id: str | None = None
    name_masked: str | None = None
    ssn_masked: str | None = None
    period_from: str | None = None
    period_to: str | None = None
    content_hash: str | None = None
    reprint_count: int | None = None
    # What the certificate certified, so a genuine serial on a paper with altered figures shows up:
    # the insurance types it names, its totals (months, amounts in yuan) and its summary figures.
    insurance_types: list[str] | None = None
    totals: dict[str, str | int] | None = None
    summary: dict[str, str | int | None] | None = None


class HealthResponse(BaseModel):
    status: str
    database: str


def is_period(value: str) -> bool:
    return bool(_PERIOD_RE.match(value))

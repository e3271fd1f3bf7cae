"""Demo CardData for the card tests (valid GB 11643 check digits, a rare-but-GBK name)."""

from __future__ import annotations

import datetime as dt

from common.ssn import make_ssn
from kiosk.models import CardData


def make_card_data(
    name: str = "王喆",
    *,
    spec_version: str = "3.00",
    region: str = "330106",
    birth: dt.date = dt.date(1985, 3, 12),
    sequence: int = 123,
) -> CardData:
    ssn = make_ssn(region, birth, sequence)
    return CardData(
        ssn=ssn,
        name=name,
        gender="1" if sequence % 2 else "2",
        ethnicity="01",
        birth_date=birth,
        birth_place=region,
        card_number="A12345678",
        card_id="33010086000000123456789ABCDEF012",
        issuing_region="330100",
        card_type="3",
        spec_version=spec_version,
        issued_on=dt.date(2021, 6, 30),
        expires_on=dt.date(2031, 6, 30),
    )

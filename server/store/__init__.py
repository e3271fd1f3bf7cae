"""The resident-data adapter seam: ``ResidentDataSource`` and its SQLAlchemy reference implementation."""

from server.store.base import (
    BenefitRecord,
    CardRecord,
    ContributionPage,
    ContributionRecord,
    EnrolmentRecord,
    InsuranceOverview,
    PersonRecord,
    ResidentDataSource,
    YearSummary,
)
from server.store.sql import SqlResidentDataSource

__all__ = [
    "BenefitRecord",
    "CardRecord",
    "ContributionPage",
    "ContributionRecord",
    "EnrolmentRecord",
    "InsuranceOverview",
    "PersonRecord",
    "ResidentDataSource",
    "SqlResidentDataSource",
    "YearSummary",
]

"""The rule of every application kind (see each rules_* module for what it checks)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from server.applications import rules_card, rules_pension, rules_services, rules_unemployment
from server.applications.applicant import Applicant, Decision
from server.applications.catalogue import KINDS

logger = logging.getLogger(__name__)

Rule = Callable[[Applicant, Any], Decision]

RULES: dict[str, Rule] = {
    "unemployment_registration": rules_unemployment.unemployment_registration,
    "unemployment_benefit": rules_unemployment.unemployment_benefit,
    "unemployment_subsidy": rules_unemployment.unemployment_subsidy,
    "unemployment_transfer": rules_unemployment.unemployment_transfer,
    "pension_transfer": rules_pension.pension_transfer,
    "resident_pension_enrollment": rules_pension.resident_pension_enrollment,
    "pension_certification": rules_pension.pension_certification,
    "card_application": rules_card.card_application,
    "card_replacement": rules_card.card_replacement,
    "card_suspend": rules_card.card_suspend,
    "card_unsuspend": rules_card.card_unsuspend,
    "contact_update": rules_services.contact_update,
    "medical_filing": rules_services.medical_filing,
    "training_subsidy": rules_services.training_subsidy,
    "training_signup": rules_services.training_signup,
    "dispute_mediation": rules_services.dispute_mediation,
}
if set(RULES) != set(KINDS):  # a kind without a rule would answer 500 at its first submission
    raise RuntimeError(f"kinds without a rule: {set(KINDS) ^ set(RULES)}")

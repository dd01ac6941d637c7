"""Fixtures of the book's records: a household with a reviewed plan (a harvest to decide), so
that every model holding money has a row."""

from __future__ import annotations

from decimal import Decimal

import pytest

from advisors.models import Advisor
from clients.models import CarryforwardEntry, CarryforwardSource, Character, Household
from taxlogic import services
from taxlogic.models import ActionPlan
from tests.plans.conftest import TODAY, add_loss, review


@pytest.fixture
def reviewed(households: dict[str, Household], advisor: Advisor) -> ActionPlan:
    """The advisor's household with a loss to harvest, a ledger entry, a plan and a decision."""
    household = households["advisor"]
    person = household.people.get()
    CarryforwardEntry.objects.create(
        household=household,
        person=person,
        tax_year=TODAY().year,
        character=Character.SHORT_TERM,
        amount=Decimal("1200.00"),
        source=CarryforwardSource.ENTERED,
        reason="From last year's return",
        entered_by=advisor,
    )
    add_loss(household)
    plan = review(household)
    recommendation = plan.recommendations.order_by("position").first()
    assert recommendation is not None
    services.recommendation_decide(
        user=advisor, recommendation=recommendation, decision="approve", reason="Fine"
    )
    return plan

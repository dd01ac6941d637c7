"""Fixtures of the after-the-plan tests: a household with a harvest recommended (from
tests/plans/conftest.py), an IRA beside its taxable account, and helpers to approve and sell."""

from __future__ import annotations

from decimal import Decimal

import pytest

from advisors.models import Advisor
from clients import services as client_services
from clients.models import Account, Action, Household, Transaction
from taxlogic import services
from taxlogic.models import ActionPlan, Recommendation
from taxlogic.rules.accounts import AccountType
from tests.factories import AccountFactory
from tests.plans.conftest import TODAY, add_loss, review


@pytest.fixture
def harvest(households: dict[str, Household]) -> Recommendation:
    """The ``advisor`` household's one harvest (100 LOSS… at 40, basis 5,000)."""
    household = households["advisor"]
    add_loss(household)
    plan = review(household)
    return plan.recommendations.get(kind="harvest")


def approve(r: Recommendation, user: Advisor) -> Recommendation:
    return services.recommendation_decide(recommendation=r, user=user, decision="approve")


def sell(r: Recommendation, user: Advisor, *, quantity: Decimal | None = None) -> Transaction:
    """Record the sale the recommendation asks for, by hand (clients' service)."""
    return client_services.transaction_record(
        account=r.account,
        security=r.security,
        action=Action.SELL,
        trade_date=TODAY(),
        quantity=quantity if quantity is not None else r.quantity,
        price=r.price,
        lot=r.lot,
        recorded_by=user,
    )


def ira_of(household: Household) -> Account:
    owner = household.accounts.first().owner
    return AccountFactory(household=household, owner=owner, type=AccountType.TRADITIONAL_IRA)


def current_plan(household: Household) -> ActionPlan:
    return ActionPlan.objects.get(household=household, is_current=True)


@pytest.fixture
def api_for(db: None) -> object:
    """``api_for(user)``: the API as a signed-in advisor (the browsable API's session)."""
    from rest_framework.test import APIClient

    def make(user: Advisor) -> APIClient:
        http = APIClient()
        http.force_login(user)
        return http

    return make

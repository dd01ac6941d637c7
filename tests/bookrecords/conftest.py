"""Fixtures of the book's records: a household with a reviewed plan (a harvest to decide), so
that every model holding money has a row."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from advisors.models import Advisor
from clients.models import (
    Action,
    CarryforwardEntry,
    CarryforwardSource,
    Character,
    FilingStatus,
    Household,
    PersonRole,
    SecurityKind,
)
from taxlogic import services
from taxlogic.models import ActionPlan
from tests.factories import (
    AccountFactory,
    HouseholdFactory,
    PersonFactory,
    SecurityFactory,
    TaxLotFactory,
    TaxProfileFactory,
    TransactionFactory,
)
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


# --- a married couple with a loss each in the prior year ---------------------------------------

THIS_YEAR = TODAY().year
PRIOR = THIS_YEAR - 1


def _sold_lot(account: object, *, acquired: datetime.date, basis: str, proceeds: str) -> None:
    """100 shares of a fund of their own bought on ``acquired`` and all sold on 10 June of the
    prior year (the buy recorded too when it falls inside the review's window)."""
    security = SecurityFactory(kind=SecurityKind.FUND, tracked_index=f"Index of {account.pk}")
    lot = TaxLotFactory(
        account=account,
        security=security,
        original_quantity=Decimal("100"),
        quantity=Decimal("0"),
        cost_basis=Decimal("0.00"),
        acquired=acquired,
    )
    TransactionFactory(lot=lot, price=Decimal(basis) / 100, amount=Decimal(basis))
    TransactionFactory(
        lot=lot,
        action=Action.SELL,
        trade_date=datetime.date(PRIOR, 6, 10),
        quantity=Decimal("100"),
        price=Decimal(proceeds) / 100,
        amount=Decimal(proceeds),
        basis_relieved=Decimal(basis),
    )


@pytest.fixture
def couple(advisor: Advisor) -> Household:
    """Ann (taxpayer) and Bob (spouse), joint in the prior year and this one. In the prior year
    Ann lost 6,000 short-term in her account, Bob 5,000 long-term in his: with the 3,000
    deduction (short-term first) 3,000 short-term (Ann's) and 5,000 long-term (Bob's) carry."""
    household = HouseholdFactory(primary_advisor=advisor, name="Ledger Family")
    ann = PersonFactory(household=household, role=PersonRole.TAXPAYER, name="Ann Ledger")
    bob = PersonFactory(household=household, role=PersonRole.SPOUSE, name="Bob Ledger")
    hers = AccountFactory(household=household, owner=ann)
    his = AccountFactory(household=household, owner=bob)
    _sold_lot(hers, acquired=datetime.date(PRIOR, 1, 10), basis="10000.00", proceeds="4000.00")
    _sold_lot(his, acquired=datetime.date(PRIOR - 4, 3, 1), basis="10000.00", proceeds="5000.00")
    for year in (PRIOR, THIS_YEAR):
        TaxProfileFactory(
            household=household,
            tax_year=year,
            filing_status=FilingStatus.MARRIED_JOINT,
            expected_ordinary_income=Decimal("100000.00"),
        )
    return household


def review_year(household: Household, year: int) -> ActionPlan:
    """A review of ``year`` as of its last day (today for this year)."""
    as_of = TODAY() if year == THIS_YEAR else datetime.date(year, 12, 31)
    done = services.household_review_run(
        household=household, tax_year=year, as_of=as_of, requested_by=None
    )
    assert done.status == "done", done.error
    return done.plan

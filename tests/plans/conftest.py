"""Fixtures of the action plan tests: households with something to harvest, and their plans.

``add_loss(household)`` gives a household of tests/fixtures.py a taxable lot at a loss (and a
replacement on its firm's list), so that a review recommends a harvest; ``plans`` reviews every
household of the ``households`` fixture that way.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.utils import timezone

from advisors.models import Advisor
from clients.models import Household, SecurityKind
from taxlogic import services
from taxlogic.models import ActionPlan
from taxlogic.rules.accounts import AccountType
from tests.factories import (
    AccountFactory,
    HouseholdFactory,
    PersonFactory,
    PriceFactory,
    ReplacementFactory,
    SecurityFactory,
    TaxLotFactory,
    TaxProfileFactory,
    TransactionFactory,
)

TODAY = timezone.localdate


def days_ago(n: int) -> datetime.date:
    return TODAY() - datetime.timedelta(days=n)


def fund(symbol: str, index: str, close: str, same_as: object = None) -> object:
    security = SecurityFactory(
        symbol=symbol, kind=SecurityKind.FUND, tracked_index=index, same_as=same_as
    )
    PriceFactory(security=security, date=TODAY(), close=Decimal(close))
    return security


def add_loss(household: Household, *, quantity: str = "100", basis: str = "5000.00") -> object:
    """A taxable lot bought 200 days ago at ``basis``, now worth 40 a share, with its buy
    transaction; the security tracks an index of its own and has a replacement on the list."""
    account = household.accounts.filter(type=AccountType.TAXABLE_INDIVIDUAL).first()
    suffix = household.pk
    security = fund(f"LOSS{suffix}", f"Index {suffix}", "40")
    replacement = fund(f"REPL{suffix}", f"Other index {suffix}", "20")
    ReplacementFactory(firm=household.firm, security=security, replacement=replacement)
    lot = TaxLotFactory(
        account=account,
        security=security,
        original_quantity=Decimal(quantity),
        cost_basis=Decimal(basis),
        acquired=days_ago(200),
    )
    TransactionFactory(lot=lot, price=Decimal(basis) / Decimal(quantity))
    return lot


def review(household: Household) -> ActionPlan:
    done = services.household_review_run(
        household=household, tax_year=TODAY().year, as_of=TODAY(), requested_by=None
    )
    assert done.status == "done", done.error
    return done.plan


@pytest.fixture
def plans(households: dict[str, Household]) -> dict[str, ActionPlan]:
    """Each household of the ``households`` fixture with a harvest to make, reviewed."""
    out = {}
    for key, household in households.items():
        add_loss(household)
        out[key] = review(household)
    return out


def big_household(primary_advisor: Advisor, lots: int) -> Household:
    """Taxable, joint, IRA and 401(k) accounts; ``lots`` lots over 12 funds in four index
    groups, some at a loss, some at a gain, some bought in the last 30 days; recent sales."""
    household = HouseholdFactory(primary_advisor=primary_advisor, name=f"Big {lots}")
    taxpayer = PersonFactory(household=household, role="taxpayer")
    spouse = PersonFactory(household=household, role="spouse")
    TaxProfileFactory(
        household=household, filing_status="married_joint", expected_ordinary_income=250000
    )
    accounts = [
        AccountFactory(household=household, owner=taxpayer, type=AccountType.TAXABLE_INDIVIDUAL),
        AccountFactory(household=household, owner=spouse, type=AccountType.TAXABLE_JOINT),
        AccountFactory(household=household, owner=taxpayer, type=AccountType.TRADITIONAL_IRA),
        AccountFactory(household=household, owner=spouse, type=AccountType.K401),
    ]
    securities = [
        fund(f"B{household.pk}X{n}", f"Big index {household.pk} {n % 4}", str(40 + n))
        for n in range(12)
    ]
    for n in range(lots):
        security = securities[n % len(securities)]
        quantity = Decimal(20 + (n % 7) * 10)
        per_share = Decimal(30 + (n * 7) % 25)  # some under, some over the price
        recent = n % 50 == 7  # a few bought in the last 30 days: they block their group
        lot = TaxLotFactory(
            account=accounts[(n // 3) % len(accounts)],
            security=security,
            original_quantity=quantity,
            cost_basis=quantity * per_share,
            acquired=days_ago(10 if recent else 35 + (n * 37) % 900),
        )
        TransactionFactory(lot=lot, price=per_share)
    return household


@pytest.fixture
def make_big_household() -> Callable[[Advisor, int], Household]:
    return big_household

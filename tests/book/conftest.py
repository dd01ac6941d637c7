"""The book's fixtures: an advisor's empty household with a taxpayer, a taxable account and a
security with a price; ``counts()`` of every row a form could write (to prove nothing was)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from advisors.models import Advisor
from clients.models import (
    Account,
    ExternalRef,
    Household,
    Person,
    Security,
    TaxLot,
    TaxProfile,
    Transaction,
)
from tests.factories import (
    AccountFactory,
    HouseholdFactory,
    PersonFactory,
    PriceFactory,
    SecurityFactory,
)

MODELS = (Household, Person, Account, TaxProfile, TaxLot, Transaction, ExternalRef)


def counts() -> dict[str, object]:
    """Every row a book form could write, with the lots' figures (a change is a write too)."""
    out: dict[str, object] = {m.__name__: m.objects.count() for m in MODELS}
    out["lots"] = sorted(
        TaxLot.objects.values_list("pk", "quantity", "original_quantity", "cost_basis")
    )
    out["households"] = sorted(Household.objects.values_list("pk", "name", "notes", "team_id"))
    out["people"] = sorted(Person.objects.values_list("pk", "name", "date_of_death"))
    out["accounts"] = sorted(Account.objects.values_list("pk", "masked_number", "closed"))
    return out


@dataclass
class Book:
    household: Household
    taxpayer: Person
    account: Account
    security: Security
    client: Client


@pytest.fixture
def book(advisor: Advisor, client_for: Callable[[Advisor], Client]) -> Book:
    household = HouseholdFactory(primary_advisor=advisor, name="Lovelace")
    taxpayer = PersonFactory(household=household, name="Ada Lovelace")
    account = AccountFactory(household=household, owner=taxpayer, custodian="Schwab")
    security = SecurityFactory(symbol="VTI", name="Vanguard Total Stock Market ETF")
    PriceFactory(
        security=security,
        date=timezone.localdate() - datetime.timedelta(days=1),
        close=Decimal("100"),
    )
    return Book(household, taxpayer, account, security, client_for(advisor))

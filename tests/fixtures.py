"""Django fixtures, loaded by tests/conftest.py when pytest-django is active.

Firm A has the teams North and South. Its people: ``advisor`` (North), ``teammate`` (North,
a plain advisor too), ``team_lead`` (North's lead), ``other_team_advisor`` (South),
``firm_admin`` and ``compliance`` (its reviewer). ``outsider`` advises at firm B. Every one of
them who advises has a household of their own (``households[name]``), each with a person, a
taxable account, an open lot, a buy transaction and a price.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from advisors.models import Advisor, Firm, Role, Team
from clients.models import Household
from tests.factories import (
    AccountFactory,
    AdvisorFactory,
    FirmFactory,
    HouseholdFactory,
    PersonFactory,
    PriceFactory,
    SecurityFactory,
    TaxLotFactory,
    TaxProfileFactory,
    TeamFactory,
    TransactionFactory,
)

# Who may do what with whose household: "rw" sees and changes, "r" only sees, absent: 404.
# Users and households are named by fixture (a household by its primary advisor's fixture).
FIRM_A_HOUSEHOLDS = ("advisor", "teammate", "team_lead", "other_team_advisor")
HOUSEHOLD_KEYS = (*FIRM_A_HOUSEHOLDS, "outsider")
ACCESS: dict[str, dict[str, str]] = {
    "advisor": {"advisor": "rw"},
    "teammate": {"teammate": "rw"},
    "team_lead": {"advisor": "rw", "teammate": "rw", "team_lead": "rw"},
    "other_team_advisor": {"other_team_advisor": "rw"},
    "firm_admin": dict.fromkeys(FIRM_A_HOUSEHOLDS, "rw"),
    "compliance": dict.fromkeys(FIRM_A_HOUSEHOLDS, "r"),
    "outsider": {"outsider": "rw"},
}
USERS = tuple(ACCESS)


@pytest.fixture
def firm_a(db: None) -> Firm:
    return FirmFactory(name="Firm A", slug="firm-a")


@pytest.fixture
def firm_b(db: None) -> Firm:
    return FirmFactory(name="Firm B", slug="firm-b")


@pytest.fixture
def north(firm_a: Firm) -> Team:
    return TeamFactory(firm=firm_a, name="North")


@pytest.fixture
def south(firm_a: Firm) -> Team:
    return TeamFactory(firm=firm_a, name="South")


@pytest.fixture
def advisor(north: Team) -> Advisor:
    return AdvisorFactory(username="advisor", team=north, role=Role.ADVISOR)


@pytest.fixture
def teammate(north: Team) -> Advisor:
    return AdvisorFactory(username="teammate", team=north, role=Role.ADVISOR)


@pytest.fixture
def team_lead(north: Team) -> Advisor:
    return AdvisorFactory(username="team_lead", team=north, role=Role.TEAM_LEAD)


@pytest.fixture
def other_team_advisor(south: Team) -> Advisor:
    return AdvisorFactory(username="other_team_advisor", team=south, role=Role.ADVISOR)


@pytest.fixture
def firm_admin(firm_a: Firm) -> Advisor:
    return AdvisorFactory(username="firm_admin", firm=firm_a, team=None, role=Role.FIRM_ADMIN)


@pytest.fixture
def compliance(firm_a: Firm) -> Advisor:
    return AdvisorFactory(username="compliance", firm=firm_a, team=None, role=Role.COMPLIANCE)


@pytest.fixture
def outsider(firm_b: Firm) -> Advisor:
    return AdvisorFactory(username="outsider", team=TeamFactory(firm=firm_b, name="East"))


@pytest.fixture
def superuser(db: None) -> Advisor:
    return AdvisorFactory(username="root", team=None, firm=None, is_superuser=True)


def make_household(primary_advisor: Advisor, name: str) -> Household:
    """A household with a taxpayer, a taxable account, one open lot bought 400 days ago (with
    its buy transaction), a price for the lot's security today and a tax profile."""
    household = HouseholdFactory(primary_advisor=primary_advisor, name=name)
    person = PersonFactory(household=household, name=f"{name} Taxpayer")
    account = AccountFactory(household=household, owner=person)
    security = SecurityFactory()
    PriceFactory(security=security, date=timezone.localdate(), close=Decimal("12.50"))
    lot = TaxLotFactory(
        account=account,
        security=security,
        original_quantity=Decimal("100"),
        cost_basis=Decimal("1000.00"),
        acquired=timezone.localdate() - datetime.timedelta(days=400),
    )
    TransactionFactory(lot=lot, price=Decimal("10"))
    TaxProfileFactory(household=household)
    return household


@pytest.fixture
def households(
    advisor: Advisor,
    teammate: Advisor,
    team_lead: Advisor,
    other_team_advisor: Advisor,
    outsider: Advisor,
) -> dict[str, Household]:
    """One household per advising user, keyed by the fixture name of its primary advisor."""
    owners = {
        "advisor": advisor,
        "teammate": teammate,
        "team_lead": team_lead,
        "other_team_advisor": other_team_advisor,
        "outsider": outsider,
    }
    surnames = {
        "advisor": "Abbott",
        "teammate": "Barnes",
        "team_lead": "Chen",
        "other_team_advisor": "Diaz",
        "outsider": "Evans",
    }
    return {key: make_household(user, f"{surnames[key]} Family") for key, user in owners.items()}


@pytest.fixture
def users(
    advisor: Advisor,
    teammate: Advisor,
    team_lead: Advisor,
    other_team_advisor: Advisor,
    firm_admin: Advisor,
    compliance: Advisor,
    outsider: Advisor,
) -> dict[str, Advisor]:
    return {
        "advisor": advisor,
        "teammate": teammate,
        "team_lead": team_lead,
        "other_team_advisor": other_team_advisor,
        "firm_admin": firm_admin,
        "compliance": compliance,
        "outsider": outsider,
    }


@pytest.fixture
def client_for(db: None) -> Callable[[Advisor], Client]:
    """``client_for(user)``: a test client signed in as ``user``."""

    def make(user: Advisor) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make

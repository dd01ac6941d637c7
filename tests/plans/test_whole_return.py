"""The whole return on the site (issue 13, Django side): the tax profile and the household's
people feed the engine's version 2 fields, and the plan page shows the AMT, qualified dividends
and the 65+ deductions where a household has them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from clients.models import Household, ReliefMethod, SecurityKind
from taxlogic import services
from taxlogic.rules.harvest import plan_from_snapshot
from tests.factories import SecurityFactory, TaxLotFactory, TransactionFactory
from tests.plans.conftest import TODAY, add_loss, days_ago, review

pytestmark = pytest.mark.django_db


def _snapshot(household: Household) -> dict:
    return services.household_inputs(household, tax_year=TODAY().year, as_of=TODAY()).snapshot


def _profile(household: Household, **fields: object) -> None:
    profile = household.tax_profiles.get()
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.save()


def _taxpayer_born(household: Household, born: datetime.date, blind: bool = False) -> None:
    person = household.people.get()
    person.date_of_birth = born
    person.blind = blind
    person.save()


def test_the_old_profile_gives_the_old_case(households: dict) -> None:
    case = _snapshot(households["advisor"])["case"]
    assert case["income"] == {"ordinary": "120000.00", "investment": "0.00"}
    assert "deductions" not in case


def test_the_profile_and_people_feed_the_whole_return(households: dict) -> None:
    household = households["advisor"]
    _taxpayer_born(household, datetime.date(1955, 5, 2), blind=True)
    _profile(
        household,
        wages=Decimal("90000"),
        taxable_interest=Decimal("1200"),
        ordinary_dividends=Decimal("5000"),
        qualified_dividends=Decimal("4000"),
        capital_gain_distributions=Decimal("800"),
        other_long_term_gains=Decimal("40000"),
        state_local_taxes=Decimal("18000"),
        other_itemized_deductions=Decimal("9000"),
        state_marginal_rate=Decimal("0.0500"),
        gains_budget=Decimal("10000"),
    )
    snapshot = _snapshot(household)
    case = snapshot["case"]
    assert case["people"][0]["born"] == "1955-05-02"
    assert case["people"][0]["blind"] is True
    assert case["income"] == {
        "wages": "90000.00",
        "interest": "1200.00",
        "ordinary_dividends": "5000.00",
        "qualified_dividends": "4000.00",
        "capital_gain_distributions": "800.00",
        "other_long_term_gains": "40000.00",
    }
    assert case["deductions"] == {"state_local_taxes": "18000.00", "other_itemized": "9000.00"}
    assert snapshot["planner"]["state_marginal_rate"] == "0.05"
    assert snapshot["planner"]["gains_budget"] == "10000.00"
    plan = plan_from_snapshot(snapshot)  # the engine accepts it
    keys = {f.key for f in plan.figures}
    assert {"qualified_dividends", "age_65_deductions", "state_estimate"} <= keys


def test_qualified_dividends_with_the_older_totals(households: dict) -> None:
    household = households["advisor"]
    _profile(household, qualified_dividends=Decimal("3000"))
    income = _snapshot(household)["case"]["income"]
    assert income == {
        "ordinary": "120000.00",
        "investment": "0.00",
        "ordinary_dividends": "3000.00",
        "qualified_dividends": "3000.00",
    }


def test_average_basis_funds_are_named_for_accounts_that_use_it(households: dict) -> None:
    household = households["advisor"]
    account = household.accounts.get()
    fund = SecurityFactory(symbol="VFIAX", kind=SecurityKind.FUND)
    lot = TaxLotFactory(
        account=account,
        security=fund,
        original_quantity=Decimal("10"),
        cost_basis=Decimal("1000.00"),
        acquired=days_ago(100),
    )
    TransactionFactory(lot=lot, price=Decimal(100))
    assert "average_basis" not in _snapshot(household)["case"]["accounts"][0]
    account.average_basis = True
    account.relief_method = ReliefMethod.AVERAGE
    account.save()
    assert _snapshot(household)["case"]["accounts"][0]["average_basis"] == ["VFIAX"]


def test_the_plan_page_shows_amt_qualified_dividends_and_65_deductions(
    households: dict, users: dict, client_for: object
) -> None:
    household = households["advisor"]
    add_loss(household)
    _taxpayer_born(household, datetime.date(1950, 1, 1))
    # Single, 100,000 of wages and 900,000 of long-term gains elsewhere: AMT (Form 6251).
    _profile(
        household,
        wages=Decimal("100000"),
        ordinary_dividends=Decimal("2000"),
        qualified_dividends=Decimal("2000"),
        other_long_term_gains=Decimal("900000"),
    )
    review(household)
    page = client_for(users["advisor"]).get(reverse("taxlogic:plan", args=[household.public_id]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Alternative minimum tax" in html
    assert "Qualified dividends" in html
    assert "Deductions for age 65 or older" in html


def test_a_household_without_them_shows_none_of_them(
    households: dict, users: dict, client_for: object
) -> None:
    household = households["advisor"]
    add_loss(household)
    review(household)
    html = (
        client_for(users["advisor"])
        .get(reverse("taxlogic:plan", args=[household.public_id]))
        .content.decode()
    )
    assert "Alternative minimum tax" not in html
    assert "Qualified dividends" not in html
    assert "Deductions for age 65 or older" not in html


def test_the_profiles_joint_share_reaches_the_engine(households: dict) -> None:
    household = households["advisor"]
    account = household.accounts.get()
    account.type = "taxable_joint"
    account.save()
    assert "taxpayer_share" not in _snapshot(household)["case"]["accounts"][0]  # half: unsaid
    _profile(household, joint_taxpayer_share=Decimal("0.7000"))
    [shared] = _snapshot(household)["case"]["accounts"]
    assert (shared["type"], shared["taxpayer_share"]) == ("taxable_joint", "0.7")

"""Planned gains outside our accounts: the form on the plan page, and their sums in the
snapshot as the tax profile's other gains (income.other_short_term_gains / _long_)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from advisors.models import Advisor
from clients.models import Household
from taxlogic import services
from taxlogic.models import PlannedRealization
from taxlogic.planned import outside_gains
from tests.plans.conftest import TODAY

pytestmark = pytest.mark.django_db


def _income(household: Household) -> dict:
    inputs = services.household_inputs(household, tax_year=TODAY().year, as_of=TODAY())
    return inputs.snapshot["case"]["income"]


def test_planned_gains_reach_the_snapshot(
    households: dict[str, Household], advisor: Advisor, client_for: object
) -> None:
    household = households["advisor"]
    assert "other_long_term_gains" not in _income(household)  # nothing planned: unchanged
    client = client_for(advisor)
    url = reverse("taxlogic:planned_add", args=[household.public_id])
    march = datetime.date(TODAY().year, 3, 15)
    response = client.post(url, {"date": march, "amount": "40000", "term": "long", "note": "a"})
    assert response.status_code == 302
    client.post(url, {"date": march, "amount": "1500.50", "term": "short"})
    profile = household.tax_profiles.get()
    profile.other_long_term_gains = Decimal("1000.00")
    profile.save()
    income = _income(household)
    assert income["other_long_term_gains"] == "41000.00"
    assert income["other_short_term_gains"] == "1500.50"
    # Another year's plans stay out of this year.
    PlannedRealization.objects.create(
        firm=household.firm,
        household=household,
        tax_year=TODAY().year + 1,
        date=datetime.date(TODAY().year + 1, 2, 1),
        amount=Decimal(5),
        term="long",
    )
    assert _income(household)["other_long_term_gains"] == "41000.00"
    page = client.get(reverse("taxlogic:plan", args=[household.public_id]))
    assert "$40,000.00" in page.content.decode()


def test_bad_planned_gain_names_the_field(
    households: dict[str, Household], advisor: Advisor, client_for: object
) -> None:
    household = households["advisor"]
    url = reverse("taxlogic:planned_add", args=[household.public_id])
    response = client_for(advisor).post(
        url, {"date": "", "amount": "x", "term": "long"}, follow=True
    )
    text = response.content.decode()
    assert "Date" in text and "Amount" in text and not PlannedRealization.objects.exists()


def test_outside_gains_selector() -> None:
    class P:
        other_short_term_gains = None
        other_long_term_gains = Decimal("10.00")

    assert outside_gains(P(), (Decimal("1.00"), Decimal("0.00"))) == {
        "other_short_term_gains": "1.00",
        "other_long_term_gains": "10.00",
    }
    assert outside_gains(P(), (Decimal(0), Decimal("-10.00"))) == {}

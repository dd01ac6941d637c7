"""The API takes what the book's pages take, through the same services: an account's full
number (never returned), people's blindness and death, the whole return, and the actions a
correction or a corporate action needs (split, distribution, reversal, gift)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from clients.models import Account, TaxLot, Transaction
from tests.factories import SecurityFactory

TODAY = timezone.localdate


def test_an_account_with_its_full_number_returns_it_masked(api_a: object, households: dict) -> None:
    household = households["advisor"]
    owner = household.people.get()
    response = api_a.post(
        "/api/v1/accounts/",
        {
            "household": str(household.public_id),
            "owner": str(owner.public_id),
            "custodian": "Vanguard",
            "account_number": "99887766",
            "type": "roth_ira",
            "relief_method": "specific",
            "held_away": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["masked_number"] == "••••7766" and "account_number" not in body
    assert "99887766" not in response.content.decode()
    assert (body["relief_method"], body["held_away"]) == ("specific", True)
    assert Account.objects.get(public_id=body["id"]).account_number == "99887766"
    bad = api_a.post(
        "/api/v1/accounts/",
        {
            "household": str(household.public_id),
            "owner": str(owner.public_id),
            "custodian": "Vanguard",
            "type": "roth_ira",
            "average_basis": True,
        },
        format="json",
    )
    assert bad.status_code == 400 and "account_number" in bad.json()


def test_a_person_s_death_and_the_whole_return(api_a: object, households: dict) -> None:
    household = households["advisor"]
    response = api_a.post(
        "/api/v1/people/",
        {"household": str(household.public_id), "role": "spouse", "name": "Sam",
         "date_of_birth": "1950-01-01", "blind": True, "date_of_death": "1949-01-01"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400 and "date_of_death" in response.json()
    profile = household.tax_profiles.get()
    changed = api_a.patch(
        f"/api/v1/tax-profiles/{profile.public_id}/",
        {"wages": "90000.00", "ordinary_dividends": "100.00", "qualified_dividends": "300.00"},
        format="json",
    )
    assert changed.status_code == 400 and "qualified_dividends" in changed.json()
    changed = api_a.patch(
        f"/api/v1/tax-profiles/{profile.public_id}/",
        {"wages": "90000.00", "state_marginal_rate": "0.0450"},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["expected_ordinary_income"] == "90000.00"
    assert changed.json()["state_marginal_rate"] == "0.0450"


def test_split_distribution_reversal_and_gift_through_the_api(
    api_a: object, households: dict
) -> None:
    account = households["advisor"].accounts.get()
    lot = account.lots.get()
    symbol = lot.security.symbol
    day = (TODAY() - datetime.timedelta(days=1)).isoformat()
    base = {"account": str(account.public_id), "security": symbol, "trade_date": day}
    split = api_a.post(
        "/api/v1/transactions/",
        {**base, "action": "split", "quantity": "0", "price": "0", "ratio": "2"},
        format="json",
    )
    assert split.status_code == 201, split.json()
    assert TaxLot.objects.get(pk=lot.pk).quantity == lot.quantity * 2
    reversal = api_a.post(
        "/api/v1/transactions/",
        {**base, "action": "reversal", "quantity": "0", "price": "0",
         "reverses": split.json()["id"]},
        format="json",
    )  # fmt: skip
    assert reversal.status_code == 201, reversal.json()
    assert reversal.json()["reverses"] == split.json()["id"]
    assert TaxLot.objects.get(pk=lot.pk).quantity == lot.quantity
    distribution = api_a.post(
        "/api/v1/transactions/",
        {**base, "action": "distribution", "quantity": "0", "price": "0", "amount": "12.00"},
        format="json",
    )
    assert distribution.status_code == 201
    SecurityFactory(symbol="GIFTED")
    gift = api_a.post(
        "/api/v1/transactions/",
        {**base, "security": "GIFTED", "action": "transfer_in", "quantity": "5",
         "price": "10", "acquired": "2015-01-01", "cost_basis": "20.00",
         "how_acquired": "gift", "gift_date": "2020-01-01", "gift_value": "35.00"},
        format="json",
    )  # fmt: skip
    assert gift.status_code == 201, gift.json()
    gifted = Transaction.objects.get(public_id=gift.json()["id"]).lot
    assert (gifted.how_acquired, gifted.gift_value) == ("gift", Decimal("35.00"))

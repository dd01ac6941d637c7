"""The scoping matrix on the pages: every household, account and lot page answers 200, 403 or
404 exactly as the roles say, and nobody reaches another firm by guessing ids."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.models import Household, TaxLot, Transaction
from tests.conftest import ACCESS, HOUSEHOLD_KEYS, USERS


def _objects(household: Household) -> tuple[object, object]:
    account = household.accounts.get()
    return account, account.lots.get()


def _read_pages(household: Household) -> list[str]:
    account, lot = _objects(household)
    return [
        reverse("clients:household_detail", args=[household.public_id]),
        reverse("clients:account_detail", args=[account.public_id]),
        reverse("clients:lot_detail", args=[lot.public_id]),
    ]


def _write_pages(household: Household) -> list[str]:
    account, _ = _objects(household)
    return [
        reverse("clients:household_edit", args=[household.public_id]),
        reverse("clients:transaction_create", args=[account.public_id]),
    ]


@pytest.mark.parametrize("user_key", USERS)
@pytest.mark.parametrize("household_key", HOUSEHOLD_KEYS)
def test_read_pages(
    users: dict, households: dict, client_for: object, user_key: str, household_key: str
) -> None:
    client = client_for(users[user_key])
    expected = 200 if household_key in ACCESS[user_key] else 404
    for url in _read_pages(households[household_key]):
        assert client.get(url).status_code == expected, url


@pytest.mark.parametrize("user_key", USERS)
@pytest.mark.parametrize("household_key", HOUSEHOLD_KEYS)
def test_write_pages(
    users: dict, households: dict, client_for: object, user_key: str, household_key: str
) -> None:
    client = client_for(users[user_key])
    household = households[household_key]
    access = ACCESS[user_key].get(household_key)
    expected_get = {"rw": 200, "r": 403, None: 404}[access]
    for url in _write_pages(household):
        assert client.get(url).status_code == expected_get, url

    account, lot = _objects(household)
    edit = client.post(
        reverse("clients:household_edit", args=[household.public_id]),
        {"name": "Changed by a test", "external_crm_id": household.external_crm_id},
    )
    sale = client.post(
        reverse("clients:transaction_create", args=[account.public_id]),
        {
            "action": "sell",
            "security": lot.security.public_id,
            "trade_date": timezone.localdate().isoformat(),
            "quantity": "10",
            "price": "12.50",
            "fees": "0",
            "lot": lot.public_id,
        },
    )
    expected_post = {"rw": 302, "r": 403, None: 404}[access]
    assert edit.status_code == expected_post
    assert sale.status_code == expected_post
    household.refresh_from_db()
    lot.refresh_from_db()
    changed = access == "rw"
    assert (household.name == "Changed by a test") is changed
    assert (lot.quantity == Decimal("90")) is changed
    assert Transaction.objects.filter(lot=lot, action="sell").exists() is changed


@pytest.mark.parametrize("user_key", USERS)
def test_read_only_and_writable_pages_say_so(
    users: dict, households: dict, client_for: object, user_key: str
) -> None:
    client = client_for(users[user_key])
    for household_key, access in ACCESS[user_key].items():
        household = households[household_key]
        html = client.get(_read_pages(household)[0]).content.decode()
        edit_url = reverse("clients:household_edit", args=[household.public_id])
        assert (edit_url in html) is (access == "rw")
        assert ("read only" in html) is (access == "r")


@pytest.mark.parametrize("user_key", USERS)
def test_guessed_ids_are_404(
    users: dict, households: dict, client_for: object, user_key: str
) -> None:
    client = client_for(users[user_key])
    for name in ("household_detail", "account_detail", "lot_detail", "household_edit"):
        assert client.get(reverse(f"clients:{name}", args=[uuid.uuid4()])).status_code == 404
    # A sequential key is not a URL at all.
    assert client.get(f"/households/{households['advisor'].pk}/").status_code == 404


def test_a_sale_of_more_than_the_lot_holds_shows_the_error_on_the_field(
    users: dict, households: dict, client_for: object
) -> None:
    household = households["advisor"]
    account, lot = _objects(household)
    response = client_for(users["advisor"]).post(
        reverse("clients:transaction_create", args=[account.public_id]),
        {
            "action": "sell",
            "security": lot.security.public_id,
            "trade_date": timezone.localdate().isoformat(),
            "quantity": "150",
            "price": "12.50",
            "lot": lot.public_id,
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "quantity" in form.errors
    assert "The lot holds 100 shares" in form.errors["quantity"][0]
    assert not Transaction.objects.filter(lot=lot, action="sell").exists()
    assert TaxLot.objects.get(pk=lot.pk).quantity == Decimal("100")


def test_the_transaction_form_offers_only_this_accounts_open_lots(
    users: dict, households: dict, client_for: object
) -> None:
    household = households["advisor"]
    account, lot = _objects(household)
    _, other_lot = _objects(households["teammate"])
    response = client_for(users["team_lead"]).post(
        reverse("clients:transaction_create", args=[account.public_id]),
        {
            "action": "sell",
            "security": other_lot.security.public_id,
            "trade_date": timezone.localdate().isoformat(),
            "quantity": "1",
            "price": "1",
            "lot": other_lot.public_id,
        },
    )
    assert response.status_code == 200
    assert "lot" in response.context["form"].errors
    assert list(response.context["form"].fields["lot"].queryset) == [lot]

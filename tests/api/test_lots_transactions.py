"""Lots and transactions: never changed or deleted through the API, corrected by new
transactions; the lot import is all or nothing and names each failing row and field."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from clients.models import TaxLot, Transaction
from tests.factories import SecurityFactory

LOTS, TRANSACTIONS = "/api/v1/lots/", "/api/v1/transactions/"


def _row(account: object, symbol: str, **extra: object) -> dict:
    return {
        "account": str(account.public_id),
        "security": symbol,
        "quantity": "10.5",
        "cost_basis": "1050.00",
        "acquired": "2023-06-01",
        **extra,
    }


def test_lot_list_retrieve_amounts_are_strings(api_a: object, households: dict) -> None:
    lot = households["advisor"].accounts.get().lots.get()
    data = api_a.get(f"{LOTS}{lot.public_id}/").json()
    assert data["cost_basis"] == "1000.00"
    assert data["adjusted_basis"] == "1000.00"
    assert data["quantity"] == "100.000000"
    assert data["household"] == str(households["advisor"].public_id)
    listed = api_a.get(LOTS, {"household": str(households["advisor"].public_id)}).json()
    assert [r["id"] for r in listed["results"]] == [str(lot.public_id)]
    assert api_a.get(LOTS, {"is_open": "false"}).json()["results"] == []


def test_create_one_lot(api_a: object, households: dict) -> None:
    account = households["advisor"].accounts.get()
    SecurityFactory(symbol="VTI")
    response = api_a.post(LOTS, _row(account, "VTI", external_id="L-1"), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["cost_basis"] == "1050.00"
    assert response.json()["holding_period_start"] == "2023-06-01"
    lot = TaxLot.objects.get(public_id=response.json()["id"])
    assert lot.firm_id == account.household.firm_id and lot.original_quantity == Decimal("10.5")


def test_import_is_atomic_and_names_rows_and_fields(api_a: object, households: dict) -> None:
    account = households["advisor"].accounts.get()
    SecurityFactory(symbol="VXUS")
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    rows = [
        _row(account, "VXUS", external_id="A"),
        _row(account, "NOPE"),
        _row(account, "VXUS", acquired=future),
        _row(account, "VXUS", external_id="A"),
        _row(account, "VXUS", cost_basis="1.005"),
    ]
    before = TaxLot.objects.count()
    response = api_a.post(f"{LOTS}import/", {"lots": rows}, format="json")
    assert response.status_code == 400
    errors = response.json()["lots"]
    assert set(errors) == {"1", "4"}  # fields first: the service checks run on clean rows
    assert "security" in errors["1"] and "cost_basis" in errors["4"]
    assert TaxLot.objects.count() == before

    rows = [rows[0], rows[2], rows[3]]
    response = api_a.post(f"{LOTS}import/", {"lots": rows}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "lots": {
            "1": {"acquired": [f"The acquisition date {future} is in the future."]},
            "2": {"external_id": ["Lot A is also in row 0."]},
        }
    }
    assert TaxLot.objects.count() == before

    ok = [_row(account, "VXUS", external_id=f"B{i}", quantity="1") for i in range(3)]
    response = api_a.post(f"{LOTS}import/", {"lots": ok}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["count"] == 3
    assert TaxLot.objects.count() == before + 3
    again = api_a.post(f"{LOTS}import/", {"lots": ok[:1]}, format="json")
    assert again.json() == {"lots": {"0": {"external_id": ["Lot B0 is already in this account."]}}}


def test_import_validates_gifts(api_a: object, households: dict) -> None:
    account = households["advisor"].accounts.get()
    SecurityFactory(symbol="GIFT")
    rows = [_row(account, "GIFT", how_acquired="gift")]
    response = api_a.post(f"{LOTS}import/", {"lots": rows}, format="json")
    assert response.status_code == 400
    assert set(response.json()["lots"]["0"]) == {"gift_date", "gift_value"}


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_lots_and_transactions_are_never_edited_or_deleted(
    api_a: object, households: dict, method: str
) -> None:
    account = households["advisor"].accounts.get()
    lot = account.lots.get()
    trade = lot.transactions.get()
    for url in (f"{LOTS}{lot.public_id}/", f"{TRANSACTIONS}{trade.public_id}/"):
        response = getattr(api_a, method)(url, {}, format="json")
        assert response.status_code == 405, url
    assert TaxLot.objects.filter(pk=lot.pk).exists()


def test_record_a_sale_relieves_the_lot(api_a: object, households: dict) -> None:
    account = households["advisor"].accounts.get()
    lot = account.lots.get()
    body = {
        "account": str(account.public_id),
        "security": lot.security.symbol,
        "action": "sell",
        "trade_date": timezone.localdate().isoformat(),
        "quantity": "40",
        "price": "12.50",
        "fees": "1.00",
        "lot": str(lot.public_id),
        "external_id": "T-1",
    }
    response = api_a.post(TRANSACTIONS, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["amount"] == "499.00" and data["basis_relieved"] == "400.00"
    lot.refresh_from_db()
    assert lot.quantity == Decimal("60") and lot.cost_basis == Decimal("600.00")
    assert Transaction.objects.get(public_id=data["id"]).recorded_by is None  # an API client

    again = api_a.post(
        TRANSACTIONS, {**body, "quantity": "100", "external_id": "T-2"}, format="json"
    )
    assert again.status_code == 400
    assert "more than it holds" in again.json()["quantity"][0]
    dup = api_a.post(TRANSACTIONS, {**body, "quantity": "1"}, format="json")
    assert dup.status_code == 400 and "external_id" in dup.json()


def test_record_a_buy_opens_a_lot(api_a: object, households: dict) -> None:
    account = households["advisor"].accounts.get()
    body = {
        "account": str(account.public_id),
        "security": SecurityFactory(symbol="IVV").symbol,
        "action": "buy",
        "trade_date": timezone.localdate().isoformat(),
        "quantity": "3",
        "price": "500",
    }
    response = api_a.post(TRANSACTIONS, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == "1500.00"
    lot_id = response.json()["lot"]
    assert api_a.get(f"{LOTS}{lot_id}/").json()["cost_basis"] == "1500.00"
    listed = api_a.get(TRANSACTIONS, {"lot": lot_id, "action": "buy"}).json()["results"]
    assert [t["id"] for t in listed] == [response.json()["id"]]


def test_transaction_validation(api_a: object, households: dict) -> None:
    account = households["advisor"].accounts.get()
    body = {
        "account": str(account.public_id),
        "security": account.lots.get().security.symbol,
        "action": "sell",
        "trade_date": "2999-01-01",
        "quantity": "-1",
        "price": "x",
    }
    response = api_a.post(TRANSACTIONS, body, format="json")
    assert response.status_code == 400
    assert {"quantity", "price"} <= set(response.json())
    huge = {
        **body,
        "quantity": "99999999999999",
        "price": "999999999999",
        "action": "buy",
        "trade_date": "2020-01-01",
    }
    response = api_a.post(TRANSACTIONS, huge, format="json")
    assert response.status_code == 400 and "quantity" in response.json()


def test_compliance_session_cannot_record(
    session_api: object, compliance: object, households: dict
) -> None:
    account = households["advisor"].accounts.get()
    body = {
        "account": str(account.public_id),
        "security": account.lots.get().security.symbol,
        "action": "buy",
        "trade_date": "2024-01-02",
        "quantity": "1",
        "price": "1",
    }
    response = session_api(compliance).post(TRANSACTIONS, body, format="json")
    assert response.status_code == 403

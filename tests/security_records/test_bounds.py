"""Input bounds (clients/bounds.py), the same on every path: money within ±10^12 with cents,
quantities under 10^12, dates 1900–2200, birth dates not in the future, no sale before the
lot was acquired; forms, the API, the services and the models all refuse with a field error
and write nothing. Huge bodies answer 413 and deep JSON 400, both as JSON, never 500."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clients import bounds, services
from clients.book_forms import TransactionBookForm
from clients.models import Action, Person, TaxLot, TaxProfile, Transaction
from taxlogic.forms import HarvestSettingsForm

LOTS, TRANSACTIONS = "/api/v1/lots/", "/api/v1/transactions/"
HUGE = "9999999999999999.99"


def _counts() -> tuple[int, int, int]:
    return TaxLot.objects.count(), Transaction.objects.count(), Person.objects.count()


def _lot_row(account: object, symbol: str, **extra: object) -> dict:
    return {
        "account": str(account.public_id),
        "security": symbol,
        "quantity": "10",
        "cost_basis": "100.00",
        "acquired": "2020-06-01",
        **extra,
    }


def test_the_limits() -> None:
    assert bounds.errors(a=("money", Decimal("1000000000000"))) == {}
    assert bounds.errors(a=("money", Decimal("-1000000000000"))) == {}
    assert "a" in bounds.errors(a=("money", Decimal("1000000000000.01")))
    assert "a" in bounds.errors(a=("money", Decimal("-999999999999999.99")))
    assert "a" in bounds.errors(a=("quantity", Decimal("1000000000000.000001")))
    assert bounds.errors(a=("date", datetime.date(1900, 1, 1))) == {}
    assert bounds.errors(a=("date", datetime.date(2200, 12, 31))) == {}
    assert "a" in bounds.errors(a=("date", datetime.date(1899, 12, 31)))
    assert "a" in bounds.errors(a=("date", datetime.date(2201, 1, 1)))
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert "a" in bounds.errors(a=("past_date", tomorrow))
    assert bounds.errors(a=("date", tomorrow)) == {}


# --- The API ----------------------------------------------------------------------------------


def test_a_buy_with_a_huge_amount_is_refused(api_a: object, households: dict) -> None:
    lot = households["advisor"].accounts.get().lots.get()
    before = _counts()
    response = api_a.post(
        TRANSACTIONS,
        {
            "account": str(lot.account.public_id),
            "security": lot.security.symbol,
            "action": Action.BUY,
            "trade_date": "2024-01-05",
            "quantity": "1",
            "price": "10",
            "amount": HUGE,
        },
        format="json",
    )
    assert response.status_code == 400, response.json()
    assert "amount" in response.json()
    assert _counts() == before


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"acquired": "0001-01-01"}, "acquired"),
        ({"acquired": "2201-01-01"}, "acquired"),
        ({"how_acquired": "gift", "gift_date": "0001-01-01", "gift_value": "5.00"}, "gift_date"),
        ({"how_acquired": "gift", "gift_date": "1899-12-31", "gift_value": "5.00"}, "gift_date"),
        ({"cost_basis": HUGE}, "cost_basis"),
        ({"quantity": "1000000000001"}, "quantity"),
        ({"holding_period_start": "0001-01-01"}, "holding_period_start"),
    ],
)
def test_lots_out_of_bounds_are_refused(
    api_a: object, households: dict, extra: dict, field: str
) -> None:
    account = households["advisor"].accounts.get()
    symbol = account.lots.get().security.symbol
    before = _counts()
    response = api_a.post(LOTS, _lot_row(account, symbol, **extra), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json(), response.json()
    assert _counts() == before
    imported = api_a.post(
        f"{LOTS}import/", {"lots": [_lot_row(account, symbol, **extra)]}, format="json"
    )
    assert imported.status_code == 400 and field in imported.json()["lots"]["0"]
    assert _counts() == before


def test_birth_dates_are_bounded(api_a: object, households: dict) -> None:
    household = households["advisor"]
    before = _counts()
    for value in ("9999-12-31", "0001-01-01", "1899-12-31"):
        response = api_a.post(
            "/api/v1/people/",
            {
                "household": str(household.public_id),
                "role": "spouse",
                "name": "X",
                "date_of_birth": value,
            },
            format="json",
        )
        assert response.status_code == 400 and "date_of_birth" in response.json()
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    person = household.people.get()
    response = api_a.patch(
        f"/api/v1/people/{person.public_id}/", {"date_of_birth": tomorrow}, format="json"
    )
    assert response.status_code == 400 and "date_of_birth" in response.json()
    person.refresh_from_db()
    assert person.date_of_birth is None or person.date_of_birth <= timezone.localdate()
    assert _counts() == before


def test_an_income_out_of_bounds_is_refused(api_a: object, households: dict) -> None:
    profile = TaxProfile.objects.get(household=households["advisor"])
    old = profile.expected_ordinary_income
    response = api_a.patch(
        f"/api/v1/tax-profiles/{profile.public_id}/",
        {"expected_ordinary_income": "-999999999999999.99"},
        format="json",
    )
    assert response.status_code == 400 and "expected_ordinary_income" in response.json()
    profile.refresh_from_db()
    assert profile.expected_ordinary_income == old


# --- The services (importers and every other caller) and the models ---------------------------


def test_services_refuse_out_of_bounds(households: dict, advisor: object) -> None:
    lot = households["advisor"].accounts.get().lots.get()
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        services.transaction_record(
            account=lot.account,
            security=lot.security,
            action=Action.BUY,
            trade_date=datetime.date(2024, 1, 5),
            quantity=Decimal("1"),
            price=Decimal("10"),
            amount=Decimal(HUGE),
            recorded_by=advisor,
        )
    assert "amount" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.transaction_record(
            account=lot.account,
            security=lot.security,
            action=Action.TRANSFER_IN,
            trade_date=datetime.date(2024, 1, 5),
            quantity=Decimal("1"),
            price=Decimal("10"),
            acquired=datetime.date(1, 1, 1),
            cost_basis=Decimal("5"),
            recorded_by=advisor,
        )
    assert "acquired" in caught.value.message_dict
    row = services.LotInput(
        account=lot.account,
        security=lot.security,
        quantity=Decimal("1"),
        cost_basis=Decimal("1"),
        acquired=datetime.date(2000, 1, 1),
        how_acquired="gift",
        gift_date=datetime.date(1, 1, 1),
        gift_value=Decimal("1"),
    )
    with pytest.raises(services.LotImportError) as failed:
        services.lots_import(actor=advisor, rows=[row])
    assert "gift_date" in failed.value.rows[0]
    assert _counts() == before


def test_a_lot_is_never_sold_before_it_was_acquired(households: dict, advisor: object) -> None:
    lot = households["advisor"].accounts.get().lots.get()
    with pytest.raises(ValidationError) as caught:
        services.transaction_record(
            account=lot.account,
            security=lot.security,
            action=Action.SELL,
            trade_date=lot.acquired - datetime.timedelta(days=1),
            quantity=Decimal("1"),
            price=Decimal("10"),
            lot=lot,
            recorded_by=advisor,
        )
    assert "trade_date" in caught.value.message_dict


def test_model_validation_holds_the_same_bounds(households: dict) -> None:
    person = households["advisor"].people.get()
    person.date_of_birth = datetime.date(9999, 12, 31)
    with pytest.raises(ValidationError) as caught:
        person.full_clean()
    assert "date_of_birth" in caught.value.message_dict
    profile = TaxProfile.objects.get(household=households["advisor"])
    profile.wages = Decimal("-999999999999999.99")
    with pytest.raises(ValidationError) as caught:
        profile.full_clean()
    assert "wages" in caught.value.message_dict


def test_forms_hold_the_same_bounds(households: dict) -> None:
    lot = households["advisor"].accounts.get().lots.get()
    form = TransactionBookForm(
        {
            "action": Action.BUY,
            "security": str(lot.security.public_id),
            "trade_date": "0001-01-01",
            "quantity": "1000000000001",
            "price": "10",
            "fees": "-999999999999999.99",
        },
        lots=TaxLot.objects.none(),
    )
    assert not form.is_valid()
    assert {"trade_date", "quantity", "fees"} <= set(form.errors)
    settings_form = HarvestSettingsForm({"min_loss_dollars": HUGE})
    assert not settings_form.is_valid() and "min_loss_dollars" in settings_form.errors


# --- Bodies: 413 past the limit, 400 past the nesting depth -----------------------------------


def test_a_body_past_the_limit_is_413_json(api_a: object, settings: object) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = b'{"a": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = api_a.generic("POST", LOTS, body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "too large" in response.json()["detail"]


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 100_000, b"[" * 33 + b"]" * 33])
def test_deep_json_is_400(api_a: object, body: bytes) -> None:
    before = _counts()
    response = api_a.generic("POST", LOTS, body, content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    assert _counts() == before


def test_json_within_the_depth_still_parses(api_a: object, households: dict) -> None:
    # 32 levels deep is allowed (a normal request is three or four); strings may hold brackets.
    body = b'{"x": "[[[[{{{{", "n":' + b"[" * 30 + b"]" * 30 + b"}"
    response = api_a.generic("POST", LOTS, body, content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" not in str(response.json())  # field errors, not a parse error

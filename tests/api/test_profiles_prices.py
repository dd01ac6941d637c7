"""Tax profiles (per household and year), prices and securities (reference data)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from clients.models import Price
from tests.factories import SecurityFactory

PROFILES, PRICES, SECURITIES = "/api/v1/tax-profiles/", "/api/v1/prices/", "/api/v1/securities/"


def test_tax_profiles(api_a: object, households: dict) -> None:
    household = households["advisor"]
    listed = api_a.get(PROFILES, {"household": str(household.public_id)}).json()["results"]
    assert len(listed) == 1 and listed[0]["expected_ordinary_income"] == "120000.00"
    body = {
        "household": str(household.public_id),
        "tax_year": 2031,
        "filing_status": "married_joint",
        "carryforward_long_term": "2500.5",
    }
    response = api_a.post(PROFILES, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["carryforward_long_term"] == "2500.50"
    duplicate = api_a.post(PROFILES, body, format="json")
    assert duplicate.status_code == 400 and "non_field_errors" in duplicate.json()
    url = f"{PROFILES}{response.json()['id']}/"
    changed = api_a.patch(url, {"investment_income": "10"}, format="json")
    assert changed.status_code == 200 and changed.json()["investment_income"] == "10.00"
    bad = api_a.patch(url, {"carryforward_short_term": "-1"}, format="json")
    assert bad.status_code == 400 and "carryforward_short_term" in bad.json()
    assert api_a.post(PROFILES, {**body, "tax_year": 1999}, format="json").status_code == 400


def test_prices_are_read_by_all_written_by_operators(
    api_a: object, session_api: object, superuser: object, households: dict
) -> None:
    security = SecurityFactory(symbol="QQQ")
    body = {"security": "QQQ", "date": "2024-05-01", "close": "440.123456"}
    refused = api_a.post(PRICES, body, format="json")
    assert refused.status_code == 403
    assert "operators" in refused.json()["detail"]

    operator = session_api(superuser)
    created = operator.post(PRICES, body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["close"] == "440.123456"
    price = Price.objects.get(public_id=created.json()["id"])
    changed = operator.patch(f"{PRICES}{price.public_id}/", {"close": "441"}, format="json")
    assert changed.status_code == 200
    price.refresh_from_db()
    assert price.close == Decimal("441")
    assert operator.post(PRICES, body, format="json").status_code == 400  # one per day

    listed = api_a.get(PRICES, {"security": "qqq"}).json()["results"]
    assert [p["id"] for p in listed] == [str(price.public_id)]
    ranged = api_a.get(PRICES, {"security": "QQQ", "date_after": "2024-06-01"}).json()
    assert ranged["results"] == []
    assert security.symbol == "QQQ"


def test_securities_read_only(api_a: object, households: dict) -> None:
    SecurityFactory(symbol="BND", cusip="921937835")
    found = api_a.get(SECURITIES, {"symbol": "bnd"}).json()["results"]
    assert len(found) == 1 and found[0]["cusip"] == "921937835"
    assert api_a.post(SECURITIES, {}, format="json").status_code == 405
    assert (
        api_a.get(SECURITIES, {"updated_since": timezone.now().isoformat()}).json()["results"] == []
    )

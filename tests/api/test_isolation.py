"""Firm isolation: an API client of firm A gets 404 for every object of firm B, by id, through
every filter that names an object, and by B's CRM ids; no list ever shows B's rows."""

from __future__ import annotations

import pytest

from clients.models import Household
from tests.factories import ExternalRefFactory


def _firm_b_objects(households: dict) -> dict[str, object]:
    household: Household = households["outsider"]
    account = household.accounts.get()
    lot = account.lots.get()
    return {
        "households": household,
        "people": household.people.get(),
        "accounts": account,
        "lots": lot,
        "transactions": lot.transactions.get(),
        "tax-profiles": household.tax_profiles.get(),
        "advisors": household.primary_advisor,
    }


RESOURCES = ["households", "people", "accounts", "lots", "transactions", "tax-profiles", "advisors"]
WRITABLE = ["households", "people", "accounts", "tax-profiles"]

# (list, filter, the firm-B object it names)
FILTERS = [
    ("households", "primary_advisor", "advisors"),
    ("people", "household", "households"),
    ("accounts", "household", "households"),
    ("accounts", "owner", "people"),
    ("lots", "household", "households"),
    ("lots", "account", "accounts"),
    ("transactions", "household", "households"),
    ("transactions", "account", "accounts"),
    ("transactions", "lot", "lots"),
    ("tax-profiles", "household", "households"),
]


@pytest.mark.parametrize("resource", RESOURCES)
def test_by_id_is_404(api_a: object, households: dict, resource: str) -> None:
    obj = _firm_b_objects(households)[resource]
    response = api_a.get(f"/api/v1/{resource}/{obj.public_id}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such object."}


@pytest.mark.parametrize("resource", WRITABLE)
def test_changing_by_id_is_404(api_a: object, households: dict, resource: str) -> None:
    obj = _firm_b_objects(households)[resource]
    response = api_a.patch(f"/api/v1/{resource}/{obj.public_id}/", {"name": "x"}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize("resource", RESOURCES)
def test_lists_never_show_firm_b(api_a: object, households: dict, resource: str) -> None:
    obj = _firm_b_objects(households)[resource]
    response = api_a.get(f"/api/v1/{resource}/", {"page_size": 500})
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert ids, "firm A's own rows are listed"
    assert str(obj.public_id) not in ids


@pytest.mark.parametrize(("resource", "name", "target"), FILTERS)
def test_filters_naming_firm_b_objects_are_404(
    api_a: object, households: dict, resource: str, name: str, target: str
) -> None:
    obj = _firm_b_objects(households)[target]
    response = api_a.get(f"/api/v1/{resource}/", {name: str(obj.public_id)})
    assert response.status_code == 404
    # …and the same filter with firm A's own object works.
    own = _firm_a_object(households, target)
    assert api_a.get(f"/api/v1/{resource}/", {name: str(own.public_id)}).status_code == 200


def _firm_a_object(households: dict, target: str) -> object:
    household = households["advisor"]
    account = household.accounts.get()
    return {
        "households": household,
        "people": household.people.get(),
        "accounts": account,
        "lots": account.lots.get(),
        "advisors": household.primary_advisor,
    }[target]


@pytest.mark.parametrize("resource", ["households", "people", "accounts"])
def test_firm_b_crm_ids_find_nothing(api_a: object, households: dict, resource: str) -> None:
    obj = _firm_b_objects(households)[resource]
    ExternalRefFactory(owner=obj, system="redtail", external_id="B-1")
    listed = api_a.get(f"/api/v1/{resource}/", {"external_ref": "redtail:B-1"})
    assert listed.status_code == 200 and listed.json()["results"] == []
    assert api_a.get(f"/api/v1/{resource}/by-ref/redtail/B-1/").status_code == 404


def test_upsert_with_firm_b_crm_id_creates_firm_a_household(
    api_a: object, households: dict, advisor: object
) -> None:
    firm_b_household = households["outsider"]
    ExternalRefFactory(owner=firm_b_household, system="redtail", external_id="SAME")
    body = {"name": "Our own", "primary_advisor": str(advisor.public_id)}
    response = api_a.put("/api/v1/households/by-ref/redtail/SAME/", body, format="json")
    assert response.status_code == 201
    assert response.json()["id"] != str(firm_b_household.public_id)
    firm_b_household.refresh_from_db()
    assert firm_b_household.name == "Evans Family"


def test_writes_cannot_point_at_firm_b(api_a: object, households: dict) -> None:
    objects = _firm_b_objects(households)
    own_account = households["advisor"].accounts.get()
    response = api_a.post(
        "/api/v1/people/",
        {"household": str(objects["households"].public_id), "role": "dependent", "name": "x"},
        format="json",
    )
    assert response.status_code == 400 and "household" in response.json()
    response = api_a.post(
        "/api/v1/transactions/",
        {
            "account": str(own_account.public_id),
            "security": objects["lots"].security.symbol,
            "action": "sell",
            "trade_date": "2024-01-02",
            "quantity": "1",
            "price": "1",
            "lot": str(objects["lots"].public_id),
        },
        format="json",
    )
    assert response.status_code == 400 and "lot" in response.json()


# --- Reviews, plans and recommendations (of reviewed households: the plans fixture) ---------

PLAN_RESOURCES = ["reviews", "action-plans", "recommendations"]
PLAN_FILTERS = [
    ("reviews", "household", "households"),
    ("reviews", "plan", "action-plans"),
    ("action-plans", "household", "households"),
    ("recommendations", "household", "households"),
    ("recommendations", "plan", "action-plans"),
]
HOUSEHOLD_PATHS = [("post", "reviews/"), ("get", "action-plan/")]
DECISIONS = ["approve", "dismiss", "executed", "reopen"]


def _plan_objects(plans: dict, key: str) -> dict[str, object]:
    plan = plans[key]
    return {
        "households": plan.household,
        "reviews": plan.reviews.get(),
        "action-plans": plan,
        "recommendations": plan.recommendations.first(),
    }


@pytest.mark.parametrize("resource", PLAN_RESOURCES)
def test_plans_by_id_are_404(api_a: object, plans: dict, resource: str) -> None:
    obj = _plan_objects(plans, "outsider")[resource]
    response = api_a.get(f"/api/v1/{resource}/{obj.public_id}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such object."}
    own = _plan_objects(plans, "advisor")[resource]
    assert api_a.get(f"/api/v1/{resource}/{own.public_id}/").status_code == 200


@pytest.mark.parametrize("resource", PLAN_RESOURCES)
def test_plan_lists_never_show_firm_b(api_a: object, plans: dict, resource: str) -> None:
    obj = _plan_objects(plans, "outsider")[resource]
    response = api_a.get(f"/api/v1/{resource}/", {"page_size": 500})
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert ids, "firm A's own rows are listed"
    assert str(obj.public_id) not in ids


@pytest.mark.parametrize(("resource", "name", "target"), PLAN_FILTERS)
def test_plan_filters_naming_firm_b_objects_are_404(
    api_a: object, plans: dict, resource: str, name: str, target: str
) -> None:
    obj = _plan_objects(plans, "outsider")[target]
    response = api_a.get(f"/api/v1/{resource}/", {name: str(obj.public_id)})
    assert response.status_code == 404
    own = _plan_objects(plans, "advisor")[target]
    listed = api_a.get(f"/api/v1/{resource}/", {name: str(own.public_id)})
    assert listed.status_code == 200 and listed.json()["results"]


@pytest.mark.parametrize(("method", "path"), HOUSEHOLD_PATHS)
def test_firm_b_household_reviews_and_plan_are_404(
    api_a: object, plans: dict, method: str, path: str
) -> None:
    household = plans["outsider"].household
    response = getattr(api_a, method)(f"/api/v1/households/{household.public_id}/{path}")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such object."}


@pytest.mark.parametrize("decision", DECISIONS)
def test_deciding_firm_b_recommendations_is_404(api_a: object, plans: dict, decision: str) -> None:
    recommendation = _plan_objects(plans, "outsider")["recommendations"]
    url = f"/api/v1/recommendations/{recommendation.public_id}/{decision}/"
    assert api_a.post(url, {"reason": "x"}, format="json").status_code == 404
    recommendation.refresh_from_db()
    assert recommendation.status == "open"

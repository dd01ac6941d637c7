"""People and accounts: create, change, upsert by CRM id, validation, scopes."""

from __future__ import annotations

import pytest

from clients.models import Account, Person

PEOPLE, ACCOUNTS = "/api/v1/people/", "/api/v1/accounts/"


def test_people_list_filter_and_create(api_a: object, households: dict) -> None:
    household = households["advisor"]
    listed = api_a.get(PEOPLE, {"household": str(household.public_id)}).json()["results"]
    assert [p["name"] for p in listed] == ["Abbott Family Taxpayer"]

    body = {
        "household": str(household.public_id),
        "role": "spouse",
        "name": "Pat Abbott",
        "date_of_birth": "1972-03-04",
        "external_refs": [{"system": "redtail", "id": "P-1"}],
    }
    response = api_a.post(PEOPLE, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["role"] == "spouse"
    assert Person.objects.get(public_id=response.json()["id"]).household == household
    members = api_a.get(f"/api/v1/households/{household.public_id}/").json()["members"]
    assert {m["role"] for m in members} == {"taxpayer", "spouse"}


def test_people_validation(api_a: object, households: dict) -> None:
    household = households["advisor"]
    body = {"household": str(household.public_id), "role": "taxpayer", "name": "Second"}
    response = api_a.post(PEOPLE, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"role": ["The household already has a taxpayer."]}
    response = api_a.post(PEOPLE, {"household": "not-a-uuid", "role": "cousin"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"household", "role", "name"}


def test_person_patch_and_upsert_by_ref(api_a: object, households: dict) -> None:
    household = households["teammate"]
    person = household.people.get()
    response = api_a.patch(f"{PEOPLE}{person.public_id}/", {"name": "Sam Barnes"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "Sam Barnes"

    url = f"{PEOPLE}by-ref/wealthbox/contact-5/"
    body = {"household": str(household.public_id), "role": "dependent", "name": "Kid Barnes"}
    created = api_a.put(url, body, format="json")
    assert created.status_code == 201, created.json()
    again = api_a.put(url, {**body, "name": "Kiddo Barnes"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    assert again.json()["name"] == "Kiddo Barnes"
    moved = api_a.put(
        url, {**body, "household": str(households["advisor"].public_id)}, format="json"
    )
    assert moved.status_code == 400 and "household" in moved.json()


def test_accounts_create_change_and_validate(api_a: object, households: dict) -> None:
    household = households["advisor"]
    owner = household.people.get()
    body = {
        "household": str(household.public_id),
        "owner": str(owner.public_id),
        "custodian": "Fidelity",
        "masked_number": "••••9876",
        "type": "traditional_ira",
        "external_refs": [{"system": "redtail", "id": "A-1"}],
    }
    response = api_a.post(ACCOUNTS, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["treatment"] == "tax_deferred"
    account = Account.objects.get(public_id=response.json()["id"])

    changed = api_a.patch(f"{ACCOUNTS}{account.public_id}/", {"type": "roth_ira"}, format="json")
    assert changed.status_code == 200 and changed.json()["treatment"] == "tax_exempt"

    found = api_a.get(ACCOUNTS, {"external_ref": "redtail:A-1"}).json()["results"]
    assert [a["id"] for a in found] == [str(account.public_id)]
    assert api_a.get(f"{ACCOUNTS}by-ref/redtail/A-1/").json()["id"] == str(account.public_id)

    bad = api_a.post(ACCOUNTS, {**body, "masked_number": "123456789"}, format="json")
    assert bad.status_code == 400 and "masked_number" in bad.json()
    other_owner = households["teammate"].people.get()
    bad = api_a.post(
        ACCOUNTS,
        {**body, "owner": str(other_owner.public_id), "masked_number": "x1"},
        format="json",
    )
    assert bad.status_code == 400 and "owner" in bad.json()


def test_account_types_are_the_rule_engines(api_a: object, households: dict) -> None:
    household = households["advisor"]
    body = {
        "household": str(household.public_id),
        "owner": str(household.people.get().public_id),
        "custodian": "Schwab",
        "masked_number": "••••1",
        "type": "checking",
    }
    response = api_a.post(ACCOUNTS, body, format="json")
    assert response.status_code == 400 and "type" in response.json()


@pytest.mark.parametrize("url", [PEOPLE, ACCOUNTS])
def test_read_scope_cannot_write(make_integration: object, firm_a: object, url: str) -> None:
    http = make_integration(firm_a, scopes=("read",)).http
    assert http.get(url).status_code == 200
    assert http.post(url, {}, format="json").status_code == 403

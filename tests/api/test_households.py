"""Households: list, retrieve, create, change, upsert by a CRM's id; validation and scopes."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from advisors.models import Advisor
from clients.models import ExternalRef, Household

URL = "/api/v1/households/"


def _by_ref(system: str, external_id: str) -> str:
    return f"{URL}by-ref/{system}/{external_id}/"


def test_list_shows_the_firms_households_with_members(api_a: object, households: dict) -> None:
    response = api_a.get(URL)
    assert response.status_code == 200
    names = {row["name"] for row in response.json()["results"]}
    assert names == {"Abbott Family", "Barnes Family", "Chen Family", "Diaz Family"}
    abbott = next(r for r in response.json()["results"] if r["name"] == "Abbott Family")
    assert abbott["id"] == str(households["advisor"].public_id)
    assert abbott["members"][0]["role"] == "taxpayer"
    assert abbott["members"][0]["name"] == "Abbott Family Taxpayer"
    assert "pk" not in abbott and abbott["primary_advisor"] == str(
        households["advisor"].primary_advisor.public_id
    )


def test_retrieve(api_a: object, households: dict) -> None:
    household = households["teammate"]
    response = api_a.get(f"{URL}{household.public_id}/")
    assert response.status_code == 200
    assert response.json()["name"] == "Barnes Family"
    assert response.json()["external_crm_id"] == household.external_crm_id


def test_create_with_external_refs(api_a: object, advisor: Advisor) -> None:
    body = {
        "name": "Fisher Family",
        "primary_advisor": str(advisor.public_id),
        "external_refs": [{"system": "redtail", "id": "123"}, {"system": "wealthbox", "id": "9"}],
    }
    response = api_a.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    household = Household.objects.get(public_id=data["id"])
    assert household.team == advisor.team and household.firm == advisor.firm
    assert data["external_refs"] == [
        {"system": "redtail", "id": "123"},
        {"system": "wealthbox", "id": "9"},
    ]
    assert response["Location"].endswith(f"{URL}{household.public_id}/")


def test_create_validation_errors_name_the_field(api_a: object, outsider: Advisor) -> None:
    response = api_a.post(URL, {"name": ""}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"name", "primary_advisor"}

    response = api_a.post(
        URL,
        {
            "name": "X",
            "primary_advisor": str(outsider.public_id),  # firm B's: does not exist for firm A
            "external_refs": [{"system": "Not Valid!", "id": "1"}],
        },
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert "primary_advisor" in errors
    assert "system" in errors["external_refs"]["0"]  # DRF: failing items by index


def test_an_external_ref_names_one_household_per_firm(api_a: object, households: dict) -> None:
    first, second = households["advisor"], households["teammate"]
    url = f"{URL}{first.public_id}/"
    assert (
        api_a.patch(
            url, {"external_refs": [{"system": "redtail", "id": "7"}]}, format="json"
        ).status_code
        == 200
    )
    response = api_a.patch(
        f"{URL}{second.public_id}/",
        {"external_refs": [{"system": "redtail", "id": "7"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "already belongs to another household" in response.json()["external_refs"][0]


def test_patch_changes_and_moves_the_household(
    api_a: object, households: dict, other_team_advisor: Advisor
) -> None:
    household = households["advisor"]
    lot = household.accounts.get().lots.get()
    response = api_a.patch(
        f"{URL}{household.public_id}/",
        {"name": "Abbott Trust", "primary_advisor": str(other_team_advisor.public_id)},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "Abbott Trust"
    assert response.json()["team"] == str(other_team_advisor.team.public_id)
    lot.refresh_from_db()
    assert lot.team_id == other_team_advisor.team_id  # the denormalized scope moved along


def test_upsert_by_ref_creates_then_updates(api_a: object, advisor: Advisor) -> None:
    body = {"name": "Garcia Household", "primary_advisor": str(advisor.public_id)}
    created = api_a.put(_by_ref("redtail", "C-42"), body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["external_refs"] == [{"system": "redtail", "id": "C-42"}]

    updated = api_a.put(_by_ref("redtail", "C-42"), {"name": "Garcia Family"}, format="json")
    assert updated.status_code == 200
    assert updated.json()["id"] == created.json()["id"]
    assert updated.json()["name"] == "Garcia Family"
    assert Household.objects.filter(name__startswith="Garcia").count() == 1

    fetched = api_a.get(_by_ref("redtail", "C-42"))
    assert fetched.status_code == 200 and fetched.json()["id"] == created.json()["id"]
    assert api_a.get(_by_ref("redtail", "nope")).status_code == 404


def test_upsert_by_ref_needs_name_and_advisor_to_create(api_a: object) -> None:
    response = api_a.put(_by_ref("wealthbox", "9"), {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"name", "primary_advisor"}
    assert not ExternalRef.objects.filter(external_id="9").exists()


def test_filters_external_ref_and_updated_since(api_a: object, households: dict) -> None:
    household = households["team_lead"]
    api_a.patch(
        f"{URL}{household.public_id}/",
        {"external_refs": [{"system": "salesforce", "id": "001XYZ"}]},
        format="json",
    )
    response = api_a.get(URL, {"external_ref": "salesforce:001XYZ"})
    assert [r["id"] for r in response.json()["results"]] == [str(household.public_id)]

    since = (timezone.now() + datetime.timedelta(seconds=1)).isoformat()
    assert api_a.get(URL, {"updated_since": since}).json()["results"] == []
    household.save()  # touched after "since"? no: since is in the future
    recent = api_a.get(URL, {"updated_since": household.updated.isoformat()}).json()["results"]
    assert str(household.public_id) in {r["id"] for r in recent}

    bad = api_a.get(URL, {"external_ref": "no-colon"})
    assert bad.status_code == 400 and "external_ref" in bad.json()
    assert api_a.get(URL, {"updated_since": "yesterday"}).status_code == 400


def test_cursor_pagination(api_a: object, households: dict) -> None:
    first = api_a.get(URL, {"page_size": 3}).json()
    assert len(first["results"]) == 3 and first["next"]
    second = api_a.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    seen = {r["id"] for r in first["results"] + second["results"]}
    assert len(seen) == 4


@pytest.mark.parametrize(
    ("scopes", "method", "expected"),
    [
        (("read",), "get", 200),
        (("read",), "post", 403),
        (("write",), "get", 403),
        (("write",), "post", 201),
        (("reviews",), "get", 403),
    ],
)
def test_scopes(
    make_integration: object,
    firm_a: object,
    advisor: Advisor,
    scopes: tuple,
    method: str,
    expected: int,
) -> None:
    http = make_integration(firm_a, scopes=scopes).http
    if method == "get":
        response = http.get(URL)
    else:
        body = {"name": "Scoped", "primary_advisor": str(advisor.public_id)}
        response = http.post(URL, body, format="json")
    assert response.status_code == expected
    if expected == 403:
        assert "scope" in response.json()["detail"]


def test_session_advisors_follow_their_role(
    session_api: object, advisor: Advisor, compliance: Advisor, teammate: Advisor, households: dict
) -> None:
    mine = session_api(advisor).get(URL).json()["results"]
    assert [r["name"] for r in mine] == ["Abbott Family"]
    # A plain advisor may not create a household for a teammate.
    body = {"name": "Not mine", "primary_advisor": str(teammate.public_id)}
    assert session_api(advisor).post(URL, body, format="json").status_code == 400  # not visible
    body = {"name": "Mine", "primary_advisor": str(advisor.public_id)}
    assert session_api(advisor).post(URL, body, format="json").status_code == 201
    # Compliance reads the firm and changes nothing.
    reviewer = session_api(compliance)
    assert len(reviewer.get(URL).json()["results"]) == 5
    url = f"{URL}{households['advisor'].public_id}/"
    assert reviewer.patch(url, {"name": "x"}, format="json").status_code == 403

"""Reviews through the API: start one (202 and its URL), follow it, list them; validation,
scopes, isolation and idempotency."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.utils import timezone

from advisors.models import Advisor, Firm, WebhookDelivery, WebhookEndpoint
from clients.models import Household
from taxlogic.models import Review
from tests.api.conftest import Integration


def _start(household: Household) -> str:
    return f"/api/v1/households/{household.public_id}/reviews/"


def test_starting_a_review_answers_202_with_its_url_then_it_runs(
    api_a: object, households: dict, django_capture_on_commit_callbacks: Callable
) -> None:
    household = households["advisor"]
    with django_capture_on_commit_callbacks(execute=True):  # the task runs on commit
        response = api_a.post(_start(household), {}, format="json")
    assert response.status_code == 202, response.json()
    review = Review.objects.get(household=household)
    url = f"/api/v1/reviews/{review.public_id}/"
    assert response["Location"] == f"http://testserver{url}"
    body = response.json()
    assert body["id"] == str(review.public_id) and body["url"] == response["Location"]
    assert body["status"] == "queued" and body["plan"] is None
    assert body["household"] == str(household.public_id)
    assert body["tax_year"] == timezone.localdate().year
    assert body["requested_by"] is None  # an API client, not an advisor

    followed = api_a.get(url)
    assert followed.status_code == 200
    done = followed.json()
    assert done["status"] == "done" and done["error"] == ""
    review.refresh_from_db()
    assert done["plan"] == str(review.plan.public_id)
    assert done["started"] and done["finished"]
    plan = api_a.get(f"/api/v1/households/{household.public_id}/action-plan/")
    assert plan.status_code == 200 and plan.json()["id"] == done["plan"]


def test_an_empty_body_is_fine_and_a_pending_review_is_returned_again(
    api_a: object, households: dict
) -> None:
    household = households["advisor"]
    first = api_a.post(_start(household))  # no body at all; the task waits for the commit
    second = api_a.post(_start(household), {}, format="json")
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    assert Review.objects.filter(household=household).count() == 1


def test_a_failed_review_says_why(
    api_a: object, households: dict, django_capture_on_commit_callbacks: Callable
) -> None:
    household = households["advisor"]
    household.tax_profiles.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_a.post(_start(household), {}, format="json")
    review = api_a.get(response["Location"]).json()
    assert review["status"] == "failed" and review["plan"] is None
    assert "no tax profile" in review["error"]


def test_a_ready_plan_emits_its_webhook(
    api_a: object, households: dict, firm_a: Firm, django_capture_on_commit_callbacks: Callable
) -> None:
    WebhookEndpoint.objects.create(firm=firm_a, url="https://crm.example/hook")
    with django_capture_on_commit_callbacks(execute=False):
        response = api_a.post(_start(households["advisor"]), {}, format="json")
    assert response.status_code == 202
    review = Review.objects.get()
    from taxlogic import services

    services.review_execute(review_id=review.pk)
    payload = WebhookDelivery.objects.get(event="action_plan.ready").payload
    assert payload["review"] == response.json()["id"]


@pytest.mark.parametrize("body", [[], "x", [{"a": 1}]])
def test_a_body_that_is_not_an_object_is_400(api_a: object, households: dict, body: object) -> None:
    response = api_a.post(_start(households["advisor"]), body, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert not Review.objects.exists()


def test_unknown_and_malformed_ids_are_json_404(api_a: object, households: dict) -> None:
    unknown = api_a.post("/api/v1/households/00000000-0000-0000-0000-000000000000/reviews/")
    assert unknown.status_code == 404 and unknown.json() == {"detail": "No such object."}
    malformed = api_a.post("/api/v1/households/nope/reviews/")
    assert malformed.status_code == 404 and malformed.json() == {"detail": "Not found."}
    assert api_a.get("/api/v1/reviews/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_get_on_the_start_url_is_405(api_a: object, households: dict) -> None:
    response = api_a.get(_start(households["advisor"]))
    assert response.status_code == 405


# --- scopes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "start", "read"),
    [
        (("read", "write", "reviews"), 202, 200),
        (("read", "reviews"), 202, 200),  # reviews need no write scope
        (("reviews",), 202, 403),
        (("read", "write"), 403, 200),
        (("read",), 403, 200),
    ],
)
def test_starting_needs_the_reviews_scope_reading_needs_read(
    make_integration: Callable[..., Integration],
    households: dict,
    firm_a: Firm,
    scopes: tuple[str, ...],
    start: int,
    read: int,
) -> None:
    review = Review.objects.create(
        firm=firm_a,
        household=households["teammate"],
        tax_year=2026,
        as_of=datetime.date(2026, 11, 2),
        status="failed",
        error="x",
    )
    http = make_integration(firm_a, scopes=scopes).http
    response = http.post(_start(households["advisor"]), {}, format="json")
    assert response.status_code == start, response.json()
    if start == 403:
        assert "reviews" in response.json()["detail"]
    assert http.get(f"/api/v1/reviews/{review.public_id}/").status_code == read
    assert http.get("/api/v1/reviews/").status_code == read


def test_a_token_narrowed_to_read_cannot_start_reviews(
    make_integration: Callable[..., Integration], households: dict, firm_a: Firm
) -> None:
    from rest_framework.test import APIClient

    from tests.api.conftest import fetch_token

    integration = make_integration(firm_a)
    token = fetch_token(integration.client.client_id, integration.secret, scope="read")
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token['access_token']}")
    assert http.post(_start(households["advisor"]), {}, format="json").status_code == 403


@pytest.mark.parametrize(
    ("user", "household", "expected"),
    [
        ("advisor", "advisor", 202),
        ("team_lead", "teammate", 202),
        ("firm_admin", "other_team_advisor", 202),
        ("compliance", "advisor", 403),  # sees every household, runs nothing
        ("advisor", "teammate", 404),  # not theirs to see
        ("outsider", "advisor", 404),
    ],
)
def test_signed_in_advisors_follow_their_role(
    session_api: Callable[[Advisor], object],
    users: dict,
    households: dict,
    user: str,
    household: str,
    expected: int,
) -> None:
    http = session_api(users[user])
    response = http.post(_start(households[household]), {}, format="json")
    assert response.status_code == expected
    if expected == 202:
        assert response.json()["requested_by"] == str(users[user].public_id)


# --- isolation --------------------------------------------------------------------------------


def test_firm_b_households_and_reviews_are_404(api_a: object, households: dict) -> None:
    outsider = households["outsider"]
    assert api_a.post(_start(outsider), {}, format="json").status_code == 404
    review = Review.objects.create(
        firm=outsider.firm,
        household=outsider,
        tax_year=2026,
        as_of=datetime.date(2026, 11, 2),
    )
    assert api_a.get(f"/api/v1/reviews/{review.public_id}/").json() == {"detail": "No such object."}
    assert api_a.get("/api/v1/reviews/", {"household": str(outsider.public_id)}).status_code == 404
    assert api_a.get("/api/v1/reviews/").json()["results"] == []
    assert not Review.objects.filter(household__firm=households["advisor"].firm).exists()


# --- the list ---------------------------------------------------------------------------------


def test_the_list_filters_and_syncs_incrementally(api_a: object, plans: dict) -> None:
    listed = api_a.get("/api/v1/reviews/")
    assert listed.status_code == 200
    households = {row["household"] for row in listed.json()["results"]}
    assert len(households) == 4  # firm A's four, not firm B's
    own = plans["advisor"].household
    mine = api_a.get("/api/v1/reviews/", {"household": str(own.public_id)}).json()["results"]
    assert [r["household"] for r in mine] == [str(own.public_id)]
    by_plan = api_a.get("/api/v1/reviews/", {"plan": str(plans["advisor"].public_id)}).json()
    assert [r["id"] for r in by_plan["results"]] == [mine[0]["id"]]
    assert api_a.get("/api/v1/reviews/", {"status": "failed"}).json()["results"] == []
    assert api_a.get("/api/v1/reviews/", {"status": "nope"}).status_code == 400

    later = (timezone.now() + datetime.timedelta(minutes=1)).isoformat()
    assert api_a.get("/api/v1/reviews/", {"updated_since": later}).json()["results"] == []
    latest = max(row["updated"] for row in listed.json()["results"])
    since = api_a.get("/api/v1/reviews/", {"updated_since": latest}).json()["results"]
    assert since and all(row["updated"] >= latest for row in since)
    assert api_a.get("/api/v1/reviews/", {"updated_since": "yesterday"}).status_code == 400

    page = api_a.get("/api/v1/reviews/", {"page_size": 3}).json()
    assert len(page["results"]) == 3 and page["next"]
    rest = api_a.get(page["next"]).json()
    seen = [r["id"] for r in page["results"] + rest["results"]]
    assert len(seen) == len(set(seen)) == 4


# --- idempotency ------------------------------------------------------------------------------


def test_the_same_key_replays_the_202_and_another_body_is_422(
    api_a: object, households: dict
) -> None:
    url = _start(households["advisor"])
    first = api_a.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="review-1")
    Review.objects.update(status="failed", error="gone")  # another review could start now…
    replay = api_a.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="review-1")
    assert first.status_code == replay.status_code == 202
    assert replay["Idempotent-Replayed"] == "true"
    assert replay["Location"] == first["Location"] and replay.json() == first.json()
    assert Review.objects.count() == 1  # …but the replay did not start one

    other = api_a.post(url, {"again": True}, format="json", HTTP_IDEMPOTENCY_KEY="review-1")
    assert other.status_code == 422 and "Idempotency-Key" in other.json()
    elsewhere = api_a.post(
        _start(households["teammate"]), {}, format="json", HTTP_IDEMPOTENCY_KEY="review-1"
    )
    assert elsewhere.status_code == 422
    assert Review.objects.count() == 1

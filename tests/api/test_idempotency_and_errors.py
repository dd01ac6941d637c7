"""Idempotency-Key replays and conflicts; errors are always JSON; rate limits per client."""

from __future__ import annotations

import pytest
from django.test import Client

from advisors.models import IdempotencyRecord
from clients.models import Household

URL = "/api/v1/households/"


def _body(advisor: object, name: str = "Idem Family") -> dict:
    return {"name": name, "primary_advisor": str(advisor.public_id)}


def test_same_key_and_body_replays_the_first_response(api_a: object, advisor: object) -> None:
    first = api_a.post(URL, _body(advisor), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = api_a.post(URL, _body(advisor), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert second["Location"] == first["Location"]
    assert Household.objects.filter(name="Idem Family").count() == 1


def test_same_key_other_body_is_422(api_a: object, advisor: object) -> None:
    api_a.post(URL, _body(advisor), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    response = api_a.post(URL, _body(advisor, "Other"), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 422
    assert "different request" in response.json()["Idempotency-Key"][0]
    assert not Household.objects.filter(name="Other").exists()


def test_patch_replays_too(api_a: object, households: dict) -> None:
    url = f"{URL}{households['advisor'].public_id}/"
    first = api_a.patch(url, {"name": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    api_a.patch(url, {"name": "Changed meanwhile"}, format="json")
    replay = api_a.patch(url, {"name": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    assert replay.json() == first.json() and replay["Idempotent-Replayed"] == "true"
    households["advisor"].refresh_from_db()
    assert households["advisor"].name == "Changed meanwhile"  # the replay did not run again


def test_validation_errors_are_replayed_server_errors_are_not(
    api_a: object, advisor: object
) -> None:
    bad = api_a.post(URL, {"name": ""}, format="json", HTTP_IDEMPOTENCY_KEY="v-1")
    again = api_a.post(URL, {"name": ""}, format="json", HTTP_IDEMPOTENCY_KEY="v-1")
    assert bad.status_code == again.status_code == 400
    assert again["Idempotent-Replayed"] == "true"
    record = IdempotencyRecord.objects.get(key="v-1")
    assert record.status_code == 400 and record.response_body == bad.json()


def test_keys_belong_to_one_client(
    make_integration: object, firm_a: object, advisor: object
) -> None:
    one, two = make_integration(firm_a).http, make_integration(firm_a).http
    assert (
        one.post(URL, _body(advisor, "A"), format="json", HTTP_IDEMPOTENCY_KEY="s").status_code
        == 201
    )
    other = two.post(URL, _body(advisor, "B"), format="json", HTTP_IDEMPOTENCY_KEY="s")
    assert other.status_code == 201 and other.json()["name"] == "B"


def test_a_malformed_key_is_400(api_a: object, advisor: object) -> None:
    response = api_a.post(URL, _body(advisor), format="json", HTTP_IDEMPOTENCY_KEY="has space")
    assert response.status_code == 400 and "Idempotency-Key" in response.json()


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here/", "/api/v1/households/not-a-uuid/", "/api/v1/lots/x/y/"]
)
def test_unknown_paths_are_json_404(api_a: object, path: str) -> None:
    response = api_a.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_malformed_json_is_a_json_400(api_a: object) -> None:
    response = api_a.generic("POST", URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_unauthenticated_is_json_401_with_a_bearer_challenge(db: None) -> None:
    response = Client().get(URL)
    assert response.status_code == 401
    assert response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")
    bad = Client().get(URL, HTTP_AUTHORIZATION="Bearer nope")
    assert bad.status_code == 401


def test_unexpected_errors_are_json_500(
    api_a: object, households: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clients import api

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(api.services, "household_change", boom)
    url = f"{URL}{households['advisor'].public_id}/"
    response = api_a.patch(url, {"name": "x"}, format="json")
    assert response.status_code == 500
    assert response.json() == {"detail": "A server error occurred. It has been logged."}
    assert "secret internals" not in response.content.decode()


def test_rate_limit_per_client(make_integration: object, firm_a: object, settings: object) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "3/minute", "anon": "3/minute"},
    }
    limited, other = make_integration(firm_a).http, make_integration(firm_a).http
    codes = [limited.get("/api/v1/securities/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = limited.get("/api/v1/securities/")
    assert int(response["Retry-After"]) > 0 and "throttled" in response.json()["detail"]
    assert other.get("/api/v1/securities/").status_code == 200  # its own budget

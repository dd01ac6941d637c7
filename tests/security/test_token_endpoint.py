"""The OAuth2 token endpoint: 429 after repeated bad client secrets (the right secret does not
reset the counter), per client and address; tokens never travel in a URL (RFC 9700)."""

from __future__ import annotations

import base64

from django.test import Client

from advisors import services
from advisors.models import Role
from tests.factories import AdvisorFactory


def token(client_id: str, secret: str, address: str) -> Client:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return Client(REMOTE_ADDR=address).post(
        "/o/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}"
    )


def new_client(firm_a):
    admin = AdvisorFactory(firm=firm_a, team=None, role=Role.FIRM_ADMIN)
    return services.api_client_create(firm=firm_a, name="CRM", scopes=["read"], created_by=admin)


def test_ten_bad_secrets_then_429_even_with_the_right_one(firm_a, address: str) -> None:
    client, secret = new_client(firm_a)
    statuses = [token(client.client_id, "wrong", address).status_code for _ in range(10)]
    assert statuses == [401] * 10
    refused = token(client.client_id, secret, address)
    assert refused.status_code == 429
    assert refused.json()["error"] == "slow_down" and int(refused["Retry-After"]) == 900
    # Another address is not affected.
    assert token(client.client_id, secret, "203.0.113.50").status_code == 200


def test_an_address_spraying_client_ids_is_refused_too(firm_a, address: str, settings) -> None:
    settings.TOKEN_IP_FAILURE_LIMIT = 5
    client, secret = new_client(firm_a)
    for n in range(5):
        assert token(f"made-up-{n}", "x", address).status_code == 401
    assert token(client.client_id, secret, address).status_code == 429


def test_a_forged_forwarded_for_does_not_reset_the_token_counter(firm_a, address: str) -> None:
    client, _ = new_client(firm_a)
    for n in range(10):
        basic = base64.b64encode(f"{client.client_id}:bad".encode()).decode()
        Client(REMOTE_ADDR=address).post(
            "/o/token/",
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION=f"Basic {basic}",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    assert token(client.client_id, "bad", address).status_code == 429


def test_an_access_token_in_the_query_string_is_refused(api_a, households) -> None:
    bearer = api_a._credentials["HTTP_AUTHORIZATION"].split()[1]
    assert api_a.get("/api/v1/households/").status_code == 200
    assert Client().get(f"/api/v1/households/?access_token={bearer}").status_code == 401


def test_only_client_credentials_grants_a_token(firm_a, address: str) -> None:
    client, secret = new_client(firm_a)
    basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
    password_grant = Client(REMOTE_ADDR=address).post(
        "/o/token/",
        {"grant_type": "password", "username": "x", "password": "y"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert password_grant.status_code in (400, 401)
    assert "access_token" not in password_grant.json()

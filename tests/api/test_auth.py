"""API clients: OAuth2 client credentials, secrets and tokens stored hashed, scopes limited to
the client's, revocation at once; the site's session works for the browsable API."""

from __future__ import annotations

import hashlib

import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import PermissionDenied
from oauth2_provider.models import AccessToken, Application
from rest_framework.test import APIClient

from advisors import services
from advisors.models import ApiClient
from tests.api.conftest import fetch_token


def test_the_secret_and_the_tokens_are_stored_hashed(
    make_integration: object, firm_a: object
) -> None:
    integration = make_integration(firm_a)
    application = Application.objects.get(client_id=integration.client.client_id)
    assert application.client_secret != integration.secret
    assert check_password(integration.secret, application.client_secret)
    token = fetch_token(integration.client.client_id, integration.secret)
    stored = AccessToken.objects.get(
        token_checksum=hashlib.sha256(token["access_token"].encode()).hexdigest()
    )
    assert stored.token == ""  # only the checksum is kept
    assert set(token["scope"].split()) == {"read", "write", "reviews"}


def test_a_wrong_secret_gets_no_token(make_integration: object, firm_a: object) -> None:
    integration = make_integration(firm_a)
    token = fetch_token(integration.client.client_id, "wrong")
    assert token["status"] == 401 and token["error"] == "invalid_client"


def test_a_token_carries_only_the_clients_scopes(make_integration: object, firm_a: object) -> None:
    integration = make_integration(firm_a, scopes=("read",))
    assert fetch_token(integration.client.client_id, integration.secret)["scope"] == "read"
    refused = fetch_token(integration.client.client_id, integration.secret, scope="read write")
    assert refused["status"] == 400 and refused["error"] == "invalid_scope"


def test_a_narrower_token_is_limited_to_its_scopes(
    make_integration: object, firm_a: object
) -> None:
    integration = make_integration(firm_a)
    token = fetch_token(integration.client.client_id, integration.secret, scope="read")
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token['access_token']}")
    assert http.get("/api/v1/households/").status_code == 200
    assert http.post("/api/v1/households/", {}, format="json").status_code == 403


def test_revoking_stops_the_tokens_at_once(
    make_integration: object, firm_a: object, firm_admin: object
) -> None:
    integration = make_integration(firm_a)
    assert integration.http.get("/api/v1/households/").status_code == 200
    services.api_client_revoke(client=integration.client, revoked_by=firm_admin)
    assert integration.http.get("/api/v1/households/").status_code == 401
    assert fetch_token(integration.client.client_id, integration.secret)["status"] == 401
    client = ApiClient.objects.get(pk=integration.client.pk)
    assert client.revoked is not None and client.application is None


def test_only_firm_admins_create_clients(advisor: object, firm_a: object) -> None:
    with pytest.raises(PermissionDenied):
        services.api_client_create(firm=firm_a, name="x", scopes=["read"], created_by=advisor)


def test_session_auth_serves_the_browsable_api(
    client_for: object, advisor: object, households: dict
) -> None:
    browser = client_for(advisor)
    page = browser.get("/api/v1/households/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and b"Abbott Family" in page.content
    assert b"Evans Family" not in page.content


def test_the_docs_are_served_without_a_cdn(client_for: object, advisor: object) -> None:
    docs = client_for(advisor).get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn.jsdelivr" not in docs.content and b"swagger-ui" in docs.content
    assert client_for(advisor).get("/api/schema/").status_code == 200

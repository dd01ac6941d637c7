"""API fixtures: OAuth2 API clients of firm A and firm B, with real tokens from /o/token/."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from rest_framework.test import APIClient

from advisors import services
from advisors.models import Advisor, ApiClient, Firm, Role
from tests.factories import AdvisorFactory

ALL_SCOPES = ("read", "write", "reviews")


@dataclass
class Integration:
    """An API client and a DRF test client that sends its bearer token."""

    client: ApiClient
    secret: str
    http: APIClient


def fetch_token(client_id: str, secret: str, scope: str | None = None) -> dict:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    response = Client().post("/o/token/", data, HTTP_AUTHORIZATION=f"Basic {basic}")
    return {"status": response.status_code, **response.json()}


@pytest.fixture
def make_integration(db: None) -> Callable[..., Integration]:
    """``make_integration(firm, scopes=("read", ...))``: a new API client, signed in."""

    def make(firm: Firm, scopes: tuple[str, ...] = ALL_SCOPES) -> Integration:
        admin = AdvisorFactory(firm=firm, team=None, role=Role.FIRM_ADMIN)
        client, secret = services.api_client_create(
            firm=firm, name=f"CRM {uuid.uuid4().hex[:8]}", scopes=list(scopes), created_by=admin
        )
        token = fetch_token(client.client_id, secret)
        assert token["status"] == 200, token
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {token['access_token']}")
        return Integration(client, secret, http)

    return make


@pytest.fixture
def api_a(
    make_integration: Callable[..., Integration], households: dict, firm_a: Firm
) -> APIClient:
    """Firm A's integration with every scope (the households fixture is loaded)."""
    return make_integration(firm_a).http


@pytest.fixture
def api_b(
    make_integration: Callable[..., Integration], households: dict, firm_b: Firm
) -> APIClient:
    return make_integration(firm_b).http


@pytest.fixture
def session_api(db: None) -> Callable[[Advisor], APIClient]:
    """``session_api(user)``: the browsable API's way in, a signed-in session."""

    def make(user: Advisor) -> APIClient:
        http = APIClient()
        http.force_login(user)
        return http

    return make


@pytest.fixture
def plans(households: dict) -> dict:
    """Each household of the ``households`` fixture with a harvest to make, reviewed: the
    fixture of tests/plans/conftest.py, for the review, plan and recommendation endpoints."""
    from tests.plans.conftest import add_loss, review

    out = {}
    for key, household in households.items():
        add_loss(household)
        out[key] = review(household)
    return out

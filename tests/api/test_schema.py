"""The OpenAPI schema: it validates cleanly, and schemathesis, run against the live schema of
a live server, finds no server error and no response that breaks the schema."""

from __future__ import annotations

from io import StringIO

import pytest
import schemathesis
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import fetch_token

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_spectacular_validate_is_clean(db: None) -> None:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = out.getvalue()
    assert "/api/v1/households/by-ref/{system}/{external_id}/" in schema
    assert "/api/v1/households/{household_id}/action-plan/" in schema
    assert "/api/v1/recommendations/{id}/dismiss/" in schema
    assert "clientCredentials" in schema and "Idempotency-Key" in schema


@pytest.fixture
def live_api(
    live_server: object,
    households: dict,
    plans: dict,  # reviewed: the plan and recommendation lists have rows to check
    make_integration: object,
    firm_a: object,
    settings: object,
) -> dict:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "100000/minute", "anon": "100000/minute"},
    }
    integration = make_integration(firm_a)
    token = fetch_token(integration.client.client_id, integration.secret)["access_token"]
    return {"url": live_server.url, "token": token}


def _served_schema() -> dict:
    """The schema exactly as /api/schema/ serves it (fetched through the whole Django stack
    while the tests are collected; generating it needs no database)."""
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200, response.content[:500]
    return response.json()


schema = schemathesis.openapi.from_dict(_served_schema())


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_live_schema_holds(case: schemathesis.Case, live_api: dict) -> None:
    case.call_and_validate(
        base_url=live_api["url"],
        headers={"Authorization": f"Bearer {live_api['token']}"},
        checks=CHECKS,
    )

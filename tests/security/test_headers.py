"""Headers on every route of the URLconf: the CSP, no-store for a signed-in user or an API
caller, nosniff, the referrer policy; the production settings' HSTS and __Host- cookies;
generic error pages; the API schema needs a signed-in user in production."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from advisors.models import Advisor

ROOT = Path(__file__).resolve().parents[2]


def routes(patterns=None, prefix: str = "") -> Iterator[str]:
    for p in get_resolver().url_patterns if patterns is None else patterns:
        text = prefix + str(p.pattern).lstrip("^").rstrip("$")
        if isinstance(p, URLResolver):
            yield from routes(p.url_patterns, text)
        elif isinstance(p, URLPattern):
            yield text


def fill(route: str, values: dict[str, str]) -> str | None:
    """The route with its parameters filled from ``values``; None if one is unknown."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[-1]
        if name not in values:
            raise KeyError(name)
        return values[name]

    if "(?" in route or "\\" in route:
        return None  # regex routes (the API router's format suffixes, admin's app lists)
    try:
        return "/" + re.sub(r"<([^>]+)>", value, route)
    except KeyError:
        return None


def expected_csp(policy: str) -> None:
    for directive in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in policy, policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.fixture
def paths(households: dict) -> list[str]:
    household = households["advisor"]
    account = household.accounts.first()
    lot = account.lots.first()
    values = {
        "household_id": str(household.public_id),
        "account_id": str(account.public_id),
        "lot_id": str(lot.public_id),
        "id": str(household.public_id),
    }
    found = sorted({p for r in routes() if (p := fill(r, values)) is not None})
    assert len(found) > 40, found
    return found


def test_every_route_has_the_headers_signed_in(paths: list[str], firm_admin: Advisor) -> None:
    client = Client()
    client.force_login(firm_admin)
    missing = []
    for path in paths:
        response = client.get(path)
        assert response.status_code < 500, path
        expected_csp(response["Content-Security-Policy"])
        if response.get("Cache-Control") != "no-store":
            missing.append(path)
        assert response["X-Content-Type-Options"] == "nosniff", path
        assert response["Referrer-Policy"] == "same-origin", path
    assert missing == []


def test_every_route_has_the_csp_signed_out_and_the_api_is_no_store(
    paths: list[str], db: None
) -> None:
    client = Client()
    for path in paths:
        response = client.get(path)
        assert response.status_code < 500, path
        expected_csp(response["Content-Security-Policy"])
        if path.startswith("/api/"):
            assert response["Cache-Control"] == "no-store", path


def test_inline_scripts_carry_the_nonce(firm_admin: Advisor, households, settings) -> None:
    client = Client()
    client.force_login(firm_admin)
    for path in ("/api/docs/", "/api/redoc/"):
        response = client.get(path)
        assert response.status_code == 200, path
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
        html = response.content.decode()
        inline = re.findall(r"<(script|style)(?![^>]*\bsrc=)([^>]*)>", html)
        assert inline, path
        assert all(f'nonce="{nonce}"' in attrs for _, attrs in inline), (path, inline)


def test_htmx_injects_no_style_and_evaluates_nothing(advisor: Advisor, households) -> None:
    client = Client()
    client.force_login(advisor)
    html = client.get("/").content.decode()
    assert '"includeIndicatorStyles": false' in html and '"allowEval": false' in html
    assert " onclick=" not in html and " style=" not in html


def test_error_pages_are_generic(advisor: Advisor, settings) -> None:
    client = Client()
    client.force_login(advisor)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"There is nothing here" in response.content
    assert b"Traceback" not in response.content and b"urlpatterns" not in response.content
    html = (ROOT / "templates" / "500.html").read_text()
    assert "{%" not in html and "Something went wrong" in html


def test_the_api_schema_and_docs_need_a_signed_in_user_in_production(
    settings, advisor: Advisor
) -> None:
    settings.API_DOCS_PUBLIC = False
    for path in ("/api/schema/", "/api/docs/", "/api/redoc/"):
        assert Client().get(path).status_code in (401, 403), path
    client = Client()
    client.force_login(advisor)
    assert client.get("/api/schema/").status_code == 200


PRODUCTION = """
from django.conf import settings as s
print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD,
      s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,
      s.API_DOCS_PUBLIC, s.EMAIL_BACKEND)
"""


def production_env(**extra: str) -> dict[str, str]:
    import os

    # Not the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE (a deployment check refuses it).
    dropped = ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY="k" * 60 + "-production-like-secret-for-the-check-only",
        ALLOWED_HOSTS="harvest.example.com",
        **extra,
    )
    return env


def test_production_settings_hsts_host_cookies_closed_docs_and_smtp() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PRODUCTION],
        cwd=ROOT,
        env=production_env(EMAIL_URL="smtp://user:pw@mail.example.com:587/?tls=True"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "31536000",
        "True",
        "True",
        "__Host-sessionid",
        "__Host-csrftoken",
        "True",
        "True",
        "False",
        "django.core.mail.backends.smtp.EmailBackend",
    ]


def test_check_deploy_reports_nothing_with_production_settings() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout

"""Playwright driving Debian's Chromium against pytest-django's live server.

No browser download ever happens: the tests launch /usr/bin/chromium (CHROMIUM to override)
and fail, never skip, when it is missing.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.factories import PASSWORD

# Playwright's sync API runs an event loop in this thread; the live server's database work
# happens in its own thread, and the test's ORM calls are safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), (
        f"{CHROMIUM} not found: browser tests need Debian's Chromium (apt-get install chromium)"
    )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page that answers the second-factor step by itself, the way the user's phone would:
    a test that types a password and goes on clicking still signs in (see ``second_factor``)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    second_factor(pg)
    yield pg
    context.close()


@pytest.fixture
def bare_page(browser: Browser) -> Iterator[Page]:
    """A page that leaves the second-factor pages to the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


# --- Signing in: password, then the real TOTP step --------------------------------------------


def _code_from_key(bin_key: bytes) -> str:
    from django_otp.oath import TOTP

    return f"{TOTP(bin_key).token():06d}"


def _answer_verify(page: Page) -> None:
    """The verify page: the code of the signed-in user's app, computed from its key."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    username = page.locator("[data-username]").get_attribute("data-username")
    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    # The 30 seconds a test does not wait: forget the time step last accepted.
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    page.get_by_label("Verification code").fill(_code_from_key(device.bin_key))
    page.get_by_role("button", name="Verify").click()


def _answer_enrol(page: Page) -> None:
    """The enrolment page: the app set up from the key the page shows."""
    secret = page.locator("#totp-secret").inner_text().strip()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_label("Verification code").fill(_code_from_key(key))
    page.get_by_role("button", name="Confirm").click()
    page.locator("#recovery-codes").wait_for()
    page.get_by_role("link", name="Continue").click()


def second_factor(page: Page) -> None:
    """Answer the verify and enrolment pages whenever they appear (Playwright's locator
    handlers run before each action and each auto-waiting assertion)."""
    handlers = [
        (page.locator("form[action$='/accounts/verify/']"), lambda: _answer_verify(page)),
        (page.locator("#totp-secret"), lambda: _answer_enrol(page)),
    ]
    for locator, handler in handlers:
        page.add_locator_handler(locator, handler)
    page._second_factor_handlers = handlers  # type: ignore[attr-defined]


def login(page: Page, live_server: Any, user: Any, password: str = PASSWORD) -> None:
    """Sign ``user`` in through the real pages: password, then the code of their authenticator
    app (set up on the enrolment page if they have none). Ends on the page after sign-in."""
    base = getattr(live_server, "url", live_server)
    handlers = getattr(page, "_second_factor_handlers", [])
    for locator, _ in handlers:  # this function answers the step itself
        page.remove_locator_handler(locator)
    try:
        _login(page, base, user, password)
    finally:
        for locator, handler in handlers:
            page.add_locator_handler(locator, handler)


def _login(page: Page, base: str, user: Any, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    page.wait_for_url(re.compile(r"/accounts/(verify|second-factor)/"))
    if "/accounts/verify/" in page.url:
        _answer_verify(page)
    else:
        _answer_enrol(page)
    page.wait_for_url(lambda url: "/accounts/" not in url)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

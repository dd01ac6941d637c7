"""In Chromium: the second factor at sign-in (a wrong code refused, the right one accepted),
and htmx working under the Content-Security-Policy with not one violation reported."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from advisors import mfa
from clients.models import Household
from tests.browser.conftest import login
from tests.factories import PASSWORD
from tests.plans.conftest import add_loss

pytestmark = pytest.mark.browser

WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


@pytest.mark.django_db(transaction=True)
def test_sign_in_asks_for_the_code_and_refuses_a_wrong_one(
    live_server, bare_page: Page, artifacts: Path, advisor, households
) -> None:
    page = bare_page
    page.add_init_script(WATCH_CSP)
    device = TOTPDevice.objects.create(user=advisor, name=mfa.APP_NAME, confirmed=True)
    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill(advisor.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    expect(page).to_have_url(re.compile(r"/accounts/verify/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Verification code")
    page.screenshot(path=artifacts / "second-factor-verify.png", full_page=True)

    page.get_by_label("Verification code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("not right")
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)

    device.refresh_from_db()
    page.get_by_label("Verification code").fill(mfa.current_code(device))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("link", name=households["advisor"].name)).to_be_visible()
    assert page.evaluate("window.__csp") == []


@pytest.mark.django_db(transaction=True)
def test_first_sign_in_sets_up_the_app_in_the_browser(
    live_server, page: Page, artifacts: Path, advisor, households
) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(advisor.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.remove_locator_handler(page.locator("#totp-secret"))
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    expect(page.locator("#totp-secret")).to_be_visible()
    expect(page.locator("figure.qr svg")).to_be_visible()
    page.screenshot(path=artifacts / "second-factor-enrol.png", full_page=True)
    device = TOTPDevice.objects.get(user=advisor, confirmed=False)
    page.get_by_label("Verification code").fill(mfa.current_code(device))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("link", name=households["advisor"].name)).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_htmx_works_under_the_csp(
    live_server, page: Page, artifacts: Path, advisor, households: dict[str, Household]
) -> None:
    household = households["advisor"]
    lot = add_loss(household)
    page.add_init_script(WATCH_CSP)
    login(page, live_server, advisor)
    policy = page.request.get(f"{live_server.url}/").headers["content-security-policy"]
    assert "default-src 'self'" in policy and "'unsafe-inline'" not in policy

    # The search swaps the results in place (htmx's hx-get), no reload.
    page.evaluate("window.__samePage = true")
    page.get_by_label(re.compile("Search", re.I)).first.fill("Abbott")
    expect(page).to_have_url(re.compile(r"q=Abbott"))
    expect(page.get_by_role("link", name=household.name)).to_be_visible()
    assert page.evaluate("window.__samePage") is True

    # A review runs and its plan appears in place; approving changes the card only.
    page.get_by_role("link", name=household.name).click()
    page.get_by_role("link", name=re.compile("Action plan")).click()
    page.evaluate("window.__samePage = true")
    page.get_by_role("button", name="Run review now").click()
    expect(page.locator("#review-status")).to_contain_text("Plan ready")
    card = page.locator("article.rec").first
    expect(card).to_contain_text(f"Sell 100 {lot.security.symbol}")
    card.get_by_role("button", name="Approve").click()
    expect(card.locator(".badge")).to_have_text("Approved")
    assert page.evaluate("window.__samePage") is True
    assert page.evaluate("document.querySelectorAll('style').length") == 0  # no injected CSS
    page.screenshot(path=artifacts / "plan-under-csp.png", full_page=True)
    assert page.evaluate("window.__csp") == []

    # The watcher sees a violation when there is one: an injected inline script is blocked.
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = true'; document.head.appendChild(s); }"
    )
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__ran") is None
    assert page.evaluate("window.__csp")[0].startswith("script-src")

    page.get_by_role("link", name="Sessions").click()
    expect(page.get_by_role("cell", name="This session")).to_be_visible()
    page.screenshot(path=artifacts / "sessions-page.png", full_page=True)

"""A firm's book on the site, with a browser alone on a phone-sized screen (390 px wide): an
advisor creates a household (with the keyboard), its taxpayer and spouse, a taxable joint
account, an IRA and a 401(k), enters the tax profile and three lots, records a sale from a
chosen lot, runs a review and sees the plan. No admin page is touched. Screenshots of the
forms and the plan are saved as test artifacts (test-artifacts/onboarding-*.png)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from clients.models import Account, Household, TaxLot, TaxProfile, Transaction
from tests.browser.conftest import second_factor
from tests.factories import ReplacementFactory
from tests.plans.conftest import fund

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser) -> Page:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    second_factor(page)  # the phone answers the second-factor step (tests/browser/conftest.py)
    yield page
    context.close()


def _fits(page: Page) -> None:
    """Nothing wider than the phone's screen: no sideways scrolling of the page."""
    page.wait_for_load_state("load")
    expect(page.locator("main h1")).to_be_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


@pytest.mark.django_db(transaction=True)
def test_an_advisor_onboards_a_household_and_gets_a_plan(
    live_server, phone: Page, artifacts: Path, advisor
) -> None:
    page = phone
    advisor.set_password(PASSWORD)
    advisor.save()
    vti = fund("VTI", "CRSP US Total Market", "100")
    schb = fund("SCHB", "Dow Jones US Broad Stock Market", "50")
    fund("VXUS", "FTSE Global All Cap ex US", "60")
    ReplacementFactory(firm=advisor.firm, security=vti, replacement=schb)
    year = timezone.localdate().year
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url))

    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill(advisor.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()

    # The household, with the keyboard only: focus, type, Tab, type, Enter.
    page.get_by_role("link", name="Add household").click()
    _fits(page)
    page.get_by_label("Name", exact=True).focus()
    page.keyboard.type("Lovelace")
    for _ in range(3):  # primary advisor (already the advisor), team, then the CRM id
        page.keyboard.press("Tab")
    page.keyboard.type("CRM-1815")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Lovelace")).to_be_visible()
    household = Household.objects.get(name="Lovelace")
    assert household.external_crm_id == "CRM-1815" and household.primary_advisor == advisor

    # People: the taxpayer, then the spouse.
    page.get_by_role("link", name="Add person").click()
    expect(page.get_by_label("Role")).to_have_value("taxpayer")
    page.get_by_label("Name", exact=True).fill("Ada Lovelace")
    page.get_by_label("Date of birth").fill("1958-12-10")
    page.get_by_role("button", name="Save and add another").click()
    expect(page.get_by_label("Role")).to_have_value("spouse")
    page.get_by_label("Name", exact=True).fill("William King")
    page.get_by_label("Date of birth").fill("1955-02-21")
    page.get_by_role("button", name="Save", exact=True).click()

    # Accounts: a taxable joint account, an IRA and a 401(k).
    page.get_by_role("link", name="Add account").click()
    _fits(page)
    page.screenshot(path=artifacts / "onboarding-account-form.png", full_page=True)
    for kind, owner, custodian, number in (
        ("taxable_joint", "Ada Lovelace", "Schwab", "5521-8834"),
        ("traditional_ira", "Ada Lovelace", "Fidelity", "X4471902"),
        ("401k", "William King", "Empower", "401-77-2209"),
    ):
        page.get_by_label("Type").select_option(kind)
        page.get_by_label("Owner").select_option(label=owner)
        page.get_by_label("Custodian").fill(custodian)
        page.get_by_label("Account number").fill(number)
        page.get_by_role("button", name="Save and add another").click()
        expect(page.locator(".messages")).to_contain_text("Added")
    accounts = {a.type: a for a in Account.objects.filter(household=household)}
    assert set(accounts) == {"taxable_joint", "traditional_ira", "401k"}
    assert accounts["taxable_joint"].masked_number == "••••8834"

    # The tax profile of the year.
    page.get_by_role("link", name="Lovelace").first.click()
    page.get_by_role("link", name=f"Tax profile {year}").click()
    _fits(page)
    page.get_by_label("Filing status").select_option("married_joint")
    page.get_by_label("Wages").fill("210000")
    page.get_by_label("Taxable interest").fill("1500")
    page.get_by_label("Ordinary dividends").fill("4000")
    page.get_by_label("Qualified dividends").fill("3500")
    page.get_by_label("Itemized deductions", exact=True).check()
    page.get_by_label("State and local taxes paid").fill("16000")
    page.get_by_label("State marginal rate (estimate)").fill("0.05")
    page.screenshot(path=artifacts / "onboarding-tax-profile.png", full_page=True)
    page.get_by_role("button", name=f"Save the {year} profile").click()
    expect(page.locator(".messages")).to_contain_text(f"Saved the {year} tax profile")
    profile = TaxProfile.objects.get(household=household, tax_year=year)
    assert (profile.filing_status, profile.wages) == ("married_joint", Decimal("210000.00"))

    # Three lots in the joint account, as the custodian's statement shows them.
    page.get_by_role("link", name=re.compile(r"Schwab ••••8834")).first.click()
    page.get_by_role("link", name="Add an open lot").click()
    for symbol, shares, basis, acquired in (
        ("VTI", "100", "12000", "2025-03-03"),
        ("VTI", "50", "4000", "2021-06-01"),
        ("VXUS", "80", "4400", "2022-09-15"),
    ):
        page.get_by_label("Security").select_option(label=symbol)
        page.get_by_label("Shares held").fill(shares)
        page.get_by_label("Cost basis", exact=True).fill(basis)
        page.get_by_label("Acquired", exact=True).fill(acquired)
        page.get_by_role("button", name="Add and enter another").click()
        expect(page.locator(".messages")).to_contain_text("Added the")
    assert TaxLot.objects.filter(account=accounts["taxable_joint"]).count() == 3

    # A sale of 20 VTI shares from the chosen 2021 lot (a gain).
    page.get_by_role("link", name=re.compile(r"Schwab ••••8834")).first.click()
    page.get_by_role("link", name="Record a transaction").click()
    page.get_by_label("What happened").select_option("sell")
    lot_field = page.get_by_role("spinbutton", name=re.compile(r"VTI acquired 2021-06-01"))
    expect(lot_field).to_be_visible()  # htmx showed the sale's fields
    lot_field.fill("20")
    page.get_by_label("Price per share").fill("100")
    _fits(page)
    page.screenshot(path=artifacts / "onboarding-sale.png", full_page=True)
    page.get_by_role("button", name="Record", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Transaction recorded")
    sale = Transaction.objects.get(action="sell")
    assert (sale.lot.acquired.isoformat(), sale.quantity) == ("2021-06-01", Decimal("20"))

    # The lot's page and the household's holdings, on the phone too.
    page.get_by_role("link", name="2021-06-01").first.click()
    expect(page.locator("#lot-facts")).to_contain_text("2,400.00")  # 4,000 × 30 of 50 left
    _fits(page)
    page.screenshot(path=artifacts / "onboarding-lot.png", full_page=True)
    page.get_by_role("link", name="Lovelace").first.click()
    _fits(page)
    page.screenshot(path=artifacts / "onboarding-household.png", full_page=True)

    # The review, and its plan: the 2025 VTI lot's loss is harvested into SCHB.
    page.get_by_role("link", name=re.compile("Action plan")).click()
    page.get_by_role("button", name="Run review now").click()
    expect(page.locator("#review-status")).to_contain_text("Plan ready")
    expect(page.locator("article.rec").first).to_contain_text("Sell 100 VTI")
    page.screenshot(path=artifacts / "onboarding-plan.png", full_page=True)

    assert not [url for url in visited if "/admin/" in url]

"""The plan page of a household with AMT, qualified dividends and a taxpayer over 65: the
summary strip shows those figures (issue 13), in a real browser; a screenshot is kept."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import Page, expect

from clients.models import Household
from tests.plans.conftest import add_loss, review

PASSWORD = "a long test password 13"


def test_the_plan_strip_shows_the_whole_return(
    live_server, page: Page, artifacts: Path, advisor, households: dict[str, Household]
) -> None:
    advisor.set_password(PASSWORD)
    advisor.save()
    household = households["advisor"]
    add_loss(household)
    person = household.people.get()
    person.date_of_birth = datetime.date(1950, 1, 1)
    person.save()
    profile = household.tax_profiles.get()
    profile.wages = Decimal("100000")
    profile.ordinary_dividends = profile.qualified_dividends = Decimal("2000")
    profile.other_long_term_gains = Decimal("900000")
    profile.state_marginal_rate = Decimal("0.05")
    profile.save()
    review(household)

    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill(advisor.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    page.get_by_role("link", name=household.name).click()
    page.get_by_role("link", name=re.compile("Action plan")).click()
    for key in ("amt", "qualified_dividends", "age_65_deductions", "gains_outside", "tax_saved"):
        expect(page.locator(f".figure-{key}")).to_be_visible()
    expect(page.locator(".figure-amt")).to_contain_text("Alternative minimum tax")
    expect(page.locator(".figure-state_estimate")).to_contain_text("estimate")
    page.screenshot(path=str(artifacts / "plan_whole_return.png"), full_page=False)

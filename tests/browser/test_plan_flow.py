"""From login to an approved, exported trade list with a browser alone: open a household, run a
review, watch the plan appear, approve a recommendation without a page reload, export the CSV.
A screenshot of the plan page is saved as a test artifact (test-artifacts/plan-page.png)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clients.models import Household
from tests.plans.conftest import add_loss

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


@pytest.mark.django_db(transaction=True)
def test_login_review_approve_and_export(
    live_server, page: Page, artifacts: Path, advisor, households: dict[str, Household]
) -> None:
    advisor.set_password(PASSWORD)
    advisor.save()
    household = households["advisor"]
    lot = add_loss(household)

    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill(advisor.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()

    page.get_by_role("link", name=household.name).click()
    page.get_by_role("link", name=re.compile("Action plan")).click()
    expect(page.get_by_role("heading", name="No plan yet")).to_be_visible()

    # Run the review: its progress is shown, then the plan appears in place.
    page.evaluate("window.__samePage = true")
    page.get_by_role("button", name="Run review now").click()
    expect(page.locator("#review-status")).to_contain_text("Plan ready")
    card = page.locator("article.rec").first
    expect(card).to_contain_text(f"Sell 100 {lot.security.symbol}")
    expect(page.locator(".figure-tax_saved")).to_be_visible()

    # Approve it: the card and the counts change, the page does not reload.
    card.get_by_role("button", name="Approve").click()
    expect(card.locator(".badge")).to_have_text("Approved")
    expect(card).to_contain_text("Approved by")
    expect(page.locator("#plan-progress")).to_contain_text("1 approved")
    # The headline tiles follow the decision too, without a reload: nothing left to decide.
    expect(page.locator("#plan-totals .figure-open .amount")).to_have_text("$0")
    expect(page.locator("#plan-totals .figure-approved .amount")).not_to_have_text("$0")
    assert page.evaluate("window.__samePage") is True

    # Every number has its reason one click away.
    page.locator(".figure-tax_saved summary").click()
    expect(page.locator(".figure-tax_saved .why")).to_contain_text("computed twice")

    page.screenshot(path=artifacts / "plan-page.png", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Export approved trades")).click()
    rows = list(
        csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig")))
    )
    assert rows[0] == ["account", "symbol", "lots", "quantity", "side"]
    assert [r[1] for r in rows[1:]] == [lot.security.symbol, f"REPL{household.pk}"]
    assert [r[4] for r in rows[1:]] == ["SELL", "BUY"]

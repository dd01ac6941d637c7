"""After the plan with a browser: an advisor's team lead approves three trades in two
households from the blotter, a second person gives the second approval (maker-checker), the
blotter's order file is fetched, the sales are recorded, both households' recommendations show
executed and the do-not-buy calendar still shows them. Screenshots at 1280px and at a 390px
phone width are saved in test-artifacts/ (afterplan-*.png)."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from clients.models import Household
from taxlogic.models import HarvestSettings, Recommendation
from tests.plans.conftest import add_loss, fund, review

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


def _login(page: Page, url: str, user: object) -> None:
    page.goto(f"{url}/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()


def _logout(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()


@pytest.mark.django_db(transaction=True)
def test_approve_twice_export_sell_and_keep_the_window(
    live_server,
    page: Page,
    browser: Browser,
    artifacts: Path,
    team_lead,
    firm_admin,
    households: dict[str, Household],
) -> None:
    for user in (team_lead, firm_admin):
        user.set_password(PASSWORD)
        user.save()
    first, second = households["advisor"], households["teammate"]
    for n, household in enumerate((first, second)):
        account = household.accounts.get()
        account.custodian, account.account_number = "Schwab", f"44110000{n}"
        account.save()
    add_loss(first)
    # A second harvest in the first household: another fund of its own index.
    other = fund(f"TWO{first.pk}", f"Second index {first.pk}", "30")
    from tests.factories import TaxLotFactory, TransactionFactory

    lot = TaxLotFactory(
        account=first.accounts.get(),
        security=other,
        original_quantity=Decimal(50),
        cost_basis=Decimal("2500.00"),
        acquired=timezone.localdate() - datetime.timedelta(days=200),
    )
    TransactionFactory(lot=lot, price=Decimal(50))
    add_loss(second)
    HarvestSettings.objects.update_or_create(
        firm=first.firm, defaults={"second_approval_above": Decimal("100.00")}
    )
    for household in (first, second):
        review(household)
    trades = list(Recommendation.objects.filter(kind="harvest", plan__is_current=True))
    assert len(trades) == 3

    # The team lead approves all three from the blotter: each needs a second approval.
    _login(page, live_server.url, team_lead)
    page.get_by_role("link", name="Trade blotter").click()
    page.get_by_label("Status").select_option("open")
    page.get_by_role("button", name="Filter").click()
    boxes = page.locator("input[name=recommendation]")
    expect(boxes).to_have_count(3)
    for n in range(3):
        boxes.nth(n).check()
    page.get_by_role("button", name="Approve the chosen trades").click()
    expect(page.locator(".messages")).to_contain_text("3 approved")
    page.goto(f"{live_server.url}/plans/blotter/?status=checking")
    expect(page.locator("input[name=recommendation]")).to_have_count(0)  # not twice by one
    _logout(page)

    # The firm admin gives the second approval.
    _login(page, live_server.url, firm_admin)
    page.goto(f"{live_server.url}/plans/blotter/?status=checking")
    boxes = page.locator("input[name=recommendation]")
    expect(boxes).to_have_count(3)
    for n in range(3):
        boxes.nth(n).check()
    page.get_by_role("button", name="Approve the chosen trades").click()
    page.goto(f"{live_server.url}/plans/blotter/")
    expect(page.locator("tbody tr")).to_have_count(3)
    page.screenshot(path=artifacts / "afterplan-blotter.png", full_page=True)

    # One order file for the custodian (fetched with the page's session: no downloads here).
    href = page.get_by_role("link", name="Generic CSV").get_attribute("href")
    response = page.request.get(f"{live_server.url}{href}")
    assert response.ok
    text = response.body().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    sells = [r for r in rows[1:] if r[4] == "SELL"]
    assert sorted(r[2] for r in sells) == ["441100000", "441100000", "441100001"]

    # The custodian's confirmations come back as a transactions file, imported on the Import
    # page (generic format): each sale names its lot, and is matched to its recommendation.
    lines = ["trade_date,account_number,action,symbol,quantity,price,lot_ids,transaction_id"]
    for n, r in enumerate(trades):
        r.refresh_from_db()
        if not r.lot.external_id:
            type(r.lot).objects.filter(pk=r.lot.pk).update(external_id=f"LOT-{n}")
            r.lot.refresh_from_db()
        lines.append(
            f"{timezone.localdate().isoformat()},{r.account.account_number},sell,"
            f"{r.security.symbol},{r.quantity.normalize():f},{r.price:.2f},"
            f"{r.lot.external_id},FILL-{n}"
        )
    fills = artifacts / "afterplan-fills.csv"
    fills.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    page.get_by_label("File").set_input_files(str(fills))
    page.get_by_label("Format").select_option("generic_transactions")
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_role("button", name=re.compile("Commit: 3 new")).click()
    expect(page.get_by_role("status").first).to_contain_text("Imported: 3 created")
    for household in (first, second):
        page.goto(f"{live_server.url}/plans/households/{household.public_id}/")
        expect(page.locator("article.rec .badge-executed")).to_have_count(
            2 if household == first else 1
        )
        expect(page.locator("#calendar")).to_contain_text("Do not buy")
    page.screenshot(path=artifacts / "afterplan-plan.png", full_page=True)

    page.get_by_role("link", name="Do-not-buy").click()
    for r in trades:
        expect(page.locator("main")).to_contain_text(r.security.symbol)

    # A phone: the plan page and the blotter fit in 390px (tables scroll or stack).
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    small = phone.new_page()
    small.context.add_cookies(page.context.cookies())
    small.goto(f"{live_server.url}/plans/households/{first.public_id}/")
    width = small.evaluate("document.documentElement.scrollWidth")
    small.screenshot(path=artifacts / "afterplan-plan-390.png", full_page=True)
    small.goto(f"{live_server.url}/plans/do-not-buy/")
    small.screenshot(path=artifacts / "afterplan-calendar-390.png", full_page=True)
    calendar_width = small.evaluate("document.documentElement.scrollWidth")
    phone.close()
    assert width <= 400 and calendar_width <= 400, (width, calendar_width)

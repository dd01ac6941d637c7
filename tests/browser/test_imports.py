"""A firm admin imports a custodian file with a browser alone: the Import menu, upload, the
preview, the commit, then the household's plan from the imported lots. Screenshots:
test-artifacts/import-preview.png, import-done.png, import-plan.png."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clients.models import Household, TaxLot
from tests.imports.conftest import DATA, book, securities  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
SCHWAB = "Schwab_12345678_Positions_2026-11-30.csv"


@pytest.mark.django_db(transaction=True)
def test_upload_preview_commit_plan(
    live_server,
    page: Page,
    artifacts: Path,
    firm_admin,
    book: Household,  # noqa: F811
) -> None:
    firm_admin.set_password(PASSWORD)
    firm_admin.save()
    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill(firm_admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", name="Import", exact=True)).to_be_visible()
    page.get_by_label("File").set_input_files(str(DATA / SCHWAB))
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_role("heading", name=SCHWAB)).to_be_visible()
    expect(page.locator("#group-new")).to_contain_text("3 rows")
    expect(page.locator("#group-skipped")).to_contain_text("Account Total")
    assert TaxLot.objects.filter(account__household=book).count() == 0
    page.screenshot(path=artifacts / "import-preview.png", full_page=True)

    page.get_by_role("button", name=re.compile("Commit: 3 new")).click()
    expect(page.get_by_role("status").first).to_contain_text("Imported: 3 created, 0 changed.")
    page.screenshot(path=artifacts / "import-done.png", full_page=True)
    assert TaxLot.objects.filter(account__household=book).count() == 3

    page.get_by_role("link", name="Households").first.click()
    page.get_by_role("link", name=book.name).click()
    page.get_by_role("link", name=re.compile("Action plan")).click()
    page.get_by_role("button", name="Run review now").click()
    expect(page.locator("#review-status")).to_contain_text("Plan ready")
    expect(page.locator("article.rec").first).to_contain_text("VTI")
    page.screenshot(path=artifacts / "import-plan.png", full_page=True)

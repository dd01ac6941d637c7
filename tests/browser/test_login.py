"""An advisor signs in with a browser and sees only their own households."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_advisor_signs_in_and_sees_only_their_households(
    live_server, page: Page, artifacts: Path, advisor, households
) -> None:
    advisor.set_password("correct horse battery")
    advisor.save()
    own = households["advisor"]
    others = [h for key, h in households.items() if key != "advisor"]

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill(advisor.username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()

    expect(page.get_by_role("link", name=own.name)).to_be_visible()
    for other in others:
        expect(page.get_by_text(other.name)).to_have_count(0)

    page.get_by_role("link", name=own.name).click()
    expect(page).to_have_url(re.compile(str(own.public_id)))
    expect(page.get_by_role("heading", level=1)).to_contain_text(own.name)
    page.screenshot(path=artifacts / "household-page.png", full_page=True)


@pytest.mark.django_db(transaction=True)
def test_wrong_password_is_refused(live_server, page: Page, advisor) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(advisor.username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("p.error")).to_contain_text("username and password")

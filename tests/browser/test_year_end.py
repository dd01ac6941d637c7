"""A firm admin starts the year-end review in a browser and watches it run: the progress on the
page moves as households are reviewed, without a reload, polling stops when the run is done,
and the failure is listed with a link to its household. A screenshot of the finished run is
saved as a test artifact (test-artifacts/year-end-run.png).

The run's tasks are held back when the page queues them; the test then reviews the chunks
itself, a part at a time, so that the page has something to follow."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, Request, expect

from advisors.models import Advisor
from clients.models import Household, TaxProfile
from taxlogic import tasks, year_end
from taxlogic.models import YearEndRun

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


@pytest.mark.django_db(transaction=True)
def test_a_firm_admin_starts_a_run_and_follows_it_to_the_end(
    live_server: Any,
    page: Page,
    artifacts: Path,
    firm_admin: Advisor,
    households: dict[str, Household],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    firm_admin.set_password(PASSWORD)
    firm_admin.save()
    TaxProfile.objects.filter(household=households["teammate"]).delete()  # it will fail
    held: list[int] = []
    monkeypatch.setattr(tasks.year_end_fan_out, "delay_on_commit", held.append)

    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill(firm_admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    page.get_by_role("link", name="Year-end", exact=True).click()
    page.get_by_role("button", name="Start a year-end review").click()

    progress = page.locator("#run-progress")
    expect(progress).to_contain_text("0 / 4")
    assert len(held) == 1
    run = YearEndRun.objects.get(pk=held[0])
    ids = sorted(run.households.values_list("household_id", flat=True))
    polls: list[str] = []

    run_url = f"{live_server.url}{reverse('taxlogic:year_end_run', args=[run.public_id])}"

    def seen(request: Request) -> None:
        if request.url == run_url:
            polls.append(request.url)

    page.on("request", seen)
    page.evaluate("window.__samePage = true")

    # Half the households reviewed: the page follows, in place.
    year_end.year_end_chunk_run(run_id=run.pk, household_ids=ids[:2])
    expect(progress).to_contain_text("2 / 4", timeout=10_000)
    expect(progress.get_by_role("heading")).to_contain_text("Running")

    # The rest: done, with the failure named and linked; polling stops.
    year_end.year_end_chunk_run(run_id=run.pk, household_ids=ids[2:])
    expect(progress).to_contain_text("4 / 4", timeout=10_000)
    expect(progress.get_by_role("heading")).to_contain_text("Completed with 1 failure")
    failure = progress.get_by_role("link", name=households["teammate"].name)
    plan_url = reverse("taxlogic:plan", args=[households["teammate"].public_id])
    expect(failure).to_have_attribute("href", plan_url)
    assert page.evaluate("window.__samePage") is True
    assert polls, "the page never polled"
    time.sleep(2.5)
    after = len(polls)
    time.sleep(2.5)
    assert len(polls) == after, "polling went on after the run finished"

    page.reload()
    expect(page.get_by_role("button", name="Review the 1 failed household again")).to_be_visible()
    page.screenshot(path=artifacts / "year-end-run.png", full_page=True)

"""The year-end pages: who sees which run, who may start or resume one, live progress that
stops polling when the run is finished, failures with links, and advisors' changed plans."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from advisors.models import Advisor, Firm, Team
from clients.models import Household, TaxProfile
from taxlogic import year_end
from taxlogic.models import RunTrigger, YearEndRun
from tests.conftest import USERS
from tests.factories import TaxProfileFactory
from tests.plans.conftest import add_loss
from tests.year_end.conftest import TODAY

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
RUNS = reverse("taxlogic:year_end_runs")
START = reverse("taxlogic:year_end_start")


def _run_url(run: YearEndRun) -> str:
    return reverse("taxlogic:year_end_run", args=[run.public_id])


@pytest.fixture
def runs(
    households: dict[str, Household],
    firm_a: Firm,
    north: Team,
    start_run: Callable[..., YearEndRun],
) -> dict[str, YearEndRun]:
    """A finished firm run (one failure, the advisor's plan new) and a finished North run."""
    TaxProfile.objects.filter(household=households["other_team_advisor"]).delete()
    firm = start_run(firm_a)
    add_loss(households["advisor"])
    team = start_run(firm_a, team=north)
    return {"firm": firm, "team": team}


# Which runs each user sees: firm admins and compliance all, the team lead North's, the rest
# none (advisors see their households' rows, not runs; the outsider is another firm).
SEES = {
    "advisor": set(),
    "teammate": set(),
    "team_lead": {"team"},
    "other_team_advisor": set(),
    "firm_admin": {"firm", "team"},
    "compliance": {"firm", "team"},
    "outsider": set(),
}


@pytest.mark.parametrize("user_key", USERS)
def test_runs_follow_the_scope(
    users: dict[str, Advisor],
    runs: dict[str, YearEndRun],
    client_for: Callable[[Advisor], Client],
    user_key: str,
) -> None:
    client = client_for(users[user_key])
    page = client.get(RUNS)
    assert page.status_code == 200
    listed = {key for key, run in runs.items() if _run_url(run) in page.content.decode()}
    assert listed == SEES[user_key]
    for key, run in runs.items():
        expected = 200 if key in SEES[user_key] else 404
        assert client.get(_run_url(run)).status_code == expected
        assert client.get(_run_url(run), headers=HTMX).status_code in (
            (286,) if expected == 200 else (404,)
        )
        resume = reverse("taxlogic:year_end_resume", args=[run.public_id])
        writes = user_key == "firm_admin" or (user_key == "team_lead" and key == "team")
        assert client.post(resume).status_code == (
            302 if writes else 403 if expected == 200 else 404
        )


def test_the_start_form_is_for_firm_admins_and_team_leads(
    users: dict[str, Advisor], client_for: Callable[[Advisor], Client], south: Team
) -> None:
    admin = client_for(users["firm_admin"]).get(RUNS).content.decode()
    assert "Start a year-end review" in admin and "The whole firm" in admin
    assert "North" in admin and "South" in admin
    lead = client_for(users["team_lead"]).get(RUNS).content.decode()
    assert "Start a year-end review" in lead and "The whole firm" not in lead
    assert "South" not in lead
    for key in ("advisor", "compliance", "outsider"):
        page = client_for(users[key]).get(RUNS).content.decode()
        assert "Start a year-end review" not in page
        assert client_for(users[key]).post(START, {"as_of": TODAY()}).status_code == 403


def test_a_firm_admin_starts_a_firm_run_and_lands_on_its_progress(
    users: dict[str, Advisor],
    households: dict[str, Household],
    firm_a: Firm,
    client_for: Callable[[Advisor], Client],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client = client_for(users["firm_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(START, {"team": "", "as_of": TODAY().isoformat()})
    run = YearEndRun.objects.get(firm=firm_a)
    assert response.status_code == 302 and response["Location"] == _run_url(run)
    assert (run.team, run.trigger, run.started_by) == (
        None,
        RunTrigger.ADVISOR,
        users["firm_admin"],
    )
    page = client.get(_run_url(run)).content.decode()
    assert "4 / 4" in page and "Completed" in page


def test_a_team_lead_starts_a_run_of_their_team_only(
    users: dict[str, Advisor],
    households: dict[str, Household],
    north: Team,
    south: Team,
    client_for: Callable[[Advisor], Client],
) -> None:
    client = client_for(users["team_lead"])
    refused = client.post(START, {"team": str(south.public_id), "as_of": TODAY().isoformat()})
    assert refused.status_code == 422
    assert not YearEndRun.objects.exists()
    client.post(START, {"team": str(north.public_id), "as_of": TODAY().isoformat()})
    run = YearEndRun.objects.get()
    assert run.team == north and run.total == 3


def test_progress_polls_while_running_and_stops_when_finished(
    users: dict[str, Advisor], households: dict[str, Household], firm_a: Firm
) -> None:
    run, _ = year_end.year_end_start(firm=firm_a, as_of=TODAY(), trigger=RunTrigger.COMMAND)
    client = Client()
    client.force_login(users["firm_admin"])
    polled = client.get(_run_url(run), headers=HTMX)
    body = polled.content.decode()
    assert polled.status_code == 200
    assert 'hx-trigger="every 1s"' in body and "0 / 4" in body and "<svg" in body
    assert "<html" not in body  # the partial only
    page = client.get(_run_url(run)).content.decode()
    assert 'http-equiv="refresh"' in page  # without JavaScript the page refreshes itself
    ids = list(run.households.values_list("household_id", flat=True))
    year_end.year_end_chunk_run(run_id=run.pk, household_ids=ids[:2])
    body = client.get(_run_url(run), headers=HTMX).content.decode()
    assert "2 / 4" in body and "50%" in body
    year_end.year_end_chunk_run(run_id=run.pk, household_ids=ids)
    done = client.get(_run_url(run), headers=HTMX)
    assert done.status_code == 286  # htmx: stop polling
    assert "hx-trigger" not in done.content.decode() and "Completed" in done.content.decode()


def test_failures_are_listed_with_links_to_the_household(
    users: dict[str, Advisor],
    households: dict[str, Household],
    runs: dict[str, YearEndRun],
    client_for: Callable[[Advisor], Client],
) -> None:
    failed = households["other_team_advisor"]
    plan_url = reverse("taxlogic:plan", args=[failed.public_id])
    client = client_for(users["firm_admin"])
    polled = client.get(_run_url(runs["firm"]), headers=HTMX).content.decode()
    assert "Completed with 1 failure" in polled
    assert plan_url in polled and "no tax profile" in polled
    assert plan_url in client.get(_run_url(runs["firm"])).content.decode()
    # The team lead's run page lists only what they may see.
    lead = client_for(users["team_lead"]).get(_run_url(runs["team"])).content.decode()
    assert plan_url not in lead


def test_advisors_see_their_households_whose_plan_changed(
    users: dict[str, Advisor],
    households: dict[str, Household],
    runs: dict[str, YearEndRun],
    client_for: Callable[[Advisor], Client],
) -> None:
    def changed_for(key: str) -> set[str]:
        page = client_for(users[key]).get(RUNS).content.decode()
        return {
            k for k, h in households.items() if reverse("taxlogic:plan", args=[h.public_id]) in page
        }

    # The firm run made every plan new; the team run changed the advisor's (a new loss).
    assert changed_for("advisor") == {"advisor"}
    assert changed_for("teammate") == {"teammate"}
    assert changed_for("team_lead") == {"advisor", "teammate", "team_lead"}
    assert changed_for("outsider") == set()
    page = client_for(users["advisor"]).get(RUNS).content.decode()
    assert "Recommendations changed" in page and "First plan of the year" in page


def test_changed_plans_come_a_page_at_a_time(
    users: dict[str, Advisor],
    households: dict[str, Household],
    runs: dict[str, YearEndRun],
    client_for: Callable[[Advisor], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from taxlogic import year_end_views

    client = client_for(users["team_lead"])
    everything = client.get(RUNS).content.decode()
    plan_links = {k: reverse("taxlogic:plan", args=[h.public_id]) for k, h in households.items()}
    rows_all = sum(everything.count(f'href="{url}"') for url in plan_links.values())
    assert rows_all == 4  # the firm run's three new plans and the team run's change
    monkeypatch.setattr(year_end_views, "CHANGES_SHOWN", 3)
    first = client.get(RUNS).content.decode()
    assert sum(first.count(f'href="{url}"') for url in plan_links.values()) == 3
    assert 'href="?changes=2"' in first and "Newer" not in first
    second = client.get(RUNS, {"changes": "2"}).content.decode()
    assert sum(second.count(f'href="{url}"') for url in plan_links.values()) == 1
    assert 'href="?changes=1"' in second and "Older" not in second
    assert "No changed plans on this page" in client.get(RUNS, {"changes": "9"}).content.decode()
    assert client.get(RUNS, {"changes": "x"}).content.decode().count("Older") == 1


def test_resume_from_the_page(
    users: dict[str, Advisor],
    households: dict[str, Household],
    firm_a: Firm,
    client_for: Callable[[Advisor], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run, _ = year_end.year_end_start(firm=firm_a, as_of=TODAY(), trigger=RunTrigger.COMMAND)
    from taxlogic.tasks import year_end_chunk

    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(year_end_chunk, "delay", lambda *args: sent.append(args))
    client = client_for(users["firm_admin"])
    assert "Queue the pending households again" in client.get(_run_url(run)).content.decode()
    response = client.post(reverse("taxlogic:year_end_resume", args=[run.public_id]))
    assert response.status_code == 302 and len(sent) == 1


def test_the_navigation_links_the_year_end_page(
    users: dict[str, Advisor], client_for: Callable[[Advisor], Client]
) -> None:
    page = client_for(users["advisor"]).get(RUNS).content.decode()
    assert f'href="{RUNS}"' in page


def test_a_firm_admin_retries_the_failures_from_the_page(
    users: dict[str, Advisor],
    households: dict[str, Household],
    runs: dict[str, YearEndRun],
    client_for: Callable[[Advisor], Client],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    retry_url = reverse("taxlogic:year_end_retry", args=[runs["firm"].public_id])
    page = client_for(users["firm_admin"]).get(_run_url(runs["firm"])).content.decode()
    assert "Review the 1 failed household again" in page and retry_url in page
    for key in ("compliance", "team_lead", "advisor"):
        client = client_for(users[key])
        assert retry_url not in client.get(_run_url(runs["firm"])).content.decode()
        assert client.post(retry_url).status_code in (403, 404)
    team_page = client_for(users["firm_admin"]).get(_run_url(runs["team"])).content.decode()
    assert "failed household again" not in team_page  # no failures there

    TaxProfileFactory(household=households["other_team_advisor"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(users["firm_admin"]).post(retry_url)
    retry = YearEndRun.objects.get(retry_of=runs["firm"])
    assert response.status_code == 302 and response["Location"] == _run_url(retry)
    page = client_for(users["firm_admin"]).get(_run_url(retry)).content.decode()
    assert "retries the failures of" in page and "Completed" in page

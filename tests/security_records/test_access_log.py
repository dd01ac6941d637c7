"""The access log (clients/access.py): who saw which household, by page or API, appended only;
and the access report for an advisor or an API client and a time window, exact, and fast for a
firm of 10,000 households."""

from __future__ import annotations

import datetime
import io
import time

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from clients.access import HouseholdAccess, Via, access_report
from clients.models import Household
from tests.factories import HouseholdFactory
from tests.plans.conftest import add_loss, review


def _window() -> dict:
    now = timezone.now()
    return {"start": now - datetime.timedelta(hours=1), "end": now + datetime.timedelta(hours=1)}


def _seen(**who: object) -> set[int]:
    return {s.household_id for s in access_report(**who, **_window())}


def test_pages_log_the_household_they_show(
    client_for: object, advisor: object, households: dict
) -> None:
    household = households["advisor"]
    lot = household.accounts.get().lots.get()
    browser = client_for(advisor)
    for url in (
        f"/households/{household.public_id}/",
        f"/plans/households/{household.public_id}/",
        f"/lots/{lot.public_id}/",
        f"/holdings/{lot.account.public_id}/",
    ):
        assert browser.get(url).status_code == 200, url
    rows = HouseholdAccess.objects.filter(user=advisor).order_by("id")
    assert [r.household_id for r in rows] == [household.pk] * 4
    assert {r.via for r in rows} == {Via.PAGE}
    assert _seen(user_id=advisor.pk) == {household.pk}


def test_a_refused_page_logs_nothing(
    client_for: object, outsider: object, households: dict
) -> None:
    household = households["advisor"]
    assert client_for(outsider).get(f"/households/{household.public_id}/").status_code == 404
    assert not HouseholdAccess.objects.filter(user=outsider).exists()


def test_api_lists_and_retrieves_log_every_household_shown(
    make_integration: object, households: dict, firm_a: object
) -> None:
    integration = make_integration(firm_a)
    listed = integration.http.get("/api/v1/households/").json()["results"]
    firm_households = set(Household.objects.filter(firm=firm_a).values_list("pk", flat=True))
    assert len(listed) == len(firm_households)
    assert _seen(api_client_id=integration.client.pk) == firm_households
    lot = households["advisor"].accounts.get().lots.get()
    before = HouseholdAccess.objects.count()
    assert integration.http.get(f"/api/v1/lots/{lot.public_id}/").status_code == 200
    last = HouseholdAccess.objects.order_by("-id").first()
    assert HouseholdAccess.objects.count() == before + 1
    assert last.household_id == households["advisor"].pk and last.via == Via.API
    assert last.api_client_id == integration.client.pk and last.user_id is None


def test_the_report_is_exact_for_a_window(
    client_for: object, team_lead: object, teammate: object, households: dict
) -> None:
    mine, theirs = households["team_lead"], households["teammate"]
    client_for(team_lead).get(f"/households/{mine.public_id}/")
    client_for(teammate).get(f"/households/{theirs.public_id}/")
    client_for(team_lead).get(f"/households/{theirs.public_id}/")  # the team's: allowed
    client_for(team_lead).get(f"/households/{theirs.public_id}/")
    client_for(teammate).get(f"/households/{mine.public_id}/")  # refused (404): not logged
    report = access_report(user_id=team_lead.pk, **_window())
    assert {(s.household_id, s.views) for s in report} == {(mine.pk, 1), (theirs.pk, 2)}
    assert _seen(user_id=teammate.pk) == {theirs.pk}
    later = timezone.now() + datetime.timedelta(hours=2)
    assert access_report(user_id=team_lead.pk, start=later, end=later) == []


def test_the_log_is_append_only(client_for: object, advisor: object, households: dict) -> None:
    client_for(advisor).get(f"/households/{households['advisor'].public_id}/")
    row = HouseholdAccess.objects.get(user=advisor)
    for sql in (
        "UPDATE clients_householdaccess SET household_id = 0 WHERE id = %s",
        "DELETE FROM clients_householdaccess WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [row.pk])
    assert HouseholdAccess.objects.filter(pk=row.pk, household_id=row.household_id).exists()


def test_the_report_page_for_compliance_and_the_command(
    client_for: object,
    compliance: object,
    advisor: object,
    other_team_advisor: object,
    outsider: object,
    households: dict,
) -> None:
    client_for(advisor).get(f"/households/{households['advisor'].public_id}/")
    url = "/accounts/access-report/"
    page = client_for(compliance).get(url, {"advisor": str(advisor.public_id)})
    assert page.status_code == 200
    assert households["advisor"].name.encode() in page.content
    assert client_for(other_team_advisor).get(url).status_code == 403
    # Another firm's compliance cannot name this firm's advisor.
    foreign = type(compliance).objects.create(
        username="b-compliance", firm=outsider.firm, role="compliance"
    )
    refused = client_for(foreign).get(url, {"advisor": str(advisor.public_id)})
    assert refused.status_code == 404
    out = io.StringIO()
    call_command("access_report", "--advisor", advisor.username, stdout=out)
    assert str(households["advisor"].public_id) in out.getvalue()


@pytest.mark.integration
def test_the_report_answers_for_ten_thousand_households_in_under_a_minute(
    firm_a: object, advisor: object, compliance: object
) -> None:
    """A firm of 10,000 households, each seen by one API client and the advisor several times
    (50,000 log rows), and noise from another advisor: the report is exact and fast."""
    rows = HouseholdFactory.build_batch(1, primary_advisor=advisor)
    template = rows[0]
    households = [
        Household(
            firm_id=template.firm_id,
            team_id=template.team_id,
            primary_advisor=advisor,
            name=f"Household {n:05d}",
        )
        for n in range(10_000)
    ]
    Household.objects.bulk_create(households, batch_size=2000)
    ids = list(
        Household.objects.filter(firm=firm_a, name__startswith="Household ").values_list(
            "pk", flat=True
        )
    )
    assert len(ids) == 10_000
    now = timezone.now()
    log = [
        HouseholdAccess(
            at=now - datetime.timedelta(minutes=n % 5),
            firm_id=firm_a.pk,
            household_id=pk,
            user_id=advisor.pk,
            via=Via.API,
            path="/api/v1/households/",
        )
        for n in range(5)
        for pk in ids
    ]
    HouseholdAccess.objects.bulk_create(log, batch_size=5000)
    started = time.monotonic()
    report = access_report(
        user_id=advisor.pk,
        start=now - datetime.timedelta(hours=1),
        end=now + datetime.timedelta(hours=1),
        viewer=compliance,
    )
    elapsed = time.monotonic() - started
    assert {s.household_id for s in report} == set(ids)
    assert {s.views for s in report} == {5}
    assert elapsed < 60, elapsed


def test_reviews_do_not_log_but_plan_pages_do(
    client_for: object, advisor: object, households: dict
) -> None:
    household = households["advisor"]
    add_loss(household)
    review(household)  # a task, no one looking
    assert not HouseholdAccess.objects.exists()
    client_for(advisor).get(f"/plans/households/{household.public_id}/")
    assert _seen(user_id=advisor.pk) == {household.pk}

"""The schedule: the static beat entries, the dispatcher's dates in each firm's time zone, its
guard in the database (one run per firm and scheduled moment, whatever beat does), and the daily
refresh of households whose data changed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from advisors.models import Firm
from clients.models import Household, TaxLot
from config.celery import app
from taxlogic import services, year_end
from taxlogic.models import HarvestSettings, RunTrigger, YearEndRun
from tests.year_end.checks import assert_run_exact

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")


def test_the_beat_schedule_is_static_and_in_code() -> None:
    schedule = app.conf.beat_schedule
    assert schedule["year-end-dispatch"]["task"] == "taxlogic.tasks.year_end_dispatch"
    assert schedule["households-refresh-changed"]["task"] == (
        "taxlogic.tasks.households_refresh_changed"
    )
    app.loader.import_default_modules()  # autodiscovery, as a worker does at start
    assert "taxlogic.tasks.year_end_dispatch" in app.tasks
    assert "taxlogic.tasks.households_refresh_changed" in app.tasks
    # Well below the broker's visibility timeout, so that no running task is redelivered.
    transport = app.conf.broker_transport_options
    assert app.conf.task_time_limit < transport["visibility_timeout"]
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert (app.conf.task_acks_late, app.conf.task_reject_on_worker_lost) == (True, True)
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_serializer == "json" and app.conf.accept_content == ["json"]


def _settings(firm: Firm, **changes: Any) -> HarvestSettings:
    found = services.harvest_settings_get(firm_id=firm.pk)
    for name, value in changes.items():
        setattr(found, name, value)
    found.save()
    return found


def _old_firm(firm: Firm) -> Firm:
    Firm.objects.filter(pk=firm.pk).update(created=datetime(2020, 1, 1, tzinfo=UTC))
    firm.refresh_from_db()
    return firm


def test_each_worker_process_freezes_its_start_and_collects_less_often() -> None:
    import gc

    from celery.signals import worker_process_init

    from config.celery import GC_THRESHOLD

    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    try:
        worker_process_init.send(sender=None)  # what a prefork child sends when it starts
        assert gc.get_threshold() == GC_THRESHOLD != before
        assert gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_default_moments_are_1_november_and_1_december_at_six_in_the_firm_zone(
    firm_a: Firm,
) -> None:
    found = services.harvest_settings_get(firm_id=firm_a.pk)
    assert year_end.scheduled_moments(found, year=2026) == [
        datetime(2026, 11, 1, 6, 0, tzinfo=NEW_YORK),
        datetime(2026, 12, 1, 6, 0, tzinfo=NEW_YORK),
    ]
    since = datetime(2020, 1, 1, tzinfo=UTC)
    due = year_end.due_moment
    # 06:00 in New York on 1 November 2026 is 11:00 UTC (daylight time still).
    assert due(found, now=datetime(2026, 11, 1, 10, 59, tzinfo=UTC), since=since) is None
    assert due(found, now=datetime(2026, 11, 1, 11, 0, tzinfo=UTC), since=since) == datetime(
        2026, 11, 1, 6, tzinfo=NEW_YORK
    )
    # Still caught up two days late (beat was down), not a week late.
    assert due(found, now=datetime(2026, 11, 3, 9, tzinfo=UTC), since=since) is not None
    assert due(found, now=datetime(2026, 11, 8, 9, tzinfo=UTC), since=since) is None
    # December's moment is in standard time: 11:00 UTC again, one hour "later" locally.
    assert due(found, now=datetime(2026, 12, 1, 11, 0, tzinfo=UTC), since=since) == datetime(
        2026, 12, 1, 6, tzinfo=NEW_YORK
    )
    # Not before the firm existed.
    late = datetime(2026, 11, 2, tzinfo=UTC)
    assert due(found, now=datetime(2026, 11, 2, 12, tzinfo=UTC), since=late) is None


def test_a_firm_chooses_its_own_dates_time_and_zone(firm_a: Firm) -> None:
    found = _settings(
        firm_a, time_zone="America/Los_Angeles", run_dates=["10-15", "02-30"], run_time=time(22)
    )
    moments = year_end.scheduled_moments(found, year=2026)
    assert moments == [datetime(2026, 10, 15, 22, tzinfo=ZoneInfo("America/Los_Angeles"))]
    assert moments[0].astimezone(UTC) == datetime(2026, 10, 16, 5, tzinfo=UTC)


def test_dispatch_starts_one_run_per_firm_and_scheduled_moment(
    households: dict[str, Household],
    firm_a: Firm,
    firm_b: Firm,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    _old_firm(firm_a), _old_firm(firm_b)
    _settings(firm_b, time_zone="America/Los_Angeles")
    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # 07:00 in New York, 05:00 in Los Angeles
    with django_capture_on_commit_callbacks(execute=True):
        started = year_end.year_end_dispatch(now=now)
    assert [r.firm for r in started] == [firm_a]
    run = started[0]
    assert (run.trigger, run.scheduled_for) == (
        RunTrigger.SCHEDULE,
        datetime(2026, 11, 1, 6, tzinfo=NEW_YORK),
    )
    assert (run.tax_year, run.as_of.isoformat()) == (2026, "2026-11-01")
    assert run.started_by is None
    assert_run_exact(run)
    # Beat restarted, or a second beat: the same moment never gets a second run.
    for minutes in (0, 15, 30, 45):
        with django_capture_on_commit_callbacks(execute=True):
            again = year_end.year_end_dispatch(now=now + timedelta(minutes=minutes))
        assert again == []
    assert YearEndRun.objects.filter(firm=firm_a).count() == 1
    # Los Angeles reaches 06:00 two hours later.
    with django_capture_on_commit_callbacks(execute=True):
        later = year_end.year_end_dispatch(now=datetime(2026, 11, 1, 14, 0, tzinfo=UTC))
    assert [r.firm for r in later] == [firm_b]


def test_a_scheduled_run_waits_for_a_running_run_of_the_firm(
    households: dict[str, Household], firm_a: Firm
) -> None:
    _old_firm(firm_a)
    manual, _ = year_end.year_end_start(
        firm=firm_a, as_of=timezone.localdate(), trigger=RunTrigger.COMMAND
    )  # queued, not executed: it stays active
    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    assert year_end.year_end_dispatch(now=now) == []
    YearEndRun.objects.filter(pk=manual.pk).update(
        status="completed", done=manual.total, finished=now
    )
    started = year_end.year_end_dispatch(now=now + timedelta(minutes=15))
    assert len(started) == 1 and started[0].trigger == RunTrigger.SCHEDULE


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_still_start_one_run(
    households: dict[str, Household], firm_a: Firm
) -> None:
    _old_firm(firm_a)
    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def dispatch() -> None:
        try:
            barrier.wait()
            year_end.year_end_dispatch(now=now)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatch) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    runs = YearEndRun.objects.filter(firm=firm_a, trigger=RunTrigger.SCHEDULE)
    assert runs.count() == 1


def test_the_daily_refresh_reviews_only_households_whose_data_changed(
    households: dict[str, Household],
    firm_a: Firm,
    start_run: Callable[..., YearEndRun],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    year = timezone.localdate().year
    changed = year_end.changed_households
    # Never reviewed: all of them.
    assert changed(firm=firm_a, tax_year=year).count() == 4
    start_run(firm_a)
    assert changed(firm=firm_a, tax_year=year).count() == 0
    lot = TaxLot.objects.filter(account__household=households["teammate"]).first()
    lot.save()  # a correction from the custodian
    assert list(changed(firm=firm_a, tax_year=year)) == [households["teammate"]]

    with django_capture_on_commit_callbacks(execute=True):
        runs = year_end.households_refresh_changed()
    # Firm B's household was never reviewed: it is "changed" too.
    assert [r.firm.slug for r in runs] == ["firm-a", "firm-b"]
    run = runs[0]
    assert run.trigger == RunTrigger.REFRESH and run.scheduled_for is not None
    assert list(run.households.values_list("household", flat=True)) == [households["teammate"].pk]
    assert_run_exact(run)
    assert changed(firm=firm_a, tax_year=year).count() == 0
    # Nothing changed since: no run tonight.
    with django_capture_on_commit_callbacks(execute=True):
        assert year_end.households_refresh_changed() == []


def test_the_refresh_runs_once_a_day_whatever_beat_does(
    households: dict[str, Household], firm_a: Firm
) -> None:
    # Not executed: the first refresh's run stays queued, its households still "changed".
    first = year_end.households_refresh_changed()
    again = year_end.households_refresh_changed()
    assert len(first) == 2 and again == []  # firm A's and firm B's
    assert YearEndRun.objects.filter(firm=firm_a, trigger=RunTrigger.REFRESH).count() == 1


def test_new_harvest_settings_mark_every_household_changed(
    households: dict[str, Household], firm_a: Firm, start_run: Callable[..., YearEndRun]
) -> None:
    start_run(firm_a)
    year = timezone.localdate().year
    assert year_end.changed_households(firm=firm_a, tax_year=year).count() == 0
    _settings(firm_a, min_loss_dollars=100)
    assert year_end.changed_households(firm=firm_a, tax_year=year).count() == 4

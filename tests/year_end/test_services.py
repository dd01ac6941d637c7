"""The year-end run in-process (eager tasks, PostgreSQL): fan-out, exact counts, idempotent
households under redelivery and concurrency, failures, retries with a cap, resume."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from advisors.models import Firm
from clients.models import Household, TaxProfile
from taxlogic import services, year_end
from taxlogic.models import (
    ActionPlan,
    Review,
    RunStatus,
    RunTrigger,
    YearEndHousehold,
    YearEndRun,
)
from tests.plans.conftest import add_loss
from tests.year_end.checks import assert_run_exact
from tests.year_end.conftest import TODAY

pytestmark = pytest.mark.django_db


def _firm_a_households(households: dict[str, Household]) -> list[Household]:
    return [h for key, h in households.items() if key != "outsider"]


def test_a_run_reviews_every_household_of_the_firm_once(
    households: dict[str, Household], firm_a: Firm, start_run: Callable[..., YearEndRun]
) -> None:
    for household in households.values():
        add_loss(household)
    run = start_run(firm_a)
    rows = assert_run_exact(run)
    assert rows == {"done": 4}
    assert run.status_label == "Completed"
    assert run.changed == 4  # every plan is new
    assert set(run.households.values_list("change", flat=True)) == {"new"}
    assert not ActionPlan.objects.filter(household=households["outsider"]).exists()
    assert run.started is not None and run.progressed is not None

    # The same data again: every plan stands, nothing new is written.
    plans, reviews = ActionPlan.objects.count(), Review.objects.count()
    again = start_run(firm_a)
    assert assert_run_exact(again) == {"done": 4}
    assert set(again.households.values_list("change", flat=True)) == {"unchanged"}
    assert again.changed == 0
    assert (ActionPlan.objects.count(), Review.objects.count()) == (plans, reviews)


def test_a_changed_household_gets_a_new_plan_and_is_counted_as_changed(
    households: dict[str, Household], firm_a: Firm, start_run: Callable[..., YearEndRun]
) -> None:
    start_run(firm_a)
    add_loss(households["advisor"])  # a new lot at a loss: a harvest to recommend
    run = start_run(firm_a)
    changes = dict(run.households.values_list("household__primary_advisor__username", "change"))
    assert changes["advisor"] == "changed"
    assert {changes[k] for k in ("teammate", "team_lead", "other_team_advisor")} == {"unchanged"}
    assert run.changed == 1
    assert_run_exact(run)


def test_a_failing_household_is_recorded_and_never_stops_the_run(
    households: dict[str, Household], firm_a: Firm, start_run: Callable[..., YearEndRun]
) -> None:
    TaxProfile.objects.filter(household=households["teammate"]).delete()
    run = start_run(firm_a)
    assert assert_run_exact(run) == {"done": 3, "failed": 1}
    assert run.status_label == "Completed with 1 failure"
    row = run.households.get(status="failed")
    assert row.household == households["teammate"]
    assert "no tax profile" in row.error
    assert row.attempts == 1  # bad data is not retried
    assert row.review is not None and row.review.status == "failed"


def test_a_team_run_covers_the_team_only(
    households: dict[str, Household],
    firm_a: Firm,
    north: object,
    start_run: Callable[..., YearEndRun],
) -> None:
    run = start_run(firm_a, team=north)
    reviewed = set(run.households.values_list("household__primary_advisor__username", flat=True))
    assert reviewed == {"advisor", "teammate", "team_lead"}
    assert_run_exact(run)


def test_a_household_that_left_the_team_meanwhile_is_skipped(
    households: dict[str, Household], firm_a: Firm, north: object, south: object
) -> None:
    run, _ = year_end.year_end_start(
        firm=firm_a, team=north, as_of=TODAY(), trigger=RunTrigger.COMMAND
    )
    moved = households["teammate"]
    Household.objects.filter(pk=moved.pk).update(team=south)
    year_end.year_end_chunk_run(run_id=run.pk, household_ids=_chunk(run))
    assert assert_run_exact(run) == {"done": 2, "skipped": 1}
    row = run.households.get(household=moved)
    assert row.error == "No longer in the run's team."
    assert not ActionPlan.objects.filter(household=moved).exists()


def test_an_empty_run_is_complete_at_once(
    firm_a: Firm, start_run: Callable[..., YearEndRun]
) -> None:
    run = start_run(firm_a)
    assert (run.status, run.total) == (RunStatus.COMPLETED, 0)


def test_one_active_run_per_firm_a_second_start_returns_it(
    households: dict[str, Household], firm_a: Firm, north: object
) -> None:
    # Not executed: the run stays queued.
    first, created = year_end.year_end_start(firm=firm_a, as_of=TODAY(), trigger=RunTrigger.COMMAND)
    second, again = year_end.year_end_start(firm=firm_a, as_of=TODAY(), trigger=RunTrigger.COMMAND)
    assert created and not again and second == first
    # A team's run is another set of households.
    team_run, team_created = year_end.year_end_start(
        firm=firm_a, team=north, as_of=TODAY(), trigger=RunTrigger.COMMAND
    )
    assert team_created and team_run != first
    with pytest.raises(IntegrityError), transaction.atomic():
        YearEndRun.objects.create(firm=firm_a, tax_year=2026, as_of=TODAY(), trigger="command")


def test_counts_can_never_exceed_the_total(households: dict[str, Household], firm_a: Firm) -> None:
    run, _ = year_end.year_end_start(firm=firm_a, as_of=TODAY(), trigger=RunTrigger.COMMAND)
    with pytest.raises(IntegrityError), transaction.atomic():
        YearEndRun.objects.filter(pk=run.pk).update(done=run.total + 1)


def _chunk(run: YearEndRun) -> list[int]:
    return list(run.households.order_by("household_id").values_list("household_id", flat=True))


def test_a_redelivered_chunk_repeats_nothing(
    households: dict[str, Household], firm_a: Firm
) -> None:
    run, _ = year_end.year_end_start(firm=firm_a, as_of=TODAY(), trigger=RunTrigger.COMMAND)
    ids = _chunk(run)
    # The worker reviews two households, then dies before acknowledging the message...
    year_end.year_end_chunk_run(run_id=run.pk, household_ids=ids[:2])
    run.refresh_from_db()
    assert (run.done, run.status) == (2, RunStatus.RUNNING)
    plans, reviews = ActionPlan.objects.count(), Review.objects.count()
    # ...and the whole chunk comes back, twice.
    year_end.year_end_chunk_run(run_id=run.pk, household_ids=ids)
    year_end.year_end_chunk_run(run_id=run.pk, household_ids=ids)
    assert assert_run_exact(run) == {"done": 4}
    assert ActionPlan.objects.count() == plans + 2
    assert Review.objects.count() == reviews + 2
    assert set(run.households.values_list("attempts", flat=True)) == {1}


def test_a_household_reviewed_outside_the_run_meanwhile_is_not_doubled(
    households: dict[str, Household], firm_a: Firm
) -> None:
    run, _ = year_end.year_end_start(firm=firm_a, as_of=TODAY(), trigger=RunTrigger.COMMAND)
    household = households["advisor"]
    services.household_review_run(
        household=household, tax_year=run.tax_year, as_of=run.as_of, requested_by=None
    )
    year_end.year_end_chunk_run(run_id=run.pk, household_ids=_chunk(run))
    assert_run_exact(run)
    row = run.households.get(household=household)
    assert row.change == "unchanged"
    assert ActionPlan.objects.filter(household=household).count() == 1


def _failing(times: int, error: BaseException, household_id: int) -> Callable[..., Any]:
    """The review service, raising ``error`` the first ``times`` times it is given the household
    (alone, or in a batch with others: the batch fails, then each is reviewed alone)."""
    real = services.households_review
    calls = {"n": 0}

    def review(*, households: list[Household], **kwargs: Any) -> dict[int, Any]:
        if any(h.pk == household_id for h in households):
            calls["n"] += 1
            if calls["n"] <= times:
                raise error
        return real(households=households, **kwargs)

    return review


def test_a_transient_failure_is_retried_with_back_off(
    households: dict[str, Household],
    firm_a: Firm,
    monkeypatch: pytest.MonkeyPatch,
    start_run: Callable[..., YearEndRun],
) -> None:
    first = households["advisor"]
    # The batch of four fails, the others are reviewed alone; it fails twice more alone.
    failing = _failing(3, OperationalError("gone"), first.pk)
    monkeypatch.setattr(services, "households_review", failing)
    queued: list[tuple[Any, Any]] = []
    from taxlogic.tasks import year_end_chunk

    real_apply = year_end_chunk.apply_async

    def apply_async(args: Any = None, kwargs: Any = None, **options: Any) -> Any:
        if "countdown" in options:
            queued.append((args, options["countdown"]))
        return real_apply(args, kwargs, **options)

    monkeypatch.setattr(year_end_chunk, "apply_async", apply_async)
    run = start_run(firm_a)
    assert assert_run_exact(run) == {"done": 4}
    assert run.households.get(household=first).attempts == 3  # failed twice, then reviewed
    assert set(run.households.exclude(household=first).values_list("attempts", flat=True)) == {1}
    assert [countdown for _, countdown in queued] == [
        pytest.approx(10, abs=3),
        pytest.approx(60, abs=16),
    ]


def test_a_poison_household_gets_three_attempts_then_fails_and_the_run_completes(
    households: dict[str, Household],
    firm_a: Firm,
    monkeypatch: pytest.MonkeyPatch,
    start_run: Callable[..., YearEndRun],
) -> None:
    poison = households["teammate"].pk
    review = _failing(99, OperationalError("server closed the connection unexpectedly"), poison)
    monkeypatch.setattr(services, "households_review", review)
    run = start_run(firm_a)
    assert assert_run_exact(run) == {"done": 3, "failed": 1}
    row = run.households.get(household_id=poison)
    assert row.attempts == 3
    assert "Failed 3 times" in row.error and "server closed" in row.error


def test_a_household_that_keeps_killing_its_worker_is_given_up(
    households: dict[str, Household], firm_a: Firm
) -> None:
    run, _ = year_end.year_end_start(firm=firm_a, as_of=TODAY(), trigger=RunTrigger.COMMAND)
    victim = households["advisor"].pk
    # Three attempts were claimed and never came back (the worker died each time).
    YearEndHousehold.objects.filter(run=run, household_id=victim).update(attempts=3)
    year_end.year_end_chunk_run(run_id=run.pk, household_ids=_chunk(run))
    assert assert_run_exact(run) == {"done": 3, "failed": 1}
    row = run.households.get(household_id=victim)
    assert "Gave up after 3 attempts" in row.error
    assert not ActionPlan.objects.filter(household_id=victim).exists()


def test_an_unexpected_error_fails_the_household_at_once(
    households: dict[str, Household],
    firm_a: Firm,
    monkeypatch: pytest.MonkeyPatch,
    start_run: Callable[..., YearEndRun],
) -> None:
    failing = _failing(2, KeyError("lot"), households["advisor"].pk)  # in the batch, then alone
    monkeypatch.setattr(services, "households_review", failing)
    run = start_run(firm_a)
    assert assert_run_exact(run) == {"done": 3, "failed": 1}
    row = run.households.get(status="failed")
    assert (row.attempts, row.error) == (1, "KeyError: 'lot'")


def test_the_soft_time_limit_hands_the_rest_of_the_chunk_on(
    households: dict[str, Household], firm_a: Firm, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, _ = year_end.year_end_start(firm=firm_a, as_of=TODAY(), trigger=RunTrigger.COMMAND)
    ids = _chunk(run)
    failing = _failing(9, SoftTimeLimitExceeded(), ids[0])
    monkeypatch.setattr(services, "households_review", failing)
    # Out of time in the batch: nothing of it is kept, the whole chunk is handed on, and each
    # household has used an attempt.
    outcome = year_end.year_end_chunk_run(run_id=run.pk, household_ids=ids)
    assert outcome.rest == ids and outcome.retry == []
    assert_run_exact(run, finished=False)
    assert set(run.households.values_list("attempts", flat=True)) == {1}
    assert not ActionPlan.objects.filter(firm=firm_a).exists()
    # The next task reviews them one by one: out of time on the first, it is retried after a
    # back-off and the rest go on at once.
    outcome = year_end.year_end_chunk_run(run_id=run.pk, household_ids=outcome.rest)
    assert outcome.retry == ids[:1] and outcome.rest == ids[1:]
    assert outcome.retry_in >= 60
    assert run.households.get(household_id=ids[0]).attempts == 2
    year_end.year_end_chunk_run(run_id=run.pk, household_ids=outcome.rest)
    assert_run_exact(run, finished=False)
    assert run.households.filter(status="done").count() == 3


def test_resume_queues_only_what_is_pending(
    households: dict[str, Household], firm_a: Firm, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, _ = year_end.year_end_start(firm=firm_a, as_of=TODAY(), trigger=RunTrigger.COMMAND)
    ids = _chunk(run)
    year_end.year_end_chunk_run(run_id=run.pk, household_ids=ids[:3])
    from taxlogic.tasks import year_end_chunk

    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(year_end_chunk, "delay", lambda *args: sent.append(args))
    assert year_end.year_end_resume(run=run) == 1
    assert sent == [(run.pk, ids[3:])]
    run.refresh_from_db()
    assert run.resumes == 1 and run.resumed is not None
    year_end.year_end_chunk_run(run_id=run.pk, household_ids=ids[3:])
    assert_run_exact(run)
    assert year_end.year_end_resume(run=run) == 0  # complete: nothing to do


def test_stalled_runs_are_resumed_by_the_dispatcher(
    households: dict[str, Household], firm_a: Firm, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, _ = year_end.year_end_start(firm=firm_a, as_of=TODAY(), trigger=RunTrigger.COMMAND)
    from taxlogic.tasks import year_end_chunk

    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(year_end_chunk, "delay", lambda *args: sent.append(args))
    assert year_end.year_end_resume_stalled() == []
    later = timezone.now() + year_end.STALLED_AFTER + timedelta(minutes=1)
    assert [r.pk for r in year_end.year_end_resume_stalled(now=later)] == [run.pk]
    assert len(sent) == 1
    # Just resumed: not stalled again until another STALLED_AFTER passes.
    assert year_end.year_end_resume_stalled(now=later) == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_the_same_chunk_count_each_household_once(
    households: dict[str, Household], firm_a: Firm
) -> None:
    run, _ = year_end.year_end_start(firm=firm_a, as_of=TODAY(), trigger=RunTrigger.COMMAND)
    ids = _chunk(run)
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def work() -> None:
        try:
            barrier.wait()
            year_end.year_end_chunk_run(run_id=run.pk, household_ids=ids)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert assert_run_exact(run) == {"done": 4}
    assert ActionPlan.objects.filter(firm=firm_a).count() == 4


# --- the batch: a chunk's households reviewed together ------------------------------------


def _spy_batches(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The households of every call of the review service, in order."""
    calls: list[list[int]] = []
    real = services.households_review

    def review(*, households: list[Household], **kwargs: Any) -> dict[int, Any]:
        calls.append(sorted(h.pk for h in households))
        return real(households=households, **kwargs)

    monkeypatch.setattr(services, "households_review", review)
    return calls


def test_households_never_tried_are_reviewed_in_one_batch(
    households: dict[str, Household], firm_a: Firm, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _spy_batches(monkeypatch)
    for household in _firm_a_households(households):
        add_loss(household)
    run, _ = year_end.year_end_start(firm=firm_a, as_of=TODAY(), trigger=RunTrigger.COMMAND)
    ids = _chunk(run)
    year_end.year_end_chunk_run(run_id=run.pk, household_ids=ids)
    assert calls == [ids]
    assert assert_run_exact(run) == {"done": 4}
    assert set(run.households.values_list("attempts", flat=True)) == {1}
    assert set(run.households.values_list("change", flat=True)) == {"new"}
    reviews = dict(run.households.values_list("household_id", "review__household_id"))
    assert reviews == {pk: pk for pk in ids}  # each row names its own household's review


def test_a_batch_its_worker_died_in_is_reviewed_one_by_one(
    households: dict[str, Household], firm_a: Firm, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, _ = year_end.year_end_start(firm=firm_a, as_of=TODAY(), trigger=RunTrigger.COMMAND)
    ids = _chunk(run)
    # The batch counted its attempt, then the worker died: nothing else was written.
    YearEndHousehold.objects.filter(run=run).update(attempts=1)
    calls = _spy_batches(monkeypatch)
    year_end.year_end_chunk_run(run_id=run.pk, household_ids=ids)
    assert calls == [[pk] for pk in ids]
    assert assert_run_exact(run) == {"done": 4}
    assert set(run.households.values_list("attempts", flat=True)) == {2}


def test_a_failed_batch_is_rolled_back_and_gives_its_attempt_back(
    households: dict[str, Household], firm_a: Firm, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, _ = year_end.year_end_start(firm=firm_a, as_of=TODAY(), trigger=RunTrigger.COMMAND)
    ids = _chunk(run)
    real = services.households_review

    def half_written(*, households: list[Household], **kwargs: Any) -> dict[int, Any]:
        done = real(households=households, **kwargs)
        if len(households) > 1:
            raise KeyError("after writing the plans")
        return done

    monkeypatch.setattr(services, "households_review", half_written)
    year_end.year_end_chunk_run(run_id=run.pk, household_ids=ids)
    # Nothing of the batch stood; each household was then reviewed alone, once.
    assert assert_run_exact(run) == {"done": 4}
    assert set(run.households.values_list("attempts", flat=True)) == {1}
    assert ActionPlan.objects.filter(firm=firm_a).count() == 4
    assert Review.objects.filter(firm=firm_a).count() == 4


def test_a_batch_takes_the_same_queries_for_two_households_or_twenty(
    firm_a: Firm, advisor: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.fixtures import make_household

    def queries_for(count: int) -> int:
        made = [make_household(advisor, f"Batch {count}-{n}") for n in range(count)]
        for household in made:
            add_loss(household)
        run, _ = year_end.year_end_start(
            firm=firm_a,
            as_of=TODAY(),
            trigger=RunTrigger.COMMAND,
            household_ids=[h.pk for h in made],
        )
        with CaptureQueriesContext(connection) as captured:
            year_end.year_end_chunk_run(run_id=run.pk, household_ids=_chunk(run))
        assert assert_run_exact(run) == {"done": count}
        return len(captured)

    queries_for(2)  # the firm's harvest settings are made the first time they are needed
    assert queries_for(2) == queries_for(20)


# --- retrying the failures of a finished run ----------------------------------------------


def test_the_failures_of_a_finished_run_are_reviewed_again_in_a_run_of_their_own(
    households: dict[str, Household],
    firm_a: Firm,
    users: dict[str, Any],
    start_run: Callable[..., YearEndRun],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    broken = households["teammate"]
    profile = TaxProfile.objects.get(household=broken)
    profile.delete()
    first = start_run(firm_a)
    assert assert_run_exact(first) == {"done": 3, "failed": 1}
    with pytest.raises(ValidationError, match="still under way"):
        YearEndRun.objects.filter(pk=first.pk).update(status=RunStatus.RUNNING)
        first.refresh_from_db()
        year_end.year_end_retry_failed(run=first)
    YearEndRun.objects.filter(pk=first.pk).update(status=RunStatus.COMPLETED)
    first.refresh_from_db()
    for key in ("advisor", "compliance", "outsider"):
        with pytest.raises(PermissionDenied):
            year_end.year_end_retry_failed(run=first, user=users[key])

    profile.pk = None
    profile.save()  # the data is fixed
    with django_capture_on_commit_callbacks(execute=True):
        retry, created = year_end.year_end_retry_failed(run=first, user=users["firm_admin"])
    retry.refresh_from_db()
    assert created and retry.retry_of == first and retry.trigger == RunTrigger.RETRY
    assert (retry.as_of, retry.tax_year, retry.team_id) == (first.as_of, first.tax_year, None)
    assert assert_run_exact(retry) == {"done": 1}
    assert list(retry.households.values_list("household_id", flat=True)) == [broken.pk]
    first.refresh_from_db()
    assert (first.done, first.failed) == (3, 1)  # the first run keeps its record
    assert ActionPlan.objects.filter(household=broken, is_current=True).count() == 1
    # A run without failures has nothing to retry.
    with pytest.raises(ValidationError, match="no failed households"):
        year_end.year_end_retry_failed(run=retry)

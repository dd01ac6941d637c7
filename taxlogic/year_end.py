"""The year-end review: every household of a firm (or of a team), reviewed by the same service
as the plan page's "Run review now" (``services.household_review_run``), on Celery workers.

How a run stays exact whatever the broker and the workers do:

- ``year_end_start`` writes the run and one ``pending`` status row per household in one
  transaction, then (on commit) queues the fan-out, which queues a task per chunk of
  ``CHUNK_SIZE`` household ids. A chunk task skips households that are no longer pending, so
  a redelivered or re-enqueued chunk (``year_end_resume``) does nothing twice.
- A household is reviewed in one transaction that also moves its row out of ``pending`` with a
  conditional UPDATE and, only if that UPDATE moved it, bumps the run's counters: the plan, the
  row and the counts commit together or not at all, and a second execution finds the row done.
  The row is locked first, so two workers holding the same chunk take turns.
- Each attempt is counted in its own committed transaction *before* the work starts, so a
  household that kills its worker (or hits the hard time limit) is given up after
  ``MAX_ATTEMPTS`` instead of being redelivered forever. Transient errors (the database went
  away, a deadlock, the soft time limit) are retried with back-off; anything else is recorded
  as the household's failure at once. Nothing a household does stops the run.
- The run completes when ``done + failed + skipped == total``, by a conditional UPDATE; a
  database check constraint keeps the counts within the total.

Scheduling: ``year_end_dispatch`` (every 15 minutes from the static beat schedule) starts the
firm's run for each scheduled moment of its harvest settings (default 1 November and
1 December, 06:00 in the firm's time zone) that has passed within ``CATCH_UP``; the unique
constraint on (firm, trigger, scheduled_for) is the guard that makes a restarted or doubled beat
harmless. It also resumes runs that made no progress for ``STALLED_AFTER`` (a broker that lost
its queue). ``households_refresh_changed`` (daily) reviews the households whose data changed
since their last review.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from advisors import scoping
from advisors.models import Advisor, Firm, Role, Team
from clients.models import Account, Household, Person, TaxLot, TaxProfile, Transaction
from taxlogic import services
from taxlogic.digest import price_moved_lots, run_finished_emit
from taxlogic.models import (
    HarvestSettings,
    HouseholdRunStatus,
    PlanChange,
    Review,
    ReviewStatus,
    RunStatus,
    RunTrigger,
    YearEndHousehold,
    YearEndRun,
)

if TYPE_CHECKING:
    from advisors.scoping import User

log = logging.getLogger(__name__)

CHUNK_SIZE = 50
MAX_ATTEMPTS = 3
BACKOFF_SECONDS = {1: 10, 2: 60}  # wait before the 2nd and the 3rd attempt
# Errors worth another attempt: the database went away or deadlocked, the task ran out of time.
TRANSIENT = (OperationalError, InterfaceError, SoftTimeLimitExceeded)
CATCH_UP = timedelta(days=3)  # a scheduled moment missed by a stopped beat still runs this late
STALLED_AFTER = timedelta(minutes=30)
ERROR_LENGTH = 2000

_ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
_COUNTER = {
    HouseholdRunStatus.DONE: "done",
    HouseholdRunStatus.FAILED: "failed",
    HouseholdRunStatus.SKIPPED: "skipped",
}
_EPOCH = datetime(2000, 1, 1, tzinfo=ZoneInfo("UTC"))


# --- starting and resuming runs ---------------------------------------------------------------


def firm_zone(firm_settings: HarvestSettings) -> ZoneInfo:
    try:
        return ZoneInfo(firm_settings.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning(
            "firm %s: unknown time zone %r, using UTC",
            firm_settings.firm_id,
            firm_settings.time_zone,
        )
        return ZoneInfo("UTC")


def firm_today(firm: Firm) -> date:
    """Today in the firm's time zone (its harvest settings)."""
    zone = firm_zone(services.harvest_settings_get(firm_id=firm.pk))
    return timezone.now().astimezone(zone).date()


def _active_run(firm_id: int, team_id: int | None) -> YearEndRun | None:
    return YearEndRun.objects.filter(firm_id=firm_id, team_id=team_id, status__in=_ACTIVE).first()


def year_end_start(
    *,
    firm: Firm,
    as_of: date,
    trigger: str,
    tax_year: int | None = None,
    team: Team | None = None,
    started_by: Advisor | None = None,
    scheduled_for: datetime | None = None,
    household_ids: Iterable[int] | None = None,
    retry_of: YearEndRun | None = None,
) -> tuple[YearEndRun, bool]:
    """Create a run over the firm's (or the team's) households, or over ``household_ids`` of
    them, and queue it when the transaction commits. Returns ``(run, created)``: while a run
    over the same households is queued or running, that run is returned and nothing is
    created; so is the run already made for the same scheduled moment."""
    if team is not None and team.firm_id != firm.pk:
        raise ValidationError("The team must belong to the firm.")
    tax_year = tax_year or as_of.year
    team_id = team.pk if team is not None else None
    with transaction.atomic():
        if scheduled_for is not None:
            existing = YearEndRun.objects.filter(
                firm=firm, trigger=trigger, scheduled_for=scheduled_for
            ).first()
            if existing is not None:
                return existing, False
        active = _active_run(firm.pk, team_id)
        if active is not None:
            return active, False
        try:
            with transaction.atomic():
                run = YearEndRun.objects.create(
                    firm=firm,
                    team_id=team_id,
                    tax_year=tax_year,
                    as_of=as_of,
                    trigger=trigger,
                    started_by=started_by,
                    scheduled_for=scheduled_for,
                    retry_of=retry_of,
                )
        except IntegrityError:
            # Another process started the same run between our check and our insert.
            winner = (
                YearEndRun.objects.filter(firm=firm, trigger=trigger, scheduled_for=scheduled_for)
                if scheduled_for is not None
                else YearEndRun.objects.none()
            ).first() or _active_run(firm.pk, team_id)
            if winner is None:
                raise
            return winner, False
        households = Household.objects.filter(firm=firm)
        if team_id is not None:
            households = households.filter(team_id=team_id)
        if household_ids is not None:
            households = households.filter(pk__in=list(household_ids))
        ids = list(households.order_by("pk").values_list("pk", flat=True))
        YearEndHousehold.objects.bulk_create(
            [YearEndHousehold(run=run, firm_id=firm.pk, household_id=pk) for pk in ids],
            batch_size=5000,
        )
        run.total = len(ids)
        if not ids:
            run.status, run.started = RunStatus.COMPLETED, timezone.now()
            run.finished = run.started
        run.save(update_fields=["total", "status", "started", "finished"])
        if not ids:
            run_finished_emit(run_id=run.pk)
        if ids:
            from taxlogic.tasks import year_end_fan_out

            year_end_fan_out.delay_on_commit(run.pk)
    log.info("year-end run %s: %s households of %s (%s)", run.pk, len(ids), firm, trigger)
    return run, True


def may_start_runs(user: User) -> bool:
    """Firm admins start runs for the firm or a team, team leads for their team."""
    return bool(
        isinstance(user, Advisor)
        and user.is_active
        and user.firm_id is not None
        and (user.role == Role.FIRM_ADMIN or (user.role == Role.TEAM_LEAD and user.team_id))
    )


def teams_startable_by(user: User) -> QuerySet[Team]:
    if not may_start_runs(user):
        return Team.objects.none()
    teams = scoping.visible(user, Team).filter(firm_id=user.firm_id)
    return teams if user.role == Role.FIRM_ADMIN else teams.filter(pk=user.team_id)


def year_end_request(
    *, user: User, team: Team | None = None, as_of: date | None = None
) -> tuple[YearEndRun, bool]:
    """Start a run from the site: a firm admin for the firm (or one of its teams), a team lead
    for their own team (whatever ``team`` says)."""
    if not may_start_runs(user):
        raise PermissionDenied("Only firm admins and team leads start year-end reviews.")
    firm = Firm.objects.get(pk=user.firm_id)
    if user.role == Role.TEAM_LEAD:
        team = Team.objects.get(pk=user.team_id)
    elif team is not None and not teams_startable_by(user).filter(pk=team.pk).exists():
        raise PermissionDenied("That team is not one of your firm's.")
    return year_end_start(
        firm=firm,
        team=team,
        as_of=as_of or firm_today(firm),
        trigger=RunTrigger.ADVISOR,
        started_by=user,
    )


def year_end_enqueue(*, run_id: int) -> int:
    """Queue a chunk task for every ``CHUNK_SIZE`` households of the run still pending; returns
    how many. The fan-out task's body, and what a resume does again."""
    from taxlogic.tasks import year_end_chunk

    pending = list(
        YearEndHousehold.objects.filter(run_id=run_id, status=HouseholdRunStatus.PENDING)
        .order_by("household_id")
        .values_list("household_id", flat=True)
    )
    chunks = [pending[i : i + CHUNK_SIZE] for i in range(0, len(pending), CHUNK_SIZE)]
    for chunk in chunks:
        year_end_chunk.delay(run_id, chunk)
    return len(chunks)


def year_end_resume(
    *, run: YearEndRun, user: User | None = None, now: datetime | None = None
) -> int:
    """Queue again every household of an unfinished run that is not done (the answer to a
    broker that lost its queue). Safe whenever: what is done is skipped. Returns the number of
    chunks queued (0 for a finished run)."""
    if user is not None and not scoping.writable(user, YearEndRun).filter(pk=run.pk).exists():
        raise PermissionDenied("You may not resume this run.")
    if run.status == RunStatus.COMPLETED:
        return 0
    YearEndRun.objects.filter(pk=run.pk).update(
        resumes=F("resumes") + 1, resumed=now or timezone.now()
    )
    chunks = year_end_enqueue(run_id=run.pk)
    # A run whose last pending households just finished may complete meanwhile; fine.
    log.info("year-end run %s resumed: %s chunks queued", run.pk, chunks)
    return chunks


def year_end_retry_failed(*, run: YearEndRun, user: User | None = None) -> tuple[YearEndRun, bool]:
    """Start a run over the failed households of a finished run (after their data was fixed,
    or whatever failed them went away), at the same as-of date and tax year; the finished run
    stays as it was. Returns ``(run, created)`` as ``year_end_start`` does."""
    if user is not None and (
        not may_start_runs(user)
        or not scoping.writable(user, YearEndRun).filter(pk=run.pk).exists()
    ):
        raise PermissionDenied("You may not start year-end reviews of these households.")
    if not run.is_finished:
        raise ValidationError("The run is still under way: retry its failures once it is done.")
    failed = list(
        run.households.filter(status=HouseholdRunStatus.FAILED)
        .order_by("household_id")
        .values_list("household_id", flat=True)
    )
    if not failed:
        raise ValidationError("The run has no failed households.")
    return year_end_start(
        firm=run.firm,
        team=run.team,
        as_of=run.as_of,
        tax_year=run.tax_year,
        trigger=RunTrigger.RETRY,
        started_by=user if isinstance(user, Advisor) else None,
        household_ids=failed,
        retry_of=run,
    )


# --- reviewing households ---------------------------------------------------------------------


@dataclass(slots=True)
class ChunkOutcome:
    """What a chunk task left: households to try again after ``retry_in`` seconds (a transient
    error), and households it did not reach before its soft time limit (queue them now)."""

    retry: list[int] = field(default_factory=list)
    retry_in: int = 0
    rest: list[int] = field(default_factory=list)


def year_end_chunk_run(*, run_id: int, household_ids: list[int]) -> ChunkOutcome:
    """Review the run's households among ``household_ids`` that are still pending: those never
    tried together (``_review_batch``), the rest, and any the batch gives back, one by one."""
    outcome = ChunkOutcome()
    run = YearEndRun.objects.select_related("started_by").filter(pk=run_id).first()
    if run is None or run.status == RunStatus.COMPLETED:
        return outcome
    now = timezone.now()
    YearEndRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started=now
    )
    pending = dict(
        YearEndHousehold.objects.filter(
            run_id=run_id, household_id__in=household_ids, status=HouseholdRunStatus.PENDING
        ).values_list("household_id", "attempts")
    )
    fresh = [h for h in household_ids if pending.get(h) == 0]
    one_by_one = {h for h in household_ids if pending.get(h, 0) > 0}
    if len(fresh) > 1:
        try:
            one_by_one.update(_review_batch(run, fresh))
        except SoftTimeLimitExceeded:
            # Out of time, the batch's work rolled back: a fresh task takes them all, one by
            # one (each has used an attempt).
            outcome.rest = [h for h in household_ids if h in pending]
            return outcome
    else:
        one_by_one.update(fresh)
    queue = [h for h in household_ids if h in one_by_one]
    for position, household_id in enumerate(queue):
        try:
            attempts = _review_household(run, household_id)
        except _OutOfTime as out:
            # The soft time limit: hand the households not reached on to a fresh task.
            if out.attempts:
                outcome.retry.append(household_id)
                outcome.retry_in = max(outcome.retry_in, _backoff(out.attempts))
            outcome.rest = queue[position + 1 :]
            break
        except SoftTimeLimitExceeded:
            outcome.rest = queue[position:]
            break
        if attempts:
            outcome.retry.append(household_id)
            outcome.retry_in = max(outcome.retry_in, _backoff(attempts))
    return outcome


def _review_batch(run: YearEndRun, household_ids: list[int]) -> list[int]:
    """Review households never tried before together: their attempt is counted in a committed
    transaction first, then all are reviewed, settled and counted in one transaction (a few
    statements for the whole batch, where one by one takes a dozen per household). Returns the
    households to review one by one instead: all of them when the batch failed (rolled back,
    its attempt given back, so that the household at fault fails alone); none otherwise.

    A worker that dies in the middle leaves them pending with one attempt used: the chunk's
    next delivery reviews them one by one, so a household that kills its worker is given up
    after ``MAX_ATTEMPTS`` without taking the others down with it."""
    rows = YearEndHousehold.objects.filter(run_id=run.pk, household_id__in=household_ids)
    with transaction.atomic():
        claimed = list(
            rows.select_for_update(skip_locked=True)
            .filter(status=HouseholdRunStatus.PENDING, attempts=0)
            .values_list("household_id", flat=True)
        )
        rows.filter(household_id__in=claimed).update(
            attempts=F("attempts") + 1, started=timezone.now()
        )
    if not claimed:
        return []
    try:
        with transaction.atomic():
            _review_batch_locked(run, claimed)
    except SoftTimeLimitExceeded:
        raise
    except Exception as error:
        log.warning(
            "year-end run %s: a batch of %s households failed (%s): reviewing them one by one",
            run.pk,
            len(claimed),
            _describe(error),
        )
        _reset_connection_if_broken()
        try:
            rows.filter(
                household_id__in=claimed, status=HouseholdRunStatus.PENDING, attempts__gt=0
            ).update(attempts=F("attempts") - 1)
        except TRANSIENT:
            _reset_connection_if_broken()  # the attempt stays counted: no harm
        return claimed
    return []


def _review_batch_locked(run: YearEndRun, household_ids: list[int]) -> None:
    rows = list(
        YearEndHousehold.objects.select_for_update()
        .filter(run_id=run.pk, household_id__in=household_ids, status=HouseholdRunStatus.PENDING)
        .order_by("household_id")
    )
    if not rows:
        return
    households = {
        h.pk: h
        for h in Household.objects.select_for_update()
        .filter(pk__in=[r.household_id for r in rows])
        .order_by("pk")
    }
    settled: list[tuple[YearEndHousehold, str, Review | None, str, str]] = []
    members = []
    for row in rows:
        household = households[row.household_id]
        if _left_the_run(run, household):
            settled.append((row, HouseholdRunStatus.SKIPPED, None, "", _LEFT))
        else:
            members.append(household)
    reviewed = services.households_review(
        households=members, tax_year=run.tax_year, as_of=run.as_of, requested_by=run.started_by
    )
    for row in rows:
        found = reviewed.get(row.household_id)
        if found is None:
            continue
        if found.review.status != ReviewStatus.DONE:
            settled.append((row, HouseholdRunStatus.FAILED, found.review, "", found.review.error))
        else:
            settled.append((row, HouseholdRunStatus.DONE, found.review, found.change, ""))
    _settle_many(run, settled)


_LEFT = "No longer in the run's team."


def _left_the_run(run: YearEndRun, household: Household) -> bool:
    return household.firm_id != run.firm_id or bool(
        run.team_id and household.team_id != run.team_id
    )


class _OutOfTime(Exception):
    def __init__(self, attempts: int) -> None:
        super().__init__(attempts)
        self.attempts = attempts


def _backoff(attempts: int) -> int:
    base = BACKOFF_SECONDS.get(attempts, BACKOFF_SECONDS[max(BACKOFF_SECONDS)])
    return int(base * random.uniform(1.0, 1.25))


def _review_household(run: YearEndRun, household_id: int) -> int:
    """Review one household of the run, once. Returns 0 when its row is settled (or already
    was), else the attempts made so far: it is to be tried again. Raises ``_OutOfTime`` (with
    the same number) when the soft time limit interrupted it."""
    rows = YearEndHousehold.objects.filter(run_id=run.pk, household_id=household_id)
    with transaction.atomic():
        claimed = rows.filter(status=HouseholdRunStatus.PENDING, attempts__lt=MAX_ATTEMPTS).update(
            attempts=F("attempts") + 1, started=timezone.now()
        )
    if not claimed:
        # Not pending any more, or every attempt was used up without an answer: each one
        # ended with the worker dying or being killed at the hard time limit.
        with transaction.atomic():
            row = rows.select_for_update().filter(status=HouseholdRunStatus.PENDING).first()
            if row is not None:
                _settle(
                    run,
                    row,
                    HouseholdRunStatus.FAILED,
                    error=f"Gave up after {row.attempts} attempts: the worker never finished "
                    "this household (it crashed or ran out of time).",
                )
        return 0
    try:
        with transaction.atomic():
            row = rows.select_for_update().get()
            if row.status != HouseholdRunStatus.PENDING:
                return 0  # another worker finished it while we waited for the lock
            _review_locked(run, row)
        return 0
    except TRANSIENT as error:
        _reset_connection_if_broken()
        attempts = rows.values_list("attempts", flat=True).first() or MAX_ATTEMPTS
        if attempts >= MAX_ATTEMPTS:
            _fail(run, household_id, f"Failed {attempts} times; the last: {_describe(error)}")
            attempts = 0
        else:
            log.warning("year-end run %s, household %s: %s (retrying)", run.pk, household_id, error)
        if isinstance(error, SoftTimeLimitExceeded):
            raise _OutOfTime(attempts) from error
        return attempts
    except Exception as error:
        # Not transient (a bug, data the service could not handle): retrying would fail alike.
        log.exception("year-end run %s, household %s failed", run.pk, household_id)
        _reset_connection_if_broken()
        _fail(run, household_id, _describe(error))
        return 0


def _describe(error: BaseException) -> str:
    if isinstance(error, SoftTimeLimitExceeded):
        return "The review took longer than the time limit."
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return f"{type(error).__name__}: {error}"


def _reset_connection_if_broken() -> None:
    if connection.connection is not None and not connection.is_usable():
        connection.close()


def _fail(run: YearEndRun, household_id: int, message: str) -> None:
    with transaction.atomic():
        row = (
            YearEndHousehold.objects.select_for_update()
            .filter(run_id=run.pk, household_id=household_id, status=HouseholdRunStatus.PENDING)
            .first()
        )
        if row is not None:
            _settle(run, row, HouseholdRunStatus.FAILED, error=message)


def _review_locked(run: YearEndRun, row: YearEndHousehold) -> None:
    """The review of a pending, locked row, and its settlement, in the caller's transaction."""
    household = Household.objects.select_for_update().get(pk=row.household_id)
    if _left_the_run(run, household):
        _settle(run, row, HouseholdRunStatus.SKIPPED, error=_LEFT)
        return
    found = services.households_review(
        households=[household],
        tax_year=run.tax_year,
        as_of=run.as_of,
        requested_by=run.started_by,
    )[household.pk]
    if found.review.status != ReviewStatus.DONE:
        _settle(run, row, HouseholdRunStatus.FAILED, review=found.review, error=found.review.error)
        return
    _settle(run, row, HouseholdRunStatus.DONE, review=found.review, change=found.change)


def _settle(
    run: YearEndRun,
    row: YearEndHousehold,
    status: str,
    *,
    review: Review | None = None,
    change: str = "",
    error: str = "",
) -> bool:
    """Move a row out of ``pending`` and count it, exactly once (the caller's transaction);
    complete the run when it was the last. Returns whether this call moved the row."""
    now = timezone.now()
    moved = YearEndHousehold.objects.filter(pk=row.pk, status=HouseholdRunStatus.PENDING).update(
        status=status,
        review=review,
        change=change,
        error=error[:ERROR_LENGTH],
        finished=now,
    )
    if not moved:
        return False
    counter = _COUNTER[HouseholdRunStatus(status)]
    bump: dict[str, object] = {counter: F(counter) + 1, "progressed": now}
    if change in (PlanChange.CHANGED, PlanChange.NEW):
        bump["changed"] = F("changed") + 1
    YearEndRun.objects.filter(pk=run.pk).update(**bump)
    if YearEndRun.objects.filter(
        pk=run.pk, status__in=_ACTIVE, total=F("done") + F("failed") + F("skipped")
    ).update(status=RunStatus.COMPLETED, finished=now):
        run_finished_emit(run_id=run.pk)
    return True


def _settle_many(
    run: YearEndRun, settled: list[tuple[YearEndHousehold, str, Review | None, str, str]]
) -> None:
    """``_settle`` for a batch of pending rows the caller holds locked: one statement for the
    rows, one for the counts."""
    if not settled:
        return
    now = timezone.now()
    counts = {"done": 0, "failed": 0, "skipped": 0, "changed": 0}
    alike: dict[tuple[str, str, str], list[int]] = {}  # rows settled the same way
    for row, status, review, change, error in settled:
        row.review = review
        alike.setdefault((status, change, error[:ERROR_LENGTH]), []).append(row.pk)
        counts[_COUNTER[HouseholdRunStatus(status)]] += 1
        counts["changed"] += change in (PlanChange.CHANGED, PlanChange.NEW)
    for (status, change, error), pks in alike.items():
        YearEndHousehold.objects.filter(pk__in=pks).update(
            status=status, change=change, error=error, finished=now
        )
    YearEndHousehold.objects.bulk_update([s[0] for s in settled if s[2] is not None], ["review"])
    bump: dict[str, object] = {name: F(name) + n for name, n in counts.items() if n}
    bump["progressed"] = now
    YearEndRun.objects.filter(pk=run.pk).update(**bump)
    if YearEndRun.objects.filter(
        pk=run.pk, status__in=_ACTIVE, total=F("done") + F("failed") + F("skipped")
    ).update(status=RunStatus.COMPLETED, finished=now):
        run_finished_emit(run_id=run.pk)


# --- the schedule -----------------------------------------------------------------------------


def scheduled_moments(firm_settings: HarvestSettings, *, year: int) -> list[datetime]:
    """The year's scheduled moments of a firm (its run dates at its run time, in its zone)."""
    zone = firm_zone(firm_settings)
    out = []
    for text in firm_settings.run_dates or []:
        try:
            month, day = (int(part) for part in str(text).split("-"))
            moment = datetime.combine(date(year, month, day), firm_settings.run_time, zone)
        except (TypeError, ValueError):
            log.warning("firm %s: bad run date %r ignored", firm_settings.firm_id, text)
            continue
        out.append(moment)
    return sorted(out)


def due_moment(
    firm_settings: HarvestSettings, *, now: datetime, since: datetime
) -> datetime | None:
    """The latest scheduled moment in (now − CATCH_UP, now], not before ``since``."""
    local = now.astimezone(firm_zone(firm_settings))
    candidates = [
        m
        for year in (local.year - 1, local.year)
        for m in scheduled_moments(firm_settings, year=year)
        if max(now - CATCH_UP, since) <= m <= now
    ]
    return max(candidates, default=None)


def year_end_dispatch(*, now: datetime | None = None) -> list[YearEndRun]:
    """Start every firm's scheduled run that is due and has none yet, and resume stalled runs
    (beat calls this every 15 minutes). Safe to call any number of times, from any number of
    processes: a scheduled moment gets one run (a unique constraint)."""
    now = now or timezone.now()
    started = []
    for firm in Firm.objects.order_by("pk"):
        firm_settings = services.harvest_settings_get(firm_id=firm.pk)
        moment = due_moment(firm_settings, now=now, since=firm.created)
        if moment is None:
            continue
        run, created = year_end_start(
            firm=firm,
            as_of=moment.date(),
            trigger=RunTrigger.SCHEDULE,
            scheduled_for=moment,
        )
        if created:
            started.append(run)
        elif run.scheduled_for != moment:
            log.info("firm %s: scheduled run of %s waits for run %s", firm, moment, run.pk)
    year_end_resume_stalled(now=now)
    return started


def year_end_resume_stalled(*, now: datetime | None = None) -> list[YearEndRun]:
    """Resume unfinished runs that have not moved for ``STALLED_AFTER``."""
    now = now or timezone.now()
    last_moved = Greatest(
        F("created"), Coalesce(F("progressed"), F("created")), Coalesce(F("resumed"), F("created"))
    )
    stalled = list(
        YearEndRun.objects.filter(status__in=_ACTIVE)
        .annotate(last_moved=last_moved)
        .filter(last_moved__lt=now - STALLED_AFTER)
    )
    for run in stalled:
        log.warning("year-end run %s made no progress since %s: resuming", run.pk, run.last_moved)
        year_end_resume(run=run, now=now)
    return stalled


def changed_households(
    *, firm: Firm, tax_year: int, as_of: date | None = None
) -> QuerySet[Household]:
    """The firm's households whose data changed since they were last reviewed for the tax year
    (or that never were): household, people, accounts, lots, transactions, tax profiles, or
    the firm's harvest settings; and those whose prices moved a taxable lot past the harvest
    thresholds since (``price_moved_lots``)."""
    reviewed = Greatest(
        Coalesce(
            Subquery(
                Review.objects.filter(household=OuterRef("pk"), tax_year=tax_year)
                .order_by()
                .values("household")
                .annotate(last=Max("created"))
                .values("last")[:1]
            ),
            _EPOCH,
        ),
        Coalesce(
            Subquery(
                YearEndHousehold.objects.filter(
                    household=OuterRef("pk"),
                    run__tax_year=tax_year,
                    status=HouseholdRunStatus.DONE,
                )
                .order_by()
                .values("household")
                .annotate(last=Max("finished"))
                .values("last")[:1]
            ),
            _EPOCH,
        ),
    )
    since = OuterRef("reviewed")
    changed = (
        Q(reviewed=_EPOCH)
        | Q(updated__gt=F("reviewed"))
        | Exists(Person.objects.filter(household=OuterRef("pk"), updated__gt=since))
        | Exists(Account.objects.filter(household=OuterRef("pk"), updated__gt=since))
        | Exists(TaxProfile.objects.filter(household=OuterRef("pk"), updated__gt=since))
        | Exists(TaxLot.objects.filter(account__household=OuterRef("pk"), updated__gt=since))
        | Exists(
            Transaction.objects.filter(account__household=OuterRef("pk"), recorded_at__gt=since)
        )
    )
    firm_settings = HarvestSettings.objects.filter(firm=firm).first()
    if firm_settings is not None:
        changed |= Q(reviewed__lt=firm_settings.updated)
    moved = price_moved_lots(
        firm_settings or HarvestSettings(), tax_year=tax_year, as_of=as_of or timezone.localdate()
    )
    changed |= Exists(moved.filter(account__household=OuterRef("pk"), price_updated__gt=since))
    return Household.objects.filter(firm=firm).annotate(reviewed=reviewed).filter(changed)


def households_refresh_changed(*, now: datetime | None = None) -> list[YearEndRun]:
    """Review, for each firm, the households whose data changed since their last review (the
    daily refresh): one run per firm and day, whatever beat does."""
    now = now or timezone.now()
    started = []
    for firm in Firm.objects.order_by("pk"):
        zone = firm_zone(services.harvest_settings_get(firm_id=firm.pk))
        today = now.astimezone(zone).date()
        ids = list(
            changed_households(firm=firm, tax_year=today.year, as_of=today).values_list(
                "pk", flat=True
            )
        )
        if not ids:
            continue
        run, created = year_end_start(
            firm=firm,
            as_of=today,
            trigger=RunTrigger.REFRESH,
            scheduled_for=datetime.combine(today, time(0), zone),
            household_ids=ids,
        )
        if created:
            started.append(run)
    return started


# --- reads for the pages ----------------------------------------------------------------------


def duration_text(seconds: float | None) -> str:
    """``2h05m07s``, ``4m07s``, ``—`` for unknown."""
    if seconds is None:
        return "—"
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{seconds:02d}s" if hours else f"{minutes}m{seconds:02d}s"


@dataclass(frozen=True, slots=True)
class Progress:
    run: YearEndRun
    processed: int
    percent: int
    done_width: str  # of the SVG bar, out of 100
    failed_width: str
    per_second: float | None
    eta_seconds: int | None
    elapsed_seconds: int | None

    @property
    def eta(self) -> str:
        return duration_text(self.eta_seconds)

    @property
    def elapsed(self) -> str:
        return duration_text(self.elapsed_seconds)


def run_progress(run: YearEndRun, *, now: datetime | None = None) -> Progress:
    """Done / total, households per second and the time left, from the run's own counters."""
    now = now or timezone.now()
    processed, total = run.processed, run.total
    ok = run.done + run.skipped
    per_second = eta = elapsed = None
    if run.started is not None:
        end = run.finished or now
        elapsed = max(int((end - run.started).total_seconds()), 0)
        span = ((run.progressed or end) - run.started).total_seconds()
        if processed and span > 0:
            per_second = processed / span
            if not run.is_finished:
                eta = int((total - processed) / per_second)
    return Progress(
        run=run,
        processed=processed,
        percent=int(100 * processed / total) if total else 100,
        done_width=f"{100 * ok / total:.2f}" if total else "100",
        failed_width=f"{100 * run.failed / total:.2f}" if total else "0",
        per_second=per_second,
        eta_seconds=eta,
        elapsed_seconds=elapsed,
    )


def runs_visible(*, user: User) -> QuerySet[YearEndRun]:
    return scoping.visible(user, YearEndRun).select_related("team", "started_by")


def run_rows(*, user: User, run: YearEndRun) -> QuerySet[YearEndHousehold]:
    """The run's status rows of the households ``user`` may see."""
    return (
        scoping.visible(user, YearEndHousehold)
        .filter(run=run)
        .select_related("household", "household__primary_advisor")
        .order_by("household__name", "household_id")
    )


def changed_rows(*, user: User, start: int = 0, limit: int = 200) -> QuerySet[YearEndHousehold]:
    """Households of ``user``'s whose plan changed (or is new) in a year-end run, latest first."""
    return (
        scoping.visible(user, YearEndHousehold)
        .filter(change__in=(PlanChange.CHANGED, PlanChange.NEW))
        .select_related("run", "household", "review__plan")
        # What the page shows: never the reviews' inputs nor the plans' results (stored JSON,
        # tens of KB a household to decompress and parse).
        .only(*CHANGED_ROW_FIELDS)
        .order_by("-run__created", "household__name", "household_id")[start : start + limit]
    )


CHANGED_ROW_FIELDS = (
    "change",
    "finished",
    "run__public_id",
    "run__tax_year",
    "run__as_of",
    "run__created",
    "household__public_id",
    "household__name",
    "review__plan__public_id",
    "review__plan__tax_saved",
)

"""Celery tasks: ids in, a service does the work, the state lives in our own models."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from taxlogic import digest, services, year_end


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def review_household(review_id: int) -> None:
    """Run a queued review. Idempotent: a review already done or failed is left alone, so a
    redelivered message does nothing twice."""
    services.review_execute(review_id=review_id)


# --- Year-end runs (issue 5): taxlogic/year_end.py -------------------------------------------

# A chunk task that could not even reach the database is retried whole, with back-off; its
# households keep their own attempt counts, so no household is tried more than MAX_ATTEMPTS.
_DATABASE_DOWN = (OperationalError, InterfaceError)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=_DATABASE_DOWN,
    retry_backoff=5,
    max_retries=8,
)
def year_end_fan_out(run_id: int) -> None:
    """Queue a chunk task per ``CHUNK_SIZE`` pending households of the run."""
    year_end.year_end_enqueue(run_id=run_id)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=_DATABASE_DOWN,
    retry_backoff=5,
    max_retries=8,
)
def year_end_chunk(run_id: int, household_ids: list[int]) -> None:
    """Review the run's households among ``household_ids`` that are still pending. Idempotent:
    done households are skipped, so a redelivered or re-enqueued chunk repeats nothing."""
    outcome = year_end.year_end_chunk_run(run_id=run_id, household_ids=household_ids)
    if outcome.rest:
        year_end_chunk.delay(run_id, outcome.rest)
    if outcome.retry:
        year_end_chunk.apply_async((run_id, outcome.retry), countdown=outcome.retry_in)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def year_end_dispatch() -> None:
    """Start the firms' scheduled year-end runs that are due; resume stalled runs."""
    year_end.year_end_dispatch()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def households_refresh_changed() -> None:
    """Review the households whose data changed since their last review (daily)."""
    year_end.households_refresh_changed()


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=(*_DATABASE_DOWN, digest.DigestsNotSent),
    retry_backoff=60,
    max_retries=5,
)
def digests_send() -> None:
    """The daily digest email of each advisor (taxlogic/digest.py): once per advisor and day,
    however often the beat fires or the task is retried; the mails that failed are retried."""
    digest.digests_send()

"""Celery tasks: ids in, a service does the work, the state lives in our own models."""

from __future__ import annotations

from celery import shared_task

from taxlogic import services


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def review_household(review_id: int) -> None:
    """Run a queued review. Idempotent: a review already done or failed is left alone, so a
    redelivered message does nothing twice."""
    services.review_execute(review_id=review_id)

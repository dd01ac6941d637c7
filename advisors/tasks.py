"""Celery tasks of advisors/: webhook deliveries (ids only in arguments)."""

from __future__ import annotations

from celery import shared_task
from celery.app.task import Task

from advisors import idempotency, webhooks


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=webhooks.MAX_ATTEMPTS,
    soft_time_limit=60,
    time_limit=90,
)
def webhook_deliver(self: Task, delivery_id: int) -> None:
    """One attempt at a delivery; retried through Celery with exponential back-off until it is
    delivered or has used its attempts (each attempt is logged in WebhookAttempt)."""
    wait = webhooks.webhook_delivery_attempt(delivery_id=delivery_id)
    if wait is None:
        return
    if self.request.is_eager:
        # In-process (embedded mode, tests): no worker will come back later, so retry now.
        while wait is not None:
            wait = webhooks.webhook_delivery_attempt(delivery_id=delivery_id)
        return
    raise self.retry(countdown=wait.total_seconds())


@shared_task(acks_late=True)
def idempotency_keys_purge() -> int:
    """Forget Idempotency-Keys older than a day (schedule it daily in config/celery.py)."""
    return idempotency.idempotency_purge()

"""Outbound webhooks: events for a firm's endpoints, signed with HMAC-SHA256, delivered by
Celery with retries (advisors/tasks.py) and logged attempt by attempt.

Emit from a service, inside its transaction::

    webhooks_emit(firm_id=household.firm_id, event=WebhookEvent.ACTION_PLAN_READY,
                  payload={"household": str(household.public_id), ...})

Nothing is sent unless the transaction commits.

The receiver checks ``Harvest-Signature: t=<unix time>,v1=<hex>``, where ``v1`` is
HMAC-SHA256 of ``"<t>.<raw body>"`` under the endpoint's secret (``signature_verify``), and
dedupes on ``Harvest-Delivery`` (the delivery's id, the same on every retry).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import timedelta
from functools import partial
from http.client import HTTPException
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from advisors import netguard
from advisors.models import (
    Advisor,
    DeliveryStatus,
    Firm,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

SIGNATURE_HEADER = "Harvest-Signature"
EVENT_HEADER = "Harvest-Event"
DELIVERY_HEADER = "Harvest-Delivery"
TOLERANCE_SECONDS = 300

# Attempts per delivery, and the waits between them: 1, 2, 4, 8 … minutes, at most 6 hours.
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
REQUEST_TIMEOUT = 10  # seconds
# What the firm's pages show for any failure; the reason goes to the server log only, so the
# delivery log cannot be used to scan ports or map a network.
GENERIC_ERROR = "Could not deliver."

logger = logging.getLogger(__name__)


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def sign(*, secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def signature_verify(
    *,
    secret: str,
    header: str,
    body: bytes,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """Whether ``header`` signs ``body`` under ``secret`` and is recent (replays are refused)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret=secret, body=body, timestamp=timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def retry_delay(attempt: int) -> timedelta:
    """The wait after failed attempt number ``attempt`` (exponential back-off, capped)."""
    return min(FIRST_RETRY * 2 ** (attempt - 1), LONGEST_WAIT)


def _check_url(url: str) -> None:
    # https to a public address only (advisors/netguard.py); checked again at every delivery.
    try:
        netguard.url_validate(url)
    except ValidationError as exc:
        raise ValidationError({"url": exc.messages}) from exc


def _check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(WebhookEvent.values))
    if unknown:
        raise ValidationError({"events": f"Unknown events: {', '.join(unknown)}."})
    return sorted(set(events))


@transaction.atomic
def webhook_endpoint_create(
    *, firm: Firm, url: str, events: list[str], description: str = "", created_by: Advisor
) -> WebhookEndpoint:
    """A new endpoint with a fresh secret (show ``endpoint.secret`` to its creator once)."""
    _check_url(url)
    endpoint = WebhookEndpoint(
        firm=firm,
        url=url,
        events=_check_events(events),
        description=description.strip(),
        secret=new_secret(),
        created_by=created_by,
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret"])
    return endpoint


@transaction.atomic
def webhook_endpoint_set_active(*, endpoint: WebhookEndpoint, active: bool) -> WebhookEndpoint:
    endpoint.is_active = active
    endpoint.save(update_fields=["is_active"])
    return endpoint


def envelope(*, delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": str(delivery.public_id),
        "event": delivery.event,
        "created": delivery.created.isoformat(),
        "firm": str(delivery.endpoint.firm.public_id),
        "data": delivery.payload,
    }


def webhooks_emit(
    *,
    firm_id: int,
    event: str,
    payload: dict[str, Any],
    endpoints: list[WebhookEndpoint] | None = None,
) -> list[WebhookDelivery]:
    """Record a delivery of ``event`` for each of the firm's active endpoints that want it and
    queue them for when the current transaction commits. ``payload`` must be JSON (ids as
    strings, amounts as strings with two decimals); it becomes the envelope's ``data``."""
    from advisors.tasks import webhook_deliver

    if event not in WebhookEvent.values:
        raise ValueError(f"Unknown webhook event {event!r}")
    if endpoints is None:
        endpoints = list(WebhookEndpoint.objects.filter(firm_id=firm_id, is_active=True))
    deliveries = [
        WebhookDelivery.objects.create(endpoint=endpoint, event=event, payload=payload)
        for endpoint in endpoints
        if endpoint.wants(event)
    ]
    for delivery in deliveries:
        transaction.on_commit(partial(webhook_deliver.delay, delivery.pk))
    return deliveries


def webhook_ping(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A test event for one endpoint (the "Send a test event" button), whatever it listens to."""
    from advisors.tasks import webhook_deliver

    payload = {"message": "Harvest Desk webhook test", "sent": timezone.now().isoformat()}
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event=WebhookEvent.PING, payload=payload
    )
    transaction.on_commit(partial(webhook_deliver.delay, delivery.pk))
    return delivery


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, str]:
    """POST ``body`` to a public address; (status code or None, error, the start of the
    response body). The address is resolved and checked now, and the connection goes to that
    address (DNS rebinding); a redirect is not followed. Errors are generic: details are
    logged."""
    try:
        destination = netguard.resolve(url)
        status, excerpt = netguard.post(destination, body, headers, timeout=REQUEST_TIMEOUT)
    except netguard.UnsafeDestination as exc:
        logger.warning("webhook refused: %s", exc)
        return None, GENERIC_ERROR, ""
    except (OSError, HTTPException, ValueError) as exc:
        logger.warning("webhook to %s failed: %s: %s", url, type(exc).__name__, exc)
        return None, GENERIC_ERROR, ""
    if 300 <= status < 400:
        logger.warning("webhook to %s answered a redirect (%s), not followed", url, status)
        return status, GENERIC_ERROR, ""
    return status, "", excerpt.decode(errors="replace")


def webhook_delivery_attempt(*, delivery_id: int) -> timedelta | None:
    """Send one pending delivery once and log the attempt. Returns the wait before the next
    attempt, or None when it is done (delivered, given up, or not pending any more)."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint__firm")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if delivery is None:
            return None  # done already, or another worker is sending it right now
        endpoint = delivery.endpoint
        number = delivery.attempt_count + 1
        body = json.dumps(envelope(delivery=delivery), separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "HarvestDesk-Webhooks/1",
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: str(delivery.public_id),
            SIGNATURE_HEADER: sign(secret=endpoint.secret, body=body, timestamp=int(time.time())),
        }
        started = time.monotonic()
        if endpoint.is_active:
            status_code, error, excerpt = _post(endpoint.url, body, headers)
        else:
            status_code, error, excerpt = None, "The endpoint is disabled.", ""
        attempt = WebhookAttempt.objects.create(
            delivery=delivery,
            number=number,
            status_code=status_code,
            error=error,
            response_excerpt=excerpt,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        delivery.attempt_count = number
        wait = None
        if attempt.succeeded:
            delivery.status, delivery.delivered, delivery.next_attempt_at = (
                DeliveryStatus.SUCCEEDED,
                timezone.now(),
                None,
            )
        elif number >= MAX_ATTEMPTS or not endpoint.is_active:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        else:
            wait = retry_delay(number)
            delivery.next_attempt_at = timezone.now() + wait
        delivery.save(update_fields=["status", "attempt_count", "delivered", "next_attempt_at"])
        return wait

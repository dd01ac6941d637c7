"""Idempotency keys for POST, PUT and PATCH (the ``Idempotency-Key`` header).

The first request with a key reserves it and stores the response it got; the same caller
sending the same key and the same request again gets that response replayed, and the same key
with another body (or another path) is refused. Responses that should be retried (5xx, 409,
429) release the key instead of being stored. Keys live for 24 hours.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from advisors.models import ApiClient, IdempotencyRecord

KEY_TTL = timedelta(hours=24)
# A reservation whose request never finished (a crashed worker) is taken over after this long.
STALE_RESERVATION = timedelta(minutes=5)
RETRYABLE = frozenset({409, 429})


class Replay(Exception):
    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__(record.key)
        self.record = record


class KeyReused(Exception):
    """The key was first used for a different request."""


class KeyInProgress(Exception):
    """The first request with this key has not finished yet."""


def owner_of(user: Any) -> str:
    kind = "client" if isinstance(user, ApiClient) else "advisor"
    return f"{kind}:{user.public_id}"


def fingerprint(*, method: str, path: str, body: Any) -> str:
    canonical = json.dumps(
        {"method": method, "path": path, "body": body},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_begin(
    *, owner: str, key: str, method: str, path: str, body: Any
) -> IdempotencyRecord:
    """Reserve ``key`` for this request, or raise Replay, KeyReused or KeyInProgress."""
    digest = fingerprint(method=method, path=path, body=body)
    fresh = {"method": method, "path": path, "fingerprint": digest}
    now = timezone.now()
    for _ in range(2):
        try:
            with transaction.atomic():
                record, created = IdempotencyRecord.objects.select_for_update().get_or_create(
                    owner=owner, key=key, defaults=fresh
                )
                if created:
                    return record
                stale = record.status_code is None and record.created < now - STALE_RESERVATION
                if record.created < now - KEY_TTL or stale:
                    # Expired: the key starts over for this request.
                    for name, value in fresh.items():
                        setattr(record, name, value)
                    record.status_code, record.response_body = None, None
                    record.response_headers, record.created = {}, now
                    record.save()
                    return record
                if record.fingerprint != digest:
                    raise KeyReused(key)
                if record.status_code is None:
                    raise KeyInProgress(key)
                raise Replay(record)
        except IntegrityError:
            continue  # another request inserted the same key between our read and write
    raise KeyInProgress(key)


def idempotency_finish(
    *, record: IdempotencyRecord, status_code: int, body: Any, headers: dict[str, str]
) -> None:
    """Store the response for replays, or release the key when the request should be retried."""
    if status_code >= 500 or status_code in RETRYABLE:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return
    record.status_code, record.response_body, record.response_headers = status_code, body, headers
    record.save(update_fields=["status_code", "response_body", "response_headers"])


def idempotency_purge(*, older_than: timedelta = KEY_TTL) -> int:
    deleted, _ = IdempotencyRecord.objects.filter(created__lt=timezone.now() - older_than).delete()
    return deleted

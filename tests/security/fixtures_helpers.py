"""Sign-in attempts from a given address, and time passing for the lockout's records."""

from __future__ import annotations

import datetime
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog
from django.db.models import F
from django.test import Client
from django.urls import reverse


def attempt(username: str, password: str, address: str, **extra: Any) -> Any:
    client = Client(REMOTE_ADDR=address, **extra)
    response = client.post(reverse("login"), {"username": username, "password": password})
    response.client = client
    return response


def age_failures(username: str, *, seconds: int, attempts_too: bool = False) -> None:
    """As if ``seconds`` had passed since this username's failures."""
    delta = datetime.timedelta(seconds=seconds)
    AccessFailureLog.objects.filter(username=username).update(
        attempt_time=F("attempt_time") - delta
    )
    if attempts_too:
        AccessAttempt.objects.filter(username=username).update(
            attempt_time=F("attempt_time") - delta
        )

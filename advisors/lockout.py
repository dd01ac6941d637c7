"""Brute force: who is asking (the client's address) and how often they may ask.

django-axes locks a username+address pair after ``AXES_FAILURE_LIMIT`` failures for
``AXES_COOLOFF_TIME`` and logs every failure and success (``axes.AccessFailureLog``,
``axes.AccessLog``: username, address, UTC time). On top of it, for the sign-in page:

- an address that failed ``LOGIN_IP_FAILURE_LIMIT`` times within the cool-off, whatever the
  usernames, is refused until the window passes;
- an account that failed ``LOGIN_ACCOUNT_DELAY_AFTER`` times, from anywhere, answers only once
  per progressive delay (1 s, 2 s, 4 s … ``LOGIN_ACCOUNT_DELAY_MAX``): a guesser elsewhere
  slows the account down but can never lock its advisor out.

The client's address is ``REMOTE_ADDR`` unless that is one of ``TRUSTED_PROXIES``: only then
is ``X-Forwarded-For`` read, right to left, skipping the trusted proxies. A forged header from
anyone else changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import ipaddress
import math
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

from axes.backends import AxesStandaloneBackend
from axes.models import AccessFailureLog
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from oauth2_provider import views as oauth2_views

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _trusted(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _trusted(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str | None:
    """The address of whoever sent ``request`` (AXES_CLIENT_IP_CALLABLE)."""
    remote = (request.META.get("REMOTE_ADDR") or "").strip() or None
    if remote is None or not _is_trusted(remote):
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for address in reversed([a for a in forwarded if a]):
        if not _is_trusted(address):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return remote  # a garbled header: the proxy itself is all we know
    return remote


class LockoutBackend(AxesStandaloneBackend):
    """Axes' lockout check for every sign-in that comes with a request. Authentication without
    a request (a management command, a test client's ``login()``) is not a web sign-in
    attempt: it passes on to the next backend unchecked instead of raising."""

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


def _window_start() -> datetime.datetime:
    return timezone.now() - settings.AXES_COOLOFF_TIME


def ip_refused(ip: str | None) -> bool:
    """Too many failures from this address, whatever the usernames."""
    if ip is None:
        return False
    failures = AccessFailureLog.objects.filter(ip_address=ip, attempt_time__gte=_window_start())
    return failures.count() >= settings.LOGIN_IP_FAILURE_LIMIT


def account_delay(username: str) -> int:
    """Seconds this account still has to wait before its next sign-in attempt is heard."""
    if not username:
        return 0
    # Only attempts that were heard: a locked-out pair hammering on does not slow the account
    # further (nor do attempts refused here, which never reach axes).
    failures = AccessFailureLog.objects.filter(
        username=username, attempt_time__gte=_window_start(), locked_out=False
    ).order_by("-attempt_time")
    count = failures.count()
    if count < settings.LOGIN_ACCOUNT_DELAY_AFTER:
        return 0
    step = 2 ** (count - settings.LOGIN_ACCOUNT_DELAY_AFTER)
    delay = min(step, settings.LOGIN_ACCOUNT_DELAY_MAX)
    last = failures.values_list("attempt_time", flat=True).first()
    remaining = (last + datetime.timedelta(seconds=delay) - timezone.now()).total_seconds()
    return max(0, math.ceil(remaining))


# --- The token endpoint -----------------------------------------------------------------------


def _token_client(request: HttpRequest) -> str:
    """The client id a token request names (form field or HTTP Basic), for its counter."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode("utf-8", "replace")
        except (ValueError, binascii.Error):
            return "?"
        return unquote_plus(decoded.partition(":")[0])[:100]
    return (request.POST.get("client_id") or "?")[:100]


def _bump(key: str, window: int) -> None:
    if not cache.add(key, 1, timeout=window):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)


class ThrottledTokenView(oauth2_views.TokenView):
    """``POST /o/token/``: after ``TOKEN_FAILURE_LIMIT`` refused requests for one client id from
    one address (or ``TOKEN_IP_FAILURE_LIMIT`` from the address, whatever the client ids)
    within ``TOKEN_FAILURE_WINDOW`` seconds, 429 until the window passes. The counters live in
    the cache (Redis in production); a right secret does not reset them."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        ip = client_ip(request) or "unknown"
        digest = hashlib.sha256(_token_client(request).encode()).hexdigest()[:32]
        pair_key, ip_key = f"hd:token-fail:{ip}:{digest}", f"hd:token-fail:{ip}"
        window = settings.TOKEN_FAILURE_WINDOW
        counts = cache.get_many([pair_key, ip_key])
        if (
            counts.get(pair_key, 0) >= settings.TOKEN_FAILURE_LIMIT
            or counts.get(ip_key, 0) >= settings.TOKEN_IP_FAILURE_LIMIT
        ):
            response = JsonResponse(
                {"error": "slow_down", "error_description": "Too many failed attempts."},
                status=429,
            )
            response["Retry-After"] = str(window)
            return response
        response = super().post(request, *args, **kwargs)
        if response.status_code in (400, 401):
            _bump(pair_key, window)
            _bump(ip_key, window)
        return response

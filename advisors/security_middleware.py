"""Middleware for signed-in sessions (after AuthenticationMiddleware).

- ``SessionLimitsMiddleware``: the absolute session lifetime; keeps the session list current.
- ``SecondFactorMiddleware``: every page of a session that has not passed the second factor
  sends it to the verify page (or the enrolment page), except the sign-in pages themselves.
  The API is left to its authentication classes: OAuth2 tokens are unaffected, and a session
  on the API counts only once verified (``advisors.authentication.VerifiedSessionAuthentication``).
- ``NoStoreMiddleware``: ``Cache-Control: no-store`` on every response to a signed-in user or
  an API caller (they hold client data); public pages and static files keep their caching.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from advisors import mfa, sessions

Handler = Callable[[HttpRequest], HttpResponse]

# Paths an authenticated but unverified session may reach (sign-in steps and their assets).
OPEN_URL_NAMES = (
    "login",
    "logout",
    "mfa_verify",
    "mfa_enrol",
    "password_reset",
    "password_reset_done",
    "password_reset_complete",
)
OPEN_PREFIXES = ("/api/", "/o/", "/accounts/reset/")


def _open_paths() -> tuple[str, ...]:
    return (*(reverse(name) for name in OPEN_URL_NAMES),)


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if request.headers.get("HX-Request") == "true":  # before django-htmx's middleware
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


class SessionLimitsMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = sessions.current_session_key.set(request.session.session_key)
        try:
            if request.user.is_authenticated and sessions.expired(request):
                logout(request)
                if not request.path.startswith(OPEN_PREFIXES):
                    query = urlencode({"next": request.get_full_path(), "expired": "1"})
                    return _redirect(request, f"{reverse('login')}?{query}")
            response = self.get_response(request)
            sessions.track(request)
            sessions.refresh(request)
            return response
        finally:
            sessions.current_session_key.reset(token)


class SecondFactorMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self._open: tuple[str, ...] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not mfa.is_verified(request):
            path = request.path
            if self._open is None:
                self._open = _open_paths()
            static = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else None
            if not (
                path in self._open
                or path.startswith(OPEN_PREFIXES)
                or (static and path.startswith(static))
            ):
                query = urlencode({"next": request.get_full_path()})
                return _redirect(request, f"{reverse('mfa_verify')}?{query}")
        return self.get_response(request)


class NoStoreMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        signed_in = getattr(request, "user", None) is not None and request.user.is_authenticated
        if signed_in or "HTTP_AUTHORIZATION" in request.META or request.path.startswith("/api/"):
            response["Cache-Control"] = "no-store"  # replaces any caching the view allowed
            response.headers.pop("Expires", None)
        return response

"""``force_login`` bypasses authentication, second factor included.

Hundreds of tests sign in with ``client.force_login(user)``; the site requires a second
factor on every session (advisors/security_middleware.py). Patched here (from
tests/conftest.py) so that a forced login also marks the session as having passed it. The
real sign-in, password then code, is tested in tests/security/ and the browser tests.
"""

from __future__ import annotations

from typing import Any

from django.test import Client

from advisors import mfa

_original = Client.force_login


def force_login(self: Client, user: Any, backend: str | None = None) -> None:
    _original(self, user, backend)
    session = self.session
    session[mfa.SESSION_KEY] = "force_login"
    session.save()


def install() -> None:
    Client.force_login = force_login  # type: ignore[method-assign]

"""The Django fixtures load only when pytest-django is active, so that the pure rule-engine
tests (tests/taxlogic, tests/cases) also run with `-p no:django`: no settings, no database."""

from __future__ import annotations

from django.conf import settings

if settings.configured:
    from tests.fixtures import *  # noqa: F403
    from tests.security import force_login

    # force_login bypasses authentication, second factor included (tests/security/force_login.py).
    force_login.install()

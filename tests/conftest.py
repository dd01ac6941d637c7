"""The Django fixtures load only when pytest-django is active, so that the pure rule-engine
tests (tests/taxlogic, tests/cases) also run with `-p no:django`: no settings, no database."""

from __future__ import annotations

from django.conf import settings

if settings.configured:
    from tests.fixtures import *  # noqa: F403

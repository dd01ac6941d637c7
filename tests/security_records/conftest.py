"""Fixtures of the security-and-records tests: the API clients of tests/api and the reviewed
plans of tests/plans, reused."""

from __future__ import annotations

from tests.api.conftest import api_a, api_b, make_integration, session_api  # noqa: F401
from tests.plans.conftest import plans  # noqa: F401

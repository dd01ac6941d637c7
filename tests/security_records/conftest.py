"""Fixtures of the security-and-records tests: the reviewed plans of tests/plans reused."""

from __future__ import annotations

from tests.plans.conftest import plans  # noqa: F401

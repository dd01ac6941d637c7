"""Fixtures of the security tests: a fresh client address per test (the lockout and token
counters are per address and live in the database and Redis), the API fixtures."""

from __future__ import annotations

import itertools
import os
import random

import pytest

from tests.api.conftest import api_a, make_integration  # noqa: F401

_addresses = itertools.count(random.Random(os.getpid()).randrange(1, 60000))


@pytest.fixture
def address() -> str:
    """An address in 198.18.0.0/15 (benchmarking range) no other test uses."""
    n = next(_addresses)
    return f"198.18.{(n // 250) % 250}.{n % 250 + 1}"

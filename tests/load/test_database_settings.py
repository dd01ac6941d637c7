"""The database session's settings the pages rely on (config/settings.py)."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.django_db
def test_postgresqls_jit_is_off_for_our_connections() -> None:
    # The household list's aggregate passes jit_above_cost on a firm of 2,000 households:
    # compiling it took longer than running it (README.md, "Under load").
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)

"""The migrations match the models, and the custom user model is in advisors' first one."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader


@pytest.mark.django_db
def test_no_missing_migrations() -> None:
    out = StringIO()
    try:
        call_command("makemigrations", check=True, dry_run=True, stdout=out, stderr=out)
    except SystemExit as exc:  # --check exits non-zero when a migration is missing
        pytest.fail(f"makemigrations --check found changes:\n{out.getvalue()}\n{exc}")
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db
def test_the_user_model_is_created_by_the_first_migration() -> None:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    first = loader.get_migration("advisors", "0001_initial")
    created = {op.name for op in first.operations if type(op).__name__ == "CreateModel"}
    assert {"Advisor", "Firm", "Team"} <= created
    assert ("advisors", "0001_initial") in loader.get_migration(
        "clients", "0001_initial"
    ).dependencies

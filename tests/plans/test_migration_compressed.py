"""taxlogic 0003: reviews, plans and recommendations stored as jsonb before it keep their JSON
through the migration to compressed JSON, and back."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from clients.models import Household

BEFORE = [("taxlogic", "0002_year_end")]
AFTER = [("taxlogic", "0003_compressed_json")]
INPUTS = {"case": {"lots": [{"id": f"L{n}", "basis": "1.00"} for n in range(400)]}, "v": "é"}
RESULT = {"figures": [{"code": "tax_saved", "amount": "12.00"}], "labels": {"a": "b"}}
DETAILS = {"notes": [{"code": "n", "text": 'a "quote"', "rule": "§"}]}


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_json_survives_the_migration_both_ways(households: dict[str, Household]) -> None:
    household = households["advisor"]
    account = household.accounts.first()
    lot = account.lots.first()
    apps = _migrate(BEFORE)
    try:
        plan = apps.get_model("taxlogic", "ActionPlan").objects.create(
            firm_id=household.firm_id,
            household_id=household.pk,
            tax_year=2026,
            as_of="2026-11-01",
            inputs_hash="h",
            engine_version="v",
            result=RESULT,
        )
        apps.get_model("taxlogic", "Review").objects.create(
            firm_id=household.firm_id,
            household_id=household.pk,
            tax_year=2026,
            as_of="2026-11-01",
            inputs=INPUTS,
            plan=plan,
            status="done",
        )
        apps.get_model("taxlogic", "Recommendation").objects.create(
            firm_id=household.firm_id,
            household_id=household.pk,
            plan=plan,
            position=1,
            kind="harvest",
            account_id=account.pk,
            security_id=lot.security_id,
            reason_code="harvest",
            text="t",
            rule="r",
            details=DETAILS,
        )

        for targets, column_type in ((AFTER, "bytea"), (BEFORE, "jsonb")):
            apps = _migrate(targets)
            review = apps.get_model("taxlogic", "Review").objects.get()
            assert review.inputs == INPUTS and review.plan.result == RESULT
            assert apps.get_model("taxlogic", "Recommendation").objects.get().details == DETAILS
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_typeof(inputs)::text FROM taxlogic_review")
                assert cursor.fetchone()[0] == column_type
    finally:
        leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
        _migrate([node for node in leaves if node[0] == "taxlogic"])

"""taxlogic 0011: the stored ``updated`` of reviews, plans and recommendations starts from the
value the API used to compute (the latest of each row's moments)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("taxlogic", "0010_digest_audit_after")]
AFTER = [("taxlogic", "0011_sync_updated")]


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


def _one(sql: str, params: list[Any]) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_existing_rows_get_the_latest_of_their_moments(plans: dict) -> None:
    plan, other = plans["advisor"], plans["teammate"]
    decided, undecided = plan.recommendations.first(), other.recommendations.first()
    _migrate(BEFORE)
    try:
        created = plan.created
        with connection.cursor() as cursor:
            for superseded in (plan, other):
                cursor.execute(
                    "UPDATE taxlogic_actionplan SET superseded = %s WHERE id = %s",
                    [superseded.created + timedelta(days=1), superseded.pk],
                )
            cursor.execute(
                "UPDATE taxlogic_recommendation SET decided_at = %s WHERE id = %s",
                [created + timedelta(days=3), decided.pk],
            )
            cursor.execute(
                "UPDATE taxlogic_review SET started = created + interval '1 hour', "
                "finished = created + interval '2 hours' WHERE plan_id = %s",
                [plan.pk],
            )
        _migrate(AFTER)
        updated = "SELECT updated FROM taxlogic_{} WHERE id = %s"
        assert _one(updated.format("actionplan"), [plan.pk]) == created + timedelta(days=3)
        assert _one(updated.format("recommendation"), [decided.pk]) == created + timedelta(days=3)
        assert _one(updated.format("recommendation"), [undecided.pk]) == other.created + timedelta(
            days=1
        )
        assert _one(updated.format("actionplan"), [other.pk]) == other.created + timedelta(days=1)
        review_created, review_updated = _one(
            "SELECT ARRAY[created, updated] FROM taxlogic_review WHERE plan_id = %s", [plan.pk]
        )
        assert review_updated == review_created + timedelta(hours=2)
    finally:
        leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
        _migrate([node for node in leaves if node[0] == "taxlogic"])

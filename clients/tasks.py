"""Celery tasks of the book: ids and numbers in, a service does the work."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from clients.ledger import carryforwards_roll_all


@shared_task
def carryforwards_roll_new_year(tax_year: int | None = None) -> int:
    """Roll every household's carryforward into the new tax year from the prior year's plan
    (idempotent: run daily through January, it only writes what changed)."""
    return carryforwards_roll_all(tax_year=tax_year or timezone.localdate().year)

"""Celery tasks of clients: ids and numbers in, a service does the work (the ledger's new-year
roll; large imports read and committed outside the request)."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from celery import shared_task
from django.utils import timezone

from advisors.models import Advisor, ApiClient
from clients.ledger import carryforwards_roll_all


@shared_task
def carryforwards_roll_new_year(tax_year: int | None = None) -> int:
    """Roll every household's carryforward into the new tax year from the prior year's plan
    (idempotent: run daily through January, it only writes what changed)."""
    return carryforwards_roll_all(tax_year=tax_year or timezone.localdate().year)


def _actor(ref: list[Any]) -> Any:
    kind, pk = ref
    return (Advisor if kind == "advisor" else ApiClient).objects.get(pk=pk)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, time_limit=1800)
def import_read(batch_id: int, actor_ref: list[Any]) -> None:
    """Read a stored upload into its preview. Idempotent: a batch already read is left alone."""
    from clients.imports import pipeline
    from clients.imports.models import BatchStatus, ImportBatch, ImportRow

    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status != BatchStatus.READING or not batch.stored_path:
        return
    ImportRow.objects.filter(batch=batch).delete()  # a redelivered task starts over
    with pipeline.stored_file(batch) as stream:
        pipeline.batch_read(batch=batch, actor=_actor(actor_ref), stream=stream)
    if os.path.exists(batch.stored_path):
        os.remove(batch.stored_path)
    ImportBatch.objects.filter(pk=batch_id).update(stored_path="")


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, time_limit=1800)
def import_commit(batch_id: int, actor_ref: list[Any]) -> None:
    """Commit a batch (all or nothing); a refusal is recorded on the batch."""
    from clients.imports import commit

    with contextlib.suppress(commit.CommitRefused):
        commit.batch_commit(batch_id=batch_id, actor=_actor(actor_ref))

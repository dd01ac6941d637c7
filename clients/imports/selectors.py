"""Reads of imports: which batches a user may open (advisors/scoping.py decides), a batch's
rows by group."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from advisors import scoping
from clients.imports.models import ImportBatch, ImportRow


def batches_visible(user: Any) -> QuerySet[ImportBatch]:
    """The imports ``user`` may open (``scoping.imports_visible``)."""
    return scoping.imports_visible(user)


def batch_rows(batch: ImportBatch, kind: str) -> QuerySet[ImportRow]:
    return batch.rows.filter(kind=kind).select_related("lot").order_by("number")

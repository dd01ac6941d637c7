"""Reads of imports: which batches a user may open, a batch's rows by group."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from advisors.models import ApiClient, Role
from clients.imports.models import ImportBatch, ImportRow


def batches_visible(user: Any) -> QuerySet[ImportBatch]:
    """Operators see every import; a firm admin or compliance reviewer the firm's; an API
    client its firm's; anyone else the imports they made."""
    qs = ImportBatch.objects.select_related("committed_by", "same_file_as")
    if isinstance(user, ApiClient):
        return qs.filter(firm_id=user.firm_id) if user.is_active else qs.none()
    if not (user.is_authenticated and user.is_active):
        return qs.none()
    if user.is_superuser:
        return qs
    if user.role in (Role.FIRM_ADMIN, Role.COMPLIANCE):
        return qs.filter(firm_id=user.firm_id)
    return qs.filter(firm_id=user.firm_id, created_by=user)


def batch_rows(batch: ImportBatch, kind: str) -> QuerySet[ImportRow]:
    return batch.rows.filter(kind=kind).select_related("lot").order_by("number")

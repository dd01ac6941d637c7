"""Cursor pagination for the API. Kept apart from advisors/api.py: DRF imports it while
defining GenericAPIView."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request


class ApiCursorPagination(CursorPagination):
    """Stable pages for sync: oldest change first (a view's ``cursor_ordering``), read from
    each list's index on (firm, updated, public_id)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("updated", "public_id")

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> tuple[str, ...]:
        return tuple(getattr(view, "cursor_ordering", self.ordering))

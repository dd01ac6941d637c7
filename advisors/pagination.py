"""Cursor pagination for the API. Kept apart from advisors/api.py: DRF imports it while
defining GenericAPIView."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request


class NarrowPage:
    """A queryset whose page is found in two steps: the ids of the page first (a sort of narrow
    rows, kept in memory), then those rows with everything they join and prefetch.

    For orderings PostgreSQL cannot take from an index (the computed ``updated`` of plans,
    recommendations and reviews): sorting the firm's whole rows, their stored JSON included,
    spilled to disk. CursorPagination only orders, filters and slices what it is given."""

    def __init__(self, queryset: QuerySet) -> None:
        self.queryset = queryset

    def order_by(self, *fields: str) -> NarrowPage:
        return NarrowPage(self.queryset.order_by(*fields))

    def filter(self, *args: Any, **kwargs: Any) -> NarrowPage:
        return NarrowPage(self.queryset.filter(*args, **kwargs))

    def __getitem__(self, page: slice) -> list[Any]:
        ids = list(self.queryset.values_list("pk", flat=True)[page])
        if not ids:
            return []
        found = {row.pk: row for row in self.queryset.filter(pk__in=ids)}
        return [found[pk] for pk in ids if pk in found]


class ApiCursorPagination(CursorPagination):
    """Stable pages for sync: oldest change first (a view's ``cursor_ordering``). Views whose
    ordering is computed set ``narrow_pages`` (see NarrowPage)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("updated", "public_id")

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> tuple[str, ...]:
        return tuple(getattr(view, "cursor_ordering", self.ordering))

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any] | None:
        if getattr(view, "narrow_pages", False):
            return super().paginate_queryset(NarrowPage(queryset), request, view)  # type: ignore[arg-type]
        return super().paginate_queryset(queryset, request, view)

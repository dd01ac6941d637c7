"""The audit trail: who changed what, when, before and after (django-pghistory).

Every tracked table (clients/history.py, taxlogic/history.py) has PostgreSQL triggers that copy
each inserted, updated (the row before and after) and deleted row into its event table, with
the context of the change: the signed-in user or the API client, the URL and method, the time
(UTC). Triggers see every write: the ORM, ``bulk_update``, ``COPY`` (taxlogic/bulk.py), raw
SQL, the admin. Event tables are append-only (a trigger refuses UPDATE and DELETE) and, in
production, owned by a role the site does not use (README.md, "Database roles for the audit trail").

On SQLite (the embedded demo) there are no triggers: the tables exist, nothing is recorded,
and the context is not set (it is SQL that only PostgreSQL understands).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import pghistory
import pgtrigger
from django.db import connection
from django.http import HttpRequest, HttpResponse

# The trackers of every audited model: the row as inserted, before and after each update, and
# as it was when deleted. Statement-level triggers: one INSERT … SELECT per statement, so a
# COPY or bulk write of a thousand rows costs one statement, not a thousand.
LEVEL = pgtrigger.Statement


def trackers(*, inserts: bool = True) -> tuple[pghistory.RowEvent, ...]:
    return (
        *([pghistory.InsertEvent("insert", level=LEVEL)] if inserts else []),
        pghistory.UpdateEvent("before_update", row=pghistory.Old, level=LEVEL),
        pghistory.UpdateEvent("update", level=LEVEL),
        pghistory.DeleteEvent("delete", level=LEVEL),
    )


def track(model: type, *, exclude: list[str] | None = None, inserts: bool = True) -> type:
    """Audit ``model``: its event model ``<Model>Event``, append-only. ``inserts=False`` for
    rows that are their own record (immutable and never deleted: plans, recommendations, the
    decision log): copying each insert would double the cost of a year-end review's COPY for
    nothing; their updates and (refused) deletes are still recorded."""
    return pghistory.track(*trackers(inserts=inserts), exclude=exclude, append_only=True)(model)


def enabled() -> bool:
    return connection.vendor == "postgresql"


def principal_context(principal: Any) -> dict[str, Any]:
    """The context keys for an advisor or an API client."""
    from advisors.models import Advisor, ApiClient

    if isinstance(principal, ApiClient):
        return {"user": None, "api_client": principal.pk, "firm": principal.firm_id}
    if isinstance(principal, Advisor):
        return {"user": principal.pk, "api_client": None, "firm": principal.firm_id}
    return {}


def note_principal(principal: Any) -> None:
    """Name who is acting in the current audit context (no-op when none is open)."""
    if enabled():
        pghistory.context(**principal_context(principal))


class AuditMiddleware:
    """Opens the audit context of a request: its user (API clients are named by their
    authentication, advisors/authentication.py), URL and method."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            return self.get_response(request)
        with pghistory.context(url=request.path[:300], method=request.method):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                pghistory.context(**principal_context(user))
            return self.get_response(request)


def set_context_on(cursor: Any) -> None:
    """Put the open audit context on a raw psycopg cursor (one that bypasses Django's
    execute wrappers, as ``COPY`` does), for the triggers of the statements that follow in the
    same transaction."""
    if not enabled():
        return
    from pghistory import runtime

    current = getattr(runtime._tracker, "value", None)
    if current is None:
        return
    cursor.execute(
        "SELECT set_config('pghistory.context_id', %s, true), "
        "set_config('pghistory.context_metadata', %s, true)",
        [str(current.id), json.dumps(current.metadata, default=str)],
    )


def event_models() -> Iterable[type]:
    """Every event model of the audit trail."""
    from django.apps import apps
    from pghistory.models import Event

    for model in apps.get_models():
        if issubclass(model, Event) and not model._meta.proxy and model._meta.managed:
            yield model


def events_of(model: type) -> type:
    """The event model of an audited model (``<Model>Event`` of its app)."""
    from django.apps import apps

    return apps.get_model(model._meta.app_label, f"{model.__name__}Event")

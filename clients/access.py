"""The access log: who saw which household, when, and through what (a page or the API).

Append-only (a trigger refuses UPDATE and DELETE on PostgreSQL), one row per household seen:
a household's page, its plan, a lot or account page, an API retrieve, and every household of
an API list page (written in one ``bulk_create``). The access report answers "whose data did
this account see?" for an advisor or an API client and a time window from the (user, at) and
(api_client, at) indexes, grouped by household.

Imported by clients/models.py (the model) and used by clients/access_views.py (the report
page), clients/management/commands/access_report.py, AccessLogMiddleware (pages) and
advisors/api.py (the API).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pgtrigger
from django.db import connection, models
from django.db.models import Count, Max, Min, Subquery
from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class Via(models.TextChoices):
    PAGE = "page", "Page"
    API = "api", "API"


class HouseholdAccess(models.Model):
    """One view of one household's data by an advisor or an API client."""

    at = models.DateTimeField(default=timezone.now)
    firm = models.ForeignKey(
        "advisors.Firm",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
    )
    household = models.ForeignKey(
        "clients.Household",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    # No database constraints: deleting an advisor or a client must not touch the log.
    user = models.ForeignKey(
        "advisors.Advisor",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
    )
    api_client = models.ForeignKey(
        "advisors.ApiClient",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
    )
    via = models.CharField(max_length=4, choices=Via.choices)
    path = models.CharField(max_length=300)

    class Meta:
        app_label = "clients"
        ordering = ["-at", "-id"]
        verbose_name_plural = "household accesses"
        indexes = [
            models.Index(fields=["user", "at"], name="access_user_at_idx"),
            models.Index(fields=["api_client", "at"], name="access_client_at_idx"),
            models.Index(fields=["household", "at"], name="access_household_at_idx"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="access_log_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id or self.api_client_id} saw household {self.household_id}"


def _principal_fields(principal: Any) -> dict[str, Any] | None:
    from advisors.models import Advisor, ApiClient

    if isinstance(principal, ApiClient):
        return {"api_client_id": principal.pk, "firm_id": principal.firm_id}
    if isinstance(principal, Advisor) and principal.is_authenticated:
        return {"user_id": principal.pk, "firm_id": principal.firm_id}
    return None


def record(*, principal: Any, household_ids: Iterable[int], via: str, path: str) -> int:
    """Log that ``principal`` saw the households ``household_ids`` (one statement)."""
    fields = _principal_fields(principal)
    ids = sorted({pk for pk in household_ids if pk is not None})
    if fields is None or not ids:
        return 0
    now = timezone.now()
    if connection.vendor == "postgresql":
        # An API page of 500 rows logs up to 500 households: one INSERT of an array, no
        # model instances.
        table = HouseholdAccess._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (at, household_id, via, path, firm_id, user_id, "
                "api_client_id) SELECT %s, unnest(%s::bigint[]), %s, %s, %s, %s, %s",
                [
                    now,
                    ids,
                    via,
                    path[:300],
                    fields["firm_id"],
                    fields.get("user_id"),
                    fields.get("api_client_id"),
                ],
            )
        return len(ids)
    HouseholdAccess.objects.bulk_create(
        [HouseholdAccess(at=now, household_id=pk, via=via, path=path[:300], **fields) for pk in ids]
    )
    return len(ids)


def household_id_of(obj: Any) -> int | None:
    """The household an object belongs to (None for reference data: securities, prices)."""
    from clients.models import Household

    if isinstance(obj, Household):
        return obj.pk
    if hasattr(obj, "household_id"):
        return obj.household_id
    account = getattr(obj, "account", None)
    if account is not None and hasattr(account, "household_id"):
        return account.household_id
    return None


# --- Pages --------------------------------------------------------------------------------


def _household_subquery(name: str, value: Any) -> Any:
    """The household pk of the object a page names, as a subquery (None: not a household
    page)."""
    from clients.models import Account, Household, TaxLot
    from taxlogic.models import Review

    sources: dict[str, Callable[[], Any]] = {
        "household_id": lambda: Household.objects.filter(public_id=value).values("pk"),
        "account_id": lambda: Account.objects.filter(public_id=value).values("household_id"),
        "lot_id": lambda: TaxLot.objects.filter(public_id=value).values("account__household_id"),
        "review_id": lambda: Review.objects.filter(public_id=value).values("household_id"),
    }
    return Subquery(sources[name]()[:1]) if name in sources else None


def record_page(*, principal: Any, kwarg: str, value: Any, path: str) -> None:
    """Log a page's household in one INSERT … SELECT (no look-up first)."""
    fields = _principal_fields(principal)
    household = _household_subquery(kwarg, value)
    if fields is None or household is None:
        return
    HouseholdAccess(household_id=household, via=Via.PAGE, path=path[:300], **fields).save()


PAGE_KWARGS = ("household_id", "account_id", "lot_id", "review_id")


class AccessLogMiddleware:
    """Logs the household of every page that shows one (URL kwargs ``household_id``,
    ``account_id``, ``lot_id``, ``review_id``), once the page answered 200 (so only what the
    user may see). The API logs its own (advisors/api.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if (
            match is None
            or response.status_code != 200
            or request.method not in ("GET", "HEAD")
            or request.path.startswith(("/api/", "/admin/"))
        ):
            return response
        name = next((k for k in PAGE_KWARGS if k in match.kwargs), None)
        user = getattr(request, "user", None)
        if name is None or user is None or not user.is_authenticated:
            return response
        record_page(principal=user, kwarg=name, value=match.kwargs[name], path=request.path)
        return response


# --- The access report ---------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    household_id: int
    household_public_id: str
    household_name: str
    first: datetime.datetime
    last: datetime.datetime
    views: int


def access_report(
    *,
    user_id: int | None = None,
    api_client_id: int | None = None,
    start: datetime.datetime,
    end: datetime.datetime,
    viewer: Any = None,
) -> list[Seen]:
    """Every household the advisor ``user_id`` or the API client ``api_client_id`` saw in
    [start, end), with the first and last time and how often; limited to the households
    ``viewer`` may see when given (advisors/scoping.py: a firm's compliance sees only its own
    firm). Without a viewer (``manage.py access_report``, the operators'), every household."""
    from advisors import scoping
    from clients.models import Household

    if (user_id is None) == (api_client_id is None):
        raise ValueError("Name an advisor or an API client.")
    rows = HouseholdAccess.objects.filter(at__gte=start, at__lt=end)
    rows = (
        rows.filter(user_id=user_id)
        if user_id is not None
        else rows.filter(api_client_id=api_client_id)
    )
    grouped = {
        row["household_id"]: row
        for row in rows.values("household_id")
        .annotate(first=Min("at"), last=Max("at"), views=Count("id"))
        .order_by()
    }
    households = (
        Household.objects.all() if viewer is None else scoping.visible(viewer, Household)
    ).filter(pk__in=list(grouped))
    households = households.only("pk", "public_id", "name")
    out = [
        Seen(
            household_id=h.pk,
            household_public_id=str(h.public_id),
            household_name=h.name,
            first=grouped[h.pk]["first"],
            last=grouped[h.pk]["last"],
            views=grouped[h.pk]["views"],
        )
        for h in households.iterator(chunk_size=5000)
    ]
    return sorted(out, key=lambda s: (s.household_name, s.household_id))

"""Pages for households, accounts and lots. Thin: scope, call a selector or service, render.

Access follows healthchecks' ``_get_check_for_user``: each helper returns the object and
whether the user may change it, and answers 404 for what the user may not see.
"""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails

from advisors import scoping
from advisors.models import Advisor
from clients import page_cache, selectors
from clients.forms import HouseholdSearchForm
from clients.ledger_page import ledger_context
from clients.models import Account, Household, TaxLot
from taxlogic import basis
from taxlogic import selectors as plan_selectors
from taxlogic.models import PlanStatus

HOUSEHOLDS_PER_PAGE = 25


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
    user: Advisor


def _get_household_for_user(request: HtmxHttpRequest, public_id: UUID) -> tuple[Household, bool]:
    queryset = Household.objects.select_related("firm", "team", "primary_advisor")
    return scoping.object_for_user(request.user, queryset, public_id=public_id)


def _get_account_for_user(request: HtmxHttpRequest, public_id: UUID) -> tuple[Account, bool]:
    queryset = Account.objects.select_related("household__team", "owner")
    return scoping.object_for_user(request.user, queryset, public_id=public_id)


def _get_lot_for_user(request: HtmxHttpRequest, public_id: UUID) -> tuple[TaxLot, bool]:
    queryset = TaxLot.objects.select_related("account__household", "account__owner", "security")
    return scoping.object_for_user(request.user, queryset, public_id=public_id)


def _partial_or_page(request: HtmxHttpRequest, template: str, partial: str) -> str:
    """The partial for an htmx swap; the whole page otherwise (and on history restore)."""
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template}#{partial}"
    return template


CHART_BARS = 10
CHART_WIDTH = 330  # px of the longest bar


def _chart(households: list[Household]) -> dict[str, object]:
    """Bars of the estimated tax saved by the households on the page that have a plan."""
    rows = [h for h in households if h.plan_saved is not None][:CHART_BARS]
    top = max((h.plan_saved for h in rows), default=0) or 1
    bars = [
        {
            "household": h,
            "y": 24 * n,
            "width": max(1, int(CHART_WIDTH * h.plan_saved / top)),
        }
        for n, h in enumerate(rows)
    ]
    return {"bars": bars, "height": 24 * len(bars)}


def _status_bar(book: plan_selectors.Book) -> list[dict[str, object]]:
    """The book by plan status, as segments of one bar (percent of all households)."""
    total = book.households or 1
    segments = [
        (status.value, status.label, book.by_status[status.value])
        for status in PlanStatus
        if book.by_status[status.value]
    ]
    segments.append(("none", "No plan yet", book.households - book.with_plan))
    out, x = [], 0.0
    for key, label, count in segments:
        if count:
            width = 100 * count / total
            out.append({"key": key, "label": label, "count": count, "x": x, "width": width})
            x += width
    return out


# Sortable columns: key, heading, the first order a click asks for.
SORTABLE = (
    ("name", "Household", "name"),
    ("loss", "Harvestable loss", "-loss"),
    ("saved", "Est. tax saved", "-saved"),
    ("status", "Plan", "status"),
)


def _columns(path: str, sort: str, search: dict[str, str]) -> dict[str, dict[str, object]]:
    """Each sortable column's link: a click on the active column reverses its order."""
    columns = {}
    for key, label, first in SORTABLE:
        active = sort.lstrip("-") == key
        descending = sort.startswith("-")
        wanted = (key if descending else f"-{key}") if active else first
        columns[key] = {
            "label": label,
            "url": f"{path}?{urlencode({**search, 'sort': wanted})}",
            "active": active,
            "descending": descending,
        }
    return columns


@login_required
@require_GET
def household_list(request: HtmxHttpRequest) -> HttpResponse:
    form = HouseholdSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    year = timezone.localdate().year
    # The book's figures and the page's rows, cached until the firm's data changes.
    key, cached = page_cache.get(
        request.user, "households", query, request.GET.get("sort"), request.GET.get("page"), year
    )
    # One aggregate query gives the book's figures and the count the paginator needs.
    book = (
        cached[0]
        if cached
        else plan_selectors.book_summary(
            selectors.households_matching(user=request.user, query=query), tax_year=year
        )
    )
    households, sort = plan_selectors.sort_households(
        plan_selectors.with_plan_figures(
            selectors.household_list(user=request.user, query=query), tax_year=year
        ),
        request.GET.get("sort", "name"),
    )
    paginator = Paginator(households, HOUSEHOLDS_PER_PAGE)
    paginator.count = book.households
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = cached[1] if cached else list(page.object_list)
    if not cached:
        page_cache.put(key, (book, page.object_list))
    template = _partial_or_page(request, "clients/household_list.html", "results")
    # Carried into the pager's and the headers' links before "page=N" / "sort=…".
    search = {"q": query} if query else {}
    context = {
        "form": form,
        "query": query,
        "page": page,
        "sort": sort,
        "search_params": f"{urlencode({**search, 'sort': sort})}&",
        "columns": _columns(request.path, sort, search),
        "book": book,
        "tax_year": year,
        "chart": _chart(list(page.object_list)),
        "status_bar": _status_bar(book),
    }
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_GET
def household_detail(request: HtmxHttpRequest, household_id: UUID) -> HttpResponse:
    household, may_write = _get_household_for_user(request, household_id)
    as_of = timezone.localdate()
    engine = basis.household_basis(household=household, as_of=as_of)
    holdings = selectors.household_holdings(
        user=request.user,
        household=household,
        as_of=as_of,
        attach=lambda lots: basis.compare(lots, engine),
    )
    context = {
        "household": household,
        "may_write": may_write,
        "as_of": as_of,
        "engine": engine,
        "people": selectors.household_people(user=request.user, household=household),
        "accounts": holdings.accounts,  # the holdings' own query: same accounts, same order
        "holdings": holdings,
        "tax_profile": selectors.current_tax_profile(
            user=request.user, household=household, tax_year=as_of.year
        ),
        "ledger": ledger_context(household, may_write=may_write),
    }
    return render(request, "clients/household_detail.html", context)


@login_required
@require_GET
def account_detail(request: HtmxHttpRequest, account_id: UUID) -> HttpResponse:
    account, may_write = _get_account_for_user(request, account_id)
    as_of = timezone.localdate()
    engine = basis.household_basis(household=account.household, as_of=as_of)
    context = {
        "account": account,
        "household": account.household,
        "may_write": may_write,
        "as_of": as_of,
        "engine": engine,
        "holdings": selectors.account_holdings(
            user=request.user,
            account=account,
            as_of=as_of,
            attach=lambda lots: basis.compare(lots, engine),
        ),
        "transactions": selectors.recent_transactions(user=request.user, account=account),
        "eligibility": account.eligibility,
    }
    return render(request, "clients/account_detail.html", context)


@login_required
@require_GET
def lot_detail(request: HtmxHttpRequest, lot_id: UUID) -> HttpResponse:
    lot, may_write = _get_lot_for_user(request, lot_id)
    as_of = timezone.localdate()
    engine = basis.household_basis(household=lot.account.household, as_of=as_of)
    context = {
        "lot": lot,
        "account": lot.account,
        "household": lot.account.household,
        "may_write": may_write,
        "as_of": as_of,
        "engine_error": engine.error,
        "row": selectors.lot_with_price(
            user=request.user,
            lot=lot,
            as_of=as_of,
            attach=lambda lots: basis.compare(lots, engine),
        ),
        "transactions": selectors.recent_transactions(user=request.user, lot=lot),
    }
    return render(request, "clients/lot_detail.html", context)

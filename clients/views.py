"""Pages for households, accounts and lots. Thin: scope, call a selector or service, render.

Access follows healthchecks' ``_get_check_for_user``: each helper returns the object and
whether the user may change it, and answers 404 for what the user may not see.
"""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.middleware import HtmxDetails

from advisors import scoping
from advisors.models import Advisor
from clients import page_cache, selectors, services
from clients.forms import HouseholdForm, HouseholdSearchForm, TransactionForm
from clients.models import Account, Household, TaxLot
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
    context = {
        "household": household,
        "may_write": may_write,
        "as_of": as_of,
        "people": selectors.household_people(user=request.user, household=household),
        "holdings": selectors.household_holdings(
            user=request.user, household=household, as_of=as_of
        ),
        "tax_profile": selectors.current_tax_profile(
            user=request.user, household=household, tax_year=as_of.year
        ),
    }
    return render(request, "clients/household_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request: HtmxHttpRequest, household_id: UUID) -> HttpResponse:
    household, may_write = _get_household_for_user(request, household_id)
    if not may_write:
        return HttpResponseForbidden("You may see this household but not change it.")
    if request.method == "POST":
        form = HouseholdForm(request.POST)
        if form.is_valid():
            try:
                services.household_update(
                    household=household, updated_by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, f"Saved {household.name}.")
                return redirect("clients:household_detail", household_id=household.public_id)
    else:
        form = HouseholdForm(
            initial={"name": household.name, "external_crm_id": household.external_crm_id}
        )
    return render(request, "clients/household_form.html", {"household": household, "form": form})


@login_required
@require_GET
def account_detail(request: HtmxHttpRequest, account_id: UUID) -> HttpResponse:
    account, may_write = _get_account_for_user(request, account_id)
    as_of = timezone.localdate()
    context = {
        "account": account,
        "household": account.household,
        "may_write": may_write,
        "as_of": as_of,
        "holdings": selectors.account_holdings(user=request.user, account=account, as_of=as_of),
        "transactions": selectors.recent_transactions(user=request.user, account=account),
        "eligibility": account.eligibility,
    }
    return render(request, "clients/account_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def transaction_create(request: HtmxHttpRequest, account_id: UUID) -> HttpResponse:
    account, may_write = _get_account_for_user(request, account_id)
    if not may_write:
        return HttpResponseForbidden("You may see this account but not change it.")
    lots = (
        scoping.lots_visible_to(request.user)
        .filter(account=account, quantity__gt=0)
        .select_related("security")
        .order_by("security__symbol", "acquired", "id")
    )
    if request.method == "POST":
        form = TransactionForm(request.POST, lots=lots)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.transaction_record(
                    account=account,
                    security=data["security"],
                    action=data["action"],
                    trade_date=data["trade_date"],
                    quantity=data["quantity"],
                    price=data["price"],
                    fees=data["fees"] if data["fees"] is not None else services.ZERO,
                    lot=data["lot"],
                    acquired=data["acquired"],
                    cost_basis=data["cost_basis"],
                    recorded_by=request.user,
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, "Transaction recorded.")
                return redirect("clients:account_detail", account_id=account.public_id)
    else:
        form = TransactionForm(lots=lots, initial={"trade_date": timezone.localdate()})
    context = {"account": account, "household": account.household, "form": form}
    return render(request, "clients/transaction_form.html", context)


@login_required
@require_GET
def lot_detail(request: HtmxHttpRequest, lot_id: UUID) -> HttpResponse:
    lot, may_write = _get_lot_for_user(request, lot_id)
    as_of = timezone.localdate()
    context = {
        "lot": lot,
        "account": lot.account,
        "household": lot.account.household,
        "may_write": may_write,
        "as_of": as_of,
        "row": selectors.lot_with_price(user=request.user, lot=lot, as_of=as_of),
        "transactions": selectors.recent_transactions(user=request.user, lot=lot),
    }
    return render(request, "clients/lot_detail.html", context)


def _add_errors(form: HouseholdForm | TransactionForm, exc: ValidationError) -> None:
    """Put a service's field errors on the form's fields (the rest on the form itself)."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field_name, field_errors in errors.items():
        form.add_error(field_name if field_name in form.fields else None, field_errors)

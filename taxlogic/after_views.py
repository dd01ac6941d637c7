"""Pages of what comes after the plan: the firm's trade blotter (bulk approval, order files),
the do-not-buy calendar, a sale preview and the planned gains. Thin: scope, call a selector or
service, render; every control is a real form or link."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from advisors import scoping
from advisors.models import Advisor
from clients.models import Household, TaxLot
from clients.views import HtmxHttpRequest
from taxlogic import blotter, planned
from taxlogic.forms import PlannedRealizationForm
from taxlogic.models import PlannedRealization, Recommendation, WashAlert, WashWatch
from taxlogic.preview import SaleRequest, sale_preview


def _filters(request: HtmxHttpRequest) -> dict[str, str]:
    get = request.GET if request.method == "GET" else request.POST
    return {
        key: get.get(key, "").strip()
        for key in ("team", "advisor", "custodian", "status")
        if get.get(key, "").strip()
    }


def _valid_uuid(value: str) -> str:
    try:
        return str(UUID(value)) if value else ""
    except ValueError:
        return ""


@login_required
@require_GET
def blotter_page(request: HtmxHttpRequest) -> HttpResponse:
    """Every trade of the current plans, by custodian; filter, approve in bulk, export."""
    filters = _filters(request)
    year = timezone.localdate().year
    rows = list(
        blotter.blotter_rows(
            user=request.user,
            tax_year=year,
            status=filters.get("status", "approved"),
            team=_valid_uuid(filters.get("team", "")),
            advisor=_valid_uuid(filters.get("advisor", "")),
            custodian=filters.get("custodian", ""),
        )
    )
    for r in rows:
        r.may_approve = blotter.may_give_approval(request.user, r)
    custodians: dict[str, list[Recommendation]] = {}
    for r in rows:
        custodians.setdefault(r.account.custodian, []).append(r)
    context = {
        "rows": rows,
        "custodians": custodians,
        "filters": filters,
        "status": filters.get("status", "approved"),
        "teams": scoping.teams_visible(request.user),
        "advisors": scoping.advisors_visible(request.user),
        "custodian_names": sorted(
            set(
                scoping.visible(request.user, Household)
                .values_list("accounts__custodian", flat=True)
                .exclude(accounts__custodian=None)
            )
        ),
        "statuses": [
            ("approved", "Approved"),
            ("checking", "Awaiting a second approval"),
            ("open", "Open"),
        ],
        "any_to_approve": any(r.may_approve for r in rows),
    }
    return render(request, "taxlogic/blotter.html", context)


@login_required
@require_POST
def blotter_approve(request: HtmxHttpRequest) -> HttpResponse:
    """Approve the checked trades the user may approve (a second approval where required)."""
    ids = [_valid_uuid(v) for v in request.POST.getlist("recommendation")]
    chosen = list(
        scoping.writable(request.user, Recommendation)
        .filter(public_id__in=[i for i in ids if i], plan__is_current=True)
        .select_related("household", "security")
    )
    if not chosen:
        messages.error(request, "Choose the trades to approve.")
    else:
        result = blotter.blotter_approve(user=request.user, recommendations=chosen)
        if result.done:
            messages.success(request, f"{len(result.done)} approved.")
        for error in result.errors.values():
            messages.error(request, error)
    query = request.POST.get("next_query", "")
    return redirect(f"{reverse('taxlogic:blotter')}?{query}" if query else "taxlogic:blotter")


@login_required
@require_GET
def blotter_export(request: HtmxHttpRequest) -> HttpResponse:
    """The approved trades of one custodian as an order file (logged)."""
    if not isinstance(request.user, Advisor) or request.user.firm_id is None:
        return HttpResponseForbidden("Order files belong to a firm.")
    custodian = request.GET.get("custodian", "")
    fmt = request.GET.get("format", "generic")
    order_type = request.GET.get("order_type", "market")
    filters = _filters(request)
    rows = list(
        blotter.blotter_rows(
            user=request.user,
            tax_year=timezone.localdate().year,
            team=_valid_uuid(filters.get("team", "")),
            advisor=_valid_uuid(filters.get("advisor", "")),
            custodian=custodian,
        )
    )
    try:
        text = blotter.blotter_export(
            user=request.user,
            recommendations=rows,
            fmt=fmt,
            order_type=order_type,
            custodian=custodian,
            filters=filters,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("taxlogic:blotter")
    response = HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{blotter.export_name(custodian, fmt)}"'
    )
    return response


@login_required
@require_GET
def calendar_page(request: HtmxHttpRequest) -> HttpResponse:
    """The firm's do-not-buy calendar: every loss sale's window still open, with its alerts."""
    today = timezone.localdate()
    watches = list(
        scoping.visible(request.user, WashWatch)
        .filter(through__gte=today)
        .select_related("household", "security", "account", "recommendation")
        .order_by("through", "household__name", "id")
    )
    alerts: dict[int, list[WashAlert]] = {}
    for alert in (
        scoping.visible(request.user, WashAlert)
        .filter(watch__in=watches)
        .select_related("acquisition__security")
    ):
        alerts.setdefault(alert.watch_id, []).append(alert)
    for w in watches:
        w.alert_list = alerts.get(w.pk, [])
        w.days_left = (w.through - today).days
    return render(request, "taxlogic/calendar.html", {"watches": watches, "today": today})


def _household(request: HtmxHttpRequest, household_id: UUID) -> tuple[Household, bool]:
    return scoping.object_for_user(request.user, Household.objects.all(), public_id=household_id)


@login_required
@require_http_methods(["GET", "POST"])
def preview_page(request: HtmxHttpRequest, household_id: UUID) -> HttpResponse:
    """Preview a sale: choose lots and quantities, see the tax impact; nothing is recorded."""
    household, _ = _household(request, household_id)
    lots = list(
        scoping.visible(request.user, TaxLot)
        .filter(account__household=household, quantity__gt=0, account__treatment="taxable")
        .select_related("security", "account")
        .order_by("security__symbol", "acquired", "id")
    )
    chosen = set(request.POST.getlist("lot") or request.GET.getlist("lot"))
    result, errors = None, {}
    if request.method == "POST":
        sales = []
        for lot in lots:
            key = str(lot.public_id)
            if key not in chosen:
                continue
            raw = request.POST.get(f"quantity-{key}", "") or f"{lot.quantity}"
            try:
                sales.append(SaleRequest(lot, Decimal(raw)))
            except InvalidOperation:
                errors[key] = f"“{raw}” is not a number of shares."
        if not errors:
            try:
                result = sale_preview(user=request.user, household=household, sales=sales)
            except ValidationError as exc:
                errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
    context = {
        "household": household,
        "lots": lots,
        "chosen": chosen,
        "result": result,
        "errors": errors,
    }
    return render(request, "taxlogic/preview.html", context, status=422 if errors else 200)


@login_required
@require_POST
def planned_add(request: HtmxHttpRequest, household_id: UUID) -> HttpResponse:
    """Add a gain (or loss) the client plans to realize outside our accounts."""
    household, may_write = _household(request, household_id)
    if not may_write:
        return HttpResponseForbidden("You may see this household but not change it.")
    form = PlannedRealizationForm(request.POST)
    if form.is_valid():
        try:
            planned.planned_realization_add(
                user=request.user, household=household, **form.cleaned_data
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, "Planned gain added: run a review to plan around it.")
    else:
        for field, errs in form.errors.items():
            messages.error(
                request,
                f"{form.fields[field].label if field in form.fields else ''}: {' '.join(errs)}",
            )
    return redirect(reverse("taxlogic:plan", args=[household.public_id]) + "#planned")


@login_required
@require_POST
def planned_remove(request: HtmxHttpRequest, household_id: UUID, planned_id: UUID) -> HttpResponse:
    household, may_write = _household(request, household_id)
    if not may_write:
        return HttpResponseForbidden("You may see this household but not change it.")
    found = scoping.writable(request.user, PlannedRealization).filter(
        household=household, public_id=planned_id
    )
    found.delete()
    messages.success(request, "Planned gain removed.")
    return redirect(reverse("taxlogic:plan", args=[household.public_id]) + "#planned")

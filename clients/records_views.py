"""Pages of the book's records: a household's carryforward ledger, the firm's replacement list
(versioned) and new securities for the master. Thin: scope, call a service, render."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from advisors import scoping
from advisors.models import Firm
from clients import ledger, replacements
from clients.ledger_page import ledger_context, people_on_return
from clients.models import Household, Replacement, ReplacementListVersion
from clients.records_forms import CarryforwardForm, ReplacementForm, SecurityForm
from clients.views import HtmxHttpRequest, _get_household_for_user


def _add_errors(form: Form, exc: ValidationError) -> None:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for name, messages_ in errors.items():
        form.add_error(name if name in form.fields else None, messages_)


# --- the carryforward ledger ------------------------------------------------------------------


def _ledger_response(
    request: HtmxHttpRequest, household: Household, context: dict, status: int = 200
) -> HttpResponse:
    template = "clients/carryforward.html"
    if request.htmx:
        template += "#ledger"
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def carryforward(request: HtmxHttpRequest, household_id: UUID) -> HttpResponse:
    """The ledger on a page of its own (the household page shows the same partial); POST
    enters or corrects one figure with its reason, writing nothing on error."""
    household, may_write = _get_household_for_user(request, household_id)
    if request.method == "GET":
        return _ledger_response(request, household, ledger_context(household, may_write=may_write))
    if not may_write:
        return HttpResponseForbidden("You may see this household but not change it.")
    form = CarryforwardForm(request.POST, people=people_on_return(household))
    if form.is_valid():
        data = form.cleaned_data
        try:
            ledger.carryforward_enter(
                user=request.user,
                household=household,
                person=data["person"],
                tax_year=data["tax_year"],
                character=data["character"],
                amount=data["amount"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if not request.htmx:
                messages.success(request, "Carryforward recorded.")
                return redirect("clients:household_detail", household_id=household.public_id)
            return _ledger_response(request, household, ledger_context(household, may_write=True))
    context = ledger_context(household, may_write=True, form=form)
    # htmx swaps only 2xx answers by default: the form with its errors comes back as 200.
    return _ledger_response(request, household, context, status=200 if request.htmx else 400)


@login_required
@require_POST
def carryforward_roll(request: HtmxHttpRequest, household_id: UUID) -> HttpResponse:
    """Roll this year's carryforward from last year's plan, or confirm the rolled figures."""
    household, may_write = _get_household_for_user(request, household_id)
    if not may_write:
        return HttpResponseForbidden("You may see this household but not change it.")
    year = timezone.localdate().year
    if request.POST.get("confirm"):
        count = ledger.carryforward_confirm(user=request.user, household=household, tax_year=year)
        messages.success(request, f"{count} rolled figure{'s' if count != 1 else ''} confirmed.")
    else:
        written = ledger.carryforward_roll(household=household, tax_year=year)
        if written:
            messages.success(request, f"Carryforward into {year} rolled from the {year - 1} plan.")
        else:
            messages.info(request, f"Nothing to roll: no change since the {year - 1} plan.")
    if request.htmx:
        return _ledger_response(request, household, ledger_context(household, may_write=True))
    return redirect("clients:household_detail", household_id=household.public_id)


# --- the replacement list ---------------------------------------------------------------------


def _firm(request: HtmxHttpRequest) -> Firm:
    firm = scoping.visible(request.user, Firm).filter(pk=request.user.firm_id).first()
    if firm is None:
        raise PermissionDenied("The replacement list belongs to a firm.")
    return firm


def _list_context(request: HtmxHttpRequest, firm: Firm, form: Form | None = None) -> dict:
    may_write = scoping.writable(request.user, Firm).filter(pk=firm.pk).exists()
    versions = list(
        scoping.visible(request.user, ReplacementListVersion)
        .filter(firm=firm)
        .select_related("created_by")
        .order_by("-number")
    )
    shown = None
    wanted = request.GET.get("version", "")
    if wanted.isdigit():
        shown = next((v for v in versions if v.number == int(wanted)), None)
    return {
        "firm": firm,
        "may_write": may_write,
        "may_add_security": scoping.may_add_security(request.user),
        "entries": replacements.replacement_list(firm, user=request.user),
        "current": versions[0] if versions else None,
        "versions": versions,
        "shown": shown,
        "form": form if form is not None else (ReplacementForm() if may_write else None),
    }


@login_required
@require_GET
def replacement_list(request: HtmxHttpRequest) -> HttpResponse:
    firm = _firm(request)
    return render(request, "clients/replacement_list.html", _list_context(request, firm))


@login_required
@require_POST
def replacement_add(request: HtmxHttpRequest) -> HttpResponse:
    firm = _firm(request)
    if not scoping.writable(request.user, Firm).filter(pk=firm.pk).exists():
        return HttpResponseForbidden("Only the firm's admins change its replacement list.")
    form = ReplacementForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            version = replacements.replacement_add(
                user=request.user,
                firm=firm,
                security=data["security"],
                replacement=data["replacement"],
                rank=data["rank"],
                reason=data["reason"],
                both_ways=data["both_ways"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Saved as version {version.number} of the list.")
            return redirect("clients:replacement_list")
    context = _list_context(request, firm, form=form)
    return render(request, "clients/replacement_list.html", context, status=400)


@login_required
@require_POST
def replacement_remove(request: HtmxHttpRequest, entry_id: int) -> HttpResponse:
    firm = _firm(request)
    entry = scoping.writable(request.user, Replacement).filter(pk=entry_id, firm=firm).first()
    if entry is None:
        return HttpResponseForbidden("Only the firm's admins change its replacement list.")
    version = replacements.replacement_remove(
        user=request.user, firm=firm, entry=entry, reason=request.POST.get("reason", "")
    )
    messages.success(request, f"Removed; version {version.number} of the list.")
    return redirect("clients:replacement_list")


@login_required
@require_http_methods(["GET", "POST"])
def security_create(request: HtmxHttpRequest) -> HttpResponse:
    if not scoping.may_add_security(request.user):
        return HttpResponseForbidden("Only firm admins add securities.")
    form = SecurityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            security = replacements.security_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"{security.symbol} added to the security master.")
            return redirect("clients:replacement_list")
    status = 400 if request.method == "POST" else 200
    return render(request, "clients/security_form.html", {"form": form}, status=status)

"""The onboarding pages: a household, its people, accounts, tax profiles, lots and
transactions, created and corrected on the site. Thin: scope, parse a form, call the service
the API calls, render. A service's ValidationError lands on the field it names, and nothing is
written (every service is atomic)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from advisors import scoping
from clients import book, services
from clients.book_forms import (
    GIFT,
    INHERITED,
    KIND_CHOICES,
    KIND_GROUPS,
    AccountBookForm,
    HouseholdBookForm,
    LotBookForm,
    PersonBookForm,
    ReversalForm,
    TaxProfileBookForm,
    TransactionBookForm,
)
from clients.models import (
    CLOSING_ACTIONS,
    AcquiredHow,
    Person,
    PersonRole,
    TaxProfile,
    Transaction,
)
from clients.views import (
    HtmxHttpRequest,
    _get_account_for_user,
    _get_household_for_user,
    _partial_or_page,
)


def add_errors(
    form: forms.Form, error: ValidationError | PermissionDenied, field: str = ""
) -> None:
    """Put a service's errors on the fields they name (the rest on the form itself)."""
    if isinstance(error, PermissionDenied):
        form.add_error(field or None, str(error) or "You may not do that.")
        return
    found = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for name, texts in found.items():
        form.add_error(name if name in form.fields else None, texts)


def _refs_text(owner: Any) -> str:
    return "\n".join(f"{r.system}:{r.external_id}" for r in owner.external_refs.all())


# --- Households -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def household_create(request: HtmxHttpRequest) -> HttpResponse:
    advisors = scoping.assignable_advisors(request.user)
    if not advisors.exists():
        return HttpResponseForbidden("You may not create households.")
    teams = scoping.assignable_teams(request.user)
    form = HouseholdBookForm(
        request.POST or None,
        advisors=advisors,
        teams=teams,
        initial={"primary_advisor": request.user.public_id}
        if advisors.filter(pk=request.user.pk).exists()
        else None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            household = services.household_create(
                actor=request.user,
                name=data["name"],
                primary_advisor=data["primary_advisor"],
                team=data["team"],
                external_crm_id=data["external_crm_id"],
                external_refs=data["external_refs"],
                notes=data["notes"],
            )
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error, "primary_advisor")
        else:
            messages.success(request, f"Created {household.name}. Add its people next.")
            return redirect("clients:household_detail", household_id=household.public_id)
    return render(request, "clients/book/household_form.html", {"form": form, "household": None})


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request: HtmxHttpRequest, household_id: UUID) -> HttpResponse:
    household, may_write = _get_household_for_user(request, household_id)
    if not may_write:
        return HttpResponseForbidden("You may see this household but not change it.")
    advisors = scoping.assignable_advisors(request.user)
    if household.primary_advisor_id:
        advisors = advisors | scoping.people_visible_to(request.user).filter(
            pk=household.primary_advisor_id
        )
    teams = scoping.assignable_teams(request.user)
    if household.team_id:
        teams = teams | scoping.visible(request.user, type(household.team)).filter(
            pk=household.team_id
        )
    initial = {
        "name": household.name,
        "primary_advisor": household.primary_advisor.public_id,
        "team": household.team.public_id
        if household.team and household.team_id != household.primary_advisor.team_id
        else None,
        "external_crm_id": household.external_crm_id,
        "external_refs": _refs_text(household),
        "notes": household.notes,
    }
    form = HouseholdBookForm(
        request.POST or None,
        advisors=advisors.distinct(),
        teams=teams.distinct(),
        editing=True,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        advisor = data["primary_advisor"] or household.primary_advisor
        changes: dict[str, Any] = {
            "name": data["name"],
            "external_crm_id": data["external_crm_id"],
            "notes": data["notes"],
        }
        if advisor.pk != household.primary_advisor_id:
            changes["primary_advisor"] = advisor
        team = data["team"] if data["team"] is not None else advisor.team
        if team != household.team or "primary_advisor" in changes:
            changes["team"] = team
        refs = data["external_refs"] if "external_refs" in request.POST else None
        try:
            services.household_change(
                actor=request.user, household=household, changes=changes, external_refs=refs
            )
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error, "primary_advisor")
        else:
            messages.success(request, f"Saved {data['name']}.")
            return redirect("clients:household_detail", household_id=household.public_id)
    context = {"form": form, "household": household}
    return render(request, "clients/book/household_form.html", context)


# --- People ---------------------------------------------------------------------------------


def _get_person_for_user(request: HtmxHttpRequest, public_id: UUID) -> tuple[Person, bool]:
    queryset = Person.objects.select_related("household__primary_advisor", "household__team")
    return scoping.object_for_user(request.user, queryset, public_id=public_id)


@login_required
@require_http_methods(["GET", "POST"])
def person_create(request: HtmxHttpRequest, household_id: UUID) -> HttpResponse:
    household, may_write = _get_household_for_user(request, household_id)
    if not may_write:
        return HttpResponseForbidden("You may see this household but not change it.")
    roles = set(household.people.values_list("role", flat=True))
    role = next(
        (r for r in (PersonRole.TAXPAYER, PersonRole.SPOUSE) if r not in roles),
        PersonRole.DEPENDENT,
    )
    form = PersonBookForm(request.POST or None, initial={"role": request.GET.get("role", role)})
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_create(
                actor=request.user, household=household, **form.cleaned_data
            )
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Added {person.name} ({person.get_role_display()}).")
            if "another" in request.POST:
                return redirect("clients:person_create", household_id=household.public_id)
            return redirect("clients:household_detail", household_id=household.public_id)
    context = {"form": form, "household": household, "person": None}
    return render(request, "clients/book/person_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HtmxHttpRequest, person_id: UUID) -> HttpResponse:
    person, may_write = _get_person_for_user(request, person_id)
    if not may_write:
        return HttpResponseForbidden("You may see this person but not change them.")
    household = person.household
    initial = {
        f: getattr(person, f) for f in ("role", "name", "date_of_birth", "blind", "date_of_death")
    }
    form = PersonBookForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_change(actor=request.user, person=person, changes=form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Saved {person.name}.")
            return redirect("clients:household_detail", household_id=household.public_id)
    context = {"form": form, "household": household, "person": person}
    return render(request, "clients/book/person_form.html", context)


# --- Accounts -------------------------------------------------------------------------------


def _account_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": data["type"],
        "owner": data["owner"],
        "custodian": data["custodian"],
        "account_number": data["account_number"],
        "opened": data["opened"],
        "closed": data["closed"],
        "relief_method": data["relief_method"],
        "average_basis": data["average_basis"],
        "held_away": data["held_away"],
    }


@login_required
@require_http_methods(["GET", "POST"])
def account_create(request: HtmxHttpRequest, household_id: UUID) -> HttpResponse:
    household, may_write = _get_household_for_user(request, household_id)
    if not may_write:
        return HttpResponseForbidden("You may see this household but not change it.")
    people = scoping.visible(request.user, Person).filter(household=household)
    form = AccountBookForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_create(
                actor=request.user, household=household, **_account_fields(form.cleaned_data)
            )
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Added {account}.")
            if "another" in request.POST:
                return redirect("clients:account_create", household_id=household.public_id)
            return redirect("clients:household_detail", household_id=household.public_id)
    context = {"form": form, "household": household, "account": None}
    return render(request, "clients/book/account_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request: HtmxHttpRequest, account_id: UUID) -> HttpResponse:
    account, may_write = _get_account_for_user(request, account_id)
    if not may_write:
        return HttpResponseForbidden("You may see this account but not change it.")
    household = account.household
    people = scoping.visible(request.user, Person).filter(household=household)
    initial = {
        "type": account.type,
        "owner": account.owner.public_id,
        "custodian": account.custodian,
        "opened": account.opened,
        "closed": account.closed,
        "relief_method": account.relief_method,
        "average_basis": account.average_basis,
        "held_away": account.held_away,
    }
    form = AccountBookForm(request.POST or None, people=people, initial=initial)
    # The full number is never shown again; left empty, it stays as it is.
    form.fields[
        "account_number"
    ].help_text = (
        f"Now {account.masked_number}. Leave empty to keep it; type the full number to change it."
    )
    if request.method == "POST" and form.is_valid():
        changes = _account_fields(form.cleaned_data)
        if not changes["account_number"]:
            del changes["account_number"]
        try:
            services.account_change(actor=request.user, account=account, changes=changes)
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Saved {account}.")
            return redirect("clients:account_detail", account_id=account.public_id)
    context = {"form": form, "household": household, "account": account}
    return render(request, "clients/book/account_form.html", context)


# --- Tax profiles ---------------------------------------------------------------------------

_NOT_FIELDS = {"id", "public_id", "household", "tax_year", "updated"}


@login_required
@require_http_methods(["GET", "POST"])
def tax_profile(request: HtmxHttpRequest, household_id: UUID, tax_year: int) -> HttpResponse:
    """The household's return for ``tax_year``: created on the first save, changed after."""
    household, may_write = _get_household_for_user(request, household_id)
    if not 2000 <= tax_year <= 2100:
        raise Http404("No such tax year.")
    profile = (
        scoping.visible(request.user, TaxProfile)
        .filter(household=household, tax_year=tax_year)
        .first()
    )
    if request.method == "POST" and not may_write:
        return HttpResponseForbidden("You may see this household but not change it.")
    if profile is not None:
        initial = {
            f.name: getattr(profile, f.name)
            for f in TaxProfile._meta.concrete_fields
            if f.name not in _NOT_FIELDS
        }
        itemized = profile.state_local_taxes is not None
        itemized = itemized or profile.other_itemized_deductions is not None
        initial["deductions"] = "itemized" if itemized else "standard"
    else:
        earlier = (
            scoping.visible(request.user, TaxProfile)
            .filter(household=household, tax_year__lt=tax_year)
            .order_by("-tax_year")
            .first()
        )
        initial = {"filing_status": earlier.filing_status if earlier else None}
        initial |= {"carryforward_short_term": 0, "carryforward_long_term": 0}
    initial["tax_year"] = tax_year
    data = request.POST.copy() if request.method == "POST" else None
    if data is not None:
        data["tax_year"] = str(tax_year)
    form = TaxProfileBookForm(data, initial=initial, year_fixed=True)
    if request.method == "POST" and form.is_valid():
        fields = form.profile_fields()
        try:
            if profile is None:
                services.tax_profile_create(
                    actor=request.user, household=household, tax_year=tax_year, fields=fields
                )
            else:
                services.tax_profile_change(actor=request.user, profile=profile, changes=fields)
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Saved the {tax_year} tax profile.")
            return redirect("clients:household_detail", household_id=household.public_id)
    context = {
        "form": form,
        "household": household,
        "profile": profile,
        "tax_year": tax_year,
        "may_write": may_write,
        "years": [tax_year - 1, tax_year + 1],
    }
    return render(request, "clients/book/tax_profile_form.html", context)


@login_required
@require_http_methods(["GET"])
def tax_profile_current(request: HtmxHttpRequest, household_id: UUID) -> HttpResponse:
    household, _ = _get_household_for_user(request, household_id)
    year = timezone.localdate().year
    return redirect("clients:tax_profile", household_id=household.public_id, tax_year=year)


# --- Transactions and lots ------------------------------------------------------------------


def _open_lots(request: HtmxHttpRequest, account: Any) -> Any:
    return (
        scoping.lots_visible_to(request.user)
        .filter(account=account, quantity__gt=0)
        .select_related("security")
        .order_by("security__symbol", "acquired", "id")
    )


def _record(form: TransactionBookForm, account: Any, request: HtmxHttpRequest) -> None:
    """Record what the form says, through the same services the API uses."""
    data = form.cleaned_data
    kind = data["action"]
    price = data["price"] if data["price"] is not None else services.ZERO
    fees = data["fees"] if data["fees"] is not None else services.ZERO
    if kind in CLOSING_ACTIONS:
        chosen = form.chosen_lots()
        if chosen == [(None, data["quantity"])]:
            raise ValidationError({"lot": "Choose the lot (or lots) the shares come from."})
        book.sale_from_lots_record(
            account=account,
            action=kind,
            trade_date=data["trade_date"],
            lots=chosen,
            price=price,
            fees=fees,
            amount=data["amount"],
            recorded_by=request.user,
            actor=request.user,
            field_of={lot.pk: f"sell_{lot.public_id}" for lot, _ in chosen if len(chosen) > 1},
        )
        return
    if data["security"] is None:
        raise ValidationError({"security": "Choose the security."})
    how = {GIFT: AcquiredHow.GIFT, INHERITED: AcquiredHow.INHERITED}.get(kind, "purchase")
    action = "transfer_in" if kind in (GIFT, INHERITED) else kind
    quantity = data["quantity"]
    if quantity is None:
        if action in ("buy", "reinvest", "transfer_in"):
            raise ValidationError({"quantity": "Enter the number of shares."})
        quantity = services.ZERO
    services.transaction_record(
        account=account,
        security=data["security"],
        action=action,
        trade_date=data["trade_date"],
        quantity=quantity,
        price=price,
        fees=fees,
        amount=data["amount"],
        acquired=data["acquired"],
        cost_basis=data["cost_basis"],
        how_acquired=how,
        gift_date=data["gift_date"],
        gift_value=data["gift_value"],
        ratio=data["ratio"],
        external_id=data["external_id"],
        recorded_by=request.user,
        actor=request.user,
    )


@login_required
@require_http_methods(["GET", "POST"])
def transaction_create(request: HtmxHttpRequest, account_id: UUID) -> HttpResponse:
    account, may_write = _get_account_for_user(request, account_id)
    if not may_write:
        return HttpResponseForbidden("You may see this account but not change it.")
    lots = _open_lots(request, account)
    initial = {"trade_date": timezone.localdate(), "action": request.GET.get("action", "buy")}
    for name in ("security", "quantity", "price", "fees", "amount", "lot", "acquired"):
        if name in request.GET:
            initial[name] = request.GET[name]
    form = TransactionBookForm(request.POST or None, lots=lots, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                _record(form, account, request)
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
        else:
            messages.success(request, "Transaction recorded.")
            if "another" in request.POST:
                return redirect("clients:transaction_create", account_id=account.public_id)
            return redirect("clients:account_detail", account_id=account.public_id)
    kind = form["action"].value() or "buy"
    context = {
        "account": account,
        "household": account.household,
        "form": form,
        "groups": KIND_GROUPS.get(kind, set().union(*KIND_GROUPS.values())),
        "kind": kind,
        "kinds": KIND_CHOICES,
    }
    template = _partial_or_page(request, "clients/book/transaction_form.html", "fields")
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def lot_create(request: HtmxHttpRequest, account_id: UUID) -> HttpResponse:
    """An open lot as the custodian reports it (``services.lot_open``, as the API's)."""
    account, may_write = _get_account_for_user(request, account_id)
    if not may_write:
        return HttpResponseForbidden("You may see this account but not change it.")
    form = LotBookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        row = services.LotInput(
            account=account,
            security=data["security"],
            quantity=data["quantity"],
            cost_basis=data["cost_basis"],
            acquired=data["acquired"],
            how_acquired=data["how_acquired"],
            gift_date=data["gift_date"],
            gift_value=data["gift_value"],
            wash_sale_adjustment=data["wash_sale_adjustment"] or services.ZERO,
            external_id=data["external_id"],
        )
        try:
            lot = services.lot_open(actor=request.user, row=row)
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Added the {lot.security} lot of {lot.acquired:%Y-%m-%d}.")
            if "another" in request.POST:
                return redirect("clients:lot_create", account_id=account.public_id)
            return redirect("clients:account_detail", account_id=account.public_id)
    context = {"form": form, "account": account, "household": account.household}
    return render(request, "clients/book/lot_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def transaction_reverse(request: HtmxHttpRequest, transaction_id: UUID) -> HttpResponse:
    """A correction: the reversal of a transaction (then, the right one entered anew)."""
    queryset = Transaction.objects.select_related(
        "account__household", "security", "lot", "account__owner"
    )
    original, may_write = scoping.object_for_user(request.user, queryset, public_id=transaction_id)
    if not may_write:
        return HttpResponseForbidden("You may see this transaction but not change it.")
    account = original.account
    form = ReversalForm(request.POST or None, initial={"trade_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.transaction_record(
                account=account,
                security=original.security,
                action="reversal",
                trade_date=form.cleaned_data["trade_date"],
                quantity=services.ZERO,
                price=services.ZERO,
                reverses=original,
                recorded_by=request.user,
                actor=request.user,
            )
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            if "reverses" in getattr(error, "message_dict", {}):
                form.add_error(None, error.message_dict["reverses"])
        else:
            messages.success(request, "Reversed. Now enter the transaction as it should be.")
            query = _reentry_query(original)
            url = reverse("clients:transaction_create", args=[account.public_id])
            return redirect(f"{url}?{query}")
    context = {
        "form": form,
        "original": original,
        "account": account,
        "household": account.household,
    }
    return render(request, "clients/book/reversal_form.html", context)


def _reentry_query(original: Transaction) -> str:
    from urllib.parse import urlencode

    params = {
        "action": original.action,
        "security": str(original.security.public_id),
        "quantity": f"{original.quantity.normalize():f}",
        "price": f"{original.price.normalize():f}",
        "fees": f"{original.fees:.2f}",
    }
    if original.action in CLOSING_ACTIONS and original.lot is not None:
        params["lot"] = str(original.lot.public_id)
    return urlencode(params)

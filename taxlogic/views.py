"""Action plan pages: the plan, its decisions, running a review, the exports, the firm's
settings. Thin: scope, call a selector or service, render; every htmx request gets a partial
of the same page template, and every control is a real link or form that works without it.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from advisors import exports, scoping
from advisors.models import Firm
from clients.models import Household
from clients.views import HtmxHttpRequest
from taxlogic import selectors, services
from taxlogic.forms import DecisionForm, HarvestSettingsForm
from taxlogic.models import Recommendation, Review

PLAN = "taxlogic/plan.html"
PLAN_CHANGED = "planChanged"
PLAN_READY = "planReady"
# Parts of the plan page an htmx request may ask for (GET ?part=…).
PARTS = frozenset({"plan-body", "progress"})


def _get_household_for_user(request: HtmxHttpRequest, public_id: UUID) -> tuple[Household, bool]:
    return scoping.object_for_user(request.user, Household.objects.all(), public_id=public_id)


def _plan_context(
    request: HtmxHttpRequest, household: Household, may_write: bool, plan_id: UUID | None = None
) -> dict[str, object]:
    page = selectors.plan_page(
        user=request.user,
        household=household,
        tax_year=timezone.localdate().year,
        plan_id=plan_id,
    )
    if plan_id is not None and page.plan is None:
        raise Http404("No such plan.")
    current = page.plan is not None and page.plan.is_current
    return {
        "household": household,
        "may_write": may_write,
        "may_decide": may_write and current,
        "page": page,
        "plan": page.plan,
        "review": page.review,
    }


@login_required
@require_GET
def plan_detail(
    request: HtmxHttpRequest, household_id: UUID, plan_id: UUID | None = None
) -> HttpResponse:
    """The household's action plan (or an earlier one); htmx asks for ``?part=``."""
    household, may_write = _get_household_for_user(request, household_id)
    part = ""
    if request.htmx and not request.htmx.history_restore_request:
        part = request.GET.get("part", "plan-body")
        part = part if part in PARTS else "plan-body"
    if part == "progress":  # polled after each decision: the counts only
        plan, progress = selectors.plan_progress(
            user=request.user,
            household=household,
            tax_year=timezone.localdate().year,
            plan_id=plan_id,
        )
        if plan_id is not None and plan is None:
            raise Http404("No such plan.")
        context: dict[str, object] = {"household": household, "plan": plan, "page": progress}
    else:
        context = _plan_context(request, household, may_write, plan_id)
    response = render(request, f"{PLAN}#{part}" if part else PLAN, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_GET
def plan_print(request: HtmxHttpRequest, household_id: UUID) -> HttpResponse:
    """The plan on paper: the same content, no controls, a print stylesheet."""
    household, may_write = _get_household_for_user(request, household_id)
    context = _plan_context(request, household, may_write)
    if context["plan"] is None:
        raise Http404("No plan yet.")
    return render(request, "taxlogic/plan_print.html", context)


@login_required
@require_GET
def plan_inputs(request: HtmxHttpRequest, household_id: UUID, plan_id: UUID) -> JsonResponse:
    """The exact inputs a plan was computed from (a case for ``python -m taxlogic`` plus the
    planner's settings), with the engine version and hash: for re-running, and examiners."""
    household, _ = _get_household_for_user(request, household_id)
    review = (
        scoping.visible(request.user, Review)
        .filter(household=household, plan__public_id=plan_id, reused=False)
        .first()
    )
    if review is None:
        raise Http404("No such plan.")
    body = {
        "review": str(review.public_id),
        "as_of": review.as_of.isoformat(),
        "engine_version": review.engine_version,
        "inputs_hash": review.inputs_hash,
        "inputs": review.inputs,
    }
    response = JsonResponse(body, json_dumps_params={"indent": 1, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="plan-inputs-{plan_id}.json"'
    return response


def _trade_rows(recommendations: Iterable[Recommendation]) -> list[list[str]]:
    """The approved trades as orders: sales of one security in one account together, naming
    their lots (specific identification), then the replacement buys."""
    sells: dict[tuple[str, str], list[object]] = {}
    buys: dict[tuple[str, str], Decimal] = {}
    for r in recommendations:
        account = f"{r.account.custodian} {r.account.masked_number}"
        lot = r.lot.external_id or str(r.lot.public_id) if r.lot else ""
        entry = sells.setdefault((account, r.security.symbol), [[], Decimal(0)])
        entry[0].append(lot)
        entry[1] += r.quantity or 0
        if r.replacement is None or r.quantity is None:
            continue
        if r.replacement_id == r.security_id:
            quantity = r.quantity  # buy back what was sold (a gain realized at 0%)
        elif r.price and r.replacement_price:
            proceeds = r.quantity * r.price
            quantity = (proceeds / r.replacement_price).quantize(Decimal(1), ROUND_DOWN)
        else:
            continue
        key = (account, r.replacement.symbol)
        buys[key] = buys.get(key, Decimal(0)) + quantity
    rows = [
        [account, symbol, " ".join(lots), f"{quantity.normalize():f}", "SELL"]
        for (account, symbol), (lots, quantity) in sells.items()
    ]
    rows += [
        [account, symbol, "", f"{quantity.normalize():f}", "BUY"]
        for (account, symbol), quantity in buys.items()
        if quantity > 0
    ]
    return rows


@login_required
@require_GET
def plan_trades_csv(request: HtmxHttpRequest, household_id: UUID) -> HttpResponse:
    """The current plan's approved trades as CSV: account, symbol, lots, quantity, side."""
    household, _ = _get_household_for_user(request, household_id)
    today = timezone.localdate()
    approved = selectors.approved_trades(
        user=request.user, household=household, tax_year=today.year
    )
    name = f"trades-{slugify(household.name)}-{today:%Y-%m-%d}.csv"
    # Escaped cells and a BOM (advisors/exports.py): custodian names and lot ids are user data.
    return exports.csv_response(
        filename=name,
        header=["account", "symbol", "lots", "quantity", "side"],
        rows=_trade_rows(approved),
    )


@login_required
@require_POST
def review_create(request: HtmxHttpRequest, household_id: UUID) -> HttpResponse:
    """ "Run review now": queue a review, then show its progress (htmx) or its page."""
    household, may_write = _get_household_for_user(request, household_id)
    if not may_write:
        return HttpResponseForbidden("You may see this household but not run its reviews.")
    review = services.review_request(household=household, user=request.user)
    review.refresh_from_db()  # in the embedded mode the task has already run
    if request.htmx:
        return _progress(request, review)
    return redirect("taxlogic:review_progress", review_id=review.public_id)


def _progress(request: HtmxHttpRequest, review: Review) -> HttpResponse:
    context = {"review": review, "household": review.household}
    response = render(request, "taxlogic/review.html#status", context)
    if review.in_progress:
        return response
    stopped = HttpResponseStopPolling(response.content)
    return trigger_client_event(stopped, PLAN_READY) if review.finished_ok else stopped


@login_required
@require_GET
def review_progress(request: HtmxHttpRequest, review_id: UUID) -> HttpResponse:
    """A review's progress: polled by htmx until done (then polling stops and the plan is
    fetched); without JavaScript, a page that refreshes itself and then goes to the plan."""
    queryset = Review.objects.select_related("household", "plan")
    review, _ = scoping.object_for_user(request.user, queryset, public_id=review_id)
    if request.htmx:
        return _progress(request, review)
    if review.finished_ok:
        return redirect("taxlogic:plan", household_id=review.household.public_id)
    return render(
        request, "taxlogic/review.html", {"review": review, "household": review.household}
    )


@login_required
@require_POST
def recommendation_decide(request: HtmxHttpRequest, recommendation_id: UUID) -> HttpResponse:
    """Approve, dismiss (with a reason), mark executed or reopen; htmx swaps the card in place
    and tells the page the plan changed, a plain form post goes back to the plan."""
    queryset = Recommendation.objects.select_related(
        "household", "account", "security", "lot", "replacement", "plan"
    )
    recommendation, may_write = scoping.object_for_user(
        request.user, queryset, public_id=recommendation_id
    )
    household = recommendation.household
    if not may_write:
        return HttpResponseForbidden("You may see this plan but not decide it.")
    form = DecisionForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            recommendation = services.recommendation_decide(
                recommendation=recommendation,
                user=request.user,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except (ValidationError, PermissionDenied) as exc:
            error = " ".join(getattr(exc, "messages", [str(exc)]))
    else:
        error = "Choose approve, dismiss, executed or reopen."
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, f"{recommendation.get_status_display()}.")
        url = reverse("taxlogic:plan", kwargs={"household_id": household.public_id})
        return redirect(f"{url}#rec-{recommendation.public_id}")
    recommendation.refresh_from_db()
    labels = recommendation.plan.result.get("labels", {})
    recommendation.account_label = labels.get(str(recommendation.account.public_id), "")
    context = {
        "r": recommendation,
        "household": household,
        "may_decide": recommendation.plan.is_current,
        "error": error,
    }
    response = render(request, f"{PLAN}#recommendation", context, status=422 if error else 200)
    return response if error else trigger_client_event(response, PLAN_CHANGED)


@login_required
@require_http_methods(["GET", "POST"])
def harvest_settings(request: HtmxHttpRequest) -> HttpResponse:
    """The firm's harvest settings: firm admins change them, the firm reads them."""
    firm = scoping.visible(request.user, Firm).filter(pk=request.user.firm_id).first()
    if firm is None:
        raise Http404("Harvest settings belong to a firm.")
    may_write = scoping.writable(request.user, Firm).filter(pk=firm.pk).exists()
    found = services.harvest_settings_get(firm_id=firm.pk)
    if request.method == "POST":
        if not may_write:
            return HttpResponseForbidden("Only the firm's admins change its harvest settings.")
        form = HarvestSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.harvest_settings_update(
                    user=request.user, firm=firm, changes=form.changes()
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Saved. Reviews from now on use these settings.")
                return redirect("taxlogic:settings")
    else:
        form = HarvestSettingsForm(initial=HarvestSettingsForm.initial_from(found))
    if not may_write:
        for bound in form.fields.values():
            bound.disabled = True
    context = {"form": form, "settings": found, "firm": firm, "may_write": may_write}
    return render(request, "taxlogic/settings.html", context)

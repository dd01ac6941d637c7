"""Year-end review pages: the firm's runs with live progress, starting and resuming a run, and
each advisor's households whose plan changed. Thin: scope, call taxlogic/year_end.py, render.

Who sees what follows advisors/scoping.py: firm admins and compliance every run of the firm,
a team lead their team's runs, an advisor no run but the rows of their own households (so the
plans that changed); firm admins start runs for the firm or a team, team leads for their team.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from advisors import scoping
from advisors.models import Firm, Role
from clients.views import HtmxHttpRequest
from taxlogic import year_end
from taxlogic.forms import YearEndStartForm
from taxlogic.models import HouseholdRunStatus, PlanChange, YearEndRun

RUN_PAGE = "taxlogic/year_end_run.html"
RUNS_SHOWN = 30
ROWS_SHOWN = 100
FAILURES_LIVE = 20
CHANGES_SHOWN = 50  # changed-plan rows a page of the runs page (older ones a link away)


def _start_form(request: HtmxHttpRequest, data: object = None) -> YearEndStartForm | None:
    user = request.user
    if not year_end.may_start_runs(user):
        return None
    firm = Firm.objects.get(pk=user.firm_id)
    return YearEndStartForm(
        data,
        teams=year_end.teams_startable_by(user),
        whole_firm=user.role == Role.FIRM_ADMIN,
        initial={"as_of": year_end.firm_today(firm)},
    )


def _page_number(request: HtmxHttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("changes", "1")), 10_000))
    except ValueError:
        return 1


def _changes(user: object, page: int = 1) -> dict[str, object]:
    """One page of the changed-plan rows (``CHANGES_SHOWN``, latest first) as the page prints
    them: plain values (no model instances, no per-row ``{% url %}`` or date filter; README.md,
    "Under load"), and whether there are older ones (one row more is read, no count)."""
    placeholder = UUID(int=0)
    plan_url = reverse("taxlogic:plan", args=[placeholder])
    labels = dict(PlanChange.choices)
    start = (page - 1) * CHANGES_SHOWN
    rows = year_end.changed_rows(user=user, start=start, limit=CHANGES_SHOWN + 1).values_list(
        "household__public_id",
        "household__name",
        "run__tax_year",
        "run__as_of",
        "finished",
        "change",
        "review__plan__tax_saved",
    )
    shown = [
        {
            "url": plan_url.replace(str(placeholder), str(household)),
            "name": name,
            "run": f"{tax_year}, as of {as_of:%Y-%m-%d}"
            + (f" ({timezone.localtime(finished):%Y-%m-%d})" if finished else ""),
            "change": labels.get(change, change),
            "tax_saved": tax_saved,
        }
        for household, name, tax_year, as_of, finished, change, tax_saved in rows
    ]
    return {
        "rows": shown[:CHANGES_SHOWN],
        "page": page,
        "newer": page - 1 if page > 1 else None,
        "older": page + 1 if len(shown) > CHANGES_SHOWN else None,
    }


@login_required
@require_GET
def year_end_runs(request: HtmxHttpRequest) -> HttpResponse:
    """The runs the user may see, the start form, and their households' changed plans."""
    runs = list(year_end.runs_visible(user=request.user)[:RUNS_SHOWN])
    context = {
        "runs": [year_end.run_progress(run) for run in runs],
        "form": _start_form(request),
        "changes": _changes(request.user, _page_number(request)),
    }
    return render(request, "taxlogic/year_end_runs.html", context)


@login_required
@require_POST
def year_end_start(request: HtmxHttpRequest) -> HttpResponse:
    form = _start_form(request, request.POST)
    if form is None:
        raise PermissionDenied("Only firm admins and team leads start year-end reviews.")
    if not form.is_valid():
        runs = list(year_end.runs_visible(user=request.user)[:RUNS_SHOWN])
        context = {
            "runs": [year_end.run_progress(run) for run in runs],
            "form": form,
            "changes": _changes(request.user, _page_number(request)),
        }
        return render(request, "taxlogic/year_end_runs.html", context, status=422)
    run, created = year_end.year_end_request(
        user=request.user, team=form.cleaned_data["team"], as_of=form.cleaned_data["as_of"]
    )
    if created:
        messages.success(request, f"Started: {run.total} households queued.")
    else:
        messages.info(request, "A run over these households is already under way: here it is.")
    return redirect("taxlogic:year_end_run", run_id=run.public_id)


def _run_context(request: HtmxHttpRequest, run: YearEndRun, may_write: bool) -> dict[str, object]:
    rows = year_end.run_rows(user=request.user, run=run)
    return {
        "run": run,
        "p": year_end.run_progress(run),
        "failures": rows.filter(status=HouseholdRunStatus.FAILED)[:FAILURES_LIVE],
        "may_resume": may_write and not run.is_finished,
        "may_retry": may_write
        and run.is_finished
        and run.failed > 0
        and year_end.may_start_runs(request.user),
    }


@login_required
@require_GET
def year_end_run(request: HtmxHttpRequest, run_id: UUID) -> HttpResponse:
    """A run: live progress (htmx polls the ``progress`` partial until the run is finished,
    then polling stops), its failures and the households whose plan changed."""
    queryset = YearEndRun.objects.select_related("firm", "team", "started_by", "retry_of")
    run, may_write = scoping.object_for_user(request.user, queryset, public_id=run_id)
    context = _run_context(request, run, may_write)
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, f"{RUN_PAGE}#progress", context)
        patch_vary_headers(response, ("HX-Request",))
        return HttpResponseStopPolling(response.content) if run.is_finished else response
    rows = year_end.run_rows(user=request.user, run=run)
    context |= {
        "all_failures": rows.filter(status=HouseholdRunStatus.FAILED)[:ROWS_SHOWN],
        "changed": rows.filter(change__in=(PlanChange.CHANGED, PlanChange.NEW))[:ROWS_SHOWN],
    }
    response = render(request, RUN_PAGE, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_POST
def year_end_resume(request: HtmxHttpRequest, run_id: UUID) -> HttpResponse:
    """Queue again whatever of the run is not done (after a broker lost its queue)."""
    run, may_write = scoping.object_for_user(request.user, YearEndRun, public_id=run_id)
    if not may_write:
        raise PermissionDenied("You may see this run but not resume it.")
    chunks = year_end.year_end_resume(run=run, user=request.user)
    if chunks:
        messages.success(request, f"Queued again: {chunks} chunk(s) of pending households.")
    else:
        messages.info(request, "Nothing left to queue.")
    return redirect("taxlogic:year_end_run", run_id=run.public_id)


@login_required
@require_POST
def year_end_retry(request: HtmxHttpRequest, run_id: UUID) -> HttpResponse:
    """Start a run over the failed households of a finished run."""
    run, may_write = scoping.object_for_user(
        request.user, YearEndRun.objects.select_related("firm", "team"), public_id=run_id
    )
    if not may_write:
        raise PermissionDenied("You may see this run but not start reviews of its households.")
    try:
        retry, created = year_end.year_end_retry_failed(run=run, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("taxlogic:year_end_run", run_id=run.public_id)
    if created:
        messages.success(request, f"Started: the {retry.total} failed households queued again.")
    else:
        messages.info(request, "A run over these households is already under way: here it is.")
    return redirect("taxlogic:year_end_run", run_id=retry.public_id)

"""The plan as it stood on a date, as a JSON download (books and records: taxlogic/records.py).

``/plans/households/<id>/record.json?as_of=YYYY-MM-DD[&tax_year=YYYY]``: the plan that was
current at the end of that day (UTC) with each recommendation's status then; the same document
as the API's ``GET /api/v1/households/<id>/action-plan/?as_of=``. The access log records it
(clients.access.AccessLogMiddleware, by ``household_id``)."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET
from rest_framework.request import Request

from advisors import scoping
from clients import bounds
from clients.models import Household
from taxlogic import records


class RecordQuery(forms.Form):
    as_of = bounds.form_date()
    tax_year = forms.IntegerField(min_value=2000, max_value=2100, required=False)


@login_required
@require_GET
def plan_record(request: HttpRequest, household_id: UUID) -> JsonResponse:
    from taxlogic.api import PlanOut, plans_for

    household, _ = scoping.object_for_user(request.user, Household, public_id=household_id)
    query = RecordQuery(request.GET)
    if not query.is_valid():
        return JsonResponse({"errors": query.errors}, status=400)
    day = query.cleaned_data["as_of"]
    tax_year = query.cleaned_data["tax_year"] or day.year
    plan = records.plan_current_on(
        plans_for(request.user), household_id=household.pk, tax_year=tax_year, day=day
    )
    if plan is None:
        raise Http404(f"The household had no plan for {tax_year} on {day:%Y-%m-%d}.")
    data = PlanOut(plan, context={"request": Request(request)}).data
    body = records.as_of_data(data, plan=plan, day=day)
    response = JsonResponse(body, json_dumps_params={"indent": 1, "ensure_ascii": False})
    name = f"plan-{household.public_id}-{day:%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response

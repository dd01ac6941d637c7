"""The access report page: "whose data did this account see?" for a firm's compliance
reviewers and firm admins, about an advisor or an API client of their own firm."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from advisors import exports, scoping
from advisors.models import Role
from clients import access, bounds

REPORT_ROLES = frozenset({Role.COMPLIANCE, Role.FIRM_ADMIN})


class AccessReportForm(forms.Form):
    advisor = forms.UUIDField(required=False, help_text="The advisor's id.")
    client = forms.UUIDField(required=False, label="API client", help_text="The API client's id.")
    since = bounds.form_date(required=False, help_text="Default: 30 days ago.")
    until = bounds.form_date(required=False, help_text="Included. Default: today.")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("advisor") and data.get("client"):
            raise forms.ValidationError("Choose an advisor or an API client, not both.")
        return data


def window(since: datetime.date | None, until: datetime.date | None) -> tuple[Any, Any]:
    today = timezone.localdate()
    since = since or today - datetime.timedelta(days=30)
    until = until or today
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(since, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(
        until + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    return start, end


@login_required
@require_GET
def access_report_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    if getattr(user, "role", None) not in REPORT_ROLES or user.firm_id is None:
        return HttpResponseForbidden("Only compliance reviewers and firm admins see this report.")
    form = AccessReportForm(request.GET or None)
    context: dict[str, Any] = {
        "form": form,
        "advisors": scoping.advisors_visible(user),
        "clients": scoping.api_clients_visible(user),
    }
    if form.is_valid() and (form.cleaned_data["advisor"] or form.cleaned_data["client"]):
        data = form.cleaned_data
        start, end = window(data["since"], data["until"])
        who: dict[str, int]
        if data["advisor"]:
            subject = scoping.advisors_visible(user).filter(public_id=data["advisor"]).first()
            who = {"user_id": subject.pk} if subject else {}
        else:
            subject = scoping.api_clients_visible(user).filter(public_id=data["client"]).first()
            who = {"api_client_id": subject.pk} if subject else {}
        if subject is None:
            raise Http404("No such advisor or API client in your firm.")
        report = access.access_report(**who, start=start, end=end, viewer=user)
        if request.GET.get("format") == "csv":
            return exports.csv_response(
                filename=f"access-{start:%Y%m%d}-{end:%Y%m%d}.csv",
                header=["household", "name", "first seen (UTC)", "last seen (UTC)", "views"],
                rows=[
                    [
                        s.household_public_id,
                        s.household_name,
                        s.first.isoformat(),
                        s.last.isoformat(),
                        s.views,
                    ]
                    for s in report
                ],
            )
        context.update(subject=subject, report=report, start=start, end=end)
    response = render(request, "clients/access_report.html", context)
    response["Cache-Control"] = "no-store"
    return response

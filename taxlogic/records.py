"""Books and records: a delivered plan never changes, and any plan can be shown as it stood on
a date.

- A plan's figures, result and recommendations cannot be updated, and no plan,
  recommendation or decision can be deleted: PostgreSQL triggers refuse it
  (taxlogic/history.py). A re-run makes a new plan and marks the old one superseded (the only
  columns that change: ``is_current``, ``superseded``, ``status``; a recommendation's status
  and decision). The audit trail keeps every change of those.
- ``plan_current_on`` is the plan that was current for a household and tax year at the end of
  a day (UTC); ``statuses_on`` each of its recommendations' statuses then, from the decision
  log (every decision records from- and to-status with its time).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q

from taxlogic.models import ActionPlan, Recommendation, RecommendationDecision

# The columns of a plan and of a recommendation that may change after it was saved.
PLAN_MUTABLE = ("is_current", "superseded", "status", "updated")
RECOMMENDATION_MUTABLE = (
    "status",
    "decided_by",
    "decided_by_client",
    "decided_at",
    "decision_reason",
    # The workflow after the plan (taxlogic/decisions.py, taxlogic/trades.py): the first of two
    # approvals, the recorded sale that carried the trade out, what it realized and credited.
    "first_approved_by",
    "sale",
    "fill",
    "realized_loss",
    "credited_tax_saved",
    "updated",  # the API's sync moment (taxlogic/models.py)
)


def end_of(day: datetime.date) -> datetime.datetime:
    """The first moment after ``day`` (UTC)."""
    return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min).replace(
        tzinfo=datetime.UTC
    )


def plan_current_on(
    plans: Any, *, household_id: int, tax_year: int, day: datetime.date
) -> ActionPlan | None:
    """Of the queryset ``plans`` (already scoped), the household's plan for ``tax_year`` that
    was current at the end of ``day``."""
    end = end_of(day)
    return (
        plans.filter(household_id=household_id, tax_year=tax_year, created__lt=end)
        .filter(Q(superseded__isnull=True) | Q(superseded__gte=end))
        .order_by("-created", "-id")
        .first()
    )


def statuses_on(*, plan: ActionPlan, day: datetime.date) -> dict[int, str]:
    """Each recommendation's status at the end of ``day`` (by recommendation pk)."""
    end = end_of(day)
    current = dict(Recommendation.objects.filter(plan=plan).values_list("pk", "status"))
    decisions = RecommendationDecision.objects.filter(recommendation__plan=plan).order_by(
        "recommendation_id", "decided_at", "id"
    )
    status: dict[int, str] = {}
    for decision in decisions.values("recommendation_id", "from_status", "to_status", "decided_at"):
        pk = decision["recommendation_id"]
        status.setdefault(pk, decision["from_status"])  # before its first decision
        if decision["decided_at"] < end:
            status[pk] = decision["to_status"]
    return {pk: status.get(pk, now) for pk, now in current.items()}


def as_of_data(data: dict[str, Any], *, plan: ActionPlan, day: datetime.date) -> dict[str, Any]:
    """A serialized plan (taxlogic/api.py PlanOut) with each recommendation's status as it was
    at the end of ``day``, and ``is_current`` as it was then."""
    by_public_id = {
        str(public_id): pk
        for pk, public_id in Recommendation.objects.filter(plan=plan).values_list("pk", "public_id")
    }
    statuses = statuses_on(plan=plan, day=day)
    out = dict(data)
    out["record_as_of"] = day.isoformat()
    out["is_current"] = True  # it was, on that day
    out["recommendations"] = [
        {**r, "status": statuses[by_public_id[str(r["id"])]]} for r in data["recommendations"]
    ]
    return out

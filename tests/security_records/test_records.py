"""Books and records (taxlogic/records.py): a delivered plan cannot be changed (a change is a new
version), nothing in a plan's history can be deleted, and a plan can be fetched as it stood on
a date, with its recommendations' statuses of that date."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pgtrigger
import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from taxlogic import records, services
from taxlogic.models import ActionPlan, Recommendation, RecommendationDecision
from tests.plans.conftest import add_loss, review


def _refused(action: object) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        action()


def test_a_plans_figures_and_result_cannot_change(households: dict) -> None:
    household = households["advisor"]
    add_loss(household)
    plan = review(household)
    _refused(lambda: ActionPlan.objects.filter(pk=plan.pk).update(tax_saved=Decimal("9999")))
    _refused(lambda: ActionPlan.objects.filter(pk=plan.pk).update(result={"forged": True}))
    _refused(lambda: ActionPlan.objects.filter(pk=plan.pk).update(as_of=datetime.date(2001, 1, 1)))
    harvest = plan.recommendations.get()
    _refused(lambda: Recommendation.objects.filter(pk=harvest.pk).update(quantity=Decimal(1)))
    _refused(lambda: Recommendation.objects.filter(pk=harvest.pk).update(text="forged"))
    plan.refresh_from_db()
    assert plan.tax_saved != Decimal("9999")
    # What may change: superseding and statuses (the audit trail keeps each change).
    ActionPlan.objects.filter(pk=plan.pk).update(status="decided")


def test_nothing_in_a_plans_history_is_deleted(households: dict, advisor: object) -> None:
    household = households["advisor"]
    add_loss(household)
    plan = review(household)
    harvest = plan.recommendations.get()
    services.recommendation_decide(recommendation=harvest, user=advisor, decision="approve")
    decision = RecommendationDecision.objects.get(recommendation=harvest)
    _refused(lambda: RecommendationDecision.objects.filter(pk=decision.pk).delete())
    _refused(lambda: RecommendationDecision.objects.filter(pk=decision.pk).update(reason="x"))
    _refused(lambda: Recommendation.objects.filter(pk=harvest.pk).delete())
    _refused(lambda: ActionPlan.objects.filter(pk=plan.pk).delete())
    assert RecommendationDecision.objects.filter(pk=decision.pk, reason=decision.reason).exists()


def test_the_api_gives_a_plan_as_it_stood_on_a_date(
    api_a: object, households: dict, advisor: object
) -> None:
    household = households["advisor"]
    add_loss(household)
    plan = review(household)
    harvest = plan.recommendations.get()
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    # Moved back in time (the test lifts the triggers): made two days ago, approved yesterday.
    made = timezone.now() - datetime.timedelta(days=2)
    with pgtrigger.ignore("taxlogic.ActionPlan:plan_result_immutable"):
        ActionPlan.objects.filter(pk=plan.pk).update(created=made)
    services.recommendation_decide(recommendation=harvest, user=advisor, decision="approve")
    with pgtrigger.ignore("taxlogic.RecommendationDecision:decision_log_append_only"):
        RecommendationDecision.objects.filter(recommendation=harvest).update(
            decided_at=timezone.now() - datetime.timedelta(days=1)
        )
    url = f"/api/v1/households/{household.public_id}/action-plan/"
    now = api_a.get(url).json()
    assert now["recommendations"][0]["status"] == "approved"
    on_day_made = api_a.get(url, {"as_of": (today - datetime.timedelta(days=2)).isoformat()})
    assert on_day_made.status_code == 200, on_day_made.json()
    body = on_day_made.json()
    assert body["id"] == str(plan.public_id) and body["record_as_of"]
    assert body["recommendations"][0]["status"] == "open"  # not yet approved then
    then = api_a.get(url, {"as_of": yesterday.isoformat()}).json()
    assert then["recommendations"][0]["status"] == "approved"
    before = api_a.get(url, {"as_of": (today - datetime.timedelta(days=10)).isoformat()})
    assert before.status_code == 404
    assert api_a.get(url, {"as_of": "0001-01-01"}).status_code == 400


def test_a_superseded_plan_is_the_one_shown_for_its_days(households: dict) -> None:
    household = households["advisor"]
    add_loss(household)
    first = review(household)
    now = timezone.now()
    second = ActionPlan.objects.create(
        firm_id=first.firm_id,
        household=household,
        tax_year=first.tax_year,
        as_of=first.as_of,
        inputs_hash="x" * 64,
        engine_version=first.engine_version,
        is_current=False,
        result={},
    )
    days = datetime.timedelta(days=1)
    with pgtrigger.ignore("taxlogic.ActionPlan:plan_result_immutable"):
        ActionPlan.objects.filter(pk=first.pk).update(created=now - 5 * days)
        ActionPlan.objects.filter(pk=second.pk).update(created=now - 2 * days)
    ActionPlan.objects.filter(pk=first.pk).update(is_current=False, superseded=now - 2 * days)
    ActionPlan.objects.filter(pk=second.pk).update(is_current=True)
    plans = ActionPlan.objects.all()
    today = timezone.localdate()
    found = records.plan_current_on(
        plans, household_id=household.pk, tax_year=first.tax_year, day=today - 3 * days
    )
    assert found is not None and found.pk == first.pk
    later = records.plan_current_on(
        plans, household_id=household.pk, tax_year=first.tax_year, day=today
    )
    assert later is not None and later.pk == second.pk


def test_the_page_export_of_a_plan_as_of_a_date(
    client_for: object, advisor: object, outsider: object, households: dict
) -> None:
    household = households["advisor"]
    add_loss(household)
    plan = review(household)
    today = timezone.localdate()
    url = f"/plans/households/{household.public_id}/record.json"
    response = client_for(advisor).get(url, {"as_of": today.isoformat()})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    body = response.json()
    assert body["id"] == str(plan.public_id) and body["record_as_of"] == today.isoformat()
    assert [r["status"] for r in body["recommendations"]] == ["open"]
    assert client_for(advisor).get(url, {"as_of": "0001-01-01"}).status_code == 400
    assert client_for(outsider).get(url, {"as_of": today.isoformat()}).status_code == 404

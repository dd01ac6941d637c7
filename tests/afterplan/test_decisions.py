"""Approval before execution, maker-checker, and the decision log (taxlogic/decisions.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from advisors.models import Advisor
from taxlogic import services
from taxlogic.models import HarvestSettings, Recommendation, RecommendationDecision
from tests.afterplan.conftest import approve

pytestmark = pytest.mark.django_db


def test_execute_needs_an_approval_first(harvest: Recommendation, advisor: Advisor) -> None:
    with pytest.raises(ValidationError, match="approve it first"):
        services.recommendation_decide(recommendation=harvest, user=advisor, decision="execute")
    approve(harvest, advisor)
    done = services.recommendation_decide(recommendation=harvest, user=advisor, decision="execute")
    assert done.status == "executed"
    with pytest.raises(ValidationError):
        services.recommendation_decide(
            recommendation=harvest, user=advisor, decision="dismiss", reason="too late"
        )


def test_maker_checker_needs_a_second_person_above_the_amount(
    harvest: Recommendation, advisor: Advisor, team_lead: Advisor
) -> None:
    HarvestSettings.objects.filter(firm=harvest.firm).update(second_approval_above=Decimal(500))
    assert harvest.estimated_loss > 500
    first = approve(harvest, advisor)
    assert first.status == "checking" and first.first_approved_by == advisor
    with pytest.raises(ValidationError, match="second person"):
        approve(harvest, advisor)
    with pytest.raises(ValidationError, match="approve it first"):
        services.recommendation_decide(recommendation=harvest, user=advisor, decision="execute")
    second = approve(harvest, team_lead)
    assert second.status == "approved" and second.decided_by == team_lead
    log = list(
        RecommendationDecision.objects.filter(recommendation=harvest)
        .order_by("decided_at", "id")
        .values_list("decided_by__username", "to_status", "plan_id")
    )
    assert log == [
        ("advisor", "checking", harvest.plan_id),
        ("team_lead", "approved", harvest.plan_id),
    ]


def test_below_the_amount_one_approval_is_enough(harvest: Recommendation, advisor: Advisor) -> None:
    HarvestSettings.objects.filter(firm=harvest.firm).update(
        second_approval_above=harvest.estimated_loss
    )
    assert approve(harvest, advisor).status == "approved"


def test_dismissal_at_the_second_step_keeps_a_reason(
    harvest: Recommendation, advisor: Advisor
) -> None:
    HarvestSettings.objects.filter(firm=harvest.firm).update(second_approval_above=Decimal(1))
    approve(harvest, advisor)
    with pytest.raises(ValidationError):
        services.recommendation_decide(recommendation=harvest, user=advisor, decision="dismiss")
    out = services.recommendation_decide(
        recommendation=harvest, user=advisor, decision="dismiss", reason="client declined"
    )
    assert out.status == "dismissed" and out.first_approved_by is None


def test_the_firm_admin_sets_the_second_approval_amount(
    firm_admin: Advisor, client_for: object
) -> None:
    from django.urls import reverse

    from taxlogic.forms import HarvestSettingsForm
    from taxlogic.services import harvest_settings_get

    found = harvest_settings_get(firm_id=firm_admin.firm_id)
    data = {
        k: v for k, v in HarvestSettingsForm.initial_from(found).items() if v not in (None, False)
    }
    data["second_approval_above"] = "25000"
    response = client_for(firm_admin).post(reverse("taxlogic:settings"), data)
    assert response.status_code == 302, response.content.decode()[:500]
    found.refresh_from_db()
    assert found.second_approval_above == Decimal("25000.00")

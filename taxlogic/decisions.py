"""Decisions on recommendations: open → approved → executed, or dismissed (with a reason) at
any step before executed; above the firm's amount a second person approves (maker-checker).

Every step is written to the decision log with who, when and the plan version it was made on.
The plan page, the blotter's bulk approval and the API all decide through ``recommendation_decide``.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from advisors import scoping
from advisors.models import Advisor, ApiClient, WebhookEvent
from taxlogic.models import (
    ActionPlan,
    Decision,
    Fill,
    HarvestSettings,
    Recommendation,
    RecommendationDecision,
    RecommendationStatus,
)

Actor = Advisor | ApiClient
_R = RecommendationStatus
# decision → (the statuses it applies to, the status it leads to); APPROVE may stop at
# CHECKING (a first approval of a trade that needs two), see ``_approval_target``.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    Decision.APPROVE: (frozenset({_R.OPEN, _R.DISMISSED, _R.CHECKING}), _R.APPROVED),
    Decision.DISMISS: (frozenset({_R.OPEN, _R.CHECKING, _R.APPROVED}), _R.DISMISSED),
    Decision.EXECUTE: (frozenset({_R.APPROVED}), _R.EXECUTED),
    Decision.REOPEN: (frozenset({_R.CHECKING, _R.APPROVED, _R.DISMISSED}), _R.OPEN),
}


def trade_amount(recommendation: Recommendation) -> Decimal:
    """The amount maker-checker compares with the firm's threshold: the loss or gain."""
    return max(recommendation.estimated_loss or 0, recommendation.estimated_gain or 0, 0)


def needs_second_approval(recommendation: Recommendation, settings: HarvestSettings) -> bool:
    limit = settings.second_approval_above
    return limit is not None and recommendation.is_trade and trade_amount(recommendation) > limit


def _approval_target(
    locked: Recommendation, advisor: Advisor | None, settings: HarvestSettings
) -> str:
    if not needs_second_approval(locked, settings):
        return _R.APPROVED
    if locked.status != _R.CHECKING:
        return _R.CHECKING
    if advisor is None:
        raise PermissionDenied("A second approval is given by a person, not an integration.")
    if advisor.pk == locked.first_approved_by_id:
        raise ValidationError(
            {"decision": "You gave the first approval: a second person must approve this trade."}
        )
    return _R.APPROVED


def may_give_approval(user: Actor, recommendation: Recommendation) -> bool:
    """Whether ``user`` could approve it now (the blotter's bulk approval offers only these)."""
    if recommendation.status not in TRANSITIONS[Decision.APPROVE][0]:
        return False
    if recommendation.status == _R.CHECKING:
        return isinstance(user, Advisor) and user.pk != recommendation.first_approved_by_id
    return True


@transaction.atomic
def recommendation_decide(
    *, recommendation: Recommendation, user: Actor | None, decision: str, reason: str = ""
) -> Recommendation:
    """Approve, dismiss (a reason is required), mark executed (approved only) or reopen a
    recommendation of a current plan, or record its match to a sale (``user`` None: the
    system); logged with who, when and the plan version."""
    from taxlogic import services  # services imports this module's caller: at call time

    if user is not None and (
        not scoping.writable(user, Recommendation).filter(pk=recommendation.pk).exists()
    ):
        raise PermissionDenied("You may not decide this household's recommendations.")
    if decision not in TRANSITIONS and decision != Decision.MATCH:
        raise ValidationError({"decision": f"Unknown decision {decision!r}."})
    locked = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    plan = ActionPlan.objects.select_related("household").get(pk=locked.plan_id)
    if not plan.is_current and decision != Decision.MATCH:
        raise ValidationError(
            "A newer review has replaced this plan: decide on the household's current plan."
        )
    advisor = user if isinstance(user, Advisor) else None
    api_client = user if isinstance(user, ApiClient) else None  # decided through the API
    if decision == Decision.MATCH:
        allowed, to_status = frozenset(set(_R) - {_R.EXECUTED}), _R.EXECUTED
    else:
        allowed, to_status = TRANSITIONS[decision]
    if locked.status not in allowed:
        raise ValidationError(
            {
                "decision": f"A recommendation that is {locked.get_status_display().lower()} "
                f"cannot be {Decision(decision).label.lower()}"
                + (": approve it first." if decision == Decision.EXECUTE else ".")
            }
        )
    if decision == Decision.APPROVE:
        settings = services.harvest_settings_get(firm_id=locked.firm_id)
        to_status = _approval_target(locked, advisor, settings)
    reason = reason.strip()
    if decision == Decision.DISMISS and not reason:
        raise ValidationError({"reason": "Say why the recommendation is dismissed."})
    now = timezone.now()
    RecommendationDecision.objects.create(
        firm_id=locked.firm_id,
        household_id=locked.household_id,
        recommendation=locked,
        plan=plan,
        decision=decision,
        from_status=locked.status,
        to_status=to_status,
        reason=reason,
        decided_by=advisor,
        decided_by_client=api_client,
        decided_at=now,
    )
    fields = [
        "status",
        "decided_by",
        "decided_at",
        "decision_reason",
        "first_approved_by",
        "updated",
    ]
    if to_status == _R.CHECKING:
        locked.first_approved_by = advisor
    elif to_status == _R.OPEN or decision == Decision.DISMISS:
        locked.first_approved_by = None
    if decision == Decision.EXECUTE and locked.fill in (Fill.PARTIAL, Fill.DIFFERENT):
        locked.fill = Fill.CONFIRMED
        fields.append("fill")
    if to_status == _R.EXECUTED:
        from taxlogic.watch import credited_tax_saved

        locked.credited_tax_saved = credited_tax_saved(locked)
        fields.append("credited_tax_saved")
    locked.status, locked.decided_at = to_status, now
    if decision != Decision.MATCH:
        locked.decided_by, locked.decided_by_client = advisor, api_client
        fields.append("decided_by_client")
    if decision == Decision.DISMISS or to_status == _R.OPEN:
        locked.decision_reason = reason
    locked.save(update_fields=fields)
    # The plan changed for the API's sync with each decision on it, its status or not.
    ActionPlan.objects.filter(pk=plan.pk).update(updated=now)
    if plan.is_current:
        services._refresh_status(plan)
    services._emit(
        locked.firm_id,
        WebhookEvent.RECOMMENDATION_DECIDED,
        {
            "recommendation": str(locked.public_id),
            "plan": str(plan.public_id),
            "household": str(plan.household.public_id),
            "decision": decision,
            "status": to_status,
            "reason": reason,
            "decided_by": str(advisor.public_id) if advisor else None,
            "decided_by_client": str(api_client.public_id) if api_client else None,
            "decided_at": now.isoformat(),
        },
    )
    return locked

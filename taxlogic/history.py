"""The audit trail of the taxlogic app (advisors/audit.py): harvest settings, plans,
recommendations, the decision log and the gains planned outside our accounts. Imported by
taxlogic/models.py.

A plan's ``result`` and a recommendation's ``details`` (compressed documents) are not copied:
a delivered plan never changes (taxlogic/records.py), so the row itself keeps them."""

from __future__ import annotations

import pgtrigger

from advisors.audit import track
from taxlogic.models import (
    ActionPlan,
    HarvestSettings,
    PlannedRealization,
    Recommendation,
    RecommendationDecision,
)
from taxlogic.records import PLAN_MUTABLE, RECOMMENDATION_MUTABLE

track(HarvestSettings)
track(PlannedRealization)
# Plans, recommendations and decisions are immutable where it matters and never deleted
# (below), so each row is its own record of its insert: only their changes are copied.
# Their ``updated`` (the API's sync moment) is not copied: it changes with what is.
track(ActionPlan, exclude=["result", "updated"], inserts=False)
track(Recommendation, exclude=["details", "updated"], inserts=False)
track(RecommendationDecision, inserts=False)


def _frozen(model: type, mutable: tuple[str, ...]) -> list[str]:
    return [
        f.name for f in model._meta.concrete_fields if f.name not in mutable and not f.primary_key
    ]


# Delivered plans are immutable and nothing in a plan's history is deleted (taxlogic/records.py).
pgtrigger.register(
    pgtrigger.Protect(
        name="plan_result_immutable",
        operation=pgtrigger.Update,
        condition=pgtrigger.AnyChange(*_frozen(ActionPlan, PLAN_MUTABLE)),
    ),
    pgtrigger.Protect(name="plan_never_deleted", operation=pgtrigger.Delete),
)(ActionPlan)
pgtrigger.register(
    pgtrigger.Protect(
        name="recommendation_immutable",
        operation=pgtrigger.Update,
        condition=pgtrigger.AnyChange(*_frozen(Recommendation, RECOMMENDATION_MUTABLE)),
    ),
    pgtrigger.Protect(name="recommendation_never_deleted", operation=pgtrigger.Delete),
)(Recommendation)
pgtrigger.register(
    pgtrigger.Protect(
        name="decision_log_append_only", operation=pgtrigger.Update | pgtrigger.Delete
    ),
)(RecommendationDecision)

from __future__ import annotations

from django.apps import AppConfig


class TaxlogicConfig(AppConfig):
    name = "taxlogic"
    verbose_name = "Tax logic"

    def ready(self) -> None:
        # Reviews, plans and recommendations follow their household (advisors/scoping.py); each
        # carries its firm in its own indexed column.
        from advisors.scoping import Path, register
        from taxlogic.models import ActionPlan, Recommendation, RecommendationDecision, Review

        path = Path("firm", "household__team", "household__primary_advisor")
        for model in (Review, ActionPlan, Recommendation, RecommendationDecision):
            register(model, path)

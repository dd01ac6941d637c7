from __future__ import annotations

from django.apps import AppConfig


class TaxlogicConfig(AppConfig):
    name = "taxlogic"
    verbose_name = "Tax logic"

    def ready(self) -> None:
        # Reviews, plans and recommendations follow their household (advisors/scoping.py); each
        # carries its firm in its own indexed column.
        from advisors.models import ApiScope
        from advisors.scoping import Path, register
        from taxlogic.models import (
            ActionPlan,
            Recommendation,
            RecommendationDecision,
            Review,
            YearEndHousehold,
            YearEndRun,
        )

        path = Path("firm", "household__team", "household__primary_advisor")
        for model in (Review, ActionPlan, Recommendation, RecommendationDecision, YearEndHousehold):
            register(model, path)
        # An API client runs reviews and decides recommendations with the reviews scope.
        for model in (Review, ActionPlan, Recommendation, RecommendationDecision):
            register(model, path, write_scope=ApiScope.REVIEWS)
        # A year-end run: the firm's admins and compliance see every one, a team lead their
        # team's runs and those they started; an advisor sees none, only their households' rows.
        register(YearEndRun, Path("firm", "team", "started_by"))

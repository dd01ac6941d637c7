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
            BlotterExport,
            PlannedRealization,
            Recommendation,
            RecommendationDecision,
            Review,
            WashAlert,
            WashWatch,
            YearEndHousehold,
            YearEndRun,
        )

        path = Path("firm", "household__team", "household__primary_advisor")
        for model in (Review, ActionPlan, Recommendation, RecommendationDecision, YearEndHousehold):
            register(model, path)
        for model in (WashWatch, WashAlert, PlannedRealization):
            register(model, path)
        register(BlotterExport, Path("firm", "exported_by__team", "exported_by"))
        # A recorded sale or purchase is matched to the plan and watched (taxlogic/watch.py).
        from clients.signals import transaction_recorded
        from taxlogic.watch import on_transaction_recorded

        transaction_recorded.connect(on_transaction_recorded, dispatch_uid="taxlogic.watch")
        # An API client runs reviews and decides recommendations with the reviews scope.
        for model in (Review, ActionPlan, Recommendation, RecommendationDecision):
            register(model, path, write_scope=ApiScope.REVIEWS)
        # A year-end run: the firm's admins and compliance see every one, a team lead their
        # team's runs and those they started; an advisor sees none, only their households' rows.
        register(YearEndRun, Path("firm", "team", "started_by"))

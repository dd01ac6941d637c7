"""Reviews, plans, recommendations and the decision log in the admin: read-only for everyone
(advisors.admin.RecordAdminMixin). A plan is replaced by a new review, a decision by another
decision; nothing here is edited or deleted."""

from __future__ import annotations

from django.contrib import admin

from advisors.admin import RecordAdmin
from taxlogic.models import ActionPlan, Recommendation, RecommendationDecision, Review


@admin.register(Review)
class ReviewAdmin(RecordAdmin):
    list_display = ("household", "tax_year", "as_of", "status", "replacement_list_version")
    list_select_related = ("household",)
    list_filter = ("status", "tax_year")
    search_fields = ("household__name",)
    exclude = ("inputs",)


@admin.register(ActionPlan)
class ActionPlanAdmin(RecordAdmin):
    list_display = ("household", "tax_year", "as_of", "status", "is_current", "tax_saved")
    list_select_related = ("household",)
    list_filter = ("status", "tax_year", "is_current")
    search_fields = ("household__name",)
    exclude = ("result",)


@admin.register(Recommendation)
class RecommendationAdmin(RecordAdmin):
    list_display = ("household", "kind", "security", "quantity", "estimated_loss", "status")
    list_select_related = ("household", "security")
    list_filter = ("status", "kind")
    search_fields = ("household__name", "security__symbol")
    exclude = ("details",)


@admin.register(RecommendationDecision)
class RecommendationDecisionAdmin(RecordAdmin):
    list_display = ("household", "recommendation", "decision", "decided_by", "decided_at")
    list_select_related = ("household", "recommendation__security", "decided_by")
    list_filter = ("decision",)

"""The REST API of reviews, action plans and recommendations.

- ``POST /households/{id}/reviews/`` queues a review (202, ``Location`` the review's URL);
  ``GET /reviews/{id}/`` follows it; ``GET /households/{id}/action-plan/`` is the current plan
  with every recommendation, each also as a CRM-neutral task (taxlogic/crm.py);
- ``POST /recommendations/{id}/approve|dismiss|executed|reopen/`` decide, through the same
  service, decision log and ``recommendation.decided`` webhook as the plan page.

Starting reviews and deciding need the ``reviews`` scope, reading needs ``read``. Reviews,
plans and recommendations keep their ``updated`` (taxlogic/models.py): lists are ordered by it
from the index (firm, updated, public_id), like every other list.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from advisors import scoping
from advisors.api import ApiViewSet, Conflict, UpdatedSinceFilterSet
from advisors.models import ApiScope
from clients import access, bounds
from clients.filters import VisibleObjectFilter
from clients.models import Household
from clients.selectors import row_count
from taxlogic import crm, records, services
from taxlogic.models import (
    STEP_LABELS,
    ActionPlan,
    Decision,
    PlanStatus,
    Recommendation,
    RecommendationStatus,
    Review,
    ReviewStatus,
)
from taxlogic.rules.harvest import Step

REVIEWS_SCOPE = ApiScope.REVIEWS.value  # a plain str: it is shown in messages and the schema
DECISIONS = {
    "approve": Decision.APPROVE,
    "dismiss": Decision.DISMISS,
    "executed": Decision.EXECUTE,
    "reopen": Decision.REOPEN,
}
KINDS = [(step.value, STEP_LABELS[step]) for step in Step]  # the schema's RecommendationKindEnum


# --- Serializers ------------------------------------------------------------------------------


class ReasonOut(serializers.Serializer):
    """One explained decision: ``code`` for programs, ``text`` for people, ``rule`` the
    authority (IRC section, regulation, publication)."""

    code = serializers.CharField()
    text = serializers.CharField()
    rule = serializers.CharField()


class RecommendationReasonOut(serializers.Serializer):
    code = serializers.CharField(source="reason_code")
    text = serializers.CharField()
    rule = serializers.CharField()


class AvoidOut(serializers.Serializer):
    symbols = serializers.ListField(child=serializers.CharField())
    accounts = serializers.ListField(child=serializers.UUIDField(), help_text="Account ids.")
    through = serializers.DateField()
    reason = ReasonOut()


def avoid_out(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What ``AvoidOut(items, many=True).data`` gives for stored windows, without building a
    serializer for every recommendation of a list (a third of the list's time)."""
    return [
        {
            "symbols": [str(symbol) for symbol in item["symbols"]],
            "accounts": [str(account) for account in item["accounts"]],
            "through": item["through"],
            "reason": {key: str(item["reason"][key]) for key in ("code", "text", "rule")},
        }
        for item in items
    ]


class FigureOut(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    before = serializers.DecimalField(
        max_digits=18, decimal_places=2, allow_null=True, help_text="Without the plan."
    )
    reasons = ReasonOut(many=True)


class ExternalRefOut(serializers.Serializer):
    system = serializers.CharField()
    id = serializers.CharField()


class PartyOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    external_refs = ExternalRefOut(many=True, help_text="The ids other systems (CRMs) give it.")


class CrmTaskOut(serializers.Serializer):
    """A recommendation as a task for any CRM (a Redtail activity, a Wealthbox task)."""

    title = serializers.CharField()
    body = serializers.CharField(help_text="Markdown.")
    due_date = serializers.DateField(
        help_text="The latest day to act: the tax year's last trading day for a trade, the "
        "do-not-buy date for a reminder."
    )
    priority = serializers.ChoiceField(
        choices=["high", "medium", "low"],
        help_text="From the tax saved: high from $1,000, medium from $100.",
    )
    household = PartyOut()
    person = PartyOut(help_text="The account's owner.")
    category = serializers.ChoiceField(choices=["trade", "reminder"])
    link = serializers.URLField(help_text="The recommendation on the plan page.")
    idempotency_key = serializers.CharField(
        help_text="The same for this recommendation in every re-run of the household's plan "
        "for the tax year: create the CRM task once per key."
    )


class RecommendationOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    url = serializers.HyperlinkedIdentityField(
        view_name="api:recommendation-detail", lookup_field="public_id", lookup_url_kwarg="id"
    )
    plan = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    household = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    kind = serializers.ChoiceField(choices=KINDS, read_only=True)
    status = serializers.ChoiceField(choices=RecommendationStatus.choices, read_only=True)
    account = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    account_label = serializers.SerializerMethodField()
    person = serializers.UUIDField(source="account.owner.public_id", read_only=True)
    security = serializers.SlugRelatedField(slug_field="symbol", read_only=True)
    lot = serializers.SlugRelatedField(slug_field="public_id", read_only=True, allow_null=True)
    replacement = serializers.SlugRelatedField(slug_field="symbol", read_only=True, allow_null=True)
    reason = RecommendationReasonOut(source="*", read_only=True)
    replacement_reason = serializers.SerializerMethodField()
    avoid = serializers.SerializerMethodField()
    notes = serializers.SerializerMethodField()
    decided_by = serializers.SlugRelatedField(
        slug_field="public_id", read_only=True, allow_null=True
    )
    decided_by_client = serializers.SlugRelatedField(
        slug_field="public_id",
        read_only=True,
        allow_null=True,
        help_text="The API client that decided it (decided_by is then empty).",
    )
    updated = serializers.DateTimeField(read_only=True)
    task = serializers.SerializerMethodField()

    class Meta:
        model = Recommendation
        fields = [
            "id",
            "url",
            "plan",
            "household",
            "position",
            "kind",
            "status",
            "account",
            "account_label",
            "person",
            "security",
            "lot",
            "quantity",
            "price",
            "estimated_loss",
            "estimated_gain",
            "term",
            "tax_saved",
            "carryforward_added",
            "replacement",
            "replacement_price",
            "do_not_buy_through",
            "reason",
            "replacement_reason",
            "avoid",
            "notes",
            "decided_by",
            "decided_by_client",
            "decided_at",
            "decision_reason",
            "updated",
            "task",
        ]
        read_only_fields = fields

    def get_account_label(self, r: Recommendation) -> str:
        return crm.account_label(r)

    @extend_schema_field(ReasonOut(allow_null=True))
    def get_replacement_reason(self, r: Recommendation) -> dict[str, str] | None:
        return r.details.get("replacement_reason") or None

    @extend_schema_field(AvoidOut(many=True))
    def get_avoid(self, r: Recommendation) -> list[dict[str, Any]]:
        return avoid_out(r.details.get("avoid") or [])

    @extend_schema_field(ReasonOut(many=True))
    def get_notes(self, r: Recommendation) -> list[dict[str, str]]:
        return list(r.details.get("notes") or [])

    @extend_schema_field(CrmTaskOut)
    def get_task(self, r: Recommendation) -> dict[str, Any]:
        return CrmTaskOut(crm.recommendation_task(r)).data


class RecommendationSummaryOut(RecommendationOut):
    """A recommendation in a list: everything but its CRM task (the detail, or the list's
    ``?expand=task``, gives it)."""

    class Meta(RecommendationOut.Meta):
        fields = [f for f in RecommendationOut.Meta.fields if f != "task"]
        read_only_fields = fields

    def get_account_label(self, r: Recommendation) -> str:
        # The account as labelled now (the plan's stored result, which keeps the label of
        # the plan's day for the detail and the CRM task, is not read for a list).
        return services.account_label(r.account)


class PlanOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    url = serializers.HyperlinkedIdentityField(
        view_name="api:actionplan-detail", lookup_field="public_id", lookup_url_kwarg="id"
    )
    household = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    status = serializers.ChoiceField(choices=PlanStatus.choices, read_only=True)
    link = serializers.SerializerMethodField(help_text="The plan's page.")
    figures = FigureOut(source="result.figures", many=True, read_only=True)
    warnings = ReasonOut(source="result.warnings", many=True, read_only=True)
    notes = ReasonOut(source="result.notes", many=True, read_only=True)
    do_not_buy = AvoidOut(source="result.do_not_buy", many=True, read_only=True)
    updated = serializers.DateTimeField(read_only=True)
    recommendations = RecommendationOut(many=True, read_only=True)
    recommendation_count = serializers.SerializerMethodField(
        help_text="How many recommendations the plan has."
    )

    class Meta:
        model = ActionPlan
        fields = [
            "id",
            "url",
            "household",
            "tax_year",
            "as_of",
            "status",
            "is_current",
            "superseded",
            "harvest_loss",
            "tax_before",
            "tax_after",
            "tax_saved",
            "engine_version",
            "inputs_hash",
            "link",
            "figures",
            "warnings",
            "notes",
            "do_not_buy",
            "created",
            "updated",
            "recommendation_count",
            "recommendations",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_recommendation_count(self, plan: ActionPlan) -> int:
        counted = getattr(plan, "recommendation_count", None)  # the list's annotation
        return counted if counted is not None else len(plan.recommendations.all())

    @extend_schema_field(OpenApiTypes.URI)
    def get_link(self, plan: ActionPlan) -> str:
        return crm.plan_link(plan, plan.household)


SUMMARY_LEFT_OUT = frozenset({"figures", "warnings", "notes", "do_not_buy", "recommendations"})


class PlanSummaryOut(PlanOut):
    """A plan in a list: its totals and how many recommendations it has. The detail, or the
    list's ``?expand=recommendations``, gives the rest: every recommendation with its reason
    and CRM task, the figures, warnings, notes and do-not-buy windows (about 45 KB a plan of
    the benchmark's firm against 0.8 KB)."""

    class Meta(PlanOut.Meta):
        fields = [f for f in PlanOut.Meta.fields if f not in SUMMARY_LEFT_OUT]
        read_only_fields = fields


class ReviewOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    url = serializers.HyperlinkedIdentityField(
        view_name="api:review-detail", lookup_field="public_id", lookup_url_kwarg="id"
    )
    household = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    status = serializers.ChoiceField(choices=ReviewStatus.choices, read_only=True)
    plan = serializers.SlugRelatedField(
        slug_field="public_id",
        read_only=True,
        allow_null=True,
        help_text="The plan it produced (or, when nothing had changed, the current plan).",
    )
    requested_by = serializers.SlugRelatedField(
        slug_field="public_id",
        read_only=True,
        allow_null=True,
        help_text="The advisor who started it (null for an API client or the schedule).",
    )
    updated = serializers.DateTimeField(read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "url",
            "household",
            "tax_year",
            "as_of",
            "status",
            "plan",
            "reused",
            "error",
            "requested_by",
            "engine_version",
            "inputs_hash",
            "created",
            "started",
            "finished",
            "updated",
        ]
        read_only_fields = fields


class ReviewStartIn(serializers.Serializer):
    """No fields: a review is always of today's data, for the current tax year (as the plan
    page's "Run review now")."""


class DecisionIn(serializers.Serializer):
    reason = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, help_text="Kept in the decision log."
    )


class DismissIn(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, help_text="Why it is dismissed (required).")


class DecisionConflictOut(serializers.Serializer):
    detail = serializers.CharField()
    status = serializers.ChoiceField(
        choices=RecommendationStatus.choices, help_text="The recommendation's status now."
    )


# --- Filters ----------------------------------------------------------------------------------


class ReviewFilter(UpdatedSinceFilterSet):
    household = VisibleObjectFilter(model=Household, path="household")
    plan = VisibleObjectFilter(model=ActionPlan, path="plan")
    status = django_filters.ChoiceFilter(choices=ReviewStatus.choices)

    class Meta:
        model = Review
        fields = ["updated_since", "household", "plan", "status"]


class ActionPlanFilter(UpdatedSinceFilterSet):
    household = VisibleObjectFilter(model=Household, path="household")
    tax_year = django_filters.NumberFilter(min_value=2000, max_value=2100)
    is_current = django_filters.BooleanFilter()
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices)

    class Meta:
        model = ActionPlan
        fields = ["updated_since", "household", "tax_year", "is_current", "status"]


class RecommendationFilter(UpdatedSinceFilterSet):
    household = VisibleObjectFilter(model=Household, path="household")
    plan = VisibleObjectFilter(model=ActionPlan, path="plan")
    status = django_filters.ChoiceFilter(choices=RecommendationStatus.choices)
    kind = django_filters.ChoiceFilter(choices=KINDS)
    is_current = django_filters.BooleanFilter(
        field_name="plan__is_current", label="Only recommendations of current plans (true)."
    )

    class Meta:
        model = Recommendation
        fields = ["updated_since", "household", "plan", "status", "kind", "is_current"]


# --- Querysets --------------------------------------------------------------------------------


def recommendations_for(user: Any) -> QuerySet[Recommendation]:
    return (
        scoping.visible(user, Recommendation)
        .select_related(*crm.TASK_SELECT, "decided_by", "decided_by_client")
        .prefetch_related(*crm.TASK_PREFETCH)
    )


def plans_for(user: Any) -> QuerySet[ActionPlan]:
    # Not the plan again for each recommendation (its stored result decoded once per row):
    # the prefetch gives each recommendation the plan it hangs off.
    recommendations = (
        scoping.visible(user, Recommendation)
        .select_related(*(name for name in crm.TASK_SELECT if name != "plan"), "decided_by")
        .prefetch_related(*crm.TASK_PREFETCH)
        .order_by("position")
    )
    return (
        scoping.visible(user, ActionPlan)
        .select_related("household")
        .prefetch_related(Prefetch("recommendations", queryset=recommendations))
    )


def plan_summaries_for(user: Any) -> QuerySet[ActionPlan]:
    """Plans without their recommendations' rows: a count instead (a list's default)."""
    return (
        scoping.visible(user, ActionPlan)
        .select_related("household")
        .defer("result")
        .annotate(recommendation_count=row_count(Recommendation.objects.all(), "plan"))
    )


def reviews_for(user: Any) -> QuerySet[Review]:
    return scoping.visible(user, Review).select_related("household", "plan", "requested_by")


def _household(request: Request, household_id: Any) -> Household:
    household, _ = scoping.object_for_user(request.user, Household, public_id=household_id)
    access.record(  # the access log (clients/access.py)
        principal=request.user, household_ids=[household.pk], via=access.Via.API, path=request.path
    )
    return household


# --- Viewsets ---------------------------------------------------------------------------------


class HouseholdReviewViewSet(ApiViewSet):
    """``POST /households/{household_id}/reviews/``: run a review of the household."""

    serializer_class = ReviewOut
    input_serializer_class = ReviewStartIn
    required_scopes = {"create": REVIEWS_SCOPE}
    filter_backends: list[Any] = []
    pagination_class = None

    @extend_schema(
        summary="Start a review of the household",
        description=(
            "Queues a review of the household's data as of today, for the current tax year. "
            "Answers 202 with the review and its URL in `Location`: `GET` it until `status` is "
            "`done` (then `GET /households/{id}/action-plan/`) or `failed` (see `error`). "
            "While a review of the household is queued or running, that review is returned."
        ),
        request=ReviewStartIn,
        responses={202: ReviewOut},
    )
    def create(self, request: Request, household_id: Any) -> Response:
        household = _household(request, household_id)
        self.parse(request.data)
        review = services.review_request(household=household, user=request.user)
        # Embedded mode runs the task before this returns: show the review as it is now.
        response = self.render(
            reviews_for(request.user).get(pk=review.pk), status_code=status.HTTP_202_ACCEPTED
        )
        response["Location"] = request.build_absolute_uri(
            reverse("api:review-detail", kwargs={"id": review.public_id})
        )
        return response


@extend_schema_view(
    list=extend_schema(summary="List reviews"),
    retrieve=extend_schema(summary="One review: its progress, and the plan it produced"),
)
class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Reviews: queued, running, done (with the plan) or failed (with the error)."""

    serializer_class = ReviewOut
    filterset_class = ReviewFilter

    def get_queryset(self) -> QuerySet[Review]:
        return reviews_for(self.request.user)


class HouseholdPlanViewSet(ApiViewSet):
    """``GET /households/{household_id}/action-plan/``: the household's current plan."""

    serializer_class = PlanOut
    filter_backends: list[Any] = []
    pagination_class = None

    @extend_schema(
        summary="The household's current action plan",
        description=(
            "The current plan for the tax year (default: this year) with every recommendation, "
            "its reason, rule and tax saved, and each as a CRM-neutral `task`. 404 when the "
            "household has no plan for that year yet."
        ),
        parameters=[
            OpenApiParameter(
                "tax_year",
                int,
                OpenApiParameter.QUERY,
                description="Default: the current year (the year of `as_of` when given).",
            ),
            OpenApiParameter(
                "as_of",
                OpenApiTypes.DATE,
                OpenApiParameter.QUERY,
                description=(
                    "The plan that was current at the end of that day (UTC), with each "
                    "recommendation's status as it was then (from the decision log)."
                ),
            ),
        ],
        responses={200: PlanOut},
    )
    def current(self, request: Request, household_id: Any) -> Response:
        household = _household(request, household_id)
        query = PlanQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        day = query.validated_data.get("as_of")
        if day is not None:  # the plan as it stood at the end of that day (taxlogic/records.py)
            tax_year = query.validated_data.get("tax_year") or day.year
            plan = records.plan_current_on(
                plans_for(request.user), household_id=household.pk, tax_year=tax_year, day=day
            )
            if plan is None:
                raise NotFound(f"The household had no plan for {tax_year} on {day:%Y-%m-%d}.")
            data = PlanOut(plan, context=self.get_serializer_context()).data
            return Response(records.as_of_data(data, plan=plan, day=day))
        tax_year = query.validated_data.get("tax_year") or timezone.localdate().year
        plan = (
            plans_for(request.user)
            .filter(household=household, tax_year=tax_year, is_current=True)
            .first()
        )
        if plan is None:
            raise NotFound(f"The household has no plan for {tax_year} yet: start a review.")
        return self.render(plan)


class PlanQuery(serializers.Serializer):
    tax_year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    as_of = bounds.api_date(
        required=False, help_text="The plan as it stood at the end of this day (UTC)."
    )


@extend_schema_view(
    retrieve=extend_schema(summary="One action plan"),
)
class ActionPlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Action plans with their recommendations. One plan per household and tax year is
    current; a re-run with changed data supersedes it."""

    serializer_class = PlanOut
    filterset_class = ActionPlanFilter

    def _expanded(self) -> bool:
        return self.action != "list" or "recommendations" in _expand(self.request)

    def get_queryset(self) -> QuerySet[ActionPlan]:
        if self._expanded():
            return plans_for(self.request.user)
        return plan_summaries_for(self.request.user)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return PlanOut if self._expanded() else PlanSummaryOut

    @extend_schema(
        summary="List action plans (current and superseded)",
        description=(
            "Each plan's totals and `recommendation_count`; `?expand=recommendations` adds "
            "every recommendation with its CRM task, as the detail does."
        ),
        parameters=[
            OpenApiParameter(
                "expand",
                str,
                OpenApiParameter.QUERY,
                enum=["recommendations"],
                description="`recommendations`: embed the recommendations (a larger answer).",
            )
        ],
        responses={200: PlanSummaryOut(many=True)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)


def _share_plan_results(recommendations: list[Recommendation]) -> None:
    """Each plan's stored result (for the account labels) read and decoded once for the page,
    not once for each of its recommendations."""
    ids = {r.plan_id for r in recommendations}
    results = dict(ActionPlan.objects.filter(pk__in=ids).values_list("pk", "result"))
    for r in recommendations:
        r.plan.result = results.get(r.plan_id, {})


def _expand(request: Request) -> set[str]:
    return {
        part.strip()
        for value in request.query_params.getlist("expand")
        for part in value.split(",")
        if part.strip()
    }


_CONFLICT = OpenApiResponse(
    DecisionConflictOut,
    description="Not allowed from the recommendation's status, or a newer review has "
    "replaced its plan.",
)


def _decide_schema(summary: str, request: type[serializers.Serializer]) -> Any:
    return extend_schema(
        summary=summary,
        request=request,
        responses={200: RecommendationOut, 409: _CONFLICT},
    )


@extend_schema_view(
    retrieve=extend_schema(summary="One recommendation, with its CRM task"),
)
class RecommendationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Recommendations, decided as on the plan page: the same service, the same decision log,
    the same ``recommendation.decided`` webhook."""

    serializer_class = RecommendationOut
    filterset_class = RecommendationFilter
    required_scopes = dict.fromkeys(DECISIONS, REVIEWS_SCOPE)

    def _expanded(self) -> bool:
        return self.action != "list" or "task" in _expand(self.request)

    def get_queryset(self) -> QuerySet[Recommendation]:
        if self._expanded():
            return recommendations_for(self.request.user)
        return (
            scoping.visible(self.request.user, Recommendation)
            # Four joins, the rest prefetched: PostgreSQL spent ~28 ms planning the page's
            # query with all eight joined, to run it in 3 ms.
            .select_related("plan", "household", "account__owner")
            .prefetch_related("security", "lot", "replacement", "decided_by")
            .defer("plan__result")
        )

    def paginate_queryset(self, queryset: QuerySet) -> list[Any] | None:
        page = super().paginate_queryset(queryset)
        if page and self._expanded():
            _share_plan_results(page)  # the tasks' labels
        return page

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action == "dismiss":
            return DismissIn
        if self.action in DECISIONS:
            return DecisionIn
        return super().get_serializer_class() if self._expanded() else RecommendationSummaryOut

    @extend_schema(
        summary="List recommendations",
        description=(
            "Each recommendation with its reason and figures; `?expand=task` adds its CRM "
            "`task`, as the detail and the household's `action-plan/` do."
        ),
        parameters=[
            OpenApiParameter(
                "expand",
                str,
                OpenApiParameter.QUERY,
                enum=["task"],
                description="`task`: add each recommendation's CRM task (a larger answer).",
            )
        ],
        responses={200: RecommendationSummaryOut(many=True)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def _decide(self, request: Request, decision: str) -> Response:
        recommendation = self.get_writable_object()
        data = self.parse(request.data)
        try:
            services.recommendation_decide(
                recommendation=recommendation,
                user=request.user,
                decision=decision,
                reason=data.get("reason", ""),
            )
        except DjangoValidationError as exc:
            recommendation.refresh_from_db(fields=["status"])
            detail = {"detail": " ".join(exc.messages), "status": recommendation.status}
            raise Conflict(detail) from None
        return self.render(self.get_queryset().get(pk=recommendation.pk))

    @_decide_schema("Approve a recommendation", DecisionIn)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, id: str) -> Response:
        return self._decide(request, Decision.APPROVE)

    @_decide_schema("Dismiss a recommendation (say why)", DismissIn)
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, id: str) -> Response:
        return self._decide(request, Decision.DISMISS)

    @_decide_schema("Mark a recommendation executed", DecisionIn)
    @action(detail=True, methods=["post"])
    def executed(self, request: Request, id: str) -> Response:
        return self._decide(request, Decision.EXECUTE)

    @_decide_schema("Reopen an approved or dismissed recommendation", DecisionIn)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, id: str) -> Response:
        return self._decide(request, Decision.REOPEN)

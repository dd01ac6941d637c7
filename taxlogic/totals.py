"""Totals that follow decisions: a dismissed harvest leaves every total; an executed one moves
to "harvested this year" with the tax saved credited (``Recommendation.credited_tax_saved``) and
the loss the recorded sale realized beside the estimate.

Open (open or awaiting a second approval) and approved harvests are counted on the current
plan; executed ones on any plan of the tax year (the plan after the sale no longer lists the lot
sold, so the harvest stays credited to the plan that asked for it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from clients.models import Household
from taxlogic.models import ActionPlan, PlanStatus, Recommendation, RecommendationStatus

ZERO = Decimal("0.00")
_R = RecommendationStatus
MONEY = DecimalField(max_digits=18, decimal_places=2)
OPEN = (_R.OPEN, _R.CHECKING)


@dataclass(slots=True)
class Totals:
    """Harvests by where they stand: losses (estimated; realized once sold) and tax saved."""

    open_loss: Decimal = ZERO
    open_saved: Decimal = ZERO
    approved_loss: Decimal = ZERO
    approved_saved: Decimal = ZERO
    executed_loss: Decimal = ZERO
    realized_loss: Decimal = ZERO
    credited_saved: Decimal = ZERO
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def pending_loss(self) -> Decimal:
        return self.open_loss + self.approved_loss

    @property
    def harvest_loss(self) -> Decimal:
        """Every harvest not dismissed: to decide, approved and executed."""
        return self.pending_loss + self.executed_loss

    @property
    def tax_saved(self) -> Decimal:
        """Estimated on what is still to trade, credited on what was traded."""
        return self.open_saved + self.approved_saved + self.credited_saved

    @property
    def dismissed(self) -> int:
        return self.counts.get(_R.DISMISSED, 0)

    def add(self, r: Recommendation) -> None:
        self.counts[r.status] = self.counts.get(r.status, 0) + 1
        loss, saved = r.estimated_loss or ZERO, r.tax_saved or ZERO
        if r.status in OPEN:
            self.open_loss += loss
            self.open_saved += saved
        elif r.status == _R.APPROVED:
            self.approved_loss += loss
            self.approved_saved += saved
        elif r.status == _R.EXECUTED:
            self.executed_loss += loss
            self.realized_loss += r.realized_loss if r.realized_loss is not None else loss
            self.credited_saved += r.credited_tax_saved or ZERO


def totals_of(recommendations: Iterable[Recommendation]) -> Totals:
    """The totals of harvests (other steps have no loss or saving of their own)."""
    out = Totals()
    for r in recommendations:
        if r.kind == "harvest":
            out.add(r)
    return out


def _plus(*names: str) -> F:
    expression = F(names[0])
    for name in names[1:]:
        expression = expression + F(name)
    return expression


def _harvests(tax_year: int) -> QuerySet[Recommendation]:
    return Recommendation.objects.filter(
        household=OuterRef("pk"), plan__tax_year=tax_year, kind="harvest"
    ).order_by()


def _sum(rows: QuerySet[Recommendation], column: str) -> Subquery:
    return Subquery(
        rows.values("household").annotate(total=Sum(column)).values("total")[:1],
        output_field=MONEY,
    )


def with_decision_totals(households: QuerySet[Household], *, tax_year: int) -> QuerySet[Household]:
    """Each household with its harvests by status, in subqueries of the same query:
    ``loss_open``, ``loss_approved``, ``loss_executed``, ``loss_realized``, ``saved_pending``,
    ``saved_credited`` (0 when none), and ``plan_loss`` / ``plan_saved`` (every harvest not
    dismissed; null without a current plan) for the list's columns and sorts."""
    rows = _harvests(tax_year)
    current = rows.filter(plan__is_current=True)
    executed = rows.filter(status=_R.EXECUTED)
    zero = Value(ZERO, output_field=MONEY)
    has_plan = Subquery(
        ActionPlan.objects.filter(
            household=OuterRef("pk"), tax_year=tax_year, is_current=True
        ).values("status")[:1]
    )
    households = households.annotate(
        loss_open=Coalesce(_sum(current.filter(status__in=OPEN), "estimated_loss"), zero),
        loss_approved=Coalesce(_sum(current.filter(status=_R.APPROVED), "estimated_loss"), zero),
        loss_executed=Coalesce(_sum(executed, "estimated_loss"), zero),
        loss_realized=Coalesce(_sum(executed, "realized_loss"), zero),
        saved_pending=Coalesce(
            _sum(current.filter(status__in=(*OPEN, _R.APPROVED)), "tax_saved"), zero
        ),
        saved_credited=Coalesce(_sum(executed, "credited_tax_saved"), zero),
        decided_status=has_plan,
    )
    return households.annotate(
        plan_loss=Case(
            When(decided_status__isnull=True, then=Value(None, output_field=MONEY)),
            default=_plus("loss_open", "loss_approved", "loss_executed"),
            output_field=MONEY,
        ),
        plan_saved=Case(
            When(decided_status__isnull=True, then=Value(None, output_field=MONEY)),
            default=_plus("saved_pending", "saved_credited"),
            output_field=MONEY,
        ),
    )


def book_totals(households: QuerySet[Household], *, tax_year: int) -> dict[str, object]:
    """The book's figures in one query: households, plans by status, and the harvests by
    status (``Totals``), from per-household subqueries (no join multiplies the rows)."""
    annotated = with_decision_totals(households.order_by(), tax_year=tax_year)
    totals = annotated.aggregate(
        households=Count("id"),
        with_plan=Count("id", filter=Q(decided_status__isnull=False)),
        open_loss=Coalesce(Sum("loss_open"), Value(ZERO, output_field=MONEY)),
        approved_loss=Coalesce(Sum("loss_approved"), Value(ZERO, output_field=MONEY)),
        executed_loss=Coalesce(Sum("loss_executed"), Value(ZERO, output_field=MONEY)),
        realized_loss=Coalesce(Sum("loss_realized"), Value(ZERO, output_field=MONEY)),
        pending_saved=Coalesce(Sum("saved_pending"), Value(ZERO, output_field=MONEY)),
        credited_saved=Coalesce(Sum("saved_credited"), Value(ZERO, output_field=MONEY)),
        **{f"status_{s.value}": Count("id", filter=Q(decided_status=s.value)) for s in PlanStatus},
    )
    return totals

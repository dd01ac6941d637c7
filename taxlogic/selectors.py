"""Reads for the plan pages and the household list; every queryset starts from the user's
scope (advisors/scoping.py). The plan page reads a stored plan: a fixed number of queries
however many lots the household has."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Case,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone

from advisors import scoping
from clients import page_cache
from clients.models import Account, Action, Household, TaxProfile, Transaction
from taxlogic.models import (
    TRADE_KINDS,
    ActionPlan,
    PlannedRealization,
    PlanStatus,
    Recommendation,
    RecommendationDecision,
    RecommendationStatus,
    Review,
    WashAlert,
    WashWatch,
)
from taxlogic.rules.carryforward import money_text
from taxlogic.rules.harvest import NOT_SO
from taxlogic.totals import Totals, book_totals, totals_of, with_decision_totals

if TYPE_CHECKING:
    from advisors.scoping import User

ZERO = Decimal("0.00")
DECISIONS_SHOWN = 50
PLANS_SHOWN = 10


# --- the plan page ----------------------------------------------------------------------------


@dataclass(slots=True)
class Finding:
    """A lot the plan does not sell, for the page: the stored finding with names and a link."""

    data: dict[str, Any]
    account: str
    lot: str
    lot_url: str


@dataclass(slots=True)
class AccountFindings:
    account: str
    loss: Decimal
    reason: dict[str, str]
    lots: list[Finding] = field(default_factory=list)


@dataclass(slots=True)
class CalendarEntry:
    day: date
    what: str
    where: str
    reason: dict[str, str]


@dataclass(slots=True)
class PlanPage:
    household: Household
    plan: ActionPlan | None
    review: Review | None
    recommendations: list[Recommendation]
    result: dict[str, Any]
    figures: list[dict[str, Any]]
    blocked: list[Finding]
    tax_advantaged: list[AccountFindings]
    below_threshold: list[Finding]
    wait: list[Finding]
    calendar: list[CalendarEntry]
    decisions: list[RecommendationDecision]
    history: list[ActionPlan]
    counts: dict[str, int]
    totals: Totals = field(default_factory=Totals)
    watches: list[WashWatch] = field(default_factory=list)
    alerts: list[WashAlert] = field(default_factory=list)
    unasked_sales: list[Any] = field(default_factory=list)
    executed_earlier: list[Recommendation] = field(default_factory=list)
    has_tax_advantaged: bool = False
    planned: list[PlannedRealization] = field(default_factory=list)
    profile: TaxProfile | None = None

    @property
    def notes(self) -> list[dict[str, str]]:
        return [n for n in self.result.get("notes", ()) if not n["code"].startswith("myth_")]

    @property
    def myths(self) -> list[dict[str, str]]:
        """Published advice that does not work: shown wherever the household has a
        tax-advantaged account (the engine writes them where every account is one)."""
        found = [n for n in self.result.get("notes", ()) if n["code"].startswith("myth_")]
        if found or not self.has_tax_advantaged:
            return found
        return [n.to_json() for n in NOT_SO]

    @property
    def no_taxable_accounts(self) -> bool:
        return any(n["code"] == "no_taxable_accounts" for n in self.notes)

    @property
    def saving_now(self) -> list[Recommendation]:
        """The recommendations, less the harvests that save nothing this year."""
        return [r for r in self.recommendations if not _carry_only(r)]

    @property
    def carry_only(self) -> list[Recommendation]:
        """Harvests that save $0 this year and only add to the carryforward: grouped apart."""
        return [r for r in self.recommendations if _carry_only(r)]

    @property
    def approved_trades(self) -> int:
        return _approved_trades((r.status, r.kind) for r in self.recommendations)


def _carry_only(r: Recommendation) -> bool:
    return r.kind == "harvest" and r.tax_saved == 0 and bool(r.carryforward_added)


def _approved_trades(rows: Iterable[tuple[str, str]]) -> int:
    """How many of the (status, kind) rows are approved trades (the trades CSV's rows)."""
    return sum(
        1
        for status, kind in rows
        if kind in TRADE_KINDS and status == RecommendationStatus.APPROVED
    )


def _status_counts(statuses: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for status in statuses:
        counts[status] += 1
    return dict(counts)


def _plan_of(plans: QuerySet[ActionPlan], tax_year: int, plan_id: Any) -> ActionPlan | None:
    """The plan ``plan_id`` (current or not), else the current plan of ``tax_year``."""
    if plan_id is not None:
        return plans.filter(public_id=plan_id).first()
    return plans.filter(tax_year=tax_year, is_current=True).first()


def _lot_url(public_id: str) -> str:
    return reverse("clients:lot_detail", args=[public_id])


@dataclass(frozen=True, slots=True)
class PlanProgress:
    """What the plan's progress bar shows (its htmx partial, asked again after each decision):
    the recommendations' statuses in plan order and the approved trades. Two queries: no
    recommendation rows, no stored plan result."""

    recommendations: list[str]  # each recommendation's status, in plan order
    counts: dict[str, int]
    approved_trades: int


def plan_progress(
    *, user: User, household: Household, tax_year: int, plan_id: Any = None
) -> tuple[ActionPlan | None, PlanProgress]:
    plans = scoping.visible(user, ActionPlan).filter(household=household).defer("result")
    plan = _plan_of(plans, tax_year, plan_id)
    rows: list[tuple[str, str]] = []
    if plan is not None:
        rows = list(
            scoping.visible(user, Recommendation)
            .filter(plan=plan)
            .order_by("position")
            .values_list("status", "kind")
        )
    statuses = [status for status, _ in rows]
    return plan, PlanProgress(statuses, _status_counts(statuses), _approved_trades(rows))


def plan_page(
    *,
    user: User,
    household: Household,
    tax_year: int,
    plan_id: Any = None,
    today: date | None = None,
) -> PlanPage:
    """The household's current plan for ``tax_year`` (or the plan ``plan_id``, current or not),
    its recommendations, the latest review, recent decisions and earlier plans: five queries;
    and what happened after the plan (taxlogic/watch.py): the harvests executed on earlier
    plans of the year, the open do-not-buy windows of loss sales and their alerts, the sales
    no recommendation asked for: four more.

    Kept in the page cache (clients/page_cache.py) for the user until the household's data
    changes (a decision, a review, a fill, a planned gain: each moves the household's version)
    or the firm's shared data does (settings, the replacement list, an import, a year-end run):
    the plan page and its body, asked again after every decision elsewhere on the page, read
    it instead of ten queries."""
    today = today or timezone.localdate()
    key, cached = page_cache.household_get(
        user, household, "plan", tax_year, str(plan_id) if plan_id else "", today
    )
    if cached is not None:
        return cached
    page = _plan_page(
        user=user, household=household, tax_year=tax_year, plan_id=plan_id, today=today
    )
    page_cache.put(key, page)
    return page


def _plan_page(
    *, user: User, household: Household, tax_year: int, plan_id: Any, today: date
) -> PlanPage:
    plans = scoping.visible(user, ActionPlan).filter(household=household)
    plan = _plan_of(plans, tax_year, plan_id)
    review = (
        scoping.visible(user, Review)
        .filter(household=household)
        .select_related("requested_by")
        .order_by("-created", "-id")
        .first()
    )
    recommendations: list[Recommendation] = []
    decisions: list[RecommendationDecision] = []
    result: dict[str, Any] = {}
    if plan is not None:
        result = plan.result
        recommendations = list(
            scoping.visible(user, Recommendation)
            .filter(plan=plan)
            .select_related(
                "account",
                "security",
                "lot",
                "replacement",
                "decided_by",
                "first_approved_by",
                "sale",
            )
            .order_by("position")
        )
        decisions = list(
            scoping.visible(user, RecommendationDecision)
            .filter(recommendation__plan=plan)
            .select_related("decided_by", "recommendation__security", "plan")
            .order_by("-decided_at", "-id")[:DECISIONS_SHOWN]
        )
    history = list(
        plans.exclude(pk=plan.pk if plan else None)
        .defer("result")
        .order_by("-created", "-id")[:PLANS_SHOWN]
    )
    labels: dict[str, str] = result.get("labels", {})
    for r in recommendations:
        r.account_label = labels.get(str(r.account.public_id), str(r.account))
    counts = _status_counts(r.status for r in recommendations)

    def finding(data: dict[str, Any]) -> Finding:
        return Finding(
            data,
            labels.get(data["account"], data["account"]),
            labels.get(data["lot"], data["lot"][:8]),
            _lot_url(data["lot"]),
        )

    advantaged: dict[str, AccountFindings] = {}
    for data in result.get("tax_advantaged", ()):
        group = advantaged.get(data["account"])
        if group is None:
            group = advantaged[data["account"]] = AccountFindings(
                labels.get(data["account"], data["account"]), ZERO, data["reason"]
            )
        group.lots.append(finding(data))
        group.loss -= Decimal(data["unrealized"])
    blocked = [finding(d) for d in result.get("blocked", ())]
    after = after_the_plan(
        user=user, household=household, tax_year=tax_year, plan=plan, today=today
    )
    calendar = _calendar(result, recommendations, blocked, labels)
    calendar = _with_watches(calendar, after["watches"])
    totals = totals_of([*recommendations, *after["executed_earlier"]])
    return PlanPage(
        household=household,
        plan=plan,
        review=review,
        recommendations=recommendations,
        result=result,
        figures=result.get("figures", []),
        blocked=blocked,
        tax_advantaged=list(advantaged.values()),
        below_threshold=[finding(d) for d in result.get("below_threshold", ())],
        wait=[finding(d) for d in result.get("wait", ())],
        calendar=calendar,
        decisions=decisions,
        history=history,
        counts=counts,
        totals=totals,
        **after,
    )


def _calendar(
    result: dict[str, Any],
    recommendations: list[Recommendation],
    blocked: list[Finding],
    labels: dict[str, str],
) -> list[CalendarEntry]:
    """The do-not-buy calendar: what not to buy until when, the recurring purchases to stop,
    and the days blocked lots clear; in date order."""
    entries = []
    for avoid in result.get("do_not_buy", ()):
        where = ", ".join(labels.get(a, a) for a in avoid["accounts"])
        what = "Do not buy " + ", ".join(avoid["symbols"])
        entries.append(
            CalendarEntry(date.fromisoformat(avoid["through"]), what, where, avoid["reason"])
        )
    for r in recommendations:
        if not r.is_trade and r.do_not_buy_through is not None:
            what = f"{r.get_kind_display()}: {r.security.symbol}"
            reason = {"code": r.reason_code, "text": r.text, "rule": r.rule}
            entries.append(CalendarEntry(r.do_not_buy_through, what, r.account_label, reason))
    for b in blocked:
        clears = b.data.get("clears_on")
        if clears:
            what = f"{b.data['symbol']} lot {b.lot} may be harvested from this day"
            if any(n["code"] == "recurring_purchase" for n in b.data["notes"]):
                what += ", if the recurring purchases stop"
            entries.append(
                CalendarEntry(date.fromisoformat(clears), what, b.account, b.data["reason"])
            )
    return sorted(entries, key=lambda e: e.day)


def after_the_plan(
    *, user: User, household: Household, tax_year: int, plan: ActionPlan | None, today: Any
) -> dict[str, Any]:
    """The harvests executed on the year's earlier plans, the loss sales' windows still open on
    ``today`` (whatever the tax year: a December sale's window runs into January) with their
    alerts, and the year's sales that no recommendation asked for."""
    today = today or timezone.localdate()
    executed = list(
        scoping.visible(user, Recommendation)
        .filter(household=household, plan__tax_year=tax_year, status=RecommendationStatus.EXECUTED)
        .exclude(plan=plan)
        .select_related("security")
    )
    watches = list(
        scoping.visible(user, WashWatch)
        .filter(household=household, through__gte=today)
        .select_related("security", "account", "sale")
        .order_by("through", "id")
    )
    alerts = (
        list(
            scoping.visible(user, WashAlert)
            .filter(watch__in=watches)
            .select_related("acquisition__security", "watch__security")
        )
        if watches
        else []
    )
    asked = Recommendation.objects.filter(household=household, sale__isnull=False)
    unasked = list(
        scoping.visible(user, Transaction)
        .filter(account__household=household, action=Action.SELL, trade_date__year=tax_year)
        .exclude(pk__in=asked.values("sale_id"))
        .select_related("security", "account")
        .order_by("-trade_date", "-id")[:DECISIONS_SHOWN]
    )
    advantaged = (
        scoping.visible(user, Account)
        .filter(household=household)
        .exclude(treatment="taxable")
        .exists()
    )
    planned = list(
        scoping.visible(user, PlannedRealization).filter(household=household, tax_year=tax_year)
    )
    profile = (
        scoping.visible(user, TaxProfile)
        .filter(household=household, tax_year__lte=tax_year)
        .order_by("-tax_year")
        .first()
    )
    return {
        "planned": planned,
        "profile": profile,
        "has_tax_advantaged": advantaged,
        "executed_earlier": executed,
        "watches": watches,
        "alerts": alerts,
        "unasked_sales": unasked,
    }


def _with_watches(entries: list[CalendarEntry], watches: list[WashWatch]) -> list[CalendarEntry]:
    """The calendar with every open window of a recorded loss sale (once: a window the plan
    already lists for the same day and symbol is not repeated)."""
    listed = {(e.day, symbol) for e in entries for symbol in e.what.split()}
    out = list(entries)
    for w in watches:
        symbol = w.security.symbol
        if (w.through, symbol) in listed or (w.through, f"{symbol},") in listed:
            continue
        what = f"Do not buy {symbol}: sold {w.sold:%Y-%m-%d} at a loss of {money_text(w.loss)}"
        reason = {
            "code": "wash_window",
            "text": "A purchase of the same or a substantially identical security within 30 "
            "days after a loss sale, in any of the household's accounts (the spouse's and the "
            "IRAs included), disallows the loss; in an IRA it is lost for good.",
            "rule": "IRC §1091(a); Rev. Rul. 2008-5",
        }
        out.append(CalendarEntry(w.through, what, "All of the household's accounts", reason))
    return sorted(out, key=lambda e: e.day)


def approved_trades(*, user: User, household: Household, tax_year: int) -> list[Recommendation]:
    """The approved trades of the household's current plan, in plan order."""
    return list(
        scoping.visible(user, Recommendation)
        .filter(
            household=household,
            plan__tax_year=tax_year,
            plan__is_current=True,
            status=RecommendationStatus.APPROVED,
            kind__in=TRADE_KINDS,
        )
        .select_related("account", "security", "lot", "replacement")
        .order_by("position")
    )


# --- the household list -------------------------------------------------------------------------

SORTS = {
    "name": ("name", "id"),
    "loss": ("plan_loss", "name"),
    "saved": ("plan_saved", "name"),
    "status": ("plan_status_order", "name"),
}
STATUS_ORDER = {
    PlanStatus.OPEN: 0,
    PlanStatus.DECIDED: 1,
    PlanStatus.DONE: 2,
    PlanStatus.NOTHING: 3,
}


def with_plan_figures(households: QuerySet[Household], *, tax_year: int) -> QuerySet[Household]:
    """Each household with its current plan's status and its harvests by decision (null
    without a plan): dismissed ones leave the totals (taxlogic/totals.py)."""
    current = ActionPlan.objects.filter(
        household=OuterRef("pk"), tax_year=tax_year, is_current=True
    )
    households = with_decision_totals(households, tax_year=tax_year)
    return households.annotate(
        plan_status=Subquery(current.values("status")[:1]),
        plan_public_id=Subquery(current.values("public_id")[:1]),
    )


def sort_households(households: QuerySet[Household], sort: str) -> tuple[QuerySet[Household], str]:
    """``households`` (annotated by ``with_plan_figures``) in the order ``sort`` names, a key
    of ``SORTS`` with ``-`` for descending; unknown keys sort by name. Households without a
    plan come last either way."""
    key = sort.lstrip("-")
    if key not in SORTS:
        key, sort = "name", "name"
    first, tie = SORTS[key]
    if key == "status":
        households = households.annotate(
            plan_status_order=Case(
                *(When(plan_status=s.value, then=Value(n)) for s, n in STATUS_ORDER.items()),
                default=Value(len(STATUS_ORDER)),
            )
        )
    column = F(first)
    ordered = column.desc(nulls_last=True) if sort.startswith("-") else column.asc(nulls_last=True)
    return households.order_by(ordered, tie, "id"), sort


@dataclass(frozen=True, slots=True)
class Book:
    """An advisor's book at a glance: households, plans by status, and the harvests by where
    they stand (dismissed ones in no total)."""

    households: int
    with_plan: int
    harvest_loss: Decimal
    tax_saved: Decimal
    by_status: dict[str, int]
    open_loss: Decimal = ZERO
    approved_loss: Decimal = ZERO
    executed_loss: Decimal = ZERO
    realized_loss: Decimal = ZERO
    pending_saved: Decimal = ZERO
    credited_saved: Decimal = ZERO


def book_summary(households: QuerySet[Household], *, tax_year: int) -> Book:
    """One aggregate query over the visible households (taxlogic/totals.py)."""
    t = book_totals(households, tax_year=tax_year)
    return Book(
        households=t["households"],
        with_plan=t["with_plan"],
        harvest_loss=t["open_loss"] + t["approved_loss"] + t["executed_loss"],
        tax_saved=t["pending_saved"] + t["credited_saved"],
        by_status={s.value: t[f"status_{s.value}"] for s in PlanStatus},
        open_loss=t["open_loss"],
        approved_loss=t["approved_loss"],
        executed_loss=t["executed_loss"],
        realized_loss=t["realized_loss"],
        pending_saved=t["pending_saved"],
        credited_saved=t["credited_saved"],
    )

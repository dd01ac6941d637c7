"""Reviews: load a household into the rule engine, run the planner, keep the plan; and the
decisions advisors make on it. The only code that does both ORM and engine work.

How stored lots and transactions become the engine's history (``household_inputs``):

- The look-back window starts 30 days before the tax year (the earliest purchase that can wash
  a sale of the year) and ends on the as-of date.
- A lot opened by a purchase or dividend reinvestment inside the window is a *buy trade* whose
  id is the lot's public id, at the amount paid. Its stored wash-sale adjustment is ignored:
  the engine recomputes every wash sale of the window, household-wide.
- Every other lot is a *starting lot* as it stood when the window opened: what is open now plus
  what the window's sales took from it, at basis + wash-sale adjustment (the custodian's, from
  before the window). A lot acquired before the window starts its holding period at its stored
  holding-period start (which includes any tacked-on period); it is too old to be a replacement.
- A sale inside the window is a *sell trade* naming the lot it relieved (specific
  identification), at its net proceeds. Transfers out are not sales: their shares count as
  gone before the window, and a lot transferred in is a starting lot.
- Recurring purchases the planner must know about: a dividend reinvestment in the last 400 days
  (the fund's reinvestment is on), and two or more purchases of a fund in an employer plan in
  the last 120 days (the contribution allocation buys it).

The snapshot (a case in the engine's JSON format plus the planner's settings) is stored with
the review; its SHA-256 with the engine version makes re-running unchanged data a no-op.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from advisors import scoping
from advisors.models import Advisor, ApiClient, Firm, WebhookEvent
from advisors.webhooks import webhooks_emit
from clients.models import (
    Account,
    AcquiredHow,
    Action,
    Household,
    PersonRole,
    Replacement,
    Security,
    TaxLot,
    TaxProfile,
    Transaction,
)
from clients.selectors import latest_close
from taxlogic.models import (
    ActionPlan,
    Decision,
    HarvestSettings,
    PlanStatus,
    Recommendation,
    RecommendationDecision,
    RecommendationStatus,
    Review,
    ReviewStatus,
)
from taxlogic.rules.accounts import EMPLOYER_PLAN_TYPES, SEPARATE_TAXPAYER_TYPES, AccountType
from taxlogic.rules.cases import CaseError
from taxlogic.rules.harvest import Plan, Recurring, plan_from_snapshot
from taxlogic.rules.lots import to_cents
from taxlogic.rules.reasons import Reason
from taxlogic.rules.version import ENGINE_VERSION
from taxlogic.rules.wash_sales import WINDOW_DAYS, EngineError

log = logging.getLogger(__name__)

Actor = Advisor | ApiClient
DRIP_LOOKBACK = timedelta(days=400)
CONTRIBUTION_LOOKBACK = timedelta(days=120)
# A queued or running review older than this is taken to be lost (a worker died).
STALE_REVIEW = timedelta(minutes=15)
_OPENING = (Action.BUY, Action.REINVEST)


# --- firm settings ----------------------------------------------------------------------------


def harvest_settings_get(*, firm_id: int) -> HarvestSettings:
    """The firm's settings, created at their defaults the first time they are asked for."""
    found, _ = HarvestSettings.objects.get_or_create(firm_id=firm_id)
    return found


@transaction.atomic
def harvest_settings_update(*, user: Actor, firm: Firm, changes: dict[str, Any]) -> HarvestSettings:
    """Change a firm's thresholds, policy flags or year-end schedule (firm admins only)."""
    if not scoping.writable(user, Firm).filter(pk=firm.pk).exists():
        raise PermissionDenied("Only the firm's admins change its harvest settings.")
    found = HarvestSettings.objects.select_for_update().get(
        pk=harvest_settings_get(firm_id=firm.pk).pk
    )
    allowed = {
        "min_loss_dollars",
        "min_loss_percent",
        "policy",
        "time_zone",
        "run_dates",
        "run_time",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This setting cannot be changed."))
    for name, value in changes.items():
        setattr(found, name, value)
    found.updated_by = user if isinstance(user, Advisor) else None
    found.full_clean()
    found.save()
    return found


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Inputs:
    """A household as the engine sees it (``snapshot``), and the way back from the engine's ids
    to rows: public ids to lot and account keys, symbols to security keys."""

    snapshot: dict[str, Any]
    lots: dict[str, int]
    accounts: dict[str, int]
    securities: dict[str, int]

    @property
    def digest(self) -> str:
        return inputs_hash(self.snapshot)


def inputs_hash(snapshot: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the inputs and the engine version."""
    canonical = json.dumps(
        {"engine": ENGINE_VERSION, "inputs": snapshot},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _text(value: Decimal) -> str:
    return f"{value.normalize():f}" if value else "0"


def _account_label(account: Account) -> str:
    first = account.owner.name.split()[0] if account.owner.name else ""
    who = f", {first}" if first else ""
    return f"{account.custodian} {account.masked_number} ({account.type_label}{who})"


_LOT_FIELDS = (
    "id",
    "public_id",
    "external_id",
    "account_id",
    "quantity",
    "original_quantity",
    "cost_basis",
    "wash_sale_adjustment",
    "acquired",
    "holding_period_start",
    "how_acquired",
    "gift_date",
    "gift_value",
)
_TRANSACTION_FIELDS = (
    "id",
    "public_id",
    "lot_id",
    "account_id",
    "action",
    "trade_date",
    "quantity",
    "amount",
    "basis_relieved",
)


def household_inputs(household: Household, *, tax_year: int, as_of: date) -> Inputs:
    """The household on ``as_of`` as engine inputs (see the module docstring for the mapping),
    in a fixed number of queries. Raises ValidationError when it cannot be reviewed."""
    notes: list[Reason] = []
    window = date(tax_year, 1, 1) - timedelta(days=WINDOW_DAYS)

    people = list(household.people.all())
    taxpayer = next((p for p in people if p.role == PersonRole.TAXPAYER), None)
    if taxpayer is None:
        raise ValidationError("The household has no taxpayer: add one before running a review.")
    profile = (
        TaxProfile.objects.filter(household=household, tax_year__lte=tax_year)
        .order_by("-tax_year")
        .first()
    )
    if profile is None:
        raise ValidationError(
            f"The household has no tax profile for {tax_year}: add its filing status and income."
        )
    if profile.tax_year != tax_year:
        notes.append(
            Reason(
                "older_tax_profile",
                f"There is no tax profile for {tax_year}: the {profile.tax_year} profile's filing "
                "status, income and carryforward are used. Update it for a reliable plan.",
                "—",
            )
        )

    accounts = list(household.accounts.select_related("owner"))
    people_json = [
        {"id": str(p.public_id), "role": p.role}
        for p in people
        if p.role in (PersonRole.TAXPAYER, PersonRole.SPOUSE)
    ]
    dependents = {p.pk for p in people if p.role not in (PersonRole.TAXPAYER, PersonRole.SPOUSE)}
    accounts_json = []
    for account in accounts:
        owner = account.owner
        owner_id = str(owner.public_id)
        if owner.pk in dependents:
            if AccountType(account.type) in SEPARATE_TAXPAYER_TYPES:
                people_json.append({"id": owner_id, "role": "dependent"})
            else:
                # A 529 or HSA in a child's name is the parent's account for these rules.
                owner_id = str(taxpayer.public_id)
                notes.append(
                    Reason(
                        "dependent_account",
                        f"{_account_label(account)} is in {owner.name}'s name but is not a "
                        "custodial account or trust: it is treated as the taxpayer's (the "
                        "account owner of a 529 or HSA is a parent).",
                        "IRC §529(c), §223; tax-rules.md §1",
                    )
                )
        accounts_json.append(
            {"id": str(account.public_id), "type": account.type, "owner": owner_id}
        )
    people_json = list({p["id"]: p for p in people_json}.values())

    # Plain rows, not model instances: a household can hold thousands of lots (year-end runs).
    transactions = list(
        Transaction.objects.filter(
            account__household=household, trade_date__gte=window, trade_date__lte=as_of
        )
        .order_by("trade_date", "id")
        .annotate(symbol=F("security__symbol"))
        .values_list(*_TRANSACTION_FIELDS, "symbol", named=True)
    )
    opened = {t.lot_id: t for t in transactions if t.action in _OPENING and t.lot_id is not None}
    lots = list(
        TaxLot.objects.filter(account__household=household, acquired__lte=as_of)
        .filter(Q(quantity__gt=0) | Q(pk__in={t.lot_id for t in transactions if t.lot_id}))
        .order_by("acquired", "id")
        .annotate(
            symbol=F("security__symbol"),
            tracked_index=F("security__tracked_index"),
            same_as_id=F("security__same_as_id"),
        )
        .values_list(*_LOT_FIELDS, "symbol", "tracked_index", "same_as_id", named=True)
    )
    sold: dict[int, tuple[Decimal, Decimal]] = {}
    for t in transactions:
        if t.action == Action.SELL:
            quantity, basis = sold.get(t.lot_id, (Decimal(0), Decimal(0)))
            sold[t.lot_id] = (quantity + t.quantity, basis + (t.basis_relieved or 0))

    public = {lot.id: str(lot.public_id) for lot in lots}
    account_ids = {a.pk: str(a.public_id) for a in accounts}
    labels: dict[str, str] = {account_ids[a.pk]: _account_label(a) for a in accounts}
    lots_json = []
    trades_json = []
    for lot in lots:
        lot_id = public[lot.id]
        labels[lot_id] = lot.external_id or lot_id[:8]
        opening = opened.get(lot.id)
        if opening is not None:
            trades_json.append(
                {
                    "id": lot_id,
                    "account": account_ids[opening.account_id],
                    "date": opening.trade_date.isoformat(),
                    "action": "reinvest" if opening.action == Action.REINVEST else "buy",
                    "symbol": lot.symbol,
                    "quantity": _text(opening.quantity),
                    "amount": f"{opening.amount:.2f}",
                }
            )
            continue
        sold_quantity, sold_basis = sold.get(lot.id, (Decimal(0), Decimal(0)))
        quantity = lot.quantity + sold_quantity
        if quantity <= 0:
            continue
        entry: dict[str, Any] = {
            "id": lot_id,
            "account": account_ids[lot.account_id],
            "symbol": lot.symbol,
            "quantity": _text(quantity),
            "basis": f"{lot.cost_basis + lot.wash_sale_adjustment + sold_basis:.2f}",
            "acquired": (
                lot.holding_period_start if lot.acquired < window else lot.acquired
            ).isoformat(),
            "how": lot.how_acquired,
        }
        if lot.how_acquired == AcquiredHow.GIFT:
            value = lot.gift_value or Decimal(0)
            entry["gift_date"] = lot.gift_date.isoformat()
            entry["value_at_gift"] = f"{to_cents(value * quantity / lot.original_quantity):.2f}"
            entry["acquired"] = lot.holding_period_start.isoformat()
        lots_json.append(entry)
    for t in transactions:
        if t.action != Action.SELL:
            continue
        trades_json.append(
            {
                "id": str(t.public_id),
                "account": account_ids[t.account_id],
                "date": t.trade_date.isoformat(),
                "action": "sell",
                "symbol": t.symbol,
                "quantity": _text(t.quantity),
                "amount": f"{t.amount:.2f}",
                "lots": [{"lot": public[t.lot_id], "quantity": _text(t.quantity)}],
            }
        )
    trades_json.sort(key=lambda t: t["date"])  # stable: same-day trades keep their order

    held = {lot.symbol for lot in lots}
    firm_settings = harvest_settings_get(firm_id=household.firm_id)
    replacements: dict[str, list[str]] = {}
    for symbol, other in (
        Replacement.objects.filter(firm_id=household.firm_id, security__symbol__in=held)
        .order_by("security__symbol", "rank", "replacement__symbol")
        .values_list("security__symbol", "replacement__symbol")
    ):
        replacements.setdefault(symbol, []).append(other)
    indexes = {lot.tracked_index for lot in lots} - {""}
    related = {lot.same_as_id for lot in lots} - {None}
    wanted = held | {s for others in replacements.values() for s in others}
    securities = list(
        Security.objects.filter(
            Q(symbol__in=wanted)
            | Q(tracked_index__in=indexes)
            | Q(same_as__symbol__in=held)
            | Q(pk__in=related)
        )
        .select_related("same_as")
        .annotate(close=latest_close("close", as_of, "pk"))
        .order_by("symbol")
    )
    symbols = {s.symbol for s in securities}
    securities_json = [
        {
            "symbol": s.symbol,
            "kind": s.kind,
            "tracks": s.tracked_index or None,
            "same_as": s.same_as.symbol if s.same_as and s.same_as.symbol in symbols else None,
        }
        for s in securities
    ]
    prices = {s.symbol: _text(s.close) for s in securities if s.close is not None}

    recurring = _recurring(household, accounts, as_of)
    snapshot = {
        "case": {
            "tax_year": tax_year,
            "filing_status": profile.filing_status,
            "as_of": as_of.isoformat(),
            "people": people_json,
            "accounts": accounts_json,
            "securities": securities_json,
            "lots": lots_json,
            "transactions": trades_json,
            "prices": prices,
            "income": {
                "ordinary": f"{profile.expected_ordinary_income:.2f}",
                "investment": f"{profile.investment_income:.2f}",
            },
            "carryforward_in": {
                "short_term": f"{profile.carryforward_short_term:.2f}",
                "long_term": f"{profile.carryforward_long_term:.2f}",
            },
            "policy": firm_settings.policy_flags().to_json(),
        },
        "planner": {
            "min_loss": _text(firm_settings.min_loss_dollars),
            "min_loss_percent": _text(firm_settings.min_loss_percent),
            "replacements": replacements,
            "recurring": recurring,
            "labels": labels,
            "notes": [n.to_json() for n in notes],
        },
    }
    return Inputs(
        snapshot=snapshot,
        lots={public[lot.id]: lot.id for lot in lots},
        accounts={public_id: pk for pk, public_id in account_ids.items()},
        securities={s.symbol: s.pk for s in securities},
    )


def _recurring(household: Household, accounts: list[Account], as_of: date) -> list[dict[str, str]]:
    """Dividend reinvestments that are on, and plan contributions that buy a fund."""
    plans = {a.pk for a in accounts if AccountType(a.type) in EMPLOYER_PLAN_TYPES}
    public = {a.pk: str(a.public_id) for a in accounts}
    seen: dict[tuple[int, str, str], list[date]] = {}
    rows = Transaction.objects.filter(
        Q(action=Action.REINVEST, trade_date__gte=as_of - DRIP_LOOKBACK)
        | Q(action=Action.BUY, account__in=plans, trade_date__gte=as_of - CONTRIBUTION_LOOKBACK),
        account__household=household,
        trade_date__lte=as_of,
    ).values_list("account_id", "security__symbol", "action", "trade_date")
    for account_id, symbol, action, day in rows:
        seen.setdefault((account_id, symbol, action), []).append(day)
    out = []
    for (account_id, symbol, action), days in sorted(seen.items()):
        if action == Action.BUY and len(days) < 2:
            continue
        kind = Recurring.REINVEST if action == Action.REINVEST else Recurring.CONTRIBUTION
        out.append(
            {
                "account": public[account_id],
                "symbol": symbol,
                "kind": kind.value,
                "last": max(days).isoformat(),
            }
        )
    return out


# --- reviews ----------------------------------------------------------------------------------


def _new_review(
    household: Household,
    tax_year: int,
    as_of: date,
    requested_by: Advisor | None,
    **state: Any,
) -> Review:
    return Review.objects.create(
        firm_id=household.firm_id,
        household=household,
        tax_year=tax_year,
        as_of=as_of,
        requested_by=requested_by,
        **state,
    )


def _emit(firm_id: int, event: str, payload: dict[str, Any]) -> None:
    webhooks_emit(firm_id=firm_id, event=event, payload=payload)


@transaction.atomic
def household_review_run(
    *, household: Household, tax_year: int, as_of: date, requested_by: Advisor | None
) -> Review:
    """Review a household now, in this process. Unchanged inputs (same hash, same engine) give
    back the review that computed the current plan, and nothing new is written."""
    locked = Household.objects.select_for_update().get(pk=household.pk)
    current = _current_plan(locked, tax_year)
    try:
        inputs = household_inputs(locked, tax_year=tax_year, as_of=as_of)
    except ValidationError as error:
        return _new_review(
            locked,
            tax_year,
            as_of,
            requested_by,
            status=ReviewStatus.FAILED,
            error=" ".join(error.messages),
            finished=timezone.now(),
        )
    if current is not None and current.inputs_hash == inputs.digest:
        computed = current.reviews.filter(reused=False).first()
        if computed is not None:
            return computed
    review = _new_review(
        locked, tax_year, as_of, requested_by, status=ReviewStatus.RUNNING, started=timezone.now()
    )
    try:
        with transaction.atomic():
            _complete(review, locked, inputs, current)
    except (CaseError, EngineError, ValueError) as error:
        review.status, review.error, review.finished = (
            ReviewStatus.FAILED,
            str(error),
            timezone.now(),
        )
        review.inputs, review.inputs_hash = inputs.snapshot, inputs.digest
        review.save()
    return review


def review_request(*, household: Household, user: Actor) -> Review:
    """Queue a review of ``household`` for today (the "Run review now" button); a review of it
    already queued or running is returned instead of a second one."""
    with transaction.atomic():
        if not scoping.can_start_review(user, household):
            raise PermissionDenied("You may not run reviews for this household.")
        Household.objects.select_for_update().get(pk=household.pk)
        pending = Review.objects.filter(
            household=household,
            status__in=(ReviewStatus.QUEUED, ReviewStatus.RUNNING),
            created__gte=timezone.now() - STALE_REVIEW,
        ).first()
        if pending is not None:
            return pending
        as_of = timezone.localdate()
        advisor = user if isinstance(user, Advisor) else None
        review = _new_review(household, as_of.year, as_of, advisor)
        from taxlogic.tasks import review_household

        review_household.delay_on_commit(review.pk)
    return review


def review_execute(*, review_id: int) -> Review:
    """Run a queued review (the task's body): idempotent, a finished review is left as it is.
    Marked running in a transaction of its own so that the page can show it."""
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review_id)
        if review.status in (ReviewStatus.DONE, ReviewStatus.FAILED):
            return review
        review.status, review.started = ReviewStatus.RUNNING, timezone.now()
        review.save(update_fields=["status", "started"])
    try:
        with transaction.atomic():
            household = Household.objects.select_for_update().get(pk=review.household_id)
            review = Review.objects.select_for_update().get(pk=review_id)
            inputs = household_inputs(household, tax_year=review.tax_year, as_of=review.as_of)
            _complete(review, household, inputs, _current_plan(household, review.tax_year))
    except (ValidationError, CaseError, EngineError, ValueError) as error:
        message = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        return _fail(review_id, message)
    except Exception as error:
        log.exception("review %s failed", review_id)
        return _fail(review_id, f"Unexpected error: {error}")
    return review


def _fail(review_id: int, message: str) -> Review:
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review_id)
        review.status, review.error, review.finished = ReviewStatus.FAILED, message, timezone.now()
        review.save(update_fields=["status", "error", "finished"])
        _emit(
            review.firm_id,
            WebhookEvent.REVIEW_FAILED,
            {
                "review": str(review.public_id),
                "household": str(review.household.public_id),
                "error": message,
            },
        )
    return review


def _current_plan(household: Household, tax_year: int) -> ActionPlan | None:
    return ActionPlan.objects.filter(
        household=household, tax_year=tax_year, is_current=True
    ).first()


def _complete(
    review: Review, household: Household, inputs: Inputs, current: ActionPlan | None
) -> None:
    """Finish a running review: reuse the current plan when the inputs are unchanged, else plan,
    save the plan and its recommendations, and retire the old plan (carrying its decisions)."""
    digest = inputs.digest
    review.inputs, review.inputs_hash, review.engine_version = (
        inputs.snapshot,
        digest,
        ENGINE_VERSION,
    )
    review.policy = inputs.snapshot["case"]["policy"]
    if current is not None and current.inputs_hash == digest:
        review.plan, review.reused = current, True
    else:
        plan = plan_from_snapshot(inputs.snapshot)
        if current is not None:
            current.is_current, current.superseded = False, timezone.now()
            current.save(update_fields=["is_current", "superseded"])
        review.plan = _save_plan(household, plan, inputs, digest, previous=current)
    review.status, review.finished = ReviewStatus.DONE, timezone.now()
    review.save()
    _emit(
        household.firm_id,
        WebhookEvent.ACTION_PLAN_READY,
        {
            "review": str(review.public_id),
            "plan": str(review.plan.public_id),
            "household": str(household.public_id),
            "tax_year": review.tax_year,
            "as_of": review.as_of.isoformat(),
            "harvest_loss": f"{review.plan.harvest_loss:.2f}",
            "tax_saved": f"{review.plan.tax_saved:.2f}",
            "reused": review.reused,
        },
    )


def _save_plan(
    household: Household,
    plan: Plan,
    inputs: Inputs,
    digest: str,
    *,
    previous: ActionPlan | None,
) -> ActionPlan:
    result = plan.to_json()
    result["labels"] = inputs.snapshot["planner"]["labels"]
    saved = ActionPlan.objects.create(
        firm_id=household.firm_id,
        household=household,
        tax_year=plan.tax_year,
        as_of=plan.as_of,
        inputs_hash=digest,
        engine_version=ENGINE_VERSION,
        harvest_loss=plan.harvest_loss,
        tax_before=plan.tax_before,
        tax_after=plan.tax_after,
        tax_saved=plan.tax_saved,
        result=result,
    )
    prices = inputs.snapshot["case"]["prices"]
    rows = []
    for position, (r, stored) in enumerate(
        zip(plan.recommendations, result["recommendations"], strict=True), start=1
    ):
        rows.append(
            Recommendation(
                firm_id=household.firm_id,
                household=household,
                plan=saved,
                position=position,
                kind=r.step.value,
                account_id=inputs.accounts[r.account],
                security_id=inputs.securities[r.symbol],
                lot_id=inputs.lots[r.lot] if r.lot else None,
                quantity=r.quantity,
                price=Decimal(prices[r.symbol]) if r.symbol in prices else None,
                estimated_loss=r.loss,
                estimated_gain=r.gain,
                term=r.term,
                tax_saved=r.tax_saved,
                carryforward_added=r.carryforward_added,
                replacement_id=inputs.securities.get(r.replacement) if r.replacement else None,
                replacement_price=(
                    Decimal(prices[r.replacement]) if r.replacement in prices else None
                ),
                do_not_buy_through=r.do_not_buy_through,
                reason_code=r.reason.code,
                text=r.reason.text,
                rule=r.reason.rule,
                details={
                    "notes": stored["notes"],
                    "replacement_reason": stored["replacement_reason"],
                    "avoid": stored["avoid"],
                    "short_term": stored["short_term"],
                    "long_term": stored["long_term"],
                },
            )
        )
    Recommendation.objects.bulk_create(rows)
    if previous is not None:
        _carry_decisions(previous, saved)
    _refresh_status(saved)
    return saved


def _recommendation_key(r: Recommendation) -> tuple[Any, ...]:
    return (r.kind, r.account_id, r.security_id, r.lot_id, r.quantity, r.replacement_id)


def _carry_decisions(previous: ActionPlan, plan: ActionPlan) -> None:
    """Approvals and dismissals of the plan being replaced carry over to the same
    recommendation in the new one, and the log says so."""
    decided = {
        _recommendation_key(r): r
        for r in previous.recommendations.filter(
            status__in=(RecommendationStatus.APPROVED, RecommendationStatus.DISMISSED)
        )
    }
    if not decided:
        return
    log_rows = []
    for r in plan.recommendations.all():
        old = decided.get(_recommendation_key(r))
        if old is None:
            continue
        r.status, r.decided_by_id, r.decided_at = old.status, old.decided_by_id, old.decided_at
        r.decision_reason = old.decision_reason
        r.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        log_rows.append(
            RecommendationDecision(
                firm_id=r.firm_id,
                household_id=r.household_id,
                recommendation=r,
                decision=Decision.CARRY,
                from_status=RecommendationStatus.OPEN,
                to_status=old.status,
                reason=f"Decided on the plan of {previous.as_of:%Y-%m-%d}: {old.decision_reason}"
                if old.decision_reason
                else f"Decided on the plan of {previous.as_of:%Y-%m-%d}.",
                decided_by_id=old.decided_by_id,
                decided_at=timezone.now(),
            )
        )
    RecommendationDecision.objects.bulk_create(log_rows)


def _refresh_status(plan: ActionPlan) -> None:
    statuses = set(plan.recommendations.values_list("status", flat=True))
    if not statuses:
        status = PlanStatus.NOTHING
    elif RecommendationStatus.OPEN in statuses:
        status = PlanStatus.OPEN
    elif RecommendationStatus.APPROVED in statuses:
        status = PlanStatus.DECIDED
    else:
        status = PlanStatus.DONE
    if plan.status != status:
        plan.status = status
        plan.save(update_fields=["status"])


# --- decisions --------------------------------------------------------------------------------

_R = RecommendationStatus
# decision → (the statuses it applies to, the status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    Decision.APPROVE: (frozenset({_R.OPEN, _R.DISMISSED}), _R.APPROVED),
    Decision.DISMISS: (frozenset({_R.OPEN, _R.APPROVED}), _R.DISMISSED),
    Decision.EXECUTE: (frozenset({_R.OPEN, _R.APPROVED}), _R.EXECUTED),
    Decision.REOPEN: (frozenset({_R.APPROVED, _R.DISMISSED}), _R.OPEN),
}


@transaction.atomic
def recommendation_decide(
    *, recommendation: Recommendation, user: Actor, decision: str, reason: str = ""
) -> Recommendation:
    """Approve, dismiss (a reason is required), mark executed or reopen a recommendation of a
    current plan; recorded in the decision log with who and when."""
    if not scoping.writable(user, Recommendation).filter(pk=recommendation.pk).exists():
        raise PermissionDenied("You may not decide this household's recommendations.")
    if decision not in TRANSITIONS:
        raise ValidationError({"decision": f"Unknown decision {decision!r}."})
    locked = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    plan = ActionPlan.objects.select_related("household").get(pk=locked.plan_id)
    if not plan.is_current:
        raise ValidationError(
            "A newer review has replaced this plan: decide on the household's current plan."
        )
    allowed, to_status = TRANSITIONS[decision]
    if locked.status not in allowed:
        raise ValidationError(
            {
                "decision": f"A recommendation that is {locked.get_status_display().lower()} "
                f"cannot be {Decision(decision).label.lower()}."
            }
        )
    reason = reason.strip()
    if decision == Decision.DISMISS and not reason:
        raise ValidationError({"reason": "Say why the recommendation is dismissed."})
    now = timezone.now()
    advisor = user if isinstance(user, Advisor) else None
    RecommendationDecision.objects.create(
        firm_id=locked.firm_id,
        household_id=locked.household_id,
        recommendation=locked,
        decision=decision,
        from_status=locked.status,
        to_status=to_status,
        reason=reason,
        decided_by=advisor,
        decided_at=now,
    )
    locked.status, locked.decided_by, locked.decided_at = to_status, advisor, now
    if decision == Decision.DISMISS or to_status == _R.OPEN:
        locked.decision_reason = reason
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    _refresh_status(plan)
    _emit(
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
            "decided_at": now.isoformat(),
        },
    )
    return locked

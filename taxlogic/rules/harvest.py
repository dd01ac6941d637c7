"""Harvest opportunities: which lots held at ``as_of`` could realize a loss now, and what stops it.

Rules: IRC §165(f), §1211(b) (a loss realized in a taxable account reaches Schedule D); §1091(a)
and Treas. Reg. §1.1091-1(a), (e) (a substantially identical acquisition in the 30 days before a
sale washes it, unless its shares already replaced another loss; a purchase in the 30 days after
would too, hence the do-not-buy window); Rev. Rul. 2008-5 (the household's IRAs count); §1015(a)
(a gift's loss is measured from the lower value at the gift); IRC §1222 (term at ``as_of``).

``opportunities`` is the first step of the planner: it looks at each lot alone. The planner that
builds on it chooses among them (which to sell together, replacements, tax saved).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .accounts import WHAT_HELPS_INSTEAD
from .carryforward import ScheduleD, money_text
from .lots import (
    ZERO,
    Action,
    How,
    Lot,
    LotRequest,
    OpenLot,
    OpenPiece,
    Term,
    Trade,
    anniversary,
    choose_hifo,
    long_term_from,
    quantity_text,
    to_cents,
)
from .reasons import Reason
from .tax import TaxResult, federal_tax
from .tax_tables import tax_year_table
from .wash_sales import (
    DIGITAL_ASSET_RULE,
    DIGITAL_ASSETS_OUTSIDE_1091_CHECKED_FOR_TAX_YEAR,
    HOUSEHOLD,
    WINDOW_DAYS,
    History,
    HouseholdAccount,
    Identity,
    Kind,
    Policy,
    Realized,
    acquirer_domain,
    candidate_domain,
    simulate,
)

if TYPE_CHECKING:
    from .cases import Case

NOTE_CRYPTO = "crypto_no_wash_rule"
_WINDOW = timedelta(days=WINDOW_DAYS)
_DAY = timedelta(days=1)
# Module constants: enum attribute lookups are slow in loops.
_GIFT, _INHERITED, _LONG, _SHORT = How.GIFT, How.INHERITED, Term.LONG, Term.SHORT


@dataclass(frozen=True, slots=True)
class Blocker:
    """A recent substantially identical acquisition whose unused shares would replace the loss."""

    lot: str
    account: str
    symbol: str
    acquired: date
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class Opportunity:
    """One piece of a lot held at ``as_of`` with an unrealized loss, and whether to harvest it.

    ``unrealized`` is negative (value − basis, the loss basis of §1015(a) for a gift);
    ``clear_after`` the last day a blocking acquisition still washes the loss;
    ``do_not_buy_through`` the last day of the 30 days after ``as_of`` in which a purchase would
    wash a sale made on ``as_of``.
    """

    lot: str
    account: str
    symbol: str
    quantity: Decimal
    basis: Decimal
    value: Decimal
    unrealized: Decimal
    term: Term
    holding_from: date
    long_term_from: date | None
    harvestable: bool
    reason: Reason
    blockers: tuple[Blocker, ...] = ()
    clear_after: date | None = None
    do_not_buy_through: date | None = None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        reason: dict[str, object] = dict(self.reason.to_json())
        if self.clear_after is not None:
            reason["clear_after"] = self.clear_after.isoformat()
        out: dict[str, object] = {
            "lot": self.lot,
            "account": self.account,
            "symbol": self.symbol,
            "quantity": _quantity(self.quantity),
            "basis": _money(self.basis),
            "value": _money(self.value),
            "unrealized": _money(self.unrealized),
            "term": self.term.value,
            "holding_from": self.holding_from.isoformat(),
            "harvestable": self.harvestable,
            "reason": reason,
        }
        if self.long_term_from is not None:
            out["long_term_from"] = self.long_term_from.isoformat()
        if self.blockers:
            out["blocked_by"] = [
                {
                    "lot": b.lot,
                    "account": b.account,
                    "symbol": b.symbol,
                    "acquired": b.acquired.isoformat(),
                    "quantity": _quantity(b.quantity),
                }
                for b in self.blockers
            ]
        if self.do_not_buy_through is not None:
            out["do_not_buy_through"] = self.do_not_buy_through.isoformat()
        if self.notes:
            out["notes"] = list(self.notes)
        return out


def harvest_domain(account: HouseholdAccount) -> str:
    """Whose purchases would wash a loss harvested in ``account`` (IRC §1091(a); Pub 550): a
    separate taxpayer's own, else the household's (the spouse's return included)."""
    return account.id if account.separate_taxpayer else HOUSEHOLD


def recent_acquisitions(
    holdings: Sequence[OpenLot],
    *,
    as_of: date,
    accounts: Mapping[str, HouseholdAccount],
    identity: Identity,
    policy: Policy,
) -> dict[tuple[str, str], list[tuple[OpenLot, Blocker]]]:
    """Acquisitions in the 30 days up to ``as_of`` whose unused shares are still held, by
    (wash-sale domain, substantially identical group): IRC §1091(a); Reg. §1.1091-1(e), (f)."""
    first = as_of - timedelta(days=WINDOW_DAYS)
    recent: dict[tuple[str, str], list[tuple[OpenLot, Blocker]]] = {}
    for held in holdings:
        lot = held.lot
        if not lot.is_acquisition or held.free <= 0 or not first <= lot.acquired <= as_of:
            continue
        if not identity.washable(lot.symbol):
            continue
        domain = candidate_domain(accounts[lot.account], policy)
        if domain is None:
            continue
        blocker = Blocker(lot.id, lot.account, lot.symbol, lot.acquired, held.free)
        recent.setdefault((domain, identity.group_of(lot.symbol)), []).append((held, blocker))
    return recent


def opportunities(
    *,
    holdings: Sequence[OpenLot],
    prices: Mapping[str, Decimal],
    as_of: date,
    accounts: Mapping[str, HouseholdAccount],
    identity: Identity,
    policy: Policy,
) -> tuple[Opportunity, ...]:
    """Every lot piece held at the end of ``as_of`` that has a price and an unrealized loss.

    Each is ``harvestable`` (a taxable account, no recent acquisition in the way: IRC §165(f),
    §1211(b)), or not because it sits in a tax-advantaged account (§408(e), §401(a), §223,
    §529), or because a substantially identical acquisition in a covered account within the
    last 30 days still has unused shares (§1091(a); Reg. §1.1091-1(e)) — ``clear_after`` is the
    last day the latest of them still washes. The lot itself never blocks itself. A harvestable
    lot carries ``do_not_buy_through`` = ``as_of`` + 30 days, except a digital asset, which
    §1091 does not reach (note ``crypto_no_wash_rule``).
    """
    recent = recent_acquisitions(
        holdings, as_of=as_of, accounts=accounts, identity=identity, policy=policy
    )
    assessor = _Assessor(
        as_of=as_of, identity=identity, policy=policy, recent=recent, accounts=accounts
    )
    found: list[Opportunity] = []
    for held in holdings:
        lot = held.lot
        price = prices.get(lot.symbol)
        if price is None:
            continue
        account = accounts[lot.account]
        for piece in held.pieces:
            value = to_cents(price * piece.quantity)
            basis = piece.basis
            if piece.gift_value is not None and piece.gift_value < basis:
                basis = piece.gift_value  # IRC §1015(a): a loss from the lower value at the gift
            if value < basis:
                found.append(
                    assessor.assess(held, piece, value=value, basis=basis, account=account)
                )
    return tuple(found)


_Verdict = tuple[bool, Reason, tuple[Blocker, ...], date | None, date | None, tuple[str, ...]]


class _Assessor:
    """Judges one lot piece at a time; verdicts that do not depend on the piece are shared."""

    __slots__ = (
        "as_of",
        "identity",
        "policy",
        "recent",
        "accounts",
        "through",
        "_verdicts",
        "_domains",
    )

    def __init__(
        self,
        *,
        as_of: date,
        identity: Identity,
        policy: Policy,
        recent: Mapping[tuple[str, str], list[tuple[OpenLot, Blocker]]],
        accounts: Mapping[str, HouseholdAccount],
    ) -> None:
        self.as_of = as_of
        self.identity = identity
        self.policy = policy
        self.recent = recent
        self.accounts = accounts
        self.through = as_of + _WINDOW
        self._verdicts: dict[tuple[str, str, Term], _Verdict] = {}
        self._domains: dict[str, str | None] = {}

    def assess(
        self,
        held: OpenLot,
        piece: OpenPiece,
        *,
        value: Decimal,
        basis: Decimal,
        account: HouseholdAccount,
    ) -> Opportunity:
        lot = held.lot
        holding_from = piece.holding_from
        # A loss on a gift is measured from the value at the gift when that is lower, and then
        # the holding period starts at the gift (IRC §1015(a); Pub 551).
        gift = lot.gift if lot.how is _GIFT else None
        if gift is not None and piece.gift_value is not None and piece.gift_value < piece.basis:
            holding_from = gift.gift_date
        turns_long: date | None = None
        if lot.how is _INHERITED:
            term = _LONG  # IRC §1223(9)
        else:
            year_after = anniversary(holding_from)  # IRC §1222: more than one year
            term = _LONG if self.as_of > year_after else _SHORT
            if term is _SHORT:
                turns_long = year_after + _DAY

        blockers = self._blockers(lot, account)
        if blockers:
            verdict = self._blocked(blockers)
        else:
            key = (account.id, lot.symbol, term)
            verdict = self._verdicts.get(key) or self._verdicts.setdefault(
                key, self._free(lot, term=term, account=account)
            )
        harvestable, reason, blockers, clear_after, through, notes = verdict
        return Opportunity(
            lot=lot.id,
            account=lot.account,
            symbol=lot.symbol,
            quantity=piece.quantity,
            basis=basis,
            value=value,
            unrealized=value - basis,
            term=term,
            holding_from=holding_from,
            long_term_from=turns_long,
            harvestable=harvestable,
            reason=reason,
            blockers=blockers,
            clear_after=clear_after,
            do_not_buy_through=through,
            notes=notes,
        )

    def _blockers(self, lot: Lot, account: HouseholdAccount) -> tuple[Blocker, ...]:
        """Recent acquisitions that would replace a loss sold now (IRC §1091(a); Reg.
        §1.1091-1(e)); never the lot itself, nor, by policy, a lot bought before it."""
        if not self.recent:
            return ()
        if account.id in self._domains:
            domain = self._domains[account.id]
        else:
            domain = self._domains[account.id] = (
                harvest_domain(account) if account.taxable else None
            )
        if domain is None or not self.identity.washable(lot.symbol):
            return ()
        recent = self.recent.get((domain, self.identity.group_of(lot.symbol)))
        if not recent:
            return ()
        earlier_ok = self.policy.earlier_acquired_lot_is_replacement
        # The seller's spouse's IRA, plan, HSA or 529 washes only by policy; the seller's own
        # IRA always does (Rev. Rul. 2008-5).
        spouse_ok = self.policy.spouse_ira_purchase_triggers
        return tuple(
            blocker
            for other, blocker in recent
            if other.lot.id != lot.id
            and (earlier_ok or other.lot.key >= lot.key)
            and (
                spouse_ok
                or acquirer_domain(
                    self.accounts[blocker.account], self.policy, seller_owner=account.owner
                )
                is not None
            )
        )

    def _blocked(self, blockers: tuple[Blocker, ...]) -> _Verdict:
        clear_after = max(b.acquired for b in blockers) + _WINDOW
        shares = sum((b.quantity for b in blockers), ZERO)
        names = ", ".join(
            f"{b.lot} ({b.symbol}, {b.account}, {b.acquired.isoformat()})" for b in blockers
        )
        reason = Reason(
            "recent_purchase_would_wash",
            f"A substantially identical purchase in the last {WINDOW_DAYS} days ({names}; "
            f"{_quantity(shares)} shares not yet used as replacements) would make a sale at a "
            "loss now a wash sale: the loss would be deferred. It is clear after "
            f"{clear_after.isoformat()}.",
            "IRC §1091(a); Treas. Reg. §1.1091-1(a), (e); Pub 550, Wash Sales",
        )
        return False, reason, blockers, clear_after, None, ()

    def _free(self, lot: Lot, *, term: Term, account: HouseholdAccount) -> _Verdict:
        """Harvestable or not when nothing recent is in the way (IRC §1211(b); §408(e),
        §401(a), §223, §529 for the accounts that cannot harvest)."""
        eligibility = account.eligibility
        if not eligibility.harvestable:
            return False, eligibility.reason, (), None, None, ()
        if not self.identity.washable(lot.symbol):
            reason = Reason(
                "harvestable",
                f"Selling now realizes a {term.value}-term loss. This is a digital asset held "
                "directly: the wash-sale rule covers stock or securities only (as checked for "
                f"tax year {DIGITAL_ASSETS_OUTSIDE_1091_CHECKED_FOR_TAX_YEAR}), so buying it "
                "back at once does not defer the loss.",
                f"IRC §165(f), §1211(b); {DIGITAL_ASSET_RULE}",
            )
            return True, reason, (), None, None, (NOTE_CRYPTO,)
        if account.separate_taxpayer:
            whose = "on the account's own return (a separate taxpayer)"
            who = "in this account"
        else:
            whose = "on this return" if account.on_return else "on the spouse's separate return"
            who = "in any household account (IRAs included)"
        reason = Reason(
            "harvestable",
            f"Selling now realizes a {term.value}-term loss {whose}. Do not buy {lot.symbol} or "
            f"anything substantially identical {who} through {self.through.isoformat()}, or "
            "the loss is deferred as a wash sale.",
            "IRC §165(f), §1211(b), §1091(a); Pub 550",
        )
        return True, reason, (), None, self.through, ()


def _money(amount: Decimal) -> str:
    cents = to_cents(amount)
    return "0.00" if cents == 0 else f"{cents:.2f}"


def _quantity(quantity: Decimal) -> str:
    return "0" if quantity == 0 else f"{quantity.normalize():f}"


# --- the planner ------------------------------------------------------------------------------
#
# ``plan_household`` builds on ``opportunities``: it picks the lots worth selling (the firm's
# thresholds, HIFO within a security), proves each sale clean by running it through the engine,
# names the replacement and the do-not-buy list, and prices the plan with two computations of
# the year's federal tax (without and with the sales). It also looks past losses: gains worth
# waiting for, gains that are free at 0%, and what to say when nothing can be harvested.

WAIT_DAYS = 60  # lots turning long-term within this many days are worth waiting for
_WAIT = timedelta(days=WAIT_DAYS)
_SALE = "plan-sale-"  # ids of the sales the planner tries out (never a lot or trade id)
TAX_RULE = "IRC §§1, 1(h), 1211(b), 1212(b), 1411; Schedule D; Form 1040"
THRESHOLD_RULE = "Firm policy: harvest thresholds (loss in dollars and in percent of basis)"
# What is published and wrong (tax-rules.md §1): said plainly where nothing can be harvested.
NOT_SO: tuple[Reason, ...] = (
    Reason(
        "myth_sell_inside_plan",
        "“Sell the losers inside the 401(k) to offset gains elsewhere” does not work: trades "
        "inside a plan are not taxable events, and nothing reaches Schedule D.",
        "IRS: What if my 401(k) drops in value?; Fish v. Commissioner, T.C. Memo. 2015-176",
    ),
    Reason(
        "myth_rollover_loss",
        "“Harvest losses during a 401(k) rollover” does not work: a rollover is not taxable.",
        "IRS Topic 413; IRC §402(c)(6)(D)",
    ),
    Reason(
        "myth_pro_rata",
        "“The pro-rata rule lets traditional 401(k) losses offset Roth distributions” does not "
        "work: it allocates basis within one contract and creates no loss.",
        "IRC §72(e)(8), §402A(d)(4)",
    ),
    Reason(
        "myth_after_tax_loss",
        "A loss on after-tax money in an IRA or plan was at best a 2%-floor miscellaneous "
        "itemized deduction, suspended since 2018 and now repealed: it is worth $0.",
        "IRC §67(g)",
    ),
)


class Step(StrEnum):
    """What a recommendation asks the advisor to do."""

    HARVEST = "harvest"  # sell at a loss, buy the replacement
    SWITCH_DRIP = "switch_drip"  # take dividends in cash until the window closes
    CHANGE_CONTRIBUTION = "change_contribution"  # steer plan contributions elsewhere
    REALIZE_GAIN = "realize_gain"  # sell at a gain taxed at 0%, buy it back


class Recurring(StrEnum):
    REINVEST = "reinvest"  # dividend reinvestment (a purchase: Pub 550)
    CONTRIBUTION = "contribution"  # a plan's contribution allocation buying a fund


@dataclass(frozen=True, slots=True)
class RecurringPurchase:
    """A purchase that repeats on its own in ``account``; ``last`` is the latest one seen."""

    account: str
    symbol: str
    kind: Recurring
    last: date


@dataclass(frozen=True, slots=True)
class PlanRules:
    """What the planner needs besides the case: the firm's thresholds (a lot qualifies when its
    loss is at least ``min_loss`` dollars **and** ``min_loss_percent`` of its basis), the firm's
    replacement list (symbol → candidates, first choice first), the household's recurring
    purchases, labels for ids in texts, and notes from whoever assembled the inputs."""

    min_loss: Decimal = Decimal(250)
    min_loss_percent: Decimal = Decimal(5)
    replacements: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    recurring: tuple[RecurringPurchase, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[Reason, ...] = ()
    # Optional: the household's state marginal rate (a fraction, 0.05 = 5%), for an estimate
    # of state tax saved shown apart from the federal figures; and a budget for gains the
    # household is willing to realize this year (caps the 0%-rate gains suggested).
    state_marginal_rate: Decimal | None = None
    gains_budget: Decimal | None = None


def parse_rules(data: Mapping[str, Any]) -> PlanRules:
    """``PlanRules`` from the ``planner`` part of a review's inputs snapshot (JSON)."""
    return PlanRules(
        min_loss=Decimal(str(data.get("min_loss", "250"))),
        min_loss_percent=Decimal(str(data.get("min_loss_percent", "5"))),
        replacements={k: tuple(v) for k, v in data.get("replacements", {}).items()},
        recurring=tuple(
            RecurringPurchase(
                r["account"], r["symbol"], Recurring(r["kind"]), date.fromisoformat(r["last"])
            )
            for r in data.get("recurring", ())
        ),
        labels=dict(data.get("labels", {})),
        notes=tuple(Reason(n["code"], n["text"], n["rule"]) for n in data.get("notes", ())),
        state_marginal_rate=_optional_decimal(data.get("state_marginal_rate")),
        gains_budget=_optional_decimal(data.get("gains_budget")),
    )


def _optional_decimal(value: object) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


@dataclass(frozen=True, slots=True)
class Avoid:
    """One line of the do-not-buy list: none of ``symbols`` in any of ``accounts`` through
    ``through`` (IRC §1091(a): a purchase in the 30 days after the sale washes it)."""

    symbols: tuple[str, ...]
    accounts: tuple[str, ...]
    through: date
    reason: Reason


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One thing to do. A harvest sells ``quantity`` of ``lot`` at a loss of ``loss`` (positive;
    ``short_term``/``long_term`` split it by character) and buys ``replacement``;
    ``tax_saved`` is what it adds to the plan's saving in the order listed (None when the sale
    reaches another return), ``carryforward_added`` the loss it adds to next year's carryover."""

    step: Step
    account: str
    symbol: str
    reason: Reason
    lot: str | None = None
    quantity: Decimal | None = None
    loss: Decimal | None = None
    gain: Decimal | None = None
    short_term: Decimal = ZERO
    long_term: Decimal = ZERO
    term: str = ""
    tax_saved: Decimal | None = None
    carryforward_added: Decimal | None = None
    replacement: str | None = None
    replacement_reason: Reason | None = None
    do_not_buy_through: date | None = None
    avoid: tuple[Avoid, ...] = ()
    notes: tuple[Reason, ...] = ()
    # Ranking (tax saved this year first, then carryforward value): ``saves_this_year`` and
    # ``group`` ("this_year" or "carryforward_only") label the harvests that save nothing now.
    saves_this_year: bool = False
    group: str = ""
    # State tax saved, estimated at the profile's state marginal rate (None without one).
    state_estimate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class LotFinding:
    """A lot the plan does not sell, and why: blocked by a recent purchase (``clears_on`` the
    first clean day), in a tax-advantaged account, under the thresholds, or a gain worth
    holding until ``long_term_from`` (``tax_saved`` by waiting)."""

    lot: str
    account: str
    symbol: str
    quantity: Decimal
    unrealized: Decimal
    term: str
    reason: Reason
    clears_on: date | None = None
    long_term_from: date | None = None
    tax_saved: Decimal | None = None
    blockers: tuple[Blocker, ...] = ()
    notes: tuple[Reason, ...] = ()


@dataclass(frozen=True, slots=True)
class Figure:
    """A number of the plan's summary, with ``before`` (without the plan) where it changes."""

    key: str
    label: str
    amount: Decimal
    reasons: tuple[Reason, ...]
    before: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """A household's plan for ``tax_year`` as of ``as_of``."""

    tax_year: int
    as_of: date
    filing_status: str
    policy: Policy
    harvest_loss: Decimal
    tax_before: Decimal
    tax_after: Decimal
    figures: tuple[Figure, ...]
    recommendations: tuple[Recommendation, ...]
    blocked: tuple[LotFinding, ...]
    tax_advantaged: tuple[LotFinding, ...]
    below_threshold: tuple[LotFinding, ...]
    wait: tuple[LotFinding, ...]
    do_not_buy: tuple[Avoid, ...]
    warnings: tuple[Reason, ...]
    notes: tuple[Reason, ...]
    # An estimate of state tax saved at the profile's state marginal rate, apart from the
    # federal figures (None when no rate is given).
    state_estimate: Decimal | None = None
    state_rate: Decimal | None = None

    @property
    def tax_saved(self) -> Decimal:
        """Federal tax for the year without the plan's sales minus with them."""
        return self.tax_before - self.tax_after

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = _plain(self)
        out["tax_saved"] = _money(self.tax_saved)
        return out


_FIELDS: dict[type, tuple[str, ...]] = {}  # the field names of each dataclass met
_AS_IS = frozenset({str, int, bool, float, type(None)})


def _plain(value: Any, name: str = "") -> Any:
    """A plan's value as JSON: money as 2-place strings, quantities as plain decimals."""
    kind = type(value)
    names = _FIELDS.get(kind)
    if names is not None:
        return {n: _plain(getattr(value, n), n) for n in names}
    if kind is Decimal:
        return _quantity(value) if name == "quantity" else _money(value)
    if kind is tuple or kind is list:
        return [_plain(v, name) for v in value]
    if kind in _AS_IS:
        return value
    if isinstance(value, Reason | Policy):
        return value.to_json()
    if isinstance(value, Decimal):
        return _quantity(value) if name == "quantity" else _money(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v, name) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS[kind] = tuple(f.name for f in fields(value))
        return {n: _plain(getattr(value, n), n) for n in names}
    return value


def plan_household(*, case: Case, rules: PlanRules) -> Plan:
    """The year-end plan of one household on ``case.as_of`` (tax-rules.md §1–§5).

    Candidates: lots of harvestable accounts with a loss at or above both thresholds, HIFO
    within a security (Reg. §1.1012-1(c)). Each sale is run through the engine with the
    household's history; one that would still be washed (§1091(a)) is blocked, not sold. Tax
    saved: federal tax for the year (§§1, 1(h), 1211(b), 1411) computed on the year's actual
    results, and again with the plan's sales; each sale's share in the order listed.
    """
    return _Planner(case, rules).plan()


def plan_from_snapshot(snapshot: Mapping[str, Any]) -> Plan:
    """Re-run a plan from the inputs a review stored: ``{"case": ..., "planner": ...}``."""
    from .cases import parse_case  # cases.py imports this module: import at call time

    return plan_household(
        case=parse_case(snapshot["case"]), rules=parse_rules(snapshot.get("planner", {}))
    )


@dataclass(slots=True)
class _Candidate:
    """A lot the plan may sell, while the plan is being made."""

    lot: str
    account: str
    symbol: str
    quantity: Decimal
    basis: Decimal
    unrealized: Decimal
    term: str
    long_term_from: date | None
    notes: list[Reason] = field(default_factory=list)


def _term_of(terms: Iterable[Term]) -> str:
    found = {t.value for t in terms}
    return found.pop() if len(found) == 1 else "mixed"


class _Planner:
    def __init__(self, case: Case, rules: PlanRules) -> None:
        from .cases import household_schedule, run_engine, year_totals  # cases.py imports this

        if case.income is None:
            raise ValueError("the planner needs the household's income (case.income)")
        self.case, self.rules, self.income = case, rules, case.income
        self.year_totals = year_totals
        self.household_schedule = household_schedule
        self.facts = case.facts()
        self.accounts = case.accounts_by_id
        self.identity, self.policy = case.identity, case.policy
        self.as_of, self.year = case.as_of, case.tax_year
        self.through = case.as_of + _WINDOW
        self.prices: Mapping[str, Decimal] = case.prices or {}
        self.securities = {s.symbol: s for s in case.securities}
        self.history = run_engine(case)
        self.held = {o.lot.id: o for o in self.history.holdings_as_of}
        self.base_totals = self.totals(self.history.realized)
        self.base = self.tax_on(self.base_totals, explain=True)

    # --- helpers -------------------------------------------------------------------------
    def label(self, key: str) -> str:
        return self.rules.labels.get(key, key)

    def on_return(self, account: str) -> bool:
        return self.accounts[account].reported_on == HOUSEHOLD

    def totals(self, realized: Iterable[Realized]) -> tuple[Decimal, Decimal]:
        """The year's allowed short-term and long-term results on the household's return."""
        return self.year_totals(realized, tax_year=self.year, reported_on=HOUSEHOLD)

    def plus(
        self, totals: tuple[Decimal, Decimal], realized: Iterable[Realized]
    ) -> tuple[Decimal, Decimal]:
        """``totals`` with more sales added."""
        short, long = self.totals(realized)
        return totals[0] + short, totals[1] + long

    def year_tax(
        self, realized: Iterable[Realized], *, explain: bool = False
    ) -> tuple[ScheduleD, TaxResult]:
        """Schedule D and federal tax of the household's return for the year."""
        return self.tax_on(self.totals(realized), explain=explain)

    def tax_on(
        self, totals: tuple[Decimal, Decimal], *, explain: bool = False
    ) -> tuple[ScheduleD, TaxResult]:
        """Schedule D and federal tax of the return with the year's results ``totals``; the
        reasons are worded only with ``explain`` (for the figures shown)."""
        schedule = self.household_schedule(self.case, totals, explain=explain)
        tax = federal_tax(
            tax_year=self.year,
            filing_status=self.case.filing_status,
            ordinary_income=self.income.ordinary,
            investment_income=self.income.investment,
            schedule=schedule,
            explain=explain,
            facts=self.facts,
        )
        return schedule, tax

    def simulate_sales(
        self, sales: Sequence[tuple[str, Decimal]], *, groups: frozenset[str] | None = None
    ) -> History:
        """What the household's history sells and washes with ``(lot, quantity)`` sold on
        ``as_of`` at its price (the lots held are not listed).

        With ``groups`` (substantially identical groups), only those groups' lots, trades and
        sales are run: lot relief and wash-sale matching never reach across groups, so their
        sales come out the same, for a fraction of the work. Other groups' sales are absent
        from the history; the sales keep their ids (``_SALE`` + their index in ``sales``)."""
        first = len(self.case.trades)
        lots, history = self.case.lots, self.case.trades
        if groups is not None:
            group_of = self.identity.group_of
            lots = tuple(lot for lot in lots if group_of(lot.symbol) in groups)
            history = tuple(t for t in history if group_of(t.symbol) in groups)
        trades = []
        for index, (lot_id, quantity) in enumerate(sales):
            lot = self.held[lot_id].lot
            if groups is not None and self.identity.group_of(lot.symbol) not in groups:
                continue
            trades.append(
                Trade(
                    id=f"{_SALE}{index}",
                    account=lot.account,
                    date=self.as_of,
                    action=Action.SELL,
                    symbol=lot.symbol,
                    quantity=quantity,
                    amount=to_cents(self.prices[lot.symbol] * quantity),
                    lots=(LotRequest(lot_id, quantity),),
                    seq=first + index,
                )
            )
        return simulate(
            accounts=self.accounts,
            identity=self.identity,
            lots=lots,
            trades=(*history, *trades),
            policy=self.policy,
            as_of=self.as_of,
            seq_base=len(self.case.lots),
            holdings=False,
            average=self.case.average_basis,
        )

    def what_if(self, lot: Lot, piece: OpenPiece, value: Decimal, term: Term) -> Realized:
        """A sale of ``piece`` on ``as_of`` at ``value`` as ``term``, for a tax comparison."""
        return Realized(
            sale=f"{_SALE}what-if",
            seq=0,
            lot=lot.id,
            account=lot.account,
            symbol=lot.symbol,
            quantity=piece.quantity,
            acquired=lot.acquired,
            holding_from=piece.holding_from,
            sold=self.as_of,
            proceeds=value,
            basis=piece.basis,
            gain=value - piece.basis,
            term=term,
            disallowed=ZERO,
            deferred=ZERO,
            reported_on=HOUSEHOLD,
        )

    def group_symbols(self, symbol: str) -> tuple[str, ...]:
        group = self.identity.group_of(symbol)
        found = {s for s, g in self.identity.groups.items() if g == group} | {symbol}
        return (symbol, *sorted(found - {symbol}))

    def covered(self, seller: str) -> tuple[str, ...]:
        """Accounts whose purchases wash a loss sold in ``seller`` (IRC §1091(a); Pub 550; Rev.
        Rul. 2008-5)."""
        account = self.accounts[seller]
        domain = harvest_domain(account)
        return tuple(
            a.id
            for a in self.accounts.values()
            if acquirer_domain(a, self.policy, seller_owner=account.owner) == domain
        )

    def lot_words(self, lot_id: str) -> str:
        lot = self.held[lot_id].lot
        return f"lot {self.label(lot_id)} (acquired {lot.acquired.isoformat()})"

    # --- the plan ------------------------------------------------------------------------
    def plan(self) -> Plan:
        candidates, blocked, advantaged, below = self.sort_losses()
        candidates, blocked = self.promote(candidates, blocked)
        candidates, washed, with_all = self.prove(candidates)
        blocked.extend(washed)
        after = self.year_tax(with_all, explain=True)
        harvests = self.harvests(candidates, with_all, after)
        blocked_findings = self.blocked_findings(blocked, candidates)
        wait = self.wait()
        gains = self.zero_rate(bool(harvests))
        recommendations = (*harvests, *gains)
        on_return = [r for r in harvests if r.step is Step.HARVEST and self.on_return(r.account)]
        harvest_loss = sum((r.loss or ZERO for r in on_return), ZERO)
        return Plan(
            tax_year=self.year,
            as_of=self.as_of,
            filing_status=self.case.filing_status,
            policy=self.policy,
            harvest_loss=harvest_loss,
            tax_before=self.base[1].total,
            tax_after=after[1].total,
            figures=self.figures(after, on_return),
            recommendations=recommendations,
            blocked=blocked_findings,
            tax_advantaged=tuple(advantaged),
            below_threshold=tuple(below),
            wait=wait,
            do_not_buy=self.calendar(harvests),
            warnings=self.warnings(),
            notes=self.notes(advantaged, below, blocked_findings, bool(harvests)),
            state_estimate=self.state_of(self.base[1], after[1]),
            state_rate=self.rules.state_marginal_rate,
        )

    def state_of(self, before: TaxResult, after: TaxResult) -> Decimal | None:
        """State tax saved, estimated: the state marginal rate times the fall in AGI (most
        states start from federal AGI). An estimate, labelled as one."""
        rate = self.rules.state_marginal_rate
        if rate is None:
            return None
        return to_cents(rate * max(ZERO, before.agi - after.agi))

    def amt_note(self, before: TaxResult, after: TaxResult, saved: Decimal) -> Reason | None:
        """Says when the AMT takes back what a lower regular tax would save (IRC §55(a))."""
        taken = after.amt - before.amt
        fall = before.regular_tax - after.regular_tax
        if taken <= 0 or fall <= 0:
            return None
        if saved <= 0:
            return Reason(
                "amt_makes_worthless",
                f"The alternative minimum tax makes this sale worthless in {self.year}: the "
                f"regular tax falls by {money_text(fall)}, but the AMT rises by "
                f"{money_text(taken)}, so the tax does not change.",
                "IRC §55(a); Form 6251",
            )
        return Reason(
            "amt_takes_back",
            f"The alternative minimum tax takes back {money_text(taken)} of the "
            f"{money_text(fall)} the regular tax falls by.",
            "IRC §55(a); Form 6251",
        )

    def sort_losses(
        self,
    ) -> tuple[list[_Candidate], list[Opportunity], list[LotFinding], list[LotFinding]]:
        """Every lot with an unrealized loss: a candidate, blocked, tax-advantaged or under the
        thresholds. Candidates come by account and security, largest loss first, HIFO within a
        security (Reg. §1.1012-1(c))."""
        by_lot: dict[str, list[Opportunity]] = {}
        for found in opportunities(
            holdings=self.history.holdings_as_of,
            prices=self.prices,
            as_of=self.as_of,
            accounts=self.accounts,
            identity=self.identity,
            policy=self.policy,
        ):
            by_lot.setdefault(found.lot, []).append(found)
        groups: dict[tuple[str, str], list[_Candidate]] = {}
        blocked: list[Opportunity] = []
        advantaged: list[LotFinding] = []
        below: list[LotFinding] = []
        for lot_id, pieces in by_lot.items():
            first = pieces[0]
            quantity = sum((p.quantity for p in pieces), ZERO)
            basis = sum((p.basis for p in pieces), ZERO)
            unrealized = sum((p.unrealized for p in pieces), ZERO)
            term = _term_of(p.term for p in pieces)
            if first.blockers:
                blocked.extend(pieces)
                continue
            if not first.harvestable:
                advantaged.append(
                    LotFinding(
                        lot_id,
                        first.account,
                        first.symbol,
                        quantity,
                        unrealized,
                        term,
                        first.reason,
                    )
                )
                continue
            loss = -unrealized
            percent = loss * 100 / basis if basis else ZERO
            if loss < self.rules.min_loss or percent < self.rules.min_loss_percent:
                below.append(
                    LotFinding(
                        lot_id,
                        first.account,
                        first.symbol,
                        quantity,
                        unrealized,
                        term,
                        Reason(
                            "below_threshold",
                            f"A loss of {money_text(loss)} ({percent:.1f}% of its basis) is under "
                            f"the firm's thresholds (at least {money_text(self.rules.min_loss)} "
                            f"and {self.rules.min_loss_percent.normalize():f}%): not worth the "
                            "trades and the 30 days of restrictions.",
                            THRESHOLD_RULE,
                        ),
                    )
                )
                continue
            turns = [p.long_term_from for p in pieces if p.long_term_from is not None]
            candidate = _Candidate(
                lot_id,
                first.account,
                first.symbol,
                quantity,
                basis,
                unrealized,
                term,
                min(turns) if turns else None,
            )
            if NOTE_CRYPTO in first.notes:
                candidate.notes.append(first.reason)
            groups.setdefault((first.account, first.symbol), []).append(candidate)
        ordered: list[_Candidate] = []
        for group in sorted(groups.values(), key=lambda g: sum(c.unrealized for c in g)):
            by_id = {c.lot: c for c in group}
            held = [self.held[c.lot] for c in group]
            for pick in choose_hifo(held, sum((o.quantity for o in held), ZERO)):
                ordered.append(by_id[pick.lot])
        return ordered, blocked, advantaged, below

    def promote(
        self, candidates: list[_Candidate], blocked: list[Opportunity]
    ) -> tuple[list[_Candidate], list[Opportunity]]:
        """A blocked lot whose every blocking purchase the plan sells in full on the same day is
        clean: shares disposed of by the sale date are not replacements (Reg. §1.1091-1(b)–(e);
        tax-rules.md §2)."""
        selling = {c.lot for c in candidates if c.quantity == self.held[c.lot].quantity}
        still: list[Opportunity] = []
        promoted: dict[str, _Candidate] = {}
        for found in blocked:
            if not all(b.lot in selling for b in found.blockers):
                still.append(found)
                continue
            loss = -found.unrealized
            if loss < self.rules.min_loss or loss * 100 < self.rules.min_loss_percent * found.basis:
                still.append(found)
                continue
            candidate = promoted.get(found.lot)
            if candidate is None:
                candidate = promoted[found.lot] = _Candidate(
                    found.lot,
                    found.account,
                    found.symbol,
                    ZERO,
                    ZERO,
                    ZERO,
                    found.term.value,
                    found.long_term_from,
                )
                names = ", ".join(self.lot_words(b.lot) for b in found.blockers)
                candidate.notes.append(
                    Reason(
                        "clean_with_plan_sales",
                        f"A recent purchase ({names}) would wash this loss, but this plan sells "
                        "it on the same day, so it is no longer a replacement.",
                        "Treas. Reg. §1.1091-1(b)–(e); tax-rules.md §2",
                    )
                )
            candidate.quantity += found.quantity
            candidate.basis += found.basis
            candidate.unrealized += found.unrealized
        return [*candidates, *promoted.values()], still

    def prove(
        self, candidates: list[_Candidate]
    ) -> tuple[list[_Candidate], list[Opportunity], tuple[Realized, ...]]:
        """Run the plan's sales through the engine; a sale it finds washed leaves the plan (and
        the rest are run again), so every harvest listed is allowed in full. Returns what is
        left of the plan, the sales taken out, and everything the year sells with the plan.

        Only the substantially identical groups the plan sells in are run again: lot relief and
        wash-sale matching never reach across groups, so elsewhere the year's sales are those
        of the household's own history."""
        washed: list[Opportunity] = []
        group_of = self.identity.group_of
        while True:
            groups = frozenset(group_of(c.symbol) for c in candidates)
            history = self.simulate_sales([(c.lot, c.quantity) for c in candidates], groups=groups)
            hit = {
                int(w.sale.removeprefix(_SALE)): w
                for w in history.wash_sales
                if w.sale.startswith(_SALE)
            }
            if not hit:
                others = [r for r in self.history.realized if group_of(r.symbol) not in groups]
                return candidates, washed, (*others, *history.realized)
            keep = []
            for index, candidate in enumerate(candidates):
                wash = hit.get(index)
                if wash is None:
                    keep.append(candidate)
                    continue
                blocker = Blocker(
                    wash.replacement,
                    wash.replacement_account,
                    self.held[wash.replacement].lot.symbol
                    if wash.replacement in self.held
                    else candidate.symbol,
                    wash.replacement_acquired,
                    wash.quantity,
                )
                washed.append(
                    Opportunity(
                        lot=candidate.lot,
                        account=candidate.account,
                        symbol=candidate.symbol,
                        quantity=candidate.quantity,
                        basis=candidate.basis,
                        value=candidate.basis + candidate.unrealized,
                        unrealized=candidate.unrealized,
                        term=Term(candidate.term) if candidate.term != "mixed" else _SHORT,
                        holding_from=self.held[candidate.lot].pieces[0].holding_from,
                        long_term_from=candidate.long_term_from,
                        harvestable=False,
                        reason=Reason(
                            "recent_purchase_would_wash",
                            "The engine found a sale of this lot today washed by a "
                            "substantially identical purchase.",
                            "IRC §1091(a); Treas. Reg. §1.1091-1(a), (e)",
                        ),
                        blockers=(blocker,),
                        clear_after=wash.replacement_acquired + _WINDOW,
                    )
                )
            candidates = keep

    def harvests(
        self,
        candidates: list[_Candidate],
        with_all: tuple[Realized, ...],
        after: tuple[ScheduleD, TaxResult],
    ) -> tuple[Recommendation, ...]:
        """Each sale with its result (from the engine), its share of the tax saved, its
        replacement and do-not-buy list, and the steps that keep the window clean."""
        rows: dict[int, list[Realized]] = {}
        for row in with_all:
            if row.sale.startswith(_SALE):
                rows.setdefault(int(row.sale.removeprefix(_SALE)), []).append(row)
        base_rows = [r for r in with_all if not r.sale.startswith(_SALE)]
        sold_groups: dict[str, set[str]] = {}
        sold: dict[tuple[str, str], Decimal] = {}
        for c in candidates:
            domain = harvest_domain(self.accounts[c.account])
            sold_groups.setdefault(domain, set()).add(self.identity.group_of(c.symbol))
            key = (c.account, self.identity.group_of(c.symbol))
            sold[key] = sold.get(key, ZERO) + c.quantity
        base_totals = self.totals(base_rows)
        order = self.rank(candidates, rows, base_totals, after)
        prev_schedule, prev_tax = self.base
        running = base_totals  # the year with the sales listed so far
        out: list[Recommendation] = []
        steps_done: set[tuple[str, str]] = set()
        last = len(order) - 1
        for position, index in enumerate(order):
            c = candidates[index]
            result = rows[index]
            running = self.plus(running, result)
            tax_saved = carried = state = None
            notes = list(c.notes)
            if self.on_return(c.account):
                schedule, tax = after if position == last else self.tax_on(running)
                tax_saved = prev_tax.total - tax.total
                carried = _carry(schedule) - _carry(prev_schedule)
                notes.append(self.tax_note(prev_tax, tax, tax_saved, carried))
                amt = self.amt_note(prev_tax, tax, tax_saved)
                if amt is not None:
                    notes.append(amt)
                state = self.state_of(prev_tax, tax)
                prev_schedule, prev_tax = schedule, tax
            else:
                notes.append(self.other_return_note(c.account))
            short = sum((r.allowed for r in result if r.term is _SHORT), ZERO)
            long = sum((r.allowed for r in result if r.term is _LONG), ZERO)
            loss = -(short + long)
            if (
                c.long_term_from is not None
                and c.term == _SHORT.value
                and c.long_term_from <= self.as_of + _WAIT
            ):
                notes.append(
                    Reason(
                        "turns_long_term_soon",
                        f"This lot turns long-term on {c.long_term_from.isoformat()}: harvest it "
                        "before then, while the loss is short-term (it offsets short-term "
                        "gains, taxed at ordinary rates, first).",
                        "IRC §1222; Schedule D instructions",
                    )
                )
            replacement, why = self.replacement(c, sold_groups)
            washable = self.identity.washable(c.symbol)
            avoid = (self.avoid(c),) if washable else ()
            price = self.prices[c.symbol]
            out.append(
                Recommendation(
                    step=Step.HARVEST,
                    account=c.account,
                    symbol=c.symbol,
                    lot=c.lot,
                    quantity=c.quantity,
                    loss=loss,
                    short_term=short,
                    long_term=long,
                    term=_term_of(r.term for r in result),
                    tax_saved=tax_saved,
                    carryforward_added=carried,
                    replacement=replacement,
                    replacement_reason=why,
                    do_not_buy_through=self.through if washable else None,
                    avoid=avoid,
                    saves_this_year=tax_saved is not None and tax_saved > 0,
                    group=(
                        "this_year"
                        if tax_saved is not None and tax_saved > 0
                        else "carryforward_only"
                        if tax_saved is not None
                        else "other_return"
                    ),
                    state_estimate=state,
                    reason=Reason(
                        "harvest",
                        f"Sell {quantity_text(c.quantity)} {c.symbol} of "
                        f"{self.lot_words(c.lot)} in {self.label(c.account)} at about "
                        f"{money_text(price)}: a {_term_words(short, long)} loss of "
                        f"{money_text(loss)} ({loss * 100 / c.basis:.1f}% of its basis of "
                        f"{money_text(c.basis)}), at or above the firm's thresholds.",
                        "IRC §165(f), §1211(b), §1222; Treas. Reg. §1.1012-1(c) "
                        "(specific identification, highest basis first)",
                    ),
                    notes=tuple(notes),
                )
            )
            group = self.identity.group_of(c.symbol)
            domain = harvest_domain(self.accounts[c.account])
            if washable and (domain, group) not in steps_done:
                steps_done.add((domain, group))
                out.extend(self.steps(c, sold))
        return tuple(out)

    def rank(
        self,
        candidates: Sequence[_Candidate],
        rows: Mapping[int, list[Realized]],
        base_totals: tuple[Decimal, Decimal],
        after: tuple[ScheduleD, TaxResult],
    ) -> list[int]:
        """The order the harvests are listed (and their savings counted) in: those that save
        tax this year first, by the tax each saves on its own, then by the loss each carries
        forward; the ones that save nothing this year last, together (issue: planned gains
        offset first). Sales reaching another return keep their place at the end."""
        before_schedule, before_tax = self.base
        alone: dict[int, tuple[Decimal, Decimal]] = {}
        for index, c in enumerate(candidates):
            if self.on_return(c.account):
                schedule, tax = self.tax_on(self.plus(base_totals, rows[index]))
                alone[index] = (
                    before_tax.total - tax.total,
                    _carry(schedule) - _carry(before_schedule),
                )
        mine = sorted(alone, key=lambda i: (alone[i][0] <= 0, -alone[i][0], -alone[i][1], i))
        others = [i for i in range(len(candidates)) if i not in alone]
        if len(mine) < 2:
            return [*mine, *others]
        # Counted in that order, a sale whose gains the ones before it already offset saves
        # nothing more this year: it moves back to the carryforward group.
        saving: list[int] = []
        zero: list[int] = []
        prev = before_tax.total
        running = base_totals
        for index in mine:
            running = self.plus(running, rows[index])
            total = self.tax_on(running)[1].total
            (saving if prev - total > 0 else zero).append(index)
            prev = total
        return [*saving, *zero, *others]

    def tax_note(
        self, before: TaxResult, after: TaxResult, saved: Decimal, carried: Decimal
    ) -> Reason:
        if saved <= 0 and carried > 0:
            return Reason(
                "carryforward_only",
                f"This loss saves no tax in {self.year}: the year's gains are already offset "
                "and the deduction against ordinary income is used up. All "
                f"{money_text(carried)} of it carries forward to next year, keeping its "
                "character.",
                "IRC §1211(b), §1212(b); Schedule D instructions, Capital Loss Carryover Worksheet",
            )
        text = (
            f"Added to the sales listed before it, this sale lowers the {self.year} federal tax "
            f"from {money_text(before.total)} to {money_text(after.total)}: "
            f"{money_text(saved)} saved."
        )
        if carried > 0:
            text += f" {money_text(carried)} of the loss carries forward to next year."
        return Reason("tax_saved", text, TAX_RULE)

    def other_return_note(self, account_id: str) -> Reason:
        account = self.accounts[account_id]
        if account.separate_taxpayer:
            return Reason(
                "separate_return",
                f"{self.label(account_id)} is a separate taxpayer: this loss goes on its own "
                "return, with its own $3,000 limit and carryforward, and never offsets the "
                "household's gains. The tax it saves there is not estimated here.",
                "IRC §1211(b), §641 (trusts), §1(g); Schedule D",
            )
        return Reason(
            "spouse_separate_return",
            f"{self.label(account_id)} belongs to the spouse, who files a separate return: the "
            "loss goes on the spouse's return, not this one.",
            "IRC §1, §6013; Pub 501",
        )

    def replacement(
        self, c: _Candidate, sold_groups: Mapping[str, set[str]]
    ) -> tuple[str | None, Reason]:
        """The first entry of the firm's list that is not substantially identical to what is
        sold and is not itself sold at a loss by the plan (IRC §1091(a); Pub 550)."""
        if not self.identity.washable(c.symbol):
            return c.symbol, Reason(
                "buy_back_digital_asset",
                f"{c.symbol} can be bought back at once: the wash-sale rule covers stock or "
                "securities only, not a digital asset held directly.",
                DIGITAL_ASSET_RULE,
            )
        harvested = sold_groups.get(harvest_domain(self.accounts[c.account]), set())
        skipped: list[str] = []
        for candidate in self.rules.replacements.get(c.symbol, ()):
            if self.identity.identical(c.symbol, candidate):
                skipped.append(
                    f"{candidate} is substantially identical to {c.symbol} under the firm's policy"
                )
                continue
            if self.identity.group_of(candidate) in harvested:
                skipped.append(f"{candidate} is itself sold at a loss in this plan")
                continue
            text = self.not_identical(c.symbol, candidate)
            if skipped:
                text += " Passed over: " + "; ".join(skipped) + "."
            return candidate, Reason(
                "replacement",
                text,
                "IRC §1091(a); Pub 550, Wash Sales (substantially identical); firm policy "
                "same_index_funds_identical",
            )
        why = "; ".join(skipped) + ". " if skipped else ""
        return None, Reason(
            "no_replacement",
            f"{why}The firm's replacement list has no usable replacement for {c.symbol}: hold "
            "the cash, or choose a security that is not substantially identical (another "
            "company's stock, or a fund following a different index).",
            "IRC §1091(a); Pub 550, Wash Sales",
        )

    def not_identical(self, sold: str, bought: str) -> str:
        a, b = self.securities.get(sold), self.securities.get(bought)
        if a is not None and b is not None and a.tracks and b.tracks:
            if a.tracks != b.tracks:
                return (
                    f"Buy {bought} to keep the exposure: it follows the {b.tracks} index, "
                    f"{sold} the {a.tracks} index. Funds following different indexes are not "
                    "substantially identical, and it is not another share class of "
                    f"{sold}."
                )
            return (
                f"Buy {bought} to keep the exposure. Both follow the {a.tracks} index, but the "
                "firm's policy does not treat funds following the same index as substantially "
                "identical (same_index_funds_identical is off)."
            )
        if a is not None and b is not None and a.kind is b.kind is Kind.STOCK:
            return (
                f"Buy {bought} to keep the exposure: stock of another company is ordinarily not "
                f"substantially identical to {sold}."
            )
        return (
            f"Buy {bought} to keep the exposure: it is a different security, not another share "
            f"class of {sold} and not following the same index."
        )

    def avoid(self, c: _Candidate) -> Avoid:
        accounts = self.covered(c.account)
        symbols = self.group_symbols(c.symbol)
        plain = [self.label(a) for a in accounts if not self.accounts[a].permanent]
        lost = [self.label(a) for a in accounts if self.accounts[a].permanent]
        where = f"in {_any_of(plain)}" if plain else ""
        if lost:
            where += (", nor " if plain else "in ") + (
                f"in {_any_of(lost)}, where a purchase would make the loss permanent"
            )
        alike = f" (nor {_any_of(symbols[1:])}: substantially identical)" if symbols[1:] else ""
        return Avoid(
            symbols=symbols,
            accounts=accounts,
            through=self.through,
            reason=Reason(
                "do_not_buy",
                f"Through {self.through.isoformat()}, buy no {c.symbol}{alike} {where}. "
                "A purchase in the 30 days after the sale — a dividend reinvestment or a "
                "plan contribution included — would wash the loss.",
                "IRC §1091(a); Pub 550, Wash Sales (spouse; dividend reinvestment); "
                "Rev. Rul. 2008-5 (IRAs)",
            ),
        )

    def steps(self, c: _Candidate, sold: Mapping[tuple[str, str], Decimal]) -> list[Recommendation]:
        """Recurring purchases that would buy into the window: switch the dividends to cash,
        change the contribution allocation (IRC §1091(a); Pub 550; Rev. Rul. 2008-5)."""
        group = self.identity.group_of(c.symbol)
        covered = set(self.covered(c.account))
        steps: list[Recommendation] = []
        for recurring in self.rules.recurring:
            if recurring.account not in covered or self.identity.group_of(recurring.symbol) != (
                group
            ):
                continue
            account = self.accounts[recurring.account]
            lost = (
                " — for good, since the account's basis cannot take the loss"
                if account.permanent
                else ""
            )
            where = self.label(recurring.account)
            if recurring.kind is Recurring.REINVEST:
                held = sum(
                    (
                        o.quantity
                        for o in self.held.values()
                        if o.lot.account == recurring.account
                        and self.identity.group_of(o.lot.symbol) == group
                    ),
                    ZERO,
                )
                if held <= sold.get((recurring.account, group), ZERO):
                    continue  # the plan sells every share: no dividend left to reinvest
                step = Step.SWITCH_DRIP
                reason = Reason(
                    "switch_drip",
                    f"Dividends of {recurring.symbol} in {where} are reinvested (last on "
                    f"{recurring.last.isoformat()}). A reinvestment through "
                    f"{self.through.isoformat()} would wash the {c.symbol} loss harvested "
                    f"here{lost}. Switch them to cash until then.",
                    "IRC §1091(a); Pub 550, Wash Sales (dividend reinvestment is a purchase)"
                    + ("; Rev. Rul. 2008-5" if account.permanent else ""),
                )
            else:
                step = Step.CHANGE_CONTRIBUTION
                reason = Reason(
                    "change_contribution",
                    f"The contribution allocation of {where} buys {recurring.symbol} (last on "
                    f"{recurring.last.isoformat()}). A contribution through "
                    f"{self.through.isoformat()} would wash the {c.symbol} loss harvested "
                    f"here{lost}. Direct contributions to a fund that is not substantially "
                    "identical until then.",
                    "IRC §1091(a); tax-rules.md §1 (policy employer_plan_purchase_triggers)",
                )
            steps.append(
                Recommendation(
                    step=step,
                    account=recurring.account,
                    symbol=recurring.symbol,
                    reason=reason,
                    do_not_buy_through=self.through,
                )
            )
        return steps

    def blocked_findings(
        self, blocked: list[Opportunity], sold: list[_Candidate]
    ) -> tuple[LotFinding, ...]:
        """Blocked lots with the purchase named, the day they clear, whether selling the recent
        purchase too would make the harvest clean (run through the engine), and whether a
        recurring purchase keeps it blocked."""
        by_lot: dict[str, list[Opportunity]] = {}
        for found in blocked:
            by_lot.setdefault(found.lot, []).append(found)
        clean = self.clean_if_sold_too(by_lot, sold)
        out = []
        for lot_id, pieces in by_lot.items():
            first = pieces[0]
            blockers = first.blockers
            clears = (first.clear_after or self.as_of) + _DAY
            permanent = any(self.accounts[b.account].permanent for b in blockers)
            names = "; ".join(
                f"{quantity_text(b.quantity)} {b.symbol} bought {b.acquired.isoformat()} in "
                f"{self.label(b.account)}"
                for b in blockers
            )
            lost = (
                " — a purchase in a tax-advantaged account makes it permanent"
                if permanent
                else ", and deferred into the purchase's basis"
            )
            unrealized = sum((p.unrealized for p in pieces), ZERO)
            quantity = sum((p.quantity for p in pieces), ZERO)
            shares = sum((b.quantity for b in blockers), ZERO)
            if shares < quantity:
                part = to_cents(-unrealized * shares / quantity)
                lost += (
                    f". Only {quantity_text(shares)} of the {quantity_text(quantity)} shares "
                    f"would be washed (about {money_text(part)}; a partial wash sale), the rest "
                    "allowed"
                )
            notes = []
            if lot_id in clean:
                notes.append(clean[lot_id])
            notes.extend(self.recurring_blocks(first))
            out.append(
                LotFinding(
                    lot=lot_id,
                    account=first.account,
                    symbol=first.symbol,
                    quantity=quantity,
                    unrealized=unrealized,
                    term=_term_of(p.term for p in pieces),
                    clears_on=clears,
                    blockers=blockers,
                    reason=Reason(
                        "recent_purchase_would_wash",
                        f"Not now: a loss of {money_text(-unrealized)} sold today would be "
                        f"washed by a substantially identical purchase in the last "
                        f"{WINDOW_DAYS} days ({names}){lost}. It clears on "
                        f"{clears.isoformat()}.",
                        first.reason.rule,
                    ),
                    notes=tuple(notes),
                )
            )
        return tuple(out)

    def clean_if_sold_too(
        self, by_lot: Mapping[str, list[Opportunity]], sold: list[_Candidate]
    ) -> dict[str, Reason]:
        """For each blocked lot: would selling its blocking purchases the same day make it
        clean? Asked of the engine, with the plan's own sales (Reg. §1.1091-1(b)–(e))."""
        out: dict[str, Reason] = {}
        plan_sales = [(c.lot, c.quantity) for c in sold]
        planned: dict[str, Decimal] = {}
        for lot, quantity in plan_sales:
            planned[lot] = planned.get(lot, ZERO) + quantity
        for lot_id, pieces in by_lot.items():
            blockers = pieces[0].blockers
            extra = [b.lot for b in blockers if b.lot in self.held]
            if len(extra) != len(blockers):
                continue
            quantity = sum((p.quantity for p in pieces), ZERO)
            # A blocking purchase the plan already sells (it harvests the recent lot too) is
            # sold only for what the plan leaves of it: a lot cannot be sold twice.
            taken = {**planned, lot_id: planned.get(lot_id, ZERO) + quantity}
            left = {b: self.held[b].quantity - taken.get(b, ZERO) for b in dict.fromkeys(extra)}
            blocker_sales = [(b, q) for b, q in left.items() if q > 0]
            if not blocker_sales:
                continue
            sales = [*plan_sales, (lot_id, quantity), *blocker_sales]
            # Only the group of this lot and its blockers (identical to it) matters here.
            group_of = self.identity.group_of
            groups = frozenset(
                {group_of(pieces[0].symbol), *(group_of(self.held[b].lot.symbol) for b in extra)}
            )
            history = self.simulate_sales(sales, groups=groups)
            mine = f"{_SALE}{len(plan_sales)}"
            if any(w.sale == mine for w in history.wash_sales):
                continue
            results = []
            for offset, (blocker, _) in enumerate(blocker_sales, start=len(plan_sales) + 1):
                rows = [r for r in history.realized if r.sale == f"{_SALE}{offset}"]
                account = self.accounts[self.held[blocker].lot.account]
                if account.reported_on is None:
                    effect = "no tax effect (inside a tax-advantaged account)"
                else:
                    gain = sum((r.allowed for r in rows), ZERO)
                    effect = (
                        f"a gain of {money_text(gain)}"
                        if gain >= 0
                        else f"a loss of {money_text(-gain)}"
                    )
                results.append(f"{self.lot_words(blocker)} in {self.label(account.id)}: {effect}")
            out[lot_id] = Reason(
                "clean_if_sold_too",
                "Selling the recent purchase too, on the same day, would make this harvest "
                "clean: shares disposed of by the sale date are not replacements. That sale: "
                + "; ".join(results)
                + ".",
                "Treas. Reg. §1.1091-1(b)–(e); tax-rules.md §2",
            )
        return out

    def recurring_blocks(self, found: Opportunity) -> list[Reason]:
        covered = set(self.covered(found.account))
        group = self.identity.group_of(found.symbol)
        notes = []
        for recurring in self.rules.recurring:
            if recurring.account in covered and self.identity.group_of(recurring.symbol) == group:
                what = (
                    "dividends are reinvested in"
                    if recurring.kind is Recurring.REINVEST
                    else "the contribution allocation buys"
                )
                notes.append(
                    Reason(
                        "recurring_purchase",
                        f"In {self.label(recurring.account)} {what} {recurring.symbol} (last "
                        f"on {recurring.last.isoformat()}): every new purchase starts the 30 "
                        "days again. Stop it first, or this lot never clears.",
                        "IRC §1091(a); Pub 550, Wash Sales",
                    )
                )
        return notes

    def calendar(self, recommendations: Sequence[Recommendation]) -> tuple[Avoid, ...]:
        """The do-not-buy list of the whole plan: one line per security group and domain."""
        seen: dict[tuple[str, tuple[str, ...]], Avoid] = {}
        for r in recommendations:
            for avoid in r.avoid:
                seen.setdefault((self.identity.group_of(avoid.symbols[0]), avoid.accounts), avoid)
        return tuple(seen.values())

    def wait(self) -> tuple[LotFinding, ...]:
        """Short-term gains on this return that turn long-term within ``WAIT_DAYS``: the tax
        of selling now against selling then, both on this year's return (IRC §1222, §1(h))."""
        out = []
        last = self.as_of + _WAIT
        for held in self.history.holdings_as_of:
            lot = held.lot
            price = self.prices.get(lot.symbol)
            if price is None or not self.on_return(lot.account) or lot.how is _INHERITED:
                continue
            for piece in held.pieces:
                turns = long_term_from(piece.holding_from)
                if turns <= self.as_of or turns > last:
                    continue
                value = to_cents(price * piece.quantity)
                gain = value - piece.basis
                if gain <= 0:
                    continue
                now = self.tax_on(
                    self.plus(self.base_totals, (self.what_if(lot, piece, value, _SHORT),))
                )
                later = self.tax_on(
                    self.plus(self.base_totals, (self.what_if(lot, piece, value, _LONG),))
                )
                saved = now[1].total - later[1].total
                if saved <= 0:
                    continue
                days = (turns - self.as_of).days
                out.append(
                    LotFinding(
                        lot=lot.id,
                        account=lot.account,
                        symbol=lot.symbol,
                        quantity=piece.quantity,
                        unrealized=gain,
                        term=_SHORT.value,
                        long_term_from=turns,
                        tax_saved=saved,
                        reason=Reason(
                            "wait_long_term",
                            f"If this gain of {money_text(gain)} is to be realized, wait "
                            f"{days} days: sold on or after {turns.isoformat()} it is "
                            f"long-term, and the {self.year} federal tax on it is "
                            f"{money_text(saved)} lower ({money_text(now[1].total)} against "
                            f"{money_text(later[1].total)} for the year).",
                            "IRC §1222(3), §1(h); Schedule D",
                        ),
                    )
                )
        return tuple(out)

    def zero_rate(self, harvesting: bool) -> tuple[Recommendation, ...]:
        """Long-term gains that can be realized at 0% this year: while taxable income stays
        under the 0% top (IRC §1(h)(1)(B)), with no change in tax or carryforward (both asked
        of the engine). The wash-sale rule covers losses only, so the shares can be bought
        back at once."""
        table = tax_year_table(self.year)
        top = table.figures(self.case.filing_status).zero_rate_top
        base_schedule, base_tax = self.base
        if base_tax.taxable_income >= top:
            return ()
        pieces = []
        for held in self.history.holdings_as_of:
            lot = held.lot
            price = self.prices.get(lot.symbol)
            if price is None or not self.on_return(lot.account):
                continue
            for piece in held.pieces:
                value = to_cents(price * piece.quantity)
                if value > piece.basis and (
                    lot.how is _INHERITED or long_term_from(piece.holding_from) <= self.as_of
                ):
                    pieces.append((value - piece.basis, lot, piece, value))
        chosen: list[tuple[Decimal, Lot, OpenPiece, Realized]] = []
        with_chosen = self.base_totals
        budget = self.rules.gains_budget
        spent = ZERO
        for gain, lot, piece, value in sorted(pieces, key=lambda p: (-p[0], p[1].key)):
            if budget is not None and spent + gain > budget:
                continue  # the household's gains budget for the year
            row = self.what_if(lot, piece, value, _LONG)
            trial = self.plus(with_chosen, (row,))
            schedule, tax = self.tax_on(trial)
            # Two full computations: qualified dividends stacked in the 0% band, the senior
            # deduction's phase-out (the gain raises MAGI), the AMT and the NIIT all count.
            if tax.total <= base_tax.total and _carry(schedule) == _carry(base_schedule):
                chosen.append((gain, lot, piece, row))
                with_chosen = trial
                spent += gain
        total = sum((c[0] for c in chosen), ZERO)
        if not chosen or total < self.rules.min_loss:
            return ()
        notes = []
        facts = self.facts
        if facts.qualified_dividends > 0 or facts.seniors > 0:
            notes.append(
                Reason(
                    "zero_rate_whole_return",
                    "Worked out on the whole return: qualified dividends already fill part of "
                    "the 0% band, and a gain that raises modified AGI would shrink the senior "
                    "deduction; only gains that leave the tax unchanged are suggested.",
                    "IRC §1(h)(1)(B), §1(h)(11), §151(d)(5)(C); QDCG Tax Worksheet",
                )
            )
        if harvesting:
            notes.append(
                Reason(
                    "zero_rate_and_harvest",
                    "Losses harvested in the same year offset these gains first, spending them "
                    "on gains that would have been taxed at 0%: do one or the other this year.",
                    "IRC §1222; Schedule D",
                )
            )
        out = []
        for gain, lot, piece, _row in chosen:
            out.append(
                Recommendation(
                    step=Step.REALIZE_GAIN,
                    account=lot.account,
                    symbol=lot.symbol,
                    lot=lot.id,
                    quantity=piece.quantity,
                    gain=gain,
                    long_term=gain,
                    term=_LONG.value,
                    tax_saved=ZERO,
                    replacement=lot.symbol,
                    reason=Reason(
                        "realize_gain_zero_rate",
                        f"Taxable income of {money_text(base_tax.taxable_income)} is under the "
                        f"{money_text(top)} top of the 0% rate on long-term gains: sell "
                        f"{quantity_text(piece.quantity)} {lot.symbol} of "
                        f"{self.lot_words(lot.id)} and realize {money_text(gain)} of "
                        f"long-term gain at no federal tax (the {self.year} tax is "
                        f"{money_text(base_tax.total)} with or without the sale), then buy it "
                        "back at once to raise the basis; the wash-sale rule covers losses "
                        "only.",
                        f"IRC §1(h)(1)(B), §1091(a); {table.source}",
                    ),
                    notes=tuple(notes),
                )
            )
        return tuple(out)

    def warnings(self) -> tuple[Reason, ...]:
        """Wash sales that already happened this year, the permanent ones first (IRC §1091(a),
        (d); Rev. Rul. 2008-5)."""
        out = []
        for wash in sorted(self.history.wash_sales, key=lambda w: (not w.permanent, w.sold)):
            if wash.sold.year != self.year or wash.sale.startswith(_SALE):
                continue
            where = self.label(wash.replacement_account)
            sold = f"the sale of {self.label(wash.lot)} on {wash.sold.isoformat()}"
            if wash.permanent:
                out.append(
                    Reason(
                        "permanent_wash_sale",
                        f"A purchase in {where} on {wash.replacement_acquired.isoformat()} "
                        f"made {money_text(wash.disallowed)} of loss on {sold} permanent: the "
                        "account's basis cannot take it, so it is lost for good.",
                        "IRC §1091(a); Rev. Rul. 2008-5",
                    )
                )
            else:
                out.append(
                    Reason(
                        "wash_sale_this_year",
                        f"A wash sale already happened this year: {money_text(wash.disallowed)} "
                        f"of loss on {sold} was disallowed by a purchase in {where} on "
                        f"{wash.replacement_acquired.isoformat()}, and added to that purchase's "
                        "basis (Form 8949 code W).",
                        "IRC §1091(a), (d); Treas. Reg. §1.1091-2; Form 8949 instructions",
                    )
                )
        return tuple(out)

    def notes(
        self,
        advantaged: Sequence[LotFinding],
        below: Sequence[LotFinding],
        blocked: Sequence[LotFinding],
        harvesting: bool,
    ) -> tuple[Reason, ...]:
        notes = list(self.rules.notes)
        if not harvesting and any(a.taxable for a in self.accounts.values()):
            why = [f"{len(below)} under the firm's thresholds"] if below else []
            why += [f"{len(blocked)} blocked for now"] if blocked else []
            notes.append(
                Reason(
                    "nothing_to_harvest",
                    "No loss to harvest today: "
                    + (
                        f"the lots at a loss in the taxable accounts are {' and '.join(why)}."
                        if why
                        else "no lot in the taxable accounts is worth less than its basis."
                    ),
                    f"IRC §1211(b); {THRESHOLD_RULE}",
                )
            )
        if self.accounts and not any(a.taxable for a in self.accounts.values()):
            down = -sum((f.unrealized for f in advantaged), ZERO)
            notes.append(
                Reason(
                    "no_taxable_accounts",
                    "Every account of this household is tax-advantaged, so nothing can be "
                    "harvested here"
                    + (f", however far down the accounts are ({money_text(down)})" if down else "")
                    + ": a sale inside them is not a taxable event and no loss reaches "
                    f"Schedule D. {WHAT_HELPS_INSTEAD}",
                    "IRC §408(e), §401(a), §501(a), §223, §529; tax-rules.md §1",
                )
            )
            notes.extend(NOT_SO)
        unpriced = sorted(
            {o.lot.symbol for o in self.history.holdings_as_of if o.lot.symbol not in self.prices}
        )
        if unpriced:
            notes.append(
                Reason(
                    "unpriced",
                    f"No price on or before {self.as_of.isoformat()} for {', '.join(unpriced)}: "
                    "those lots were not assessed.",
                    "—",
                )
            )
        return tuple(notes)

    def figures(
        self, after: tuple[ScheduleD, TaxResult], harvests: Sequence[Recommendation]
    ) -> tuple[Figure, ...]:
        """The summary strip: each number with the reasons behind it."""
        before_schedule, before_tax = self.base
        after_schedule, after_tax = after
        case = self.case
        this_year = [
            r
            for r in self.history.realized
            if r.reported_on == HOUSEHOLD and r.sold.year == self.year
        ]
        disallowed = sum((r.disallowed for r in this_year), ZERO)
        realized_short = before_schedule.short_term + case.carryforward_short
        realized_long = before_schedule.long_term + case.carryforward_long
        realized = Reason(
            "realized_this_year",
            f"{len(this_year)} lot sales dated {self.year} reached this return: short-term "
            f"{money_text(realized_short)}, long-term {money_text(realized_long)}"
            + (
                f", after {money_text(disallowed)} of wash-sale losses were disallowed."
                if disallowed
                else "."
            ),
            "IRC §1222; Form 8949; Schedule D, lines 1–7 and 8–15",
        )
        carry_in = Reason(
            "carryforward_in",
            f"From the tax profile: {money_text(case.carryforward_short)} short-term and "
            f"{money_text(case.carryforward_long)} long-term loss carried over from last year.",
            "IRC §1212(b); Schedule D, lines 6 and 14",
        )
        short = sum((r.short_term for r in harvests), ZERO)
        long = sum((r.long_term for r in harvests), ZERO)
        harvest_loss = -(short + long)
        saved = before_tax.total - after_tax.total
        return (
            *self.core_figures(after, harvests, realized, carry_in, short, long, harvest_loss),
            *self.whole_return_figures(before_tax, after_tax, saved),
        )

    def whole_return_figures(
        self, before: TaxResult, after: TaxResult, saved: Decimal
    ) -> tuple[Figure, ...]:
        """The parts of the whole return a household has (tax-rules.md §7), shown where they
        apply: the AMT, qualified dividends, the deductions for age 65 or blindness, and the
        state estimate apart from the federal figures."""
        out: list[Figure] = []
        if before.amt > 0 or after.amt > 0:
            out.append(
                Figure(
                    "amt",
                    "Alternative minimum tax (in the federal tax)",
                    after.amt,
                    (
                        Reason(
                            "amt_figure",
                            f"The tentative minimum tax (Form 6251) exceeds the regular tax by "
                            f"{money_text(before.amt)} without the plan and "
                            f"{money_text(after.amt)} with it; the federal tax includes it.",
                            "IRC §55; Form 6251",
                        ),
                    ),
                    before=before.amt,
                )
            )
        if after.qualified_dividends > 0:
            out.append(
                Figure(
                    "qualified_dividends",
                    "Qualified dividends (at 0/15/20%)",
                    after.qualified_dividends,
                    (
                        Reason(
                            "qualified_dividends_figure",
                            f"{money_text(after.qualified_dividends)} of qualified dividends "
                            "are taxed with net capital gain at 0/15/20%, not as ordinary "
                            "income; they are net investment income for the NIIT.",
                            "IRC §1(h)(11), §1411; QDCG Tax Worksheet",
                        ),
                    ),
                )
            )
        deduction = after.deduction
        if deduction is not None:
            basic = tax_year_table(self.year).standard_deduction(self.case.filing_status)
            extra = deduction.standard - basic if deduction.kind == "standard" else ZERO
            if extra > 0 or deduction.senior > 0:
                out.append(
                    Figure(
                        "age_65_deductions",
                        "Deductions for age 65 or older / blind",
                        extra + deduction.senior,
                        (
                            Reason(
                                "age_65_figure",
                                f"Additional standard deduction {money_text(extra)} "
                                f"(§63(f)) and senior deduction {money_text(deduction.senior)} "
                                "(2025–2028, reduced by 6% of modified AGI over the "
                                "threshold).",
                                "IRC §63(f), §151(d)(5)(C); Pub 501; Schedule 1-A",
                            ),
                        ),
                    )
                )
        if self.rules.state_marginal_rate is not None:
            rate = self.rules.state_marginal_rate
            estimate = self.state_of(before, after) or ZERO
            out.append(
                Figure(
                    "state_estimate",
                    "State tax saved (estimate)",
                    estimate,
                    (
                        Reason(
                            "state_estimate",
                            f"An estimate, apart from the federal figures: "
                            f"{(rate * 100).normalize():f}% (the profile's state marginal "
                            "rate) of the fall in adjusted gross income. States differ; "
                            "check the state return.",
                            "Estimate (state law varies)",
                        ),
                    ),
                )
            )
        return tuple(out)

    def core_figures(
        self,
        after: tuple[ScheduleD, TaxResult],
        harvests: Sequence[Recommendation],
        realized: Reason,
        carry_in: Reason,
        short: Decimal,
        long: Decimal,
        harvest_loss: Decimal,
    ) -> tuple[Figure, ...]:
        before_schedule, before_tax = self.base
        after_schedule, after_tax = after
        case = self.case
        realized_short = before_schedule.short_term + case.carryforward_short
        realized_long = before_schedule.long_term + case.carryforward_long
        gains_before = max(before_schedule.net, ZERO)
        offset = gains_before - max(after_schedule.net, ZERO)
        saved = before_tax.total - after_tax.total
        return (
            Figure("realized_short", "Realized short-term this year", realized_short, (realized,)),
            Figure("realized_long", "Realized long-term this year", realized_long, (realized,)),
            Figure(
                "carryforward_in",
                "Loss carryforward in",
                case.carryforward_short + case.carryforward_long,
                (carry_in,),
            ),
            Figure(
                "harvest_loss",
                "Losses harvested by this plan",
                harvest_loss,
                (
                    Reason(
                        "harvest_loss",
                        f"{len(harvests)} lot sales in this plan, each allowed in full by the "
                        f"engine: short-term {money_text(-short)}, long-term "
                        f"{money_text(-long)}.",
                        "IRC §165(f), §1211(b), §1091(a)",
                    ),
                ),
            ),
            Figure(
                "gains_offset",
                "Gains the harvest offsets",
                offset,
                (
                    Reason(
                        "gains_offset",
                        f"The year's net capital gain (carryovers included) goes from "
                        f"{money_text(gains_before)} to {money_text(max(after_schedule.net, ZERO))}"
                        " with the harvest.",
                        "IRC §1222; Schedule D, line 16",
                    ),
                ),
                before=gains_before,
            ),
            Figure(
                "deduction_used",
                "Deduction against ordinary income",
                after_schedule.deduction_used,
                after_schedule.reasons,
                before=before_schedule.deduction_used,
            ),
            Figure(
                "carryforward_out",
                "Loss carryforward to next year",
                _carry(after_schedule),
                after_schedule.reasons,
                before=_carry(before_schedule),
            ),
            Figure(
                "tax",
                f"Federal tax {self.year}",
                after_tax.total,
                after_tax.reasons,
                before=before_tax.total,
            ),
            Figure(
                "tax_saved",
                "Tax saved",
                saved,
                (
                    Reason(
                        "tax_saved_total",
                        f"The {self.year} federal tax (income tax and NIIT) computed twice by the "
                        f"engine: {money_text(before_tax.total)} on the year's actual results, "
                        f"{money_text(after_tax.total)} with this plan's sales.",
                        TAX_RULE,
                    ),
                ),
            ),
        )


def _carry(schedule: ScheduleD) -> Decimal:
    return schedule.carryforward_short + schedule.carryforward_long


def _term_words(short: Decimal, long: Decimal) -> str:
    if short and long:
        return f"short-term ({money_text(-short)}) and long-term ({money_text(-long)})"
    return "short-term" if short else "long-term"


def _any_of(items: Sequence[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"

"""The planner's values: what a plan says (steps, recommendations, findings, figures), the
firm's rules it takes, and the shared constants and helpers of its steps (harvest.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .carryforward import ScheduleD, money_text
from .lots import (
    ZERO,
    Term,
)
from .reasons import Reason
from .wash_household import Policy

if TYPE_CHECKING:
    pass

from .opportunities import (
    Blocker,
    _money,
    _quantity,
)

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


def _carry(schedule: ScheduleD) -> Decimal:
    return schedule.carryforward_short + schedule.carryforward_long


def _term_words(short: Decimal, long: Decimal) -> str:
    if short and long:
        return f"short-term ({money_text(-short)}) and long-term ({money_text(-long)})"
    return "short-term" if short else "long-term"


def _any_of(items: Sequence[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"

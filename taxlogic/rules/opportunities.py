"""Harvest opportunities: which lots held at ``as_of`` could realize a loss now, and what stops it.

Rules: IRC §165(f), §1211(b); §1091(a) and Treas. Reg. §1.1091-1(a), (e); Rev. Rul. 2008-5;
§1015(a); IRC §1222 (term at ``as_of``). The first step of the planner (``harvest.py``): it looks
at each lot alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from .lots import (
    ZERO,
    How,
    Lot,
    OpenLot,
    OpenPiece,
    Term,
    anniversary,
    to_cents,
)
from .reasons import Reason
from .wash_household import (
    HOUSEHOLD,
    HouseholdAccount,
    Identity,
    Policy,
    acquirer_domain,
    candidate_domain,
)
from .wash_sales import (
    DIGITAL_ASSET_RULE,
    DIGITAL_ASSETS_OUTSIDE_1091_CHECKED_FOR_TAX_YEAR,
    WINDOW_DAYS,
    paused_collector,
)

if TYPE_CHECKING:
    pass


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

    # Written out, the same as the one @dataclass would make: mypyc compiles this one, and
    # constructing is then many times faster (the generated one is interpreted).
    def __init__(
        self,
        lot: str,
        account: str,
        symbol: str,
        acquired: date,
        quantity: Decimal,
    ) -> None:
        object.__setattr__(self, "lot", lot)
        object.__setattr__(self, "account", account)
        object.__setattr__(self, "symbol", symbol)
        object.__setattr__(self, "acquired", acquired)
        object.__setattr__(self, "quantity", quantity)


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

    # Written out, the same as the one @dataclass would make: mypyc compiles this one, and
    # constructing is then many times faster (the generated one is interpreted).
    def __init__(
        self,
        lot: str,
        account: str,
        symbol: str,
        quantity: Decimal,
        basis: Decimal,
        value: Decimal,
        unrealized: Decimal,
        term: Term,
        holding_from: date,
        long_term_from: date | None,
        harvestable: bool,
        reason: Reason,
        blockers: tuple[Blocker, ...] = (),
        clear_after: date | None = None,
        do_not_buy_through: date | None = None,
        notes: tuple[str, ...] = (),
    ) -> None:
        object.__setattr__(self, "lot", lot)
        object.__setattr__(self, "account", account)
        object.__setattr__(self, "symbol", symbol)
        object.__setattr__(self, "quantity", quantity)
        object.__setattr__(self, "basis", basis)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "unrealized", unrealized)
        object.__setattr__(self, "term", term)
        object.__setattr__(self, "holding_from", holding_from)
        object.__setattr__(self, "long_term_from", long_term_from)
        object.__setattr__(self, "harvestable", harvestable)
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "blockers", blockers)
        object.__setattr__(self, "clear_after", clear_after)
        object.__setattr__(self, "do_not_buy_through", do_not_buy_through)
        object.__setattr__(self, "notes", notes)

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
    with paused_collector():  # for speed (wash_sales.paused_collector)
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
                    basis = piece.gift_value  # IRC §1015(a): the lower value at the gift
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

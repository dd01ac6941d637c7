"""Household-wide wash sales: matching, basis and holding-period adjustment, permanence.

Rules: IRC §1091(a) (a loss is disallowed when substantially identical stock or securities are
acquired within 30 days before or after the sale), §1091(b)–(c) and Treas. Reg. §1.1091-1(b)–(e)
(which loss shares and which replacement shares are matched), §1091(d) and Reg. §1.1091-2 (the
disallowed loss goes into the replacement's basis), §1223(3) (and its holding period), Reg.
§1.1091-1(f) (gifts and inheritances are not acquisitions), Pub 550 ("Wash Sales": the spouse's
purchases count), Rev. Rul. 2008-5 (a purchase in the taxpayer's IRA or Roth IRA washes the loss
and nothing is added to the IRA's basis: the loss is lost for good); tax-rules.md §2 for the
policy flags where the sources split. A disallowed loss the custodian already put into a
replacement's basis (Form 1099-B box 1g) is not added again: broker_wash.py.

``simulate`` walks a household's history day by day: each day's sales take their lots, then the
day's losses are matched against replacement shares in a window of 30 days either side. Matching
is O(log n) per loss piece plus the replacement lots it consumes, in each substantially
identical group: no pairwise scan.
"""

from __future__ import annotations

import gc
from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .broker_wash import covered as broker_covered
from .lots import (
    ZERO,
    Action,
    How,
    Lot,
    OpenLot,
    Piece,
    Position,
    Term,
    Trade,
    gift_measure,
    quantity_text,
    split_cumulative,
    term_of,
    to_cents,
)
from .wash_household import (  # the household and its accounts; re-exported
    HouseholdAccount,
    Identity,
    Policy,
    candidate_domain,
    replacement_holding_from,
)

# Module constants: enum attribute lookups are slow in the engine's loops.
_GIFT, _INHERITED, _PURCHASE, _SELL = How.GIFT, How.INHERITED, How.PURCHASE, Action.SELL
_SPLIT, _DISTRIBUTION = Action.SPLIT, Action.DISTRIBUTION
_SHORT = Term.SHORT


def six_months_after(start: date) -> date:
    """The date six calendar months after ``start`` (the last day of the month when shorter):
    shares sold on or before it were held six months or less (§852(b)(4))."""
    month = start.month + 6
    year = start.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    day = start.day
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1


# IRC §1091(a): "within a period beginning 30 days before ... and ending 30 days after".
WINDOW_DAYS = 30

# §1091 reaches "stock or securities" only; a digital asset held directly is property (Notice
# 2014-21), and no bill extending §1091 to digital assets had been enacted when this was last
# checked, for the tax year below. Re-check every year and date the change here if one passes.
DIGITAL_ASSETS_OUTSIDE_1091_CHECKED_FOR_TAX_YEAR = 2026
DIGITAL_ASSET_RULE = (
    f"IRC §1091(a) (stock or securities only); Notice 2014-21; checked for tax year "
    f"{DIGITAL_ASSETS_OUTSIDE_1091_CHECKED_FOR_TAX_YEAR}"
)


class EngineError(ValueError):
    """A history the engine cannot follow (a sale of shares not held), naming the trade field.

    ``trade_seq`` is the trade's listing index; ``field`` is the path inside the trade, e.g.
    ``quantity`` or ``lots[1].quantity``.
    """

    def __init__(self, trade_seq: int, field: str, message: str) -> None:
        super().__init__(message)
        self.trade_seq = trade_seq
        self.field = field
        self.message = message


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Realized:
    """One lot piece sold, with its gain or loss and what §1091 disallowed.

    ``basis`` includes wash-sale adjustments (``deferred`` of it); for a gift it is the basis of
    §1015(a) that measured the result. ``reported_on`` is the return the result reaches
    (``HOUSEHOLD``, a separate taxpayer's account id, or None). ``disallowed`` is positive.
    """

    sale: str
    seq: int
    lot: str
    account: str
    symbol: str
    quantity: Decimal
    acquired: date
    holding_from: date
    sold: date
    proceeds: Decimal
    basis: Decimal
    gain: Decimal
    term: Term
    disallowed: Decimal
    deferred: Decimal
    reported_on: str | None
    long_term_part: Decimal = ZERO  # §852(b)(4): the part of a short-term loss that is long-term

    # Written out, the same as the one @dataclass would make: mypyc compiles this one, and
    # constructing is then many times faster (the generated one is interpreted).
    def __init__(
        self,
        sale: str,
        seq: int,
        lot: str,
        account: str,
        symbol: str,
        quantity: Decimal,
        acquired: date,
        holding_from: date,
        sold: date,
        proceeds: Decimal,
        basis: Decimal,
        gain: Decimal,
        term: Term,
        disallowed: Decimal,
        deferred: Decimal,
        reported_on: str | None,
        long_term_part: Decimal = ZERO,
    ) -> None:
        object.__setattr__(self, "sale", sale)
        object.__setattr__(self, "seq", seq)
        object.__setattr__(self, "lot", lot)
        object.__setattr__(self, "account", account)
        object.__setattr__(self, "symbol", symbol)
        object.__setattr__(self, "quantity", quantity)
        object.__setattr__(self, "acquired", acquired)
        object.__setattr__(self, "holding_from", holding_from)
        object.__setattr__(self, "sold", sold)
        object.__setattr__(self, "proceeds", proceeds)
        object.__setattr__(self, "basis", basis)
        object.__setattr__(self, "gain", gain)
        object.__setattr__(self, "term", term)
        object.__setattr__(self, "disallowed", disallowed)
        object.__setattr__(self, "deferred", deferred)
        object.__setattr__(self, "reported_on", reported_on)
        object.__setattr__(self, "long_term_part", long_term_part)

    @property
    def allowed(self) -> Decimal:
        """The result that reaches Schedule D (Form 8949 column (h)): gain + disallowed."""
        return self.gain + self.disallowed

    @property
    def code(self) -> str:
        """Form 8949 column (f): ``W`` when a wash-sale loss was disallowed."""
        return "W" if self.disallowed > 0 else ""


@dataclass(frozen=True, slots=True)
class WashSale:
    """Loss shares of one sold piece matched with replacement shares of one lot.

    ``permanent``: the replacement's basis cannot take the loss (Rev. Rul. 2008-5), so the
    disallowed loss is lost for good; else it went into the replacement's basis and its holding
    period starts at ``holding_from``. ``broker_applied``: the part of ``disallowed`` the
    custodian's adjustment had already put there (broker_wash.py), not added again.
    """

    sale: str
    lot: str
    sold: date
    replacement: str
    replacement_account: str
    replacement_acquired: date
    quantity: Decimal
    disallowed: Decimal
    permanent: bool
    holding_from: date | None
    broker_applied: Decimal = ZERO

    # Written out, the same as the one @dataclass would make: mypyc compiles this one, and
    # constructing is then many times faster (the generated one is interpreted).
    def __init__(
        self,
        sale: str,
        lot: str,
        sold: date,
        replacement: str,
        replacement_account: str,
        replacement_acquired: date,
        quantity: Decimal,
        disallowed: Decimal,
        permanent: bool,
        holding_from: date | None,
        broker_applied: Decimal = ZERO,
    ) -> None:
        object.__setattr__(self, "sale", sale)
        object.__setattr__(self, "lot", lot)
        object.__setattr__(self, "sold", sold)
        object.__setattr__(self, "replacement", replacement)
        object.__setattr__(self, "replacement_account", replacement_account)
        object.__setattr__(self, "replacement_acquired", replacement_acquired)
        object.__setattr__(self, "quantity", quantity)
        object.__setattr__(self, "disallowed", disallowed)
        object.__setattr__(self, "permanent", permanent)
        object.__setattr__(self, "holding_from", holding_from)
        object.__setattr__(self, "broker_applied", broker_applied)


@dataclass(frozen=True, slots=True)
class History:
    """What a household's history comes to: every piece sold, every wash sale, the lots left.

    ``realized`` holds every piece sold in any account, in the order sold (filter by
    ``reported_on`` for a return); ``holdings_as_of`` the lots held at the end of ``as_of``.
    """

    realized: tuple[Realized, ...]
    wash_sales: tuple[WashSale, ...]
    open_lots: tuple[OpenLot, ...]
    holdings_as_of: tuple[OpenLot, ...]


# --- the engine -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the engine asks about an account, worked out once per run."""

    reported_on: str | None
    acquirer: str | None  # the domain whose losses it may wash (``candidate_domain``)
    permanent: bool
    owner: str


def _facts(accounts: Mapping[str, HouseholdAccount], policy: Policy) -> dict[str, _Facts]:
    return {
        key: _Facts(a.reported_on, candidate_domain(a, policy), a.permanent, a.owner)
        for key, a in accounts.items()
    }


class _Sold:
    """A piece sold, while its day's losses are matched."""

    __slots__ = ("trade", "position", "piece", "proceeds", "basis", "holding_from", "term", "dist")

    def __init__(
        self,
        trade: Trade,
        position: Position,
        piece: Piece,
        proceeds: Decimal,
        basis: Decimal,
        holding_from: date,
        term: Term,
        dist: Decimal = ZERO,
    ) -> None:
        self.dist = dist
        self.trade = trade
        self.position = position
        self.piece = piece
        self.proceeds = proceeds
        self.basis = basis
        self.holding_from = holding_from
        self.term = term


class _Candidates:
    """The acquisitions of one substantially identical group that can wash one domain's losses,
    in acquisition order, with a "next lot that still has unused shares" pointer forest so that
    exhausted lots are skipped in amortized constant time."""

    __slots__ = ("positions", "keys", "next")

    def __init__(self, positions: list[Position]) -> None:
        positions.sort(key=lambda p: p.key)
        self.positions = positions
        self.keys = [p.key for p in positions]
        self.next = list(range(len(positions) + 1))

    def find(self, i: int) -> int:
        nxt = self.next
        while nxt[i] != i:
            nxt[i] = nxt[nxt[i]]
            i = nxt[i]
        return i

    def exhaust(self, i: int) -> None:
        self.next[i] = i + 1


class _Book:
    """One account's lots of one symbol in FIFO order (acquisition date, then listing).

    Every lot the history will hold is known from the start, so the book lists them all once;
    a lot not yet acquired is simply not ``active``. Lots acquired later sort after the active
    ones (a later date, or a later place in the same day's listing), so FIFO stops at the
    first inactive lot.
    """

    __slots__ = ("positions", "head", "dead")

    def __init__(self, positions: list[Position]) -> None:
        self.positions = positions
        self.head = 0
        self.dead = 0

    def held(self) -> Decimal:
        return sum((p.held for p in self.positions if p.active), ZERO)

    def fifo(self, quantity: Decimal) -> list[tuple[Position, Decimal]] | None:
        """The (lot, shares) a FIFO sale takes, or None when the account holds too few."""
        picks: list[tuple[Position, Decimal]] = []
        remaining = quantity
        positions = self.positions
        i = self.head
        while remaining > 0 and i < len(positions):
            position = positions[i]
            if not position.active:
                break
            if position.held > 0:
                take = min(position.held, remaining)
                picks.append((position, take))
                remaining -= take
            i += 1
        return None if remaining > 0 else picks

    def settle(self) -> None:
        """Skip sold-out lots at the front; compact when many inside are sold out too (a
        specific identification can empty a lot anywhere), so FIFO never rescans them."""
        positions = self.positions
        while self.head < len(positions) and positions[self.head].held <= 0:
            self.head += 1
            self.dead -= 1
        if self.dead > 32 and self.dead * 2 > len(positions) - self.head:
            self.positions = [p for p in positions[self.head :] if p.held > 0]
            self.head = 0
            self.dead = 0
        elif self.head > 64 and self.head * 2 > len(positions):
            del positions[: self.head]
            self.head = 0


def simulate(
    *,
    accounts: Mapping[str, HouseholdAccount],
    identity: Identity,
    lots: Sequence[Lot],
    trades: Sequence[Trade],
    policy: Policy,
    as_of: date | None = None,
    seq_base: int | None = None,
    holdings: bool = True,
    average: frozenset[tuple[str, str]] = frozenset(),
) -> History:
    """Run a household's history through lot relief and the wash-sale rule.

    Lot relief: Reg. §1.1012-1(c) (FIFO by acquisition date then listing; a sale naming lots
    takes those; within a lot a wash-adjusted piece goes first). Wash sales: IRC §1091(a)–(d),
    Reg. §1.1091-1(b)–(f), §1.1091-2, §1223(3), Rev. Rul. 2008-5, tax-rules.md §2 — losses in
    order of sale (one day's by the sold shares' acquisition), each loss share matched with the
    earliest-acquired replacement share in the 61-day window that is still held after the sale
    day and not yet used; a purchase in a tax-advantaged account washes permanently.

    ``seq_base`` (default: the number of lots) orders the lots that trades open after the
    listed ones; a caller passing only some of the lots passes the full count, so that FIFO
    ties break as they would with all of them. With ``holdings`` false the lots held are not
    listed (``open_lots`` and ``holdings_as_of`` are empty): for a caller that wants only what
    was sold and washed.

    Raises ``EngineError`` for a sale of shares not held.

    The cyclic garbage collector is paused while it runs (``paused_collector``).
    """
    with paused_collector():
        return _simulate(
            accounts=accounts,
            identity=identity,
            lots=lots,
            trades=trades,
            policy=policy,
            as_of=as_of,
            seq_base=seq_base,
            holdings=holdings,
            average=average,
        )


def _simulate(
    *,
    accounts: Mapping[str, HouseholdAccount],
    identity: Identity,
    lots: Sequence[Lot],
    trades: Sequence[Trade],
    policy: Policy,
    as_of: date | None,
    seq_base: int | None,
    holdings: bool,
    average: frozenset[tuple[str, str]],
) -> History:
    facts = _facts(accounts, policy)
    positions: dict[str, Position] = {}
    initial: list[Position] = []
    for lot in lots:
        position = Position(lot)
        positions[lot.id] = position
        initial.append(position)
    base = len(lots) if seq_base is None else seq_base
    for trade in trades:
        if trade.opens_lot:
            positions[trade.id] = Position(trade.opened_lot(seq=base + trade.seq))
    initial.sort(key=_key)
    in_order = sorted(positions.values(), key=_key)  # snapshots list lots in FIFO order

    # FIFO books per account and symbol; replacement candidates per wash-sale domain and
    # substantially identical group. Both in acquisition order.
    by_book: dict[tuple[str, str], list[Position]] = {}
    grouped: dict[tuple[str, str], list[Position]] = {}
    group_of = identity.group_of
    outside = identity.outside_1091
    for position in in_order:
        lot = position.lot
        book_key = (lot.account, lot.symbol)
        shelf = by_book.get(book_key)
        if shelf is None:
            by_book[book_key] = [position]
        else:
            shelf.append(position)
        if lot.how is not _PURCHASE or lot.symbol in outside:
            continue
        domain = facts[lot.account].acquirer
        if domain is not None:
            key = (domain, group_of(lot.symbol))
            group = grouped.get(key)
            if group is None:
                grouped[key] = [position]
            else:
                group.append(position)
    candidates = {key: _Candidates(group) for key, group in grouped.items()}

    books = {key: _Book(shelf) for key, shelf in by_book.items()}
    realized: list[Realized] = []
    wash_sales: list[WashSale] = []
    holdings_as_of: tuple[OpenLot, ...] | None = None
    next_initial = 0

    def activate(upto: date) -> None:
        nonlocal next_initial
        while next_initial < len(initial) and initial[next_initial].lot.acquired <= upto:
            initial[next_initial].active = True
            next_initial += 1

    def snapshot() -> tuple[OpenLot, ...]:
        if not holdings:
            return ()
        return tuple(p.snapshot() for p in in_order if p.active and p.held > 0)

    ordered = sorted(trades, key=_trade_order)
    i = 0
    while i < len(ordered):
        day = ordered[i].date
        if as_of is not None and holdings_as_of is None and day > as_of:
            activate(as_of)
            holdings_as_of = snapshot()
        activate(day)
        sold_today: list[_Sold] = []
        while i < len(ordered) and ordered[i].date == day:
            trade = ordered[i]
            i += 1
            if trade.action is _SELL:
                sold_today.extend(_sell(trade, positions, books, average))
            elif trade.action is _SPLIT or trade.action is _DISTRIBUTION:
                _corporate_action(trade, books.get((trade.account, trade.symbol)))
            else:
                positions[trade.id].active = True
        if sold_today:
            _match_day(
                day,
                sold_today,
                facts=facts,
                identity=identity,
                policy=policy,
                candidates=candidates,
                realized=realized,
                wash_sales=wash_sales,
            )
    final: tuple[OpenLot, ...] | None = None
    if as_of is not None and holdings_as_of is None:
        activate(as_of)
        holdings_as_of = final = snapshot()
    if next_initial < len(initial):
        activate(date.max)
        final = None  # lots acquired after as_of: the end differs from as_of
    if final is None:
        final = snapshot()
    return History(
        realized=tuple(realized),
        wash_sales=tuple(wash_sales),
        open_lots=final,
        holdings_as_of=holdings_as_of or (),
    )


@contextmanager
def paused_collector() -> Iterator[None]:
    """No cyclic garbage collection inside (for speed: the results are the same). A run
    allocates by the hundred thousand (pieces, sales, wash sales) and frees nothing cyclic, so
    the collector only walks what is alive, over and over (a third of a large household's
    time); it runs again after (a pause inside a pause leaves it off until the outer one ends)."""
    resume = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if resume:
            gc.enable()


def _key(position: Position) -> tuple[int, int]:
    return position.key


def _trade_order(trade: Trade) -> tuple[date, int]:
    return (trade.date, trade.seq)


def _corporate_action(trade: Trade, book: _Book | None) -> None:
    """A split scales every lot of the symbol held in the account (§307, §1223(4); not an
    acquisition for §1091); a capital-gain distribution is spread over the shares held, per
    share, for §852(b)(4)."""
    if book is None:
        return
    held = [p for p in book.positions if p.active and p.held > 0]
    if trade.action is _SPLIT:
        if trade.ratio is not None:
            for position in held:
                position.scale(trade.ratio)
        return
    shares = sum((p.held for p in held), ZERO)
    if shares > 0 and trade.amount > 0:
        per_share = trade.amount / shares
        for position in held:
            position.dist += per_share


def _sell(
    trade: Trade,
    positions: Mapping[str, Position],
    books: dict[tuple[str, str], _Book],
    average: frozenset[tuple[str, str]] = frozenset(),
) -> list[_Sold]:
    """Take a sale's lots (Reg. §1.1012-1(c)) and measure each piece taken (§1001, §1015).

    Shares held at average basis (Reg. §1.1012-1(e)) are taken first in, for the holding
    period, whatever lots the sale names, at the account's average basis per share."""
    book = books.get((trade.account, trade.symbol))
    averaged = bool(average) and (trade.account, trade.symbol) in average and book is not None
    total_basis = held_before = ZERO
    if averaged and book is not None:
        for holding in book.positions:
            if holding.active and holding.held > 0:
                total_basis += sum((p.basis for p in holding.pieces), ZERO)
                held_before += holding.held
    if trade.lots and not averaged:
        picks: list[tuple[Position, Decimal]] = []
        asked: dict[str, Decimal] = {}
        for index, request in enumerate(trade.lots):
            position = positions.get(request.lot)
            field = f"lots[{index}]"
            if position is None:
                raise EngineError(trade.seq, f"{field}.lot", f"unknown lot {request.lot!r}")
            lot = position.lot
            if lot.account != trade.account or lot.symbol != trade.symbol:
                raise EngineError(
                    trade.seq,
                    f"{field}.lot",
                    f"lot {lot.id!r} holds {lot.symbol} in account {lot.account}, "
                    f"not {trade.symbol} in {trade.account}",
                )
            if not position.active:
                raise EngineError(
                    trade.seq,
                    f"{field}.lot",
                    f"lot {lot.id!r} is not held on {trade.date.isoformat()}",
                )
            total = asked.get(lot.id, ZERO) + request.quantity
            if total > position.held:
                raise EngineError(
                    trade.seq,
                    f"{field}.quantity",
                    f"sells {quantity_text(total)} of lot {lot.id!r}, which holds "
                    f"{quantity_text(position.held)} on {trade.date.isoformat()}",
                )
            asked[lot.id] = total
            picks.append((position, request.quantity))
    else:
        fifo = book.fifo(trade.quantity) if book is not None else None
        if fifo is None:
            held = book.held() if book is not None else ZERO
            raise EngineError(
                trade.seq,
                "quantity",
                f"sells {quantity_text(trade.quantity)} {trade.symbol}, but account "
                f"{trade.account} holds {quantity_text(held)} on {trade.date.isoformat()}",
            )
        picks = fifo

    pieces: list[tuple[Position, Piece]] = []
    for position, quantity in picks:
        for piece in position.relieve(quantity):
            pieces.append((position, piece))
        if position.held <= 0 and book is not None:
            book.dead += 1
    if book is not None:
        book.settle()
    proceeds = split_cumulative(
        trade.amount, [piece.quantity for _, piece in pieces], whole=trade.quantity
    )
    if averaged and book is not None and held_before > 0:
        sold_basis = to_cents(total_basis * trade.quantity / held_before)
        parts = split_cumulative(sold_basis, [piece.quantity for _, piece in pieces])
        for (_, piece), part in zip(pieces, parts, strict=True):
            piece.basis = part
        rest = [p for p in book.positions if p.active and p.held > 0]
        spread = split_cumulative(total_basis - sold_basis, [p.held for p in rest])
        for position, part in zip(rest, spread, strict=True):
            position.rebasis(part)
    sold: list[_Sold] = []
    for (position, piece), amount in zip(pieces, proceeds, strict=True):
        lot = position.lot
        if lot.gift is not None and piece.gift_value is not None and lot.how is _GIFT:
            measure = gift_measure(
                proceeds=amount,
                donor_basis=piece.basis,
                value_at_gift=piece.gift_value,
                donor_holding_from=piece.holding_from,
                gift_date=lot.gift.gift_date,
            )
            basis, holding_from = measure.basis, measure.holding_from
        else:
            basis, holding_from = piece.basis, piece.holding_from
        term = term_of(holding_from=holding_from, sold=trade.date, inherited=lot.how is _INHERITED)
        dist = ZERO
        if position.dist > 0 and term is _SHORT and trade.date <= six_months_after(holding_from):
            dist = to_cents(position.dist * piece.quantity)
        sold.append(_Sold(trade, position, piece, amount, basis, holding_from, term, dist))
    return sold


def _match_day(
    day: date,
    sold_today: list[_Sold],
    *,
    facts: Mapping[str, _Facts],
    identity: Identity,
    policy: Policy,
    candidates: Mapping[tuple[str, str], _Candidates],
    realized: list[Realized],
    wash_sales: list[WashSale],
) -> None:
    """Match the day's losses (Reg. §1.1091-1(b)–(e)), then record every piece sold."""
    disallowed: dict[int, Decimal] = {}
    losses = [
        (index, s)
        for index, s in enumerate(sold_today)
        if s.proceeds < s.basis
        and identity.washable(s.position.lot.symbol)
        and facts[s.trade.account].reported_on is not None
    ]
    # Reg. §1.1091-1(b): losses in order of disposition; one day's in order of acquisition.
    losses.sort(key=lambda item: (item[1].position.key, item[1].trade.seq, item[0]))
    low = day.toordinal() - WINDOW_DAYS
    high = day.toordinal() + WINDOW_DAYS
    spouse_apart = not policy.spouse_ira_purchase_triggers
    tack_inherited = policy.inherited_wash_tacks_long_term
    for index, s in losses:
        lot = s.position.lot
        domain = facts[lot.account].reported_on or ""
        group = candidates.get((domain, identity.group_of(lot.symbol)))
        if group is None:
            continue
        seller = facts[lot.account].owner
        quantity = s.piece.quantity
        start = bisect_left(group.keys, (low, -1))
        if not policy.earlier_acquired_lot_is_replacement:
            start = max(start, bisect_left(group.keys, lot.key))
        matches: list[tuple[Position, Decimal]] = []
        need = quantity
        j = group.find(start)
        count = len(group.positions)
        while need > 0 and j < count and group.keys[j][0] <= high:
            candidate = group.positions[j]
            if candidate.free <= 0:
                group.exhaust(j)
                j = group.find(j)
                continue
            if candidate is s.position and not policy.same_lot_remainder_is_replacement:
                j = group.find(j + 1)
                continue
            if spouse_apart:
                # Policy spouse_ira_purchase_triggers off: the seller's own IRA washes (Rev. Rul.
                # 2008-5), the seller's spouse's IRA, plan, HSA or 529 does not.
                held_by = facts[candidate.lot.account]
                if held_by.permanent and held_by.owner != seller:
                    j = group.find(j + 1)
                    continue
            take = min(candidate.free, need)
            matches.append((candidate, take))
            need -= take
            j = group.find(j + 1)
        if not matches:
            continue
        loss = s.basis - s.proceeds
        parts = split_cumulative(loss, [q for _, q in matches], whole=quantity)
        for (candidate, take), part in zip(matches, parts, strict=True):
            permanent = facts[candidate.lot.account].permanent
            holding_from = None
            broker = ZERO
            if not permanent:
                if candidate.lot.broker_wash:
                    broker = broker_covered(candidate, lot, part)
                holding_from = replacement_holding_from(
                    washed_from=s.holding_from, sold=day, acquired=candidate.lot.acquired
                )
                if tack_inherited and lot.how is _INHERITED:
                    # §1223(3) adds the period the washed shares were held, which §1223(9)
                    # deems more than one year: the replacement is long-term from the start.
                    holding_from = min(holding_from, date.fromordinal(day.toordinal() - 366))
            candidate.use(
                take,
                adjustment=None if permanent else part,
                holding_from=holding_from,
                covered=broker,
            )
            wash_sales.append(
                WashSale(
                    sale=s.trade.id,
                    lot=lot.id,
                    sold=day,
                    replacement=candidate.lot.id,
                    replacement_account=candidate.lot.account,
                    replacement_acquired=candidate.lot.acquired,
                    quantity=take,
                    disallowed=part,
                    permanent=permanent,
                    holding_from=holding_from,
                    broker_applied=broker,
                )
            )
        disallowed[index] = sum(parts, ZERO)

    for index, s in enumerate(sold_today):
        lot = s.position.lot
        piece = s.piece
        long_part = ZERO
        if s.dist > 0:
            allowed = s.proceeds - s.basis + disallowed.get(index, ZERO)
            if allowed < 0:
                long_part = -min(-allowed, s.dist)
        realized.append(
            Realized(
                sale=s.trade.id,
                seq=s.trade.seq,
                lot=lot.id,
                account=lot.account,
                symbol=lot.symbol,
                quantity=piece.quantity,
                acquired=lot.acquired,
                holding_from=s.holding_from,
                sold=day,
                proceeds=s.proceeds,
                basis=s.basis,
                gain=s.proceeds - s.basis,
                term=s.term,
                disallowed=disallowed.get(index, ZERO),
                deferred=piece.deferred,
                reported_on=facts[lot.account].reported_on,
                long_term_part=long_part,
            )
        )

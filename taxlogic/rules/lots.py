"""Lots: what a sale takes (FIFO, specific identification, HIFO), holding periods, gifts.

Rules: Treas. Reg. §1.1012-1(c) (first in, first out unless the sale identifies the lots sold;
HIFO and "tax-lot optimization" are ways of choosing a specific identification); IRC §1222 and
§1223 (long-term means held more than one year, counted by the calendar); §1223(9) (inherited
property is always long-term); §1015(a) and §1223(2) (a gift keeps the donor's basis and holding
period, except that a loss is measured from the lower value at the gift); Pub 550 ch. 4; Pub 551.

The values here are frozen dataclasses. ``Piece`` and ``Position`` are the exception: they are
the engine's live state while it walks a history of 100,000 trades, so they are mutable slotted
classes (copying a frozen lot on every partial sale would cost more than the matching itself);
they never leave the engine — ``Position.snapshot()`` turns one into a frozen ``OpenLot``.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

CENT = Decimal("0.01")
ZERO = Decimal(0)


class How(StrEnum):
    """How a lot came to its holder; only a purchase is an acquisition for §1091."""

    PURCHASE = "purchase"
    INHERITED = "inherited"
    GIFT = "gift"


_PURCHASE = How.PURCHASE  # a module constant: enum attribute lookups are slow in hot loops


class Term(StrEnum):
    SHORT = "short"
    LONG = "long"


_LONG, _SHORT = Term.LONG, Term.SHORT


class Action(StrEnum):
    BUY = "buy"
    REINVEST = "reinvest"  # dividend reinvestment: a purchase (Pub 550, wash sales)
    SELL = "sell"
    SPLIT = "split"  # a stock split or reverse split: quantity × ratio (§307, §1223(4))
    DISTRIBUTION = "distribution"  # a fund's capital-gain distribution in cash (§852(b)(3))


@dataclass(frozen=True, slots=True)
class Gift:
    """The donee's side of a gift: when it was made and what the shares were worth then."""

    gift_date: date
    value_at_gift: Decimal


@dataclass(frozen=True, slots=True)
class Lot:
    """Shares bought, inherited or received as a gift, as one block.

    ``basis`` is the total basis (the donor's for a gift); ``acquired`` the trade date (the
    donor's for a gift, the date of death for an inheritance); ``seq`` the listing order that
    breaks FIFO ties between lots acquired on one day. ``broker_wash`` is the part of ``basis``
    that is a wash-sale adjustment the custodian already applied (same account, same CUSIP:
    Form 1099-B box 1g; Reg. §1.6045-1(d)(6)(iii)); see broker_wash.py.
    """

    id: str
    account: str
    symbol: str
    quantity: Decimal
    basis: Decimal
    acquired: date
    how: How = How.PURCHASE
    gift: Gift | None = None
    seq: int = 0
    broker_wash: Decimal = ZERO

    # Written out, the same as the one @dataclass would make: mypyc compiles this one, and
    # constructing is then many times faster (the generated one is interpreted).
    def __init__(
        self,
        id: str,
        account: str,
        symbol: str,
        quantity: Decimal,
        basis: Decimal,
        acquired: date,
        how: How = How.PURCHASE,
        gift: Gift | None = None,
        seq: int = 0,
        broker_wash: Decimal = ZERO,
    ) -> None:
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "account", account)
        object.__setattr__(self, "symbol", symbol)
        object.__setattr__(self, "quantity", quantity)
        object.__setattr__(self, "basis", basis)
        object.__setattr__(self, "acquired", acquired)
        object.__setattr__(self, "how", how)
        object.__setattr__(self, "gift", gift)
        object.__setattr__(self, "seq", seq)
        object.__setattr__(self, "broker_wash", broker_wash)

    @property
    def is_acquisition(self) -> bool:
        """Whether the lot is an acquisition that can be a wash-sale replacement.

        Treas. Reg. §1.1091-1(f): acquired by purchase or a fully taxable exchange; shares
        received by gift or inheritance are not.
        """
        return self.how is _PURCHASE

    @property
    def key(self) -> tuple[int, int]:
        """FIFO order: acquisition trade date, then the order listed (Reg. §1.1012-1(c))."""
        return (self.acquired.toordinal(), self.seq)


@dataclass(frozen=True, slots=True)
class LotRequest:
    """One lot a sale names, with how many of its shares (specific identification)."""

    lot: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class Trade:
    """A buy, a dividend reinvestment or a sale. A buy opens a lot whose id is the trade id.

    ``amount`` is the total paid (fees included) or the net proceeds; ``seq`` the listing order
    (trades of one day happen in that order).
    """

    id: str
    account: str
    date: date
    action: Action
    symbol: str
    quantity: Decimal
    amount: Decimal
    lots: tuple[LotRequest, ...] = ()
    seq: int = 0
    ratio: Decimal | None = None

    @property
    def is_sale(self) -> bool:
        return self.action is Action.SELL

    @property
    def opens_lot(self) -> bool:
        """A buy or a reinvestment opens a lot; a sale, a split or a distribution does not."""
        return self.action is Action.BUY or self.action is Action.REINVEST

    def opened_lot(self, *, seq: int) -> Lot:
        """The lot a buy opens (its basis is the amount paid: IRC §1012)."""
        return Lot(
            id=self.id,
            account=self.account,
            symbol=self.symbol,
            quantity=self.quantity,
            basis=self.amount,
            acquired=self.date,
            how=How.PURCHASE,
            seq=seq,
        )


# --- money ----------------------------------------------------------------------------------


def to_cents(amount: Decimal) -> Decimal:
    """Money rounded half-up to the cent (the case format's rule for every amount)."""
    return amount.quantize(CENT, ROUND_HALF_UP)  # positional: the keyword costs ~40% more


def split_cumulative(
    total: Decimal, quantities: Sequence[Decimal], *, whole: Decimal | None = None
) -> list[Decimal]:
    """Split ``total`` in proportion to ``quantities`` out of ``whole`` shares, to the cent.

    Each part is the rounded cumulative share minus the rounded cumulative share before it, so
    the parts add up to the rounded share of their total quantity; when the quantities make up
    the whole, the parts add up to ``total`` exactly and the remainder lands on the last piece.
    """
    whole = sum(quantities, ZERO) if whole is None else whole
    parts: list[Decimal] = []
    if whole == 0:
        return [ZERO for _ in quantities]
    running = ZERO
    before = ZERO
    for quantity in quantities:
        running += quantity
        upto = total if running == whole else to_cents(total * running / whole)
        parts.append(upto - before)
        before = upto
    return parts


def quantity_text(quantity: Decimal) -> str:
    """A quantity as a plain decimal: no exponent, no trailing zeros ("100", "12.5")."""
    if quantity == 0:
        return "0"
    return f"{quantity.normalize():f}"


# --- holding period -------------------------------------------------------------------------


def anniversary(start: date) -> date:
    """The one-year anniversary of ``start`` by the calendar (IRC §1222; Pub 550 ch. 4).

    The same day next year; a start on the last day of a month has its anniversary on the last
    day of that month next year (2024-02-29 → 2025-02-28, 2023-02-28 → 2024-02-29).
    """
    year = start.year + 1
    if start.day < 28:  # no month ends before the 28th: the common case needs no calendar
        return date(year, start.month, start.day)
    last_day = calendar.monthrange(start.year, start.month)[1]
    if start.day == last_day:
        return date(year, start.month, calendar.monthrange(year, start.month)[1])
    return date(year, start.month, start.day)


def is_long_term(*, holding_from: date, sold: date, inherited: bool = False) -> bool:
    """Held more than one year: the sale comes after the anniversary of the holding start.

    IRC §1222(3) ("held for more than 1 year"), counted from the day after acquisition by
    calendar months (Pub 550 ch. 4, "Holding Period"); inherited property is always long-term
    (§1223(9)).
    """
    return inherited or sold > anniversary(holding_from)


def term_of(*, holding_from: date, sold: date, inherited: bool = False) -> Term:
    """``Term.LONG`` or ``Term.SHORT`` by ``is_long_term`` (IRC §1222, §1223(9))."""
    if inherited or sold > anniversary(holding_from):
        return _LONG
    return _SHORT


def long_term_from(holding_from: date) -> date:
    """The first day a sale would be long-term (IRC §1222(3)): the day after the anniversary."""
    return date.fromordinal(anniversary(holding_from).toordinal() + 1)


# --- gifts ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GiftMeasure:
    """How a sale of gifted shares is measured: the basis to use and the holding start."""

    basis: Decimal
    holding_from: date
    rule: str


def gift_measure(
    *,
    proceeds: Decimal,
    donor_basis: Decimal,
    value_at_gift: Decimal,
    donor_holding_from: date,
    gift_date: date,
) -> GiftMeasure:
    """The dual basis of gifted property: IRC §1015(a); Treas. Reg. §1.1015-1(a); Pub 551.

    Gain is measured from the donor's basis; loss from the lower of the donor's basis and the
    value at the gift; a sale for an amount between the two gives neither gain nor loss (the
    basis reported is then the proceeds). The donor's holding period is tacked (§1223(2)) except
    when the loss is measured from the value at the gift: that basis is not the donor's, so the
    holding period starts on the gift date (Pub 550 ch. 4; Pub 551).
    """
    if proceeds > donor_basis:
        return GiftMeasure(donor_basis, donor_holding_from, "IRC §1015(a), §1223(2)")
    loss_basis = min(donor_basis, value_at_gift)
    if proceeds < loss_basis:
        if value_at_gift < donor_basis:
            return GiftMeasure(loss_basis, gift_date, "IRC §1015(a); Pub 551")
        return GiftMeasure(loss_basis, donor_holding_from, "IRC §1015(a), §1223(2)")
    return GiftMeasure(proceeds, donor_holding_from, "IRC §1015(a); Treas. Reg. §1.1015-1(a)(2)")


def gift_loss_basis(*, donor_basis: Decimal, value_at_gift: Decimal | None) -> Decimal:
    """The basis a loss is measured from (IRC §1015(a)); the basis itself for a non-gift."""
    return donor_basis if value_at_gift is None else min(donor_basis, value_at_gift)


# --- live state -----------------------------------------------------------------------------


class Piece:
    """Shares of one lot that share a basis per share and a holding period start.

    ``deferred`` is the part of ``basis`` that wash-sale adjustments added (§1091(d)) — in an
    unadjusted piece, the custodian's adjustment it came with (``Lot.broker_wash``);
    ``adjusted`` marks a piece that took such an adjustment (it goes before the rest of its lot);
    ``gift_value`` is the value at the gift of these shares, for a gifted lot.

    Shares taken off a piece get their amounts by cumulative rounding from the piece as it was
    made (its ``origin``): the first k shares always carry round(amount × k / n), however the
    sales were batched, and the last share taken carries the remainder.
    """

    __slots__ = (
        "quantity",
        "basis",
        "holding_from",
        "deferred",
        "adjusted",
        "gift_value",
        "_origin",
        "_taken",
    )

    def __init__(
        self,
        quantity: Decimal,
        basis: Decimal,
        holding_from: date,
        deferred: Decimal = ZERO,
        adjusted: bool = False,
        gift_value: Decimal | None = None,
    ) -> None:
        self.quantity = quantity
        self.basis = basis
        self.holding_from = holding_from
        self.deferred = deferred
        self.adjusted = adjusted
        self.gift_value = gift_value
        self._origin: tuple[Decimal, Decimal, Decimal, Decimal | None] = (
            quantity,
            basis,
            deferred,
            gift_value,
        )
        # Shares and rounded amounts taken so far: (quantity, basis, deferred, gift value).
        self._taken: tuple[Decimal, Decimal, Decimal, Decimal] = (ZERO, ZERO, ZERO, ZERO)

    def rebase(self) -> None:
        """Make the piece as it now stands the origin of later splits (after a merge)."""
        self._origin = (self.quantity, self.basis, self.deferred, self.gift_value)
        self._taken = (ZERO, ZERO, ZERO, ZERO)

    def split(self, quantity: Decimal) -> Piece:
        """Take ``quantity`` shares off this piece: amounts in proportion, to the cent.

        Rounded cumulatively (README: "the pieces are rounded cumulatively so that they add up
        to the whole"); the piece keeps the rest, so the two always add up to what there was.
        """
        if quantity >= self.quantity:
            taken = Piece(
                self.quantity,
                self.basis,
                self.holding_from,
                self.deferred,
                self.adjusted,
                self.gift_value,
            )
            self.quantity, self.basis, self.deferred = ZERO, ZERO, ZERO
            self.gift_value = None if self.gift_value is None else ZERO
            return taken
        whole, basis0, deferred0, gift0 = self._origin
        done, basis_done, deferred_done, gift_done = self._taken
        upto = done + quantity
        basis_upto = to_cents(basis0 * upto / whole)
        deferred_upto = to_cents(deferred0 * upto / whole) if deferred0 else ZERO
        gift_upto = to_cents(gift0 * upto / whole) if gift0 is not None else ZERO
        self._taken = (upto, basis_upto, deferred_upto, gift_upto)
        basis = basis_upto - basis_done
        deferred = deferred_upto - deferred_done
        self.quantity -= quantity
        self.basis -= basis
        self.deferred -= deferred
        gift_value = None
        if self.gift_value is not None:
            gift_value = gift_upto - gift_done
            self.gift_value -= gift_value
        return Piece(quantity, basis, self.holding_from, deferred, self.adjusted, gift_value)

    def frozen(self) -> OpenPiece:
        return OpenPiece(
            self.quantity,
            self.basis,
            self.holding_from,
            self.deferred,
            self.adjusted,
            self.gift_value,
        )


@dataclass(frozen=True, slots=True)
class OpenPiece:
    """A frozen ``Piece``: shares of one lot with one basis per share and holding start."""

    quantity: Decimal
    basis: Decimal
    holding_from: date
    deferred: Decimal = ZERO
    adjusted: bool = False
    gift_value: Decimal | None = None

    # Written out, the same as the one @dataclass would make: mypyc compiles this one, and
    # constructing is then many times faster (the generated one is interpreted).
    def __init__(
        self,
        quantity: Decimal,
        basis: Decimal,
        holding_from: date,
        deferred: Decimal = ZERO,
        adjusted: bool = False,
        gift_value: Decimal | None = None,
    ) -> None:
        object.__setattr__(self, "quantity", quantity)
        object.__setattr__(self, "basis", basis)
        object.__setattr__(self, "holding_from", holding_from)
        object.__setattr__(self, "deferred", deferred)
        object.__setattr__(self, "adjusted", adjusted)
        object.__setattr__(self, "gift_value", gift_value)

    @property
    def loss_basis(self) -> Decimal:
        """The basis a loss is measured from (IRC §1015(a) for a gift)."""
        return gift_loss_basis(donor_basis=self.basis, value_at_gift=self.gift_value)


@dataclass(frozen=True, slots=True)
class OpenLot:
    """A lot still held: its pieces (adjusted ones first) and ``free``, the shares not yet used
    as wash-sale replacements (Treas. Reg. §1.1091-1(e): each absorbs one loss share only)."""

    lot: Lot
    pieces: tuple[OpenPiece, ...]
    free: Decimal

    # Written out, the same as the one @dataclass would make: mypyc compiles this one, and
    # constructing is then many times faster (the generated one is interpreted).
    def __init__(
        self,
        lot: Lot,
        pieces: tuple[OpenPiece, ...],
        free: Decimal,
    ) -> None:
        object.__setattr__(self, "lot", lot)
        object.__setattr__(self, "pieces", pieces)
        object.__setattr__(self, "free", free)

    @property
    def quantity(self) -> Decimal:
        return sum((p.quantity for p in self.pieces), ZERO)

    @property
    def basis(self) -> Decimal:
        return sum((p.basis for p in self.pieces), ZERO)


class Position:
    """The live state of one lot in the engine: its pieces and its unused replacement shares.

    ``pieces`` holds the adjusted pieces first, then the unadjusted rest; ``free`` counts the
    held shares not yet used as replacements. A sale takes adjusted (used) shares first, so the
    shares left unused are the last ones. For a lot in an account whose basis cannot take a
    disallowed loss (an IRA), using shares changes only ``free``.
    """

    __slots__ = ("lot", "key", "pieces", "held", "free", "active", "dist", "_snapshot")

    def __init__(self, lot: Lot) -> None:
        self.lot = lot
        self.key = lot.key
        gift_value = lot.gift.value_at_gift if lot.gift is not None else None
        self.pieces: list[Piece] = [
            Piece(lot.quantity, lot.basis, lot.acquired, lot.broker_wash, False, gift_value)
        ]
        self.held = lot.quantity
        self.free = lot.quantity
        self.active = False
        # Capital-gain distributions received per share held (§852(b)(4)).
        self.dist = ZERO
        self._snapshot: OpenLot | None = None

    def scale(self, ratio: Decimal) -> None:
        """A split: every share becomes ``ratio`` shares, basis and holding period kept
        (§307(a), §1223(4)); the per-share distributions received scale down with it."""
        self._snapshot = None
        for piece in self.pieces:
            piece.quantity *= ratio
            piece.rebase()
        self.held *= ratio
        self.free *= ratio
        self.dist /= ratio

    def rebasis(self, basis: Decimal) -> None:
        """Spread a total ``basis`` over the pieces held, in proportion to shares, to the cent
        (average basis: Reg. §1.1012-1(e)); wash-sale adjustments stay part of the average."""
        self._snapshot = None
        parts = split_cumulative(basis, [p.quantity for p in self.pieces])
        for piece, part in zip(self.pieces, parts, strict=True):
            piece.basis = part
            piece.rebase()

    def relieve(self, quantity: Decimal) -> list[Piece]:
        """Take ``quantity`` shares off the lot, adjusted pieces first (tax-rules.md §6)."""
        if quantity > self.held:
            raise ValueError(f"lot {self.lot.id} holds {self.held}, cannot take {quantity}")
        self._snapshot = None
        used_held = self.held - self.free
        taken: list[Piece] = []
        remaining = quantity
        pieces = self.pieces
        while remaining > 0:
            first = pieces[0]
            if first.quantity <= remaining:
                pieces.pop(0)
                taken.append(first)
                remaining -= first.quantity
            else:
                taken.append(first.split(remaining))
                remaining = ZERO
        self.held -= quantity
        if quantity > used_held:
            self.free -= quantity - used_held
        return taken

    def use(
        self,
        quantity: Decimal,
        *,
        adjustment: Decimal | None,
        holding_from: date | None,
        covered: Decimal = ZERO,
    ) -> None:
        """Mark ``quantity`` unused shares as replacement shares (Reg. §1.1091-1(d), (e)).

        With an ``adjustment`` the disallowed loss is added to their basis and their holding
        period starts at ``holding_from`` (§1091(d), §1223(3)); without one (a replacement in an
        IRA: Rev. Rul. 2008-5) nothing about them changes but that they are used. ``covered``
        (at most the adjustment, and the custodian's adjustment still in the unused shares:
        ``broker_wash.covered``) is already in the lot's basis: it moves onto these shares
        instead of being added again, so the lot's basis grows by ``adjustment - covered``.
        """
        if quantity > self.free:
            raise ValueError(f"lot {self.lot.id} has {self.free} unused shares, not {quantity}")
        self._snapshot = None
        self.free -= quantity
        if adjustment is None or holding_from is None:
            return
        rest = self.pieces[-1]
        taken = rest.split(quantity)
        if rest.quantity == 0:
            self.pieces.pop()
        if covered:
            # The custodian's adjustment these shares came with, and what ``covered`` takes
            # from the rest's, become this wash's: the shares end at cost + ``adjustment``.
            shift = covered - taken.deferred if rest.quantity else ZERO
            if shift:
                rest.basis -= shift
                rest.deferred -= shift
                rest.rebase()
            adjustment += shift - covered
        taken.basis += adjustment
        taken.deferred += adjustment
        taken.holding_from = min(taken.holding_from, holding_from)
        taken.adjusted = True
        taken.rebase()
        # Adjusted pieces stay in front of the unadjusted rest, each with its own basis: every
        # replacement share takes the basis of the loss share it replaced (Reg. §1.1091-2(a)),
        # so two washes landing in one lot are never averaged.
        last_adjusted = len(self.pieces) - (0 if rest.quantity == 0 else 1) - 1
        self.pieces.insert(last_adjusted + 1, taken)

    def snapshot(self) -> OpenLot:
        """The lot as it stands, frozen (kept until the lot next changes)."""
        if self._snapshot is None:
            self._snapshot = OpenLot(self.lot, tuple(p.frozen() for p in self.pieces), self.free)
        return self._snapshot


# --- choosing lots --------------------------------------------------------------------------


def choose_fifo(lots: Iterable[OpenLot], quantity: Decimal) -> tuple[LotRequest, ...]:
    """The lots a sale of ``quantity`` takes first in, first out (Reg. §1.1012-1(c)(1)).

    Raises ``ValueError`` when the lots hold fewer shares.
    """
    return _take_in_order(sorted(lots, key=lambda o: o.lot.key), quantity)


def choose_hifo(lots: Iterable[OpenLot], quantity: Decimal) -> tuple[LotRequest, ...]:
    """Highest basis per share first: a specific identification (Reg. §1.1012-1(c)(2)–(3)).

    HIFO is a way of choosing which lots to name at the sale; it is not a method of its own.
    Ties go to the earlier acquisition.
    """

    def order(open_lot: OpenLot) -> tuple[Decimal, tuple[int, int]]:
        per_share = open_lot.basis / open_lot.quantity if open_lot.quantity else ZERO
        return (-per_share, open_lot.lot.key)

    return _take_in_order(sorted(lots, key=order), quantity)


def _take_in_order(lots: Sequence[OpenLot], quantity: Decimal) -> tuple[LotRequest, ...]:
    picks: list[LotRequest] = []
    remaining = quantity
    for open_lot in lots:
        if remaining <= 0:
            break
        held = open_lot.quantity
        if held <= 0:
            continue
        take = min(held, remaining)
        picks.append(LotRequest(open_lot.lot.id, take))
        remaining -= take
    if remaining > 0:
        raise ValueError(f"the lots hold {quantity - remaining} shares, not {quantity}")
    return tuple(picks)

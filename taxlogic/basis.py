"""One basis everywhere: each stored lot's adjusted basis, wash-sale adjustments, holding period
start and term exactly as the engine computes them from the household's history — the figures
the plan uses — beside the custodian's stored ones, with why they differ.

It builds the household's inputs with ``taxlogic.services.household_inputs`` (the review's own
loader, a fixed number of queries) and runs the engine's history (``taxlogic.rules.cases``):
nothing here recomputes a rule.

The household, account and lot pages ask for it on every request, and building the inputs is
most of such a page's time (~20 ms of a household of 100 lots): the result is kept in the
shared cache (clients/page_cache.py ``shared``) under the household's data version and the
firm's shared one, which every change of what the inputs are built from moves on (the
household's people, accounts, tax profiles, lots and transactions; the firm's settings and
replacement list, the securities, a bulk write).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError

from clients import page_cache
from clients.models import AcquiredHow, Household, TaxLot
from taxlogic.rules.cases import CaseError, parse_case, run_engine
from taxlogic.rules.lots import long_term_from, term_of
from taxlogic.rules.version import ENGINE_VERSION
from taxlogic.services import household_inputs

ZERO = Decimal("0.00")
WASH_RULE = "IRC §1091(a), (d); §1223(3)"
PERMANENT_RULE = "IRC §1091(a); Rev. Rul. 2008-5"
BROKER_RULE = "IRC §1091(a), (d); §1223(3); Treas. Reg. §1.6045-1(d)(6)(iii) (Form 1099-B box 1g)"


@dataclass(frozen=True, slots=True)
class WashAdjustment:
    """A loss disallowed on a sale and added to this lot (or lost, ``permanent``)."""

    sale: str  # the sale's transaction public id
    sold_lot: str  # the public id of the lot that sale relieved
    sold: date
    quantity: Decimal
    disallowed: Decimal
    permanent: bool
    holding_from: date | None
    # The part of ``disallowed`` the custodian's adjustment already put in this lot's basis.
    broker_applied: Decimal = ZERO

    @property
    def rule(self) -> str:
        if self.permanent:
            return PERMANENT_RULE
        return BROKER_RULE if self.broker_applied else WASH_RULE

    @property
    def text(self) -> str:
        if self.permanent:
            return (
                f"The loss on {self.quantity.normalize():f} shares sold on {self.sold:%Y-%m-%d} "
                "is disallowed for good: these replacement shares are in an account whose basis "
                "cannot take it."
            )
        if self.broker_applied:
            added = self.disallowed - self.broker_applied
            rest = f"; the other {added:,.2f} is added" if added else ""
            return (
                f"The loss of {self.disallowed:,.2f} on {self.quantity.normalize():f} shares "
                f"sold on {self.sold:%Y-%m-%d} is disallowed (a purchase within 30 days). The "
                f"custodian already included {self.broker_applied:,.2f} of it in these shares' "
                f"basis (Form 1099-B box 1g): not applied again{rest}. Their holding period "
                "includes the sold shares'."
            )
        return (
            f"The loss of {self.disallowed:,.2f} on {self.quantity.normalize():f} shares sold on "
            f"{self.sold:%Y-%m-%d} is disallowed (a purchase within 30 days) and added to these "
            "shares' basis; their holding period includes the sold shares'."
        )


@dataclass(frozen=True, slots=True)
class Piece:
    quantity: Decimal
    basis: Decimal
    holding_from: date
    term: str
    adjustment: Decimal


@dataclass(slots=True)
class EngineLot:
    """A lot as the engine holds it at ``as_of``, and how it compares with the stored lot."""

    quantity: Decimal
    basis: Decimal
    adjustment: Decimal
    holding_from: date
    term: str
    long_term_from: date | None
    pieces: list[Piece]
    wash_sales: list[WashAdjustment]
    differences: list[str] = field(default_factory=list)
    # The custodian's wash-sale adjustment kept as reported: no wash of the history uses it
    # (its loss sale came before the review window).
    broker_kept: Decimal = ZERO

    @property
    def differs(self) -> bool:
        return bool(self.differences)


@dataclass(slots=True)
class HouseholdBasis:
    """``lots``: the engine's figures by stored lot key; ``error``: why there are none (the
    household cannot be reviewed yet), said the way a review would fail."""

    lots: dict[int, EngineLot]
    as_of: date
    error: str = ""

    def get(self, lot: TaxLot) -> EngineLot | None:
        return self.lots.get(lot.pk)


def household_basis(*, household: Household, as_of: date) -> HouseholdBasis:
    """The engine's figures for every lot the household holds at the end of ``as_of`` (from
    the cache when neither the household's data nor the firm's shared data has changed since
    they were computed)."""
    key, cached = page_cache.shared(household, "basis", as_of, ENGINE_VERSION)
    if cached is not None:
        return cached
    found = _household_basis(household, as_of)
    page_cache.put(key, found)
    return found


def _household_basis(household: Household, as_of: date) -> HouseholdBasis:
    try:
        inputs = household_inputs(household, tax_year=as_of.year, as_of=as_of)
    except ValidationError as error:
        return HouseholdBasis({}, as_of, " ".join(error.messages))
    try:
        case = parse_case(inputs.snapshot["case"])
        history = run_engine(case)
    except CaseError as error:
        return HouseholdBasis({}, as_of, str(error))
    received: dict[str, list[WashAdjustment]] = {}
    for w in history.wash_sales:
        received.setdefault(w.replacement, []).append(
            WashAdjustment(
                sale=w.sale,
                sold_lot=w.lot,
                sold=w.sold,
                quantity=w.quantity,
                disallowed=w.disallowed,
                permanent=w.permanent,
                holding_from=w.holding_from,
                broker_applied=w.broker_applied,
            )
        )
    lots: dict[int, EngineLot] = {}
    for open_lot in history.holdings_as_of:
        key = inputs.lots.get(open_lot.lot.id)
        if key is None or not open_lot.pieces:
            continue
        inherited = open_lot.lot.how.value == AcquiredHow.INHERITED
        pieces = [
            Piece(
                quantity=p.quantity,
                basis=p.basis,
                holding_from=p.holding_from,
                term=term_of(holding_from=p.holding_from, sold=as_of, inherited=inherited).value,
                # Wash-sale adjustments in the basis: the engine's, and in shares no wash of
                # the history used, the custodian's as reported (broker_wash.py).
                adjustment=p.deferred,
            )
            for p in open_lot.pieces
        ]
        terms = {p.term for p in pieces}
        start = min(p.holding_from for p in pieces)
        short = [p.holding_from for p in pieces if p.term == "short"]
        lots[key] = EngineLot(
            quantity=sum((p.quantity for p in pieces), ZERO),
            basis=sum((p.basis for p in pieces), ZERO),
            adjustment=sum((p.adjustment for p in pieces), ZERO),
            holding_from=start,
            term=terms.pop() if len(terms) == 1 else "mixed",
            long_term_from=long_term_from(max(short)) if short else None,
            pieces=pieces,
            wash_sales=received.get(open_lot.lot.id, []),
            broker_kept=sum((p.deferred for p in open_lot.pieces if not p.adjusted), ZERO),
        )
    return HouseholdBasis(lots, as_of)


def compare(lots: Iterable[TaxLot], basis: HouseholdBasis) -> None:
    """Set ``lot.engine`` (the engine's figures, or None) on each lot, with the differences
    from the custodian's stored figures explained."""
    for lot in lots:
        engine = basis.get(lot)
        lot.engine = engine
        if engine is None:
            continue
        engine.differences = _differences(lot, engine)


def _differences(lot: TaxLot, engine: EngineLot) -> list[str]:
    out = []
    if engine.quantity != lot.quantity:
        out.append(
            f"The transactions leave {engine.quantity.normalize():f} shares; the stored lot "
            f"holds {lot.quantity.normalize():f}."
        )
    if engine.basis != lot.adjusted_basis:
        if engine.adjustment != lot.wash_sale_adjustment:
            out.append(
                f"Basis {engine.basis:,.2f}, not the custodian's {lot.adjusted_basis:,.2f}: "
                f"the engine finds wash-sale adjustments of {engine.adjustment:,.2f} across "
                "the whole household (every account, the spouse's too), where the custodian "
                f"reported {lot.wash_sale_adjustment:,.2f} from this one account "
                "(IRC §1091(d); Reg. §1.6045-1(d)(6)(iii))."
            )
        else:
            out.append(
                f"Basis {engine.basis:,.2f}, not the stored {lot.adjusted_basis:,.2f}: the "
                "engine follows the lot from its purchase and sales in the review window."
            )
    if engine.holding_from != lot.holding_period_start:
        out.append(
            f"The holding period counts from {engine.holding_from:%Y-%m-%d}, not the stored "
            f"{lot.holding_period_start:%Y-%m-%d}: a wash sale tacks on the sold shares' "
            "holding period (IRC §1223(3))."
        )
    return out

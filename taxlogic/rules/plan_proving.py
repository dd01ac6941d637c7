"""Planner step 2, proving: each sale is run through the engine with the household's history;
one the wash-sale rule would still disallow (IRC §1091(a), Reg. §1.1091-1) is blocked, not sold.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from .lots import (
    ZERO,
    Action,
    Lot,
    LotRequest,
    OpenPiece,
    Term,
    Trade,
    to_cents,
)
from .reasons import Reason
from .wash_household import HOUSEHOLD
from .wash_sales import History, Realized, simulate

if TYPE_CHECKING:
    pass

from .opportunities import (
    _SHORT,
    _WINDOW,
    Blocker,
    Opportunity,
)
from .plan_types import (
    _SALE,
    _Candidate,
)

if TYPE_CHECKING:
    from .harvest import _Planner


def simulate_sales(
    p: _Planner, sales: Sequence[tuple[str, Decimal]], *, groups: frozenset[str] | None = None
) -> History:
    """What the household's history sells and washes with ``(lot, quantity)`` sold on
    ``as_of`` at its price (the lots held are not listed).

    With ``groups`` (substantially identical groups), only those groups' lots, trades and
    sales are run: lot relief and wash-sale matching never reach across groups, so their
    sales come out the same, for a fraction of the work. Other groups' sales are absent
    from the history; the sales keep their ids (``_SALE`` + their index in ``sales``)."""
    first = len(p.case.trades)
    lots, history = p.case.lots, p.case.trades
    if groups is not None:
        group_of = p.identity.group_of
        lots = tuple(lot for lot in lots if group_of(lot.symbol) in groups)
        history = tuple(t for t in history if group_of(t.symbol) in groups)
    trades = []
    for index, (lot_id, quantity) in enumerate(sales):
        lot = p.held[lot_id].lot
        if groups is not None and p.identity.group_of(lot.symbol) not in groups:
            continue
        trades.append(
            Trade(
                id=f"{_SALE}{index}",
                account=lot.account,
                date=p.as_of,
                action=Action.SELL,
                symbol=lot.symbol,
                quantity=quantity,
                amount=to_cents(p.prices[lot.symbol] * quantity),
                lots=(LotRequest(lot_id, quantity),),
                seq=first + index,
            )
        )
    return simulate(
        accounts=p.accounts,
        identity=p.identity,
        lots=lots,
        trades=(*history, *trades),
        policy=p.policy,
        as_of=p.as_of,
        seq_base=len(p.case.lots),
        holdings=False,
        average=p.case.average_basis,
    )


def what_if(p: _Planner, lot: Lot, piece: OpenPiece, value: Decimal, term: Term) -> Realized:
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
        sold=p.as_of,
        proceeds=value,
        basis=piece.basis,
        gain=value - piece.basis,
        term=term,
        disallowed=ZERO,
        deferred=ZERO,
        reported_on=HOUSEHOLD,
    )


def prove(
    p: _Planner, candidates: list[_Candidate]
) -> tuple[list[_Candidate], list[Opportunity], tuple[Realized, ...]]:
    """Run the plan's sales through the engine; a sale it finds washed leaves the plan (and
    the rest are run again), so every harvest listed is allowed in full. Returns what is
    left of the plan, the sales taken out, and everything the year sells with the plan.

    Only the substantially identical groups the plan sells in are run again: lot relief and
    wash-sale matching never reach across groups, so elsewhere the year's sales are those
    of the household's own history."""
    washed: list[Opportunity] = []
    group_of = p.identity.group_of
    while True:
        groups = frozenset(group_of(c.symbol) for c in candidates)
        history = simulate_sales(p, [(c.lot, c.quantity) for c in candidates], groups=groups)
        hit = {
            int(w.sale.removeprefix(_SALE)): w
            for w in history.wash_sales
            if w.sale.startswith(_SALE)
        }
        if not hit:
            others = [r for r in p.history.realized if group_of(r.symbol) not in groups]
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
                p.held[wash.replacement].lot.symbol
                if wash.replacement in p.held
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
                    holding_from=p.held[candidate.lot].pieces[0].holding_from,
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

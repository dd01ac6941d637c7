"""Planner step 1, candidates: the lots worth selling — the firm's thresholds (dollars and
percent), HIFO within a security (Treas. Reg. §1.1012-1(c)), lots blocked by a recent
acquisition (IRC §1091(a); Reg. §1.1091-1(e)) and those the plan may sell together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .carryforward import money_text
from .lots import (
    ZERO,
    choose_hifo,
)
from .reasons import Reason

if TYPE_CHECKING:
    pass

from .opportunities import (
    NOTE_CRYPTO,
    Opportunity,
    opportunities,
)
from .plan_types import (
    THRESHOLD_RULE,
    LotFinding,
    _Candidate,
    _term_of,
)

if TYPE_CHECKING:
    from .harvest import _Planner


def sort_losses(
    p: _Planner,
) -> tuple[list[_Candidate], list[Opportunity], list[LotFinding], list[LotFinding]]:
    """Every lot with an unrealized loss: a candidate, blocked, tax-advantaged or under the
    thresholds. Candidates come by account and security, largest loss first, HIFO within a
    security (Reg. §1.1012-1(c))."""
    by_lot: dict[str, list[Opportunity]] = {}
    for found in opportunities(
        holdings=p.history.holdings_as_of,
        prices=p.prices,
        as_of=p.as_of,
        accounts=p.accounts,
        identity=p.identity,
        policy=p.policy,
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
        if loss < p.rules.min_loss or percent < p.rules.min_loss_percent:
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
                        f"the firm's thresholds (at least {money_text(p.rules.min_loss)} "
                        f"and {p.rules.min_loss_percent.normalize():f}%): not worth the "
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
        held = [p.held[c.lot] for c in group]
        for pick in choose_hifo(held, sum((o.quantity for o in held), ZERO)):
            ordered.append(by_id[pick.lot])
    return ordered, blocked, advantaged, below


def promote(
    p: _Planner, candidates: list[_Candidate], blocked: list[Opportunity]
) -> tuple[list[_Candidate], list[Opportunity]]:
    """A blocked lot whose every blocking purchase the plan sells in full on the same day is
    clean: shares disposed of by the sale date are not replacements (Reg. §1.1091-1(b)–(e);
    tax-rules.md §2)."""
    selling = {c.lot for c in candidates if c.quantity == p.held[c.lot].quantity}
    still: list[Opportunity] = []
    promoted: dict[str, _Candidate] = {}
    for found in blocked:
        if not all(b.lot in selling for b in found.blockers):
            still.append(found)
            continue
        loss = -found.unrealized
        if loss < p.rules.min_loss or loss * 100 < p.rules.min_loss_percent * found.basis:
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
            names = ", ".join(p.lot_words(b.lot) for b in found.blockers)
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

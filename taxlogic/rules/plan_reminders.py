"""Planner step 4, reminders: findings for the lots not sold (blocked until a day, worth waiting
for until long-term: IRC §1222), the do-not-buy calendar, wash sales that already happened
(§1091(a), (d); Rev. Rul. 2008-5) and the notes of a plan with nothing to harvest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from .accounts import WHAT_HELPS_INSTEAD
from .carryforward import money_text
from .lots import (
    ZERO,
    long_term_from,
    quantity_text,
    to_cents,
)
from .reasons import Reason
from .wash_sales import (
    WINDOW_DAYS,
)

if TYPE_CHECKING:
    pass

from . import plan_proving
from .opportunities import (
    _DAY,
    _INHERITED,
    _LONG,
    _SHORT,
    Opportunity,
)
from .plan_types import (
    _SALE,
    _WAIT,
    NOT_SO,
    THRESHOLD_RULE,
    Avoid,
    LotFinding,
    Recommendation,
    Recurring,
    _Candidate,
    _term_of,
)

if TYPE_CHECKING:
    from .harvest import _Planner


def blocked_findings(
    p: _Planner, blocked: list[Opportunity], sold: list[_Candidate]
) -> tuple[LotFinding, ...]:
    """Blocked lots with the purchase named, the day they clear, whether selling the recent
    purchase too would make the harvest clean (run through the engine), and whether a
    recurring purchase keeps it blocked."""
    by_lot: dict[str, list[Opportunity]] = {}
    for found in blocked:
        by_lot.setdefault(found.lot, []).append(found)
    clean = clean_if_sold_too(p, by_lot, sold)
    out = []
    for lot_id, pieces in by_lot.items():
        first = pieces[0]
        blockers = first.blockers
        clears = (first.clear_after or p.as_of) + _DAY
        permanent = any(p.accounts[b.account].permanent for b in blockers)
        names = "; ".join(
            f"{quantity_text(b.quantity)} {b.symbol} bought {b.acquired.isoformat()} in "
            f"{p.label(b.account)}"
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
        notes.extend(recurring_blocks(p, first))
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
    p: _Planner, by_lot: Mapping[str, list[Opportunity]], sold: list[_Candidate]
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
        extra = [b.lot for b in blockers if b.lot in p.held]
        if len(extra) != len(blockers):
            continue
        quantity = sum((p.quantity for p in pieces), ZERO)
        # A blocking purchase the plan already sells (it harvests the recent lot too) is
        # sold only for what the plan leaves of it: a lot cannot be sold twice.
        taken = {**planned, lot_id: planned.get(lot_id, ZERO) + quantity}
        left = {b: p.held[b].quantity - taken.get(b, ZERO) for b in dict.fromkeys(extra)}
        blocker_sales = [(b, q) for b, q in left.items() if q > 0]
        if not blocker_sales:
            continue
        sales = [*plan_sales, (lot_id, quantity), *blocker_sales]
        # Only the group of this lot and its blockers (identical to it) matters here.
        group_of = p.identity.group_of
        groups = frozenset(
            {group_of(pieces[0].symbol), *(group_of(p.held[b].lot.symbol) for b in extra)}
        )
        history = plan_proving.simulate_sales(p, sales, groups=groups)
        mine = f"{_SALE}{len(plan_sales)}"
        if any(w.sale == mine for w in history.wash_sales):
            continue
        results = []
        for offset, (blocker, _) in enumerate(blocker_sales, start=len(plan_sales) + 1):
            rows = [r for r in history.realized if r.sale == f"{_SALE}{offset}"]
            account = p.accounts[p.held[blocker].lot.account]
            if account.reported_on is None:
                effect = "no tax effect (inside a tax-advantaged account)"
            else:
                gain = sum((r.allowed for r in rows), ZERO)
                effect = (
                    f"a gain of {money_text(gain)}"
                    if gain >= 0
                    else f"a loss of {money_text(-gain)}"
                )
            results.append(f"{p.lot_words(blocker)} in {p.label(account.id)}: {effect}")
        out[lot_id] = Reason(
            "clean_if_sold_too",
            "Selling the recent purchase too, on the same day, would make this harvest "
            "clean: shares disposed of by the sale date are not replacements. That sale: "
            + "; ".join(results)
            + ".",
            "Treas. Reg. §1.1091-1(b)–(e); tax-rules.md §2",
        )
    return out


def recurring_blocks(p: _Planner, found: Opportunity) -> list[Reason]:
    covered = set(p.covered(found.account))
    group = p.identity.group_of(found.symbol)
    notes = []
    for recurring in p.rules.recurring:
        if recurring.account in covered and p.identity.group_of(recurring.symbol) == group:
            what = (
                "dividends are reinvested in"
                if recurring.kind is Recurring.REINVEST
                else "the contribution allocation buys"
            )
            notes.append(
                Reason(
                    "recurring_purchase",
                    f"In {p.label(recurring.account)} {what} {recurring.symbol} (last "
                    f"on {recurring.last.isoformat()}): every new purchase starts the 30 "
                    "days again. Stop it first, or this lot never clears.",
                    "IRC §1091(a); Pub 550, Wash Sales",
                )
            )
    return notes


def calendar(p: _Planner, recommendations: Sequence[Recommendation]) -> tuple[Avoid, ...]:
    """The do-not-buy list of the whole plan: one line per security group and domain."""
    seen: dict[tuple[str, tuple[str, ...]], Avoid] = {}
    for r in recommendations:
        for avoid in r.avoid:
            seen.setdefault((p.identity.group_of(avoid.symbols[0]), avoid.accounts), avoid)
    return tuple(seen.values())


def wait(p: _Planner) -> tuple[LotFinding, ...]:
    """Short-term gains on this return that turn long-term within ``WAIT_DAYS``: the tax
    of selling now against selling then, both on this year's return (IRC §1222, §1(h))."""
    out = []
    last = p.as_of + _WAIT
    for held in p.history.holdings_as_of:
        lot = held.lot
        price = p.prices.get(lot.symbol)
        if price is None or not p.on_return(lot.account) or lot.how is _INHERITED:
            continue
        for piece in held.pieces:
            turns = long_term_from(piece.holding_from)
            if turns <= p.as_of or turns > last:
                continue
            value = to_cents(price * piece.quantity)
            gain = value - piece.basis
            if gain <= 0:
                continue
            now = p.tax_on(
                p.plus(p.base_totals, (plan_proving.what_if(p, lot, piece, value, _SHORT),))
            )
            later = p.tax_on(
                p.plus(p.base_totals, (plan_proving.what_if(p, lot, piece, value, _LONG),))
            )
            saved = now[1].total - later[1].total
            if saved <= 0:
                continue
            days = (turns - p.as_of).days
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
                        f"long-term, and the {p.year} federal tax on it is "
                        f"{money_text(saved)} lower ({money_text(now[1].total)} against "
                        f"{money_text(later[1].total)} for the year).",
                        "IRC §1222(3), §1(h); Schedule D",
                    ),
                )
            )
    return tuple(out)


def warnings(p: _Planner) -> tuple[Reason, ...]:
    """Wash sales that already happened this year, the permanent ones first (IRC §1091(a),
    (d); Rev. Rul. 2008-5)."""
    out = []
    for wash in sorted(p.history.wash_sales, key=lambda w: (not w.permanent, w.sold)):
        if wash.sold.year != p.year or wash.sale.startswith(_SALE):
            continue
        where = p.label(wash.replacement_account)
        sold = f"the sale of {p.label(wash.lot)} on {wash.sold.isoformat()}"
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
    p: _Planner,
    advantaged: Sequence[LotFinding],
    below: Sequence[LotFinding],
    blocked: Sequence[LotFinding],
    harvesting: bool,
) -> tuple[Reason, ...]:
    notes = list(p.rules.notes)
    if not harvesting and any(a.taxable for a in p.accounts.values()):
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
    if p.accounts and not any(a.taxable for a in p.accounts.values()):
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
        {o.lot.symbol for o in p.history.holdings_as_of if o.lot.symbol not in p.prices}
    )
    if unpriced:
        notes.append(
            Reason(
                "unpriced",
                f"No price on or before {p.as_of.isoformat()} for {', '.join(unpriced)}: "
                "those lots were not assessed.",
                "—",
            )
        )
    return tuple(notes)

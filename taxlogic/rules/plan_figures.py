"""Planner step 5, figures: tax saved as the difference of two full computations of the
year's federal tax (IRC §§1, 1(h), 55, 1211(b), 1212(b), 1411), harvests ranked by tax saved
this year then by carryforward value, the AMT note, the state estimate, gains at 0%
(§1(h)(1)(B)) and the summary figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from .carryforward import ScheduleD, money_text
from .lots import (
    ZERO,
    Lot,
    OpenPiece,
    long_term_from,
    quantity_text,
    to_cents,
)
from .reasons import Reason
from .tax import TaxResult
from .tax_tables import tax_year_table
from .wash_household import HOUSEHOLD
from .wash_sales import Realized

if TYPE_CHECKING:
    pass

from . import plan_proving, plan_replacements
from .opportunities import (
    _INHERITED,
    _LONG,
    _SHORT,
    harvest_domain,
)
from .plan_types import (
    _SALE,
    _WAIT,
    TAX_RULE,
    Figure,
    Recommendation,
    Step,
    _Candidate,
    _carry,
    _term_of,
    _term_words,
)

if TYPE_CHECKING:
    from .harvest import _Planner


def state_of(p: _Planner, before: TaxResult, after: TaxResult) -> Decimal | None:
    """State tax saved, estimated: the state marginal rate times the fall in AGI (most
    states start from federal AGI). An estimate, labelled as one."""
    rate = p.rules.state_marginal_rate
    if rate is None:
        return None
    return to_cents(rate * max(ZERO, before.agi - after.agi))


def amt_note(p: _Planner, before: TaxResult, after: TaxResult, saved: Decimal) -> Reason | None:
    """Says when the AMT takes back what a lower regular tax would save (IRC §55(a))."""
    taken = after.amt - before.amt
    fall = before.regular_tax - after.regular_tax
    if taken <= 0 or fall <= 0:
        return None
    if saved <= 0:
        return Reason(
            "amt_makes_worthless",
            f"The alternative minimum tax makes this sale worthless in {p.year}: the "
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


def harvests(
    p: _Planner,
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
        domain = harvest_domain(p.accounts[c.account])
        sold_groups.setdefault(domain, set()).add(p.identity.group_of(c.symbol))
        key = (c.account, p.identity.group_of(c.symbol))
        sold[key] = sold.get(key, ZERO) + c.quantity
    base_totals = p.totals(base_rows)
    order = rank(p, candidates, rows, base_totals, after)
    prev_schedule, prev_tax = p.base
    running = base_totals  # the year with the sales listed so far
    out: list[Recommendation] = []
    steps_done: set[tuple[str, str]] = set()
    last = len(order) - 1
    for position, index in enumerate(order):
        c = candidates[index]
        result = rows[index]
        running = p.plus(running, result)
        tax_saved = carried = state = None
        notes = list(c.notes)
        if p.on_return(c.account):
            schedule, tax = after if position == last else p.tax_on(running)
            tax_saved = prev_tax.total - tax.total
            carried = _carry(schedule) - _carry(prev_schedule)
            notes.append(tax_note(p, prev_tax, tax, tax_saved, carried))
            amt = amt_note(p, prev_tax, tax, tax_saved)
            if amt is not None:
                notes.append(amt)
            state = state_of(p, prev_tax, tax)
            prev_schedule, prev_tax = schedule, tax
        else:
            notes.append(other_return_note(p, c.account))
        short = sum((r.allowed for r in result if r.term is _SHORT), ZERO)
        long = sum((r.allowed for r in result if r.term is _LONG), ZERO)
        loss = -(short + long)
        if (
            c.long_term_from is not None
            and c.term == _SHORT.value
            and c.long_term_from <= p.as_of + _WAIT
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
        replacement, why = plan_replacements.replacement(p, c, sold_groups)
        washable = p.identity.washable(c.symbol)
        avoid = (plan_replacements.avoid(p, c),) if washable else ()
        price = p.prices[c.symbol]
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
                do_not_buy_through=p.through if washable else None,
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
                    f"{p.lot_words(c.lot)} in {p.label(c.account)} at about "
                    f"{money_text(price)}: a {_term_words(short, long)} loss of "
                    f"{money_text(loss)} ({loss * 100 / c.basis:.1f}% of its basis of "
                    f"{money_text(c.basis)}), at or above the firm's thresholds.",
                    "IRC §165(f), §1211(b), §1222; Treas. Reg. §1.1012-1(c) "
                    "(specific identification, highest basis first)",
                ),
                notes=tuple(notes),
            )
        )
        group = p.identity.group_of(c.symbol)
        domain = harvest_domain(p.accounts[c.account])
        if washable and (domain, group) not in steps_done:
            steps_done.add((domain, group))
            out.extend(plan_replacements.steps(p, c, sold))
    return tuple(out)


def rank(
    p: _Planner,
    candidates: Sequence[_Candidate],
    rows: Mapping[int, list[Realized]],
    base_totals: tuple[Decimal, Decimal],
    after: tuple[ScheduleD, TaxResult],
) -> list[int]:
    """The order the harvests are listed (and their savings counted) in: those that save
    tax this year first, by the tax each saves on its own, then by the loss each carries
    forward; the ones that save nothing this year last, together (issue: planned gains
    offset first). Sales reaching another return keep their place at the end."""
    before_schedule, before_tax = p.base
    alone: dict[int, tuple[Decimal, Decimal]] = {}
    for index, c in enumerate(candidates):
        if p.on_return(c.account):
            schedule, tax = p.tax_on(p.plus(base_totals, rows[index]))
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
        running = p.plus(running, rows[index])
        total = p.tax_on(running)[1].total
        (saving if prev - total > 0 else zero).append(index)
        prev = total
    return [*saving, *zero, *others]


def tax_note(
    p: _Planner, before: TaxResult, after: TaxResult, saved: Decimal, carried: Decimal
) -> Reason:
    if saved <= 0 and carried > 0:
        return Reason(
            "carryforward_only",
            f"This loss saves no tax in {p.year}: the year's gains are already offset "
            "and the deduction against ordinary income is used up. All "
            f"{money_text(carried)} of it carries forward to next year, keeping its "
            "character.",
            "IRC §1211(b), §1212(b); Schedule D instructions, Capital Loss Carryover Worksheet",
        )
    text = (
        f"Added to the sales listed before it, this sale lowers the {p.year} federal tax "
        f"from {money_text(before.total)} to {money_text(after.total)}: "
        f"{money_text(saved)} saved."
    )
    if carried > 0:
        text += f" {money_text(carried)} of the loss carries forward to next year."
    return Reason("tax_saved", text, TAX_RULE)


def other_return_note(p: _Planner, account_id: str) -> Reason:
    account = p.accounts[account_id]
    if account.separate_taxpayer:
        return Reason(
            "separate_return",
            f"{p.label(account_id)} is a separate taxpayer: this loss goes on its own "
            "return, with its own $3,000 limit and carryforward, and never offsets the "
            "household's gains. The tax it saves there is not estimated here.",
            "IRC §1211(b), §641 (trusts), §1(g); Schedule D",
        )
    return Reason(
        "spouse_separate_return",
        f"{p.label(account_id)} belongs to the spouse, who files a separate return: the "
        "loss goes on the spouse's return, not this one.",
        "IRC §1, §6013; Pub 501",
    )


def zero_rate(p: _Planner, harvesting: bool) -> tuple[Recommendation, ...]:
    """Long-term gains that can be realized at 0% this year: while taxable income stays
    under the 0% top (IRC §1(h)(1)(B)), with no change in tax or carryforward (both asked
    of the engine). The wash-sale rule covers losses only, so the shares can be bought
    back at once."""
    table = tax_year_table(p.year)
    top = table.figures(p.case.filing_status).zero_rate_top
    base_schedule, base_tax = p.base
    if base_tax.taxable_income >= top:
        return ()
    pieces = []
    for held in p.history.holdings_as_of:
        lot = held.lot
        price = p.prices.get(lot.symbol)
        if price is None or not p.on_return(lot.account):
            continue
        for piece in held.pieces:
            value = to_cents(price * piece.quantity)
            if value > piece.basis and (
                lot.how is _INHERITED or long_term_from(piece.holding_from) <= p.as_of
            ):
                pieces.append((value - piece.basis, lot, piece, value))
    chosen: list[tuple[Decimal, Lot, OpenPiece, Realized]] = []
    with_chosen = p.base_totals
    budget = p.rules.gains_budget
    spent = ZERO
    for gain, lot, piece, value in sorted(pieces, key=lambda p: (-p[0], p[1].key)):
        if budget is not None and spent + gain > budget:
            continue  # the household's gains budget for the year
        row = plan_proving.what_if(p, lot, piece, value, _LONG)
        trial = p.plus(with_chosen, (row,))
        schedule, tax = p.tax_on(trial)
        # Two full computations: qualified dividends stacked in the 0% band, the senior
        # deduction's phase-out (the gain raises MAGI), the AMT and the NIIT all count.
        if tax.total <= base_tax.total and _carry(schedule) == _carry(base_schedule):
            chosen.append((gain, lot, piece, row))
            with_chosen = trial
            spent += gain
    total = sum((c[0] for c in chosen), ZERO)
    if not chosen or total < p.rules.min_loss:
        return ()
    notes = []
    facts = p.facts
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
                    f"{p.lot_words(lot.id)} and realize {money_text(gain)} of "
                    f"long-term gain at no federal tax (the {p.year} tax is "
                    f"{money_text(base_tax.total)} with or without the sale), then buy it "
                    "back at once to raise the basis; the wash-sale rule covers losses "
                    "only.",
                    f"IRC §1(h)(1)(B), §1091(a); {table.source}",
                ),
                notes=tuple(notes),
            )
        )
    return tuple(out)


def figures(
    p: _Planner, after: tuple[ScheduleD, TaxResult], harvests: Sequence[Recommendation]
) -> tuple[Figure, ...]:
    """The summary strip: each number with the reasons behind it."""
    before_schedule, before_tax = p.base
    after_schedule, after_tax = after
    case = p.case
    this_year = [
        r for r in p.history.realized if r.reported_on == HOUSEHOLD and r.sold.year == p.year
    ]
    disallowed = sum((r.disallowed for r in this_year), ZERO)
    # The sales of the year only: gains expected outside the accounts and capital-gain
    # distributions (Schedule D lines 5, 12, 13) are shown apart.
    realized_short = before_schedule.short_term + case.carryforward_short - p.extras[0]
    realized_long = before_schedule.long_term + case.carryforward_long - p.extras[1]
    realized = Reason(
        "realized_this_year",
        f"{len(this_year)} lot sales dated {p.year} reached this return: short-term "
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
        *core_figures(p, after, harvests, realized, carry_in, short, long, harvest_loss),
        *whole_return_figures(p, before_tax, after_tax, saved),
    )


def whole_return_figures(
    p: _Planner, before: TaxResult, after: TaxResult, saved: Decimal
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
        basic = tax_year_table(p.year).standard_deduction(p.case.filing_status)
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
    if p.rules.state_marginal_rate is not None:
        rate = p.rules.state_marginal_rate
        estimate = state_of(p, before, after) or ZERO
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
    p: _Planner,
    after: tuple[ScheduleD, TaxResult],
    harvests: Sequence[Recommendation],
    realized: Reason,
    carry_in: Reason,
    short: Decimal,
    long: Decimal,
    harvest_loss: Decimal,
) -> tuple[Figure, ...]:
    before_schedule, before_tax = p.base
    after_schedule, after_tax = after
    case = p.case
    # The sales of the year only: gains expected outside the accounts and capital-gain
    # distributions (Schedule D lines 5, 12, 13) are shown apart.
    realized_short = before_schedule.short_term + case.carryforward_short - p.extras[0]
    realized_long = before_schedule.long_term + case.carryforward_long - p.extras[1]
    gains_before = max(before_schedule.net, ZERO)
    offset = gains_before - max(after_schedule.net, ZERO)
    saved = before_tax.total - after_tax.total
    outside: tuple[Figure, ...] = ()
    if p.extras != (ZERO, ZERO):
        outside = (
            Figure(
                "gains_outside",
                "Gains expected outside these accounts",
                p.extras[0] + p.extras[1],
                (
                    Reason(
                        "gains_outside",
                        f"From the tax profile: short-term {money_text(p.extras[0])}, "
                        f"long-term {money_text(p.extras[1])} (planned realizations elsewhere "
                        "and capital-gain distributions); the harvests offset them too.",
                        "IRC §852(b)(3); Schedule D, lines 5, 12 and 13",
                    ),
                ),
            ),
        )
    return (
        Figure("realized_short", "Realized short-term this year", realized_short, (realized,)),
        Figure("realized_long", "Realized long-term this year", realized_long, (realized,)),
        *outside,
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
            f"Federal tax {p.year}",
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
                    f"The {p.year} federal tax (income tax and NIIT) computed twice by the "
                    f"engine: {money_text(before_tax.total)} on the year's actual results, "
                    f"{money_text(after_tax.total)} with this plan's sales.",
                    TAX_RULE,
                ),
            ),
        ),
    )

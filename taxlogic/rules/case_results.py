"""Evaluating a case: the engine run over its history, Schedule D of each return, the whole
return's tax, the per-person carryforward, the plan's opportunities, and the result shaped as
shared/cases/README.md "Output" describes.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from .accounts import AccountType
from .broker_wash import applied_reason, kept_reason
from .carryforward import ScheduleD, schedule_d
from .case_types import (
    Case,
    CaseError,
)
from .deductions import ReturnFacts
from .harvest import opportunities
from .lots import (
    ZERO,
    Action,
    OpenLot,
    quantity_text,
    split_cumulative,
    to_cents,
)
from .tax import federal_tax, taxable_before_capital
from .tax_tables import capital_loss_limit
from .wash_household import HOUSEHOLD, HouseholdAccount, Role
from .wash_sales import EngineError, History, Realized, WashSale, simulate

HALF = Decimal("0.5")

# --- evaluating -----------------------------------------------------------------------------


def run_engine(case: Case) -> History:
    """Lot relief and wash sales over the case's history; ``CaseError`` for a sale of shares
    that are not held (naming the transaction's field)."""
    try:
        return simulate(
            accounts=case.accounts_by_id,
            identity=case.identity,
            lots=case.lots,
            trades=case.trades,
            policy=case.policy,
            as_of=case.as_of,
            average=case.average_basis,
        )
    except EngineError as error:
        raise CaseError(f"transactions[{error.trade_seq}].{error.field}", error.message) from None


def year_totals(
    realized: Iterable[Realized], *, tax_year: int, reported_on: str
) -> tuple[Decimal, Decimal]:
    """The allowed short-term and long-term results of one return's sales dated in
    ``tax_year`` (IRC §1222 by character)."""
    short = long = ZERO
    for row in realized:
        if row.reported_on == reported_on and row.sold.year == tax_year:
            if row.term.value == "long":
                long += row.allowed
            else:
                # §852(b)(4): the part of a short-term loss on fund shares held six months or
                # less that capital-gain distributions on them make long-term.
                short += row.allowed - row.long_term_part
                long += row.long_term_part
    return short, long


def household_schedule(
    case: Case,
    totals: tuple[Decimal, Decimal],
    *,
    explain: bool = True,
    extras: tuple[Decimal, Decimal] | None = None,
    facts: ReturnFacts | None = None,
) -> ScheduleD:
    """Schedule D of the household's return with the year's sale results ``totals``, plus the
    amounts from outside the sales (``Case.schedule_extras``), carried over with taxable income
    from the whole return (worksheet line 1 = Form 1040 line 15, before being floored at 0).
    A caller asking many times passes ``extras`` and ``facts`` worked out once."""
    extra_short, extra_long = case.schedule_extras(HOUSEHOLD) if extras is None else extras
    short = totals[0] + extra_short
    long = totals[1] + extra_long
    taxable_before: Decimal | None = None
    if case.income is not None:
        line_16 = short + long - case.carryforward_short - case.carryforward_long
        line_21 = min(-line_16, capital_loss_limit(case.filing_status)) if line_16 < 0 else ZERO
        taxable_before = taxable_before_capital(
            tax_year=case.tax_year,
            filing_status=case.filing_status,
            ordinary_income=case.income.ordinary,
            investment_income=case.income.investment,
            facts=case.facts() if facts is None else facts,
            capital_loss_deduction=line_21,
        )
    return schedule_d(
        short_term_results=short,
        long_term_results=long,
        carryforward_in_short=case.carryforward_short,
        carryforward_in_long=case.carryforward_long,
        filing_status=case.filing_status,
        taxable_income_before_capital=taxable_before,
        explain=explain,
    )


def summarize(
    realized: tuple[Realized, ...],
    *,
    tax_year: int,
    reported_on: str,
    filing_status: str,
    carryforward_short: Decimal,
    carryforward_long: Decimal,
    taxable_income_before_capital: Decimal | None,
    extra: tuple[Decimal, Decimal] = (ZERO, ZERO),
) -> ScheduleD:
    """Schedule D of one return: the allowed results of its sales dated in ``tax_year``
    (``year_totals``; §1211(b), §1212(b) through ``schedule_d``), plus ``extra`` (short, long)
    from outside the sales."""
    short, long = year_totals(realized, tax_year=tax_year, reported_on=reported_on)
    short += extra[0]
    long += extra[1]
    return schedule_d(
        short_term_results=short,
        long_term_results=long,
        carryforward_in_short=carryforward_short,
        carryforward_in_long=carryforward_long,
        filing_status=filing_status,
        taxable_income_before_capital=taxable_income_before_capital,
    )


def evaluate(case: Case) -> dict[str, Any]:
    """The result of a case, shaped exactly as shared/cases/README.md "Output" describes."""
    history = run_engine(case)
    accounts = case.accounts_by_id

    totals = year_totals(history.realized, tax_year=case.tax_year, reported_on=HOUSEHOLD)
    schedule = household_schedule(case, totals)

    result: dict[str, Any] = {
        "tax_year": case.tax_year,
        "filing_status": case.filing_status,
        "as_of": case.as_of.isoformat(),
        "accounts": [_account_json(a) for a in case.accounts],
        "realized": [_realized_json(r) for r in history.realized if r.reported_on is not None],
        "wash_sales": [_wash_json(w) for w in history.wash_sales],
        "open_lots": [row for o in history.open_lots for row in _open_lot_json(o)],
        "summary": schedule.to_json(),
    }
    if case.carryforward_by_person is not None:
        carry = result["summary"]["carryforward_out"]
        carry["by_person"] = {
            person: {"short_term": money_json(short), "long_term": money_json(long)}
            for person, (short, long) in carryforward_by_person(case, history, schedule).items()
        }
    if case.income is not None:
        tax = federal_tax(
            tax_year=case.tax_year,
            filing_status=case.filing_status,
            ordinary_income=case.income.ordinary,
            investment_income=case.income.investment,
            schedule=schedule,
            facts=case.facts(),
        )
        result["tax"] = tax.to_json()
    if case.prices is not None:
        plan = opportunities(
            holdings=history.holdings_as_of,
            prices=case.prices,
            as_of=case.as_of,
            accounts=accounts,
            identity=case.identity,
            policy=case.policy,
        )
        result["opportunities"] = [o.to_json() for o in plan]

    separate: dict[str, Any] = {}
    for account in case.accounts:
        if account.separate_taxpayer:
            # A trust or a minor is its own taxpayer: its own $3,000 limit (§1211(b)) and no
            # carryforward given in the case format; a single filer's figures.
            own = summarize(
                history.realized,
                tax_year=case.tax_year,
                reported_on=account.id,
                filing_status="single",
                carryforward_short=ZERO,
                carryforward_long=ZERO,
                taxable_income_before_capital=None,
                extra=case.schedule_extras(account.id),
            ).to_json()
            separate[account.id] = {**own, "summary": dict(own)}
    result["separate_returns"] = separate
    result["policy"] = case.policy.to_json()
    return result


def carryforward_by_person(
    case: Case, history: History, schedule: ScheduleD
) -> dict[str, tuple[Decimal, Decimal]]:
    """Next year's carryforward of each person on the return (tax-rules.md §4.4).

    A carryover belongs to the person whose property gave rise to it (Treas. Reg.
    §1.1212-1(c)(1)(iii)): each person's net loss by character is their own carryforward in plus
    their results — a sale in an account they own, their share of one in a joint account (half
    unless ``accounts[].taxpayer_share`` says otherwise), the income's
    outside gains to the taxpayer — and the household's carryforward of each character is shared
    among the people in proportion to their net losses of it, to the cent, adding up."""
    given = case.carryforward_by_person or {}
    on_return = [
        p.id
        for p in case.people
        if p.role == Role.TAXPAYER.value
        or (p.role == Role.SPOUSE.value and case.filing_status == "married_joint")
    ]
    people = on_return + [p for p in given if p not in on_return]
    taxpayer = on_return[0]
    owner_of = {a.id: a.owner for a in case.accounts}
    joint = {a.id for a in case.accounts if a.type is AccountType.TAXABLE_JOINT}
    spouse = next((p for p in on_return if p != taxpayer), None)
    net: dict[str, list[Decimal]] = {p: [ZERO, ZERO] for p in people}
    for person, (short, long) in given.items():
        net[person][0] -= short
        net[person][1] -= long

    shares = dict(case.joint_shares)

    def credit(account: str, short: Decimal, long: Decimal) -> None:
        if account in joint and spouse is not None:
            share = shares.get(account, HALF)
            mine_short, mine_long = to_cents(short * share), to_cents(long * share)
            net[taxpayer][0] += mine_short
            net[taxpayer][1] += mine_long
            net[spouse][0] += short - mine_short
            net[spouse][1] += long - mine_long
            return
        owner = owner_of[account] if owner_of[account] in net else taxpayer
        net[owner][0] += short
        net[owner][1] += long

    for row in history.realized:
        if row.reported_on == HOUSEHOLD and row.sold.year == case.tax_year:
            if row.term.value == "long":
                credit(row.account, ZERO, row.allowed)
            else:
                credit(row.account, row.allowed - row.long_term_part, row.long_term_part)
    for trade in case.trades:
        if (
            trade.action is Action.DISTRIBUTION
            and trade.date.year == case.tax_year
            and case.accounts_by_id[trade.account].reported_on == HOUSEHOLD
        ):
            credit(trade.account, ZERO, trade.amount)
    if case.income is not None:
        net[taxpayer][0] += case.income.other_short_term_gains
        net[taxpayer][1] += (
            case.income.other_long_term_gains + case.income.capital_gain_distributions
        )

    out: dict[str, list[Decimal]] = {p: [ZERO, ZERO] for p in people}
    for index, total in ((0, schedule.carryforward_short), (1, schedule.carryforward_long)):
        if total <= 0:
            continue
        losses = [max(ZERO, -net[p][index]) for p in people]
        if sum(losses, ZERO) == 0:
            out[taxpayer][index] = total
            continue
        for person, part in zip(people, split_cumulative(total, losses), strict=True):
            out[person][index] = part
    return {p: (v[0], v[1]) for p, v in out.items()}


# --- output ---------------------------------------------------------------------------------


def money_json(amount: Decimal) -> str:
    """Money as a 2-place string, rounded half-up ("-0.00" never appears)."""
    cents = to_cents(amount)
    if cents == 0:
        return "0.00"
    return f"{cents:.2f}"


def _account_json(account: HouseholdAccount) -> dict[str, Any]:
    eligibility = account.eligibility
    return {
        "id": account.id,
        "type": account.type.value,
        "owner": account.owner,
        "treatment": eligibility.treatment.value,
        "harvestable": eligibility.harvestable,
        "separate_taxpayer": eligibility.separate_taxpayer,
        "on_return": account.on_return,
        "reason": eligibility.reason.to_json(),
    }


def _realized_json(row: Realized) -> dict[str, Any]:
    return {
        "sale": row.sale,
        "lot": row.lot,
        "account": row.account,
        "symbol": row.symbol,
        "quantity": quantity_text(row.quantity),
        "acquired": row.acquired.isoformat(),
        "holding_from": row.holding_from.isoformat(),
        "sold": row.sold.isoformat(),
        "proceeds": money_json(row.proceeds),
        "basis": money_json(row.basis),
        "gain": money_json(row.gain),
        "term": row.term.value,
        "disallowed": money_json(row.disallowed),
        "allowed": money_json(row.allowed),
        "code": row.code,
        "return": row.reported_on,
        **(
            {"long_term_part": money_json(row.long_term_part)}  # §852(b)(4)
            if row.long_term_part
            else {}
        ),
    }


def _wash_json(row: WashSale) -> dict[str, Any]:
    out: dict[str, Any] = {
        "sale": row.sale,
        "lot": row.lot,
        "sold": row.sold.isoformat(),
        "replacement": row.replacement,
        "replacement_account": row.replacement_account,
        "quantity": quantity_text(row.quantity),
        "disallowed": money_json(row.disallowed),
        "permanent": row.permanent,
    }
    if row.holding_from is not None:
        out["holding_from"] = row.holding_from.isoformat()
    if row.broker_applied:
        out["broker_applied"] = money_json(row.broker_applied)
        out["reason"] = applied_reason(row.broker_applied, row.disallowed).to_json()
    return out


def _open_lot_json(open_lot: OpenLot) -> list[dict[str, Any]]:
    lot = open_lot.lot
    rows: list[dict[str, Any]] = []
    for piece in open_lot.pieces:
        row: dict[str, Any] = {
            "lot": lot.id,
            "account": lot.account,
            "symbol": lot.symbol,
            "quantity": quantity_text(piece.quantity),
            "basis": money_json(piece.basis),
            "acquired": lot.acquired.isoformat(),
            "holding_from": piece.holding_from.isoformat(),
            "how": lot.how.value,
        }
        if piece.adjusted:
            row["wash_adjustment"] = money_json(piece.deferred)
        elif piece.deferred:
            # The custodian's adjustment no wash of this history used (broker_wash.py).
            row["broker_wash_adjustment"] = money_json(piece.deferred)
            row["reason"] = kept_reason(piece.deferred).to_json()
        if lot.gift is not None and piece.gift_value is not None:
            row["gift_date"] = lot.gift.gift_date.isoformat()
            row["value_at_gift"] = money_json(piece.gift_value)
        rows.append(row)
    return rows

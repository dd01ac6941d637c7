"""Preview a sale before it is placed: "what if I sell these lots?" (issue 15, engine part).

``preview_sale(snapshot=..., sales=...)`` takes a review's inputs snapshot (``{"case": ...,
"planner": ...}``, as ``plan_from_snapshot`` does) and the lots to sell — each ``{"lot": id,
"quantity": "10", "price": "12.34"}`` (price optional: the case's price of the symbol) — sold on
the case's ``as_of``. It runs the household's history twice through the engine, without and with
the sales, and the year's federal tax twice (the whole return: regular tax, AMT, NIIT), so the
figures are those a plan with the same sales shows. It reports each piece sold (short/long,
gain, what §1091 disallows and against which replacement, permanently or not), the tax before
and after, the carryforward, a state estimate at the planner's state rate, and the do-not-buy
window for every loss sale. Bad input raises ``CaseError`` naming the field (``sales[0].lot``).

Rules: IRC §1001, §1222 (the result and its character), §1091(a), (d) and Reg. §1.1091-1 (wash
sales inside the household, IRAs included: Rev. Rul. 2008-5), §§1, 1(h), 55, 1211(b), 1212(b),
1411 (the two tax computations).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from .cases import Case, CaseError, household_schedule, money_json, parse_case, year_totals
from .harvest import harvest_domain, parse_rules
from .lots import ZERO, Action, LotRequest, Trade, quantity_text, to_cents
from .reasons import Reason
from .tax import federal_tax
from .wash_household import HOUSEHOLD, acquirer_domain
from .wash_sales import WINDOW_DAYS, EngineError, History, Realized, WashSale, simulate

PREVIEW = "preview-"  # ids of the previewed sales (never a lot or trade id)


@dataclass(frozen=True, slots=True)
class PreviewAvoid:
    """Do not buy any of ``symbols`` in ``accounts`` through ``through`` (IRC §1091(a))."""

    symbols: tuple[str, ...]
    accounts: tuple[str, ...]
    through: date


@dataclass(frozen=True, slots=True)
class Preview:
    """What the sales would do: pieces sold, wash sales, and the year's tax both ways."""

    sold: tuple[Realized, ...]
    wash_sales: tuple[WashSale, ...]
    short_term: Decimal
    long_term: Decimal
    tax_before: Decimal | None
    tax_after: Decimal | None
    amt_before: Decimal | None
    amt_after: Decimal | None
    carryforward_before: Decimal
    carryforward_after: Decimal
    state_estimate: Decimal | None
    do_not_buy: tuple[PreviewAvoid, ...]
    reasons: tuple[Reason, ...]

    @property
    def tax_saved(self) -> Decimal | None:
        if self.tax_before is None or self.tax_after is None:
            return None
        return self.tax_before - self.tax_after

    def to_json(self) -> dict[str, Any]:
        def money(value: Decimal | None) -> str | None:
            return None if value is None else money_json(value)

        return {
            "sold": [
                {
                    "lot": r.lot,
                    "account": r.account,
                    "symbol": r.symbol,
                    "quantity": quantity_text(r.quantity),
                    "proceeds": money_json(r.proceeds),
                    "basis": money_json(r.basis),
                    "gain": money_json(r.gain),
                    "term": r.term.value,
                    "disallowed": money_json(r.disallowed),
                    "allowed": money_json(r.allowed),
                    "return": r.reported_on,
                }
                for r in self.sold
            ],
            "wash_sales": [
                {
                    "lot": w.lot,
                    "replacement": w.replacement,
                    "replacement_account": w.replacement_account,
                    "quantity": quantity_text(w.quantity),
                    "disallowed": money_json(w.disallowed),
                    "permanent": w.permanent,
                }
                for w in self.wash_sales
            ],
            "short_term": money_json(self.short_term),
            "long_term": money_json(self.long_term),
            "tax_before": money(self.tax_before),
            "tax_after": money(self.tax_after),
            "tax_saved": money(self.tax_saved),
            "amt_before": money(self.amt_before),
            "amt_after": money(self.amt_after),
            "carryforward_before": money_json(self.carryforward_before),
            "carryforward_after": money_json(self.carryforward_after),
            "state_estimate": money(self.state_estimate),
            "state_estimate_is_an_estimate": self.state_estimate is not None,
            "do_not_buy": [
                {
                    "symbols": list(a.symbols),
                    "accounts": list(a.accounts),
                    "through": a.through.isoformat(),
                }
                for a in self.do_not_buy
            ],
            "reasons": [r.to_json() for r in self.reasons],
        }


def _decimal(value: object, path: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise CaseError(path, f"must be a decimal number, got {value!r}") from None
    if not number.is_finite() or number <= 0:
        raise CaseError(path, f"must be a positive number, got {value!r}")
    return number


def preview_sale(*, snapshot: Mapping[str, Any], sales: Sequence[Mapping[str, Any]]) -> Preview:
    """The preview of selling ``sales`` on the case's ``as_of`` (see the module docstring)."""
    case = parse_case(snapshot["case"])
    rules = parse_rules(snapshot.get("planner", {}))
    accounts = case.accounts_by_id
    prices = case.prices or {}
    before = _run(case, ())
    held = {o.lot.id: o for o in before.holdings_as_of}
    if not sales:
        raise CaseError("sales", "name at least one lot to sell")
    trades: list[Trade] = []
    asked: dict[str, Decimal] = {}
    for index, sale in enumerate(sales):
        path = f"sales[{index}]"
        lot_id = sale.get("lot")
        if not isinstance(lot_id, str) or lot_id not in held:
            raise CaseError(f"{path}.lot", f"no lot {lot_id!r} is held on {case.as_of}")
        lot = held[lot_id]
        quantity = (
            lot.quantity
            if sale.get("quantity") is None
            else _decimal(sale["quantity"], f"{path}.quantity")
        )
        asked[lot_id] = asked.get(lot_id, ZERO) + quantity
        if asked[lot_id] > lot.quantity:
            raise CaseError(
                f"{path}.quantity",
                f"lot {lot_id} holds {quantity_text(lot.quantity)} shares, not "
                f"{quantity_text(asked[lot_id])}",
            )
        if sale.get("price") is not None:
            price = _decimal(sale["price"], f"{path}.price")
        elif lot.lot.symbol in prices:
            price = prices[lot.lot.symbol]
        else:
            raise CaseError(f"{path}.price", f"no price for {lot.lot.symbol}: give one")
        trades.append(
            Trade(
                id=f"{PREVIEW}{index}",
                account=lot.lot.account,
                date=case.as_of,
                action=Action.SELL,
                symbol=lot.lot.symbol,
                quantity=quantity,
                amount=to_cents(price * quantity),
                lots=(LotRequest(lot_id, quantity),),
                seq=len(case.trades) + index,
            )
        )
    after = _run(case, tuple(trades))
    sold = tuple(r for r in after.realized if r.sale.startswith(PREVIEW))
    washes = tuple(w for w in after.wash_sales if w.sale.startswith(PREVIEW))
    short = sum((r.allowed - r.long_term_part for r in sold if r.term.value == "short"), ZERO)
    long = sum((r.allowed for r in sold if r.term.value == "long"), ZERO) + sum(
        (r.long_term_part for r in sold), ZERO
    )

    totals_before = year_totals(before.realized, tax_year=case.tax_year, reported_on=HOUSEHOLD)
    totals_after = year_totals(after.realized, tax_year=case.tax_year, reported_on=HOUSEHOLD)
    schedule_before = household_schedule(case, totals_before, explain=False)
    schedule_after = household_schedule(case, totals_after, explain=False)
    reasons: list[Reason] = []
    tax_before = tax_after = amt_before = amt_after = state = None
    if case.income is not None:
        taxes = [
            federal_tax(
                tax_year=case.tax_year,
                filing_status=case.filing_status,
                ordinary_income=case.income.ordinary,
                investment_income=case.income.investment,
                schedule=schedule,
                explain=False,
                facts=case.facts(),
            )
            for schedule in (schedule_before, schedule_after)
        ]
        tax_before, tax_after = taxes[0].total, taxes[1].total
        amt_before, amt_after = taxes[0].amt, taxes[1].amt
        if rules.state_marginal_rate is not None:
            state = to_cents(rules.state_marginal_rate * (taxes[0].agi - taxes[1].agi))
        reasons.append(
            Reason(
                "preview_tax",
                f"The {case.tax_year} federal tax computed twice on the whole return: "
                f"{money_json(tax_before)} without these sales, {money_json(tax_after)} with "
                "them.",
                "IRC §§1, 1(h), 55, 1211(b), 1411; Schedule D; Form 6251; Form 8960",
            )
        )
    for wash in washes:
        reasons.append(
            Reason(
                "preview_wash_sale",
                f"{money_json(wash.disallowed)} of the loss on lot {wash.lot} would be "
                f"disallowed: {quantity_text(wash.quantity)} shares of {wash.replacement} in "
                f"{wash.replacement_account} are acquired within 30 days"
                + (
                    " — in an IRA or plan, so the loss is lost for good."
                    if wash.permanent
                    else "; the loss moves into their basis."
                ),
                "IRC §1091(a), (d); Treas. Reg. §1.1091-1; Rev. Rul. 2008-5",
            )
        )

    avoid: list[PreviewAvoid] = []
    through = case.as_of + timedelta(days=WINDOW_DAYS)
    seen: set[tuple[str, str]] = set()
    for row in sold:
        if row.allowed >= 0 or not case.identity.washable(row.symbol):
            continue
        seller = accounts[row.account]
        key = (harvest_domain(seller), case.identity.group_of(row.symbol))
        if key in seen:
            continue
        seen.add(key)
        group = case.identity.group_of(row.symbol)
        symbols = sorted(s for s, g in case.identity.groups.items() if g == group)
        covered = sorted(
            a.id
            for a in case.accounts
            if acquirer_domain(a, case.policy, seller_owner=seller.owner) == key[0]
        )
        avoid.append(PreviewAvoid(tuple(symbols or [row.symbol]), tuple(covered), through))
    return Preview(
        sold=sold,
        wash_sales=washes,
        short_term=short,
        long_term=long,
        tax_before=tax_before,
        tax_after=tax_after,
        amt_before=amt_before,
        amt_after=amt_after,
        carryforward_before=schedule_before.carryforward_short + schedule_before.carryforward_long,
        carryforward_after=schedule_after.carryforward_short + schedule_after.carryforward_long,
        state_estimate=state,
        do_not_buy=tuple(avoid),
        reasons=tuple(reasons),
    )


def _run(case: Case, extra: tuple[Trade, ...]) -> History:
    try:
        return simulate(
            accounts=case.accounts_by_id,
            identity=case.identity,
            lots=case.lots,
            trades=(*case.trades, *extra),
            policy=case.policy,
            as_of=case.as_of,
            seq_base=len(case.lots),
            average=case.average_basis,
        )
    except EngineError as error:
        raise CaseError(f"transactions[{error.trade_seq}].{error.field}", error.message) from None

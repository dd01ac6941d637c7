"""What if I sell these lots? The tax impact at the client's rates before anything is recorded.

Two full computations, as for plans: the household's snapshot (``services.household_inputs``)
evaluated by the engine as it is, and again with the hypothetical sales added as sell trades
dated today (``plan_from_snapshot``: the federal tax of the year on its actual results, Schedule
D and the wash-sale rule household-wide). The difference is the impact; the ST/LT split, the
wash sales the sales would meet and the do-not-buy window come from the same two runs.
Recording exactly these sales and running a review gives a plan whose "before" figures equal
the preview's "after" ones (tests/afterplan/test_preview.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from advisors import scoping
from clients.models import Household, TaxLot
from taxlogic import services
from taxlogic.rules.cases import CaseError
from taxlogic.rules.harvest import Plan, plan_from_snapshot
from taxlogic.rules.lots import to_cents
from taxlogic.rules.wash_sales import WINDOW_DAYS, EngineError

ZERO = Decimal("0.00")
PREVIEW_ID = "preview-sale-"


@dataclass(frozen=True, slots=True)
class SaleRequest:
    lot: TaxLot
    quantity: Decimal


@dataclass(slots=True)
class PreviewLine:
    lot: TaxLot
    symbol: str
    quantity: Decimal
    price: Decimal
    proceeds: Decimal


@dataclass(slots=True)
class Preview:
    """Before and after the sales: federal tax, realized short- and long-term, carryforward."""

    household: Household
    as_of: date
    lines: list[PreviewLine]
    tax_before: Decimal
    tax_after: Decimal
    short_before: Decimal
    short_after: Decimal
    long_before: Decimal
    long_after: Decimal
    carry_before: Decimal
    carry_after: Decimal
    wash_sales: list[dict[str, str]] = field(default_factory=list)
    do_not_buy_through: date | None = None
    figures_after: list[dict[str, Any]] = field(default_factory=list)

    @property
    def tax_change(self) -> Decimal:
        """Positive: the sales add tax this year; negative: they save it."""
        return self.tax_after - self.tax_before

    @property
    def tax_saved(self) -> Decimal:
        return -self.tax_change

    @property
    def short_term(self) -> Decimal:
        return self.short_after - self.short_before

    @property
    def long_term(self) -> Decimal:
        return self.long_after - self.long_before

    def to_json(self) -> dict[str, Any]:
        return {
            "household": str(self.household.public_id),
            "as_of": self.as_of.isoformat(),
            "sales": [
                {
                    "lot": str(line.lot.public_id),
                    "symbol": line.symbol,
                    "quantity": f"{line.quantity.normalize():f}",
                    "price": f"{line.price.normalize():f}",
                    "proceeds": f"{line.proceeds:.2f}",
                }
                for line in self.lines
            ],
            "tax_before": f"{self.tax_before:.2f}",
            "tax_after": f"{self.tax_after:.2f}",
            "tax_change": f"{self.tax_change:.2f}",
            "short_term": f"{self.short_term:.2f}",
            "long_term": f"{self.long_term:.2f}",
            "carryforward_before": f"{self.carry_before:.2f}",
            "carryforward_after": f"{self.carry_after:.2f}",
            "wash_sales": self.wash_sales,
            "do_not_buy_through": (
                self.do_not_buy_through.isoformat() if self.do_not_buy_through else None
            ),
        }


def _figure(plan: Plan, key: str, *, before: bool = False) -> Decimal:
    for f in plan.figures:
        if f.key == key:
            return f.before if before and f.before is not None else f.amount
    return ZERO


def sale_preview(
    *, user: Any, household: Household, sales: list[SaleRequest], as_of: date | None = None
) -> Preview:
    """The tax impact of selling ``sales`` today, at the last close; nothing is written.
    Raises ValidationError naming the sale (``sales[n]``) that cannot be previewed."""
    as_of = as_of or timezone.localdate()
    if not sales:
        raise ValidationError({"sales": "Choose at least one lot to sell."})
    visible = set(
        scoping.visible(user, TaxLot)
        .filter(account__household=household, pk__in=[s.lot.pk for s in sales])
        .values_list("pk", flat=True)
    )
    inputs = services.household_inputs(household, tax_year=as_of.year, as_of=as_of)
    base = json.loads(json.dumps(inputs.snapshot))
    changed = json.loads(json.dumps(inputs.snapshot))
    case = changed["case"]
    public_of_lot = {pk: public for public, pk in inputs.lots.items()}
    accounts = {pk: public for public, pk in inputs.accounts.items()}
    prices = case["prices"]
    lines: list[PreviewLine] = []
    errors: dict[str, str] = {}
    for n, sale in enumerate(sales):
        lot = sale.lot
        where = f"sales[{n}]"
        if lot.pk not in visible:
            errors[where] = "No such lot in this household."
            continue
        if sale.quantity is None or sale.quantity <= 0:
            errors[where] = "Sell a number of shares greater than zero."
            continue
        if sale.quantity > lot.quantity:
            errors[where] = (
                f"The lot holds {lot.quantity.normalize():f} shares, fewer than "
                f"{sale.quantity.normalize():f}."
            )
            continue
        symbol = lot.security.symbol
        if symbol not in prices or lot.pk not in public_of_lot:
            errors[where] = f"No price for {symbol} on or before {as_of:%Y-%m-%d}."
            continue
        price = Decimal(prices[symbol])
        proceeds = to_cents(sale.quantity * price)
        case["transactions"].append(
            {
                "id": f"{PREVIEW_ID}{n + 1}",
                "account": accounts[lot.account_id],
                "date": as_of.isoformat(),
                "action": "sell",
                "symbol": symbol,
                "quantity": f"{sale.quantity.normalize():f}",
                "amount": f"{proceeds:.2f}",
                "lots": [
                    {"lot": public_of_lot[lot.pk], "quantity": f"{sale.quantity.normalize():f}"}
                ],
            }
        )
        lines.append(PreviewLine(lot, symbol, sale.quantity, price, proceeds))
    if errors:
        raise ValidationError(errors)
    try:
        before, after = plan_from_snapshot(base), plan_from_snapshot(changed)
    except (CaseError, EngineError, ValueError) as error:
        raise ValidationError(
            {"sales": f"The engine cannot evaluate these sales: {error}"}
        ) from None
    seen = {w.text for w in before.warnings}
    wash = [w.to_json() for w in after.warnings if w.text not in seen]
    loss = any(Decimal(lot_basis_share(base, line)) > line.proceeds for line in lines)
    return Preview(
        household=household,
        as_of=as_of,
        lines=lines,
        tax_before=before.tax_before,
        tax_after=after.tax_before,
        short_before=_figure(before, "realized_short"),
        short_after=_figure(after, "realized_short"),
        long_before=_figure(before, "realized_long"),
        long_after=_figure(after, "realized_long"),
        carry_before=_figure(before, "carryforward_out", before=True),
        carry_after=_figure(after, "carryforward_out", before=True),
        wash_sales=wash,
        do_not_buy_through=as_of + timedelta(days=WINDOW_DAYS) if loss else None,
        figures_after=after.to_json()["figures"],
    )


def lot_basis_share(snapshot: dict[str, Any], line: PreviewLine) -> Decimal:
    """The basis the sale would take from its lot as the snapshot holds it (starting lots);
    a lot bought inside the window is a buy trade, at the amount paid."""
    lot_id = str(line.lot.public_id)
    case = snapshot["case"]
    for entry in case["lots"]:
        if entry["id"] == lot_id:
            return Decimal(entry["basis"]) * line.quantity / Decimal(entry["quantity"])
    for entry in case["transactions"]:
        if entry["id"] == lot_id:
            return Decimal(entry["amount"]) * line.quantity / Decimal(entry["quantity"])
    return ZERO

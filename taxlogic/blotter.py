"""The firm-wide trade blotter: every approved trade across the households a user sees, bulk
approval, and order files per custodian (a generic CSV and a block-trade file shaped like a
custodian's bulk upload), with a UTF-8 BOM and cells escaped against formula injection.
Every export is logged (``BlotterExport``).

Order files carry the full account number (``Account.account_number``): they are what the
custodian's trading desk uploads. Everywhere else the masked number is shown.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from advisors import scoping
from advisors.exports import BOM, SafeWriter, safe_cell
from advisors.models import Advisor
from taxlogic.decisions import may_give_approval, recommendation_decide
from taxlogic.models import (
    TRADE_KINDS,
    BlotterExport,
    Decision,
    Recommendation,
    RecommendationStatus,
)

STATUSES = ("approved", "checking", "open")
ORDER_TYPES = ("market", "limit")
FORMATS = ("generic", "schwab")


# A CSV cell that a spreadsheet will not run (advisors/exports.py, OWASP).
cell = safe_cell


def blotter_rows(
    *,
    user: Any,
    tax_year: int,
    status: str = RecommendationStatus.APPROVED,
    team: str = "",
    advisor: str = "",
    custodian: str = "",
) -> QuerySet[Recommendation]:
    """The trades of the current plans the user sees, filtered; by custodian, household."""
    rows = scoping.visible(user, Recommendation).filter(
        plan__is_current=True, plan__tax_year=tax_year, kind__in=TRADE_KINDS
    )
    rows = rows.filter(status=status if status in STATUSES else RecommendationStatus.APPROVED)
    if team:
        rows = rows.filter(household__team__public_id=team)
    if advisor:
        rows = rows.filter(household__primary_advisor__public_id=advisor)
    if custodian:
        rows = rows.filter(account__custodian=custodian)
    return rows.select_related(
        "household__team",
        "household__primary_advisor",
        "account",
        "security",
        "lot",
        "replacement",
        "first_approved_by",
    ).order_by("account__custodian", "household__name", "position", "id")


@dataclass(frozen=True, slots=True)
class Approved:
    done: list[Recommendation]
    errors: dict[str, str]


def blotter_approve(*, user: Advisor, recommendations: Sequence[Recommendation]) -> Approved:
    """Approve each recommendation the user may approve now (a second approval where the
    firm requires one); the others are named with the reason, none is half-decided."""
    done, errors = [], {}
    for r in recommendations:
        label = f"{r.household.name}: {r.security.symbol}"
        if not may_give_approval(user, r):
            errors[str(r.public_id)] = f"{label}: you may not approve it now."
            continue
        try:
            with transaction.atomic():
                done.append(
                    recommendation_decide(recommendation=r, user=user, decision=Decision.APPROVE)
                )
        except (ValidationError, PermissionDenied) as exc:
            errors[str(r.public_id)] = f"{label}: {' '.join(getattr(exc, 'messages', [str(exc)]))}"
    return Approved(done, errors)


@dataclass(frozen=True, slots=True)
class Order:
    household: str
    custodian: str
    account_number: str
    symbol: str
    side: str
    quantity: Decimal
    lots: str
    price: Decimal | None
    recommendation: str

    @property
    def amount(self) -> Decimal | None:
        return (
            None if self.price is None else (self.quantity * self.price).quantize(Decimal("0.01"))
        )


def orders(recommendations: Iterable[Recommendation]) -> list[Order]:
    """One sell per recommendation (its specific lot), then the replacement buys (the sale's
    proceeds over the replacement's last close, whole shares), account by account."""
    out: list[Order] = []
    buys: list[Order] = []
    for r in recommendations:
        account = r.account
        number = account.account_number or account.masked_number
        lot = (r.lot.external_id or str(r.lot.public_id)) if r.lot else ""
        quantity = r.quantity or Decimal(0)
        out.append(
            Order(
                r.household.name,
                account.custodian,
                number,
                r.security.symbol,
                "SELL",
                quantity,
                lot,
                r.price,
                str(r.public_id),
            )
        )
        if r.replacement is None or not quantity:
            continue
        if r.replacement_id == r.security_id:
            bought = quantity
        elif r.price and r.replacement_price:
            bought = (quantity * r.price / r.replacement_price).quantize(Decimal(1), ROUND_DOWN)
        else:
            continue
        if bought > 0:
            buys.append(
                Order(
                    r.household.name,
                    account.custodian,
                    number,
                    r.replacement.symbol,
                    "BUY",
                    bought,
                    "",
                    r.replacement_price,
                    str(r.public_id),
                )
            )
    return out + buys


def _quantity(q: Decimal) -> str:
    return f"{q.normalize():f}"


def order_file(found: Sequence[Order], *, fmt: str = "generic", order_type: str = "market") -> str:
    """The orders as CSV text with a BOM: ``generic`` (every column we know) or ``schwab``
    (a block-trade upload: account, action, quantity, symbol, order type, limit, duration,
    specified lots)."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer, lineterminator="\r\n")
    limit = order_type == "limit"
    if fmt == "schwab":
        writer.writerow(
            [
                "Account Number",
                "Action",
                "Quantity",
                "Symbol",
                "Order Type",
                "Limit Price",
                "Duration",
                "Specified Lots",
            ]
        )
        for o in found:
            writer.writerow(
                [
                    cell(o.account_number),
                    "Sell" if o.side == "SELL" else "Buy",
                    _quantity(o.quantity),
                    cell(o.symbol),
                    "Limit" if limit else "Market",
                    f"{o.price:.2f}" if limit and o.price is not None else "",
                    "Day",
                    cell(o.lots),
                ]
            )
    else:
        writer.writerow(
            [
                "household",
                "custodian",
                "account_number",
                "symbol",
                "side",
                "quantity",
                "lots",
                "order_type",
                "limit_price",
                "last_price",
                "estimated_amount",
                "recommendation",
            ]
        )
        for o in found:
            writer.writerow(
                [
                    cell(o.household),
                    cell(o.custodian),
                    cell(o.account_number),
                    cell(o.symbol),
                    o.side,
                    _quantity(o.quantity),
                    cell(o.lots),
                    order_type,
                    f"{o.price:.2f}" if limit and o.price is not None else "",
                    f"{o.price:.2f}" if o.price is not None else "",
                    f"{o.amount:.2f}" if o.amount is not None else "",
                    o.recommendation,
                ]
            )
    return BOM + buffer.getvalue()


@transaction.atomic
def blotter_export(
    *,
    user: Advisor,
    recommendations: Sequence[Recommendation],
    fmt: str,
    order_type: str,
    custodian: str,
    filters: dict[str, str],
) -> str:
    """The order file of ``recommendations`` (one custodian), logged with who and what."""
    if fmt not in FORMATS:
        raise ValidationError({"format": f"Choose one of {', '.join(FORMATS)}."})
    if order_type not in ORDER_TYPES:
        raise ValidationError({"order_type": "Choose market or limit."})
    found = orders(recommendations)
    BlotterExport.objects.create(
        firm_id=user.firm_id,
        exported_by=user,
        format=fmt,
        custodian=custodian,
        filters=filters,
        rows=len(found),
        recommendations=[str(r.public_id) for r in recommendations],
    )
    return order_file(found, fmt=fmt, order_type=order_type)


def export_name(custodian: str, fmt: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in custodian.lower()).strip("-") or "all"
    return f"orders-{slug}-{fmt}-{timezone.localdate():%Y-%m-%d}.csv"

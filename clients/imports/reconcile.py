"""Why a row of a later file differs from our lot, and what taking the file's version writes.

The likely reasons (in this order): the custodian's wash-sale adjustment already applied to
same-account identical shares (tax-rules.md §2 "Reporting": never apply it a second time), a
split (the same basis over a whole multiple of the shares), a different relief method (the
account holds the same shares in total, spread over its lots differently), missing history
(shares we have no sale or purchase for), or a different basis.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from clients.imports.models import Reason

CENT = Decimal("0.01")
RELIEF_LABELS = {
    "fifo": "first in, first out",
    "specific": "specific identification",
    "average": "average cost",
}


@dataclass(frozen=True, slots=True)
class Ours:
    quantity: Decimal
    cost_basis: Decimal
    wash_sale_adjustment: Decimal
    broker_wash_applied: bool


@dataclass(frozen=True, slots=True)
class Theirs:
    quantity: Decimal
    basis: Decimal  # as reported: the broker's wash adjustment included
    wash: Decimal
    relief_method: str = ""


def _money(value: Decimal) -> str:
    return f"${value:,.2f}"


def _shares(value: Decimal) -> str:
    return f"{value.normalize():f}"


def split_ratio(ours: Decimal, theirs: Decimal) -> Decimal | None:
    """The split that turns ``ours`` shares into ``theirs``: n-for-1 or 1-for-n (n ≤ 100) and
    the simple n-for-m (m ≤ 10)."""
    if ours <= 0 or theirs <= 0 or ours == theirs:
        return None
    ratio = theirs / ours
    for m in range(1, 11):
        n = ratio * m
        if n == n.to_integral_value() and 0 < n <= 100 * m:
            return ratio
    inverse = ours / theirs
    if inverse == inverse.to_integral_value() and inverse <= 100:
        return ratio
    return None


def same(ours: Ours, theirs: Theirs) -> bool:
    return (
        ours.quantity == theirs.quantity
        and abs(ours.cost_basis + ours.wash_sale_adjustment - theirs.basis) < CENT
        and (
            theirs.wash == 0
            or (ours.broker_wash_applied and ours.wash_sale_adjustment == theirs.wash)
        )
    )


def likely_reason(ours: Ours, theirs: Theirs, *, account_relief: str) -> tuple[str, str]:
    adjusted = ours.cost_basis + ours.wash_sale_adjustment
    if ours.quantity == theirs.quantity:
        if theirs.wash > 0:
            return (
                Reason.BROKER_WASH,
                f"The custodian's basis {_money(theirs.basis)} includes a wash-sale adjustment "
                f"of {_money(theirs.wash)} it already applied (same account, identical shares; "
                f"ours: {_money(adjusted)}). Taking the file's records it as applied by the "
                "custodian, so the planner does not apply it a second time.",
            )
        if ours.wash_sale_adjustment > 0 and abs(ours.cost_basis - theirs.basis) < CENT:
            return (
                Reason.BASIS,
                f"The custodian's basis {_money(theirs.basis)} leaves out our wash-sale "
                f"adjustment of {_money(ours.wash_sale_adjustment)} (a wash sale across "
                "accounts, which custodians do not report). Keep ours unless the adjustment "
                "was wrong.",
            )
        return (
            Reason.BASIS,
            f"Same {_shares(theirs.quantity)} shares, but the basis differs by "
            f"{_money(theirs.basis - adjusted)} ({_money(theirs.basis)} in the file, "
            f"{_money(adjusted)} ours): a corrected cost, a return of capital or history we "
            "lack.",
        )
    ratio = split_ratio(ours.quantity, theirs.quantity)
    if ratio is not None and abs(adjusted - theirs.basis) < Decimal("1.00"):
        label = f"{_shares(ratio)}-for-1" if ratio >= 1 else f"1-for-{_shares(1 / ratio)}"
        return (
            Reason.SPLIT,
            f"Looks like a {label} split: the same basis {_money(theirs.basis)} over "
            f"{_shares(theirs.quantity)} shares instead of {_shares(ours.quantity)}. Taking the "
            "file's records the split.",
        )
    if theirs.relief_method and theirs.relief_method != account_relief:
        return (
            Reason.RELIEF,
            f"The custodian relieves this account's lots by "
            f"{RELIEF_LABELS.get(theirs.relief_method, theirs.relief_method)}, ours by "
            f"{RELIEF_LABELS.get(account_relief, account_relief)}: a sale took shares from "
            f"other lots ({_shares(theirs.quantity)} shares in the file, "
            f"{_shares(ours.quantity)} ours).",
        )
    fewer = theirs.quantity < ours.quantity
    gap = abs(ours.quantity - theirs.quantity)
    return (
        Reason.MISSING_HISTORY,
        f"The custodian holds {_shares(gap)} {'fewer' if fewer else 'more'} shares in this lot "
        f"({_shares(theirs.quantity)}, ours {_shares(ours.quantity)}): "
        + (
            "a sale or transfer out we have not recorded."
            if fewer
            else "a purchase, reinvestment or transfer in we have not recorded."
        ),
    )


def relief_explanation(total: Decimal, theirs_method: str, account_relief: str) -> str:
    method = RELIEF_LABELS.get(theirs_method or "", "another method")
    return (
        f"The account holds the same {_shares(total)} shares of this security in total, spread "
        f"over its lots differently: the custodian relieved other lots on a sale (its method: "
        f"{method}; ours: {RELIEF_LABELS.get(account_relief, account_relief)})."
    )

"""Wash-sale adjustments a custodian already applied: counted once, never twice.

A broker must adjust the basis of covered securities for a wash sale when the loss sale and the
replacement purchase are in the same account and are identical securities (the same CUSIP), and
report it on Form 1099-B (box 1g): Treas. Reg. §1.6045-1(d)(6)(iii); tax-rules.md §2,
"Reporting". A lot of the case format may say so: ``lots[].broker_wash_adjustment`` is the part
of its ``basis`` that is such an adjustment (``Lot.broker_wash``).

The engine still finds every wash sale itself, household-wide (IRC §1091(a); Reg.
§1.1091-1(b)–(e)): the loss sale is disallowed in full (Form 8949 code W) and the replacement's
holding period still includes the sold shares' (§1223(3)). Only the basis differs: when the
engine washes a loss sold in the same account and of the same symbol into such a lot, the
custodian's adjustment still in the lot's unused shares already holds that disallowed loss (up to
its amount), so only the rest is added (§1091(d): added once). Washes the broker does not
report — across accounts, the spouse's, an IRA, a substantially identical but different
security — are added in full, as always. An adjustment no wash of the case's history uses
(its loss sale came before the history) stays in the basis as the custodian reported it.
"""

from __future__ import annotations

from decimal import Decimal

from .lots import ZERO, Lot, Position
from .reasons import Reason

RULE = "Treas. Reg. §1.6045-1(d)(6)(iii) (Form 1099-B box 1g); IRC §1091(d)"
APPLIED = "broker_wash_applied"
KEPT = "broker_wash_kept"


def covered(replacement: Position, sold: Lot, disallowed: Decimal) -> Decimal:
    """How much of ``disallowed`` (a loss on shares of ``sold``, washed into ``replacement``)
    the custodian's adjustment already put in the replacement's basis: none unless the sale is
    in the same account and of the same symbol (the broker's own wash sale); then at most what
    is left of the adjustment in the lot's unused shares (its unadjusted rest)."""
    lot = replacement.lot
    if not lot.broker_wash or lot.account != sold.account or lot.symbol != sold.symbol:
        return ZERO
    rest = replacement.pieces[-1]
    if rest.adjusted:
        return ZERO
    return min(disallowed, rest.deferred)


def applied_reason(amount: Decimal, disallowed: Decimal) -> Reason:
    """The reason on a wash sale whose disallowed loss the custodian's adjustment covers."""
    added = disallowed - amount
    rest = f"; {added:,.2f} not reported by the custodian is added" if added else ""
    return Reason(
        APPLIED,
        f"Wash-sale adjustment of {amount:,.2f} already applied by the broker (Form 1099-B box "
        f"1g): not applied again{rest}. The loss is still disallowed and the holding period "
        "still includes the sold shares'.",
        f"{RULE}, §1223(3)",
    )


def kept_reason(amount: Decimal) -> Reason:
    """The reason on a lot's shares that keep a custodian's adjustment no wash of the case
    used: its loss sale is not in the case's history, so the basis stays as reported."""
    return Reason(
        KEPT,
        f"Basis includes the broker's wash-sale adjustment of {amount:,.2f} (Form 1099-B box "
        "1g), kept as reported: its loss sale is not in this history.",
        RULE,
    )

"""Planner step 3, replacements: a replacement never substantially identical (IRC §1091(a);
tax-rules.md §2, policy same_index_funds_identical), the do-not-buy list across covered accounts
(Pub 550; Rev. Rul. 2008-5), and the steps that keep the window clean (dividend reinvestment,
plan contributions).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from .lots import (
    ZERO,
)
from .reasons import Reason
from .wash_household import Kind
from .wash_sales import DIGITAL_ASSET_RULE

if TYPE_CHECKING:
    pass

from .opportunities import (
    harvest_domain,
)
from .plan_types import (
    Avoid,
    Recommendation,
    Recurring,
    Step,
    _any_of,
    _Candidate,
)

if TYPE_CHECKING:
    from .harvest import _Planner


def replacement(
    p: _Planner, c: _Candidate, sold_groups: Mapping[str, set[str]]
) -> tuple[str | None, Reason]:
    """The first entry of the firm's list that is not substantially identical to what is
    sold and is not itself sold at a loss by the plan (IRC §1091(a); Pub 550)."""
    if not p.identity.washable(c.symbol):
        return c.symbol, Reason(
            "buy_back_digital_asset",
            f"{c.symbol} can be bought back at once: the wash-sale rule covers stock or "
            "securities only, not a digital asset held directly.",
            DIGITAL_ASSET_RULE,
        )
    harvested = sold_groups.get(harvest_domain(p.accounts[c.account]), set())
    skipped: list[str] = []
    for candidate in p.rules.replacements.get(c.symbol, ()):
        if p.identity.identical(c.symbol, candidate):
            skipped.append(
                f"{candidate} is substantially identical to {c.symbol} under the firm's policy"
            )
            continue
        if p.identity.group_of(candidate) in harvested:
            skipped.append(f"{candidate} is itself sold at a loss in this plan")
            continue
        text = not_identical(p, c.symbol, candidate)
        if skipped:
            text += " Passed over: " + "; ".join(skipped) + "."
        return candidate, Reason(
            "replacement",
            text,
            "IRC §1091(a); Pub 550, Wash Sales (substantially identical); firm policy "
            "same_index_funds_identical",
        )
    why = "; ".join(skipped) + ". " if skipped else ""
    return None, Reason(
        "no_replacement",
        f"{why}The firm's replacement list has no usable replacement for {c.symbol}: hold "
        "the cash, or choose a security that is not substantially identical (another "
        "company's stock, or a fund following a different index).",
        "IRC §1091(a); Pub 550, Wash Sales",
    )


def not_identical(p: _Planner, sold: str, bought: str) -> str:
    a, b = p.securities.get(sold), p.securities.get(bought)
    if a is not None and b is not None and a.tracks and b.tracks:
        if a.tracks != b.tracks:
            return (
                f"Buy {bought} to keep the exposure: it follows the {b.tracks} index, "
                f"{sold} the {a.tracks} index. Funds following different indexes are not "
                "substantially identical, and it is not another share class of "
                f"{sold}."
            )
        return (
            f"Buy {bought} to keep the exposure. Both follow the {a.tracks} index, but the "
            "firm's policy does not treat funds following the same index as substantially "
            "identical (same_index_funds_identical is off)."
        )
    if a is not None and b is not None and a.kind is b.kind is Kind.STOCK:
        return (
            f"Buy {bought} to keep the exposure: stock of another company is ordinarily not "
            f"substantially identical to {sold}."
        )
    return (
        f"Buy {bought} to keep the exposure: it is a different security, not another share "
        f"class of {sold} and not following the same index."
    )


def avoid(p: _Planner, c: _Candidate) -> Avoid:
    accounts = p.covered(c.account)
    symbols = p.group_symbols(c.symbol)
    plain = [p.label(a) for a in accounts if not p.accounts[a].permanent]
    lost = [p.label(a) for a in accounts if p.accounts[a].permanent]
    where = f"in {_any_of(plain)}" if plain else ""
    if lost:
        where += (", nor " if plain else "in ") + (
            f"in {_any_of(lost)}, where a purchase would make the loss permanent"
        )
    alike = f" (nor {_any_of(symbols[1:])}: substantially identical)" if symbols[1:] else ""
    return Avoid(
        symbols=symbols,
        accounts=accounts,
        through=p.through,
        reason=Reason(
            "do_not_buy",
            f"Through {p.through.isoformat()}, buy no {c.symbol}{alike} {where}. "
            "A purchase in the 30 days after the sale — a dividend reinvestment or a "
            "plan contribution included — would wash the loss.",
            "IRC §1091(a); Pub 550, Wash Sales (spouse; dividend reinvestment); "
            "Rev. Rul. 2008-5 (IRAs)",
        ),
    )


def steps(
    p: _Planner, c: _Candidate, sold: Mapping[tuple[str, str], Decimal]
) -> list[Recommendation]:
    """Recurring purchases that would buy into the window: switch the dividends to cash,
    change the contribution allocation (IRC §1091(a); Pub 550; Rev. Rul. 2008-5)."""
    group = p.identity.group_of(c.symbol)
    covered = set(p.covered(c.account))
    steps: list[Recommendation] = []
    for recurring in p.rules.recurring:
        if recurring.account not in covered or p.identity.group_of(recurring.symbol) != (group):
            continue
        account = p.accounts[recurring.account]
        lost = (
            " — for good, since the account's basis cannot take the loss"
            if account.permanent
            else ""
        )
        where = p.label(recurring.account)
        if recurring.kind is Recurring.REINVEST:
            held = sum(
                (
                    o.quantity
                    for o in p.held.values()
                    if o.lot.account == recurring.account
                    and p.identity.group_of(o.lot.symbol) == group
                ),
                ZERO,
            )
            if held <= sold.get((recurring.account, group), ZERO):
                continue  # the plan sells every share: no dividend left to reinvest
            step = Step.SWITCH_DRIP
            reason = Reason(
                "switch_drip",
                f"Dividends of {recurring.symbol} in {where} are reinvested (last on "
                f"{recurring.last.isoformat()}). A reinvestment through "
                f"{p.through.isoformat()} would wash the {c.symbol} loss harvested "
                f"here{lost}. Switch them to cash until then.",
                "IRC §1091(a); Pub 550, Wash Sales (dividend reinvestment is a purchase)"
                + ("; Rev. Rul. 2008-5" if account.permanent else ""),
            )
        else:
            step = Step.CHANGE_CONTRIBUTION
            reason = Reason(
                "change_contribution",
                f"The contribution allocation of {where} buys {recurring.symbol} (last on "
                f"{recurring.last.isoformat()}). A contribution through "
                f"{p.through.isoformat()} would wash the {c.symbol} loss harvested "
                f"here{lost}. Direct contributions to a fund that is not substantially "
                "identical until then.",
                "IRC §1091(a); tax-rules.md §1 (policy employer_plan_purchase_triggers)",
            )
        steps.append(
            Recommendation(
                step=step,
                account=recurring.account,
                symbol=recurring.symbol,
                reason=reason,
                do_not_buy_through=p.through,
            )
        )
    return steps

"""Deductions of the whole return (tax-rules.md §7): standard or itemized, and the senior deduction.

Rules: IRC §63(c) (basic standard deduction) and §63(f) (an additional amount per condition —
65 or older, blind — per person: Pub 501, "Standard Deduction for Age 65 or Older"); §63(e)
(itemize or not: the larger is used); §164(b)(6)-(7) as amended by OBBBA §70120 (the state and
local tax cap and its phase-down above the MAGI threshold, never below the floor); §68 as amended
by OBBBA §70111 (from 2026: itemized deductions reduced by 2/37 of the lesser of those deductions
and the amount by which taxable income, increased by them, exceeds the start of the 37% bracket);
§151(d)(5)(C) as added by OBBBA §70103 (the senior deduction, 2025-2028: $6,000 per person 65 or
older, less 6% of MAGI over $75,000 / $150,000 joint, per person as on Schedule 1-A Part V; a
married person must file jointly; taken whether or not the return itemizes).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .tax_tables import ReturnFigures

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class ReturnFacts:
    """What the whole return needs besides income: qualified dividends (part of the ordinary
    dividends in the investment income), §63(f) boxes checked (65+ and blind, per person),
    people 65 or older for the senior deduction, and itemized deductions when given
    (``state_local_taxes`` None: the return does not itemize)."""

    qualified_dividends: Decimal = ZERO
    boxes: int = 0
    seniors: int = 0
    state_local_taxes: Decimal | None = None
    other_itemized: Decimal = ZERO

    @property
    def plain(self) -> bool:
        """Nothing beyond version 1 of the case format: the standard deduction alone."""
        return (
            self.boxes == 0
            and self.seniors == 0
            and self.state_local_taxes is None
            and self.qualified_dividends == 0
        )


PLAIN = ReturnFacts()


@dataclass(frozen=True, slots=True)
class Deductions:
    """Form 1040 line 12 (``amount``, ``kind``) and the Schedule 1-A senior deduction.

    ``standard`` includes the §63(f) additional amounts; ``itemized`` is after the SALT cap and
    the §68 ``reduction``; ``salt`` is the capped state and local taxes (Schedule A line 7)."""

    kind: str
    amount: Decimal
    standard: Decimal
    itemized: Decimal
    salt: Decimal
    reduction: Decimal
    senior: Decimal


def salt_cap(figures: ReturnFigures, magi: Decimal) -> Decimal:
    """The §164(b)(7) cap: reduced by 30% of MAGI over the threshold, never below the floor."""
    excess = max(ZERO, magi - figures.salt_threshold)
    return max(figures.salt_floor, figures.salt_cap - figures.salt_rate * excess)


def senior_deduction(figures: ReturnFigures, seniors: int, magi: Decimal) -> Decimal:
    """§151(d)(5)(C): each qualifying person's $6,000 less 6% of MAGI over the threshold."""
    if seniors <= 0 or figures.senior_amount <= 0:
        return ZERO
    cut = figures.senior_rate * max(ZERO, magi - figures.senior_threshold)
    return seniors * max(ZERO, figures.senior_amount - cut)


def deductions_of(
    *,
    facts: ReturnFacts,
    figures: ReturnFigures,
    basic_standard: Decimal,
    agi: Decimal,
    top_bracket: Decimal,
    kind: str = "",
) -> Deductions:
    """The deductions of a return with adjusted gross income ``agi`` (= MAGI here).

    ``top_bracket`` is the bottom of the 37% bracket (§68). The larger of the standard and the
    (reduced) itemized deductions is used (§63(b), (e)), unless ``kind`` ("standard" or
    "itemized") says which (the caller compares the tax both ways)."""
    standard = basic_standard + facts.boxes * figures.additional_standard
    senior = senior_deduction(figures, facts.seniors, agi)
    if facts.state_local_taxes is None:
        return Deductions("standard", standard, standard, ZERO, ZERO, ZERO, senior)
    salt = min(facts.state_local_taxes, salt_cap(figures, agi))
    gross = salt + facts.other_itemized
    reduction = ZERO
    if figures.itemized_reduction_rate > 0 and gross > 0:
        # §68(a): taxable income determined without §68, increased by the itemized
        # deductions = AGI less the other below-the-line deductions (the senior deduction).
        excess = max(ZERO, agi - senior - top_bracket)
        reduction = figures.itemized_reduction_rate * min(gross, excess)
    itemized = gross - reduction
    if kind == "itemized" or (kind == "" and itemized > standard):
        return Deductions("itemized", itemized, standard, itemized, salt, reduction, senior)
    return Deductions("standard", standard, standard, itemized, salt, reduction, senior)

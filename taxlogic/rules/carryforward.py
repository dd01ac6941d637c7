"""Netting, the capital loss limit and the carryforward (tax-rules.md §4).

Rules: IRC §1222 (netting by character), §1211(b) (the $3,000 / $1,500 limit), §1212(b) (the
carryover keeps its character; the deduction is treated as a short-term gain, but never more
than adjusted taxable income); Schedule D (Form 1040) lines 7, 15, 16 and 21; and the Schedule D
instructions' Capital Loss Carryover Worksheet, lines 1–13, followed line by line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .reasons import Reason
from .tax_tables import capital_loss_limit, parse_filing_status

ZERO = Decimal("0")
CENT = Decimal("0.01")

WORKSHEET = "Schedule D instructions, Capital Loss Carryover Worksheet"


def to_cents(amount: Decimal) -> Decimal:
    """Round money to the cent, half up (the case format's rule)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(amount: Decimal) -> str:
    """``$3,000`` or ``$1,234.56`` for a reason's text."""
    cents = to_cents(abs(amount))
    sign = "-" if amount < 0 and cents else ""
    if cents == cents.to_integral_value():
        return f"{sign}${cents:,.0f}"
    return f"{sign}${cents:,.2f}"


@dataclass(frozen=True, slots=True)
class ScheduleD:
    """Schedule D lines 7, 15, 16 and 21 and next year's carryover, with the worksheet.

    ``short_term`` = line 7, ``long_term`` = line 15, ``net`` = line 16 (signed);
    ``deduction`` = line 21 as a positive amount; ``carryforward_short`` /
    ``carryforward_long`` = worksheet lines 8 and 13 (positive loss amounts). ``worksheet``
    holds the lines of the Capital Loss Carryover Worksheet that were filled in (lines the
    worksheet says to skip are absent, and so are lines 1 and 3 when taxable income was not
    given); it is empty when line 16 is not a loss.
    """

    short_term: Decimal
    long_term: Decimal
    net: Decimal
    deduction: Decimal
    carryforward_short: Decimal
    carryforward_long: Decimal
    worksheet: dict[int, Decimal] = field(default_factory=dict)
    reasons: tuple[Reason, ...] = ()

    @property
    def deduction_used(self) -> Decimal:
        """Worksheet line 4: the part of the deduction that reduced taxable income."""
        return self.worksheet.get(4, self.deduction)

    @property
    def restored(self) -> Decimal:
        """Worksheet line 2 − line 4: the part of the deduction restored to the carryover."""
        return self.deduction - self.deduction_used

    def to_json(self) -> dict[str, object]:
        return {
            "short_term": f"{to_cents(self.short_term):.2f}",
            "long_term": f"{to_cents(self.long_term):.2f}",
            "net": f"{to_cents(self.net):.2f}",
            "deduction": f"{to_cents(self.deduction):.2f}",
            "carryforward_out": {
                "short_term": f"{to_cents(self.carryforward_short):.2f}",
                "long_term": f"{to_cents(self.carryforward_long):.2f}",
            },
        }


def schedule_d(
    *,
    short_term_results: Decimal,
    long_term_results: Decimal,
    carryforward_in_short: Decimal,
    carryforward_in_long: Decimal,
    filing_status: str,
    taxable_income_before_capital: Decimal | None,
    explain: bool = True,
) -> ScheduleD:
    """Net the year by character and carry the unused loss over: IRC §§1211(b), 1212(b), 1222.

    Schedule D line 7 = short-term results − the short-term carryover (line 6); line 15 =
    long-term results − the long-term carryover (line 14); line 16 = line 7 + line 15; line 21 =
    the smaller of the line 16 loss and $3,000 ($1,500 married filing separately). The carryover
    to next year follows the Capital Loss Carryover Worksheet lines 1–13 exactly, whose line 1 is
    taxable income after the line 21 deduction, negative if it would be a loss
    (``taxable_income_before_capital`` − line 21). ``taxable_income_before_capital`` of ``None``
    means taxable income is large enough that the whole deduction is used. With ``explain``
    false the reasons are left out (the same figures, for a comparison nobody reads).
    """
    status = parse_filing_status(filing_status)
    if carryforward_in_short < 0 or carryforward_in_long < 0:
        raise ValueError("carryforward_in amounts are losses given as positive amounts")

    line_7 = short_term_results - carryforward_in_short
    line_15 = long_term_results - carryforward_in_long
    line_16 = line_7 + line_15
    limit = capital_loss_limit(status)

    if line_16 >= 0:
        return ScheduleD(
            short_term=line_7,
            long_term=line_15,
            net=line_16,
            deduction=ZERO,
            carryforward_short=ZERO,
            carryforward_long=ZERO,
            worksheet={},
            reasons=(_no_net_loss_reason(line_7=line_7, line_15=line_15, line_16=line_16),)
            if explain
            else (),
        )

    net_loss = -line_16
    deduction = min(net_loss, limit)
    worksheet = _carryover_worksheet(
        line_7=line_7,
        line_15=line_15,
        deduction=deduction,
        taxable_income_before_capital=taxable_income_before_capital,
    )
    carry_short = worksheet.get(8, ZERO)
    carry_long = worksheet.get(13, ZERO)
    reasons = (
        ()
        if not explain
        else _loss_reasons(
            status=status,
            line_7=line_7,
            line_15=line_15,
            limit=limit,
            deduction=deduction,
            worksheet=worksheet,
            carry_short=carry_short,
            carry_long=carry_long,
            income_given=taxable_income_before_capital is not None,
        )
    )
    return ScheduleD(
        short_term=line_7,
        long_term=line_15,
        net=line_16,
        deduction=deduction,
        carryforward_short=carry_short,
        carryforward_long=carry_long,
        worksheet=worksheet,
        reasons=reasons,
    )


def _carryover_worksheet(
    *,
    line_7: Decimal,
    line_15: Decimal,
    deduction: Decimal,
    taxable_income_before_capital: Decimal | None,
) -> dict[int, Decimal]:
    """Capital Loss Carryover Worksheet lines 1–13 (Schedule D instructions; IRC §1212(b)).

    Lines 1–4 limit the deduction treated as used to adjusted taxable income (§1212(b)(2));
    lines 5–8 give the short-term carryover, which the used deduction consumes first and a
    long-term gain absorbs; lines 9–13 the long-term carryover, absorbed by a short-term gain
    and by what of the used deduction the short-term loss did not take.
    """
    ws: dict[int, Decimal] = {}
    ws[2] = deduction
    if taxable_income_before_capital is None:
        # Taxable income large enough: line 3 ≥ line 2, so line 4 = line 2.
        ws[4] = deduction
    else:
        ws[1] = taxable_income_before_capital - deduction
        ws[3] = max(ZERO, ws[1] + ws[2])
        ws[4] = min(ws[2], ws[3])

    if line_7 < 0:
        ws[5] = -line_7
        ws[6] = max(ZERO, line_15)
        ws[7] = ws[4] + ws[6]
        ws[8] = max(ZERO, ws[5] - ws[7])
    else:
        ws[5] = ZERO  # "otherwise, enter -0- on line 5 and go to line 9"

    if line_15 < 0:
        ws[9] = -line_15
        ws[10] = max(ZERO, line_7)
        ws[11] = max(ZERO, ws[4] - ws[5])
        ws[12] = ws[10] + ws[11]
        ws[13] = max(ZERO, ws[9] - ws[12])
    return dict(sorted(ws.items()))


def _no_net_loss_reason(*, line_7: Decimal, line_15: Decimal, line_16: Decimal) -> Reason:
    if line_16 == 0:
        return Reason(
            code="net_zero",
            text=(
                "Short-term and long-term results net to zero: there is no capital loss to "
                "deduct and nothing carries forward."
            ),
            rule="IRC §1222; Schedule D, line 16",
        )
    absorbed = ""
    if line_7 < 0 or line_15 < 0:
        absorbed = " The losses of one character (carryovers included) were absorbed by gains."
    return Reason(
        code="net_gain",
        text=(
            f"The year nets to a capital gain of {money_text(line_16)}: no loss deduction, and "
            f"nothing carries forward.{absorbed}"
        ),
        rule="IRC §1222; Schedule D, line 16",
    )


def _loss_reasons(
    *,
    status: str,
    line_7: Decimal,
    line_15: Decimal,
    limit: Decimal,
    deduction: Decimal,
    worksheet: dict[int, Decimal],
    carry_short: Decimal,
    carry_long: Decimal,
    income_given: bool,
) -> tuple[Reason, ...]:
    net_loss = -(line_7 + line_15)
    limit_text = money_text(limit)
    if status == "married_separate":
        limit_text += " limit for married filing separately"
    else:
        limit_text += " limit"
    reasons: list[Reason] = []

    if net_loss > limit:
        reasons.append(
            Reason(
                code="loss_limit",
                text=(
                    f"The net capital loss of {money_text(net_loss)} exceeds the {limit_text}: "
                    f"{money_text(deduction)} is deducted against other income and the rest "
                    "carries forward."
                ),
                rule="IRC §1211(b); Schedule D, line 21",
            )
        )
    else:
        reasons.append(
            Reason(
                code="loss_deducted_in_full",
                text=(
                    f"The net capital loss of {money_text(net_loss)} is within the {limit_text} "
                    "and is deducted in full against other income."
                ),
                rule="IRC §1211(b); Schedule D, line 21",
            )
        )

    if not income_given:
        reasons.append(
            Reason(
                code="taxable_income_assumed",
                text=(
                    "Taxable income is taken to be large enough to use the whole deduction "
                    "(no income was given)."
                ),
                rule=f"IRC §1212(b)(2); {WORKSHEET}, lines 1–4",
            )
        )

    used = worksheet[4]
    restored = deduction - used
    if restored > 0:
        if used == 0:
            text = (
                "Taxable income was zero or less even before the capital loss deduction, so "
                f"none of the {money_text(deduction)} deduction was used; all of it is restored "
                "to the carryforward."
            )
        else:
            text = (
                f"Only {money_text(used)} of the {money_text(deduction)} deduction could be used "
                "because taxable income was low; the other "
                f"{money_text(restored)} is restored to the carryforward."
            )
        reasons.append(
            Reason(
                code="deduction_restored",
                text=text,
                rule=f"IRC §1212(b)(2); {WORKSHEET}, lines 1–4",
            )
        )

    if line_7 < 0 and line_15 > 0:
        absorbed = min(line_15, -line_7)
        reasons.append(
            Reason(
                code="gain_absorbs_other_character",
                text=(
                    f"The long-term gain of {money_text(line_15)} absorbed "
                    f"{money_text(absorbed)} of the short-term loss first."
                ),
                rule=f"IRC §1222; {WORKSHEET}, lines 6–8",
            )
        )
    elif line_15 < 0 and line_7 > 0:
        absorbed = min(line_7, -line_15)
        reasons.append(
            Reason(
                code="gain_absorbs_other_character",
                text=(
                    f"The short-term gain of {money_text(line_7)} absorbed "
                    f"{money_text(absorbed)} of the long-term loss first."
                ),
                rule=f"IRC §1222; {WORKSHEET}, lines 10–13",
            )
        )
    elif line_7 < 0 and line_15 < 0 and used > 0:
        reasons.append(
            Reason(
                code="deduction_uses_short_term_first",
                text=(
                    f"The {money_text(used)} deduction used comes out of the short-term loss "
                    "first; only what the short-term loss cannot cover reduces the long-term "
                    "loss."
                ),
                rule=f"IRC §1212(b)(1); {WORKSHEET}, lines 5–8 and 11",
            )
        )

    if carry_short > 0:
        reasons.append(
            Reason(
                code="carryforward_short_term",
                text=(
                    f"{money_text(carry_short)} of short-term loss carries forward to next year "
                    "and stays short-term."
                ),
                rule=f"IRC §1212(b)(1)(A); {WORKSHEET}, line 8",
            )
        )
    if carry_long > 0:
        reasons.append(
            Reason(
                code="carryforward_long_term",
                text=(
                    f"{money_text(carry_long)} of long-term loss carries forward to next year "
                    "and stays long-term."
                ),
                rule=f"IRC §1212(b)(1)(B); {WORKSHEET}, line 13",
            )
        )
    if carry_short == 0 and carry_long == 0:
        reasons.append(
            Reason(
                code="no_carryforward",
                text="Nothing carries forward: the whole net loss was deducted this year.",
                rule=f"IRC §1212(b); {WORKSHEET}",
            )
        )
    return tuple(reasons)

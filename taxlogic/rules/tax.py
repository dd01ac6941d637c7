"""Federal income tax and NIIT by formula (tax-rules.md §5), not by the IRS Tax Table.

Rules: IRC §1 (ordinary brackets), §1(h) and the Form 1040 instructions' Qualified Dividends and
Capital Gain Tax Worksheet (net capital gain stacked on top of ordinary taxable income and taxed
at 0/15/20%), §63 (standard deduction), §1211(b) (the capital loss deduction), §1411 with Treas.
Reg. §1.1411-4 and Form 8960 (NIIT; the §1211(b) loss may reduce net investment income, which is
never below zero).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from .carryforward import ZERO, ScheduleD, money_text, to_cents
from .reasons import Reason
from .tax_tables import Bracket, parse_filing_status, tax_year_table

QDCGT = "Form 1040 instructions, Qualified Dividends and Capital Gain Tax Worksheet"


@dataclass(frozen=True, slots=True)
class TaxResult:
    """One year's federal income tax and NIIT, with the parts that make them up.

    ``ordinary_taxable`` is taxed at the ordinary brackets and ``preferential`` (the net capital
    gain within taxable income) at 0/15/20%; ``marginal_rate`` is the ordinary rate on the last
    dollar of ordinary taxable income (0 when there is none).
    """

    agi: Decimal
    taxable_income: Decimal
    ordinary_taxable: Decimal
    preferential: Decimal
    ordinary_tax: Decimal
    capital_gains_tax: Decimal
    income_tax: Decimal
    niit: Decimal
    total: Decimal
    marginal_rate: Decimal
    reasons: tuple[Reason, ...] = ()

    def to_json(self) -> dict[str, str]:
        return {
            "taxable_income": f"{to_cents(self.taxable_income):.2f}",
            "income_tax": f"{to_cents(self.income_tax):.2f}",
            "niit": f"{to_cents(self.niit):.2f}",
            "total": f"{to_cents(self.total):.2f}",
        }


def ordinary_tax_on(amount: Decimal, brackets: tuple[Bracket, ...]) -> Decimal:
    """Tax on ``amount`` at the ordinary rates of IRC §1, by formula (unrounded)."""
    tax = ZERO
    for index, bracket in enumerate(brackets):
        if amount <= bracket.bottom:
            break
        top = brackets[index + 1].bottom if index + 1 < len(brackets) else amount
        tax += bracket.rate * (min(amount, top) - bracket.bottom)
    return tax


def _percent(rate: Decimal) -> str:
    """``0.038`` → ``3.8%``."""
    return f"{(rate * 100).normalize():f}%"


def marginal_rate_on(amount: Decimal, brackets: tuple[Bracket, ...]) -> Decimal:
    """The IRC §1 rate of the bracket holding the last dollar of ``amount`` (0 if none).

    A bracket runs from just above its bottom up to and including the next bottom.
    """
    rate = ZERO
    for bracket in brackets:
        if amount > bracket.bottom:
            rate = bracket.rate
    return rate


def federal_tax(
    *,
    tax_year: int,
    filing_status: str,
    ordinary_income: Decimal,
    investment_income: Decimal,
    schedule: ScheduleD,
    explain: bool = True,
) -> TaxResult:
    """Income tax and NIIT of one return: IRC §§1, 1(h), 63, 1211(b), 1411.

    AGI = ordinary + investment income + Schedule D line 16 if a gain, else − line 21;
    taxable income = max(0, AGI − standard deduction). Net capital gain (the smaller of line 15
    and line 16, when both are gains) is stacked on top of ordinary taxable income and taxed by
    the Qualified Dividends and Capital Gain Tax Worksheet, lines 1–25 (line 25: the smaller of
    that and the regular tax on all taxable income). NIIT (§1411, Form 8960) = 3.8% of the
    smaller of net investment income — investment income plus the line 16 gain or minus the
    line 21 loss (Reg. §1.1411-4(d)(2)), never below zero — and MAGI (= AGI) over the
    threshold. Each tax is rounded to the cent, half up, once, at its end. With ``explain``
    false the reasons are left out (the same figures).
    """
    table = tax_year_table(tax_year)
    status = parse_filing_status(filing_status)
    figures = table.figures(status)
    brackets = figures.brackets
    rate_0, rate_15, rate_20 = table.capital_gain_rates
    reasons: list[Reason] = []

    def note(reason: Callable[[], Reason]) -> None:
        # Reasons are worded only when asked for: a comparison of two plans needs the figures.
        if explain:
            reasons.append(reason())

    capital = schedule.net if schedule.net > 0 else -schedule.deduction
    agi = ordinary_income + investment_income + capital
    taxable = max(ZERO, agi - figures.standard_deduction)
    note(
        lambda: Reason(
            code="standard_deduction",
            text=(
                f"Taxable income is AGI of {money_text(agi)} less the "
                f"{money_text(figures.standard_deduction)} standard deduction"
                + (", but not below zero." if taxable == 0 else ".")
            ),
            rule="IRC §63(c); Form 1040, lines 11–15",
        )
    )
    if schedule.deduction > 0:
        note(
            lambda: Reason(
                code="capital_loss_deduction",
                text=(
                    f"The capital loss deduction of {money_text(schedule.deduction)} reduces "
                    "ordinary income."
                ),
                rule="IRC §1211(b); Schedule D, line 21; Form 1040, line 7",
            )
        )

    net_capital_gain = ZERO
    if schedule.long_term > 0 and schedule.net > 0:
        net_capital_gain = min(schedule.long_term, schedule.net)

    regular_exact = ordinary_tax_on(taxable, brackets)  # worksheet line 24
    regular_tax = to_cents(regular_exact)
    if net_capital_gain > 0 and taxable > 0:
        ws = _qdcgt_worksheet(
            taxable=taxable,
            net_capital_gain=net_capital_gain,
            zero_top=figures.zero_rate_top,
            fifteen_top=figures.fifteen_rate_top,
            rate_15=rate_15,
            rate_20=rate_20,
            brackets=brackets,
        )
        # Line 25, rounded once: the income tax is to_cents(min(line 23, line 24)); the part
        # at the capital-gain rates is what the rounded total leaves after the ordinary part.
        ordinary_tax = to_cents(ws[22])
        capital_gains_tax = to_cents(ws[23]) - ordinary_tax
        if ws[23] <= regular_exact:
            ordinary_taxable, preferential = ws[5], ws[10]
            note(
                lambda: Reason(
                    code="capital_gain_rates",
                    text=(
                        f"Net capital gain of {money_text(ws[10])} is stacked on top of "
                        f"{money_text(ws[5])} of ordinary taxable income: {money_text(ws[9])} "
                        f"at {_percent(rate_0)}, {money_text(ws[17])} at {_percent(rate_15)} and "
                        f"{money_text(ws[20])} at {_percent(rate_20)}."
                    ),
                    rule=f"IRC §1(h)(1); {QDCGT}, lines 1–23",
                )
            )
        else:
            # Line 25 takes the smaller; this happens only where the 0% top sits just below
            # the 22% bracket, so 15% on a gain would exceed the 12% ordinary rate.
            ordinary_taxable, preferential = taxable, ZERO
            ordinary_tax, capital_gains_tax = regular_tax, ZERO
            note(
                lambda: Reason(
                    code="regular_tax_lower",
                    text=(
                        "The regular tax on all taxable income is lower than the capital-gain "
                        "computation, so it is used."
                    ),
                    rule=f"IRC §1(h)(1); {QDCGT}, line 25",
                )
            )
    else:
        ordinary_taxable, preferential = taxable, ZERO
        ordinary_tax, capital_gains_tax = regular_tax, ZERO
        if schedule.net > 0 and net_capital_gain == 0:
            note(
                lambda: Reason(
                    code="short_term_gain_ordinary",
                    text=(
                        "There is no net capital gain (net long-term gain less net short-term "
                        "loss), so the whole gain is taxed at ordinary rates."
                    ),
                    rule="IRC §1222(11); §1(h)",
                )
            )
    income_tax = ordinary_tax + capital_gains_tax

    marginal_rate = marginal_rate_on(ordinary_taxable, brackets)
    if ordinary_taxable > 0:
        note(
            lambda: Reason(
                code="marginal_rate",
                text=(
                    "The last dollar of ordinary taxable income is taxed at "
                    f"{_percent(marginal_rate)}."
                ),
                rule="IRC §1",
            )
        )

    nii = max(ZERO, investment_income + capital)
    threshold = figures.niit_threshold
    excess = max(ZERO, agi - threshold)
    niit = to_cents(table.niit_rate * min(nii, excess))
    if niit > 0:
        note(
            lambda: Reason(
                code="niit",
                text=(
                    f"Net investment income tax: {_percent(table.niit_rate)} of the smaller of "
                    f"net investment income ({money_text(nii)}) and modified AGI over "
                    f"{money_text(threshold)} "
                    f"({money_text(excess)})."
                ),
                rule="IRC §1411; Treas. Reg. §1.1411-4; Form 8960",
            )
        )
    else:
        why = (
            f"modified AGI is not over the {money_text(threshold)} threshold"
            if excess == 0
            else "there is no net investment income"
        )
        note(
            lambda: Reason(
                code="no_niit",
                text=f"No net investment income tax: {why}.",
                rule="IRC §1411(a)(1), (b); Form 8960",
            )
        )

    return TaxResult(
        agi=to_cents(agi),
        taxable_income=to_cents(taxable),
        ordinary_taxable=to_cents(ordinary_taxable),
        preferential=to_cents(preferential),
        ordinary_tax=ordinary_tax,
        capital_gains_tax=capital_gains_tax,
        income_tax=income_tax,
        niit=niit,
        total=income_tax + niit,
        marginal_rate=marginal_rate,
        reasons=tuple(reasons),
    )


def _qdcgt_worksheet(
    *,
    taxable: Decimal,
    net_capital_gain: Decimal,
    zero_top: Decimal,
    fifteen_top: Decimal,
    rate_15: Decimal,
    rate_20: Decimal,
    brackets: tuple[Bracket, ...],
) -> dict[int, Decimal]:
    """Qualified Dividends and Capital Gain Tax Worksheet lines 1–23 (IRC §1(h)(1)).

    No qualified dividends (line 2 = 0): the case format's investment income is ordinary.
    """
    ws: dict[int, Decimal] = {1: taxable, 2: ZERO, 3: net_capital_gain}
    ws[4] = ws[2] + ws[3]
    ws[5] = max(ZERO, ws[1] - ws[4])
    ws[6] = zero_top
    ws[7] = min(ws[1], ws[6])
    ws[8] = min(ws[5], ws[7])
    ws[9] = ws[7] - ws[8]  # taxed at 0%
    ws[10] = min(ws[1], ws[4])
    ws[11] = ws[9]
    ws[12] = ws[10] - ws[11]
    ws[13] = fifteen_top
    ws[14] = min(ws[1], ws[13])
    ws[15] = ws[5] + ws[9]
    ws[16] = max(ZERO, ws[14] - ws[15])
    ws[17] = min(ws[12], ws[16])
    ws[18] = ws[17] * rate_15
    ws[19] = ws[9] + ws[17]
    ws[20] = ws[10] - ws[19]
    ws[21] = ws[20] * rate_20
    ws[22] = ordinary_tax_on(ws[5], brackets)
    ws[23] = ws[18] + ws[21] + ws[22]
    return ws


def tax_saved(*, before: TaxResult, after: TaxResult) -> Decimal:
    """Total tax (income tax + NIIT, IRC §§1, 1411) saved going from ``before`` to ``after``.

    Negative when ``after`` costs more.
    """
    return before.total - after.total

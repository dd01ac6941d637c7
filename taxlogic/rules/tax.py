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

from .amt import Amt, alternative_minimum_tax
from .carryforward import ZERO, ScheduleD, money_text, to_cents
from .deductions import PLAIN, Deductions, ReturnFacts, deductions_of
from .reasons import Reason
from .tax_tables import (
    Bracket,
    ReturnFigures,
    parse_filing_status,
    return_figures,
    tax_year_table,
)

_FIGURES: dict[tuple[int, str], ReturnFigures] = {}


def figures_of(tax_year: int, filing_status: str) -> ReturnFigures:
    """``return_figures`` kept once per year and status (the planner asks thousands of times)."""
    key = (tax_year, filing_status)
    found = _FIGURES.get(key)
    if found is None:
        found = _FIGURES[key] = return_figures(tax_year, filing_status)
    return found


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
    regular_tax: Decimal = ZERO
    amt: Decimal = ZERO
    deduction: Deductions | None = None
    minimum: Amt | None = None
    qualified_dividends: Decimal = ZERO

    def to_json(self) -> dict[str, object]:
        deduction = self.deduction
        out: dict[str, object] = {
            "agi": f"{to_cents(self.agi):.2f}",
            "taxable_income": f"{to_cents(self.taxable_income):.2f}",
            "deduction": {
                "kind": deduction.kind if deduction else "standard",
                "amount": f"{to_cents(deduction.amount if deduction else ZERO):.2f}",
            },
            "senior_deduction": f"{to_cents(deduction.senior if deduction else ZERO):.2f}",
            "qualified_dividends": f"{to_cents(self.qualified_dividends):.2f}",
            "regular_tax": f"{to_cents(self.regular_tax):.2f}",
            "amt": f"{to_cents(self.amt):.2f}",
            "income_tax": f"{to_cents(self.income_tax):.2f}",
            "niit": f"{to_cents(self.niit):.2f}",
            "total": f"{to_cents(self.total):.2f}",
        }
        if self.minimum is not None:
            out["amti"] = f"{to_cents(self.minimum.amti):.2f}"
            out["amt_exemption"] = f"{to_cents(self.minimum.exemption):.2f}"
            out["tentative_minimum_tax"] = f"{to_cents(self.minimum.tentative):.2f}"
        return out


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
    facts: ReturnFacts = PLAIN,
) -> TaxResult:
    """Income tax (regular tax + AMT) and NIIT of one return: IRC §§1, 1(h), 55, 63, 1211(b),
    1411. With itemized deductions given, the return itemizes or not, whichever gives the lower
    income tax (§63(e): itemizing is an election, and a smaller itemized deduction can still win
    through the AMT, which adds back only the state and local taxes); on a tie the return
    takes the standard deduction (as Tax-Calculator does). See ``_federal_tax``."""
    if facts.state_local_taxes is None:
        return _federal_tax(
            tax_year=tax_year,
            filing_status=filing_status,
            ordinary_income=ordinary_income,
            investment_income=investment_income,
            schedule=schedule,
            explain=explain,
            facts=facts,
            kind="",
        )
    results = [
        _federal_tax(
            tax_year=tax_year,
            filing_status=filing_status,
            ordinary_income=ordinary_income,
            investment_income=investment_income,
            schedule=schedule,
            explain=explain,
            facts=facts,
            kind=kind,
        )
        for kind in ("itemized", "standard")
    ]
    itemized, standard = results
    return itemized if itemized.income_tax < standard.income_tax else standard


def _federal_tax(
    *,
    tax_year: int,
    filing_status: str,
    ordinary_income: Decimal,
    investment_income: Decimal,
    schedule: ScheduleD,
    explain: bool,
    facts: ReturnFacts,
    kind: str,
) -> TaxResult:
    """Income tax and NIIT of one return with the deduction ``kind`` ("" = the larger).

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
    whole = figures_of(tax_year, status)
    deduction = deductions_of(
        facts=facts,
        figures=whole,
        basic_standard=figures.standard_deduction,
        agi=agi,
        top_bracket=brackets[-1].bottom,
        kind=kind,
    )
    taxable = max(ZERO, agi - deduction.amount - deduction.senior)
    if deduction.kind == "standard":
        extra = deduction.standard - figures.standard_deduction
        note(
            lambda: Reason(
                code="standard_deduction",
                text=(
                    f"Taxable income is AGI of {money_text(agi)} less the "
                    f"{money_text(deduction.amount)} standard deduction"
                    + (
                        f" (including {money_text(extra)} for age 65 or older or blindness)"
                        if extra > 0
                        else ""
                    )
                    + (", but not below zero." if taxable == 0 and deduction.senior == 0 else ".")
                ),
                rule="IRC §63(c), §63(f); Form 1040, lines 11–15; Pub 501",
            )
        )
    else:
        note(
            lambda: Reason(
                code="itemized_deductions",
                text=(
                    f"Itemized deductions of {money_text(deduction.amount)} are larger than the "
                    f"{money_text(deduction.standard)} standard deduction: state and local taxes "
                    f"count up to {money_text(deduction.salt)} (the SALT cap)"
                    + (
                        f", and the total is reduced by {money_text(deduction.reduction)} "
                        "(2/37 rule for the 37% bracket)"
                        if deduction.reduction > 0
                        else ""
                    )
                    + "."
                ),
                rule="IRC §63(d), §164(b)(7), §68 (OBBBA §§70111, 70120); Schedule A",
            )
        )
    if deduction.senior > 0:
        note(
            lambda: Reason(
                code="senior_deduction",
                text=(
                    f"The senior deduction of {money_text(deduction.senior)} (age 65 or older, "
                    "reduced by 6% of modified AGI over the threshold) also reduces taxable "
                    "income."
                ),
                rule="IRC §151(d)(5)(C) (OBBBA §70103); Schedule 1-A, Part V",
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

    qualified = facts.qualified_dividends
    regular_exact = ordinary_tax_on(taxable, brackets)  # worksheet line 24
    regular_tax = to_cents(regular_exact)
    regular_ordinary = max(ZERO, taxable - qualified - net_capital_gain)  # worksheet line 5
    if (net_capital_gain > 0 or qualified > 0) and taxable > 0:
        ws = _qdcgt_worksheet(
            taxable=taxable,
            qualified_dividends=qualified,
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
                        (
                            "Qualified dividends and net capital gain"
                            if qualified
                            else "Net capital gain"
                        )
                        + f" of {money_text(ws[10])} is stacked on top of "
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
    regular = ordinary_tax + capital_gains_tax
    # Form 6251 line 1 + 2a: AMTI adds back the standard deduction (or the state and local
    # taxes when itemizing) and the senior deduction (§56(b)(1)(A), (E)); §68 does not apply
    # (§56(b)(1)(F)), so with itemized deductions AMTI = AGI less the other itemized ones.
    amti = agi - facts.other_itemized if deduction.kind == "itemized" else agi
    minimum = alternative_minimum_tax(
        figures=whole,
        amti=amti,
        preferential=qualified + net_capital_gain,
        regular_ordinary=regular_ordinary,
        zero_top=figures.zero_rate_top,
        fifteen_top=figures.fifteen_rate_top,
        rate_15=rate_15,
        rate_20=rate_20,
        regular_tax=regular,
    )
    if minimum.amt > 0:
        note(
            lambda: Reason(
                code="amt",
                text=(
                    f"Alternative minimum tax of {money_text(minimum.amt)}: the tentative "
                    f"minimum tax on {money_text(minimum.base)} (AMTI "
                    f"{money_text(minimum.amti)} less an exemption of "
                    f"{money_text(minimum.exemption)}) exceeds the regular tax."
                ),
                rule="IRC §55, §56(b)(1); Form 6251",
            )
        )
    income_tax = regular + minimum.amt

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
        regular_tax=regular,
        amt=minimum.amt,
        deduction=deduction,
        minimum=minimum,
        qualified_dividends=qualified,
    )


def _qdcgt_worksheet(
    *,
    taxable: Decimal,
    qualified_dividends: Decimal,
    net_capital_gain: Decimal,
    zero_top: Decimal,
    fifteen_top: Decimal,
    rate_15: Decimal,
    rate_20: Decimal,
    brackets: tuple[Bracket, ...],
) -> dict[int, Decimal]:
    """Qualified Dividends and Capital Gain Tax Worksheet lines 1–23 (IRC §1(h)(1)).

    Line 2 holds the qualified dividends (Form 1040 line 3a), line 3 the net capital gain.
    """
    ws: dict[int, Decimal] = {1: taxable, 2: qualified_dividends, 3: net_capital_gain}
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


def taxable_before_capital(
    *,
    tax_year: int,
    filing_status: str,
    ordinary_income: Decimal,
    investment_income: Decimal,
    facts: ReturnFacts,
    capital_loss_deduction: Decimal,
) -> Decimal:
    """Taxable income before the capital loss deduction, for the carryover worksheet (line 1 is
    this less line 21; it may be negative): AGI less the deduction and the senior deduction,
    both worked out on the AGI that includes the line 21 deduction."""
    table = tax_year_table(tax_year)
    figures = table.figures(filing_status)
    if facts.plain:
        return ordinary_income + investment_income - figures.standard_deduction
    agi = ordinary_income + investment_income - capital_loss_deduction
    deduction = deductions_of(
        facts=facts,
        figures=figures_of(tax_year, parse_filing_status(filing_status)),
        basic_standard=figures.standard_deduction,
        agi=agi,
        top_bracket=figures.brackets[-1].bottom,
    )
    return agi - deduction.amount - deduction.senior + capital_loss_deduction


def tax_saved(*, before: TaxResult, after: TaxResult) -> Decimal:
    """Total tax (income tax + NIIT, IRC §§1, 1411) saved going from ``before`` to ``after``.

    Negative when ``after`` costs more.
    """
    return before.total - after.total

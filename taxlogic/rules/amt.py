"""The alternative minimum tax, Form 6251 (tax-rules.md §7).

Rules: IRC §55(b) (26% up to the breakpoint, 28% above; net capital gain and qualified
dividends keep their §1(h) rates: Form 6251 Part III, lines 12-40), §55(d) as amended by OBBBA
§70107 (exemption reduced by 25% of AMTI over the phase-out start in 2025, 50% from 2026),
§55(d)(2) (a separate filer's AMTI increased past the exemption's end), §56(b)(1)(A) (no
deduction for state and local taxes), §56(b)(1)(E) (no standard deduction and no §151
deduction, which includes the senior deduction of §151(d)(5)(C)), §56(b)(1)(F) (§68
does not apply), §55(a) (the AMT is the excess of the tentative minimum tax over the regular tax).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .tax_tables import ReturnFigures

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Amt:
    """Form 6251: AMTI (line 4), the exemption (line 5), the base (line 6), the tentative
    minimum tax (line 9, unrounded) and the AMT (line 11, to the cent)."""

    amti: Decimal
    exemption: Decimal
    base: Decimal
    tentative: Decimal
    amt: Decimal


def _flat(amount: Decimal, figures: ReturnFigures) -> Decimal:
    """§55(b)(1)(A): 26% of the base up to the breakpoint, 28% above (Form 6251 line 18/39)."""
    low, high = figures.amt_rates
    if amount <= figures.amt_breakpoint:
        return low * amount
    return low * figures.amt_breakpoint + high * (amount - figures.amt_breakpoint)


def separate_addition(figures: ReturnFigures, amti: Decimal) -> Decimal:
    """§55(d)(2): a married individual filing a separate return increases AMTI by the lesser
    of 25% of the excess of AMTI over the least AMTI at which the exemption of §55(d)(1)(C) is
    zero, and that exemption (Form 6251 instructions, line 4). The least such AMTI is the
    phase-out start plus the exemption divided by the phase-out rate: $900,350 in 2025,
    $640,200 in 2026 (where the phase-out rate is 50%)."""
    zero_at = figures.amt_phaseout_start + figures.amt_exemption / figures.amt_phaseout_rate
    excess = max(ZERO, amti - zero_at)
    return min(figures.amt_separate_addition_rate * excess, figures.amt_exemption)


def alternative_minimum_tax(
    *,
    figures: ReturnFigures,
    amti: Decimal,
    preferential: Decimal,
    regular_ordinary: Decimal,
    zero_top: Decimal,
    fifteen_top: Decimal,
    rate_15: Decimal,
    rate_20: Decimal,
    regular_tax: Decimal,
) -> Amt:
    """Form 6251 lines 4-11 with Part III.

    ``preferential`` = qualified dividends plus net capital gain (QDCG worksheet line 4);
    ``regular_ordinary`` = QDCG worksheet line 5 (ordinary taxable income of the regular tax);
    ``regular_tax`` = Form 1040 line 16, to the cent. The AMT is rounded to the cent once."""
    if figures.amt_separate_addition_rate > 0:
        amti += separate_addition(figures, amti)
    cut = figures.amt_phaseout_rate * max(ZERO, amti - figures.amt_phaseout_start)
    exemption = max(ZERO, figures.amt_exemption - cut)
    base = max(ZERO, amti - exemption)  # line 6
    flat = _flat(base, figures)  # line 39
    if preferential > 0 and base > 0:
        line16 = min(base, preferential)
        line17 = base - line16
        line18 = _flat(line17, figures)
        line21 = max(ZERO, zero_top - regular_ordinary)
        line22 = min(base, preferential)
        line23 = min(line21, line22)  # at 0%
        line24 = line22 - line23
        line29 = max(ZERO, fifteen_top - (line21 + regular_ordinary))
        line30 = min(line24, line29)  # at 15%
        line33 = line22 - (line23 + line30)  # at 20%
        line38 = line18 + rate_15 * line30 + rate_20 * line33
        tentative = min(line38, flat)  # line 40 -> line 7
    else:
        tentative = flat
    tentative_cents = tentative.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    amt = max(ZERO, tentative_cents - regular_tax)
    return Amt(amti, exemption, base, tentative, amt)

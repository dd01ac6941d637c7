"""The one table of tax-year figures: brackets, standard deductions, capital-gain rate tops, NIIT.

Nothing else in the project hard-codes a bracket, a rate or a limit; it asks this module.

Sources: 2025 — Rev. Proc. 2024-40 as amended by Pub. L. 119-21 (the 2025 standard deduction);
2026 — Rev. Proc. 2025-32; both as transcribed in tax-rules.md §5. IRC §1 (ordinary rates),
§1(h) (0/15/20% on net capital gain), §63(c) (standard deduction), §1211(b) (capital loss limit,
not indexed), §1411 (NIIT, thresholds not indexed).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

FILING_STATUSES: tuple[str, ...] = (
    "single",
    "married_joint",
    "married_separate",
    "head_of_household",
    "surviving_spouse",
)

# A qualifying surviving spouse uses the married-joint figures (IRC §1(a)(2), §2(a)).
_FIGURES_OF: dict[str, str] = {
    "single": "single",
    "married_joint": "married_joint",
    "married_separate": "married_separate",
    "head_of_household": "head_of_household",
    "surviving_spouse": "married_joint",
}

ORDINARY_RATES: tuple[Decimal, ...] = tuple(
    Decimal(r) for r in ("0.10", "0.12", "0.22", "0.24", "0.32", "0.35", "0.37")
)
# IRC §1(h)(1): net capital gain up to the 0% top, then to the 15% top, then above.
CAPITAL_GAIN_RATES: tuple[Decimal, Decimal, Decimal] = (
    Decimal("0.00"),
    Decimal("0.15"),
    Decimal("0.20"),
)
NIIT_RATE = Decimal("0.038")  # IRC §1411(a)(1)
# IRC §1411(b): not indexed for inflation.
_NIIT_THRESHOLDS: dict[str, Decimal] = {
    "single": Decimal("200000"),
    "married_joint": Decimal("250000"),
    "married_separate": Decimal("125000"),
    "head_of_household": Decimal("200000"),
}
# IRC §1211(b)(1): not indexed for inflation; the same in every year.
_CAPITAL_LOSS_LIMIT = Decimal("3000")
_CAPITAL_LOSS_LIMIT_SEPARATE = Decimal("1500")


class UnknownTaxYear(ValueError):
    """A tax year for which this module has no table."""


@dataclass(frozen=True, slots=True)
class Bracket:
    """One ordinary-income bracket: ``rate`` applies to taxable income above ``bottom``."""

    rate: Decimal
    bottom: Decimal


@dataclass(frozen=True, slots=True)
class StatusFigures:
    """The figures of one filing status in one year."""

    brackets: tuple[Bracket, ...]
    standard_deduction: Decimal
    zero_rate_top: Decimal
    fifteen_rate_top: Decimal
    niit_threshold: Decimal


@dataclass(frozen=True, slots=True)
class TaxYearTable:
    """Every figure of one tax year, by filing status (surviving spouse = married joint)."""

    year: int
    source: str
    statuses: tuple[tuple[str, StatusFigures], ...]
    niit_rate: Decimal = NIIT_RATE
    capital_gain_rates: tuple[Decimal, Decimal, Decimal] = CAPITAL_GAIN_RATES

    def figures(self, filing_status: str) -> StatusFigures:
        """The figures for ``filing_status`` (IRC §1(a)–(d); surviving spouse per §2(a))."""
        key = _FIGURES_OF[parse_filing_status(filing_status)]
        for status, figures in self.statuses:
            if status == key:
                return figures
        raise KeyError(key)  # pragma: no cover - every table holds all four sets

    def brackets(self, filing_status: str) -> tuple[Bracket, ...]:
        """Ordinary brackets, bottom of each rate (IRC §1(j) as extended by Pub. L. 119-21)."""
        return self.figures(filing_status).brackets

    def standard_deduction(self, filing_status: str) -> Decimal:
        """Basic standard deduction (IRC §63(c)(2), (c)(7))."""
        return self.figures(filing_status).standard_deduction

    def niit_threshold(self, filing_status: str) -> Decimal:
        """Threshold amount of IRC §1411(b)."""
        return self.figures(filing_status).niit_threshold


def _status(
    bottoms: tuple[int, int, int, int, int, int],
    *,
    standard_deduction: int,
    zero_top: int,
    fifteen_top: int,
    niit_threshold: Decimal,
) -> StatusFigures:
    brackets = tuple(
        Bracket(rate=rate, bottom=Decimal(bottom))
        for rate, bottom in zip(ORDINARY_RATES, (0, *bottoms), strict=True)
    )
    return StatusFigures(
        brackets=brackets,
        standard_deduction=Decimal(standard_deduction),
        zero_rate_top=Decimal(zero_top),
        fifteen_rate_top=Decimal(fifteen_top),
        niit_threshold=niit_threshold,
    )


# Bottoms of the 12, 22, 24, 32, 35 and 37% brackets, exactly as in tax-rules.md §5.
_TABLES: dict[int, TaxYearTable] = {
    2025: TaxYearTable(
        year=2025,
        source="Rev. Proc. 2024-40; standard deduction as amended by Pub. L. 119-21 (2025)",
        statuses=(
            (
                "single",
                _status(
                    (11925, 48475, 103350, 197300, 250525, 626350),
                    standard_deduction=15750,
                    zero_top=48350,
                    fifteen_top=533400,
                    niit_threshold=_NIIT_THRESHOLDS["single"],
                ),
            ),
            (
                "married_joint",
                _status(
                    (23850, 96950, 206700, 394600, 501050, 751600),
                    standard_deduction=31500,
                    zero_top=96700,
                    fifteen_top=600050,
                    niit_threshold=_NIIT_THRESHOLDS["married_joint"],
                ),
            ),
            (
                "married_separate",
                _status(
                    (11925, 48475, 103350, 197300, 250525, 375800),
                    standard_deduction=15750,
                    zero_top=48350,
                    fifteen_top=300000,
                    niit_threshold=_NIIT_THRESHOLDS["married_separate"],
                ),
            ),
            (
                "head_of_household",
                _status(
                    (17000, 64850, 103350, 197300, 250500, 626350),
                    standard_deduction=23625,
                    zero_top=64750,
                    fifteen_top=566700,
                    niit_threshold=_NIIT_THRESHOLDS["head_of_household"],
                ),
            ),
        ),
    ),
    2026: TaxYearTable(
        year=2026,
        source="Rev. Proc. 2025-32",
        statuses=(
            (
                "single",
                _status(
                    (12400, 50400, 105700, 201775, 256225, 640600),
                    standard_deduction=16100,
                    zero_top=49450,
                    fifteen_top=545500,
                    niit_threshold=_NIIT_THRESHOLDS["single"],
                ),
            ),
            (
                "married_joint",
                _status(
                    (24800, 100800, 211400, 403550, 512450, 768700),
                    standard_deduction=32200,
                    zero_top=98900,
                    fifteen_top=613700,
                    niit_threshold=_NIIT_THRESHOLDS["married_joint"],
                ),
            ),
            (
                "married_separate",
                _status(
                    (12400, 50400, 105700, 201775, 256225, 384350),
                    standard_deduction=16100,
                    zero_top=49450,
                    fifteen_top=306850,
                    niit_threshold=_NIIT_THRESHOLDS["married_separate"],
                ),
            ),
            (
                "head_of_household",
                _status(
                    (17700, 67450, 105700, 201750, 256200, 640600),
                    standard_deduction=24150,
                    zero_top=66200,
                    fifteen_top=579600,
                    niit_threshold=_NIIT_THRESHOLDS["head_of_household"],
                ),
            ),
        ),
    ),
}

SUPPORTED_YEARS: tuple[int, ...] = tuple(sorted(_TABLES))


def parse_filing_status(value: object) -> str:
    """Check a filing status against IRC §1(a)–(d) and §2: one of ``FILING_STATUSES``.

    Surrounding blanks and letter case are forgiven; anything else raises ``ValueError``.
    """
    if isinstance(value, str):
        status = value.strip().lower()
        if status in FILING_STATUSES:
            return status
    allowed = ", ".join(FILING_STATUSES)
    raise ValueError(f"unknown filing status {value!r}: expected one of {allowed}")


def tax_year_table(year: object) -> TaxYearTable:
    """The figures of ``year`` (Rev. Proc. 2024-40 for 2025, Rev. Proc. 2025-32 for 2026).

    Raises ``UnknownTaxYear`` for a year without a table (or anything that is not a year).
    """
    # bool is an int; a True year is a bug, not 1.
    if isinstance(year, int) and not isinstance(year, bool) and year in _TABLES:
        return _TABLES[year]
    supported = ", ".join(str(y) for y in SUPPORTED_YEARS)
    raise UnknownTaxYear(f"no tax table for tax year {year!r}: supported years are {supported}")


def standard_deduction(year: int, filing_status: str) -> Decimal:
    """Basic standard deduction of ``year`` and ``filing_status`` (IRC §63(c))."""
    return tax_year_table(year).standard_deduction(filing_status)


def capital_loss_limit(filing_status: str) -> Decimal:
    """Most net capital loss deductible against ordinary income in a year: IRC §1211(b)(1).

    $3,000, or $1,500 married filing separately; not indexed, so the same in any year
    (Schedule D, line 21).
    """
    if parse_filing_status(filing_status) == "married_separate":
        return _CAPITAL_LOSS_LIMIT_SEPARATE
    return _CAPITAL_LOSS_LIMIT


# --- the rest of the return (tax-rules.md §7) -----------------------------------------------
# Sources: §63(f) additional standard deduction — Rev. Proc. 2024-40 §3.15 (2025: $1,600 married
# / surviving spouse, $2,000 single / head of household), Rev. Proc. 2025-32 (2026: $1,650 /
# $2,050). Senior deduction — Pub. L. 119-21 (OBBBA) §70103, IRC §151(d)(5)(C): $6,000 per
# person 65 or older, reduced by 6% of MAGI over $75,000 ($150,000 joint), joint return required
# when married, tax years 2025-2028; not indexed. SALT cap — OBBBA §70120, IRC §164(b)(7):
# $40,000 for 2025, $40,400 for 2026 (101% of 2025), the threshold $500,000 / $505,000 (the
# statute's 101% step; Tax-Calculator 6.8.0 indexes 2026 to $513,850 instead), both halved for
# married separate; reduced by 30% of MAGI over the threshold, never below $10,000 ($5,000).
# §68 as amended by OBBBA §70111: from 2026, 2/37 of the lesser of the itemized deductions and
# the excess of taxable income plus them over the start of the 37% bracket. AMT — IRC §55(d) as
# amended by OBBBA §70107; 2025 Rev. Proc. 2024-40 §3.11, 2026 Rev. Proc. 2025-32: exemptions,
# phase-out thresholds and rates, and the 26%/28% breakpoint; §55(d)(2) for married separate.


@dataclass(frozen=True, slots=True)
class ReturnFigures:
    """Figures of the whole return for one tax year and filing status (tax-rules.md §7)."""

    additional_standard: Decimal  # §63(f), per condition per person
    senior_amount: Decimal  # per qualifying person (0 outside 2025-2028 or married separate)
    senior_threshold: Decimal
    senior_rate: Decimal
    salt_cap: Decimal
    salt_threshold: Decimal
    salt_rate: Decimal
    salt_floor: Decimal
    itemized_reduction_rate: Decimal  # §68: 2/37 from 2026, 0 before
    amt_exemption: Decimal
    amt_phaseout_start: Decimal
    amt_phaseout_rate: Decimal
    amt_breakpoint: Decimal  # 26% up to it, 28% above
    amt_rates: tuple[Decimal, Decimal] = (Decimal("0.26"), Decimal("0.28"))
    # §55(d)(2): a married individual filing separately adds to AMTI the lesser of this rate of
    # the excess over the AMTI at which the exemption reaches zero, or the exemption (0 else).
    amt_separate_addition_rate: Decimal = Decimal(0)


_ADDITIONAL_STANDARD: dict[int, tuple[int, int]] = {2025: (2000, 1600), 2026: (2050, 1650)}
_SALT: dict[int, tuple[int, int]] = {2025: (40000, 500000), 2026: (40400, 505000)}
_AMT: dict[int, dict[str, tuple[int, int]]] = {
    # exemption, phase-out start
    2025: {
        "single": (88100, 626350),
        "married_joint": (137000, 1252700),
        "married_separate": (68500, 626350),
        "head_of_household": (88100, 626350),
    },
    2026: {
        "single": (90100, 500000),
        "married_joint": (140200, 1000000),
        "married_separate": (70100, 500000),
        "head_of_household": (90100, 500000),
    },
}
_AMT_PHASEOUT_RATE: dict[int, Decimal] = {2025: Decimal("0.25"), 2026: Decimal("0.50")}
_AMT_BREAKPOINT: dict[int, int] = {2025: 239100, 2026: 244500}
# §55(d)(2): 25% in every year (OBBBA §70107 doubled the phase-out rate of §55(d)(3) only).
_AMT_SEPARATE_ADDITION_RATE = Decimal("0.25")
SENIOR_YEARS = range(2025, 2029)


def return_figures(year: int, filing_status: str) -> ReturnFigures:
    """The §7 figures of ``year`` and ``filing_status`` (raises ``UnknownTaxYear``)."""
    tax_year_table(year)
    status = parse_filing_status(filing_status)
    key = _FIGURES_OF[status]
    separate = key == "married_separate"
    unmarried = status in ("single", "head_of_household")
    alone, married = _ADDITIONAL_STANDARD[year]
    cap, threshold = _SALT[year]
    exemption, start = _AMT[year][key]
    breakpoint = _AMT_BREAKPOINT[year]
    return ReturnFigures(
        additional_standard=Decimal(alone if unmarried else married),
        senior_amount=Decimal(6000) if year in SENIOR_YEARS and not separate else Decimal(0),
        senior_threshold=Decimal(150000 if status == "married_joint" else 75000),
        senior_rate=Decimal("0.06"),
        salt_cap=Decimal(cap // 2 if separate else cap),
        salt_threshold=Decimal(threshold // 2 if separate else threshold),
        salt_rate=Decimal("0.30"),
        salt_floor=Decimal(5000 if separate else 10000),
        itemized_reduction_rate=Decimal(2) / Decimal(37) if year >= 2026 else Decimal(0),
        amt_exemption=Decimal(exemption),
        amt_phaseout_start=Decimal(start),
        amt_phaseout_rate=_AMT_PHASEOUT_RATE[year],
        amt_breakpoint=Decimal(breakpoint // 2 if separate else breakpoint),
        amt_separate_addition_rate=_AMT_SEPARATE_ADDITION_RATE if separate else Decimal(0),
    )

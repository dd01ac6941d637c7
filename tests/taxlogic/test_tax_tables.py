"""The tax-year table against tax-rules.md §5 (copied here by hand, figure by figure)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from taxlogic.rules.tax_tables import (
    FILING_STATUSES,
    SUPPORTED_YEARS,
    TaxYearTable,
    UnknownTaxYear,
    capital_loss_limit,
    parse_filing_status,
    standard_deduction,
    tax_year_table,
)

# year -> status -> (bottoms of 12, 22, 24, 32, 35, 37%), standard deduction, 0% top, 15% top
EXPECTED = {
    2026: {
        "single": ((12400, 50400, 105700, 201775, 256225, 640600), 16100, 49450, 545500),
        "married_joint": ((24800, 100800, 211400, 403550, 512450, 768700), 32200, 98900, 613700),
        "married_separate": ((12400, 50400, 105700, 201775, 256225, 384350), 16100, 49450, 306850),
        "head_of_household": (
            (17700, 67450, 105700, 201750, 256200, 640600),
            24150,
            66200,
            579600,
        ),
    },
    2025: {
        "single": ((11925, 48475, 103350, 197300, 250525, 626350), 15750, 48350, 533400),
        "married_joint": ((23850, 96950, 206700, 394600, 501050, 751600), 31500, 96700, 600050),
        "married_separate": ((11925, 48475, 103350, 197300, 250525, 375800), 15750, 48350, 300000),
        "head_of_household": (
            (17000, 64850, 103350, 197300, 250500, 626350),
            23625,
            64750,
            566700,
        ),
    },
}
NIIT = {
    "single": 200000,
    "married_joint": 250000,
    "married_separate": 125000,
    "head_of_household": 200000,
    "surviving_spouse": 250000,
}
RATES = ["0.10", "0.12", "0.22", "0.24", "0.32", "0.35", "0.37"]


def test_supported_years() -> None:
    assert SUPPORTED_YEARS == (2025, 2026)
    for year in SUPPORTED_YEARS:
        assert isinstance(tax_year_table(year), TaxYearTable)
        assert tax_year_table(year).year == year


def test_filing_statuses() -> None:
    assert FILING_STATUSES == (
        "single",
        "married_joint",
        "married_separate",
        "head_of_household",
        "surviving_spouse",
    )


@pytest.mark.parametrize(
    ("year", "status"),
    [(y, s) for y, by_status in EXPECTED.items() for s in by_status],
)
def test_figures_match_tax_rules_md(year: int, status: str) -> None:
    bottoms, std, zero_top, fifteen_top = EXPECTED[year][status]
    figures = tax_year_table(year).figures(status)
    assert [b.bottom for b in figures.brackets] == [Decimal(0), *map(Decimal, bottoms)]
    assert [b.rate for b in figures.brackets] == [Decimal(r) for r in RATES]
    assert figures.standard_deduction == Decimal(std)
    assert standard_deduction(year, status) == Decimal(std)
    assert figures.zero_rate_top == Decimal(zero_top)
    assert figures.fifteen_rate_top == Decimal(fifteen_top)
    assert figures.niit_threshold == Decimal(NIIT[status])


@pytest.mark.parametrize("year", SUPPORTED_YEARS)
def test_surviving_spouse_uses_married_joint_figures(year: int) -> None:
    table = tax_year_table(year)
    assert table.figures("surviving_spouse") == table.figures("married_joint")
    assert table.niit_threshold("surviving_spouse") == Decimal(250000)


@pytest.mark.parametrize("year", SUPPORTED_YEARS)
def test_brackets_ascend(year: int) -> None:
    table = tax_year_table(year)
    for status in FILING_STATUSES:
        brackets = table.brackets(status)
        assert len(brackets) == 7
        bottoms = [b.bottom for b in brackets]
        assert bottoms == sorted(set(bottoms))
        figures = table.figures(status)
        assert figures.zero_rate_top < figures.fifteen_rate_top


def test_niit_rate_and_capital_gain_rates() -> None:
    for year in SUPPORTED_YEARS:
        table = tax_year_table(year)
        assert table.niit_rate == Decimal("0.038")
        assert table.capital_gain_rates == (Decimal("0"), Decimal("0.15"), Decimal("0.20"))


@pytest.mark.parametrize("year", [2024, 2027, 1999, 0, -1])
def test_unknown_year_raises(year: int) -> None:
    with pytest.raises(UnknownTaxYear) as info:
        tax_year_table(year)
    message = str(info.value)
    assert str(year) in message
    assert "2025" in message and "2026" in message
    assert isinstance(info.value, ValueError)
    with pytest.raises(UnknownTaxYear):
        standard_deduction(year, "single")


def test_year_must_be_an_int() -> None:
    with pytest.raises(UnknownTaxYear):
        tax_year_table("2026")
    with pytest.raises(UnknownTaxYear):
        tax_year_table(True)


@pytest.mark.parametrize(
    ("status", "limit"),
    [
        ("single", 3000),
        ("married_joint", 3000),
        ("married_separate", 1500),
        ("head_of_household", 3000),
        ("surviving_spouse", 3000),
    ],
)
def test_capital_loss_limit(status: str, limit: int) -> None:
    # §1211(b) is not indexed: no year, the same for 2007 as for 2026.
    assert capital_loss_limit(status) == Decimal(limit)


def test_parse_filing_status() -> None:
    for status in FILING_STATUSES:
        assert parse_filing_status(status) == status
    assert parse_filing_status(" Married_Joint ") == "married_joint"


@pytest.mark.parametrize("value", ["joint", "", "mfj", None, 3, "married joint"])
def test_parse_filing_status_rejects(value: object) -> None:
    with pytest.raises(ValueError) as info:
        parse_filing_status(value)
    message = str(info.value)
    for status in FILING_STATUSES:
        assert status in message


def test_unknown_status_in_lookups_raises() -> None:
    with pytest.raises(ValueError):
        standard_deduction(2026, "widow")
    with pytest.raises(ValueError):
        capital_loss_limit("widow")

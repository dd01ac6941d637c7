"""Federal income tax and NIIT by formula: brackets, capital-gain stacking, NIIT, loss years."""

from __future__ import annotations

from decimal import Decimal

import pytest

from taxlogic.rules.carryforward import schedule_d
from taxlogic.rules.tax import TaxResult, federal_tax, tax_saved
from taxlogic.rules.tax_tables import (
    FILING_STATUSES,
    SUPPORTED_YEARS,
    UnknownTaxYear,
    standard_deduction,
    tax_year_table,
)

D = Decimal


def tax(
    *,
    year: int = 2026,
    status: str = "single",
    ordinary: str | Decimal = "0",
    investment: str | Decimal = "0",
    st: str = "0",
    lt: str = "0",
    taxable: bool = False,
) -> TaxResult:
    """``taxable=True``: ``ordinary`` is ordinary taxable income (the standard deduction is
    added back so that taxable income before capital results equals it)."""
    ordinary_income = D(ordinary)
    if taxable:
        ordinary_income += standard_deduction(year, status)
    schedule = schedule_d(
        short_term_results=D(st),
        long_term_results=D(lt),
        carryforward_in_short=D(0),
        carryforward_in_long=D(0),
        filing_status=status,
        taxable_income_before_capital=ordinary_income
        + D(investment)
        - standard_deduction(year, status),
    )
    return federal_tax(
        tax_year=year,
        filing_status=status,
        ordinary_income=ordinary_income,
        investment_income=D(investment),
        schedule=schedule,
    )


def v1(result: TaxResult) -> dict[str, object]:
    """The version 1 fields of the result (version 2 adds more beside them)."""
    out = result.to_json()
    return {k: out[k] for k in ("taxable_income", "income_tax", "niit", "total")}


def codes(result: TaxResult) -> list[str]:
    return [r.code for r in result.reasons]


# --- the cases in /work/shared/cases ------------------------------------------------------------


def test_case_tax_00() -> None:
    r = tax(year=2026, status="married_joint", ordinary="420296", st="143", lt="5323")
    assert v1(r) == {
        "taxable_income": "393562.00",
        "income_tax": "79171.81",
        "niit": "207.71",
        "total": "79379.52",
    }
    assert r.agi == D("425762.00")
    assert r.preferential == D("5323.00")
    assert r.ordinary_taxable == D("388239.00")
    assert r.ordinary_tax == D("78373.36")
    assert r.capital_gains_tax == D("798.45")
    assert r.marginal_rate == D("0.24")


def test_case_tax_30() -> None:
    r = tax(year=2025, status="head_of_household", ordinary="3996", st="-2097", lt="-40390")
    assert v1(r) == {
        "taxable_income": "0.00",
        "income_tax": "0.00",
        "niit": "0.00",
        "total": "0.00",
    }
    assert r.agi == D("996.00")
    assert r.marginal_rate == D(0)


# --- ordinary brackets ---------------------------------------------------------------------------

# Tax at the top of each bracket, from the published rate schedules.
PUBLISHED = {
    (2026, "single"): ["1240", "5800", "17966", "41024", "58448", "192979.25"],
    (2026, "married_joint"): ["2480", "11600", "35932", "82048", "116896", "206583.50"],
    (2025, "single"): ["1192.50", "5578.50", "17651", "40199", "57231", "188769.75"],
    (2025, "married_joint"): ["2385", "11157", "35302", "80398", "114462", "202154.50"],
}


@pytest.mark.parametrize(("year", "status"), list(PUBLISHED))
def test_published_rate_schedule(year: int, status: str) -> None:
    bottoms = [b.bottom for b in tax_year_table(year).brackets(status)][1:]
    for bottom, expected in zip(bottoms, PUBLISHED[(year, status)], strict=True):
        assert tax(year=year, status=status, ordinary=bottom, taxable=True).income_tax == D(
            expected
        )


@pytest.mark.parametrize("year", SUPPORTED_YEARS)
@pytest.mark.parametrize("status", FILING_STATUSES)
def test_each_bracket_boundary(year: int, status: str) -> None:
    brackets = tax_year_table(year).brackets(status)
    cumulative = D(0)
    for lower, upper in zip(brackets, brackets[1:], strict=False):
        cumulative += lower.rate * (upper.bottom - lower.bottom)
        at = tax(year=year, status=status, ordinary=upper.bottom, taxable=True)
        assert at.income_tax == cumulative.quantize(D("0.01"))
        assert at.taxable_income == upper.bottom
        assert at.marginal_rate == lower.rate  # the bottom itself is the last dollar below
        above = tax(year=year, status=status, ordinary=upper.bottom + 100, taxable=True)
        assert above.marginal_rate == upper.rate
        assert above.income_tax - at.income_tax == upper.rate * 100


def test_income_below_standard_deduction_is_untaxed() -> None:
    r = tax(ordinary="16000")
    assert r.taxable_income == D(0)
    assert r.income_tax == D(0)
    assert r.marginal_rate == D(0)


def test_rounding_half_up_at_the_end() -> None:
    # 10% of $0.05 is $0.005: half a cent rounds up.
    assert tax(ordinary="0.05", taxable=True).income_tax == D("0.01")


def test_capital_gain_worksheet_rounds_once_at_line_25() -> None:
    # Ordinary tax on 12,400.04 is 1,240.0048 and 15% of 50.03 is 7.5045: each alone rounds
    # down, but line 23 (1,247.5093) is rounded once, to 1,247.51.
    r = tax(ordinary="12400.04", lt="37099.99", taxable=True)
    assert r.taxable_income == D("49500.03")
    assert r.income_tax == D("1247.51")
    assert r.ordinary_tax + r.capital_gains_tax == r.income_tax


# --- capital gains: stacking at 0/15/20% -------------------------------------------------------


def test_all_gain_within_zero_rate() -> None:
    r = tax(lt="49450", taxable=True)  # 2026 single: 0% up to $49,450
    assert r.taxable_income == D(49450)
    assert r.preferential == D(49450)
    assert r.income_tax == D(0)


def test_zero_rate_boundary() -> None:
    r = tax(lt="49550", taxable=True)
    assert r.capital_gains_tax == D("15.00")  # $100 over the 0% top at 15%
    assert r.income_tax == D("15.00")


def test_stacking_straddles_zero_and_fifteen() -> None:
    r = tax(ordinary="40000", lt="20000", taxable=True)
    # $9,450 at 0%, $10,550 at 15%; $40,000 ordinary: 1,240 + 12% × 27,600.
    assert r.ordinary_tax == D("4552.00")
    assert r.capital_gains_tax == D("1582.50")
    assert r.income_tax == D("6134.50")
    assert "capital_gain_rates" in codes(r)


def test_stacking_straddles_fifteen_and_twenty() -> None:
    r = tax(ordinary="500000", lt="100000", taxable=True)
    # 15% top $545,500: $45,500 at 15% = 6,825; $54,500 at 20% = 10,900.
    assert r.capital_gains_tax == D("17725.00")
    assert r.ordinary_tax == D("143769.25")  # 58,448 + 35% × 243,775
    assert r.marginal_rate == D("0.35")


def test_all_gain_at_twenty_above_the_fifteen_top() -> None:
    r = tax(year=2025, status="married_separate", ordinary="300000", lt="10000", taxable=True)
    assert r.capital_gains_tax == D("2000.00")


def test_fifteen_rate_top_boundary_exact() -> None:
    r = tax(year=2025, status="head_of_household", lt="566700", taxable=True)
    # $64,750 at 0%, the rest to $566,700 at 15%, nothing at 20%.
    assert r.capital_gains_tax == (D("566700") - D("64750")) * D("0.15")
    r2 = tax(year=2025, status="head_of_household", lt="566800", taxable=True)
    assert r2.capital_gains_tax - r.capital_gains_tax == D("20.00")


def test_net_capital_gain_is_long_term_gain_less_short_term_loss() -> None:
    r = tax(ordinary="100000", st="-2000", lt="10000", taxable=True)
    assert r.preferential == D(8000)
    assert r.taxable_income == D(108000)


def test_short_term_gain_is_ordinary() -> None:
    r = tax(ordinary="100000", st="10000", taxable=True)
    assert r.preferential == D(0)
    assert r.ordinary_taxable == D(110000)
    assert r.capital_gains_tax == D(0)
    assert r.income_tax == tax(ordinary="110000", taxable=True).income_tax
    assert "short_term_gain_ordinary" in codes(r)


def test_gain_when_regular_tax_is_lower() -> None:
    # 2025 single: 0% top $48,350 sits below the 22% bracket ($48,475). $100 of gain above
    # the 0% top costs 15% by the worksheet but 12% by the regular tax: line 25 takes 12%.
    r = tax(year=2025, ordinary="48350", lt="100", taxable=True)
    assert r.income_tax == D("5575.50")
    assert r.capital_gains_tax == D(0)
    assert "regular_tax_lower" in codes(r)


def test_gain_with_no_ordinary_income_and_deduction_left_over() -> None:
    # The unused standard deduction shelters part of the gain.
    r = tax(ordinary="0", lt="20000")
    assert r.taxable_income == D(3900)
    assert r.income_tax == D(0)


# --- a capital-loss year ------------------------------------------------------------------------


def test_capital_loss_year() -> None:
    r = tax(ordinary="100000", st="-10000")
    assert r.agi == D(97000)
    assert r.taxable_income == D(80900)
    assert r.income_tax == D("12510.00")  # 5,800 + 22% × 30,500
    assert "capital_loss_deduction" in codes(r)


def test_loss_year_saves_at_the_marginal_rate() -> None:
    before = tax(ordinary="100000")
    after = tax(ordinary="100000", st="-10000")
    assert tax_saved(before=before, after=after) == D("660.00")  # 22% × 3,000
    assert tax_saved(before=after, after=before) == D("-660.00")


# --- NIIT ---------------------------------------------------------------------------------------

NIIT_THRESHOLD = {
    "single": 200000,
    "married_joint": 250000,
    "married_separate": 125000,
    "head_of_household": 200000,
    "surviving_spouse": 250000,
}


@pytest.mark.parametrize("status", FILING_STATUSES)
def test_niit_threshold_per_status(status: str) -> None:
    threshold = D(NIIT_THRESHOLD[status])
    at = tax(status=status, ordinary=threshold - 5000, investment="5000")
    assert at.agi == threshold
    assert at.niit == D(0)
    assert "no_niit" in codes(at)
    over = tax(status=status, ordinary=threshold - 4000, investment="5000")
    assert over.niit == D("38.00")  # 3.8% × $1,000 over
    assert over.total == over.income_tax + over.niit


def test_niit_limited_by_net_investment_income() -> None:
    r = tax(ordinary="400000", investment="500")
    assert r.niit == D("19.00")


def test_niit_includes_capital_gain() -> None:
    r = tax(ordinary="300000", lt="10000")
    assert r.niit == D("380.00")


def test_capital_loss_reduces_niit_but_not_below_zero() -> None:
    r = tax(ordinary="400000", investment="5000", st="-10000")
    assert r.niit == D("76.00")  # 3.8% × (5,000 − 3,000)
    r = tax(ordinary="400000", investment="2000", st="-10000")
    assert r.niit == D(0)


# --- statuses and years -------------------------------------------------------------------------


@pytest.mark.parametrize("year", SUPPORTED_YEARS)
def test_surviving_spouse_equals_joint(year: int) -> None:
    args = {"year": year, "ordinary": "300000", "investment": "20000", "st": "-500", "lt": "9000"}
    joint = tax(status="married_joint", **args)
    survivor = tax(status="surviving_spouse", **args)
    assert survivor.to_json() == joint.to_json()
    assert survivor.marginal_rate == joint.marginal_rate


def test_2025_and_2026_differ() -> None:
    r25 = tax(year=2025, ordinary="120000")
    r26 = tax(year=2026, ordinary="120000")
    assert r25.taxable_income == D(104250)
    assert r26.taxable_income == D(103900)
    assert r25.income_tax == D("17867.00")  # 17,651 + 24% × 900
    assert r25.marginal_rate == D("0.24")
    assert r26.income_tax == D("17570.00")  # 5,800 + 22% × 53,500
    assert r26.marginal_rate == D("0.22")
    assert tax_saved(before=r25, after=r26) == D("297.00")


def test_unknown_year_raises() -> None:
    schedule = schedule_d(
        short_term_results=D(0),
        long_term_results=D(0),
        carryforward_in_short=D(0),
        carryforward_in_long=D(0),
        filing_status="single",
        taxable_income_before_capital=None,
    )
    with pytest.raises(UnknownTaxYear, match="2024"):
        federal_tax(
            tax_year=2024,
            filing_status="single",
            ordinary_income=D(100000),
            investment_income=D(0),
            schedule=schedule,
        )
    with pytest.raises(ValueError, match="filing status"):
        federal_tax(
            tax_year=2026,
            filing_status="joint",
            ordinary_income=D(100000),
            investment_income=D(0),
            schedule=schedule,
        )


def test_to_json_keys_and_reasons() -> None:
    r = tax(ordinary="300000", investment="10000", lt="5000")
    assert set(r.to_json()) >= {
        "taxable_income",
        "deduction",
        "senior_deduction",
        "regular_tax",
        "amt",
        "income_tax",
        "niit",
        "total",
    }
    assert all(reason.rule for reason in r.reasons)
    assert "niit" in codes(r)
    assert "3.8%" in next(x for x in r.reasons if x.code == "niit").text

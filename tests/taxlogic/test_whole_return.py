"""The whole return (tax-rules.md §3, §6, §7; cases README "Additions for the whole return").

Worked examples computed by hand from the IRS forms (Form 6251, the Qualified Dividends and
Capital Gain Tax Worksheet, Pub 501's January 1 birthday, Pub 550's average basis), the
statute's figures where Tax-Calculator 6.8.0 differs (tests/taxcalc leaves those out), hypothesis
properties, and bad input refused with the field named (exit 2).
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taxlogic.rules.cases import CaseError, evaluate, parse_case

ROOT = Path(__file__).resolve().parents[2]


def tax_of(income: dict[str, str], **more: Any) -> dict[str, Any]:
    case = {"tax_year": 2026, "filing_status": "single", "income": income, **more}
    return evaluate(parse_case(case))["tax"]


def run(case: dict[str, Any]) -> dict[str, Any]:
    return evaluate(parse_case(case))


# --- qualified dividends ---------------------------------------------------------------------


def test_qualified_dividends_are_taxed_on_the_capital_gain_worksheet() -> None:
    # AGI 70,000, taxable 53,900: 43,900 ordinary (1,240 + 12% of 31,500 = 5,020), then the
    # 10,000 of qualified dividends: 5,550 at 0% (up to 49,450) and 4,450 at 15% (667.50).
    tax = tax_of({"wages": "60000", "ordinary_dividends": "10000", "qualified_dividends": "10000"})
    assert tax["taxable_income"] == "53900.00"
    assert tax["regular_tax"] == "5687.50"
    as_ordinary = tax_of({"wages": "60000", "ordinary_dividends": "10000"})
    assert Decimal(as_ordinary["regular_tax"]) > Decimal(tax["regular_tax"])


def test_the_old_fields_mean_what_they_meant() -> None:
    old = tax_of({"ordinary": "90000", "investment": "5000"})
    new = tax_of({"wages": "80000", "other_ordinary": "10000", "interest": "5000"})
    assert old == new


# --- age 65 or blind, the senior deduction ----------------------------------------------------


@pytest.mark.parametrize(
    ("born", "older"),
    [("1962-01-01", True), ("1962-01-02", False), ("1950-07-04", True)],
)
def test_pub_501_a_january_1_birthday_counts_the_year_before(born: str, older: bool) -> None:
    tax = tax_of({"wages": "50000"}, people=[{"id": "P1", "role": "taxpayer", "born": born}])
    assert tax["deduction"]["amount"] == ("18150.00" if older else "16100.00")
    assert tax["senior_deduction"] == ("6000.00" if older else "0.00")


def test_blind_and_65_each_add_an_amount_per_person_on_a_joint_return() -> None:
    people = [
        {"id": "P1", "role": "taxpayer", "born": "1955-03-01", "blind": True},
        {"id": "P2", "role": "spouse", "born": "1958-03-01"},
    ]
    case = {
        "tax_year": 2025,
        "filing_status": "married_joint",
        "people": people,
        "income": {"wages": "100000"},
    }
    tax = run(case)["tax"]
    assert tax["deduction"]["amount"] == f"{31500 + 3 * 1600}.00"
    assert tax["senior_deduction"] == "12000.00"


def test_the_senior_deduction_phases_out_per_person_and_needs_a_joint_return() -> None:
    person = [{"id": "P1", "role": "taxpayer", "born": "1950-01-01"}]
    assert tax_of({"wages": "100000"}, people=person)["senior_deduction"] == "4500.00"
    assert tax_of({"wages": "175000"}, people=person)["senior_deduction"] == "0.00"
    separate = evaluate(
        parse_case(
            {
                "tax_year": 2026,
                "filing_status": "married_separate",
                "people": person,
                "income": {"wages": "50000"},
            }
        )
    )["tax"]
    assert separate["senior_deduction"] == "0.00"
    assert separate["deduction"]["amount"] == "17750.00"  # the §63(f) amount still applies


# --- itemized deductions: the statute where Tax-Calculator 6.8.0 differs ----------------------


def test_2026_salt_cap_phases_down_from_the_statutes_505000() -> None:
    # Tax-Calculator indexes the threshold to $513,850 and would allow the whole $40,400.
    tax = tax_of({"wages": "510000"}, deductions={"state_local_taxes": "50000"})
    assert tax["deduction"] == {"kind": "itemized", "amount": "38900.00"}


def test_the_salt_cap_never_goes_below_its_floor() -> None:
    tax = tax_of(
        {"wages": "900000"}, deductions={"state_local_taxes": "50000", "other_itemized": "20000"}
    )
    # 10,000 + 20,000 = 30,000; over the 37% start by far: 2/37 of the lesser (30,000).
    assert tax["deduction"]["amount"] == f"{Decimal(30000) - Decimal(60000) / 37:.2f}"


def test_2026_section_68_takes_2_37_of_the_lesser_of_the_deductions_and_the_excess() -> None:
    # Excess over the 37% bracket = 359,400; the deductions 60,000 are the lesser:
    # 60,000 − 2/37 × 60,000 = 56,756.76 (Tax-Calculator: 2/37 of the whole 359,400).
    tax = tax_of(
        {"wages": "1000000"}, deductions={"state_local_taxes": "10000", "other_itemized": "50000"}
    )
    assert tax["deduction"] == {"kind": "itemized", "amount": "56756.76"}
    # Below the 37% bracket nothing is reduced; 2025 has no such rule.
    near = tax_of(
        {"wages": "600000"}, deductions={"state_local_taxes": "10000", "other_itemized": "50000"}
    )
    assert near["deduction"]["amount"] == "60000.00"


def test_the_standard_deduction_is_used_when_larger() -> None:
    tax = tax_of({"wages": "80000"}, deductions={"state_local_taxes": "5000"})
    assert tax["deduction"] == {"kind": "standard", "amount": "16100.00"}


# --- AMT (Form 6251) ---------------------------------------------------------------------------


def test_form_6251_with_the_capital_gain_rates_kept_in_part_iii() -> None:
    # Single 2026, wages 100,000, long-term gain 900,000. AMTI 1,000,000: the exemption 90,100
    # is gone (50% of the 500,000 over the start). Part III: line 17 = 100,000 at 26% = 26,000;
    # 461,600 at 15% = 69,240; 438,400 at 20% = 87,680; line 38 = 182,920 (< 275,110 flat).
    # Regular tax: 13,170 ordinary + 69,240 + 87,680 = 170,090. AMT = 12,830.
    tax = tax_of({"wages": "100000", "other_long_term_gains": "900000"})
    assert tax["regular_tax"] == "170090.00"
    assert tax["amt_exemption"] == "0.00"
    assert tax["tentative_minimum_tax"] == "182920.00"
    assert tax["amt"] == "12830.00"
    assert tax["income_tax"] == "182920.00"
    assert Decimal(tax["total"]) == Decimal(tax["income_tax"]) + Decimal(tax["niit"])


def test_a_separate_filer_adds_to_amti_past_the_exemptions_end() -> None:
    # §55(d)(2), Form 6251 instructions line 4. Married separate 2025, wages 1,000,000:
    # AMTI before it 1,000,000; the exemption 68,500 is gone at 626,350 + 68,500 / 25% =
    # 900,350; AMTI grows by the lesser of 25% x 99,650 = 24,912.50 and 68,500.
    tax = tax_of({"wages": "1000000"}, tax_year=2025, filing_status="married_separate")
    assert tax["amti"] == "1024912.50"
    assert tax["amt_exemption"] == "0.00"
    # Past 900,350 + 4 x 68,500 = 1,174,350 the addition is the whole exemption.
    far = tax_of({"wages": "2000000"}, tax_year=2025, filing_status="married_separate")
    assert far["amti"] == "2068500.00"
    # 2026: the exemption 70,100 ends at 500,000 + 70,100 / 50% = 640,200; the addition's
    # rate stays 25% (OBBBA changed §55(d)(3)'s phase-out rate only).
    near = tax_of({"wages": "700000"}, filing_status="married_separate")
    assert near["amti"] == f"{700000 + Decimal('0.25') * (700000 - 640200):.2f}"
    # Below the end, or on any other return, nothing is added.
    below = tax_of({"wages": "640000"}, filing_status="married_separate")
    assert below["amti"] == "640000.00"
    single = tax_of({"wages": "2000000"})
    assert single["amti"] == "2000000.00"


def test_the_separate_filers_addition_is_taxed_in_part_iii_as_ordinary() -> None:
    # Married separate 2026, wages 100,000, long-term gain 900,000 (the single return of the
    # Part III test above). AMTI 1,000,000 + the addition min(25% x 359,800, 70,100) = 70,100.
    # Part III line 17: 170,100 at 26% to 122,250 and 28% above = 45,183; the gain's 15%/20%
    # parts are the regular tax's (the same tops, the same 83,900 of ordinary income), so the
    # AMT = 45,183 - the regular tax on 83,900 (13,170) = 32,013; the single return owes 12,830.
    case = {"wages": "100000", "other_long_term_gains": "900000"}
    tax = tax_of(case, filing_status="married_separate")
    assert tax["amti"] == "1070100.00"
    assert tax["amt"] == "32013.00"
    assert tax_of(case)["amt"] == "12830.00"


def test_no_amt_for_a_plain_wage_earner() -> None:
    tax = tax_of({"wages": "250000"})
    assert tax["amt"] == "0.00"
    assert tax["income_tax"] == tax["regular_tax"]


# --- NIIT with dividends and interest --------------------------------------------------------


def test_niit_counts_interest_and_dividends() -> None:
    tax = tax_of({"wages": "250000", "interest": "10000", "ordinary_dividends": "20000"})
    assert tax["niit"] == f"{Decimal('0.038') * 30000:.2f}"


# --- lots: average basis, splits, distributions, inherited, options ---------------------------


def _fund_case(**more: Any) -> dict[str, Any]:
    case: dict[str, Any] = {
        "tax_year": 2026,
        "filing_status": "single",
        "accounts": [
            {"id": "FID", "type": "taxable_individual", "owner": "P1", "average_basis": ["VF"]}
        ],
        "securities": [{"symbol": "VF", "kind": "fund"}],
        "lots": [
            {
                "id": "L1",
                "account": "FID",
                "symbol": "VF",
                "quantity": "100",
                "basis": "1000.00",
                "acquired": "2025-01-10",
            },
            {
                "id": "L2",
                "account": "FID",
                "symbol": "VF",
                "quantity": "100",
                "basis": "3000.00",
                "acquired": "2026-03-01",
            },
        ],
    }
    case.update(more)
    return case


def test_average_basis_per_account_and_fund_first_in_for_the_holding_period() -> None:
    # Pub 550 / Reg. §1.1012-1(e): 4,000 over 200 shares = 20 a share, whatever lot is named;
    # the shares sold are the oldest (long-term).
    sale = {
        "id": "S1",
        "account": "FID",
        "date": "2026-06-01",
        "action": "sell",
        "symbol": "VF",
        "quantity": "50",
        "amount": "1500.00",
        "lots": [{"lot": "L2", "quantity": "50"}],
    }
    result = run(_fund_case(transactions=[sale]))
    [row] = result["realized"]
    assert (row["lot"], row["basis"], row["gain"], row["term"]) == (
        "L1",
        "1000.00",
        "500.00",
        "long",
    )
    held = {r["lot"]: (r["quantity"], r["basis"]) for r in result["open_lots"]}
    assert held == {"L1": ("50", "1000.00"), "L2": ("100", "2000.00")}


def test_a_split_multiplies_shares_and_keeps_basis_and_dates() -> None:
    split = {
        "id": "T9",
        "account": "FID",
        "date": "2026-06-02",
        "action": "split",
        "symbol": "VF",
        "ratio": "4",
    }
    result = run(
        _fund_case(transactions=[split], accounts=[{"id": "FID", "type": "taxable_individual"}])
    )
    held = {r["lot"]: (r["quantity"], r["basis"], r["acquired"]) for r in result["open_lots"]}
    assert held == {"L1": ("400", "1000.00", "2025-01-10"), "L2": ("400", "3000.00", "2026-03-01")}


def test_a_distribution_is_long_term_and_makes_a_short_holding_loss_long_term() -> None:
    # §852(b)(3): the 300 distribution is long-term (line 13); §852(b)(4): the 500 loss on
    # shares held under six months is long-term to the extent of the 300 received on them.
    case = {
        "tax_year": 2026,
        "filing_status": "single",
        "accounts": [{"id": "B", "type": "taxable_individual"}],
        "transactions": [
            {
                "id": "T1",
                "account": "B",
                "date": "2026-01-05",
                "action": "buy",
                "symbol": "VF",
                "quantity": "100",
                "amount": "2000.00",
            },
            {
                "id": "T2",
                "account": "B",
                "date": "2026-02-01",
                "action": "distribution",
                "symbol": "VF",
                "amount": "300.00",
            },
            {
                "id": "T3",
                "account": "B",
                "date": "2026-03-01",
                "action": "sell",
                "symbol": "VF",
                "quantity": "100",
                "amount": "1500.00",
            },
        ],
    }
    result = run(case)
    summary = result["summary"]
    assert (summary["short_term"], summary["long_term"]) == ("-200.00", "0.00")
    [row] = result["realized"]
    assert (row["term"], row["gain"], row["long_term_part"]) == ("short", "-500.00", "-300.00")


def test_an_inherited_lot_washed_gives_a_long_term_replacement() -> None:
    def case(flag: bool) -> dict[str, Any]:
        return {
            "tax_year": 2026,
            "filing_status": "single",
            "accounts": [{"id": "B", "type": "taxable_individual"}],
            "lots": [
                {
                    "id": "L1",
                    "account": "B",
                    "symbol": "X",
                    "quantity": "10",
                    "basis": "1000.00",
                    "acquired": "2026-01-15",
                    "how": "inherited",
                }
            ],
            "transactions": [
                {
                    "id": "S1",
                    "account": "B",
                    "date": "2026-03-01",
                    "action": "sell",
                    "symbol": "X",
                    "quantity": "10",
                    "amount": "800.00",
                },
                {
                    "id": "T2",
                    "account": "B",
                    "date": "2026-03-10",
                    "action": "buy",
                    "symbol": "X",
                    "quantity": "10",
                    "amount": "800.00",
                },
                {
                    "id": "S2",
                    "account": "B",
                    "date": "2026-04-01",
                    "action": "sell",
                    "symbol": "X",
                    "quantity": "10",
                    "amount": "1100.00",
                },
            ],
            "policy": {"inherited_wash_tacks_long_term": flag},
        }

    [_, second] = run(case(True))["realized"]
    assert (second["lot"], second["term"], second["gain"]) == ("T2", "long", "100.00")
    assert run(case(False))["realized"][1]["term"] == "short"


def test_a_call_option_on_the_stock_is_an_acquisition_for_1091() -> None:
    case = {
        "tax_year": 2026,
        "filing_status": "single",
        "accounts": [{"id": "B", "type": "taxable_individual"}],
        "securities": [{"symbol": "X260619C50", "kind": "option", "underlying": "X"}],
        "lots": [
            {
                "id": "L1",
                "account": "B",
                "symbol": "X",
                "quantity": "100",
                "basis": "6000.00",
                "acquired": "2025-01-02",
            }
        ],
        "transactions": [
            {
                "id": "S1",
                "account": "B",
                "date": "2026-03-02",
                "action": "sell",
                "symbol": "X",
                "quantity": "100",
                "amount": "5000.00",
            },
            {
                "id": "C1",
                "account": "B",
                "date": "2026-03-20",
                "action": "buy",
                "symbol": "X260619C50",
                "quantity": "100",
                "amount": "300.00",
            },
        ],
    }
    [wash] = run(case)["wash_sales"]
    assert (wash["replacement"], wash["disallowed"]) == ("C1", "1000.00")


# --- per-person carryforward -------------------------------------------------------------------


def _joint_case(p1_loss: int, joint_loss: int, p2_long_in: int) -> dict[str, Any]:
    return {
        "tax_year": 2026,
        "filing_status": "married_joint",
        "people": [{"id": "P1", "role": "taxpayer"}, {"id": "P2", "role": "spouse"}],
        "accounts": [
            {"id": "A1", "type": "taxable_individual", "owner": "P1"},
            {"id": "J", "type": "taxable_joint", "owner": "P1"},
        ],
        "lots": [
            {
                "id": "L1",
                "account": "A1",
                "symbol": "X",
                "quantity": "1",
                "basis": f"{100000 + p1_loss}.00",
                "acquired": "2026-01-02",
            },
            {
                "id": "L2",
                "account": "J",
                "symbol": "Y",
                "quantity": "1",
                "basis": f"{100000 + joint_loss}.00",
                "acquired": "2026-01-02",
            },
        ],
        "transactions": [
            {
                "id": "S1",
                "account": "A1",
                "date": "2026-05-01",
                "action": "sell",
                "symbol": "X",
                "quantity": "1",
                "amount": "100000.00",
            },
            {
                "id": "S2",
                "account": "J",
                "date": "2026-05-01",
                "action": "sell",
                "symbol": "Y",
                "quantity": "1",
                "amount": "100000.00",
            },
        ],
        "carryforward_in": {
            "short_term": "0.00",
            "long_term": f"{p2_long_in}.00",
            "by_person": {"P2": {"long_term": f"{p2_long_in}.00"}},
        },
    }


def test_carryforward_out_by_person_follows_the_owner_of_the_property_sold() -> None:
    carry = run(_joint_case(20000, 10000, 5000))["summary"]["carryforward_out"]
    assert (carry["short_term"], carry["long_term"]) == ("27000.00", "5000.00")
    assert carry["by_person"] == {
        "P1": {"short_term": "22500.00", "long_term": "0.00"},
        "P2": {"short_term": "4500.00", "long_term": "5000.00"},
    }


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 60000), st.integers(0, 60000), st.integers(0, 20000))
def test_per_person_carryforwards_add_up_to_the_households(a: int, b: int, c: int) -> None:
    carry = run(_joint_case(a, b, c))["summary"]["carryforward_out"]
    for term in ("short_term", "long_term"):
        total = sum(Decimal(v[term]) for v in carry["by_person"].values())
        assert total == Decimal(carry[term])


def test_by_person_must_add_up_to_the_totals() -> None:
    case = _joint_case(1000, 0, 5000)
    case["carryforward_in"]["long_term"] = "4000.00"
    with pytest.raises(CaseError) as error:
        parse_case(case)
    assert error.value.path == "carryforward_in.by_person"


# --- properties of the tax ---------------------------------------------------------------------

money = st.integers(0, 1_500_000)
years = st.sampled_from([2025, 2026])
statuses = st.sampled_from(
    ["single", "married_joint", "married_separate", "head_of_household", "surviving_spouse"]
)


def _tax(year: int, status: str, income: dict[str, str], salt: int | None = None) -> dict[str, Any]:
    case: dict[str, Any] = {
        "tax_year": year,
        "filing_status": status,
        "income": income,
        "people": [{"id": "P1", "role": "taxpayer", "born": "1955-05-05"}],
    }
    if salt is not None:
        case["deductions"] = {"state_local_taxes": str(salt)}
    return evaluate(parse_case(case))["tax"]


@settings(max_examples=80, deadline=None)
@given(
    years,
    statuses,
    money,
    money,
    st.integers(0, 200_000),
    st.integers(1, 50_000),
    st.one_of(st.none(), st.integers(0, 80_000)),
)
def test_tax_never_decreases_when_income_rises(
    year: int, status: str, wages: int, gains: int, qualified: int, more: int, salt: int | None
) -> None:
    def total(w: int) -> Decimal:
        income = {
            "wages": str(w),
            "other_long_term_gains": str(gains),
            "ordinary_dividends": str(qualified),
            "qualified_dividends": str(qualified),
        }
        tax = _tax(year, status, income, salt)
        assert Decimal(tax["amt"]) >= 0
        return Decimal(tax["income_tax"]) + Decimal(tax["niit"])

    assert total(wages + more) >= total(wages)


@settings(max_examples=80, deadline=None)
@given(years, statuses, money, money, st.integers(1, 100_000))
def test_qualified_dividends_are_never_taxed_above_the_ordinary_rate(
    year: int, status: str, wages: int, gains: int, dividend: int
) -> None:
    base = {"wages": str(wages), "other_long_term_gains": str(gains)}
    before = Decimal(_tax(year, status, base)["income_tax"])
    qualified = Decimal(
        _tax(
            year,
            status,
            {**base, "ordinary_dividends": str(dividend), "qualified_dividends": str(dividend)},
        )["income_tax"]
    )
    ordinary = Decimal(
        _tax(year, status, {**base, "ordinary_dividends": str(dividend)})["income_tax"]
    )
    assert qualified - before <= ordinary - before + Decimal("0.01")


# --- bad input: exit 2 with the field named ----------------------------------------------------


def _cli(case: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    return subprocess.run(
        [sys.executable, "-m", "taxlogic", "evaluate", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


BASE: dict[str, Any] = {
    "tax_year": 2026,
    "filing_status": "single",
    "accounts": [{"id": "B", "type": "taxable_individual"}],
    "lots": [
        {
            "id": "L1",
            "account": "B",
            "symbol": "X",
            "quantity": "1",
            "basis": "10.00",
            "acquired": "2025-01-02",
        }
    ],
    "income": {"wages": "1000"},
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"income": {"wage": "1000"}}, "income.wage"),
        ({"income": {"ordinary_dividends": "-5"}}, "income.ordinary_dividends"),
        (
            {"income": {"ordinary_dividends": "5", "qualified_dividends": "6"}},
            "income.qualified_dividends",
        ),
        ({"as_of": "9999-12-31"}, "as_of"),
        ({"lots": [{**BASE["lots"][0], "acquired": "9999-01-01"}]}, "lots[0].acquired"),
        ({"lots": [{**BASE["lots"][0], "colour": "red"}]}, "lots[0].colour"),
        ({"people": [{"id": "P1", "role": "taxpayer", "born": "1899-12-31"}]}, "people[0].born"),
        ({"deductions": {"salt": "1"}}, "deductions.salt"),
        ({"extra": 1}, "extra"),
        (
            {"accounts": [{"id": "B", "type": "taxable_individual", "kind": "x"}]},
            "accounts[0].kind",
        ),
        (
            {
                "transactions": [
                    {
                        "id": "T1",
                        "account": "B",
                        "date": "2026-01-02",
                        "action": "split",
                        "symbol": "X",
                        "ratio": "0",
                    }
                ]
            },
            "transactions[0].ratio",
        ),
        (
            {"carryforward_in": {"short_term": "1", "by_person": {"P9": {}}}},
            "carryforward_in.by_person.P9",
        ),
    ],
)
def test_bad_input_exits_2_naming_the_field(
    change: dict[str, Any], field: str, tmp_path: Path
) -> None:
    done = _cli({**BASE, **change}, tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith(f"error: {field}:"), done.stderr
    assert "Traceback" not in done.stderr

"""The planner on the whole return (issue 13) and the engine part of issue 15: harvests ranked by
tax saved this year then by carryforward value, the $0-this-year ones grouped and labelled;
planned gains outside the accounts offset first; the AMT that makes a harvest worthless says
so; a state estimate apart from the federal figures; a gains budget; the sale preview.

Pure: no Django (runs with ``-p no:django``).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from taxlogic.rules.cases import CaseError, evaluate, parse_case
from taxlogic.rules.harvest import _Planner, parse_rules, plan_from_snapshot
from taxlogic.rules.plan_figures import amt_note
from taxlogic.rules.preview import preview_sale

from .test_planner import AS_OF, PRICES, case_of, days_ago, harvests, lot, plan, trade

D = Decimal


def _planned(case: dict[str, Any], **income: str) -> dict[str, Any]:
    case["income"].update(income)
    return case


def test_planned_gains_are_offset_first_and_zero_savers_are_grouped_last() -> None:
    # A 10,000 long-term gain planned outside the accounts. The AAPL loss (3,000) alone offsets
    # 3,000 of it; the VOO loss (20,000) alone offsets it all and takes the $3,000 deduction:
    # VOO first. After it, AAPL saves nothing this year and is labelled so.
    case = _planned(
        case_of(
            [
                lot("A1", "AAPL", "20", "6000.00", days_ago(500)),
                lot("V1", "VOO", "50", "40000.00", days_ago(500)),
            ],
            status="single",
            income="150000",
        ),
        other_long_term_gains="10000.00",
    )
    result = plan(case)
    rows = harvests(result)
    assert [r.symbol for r in rows] == ["VOO", "AAPL"]
    assert [r.saves_this_year for r in rows] == [True, False]
    assert [r.group for r in rows] == ["this_year", "carryforward_only"]
    assert rows[1].tax_saved == 0
    assert rows[1].carryforward_added == D("3000.00")
    figures = {f.key: f.amount for f in result.figures}
    assert figures["gains_outside"] == D("10000.00")
    assert figures["realized_long"] == 0  # the sales only
    # Still the difference of two full computations.
    assert result.tax_saved == sum((r.tax_saved for r in rows), D(0))


def test_a_state_rate_gives_an_estimate_apart_from_the_federal_figures() -> None:
    case = case_of([lot("V1", "VOO", "50", "40000.00", days_ago(500))], status="single")
    result = plan(case, state_marginal_rate=D("0.05"))
    [row] = harvests(result)
    assert result.state_estimate == D("150.00")  # 5% of the $3,000 deduction
    assert row.state_estimate == D("150.00")
    assert plan(case).state_estimate is None
    assert result.to_json()["state_estimate"] == "150.00"


def test_the_amt_making_a_harvest_worthless_is_said() -> None:
    case = case_of([lot("V1", "VOO", "50", "40000.00", days_ago(500))], status="single")
    planner = _Planner(parse_case(case), parse_rules({}))
    before = planner.base[1]
    after = dataclasses.replace(before, regular_tax=before.regular_tax - 500, amt=before.amt + 500)
    note = amt_note(planner, before, after, D(0))
    assert note is not None and note.code == "amt_makes_worthless"
    assert "$500" in note.text
    partly = amt_note(planner, before, dataclasses.replace(after, amt=before.amt + 200), D(300))
    assert partly is not None and partly.code == "amt_takes_back"
    assert amt_note(planner, before, before, D(0)) is None


def test_the_gains_budget_caps_the_zero_rate_gains() -> None:
    lots = [
        lot("G1", "MSFT", "10", "1000.00", days_ago(900)),  # 3,000 gain
        lot("G2", "AAPL", "20", "1000.00", days_ago(900)),  # 2,000 gain
    ]
    case = case_of(lots, status="single", income="30000")
    free = [r for r in plan(case).recommendations if r.step.value == "realize_gain"]
    assert {r.lot for r in free} == {"G1", "G2"}
    capped = [
        r
        for r in plan(case, gains_budget=D("2500")).recommendations
        if r.step.value == "realize_gain"
    ]
    assert [r.lot for r in capped] == ["G2"]


def test_the_planner_settings_come_from_the_snapshot() -> None:
    case = case_of([lot("V1", "VOO", "50", "40000.00", days_ago(500))], status="single")
    result = plan_from_snapshot(
        {"case": case, "planner": {"state_marginal_rate": "0.05", "gains_budget": "1000"}}
    )
    assert result.state_estimate == D("150.00")


def test_qualified_dividends_fill_the_zero_band_before_gains() -> None:
    lots = [lot("G1", "MSFT", "10", "1000.00", days_ago(900))]  # a 3,000 gain
    case = case_of(lots, status="single", income="30000")
    assert [r.lot for r in plan(case).recommendations if r.step.value == "realize_gain"] == ["G1"]
    # 32,000 of qualified dividends leave 30,000 + 32,000 - 16,100 = 45,900 taxable: 3,550
    # under the 49,450 top: the 3,000 gain still fits; 34,000 of them leave only 1,550.
    full = _planned(
        case_of(lots, status="single", income="30000"),
        ordinary_dividends="34000",
        qualified_dividends="34000",
    )
    assert not [r for r in plan(full).recommendations if r.step.value == "realize_gain"]


# --- preview a sale ----------------------------------------------------------------------------


def _preview_case() -> dict[str, Any]:
    return case_of(
        [
            lot("V1", "VOO", "50", "40000.00", days_ago(500)),
            lot("M1", "MSFT", "10", "1000.00", days_ago(900)),
        ],
        [trade("B1", "buy", days_ago(10), "IVV", "5", "2200.00", account="IRA")],
        status="married_joint",
        income="200000",
    )


def test_the_preview_equals_the_engine_with_the_sale_recorded() -> None:
    case = _preview_case()
    preview = preview_sale(snapshot={"case": case}, sales=[{"lot": "M1", "quantity": "4"}])
    amount = f"{D(PRICES['MSFT']) * 4:.2f}"
    recorded = {
        **case,
        "transactions": [
            *case["transactions"],
            {
                **trade("S1", "sell", AS_OF.isoformat(), "MSFT", "4", amount),
                "lots": [{"lot": "M1", "quantity": "4"}],
            },
        ],
    }
    assert preview.tax_before == D(evaluate(parse_case(case))["tax"]["total"])
    assert preview.tax_after == D(evaluate(parse_case(recorded))["tax"]["total"])
    assert preview.long_term == D(amount) - D(400)
    assert preview.short_term == 0
    assert preview.do_not_buy == ()  # a gain: no window


def test_the_preview_shows_a_permanent_wash_in_the_ira_and_the_window() -> None:
    preview = preview_sale(snapshot={"case": _preview_case()}, sales=[{"lot": "V1"}])
    [wash] = preview.wash_sales
    assert (wash.replacement, wash.permanent, wash.quantity) == ("B1", True, D(5))
    [sold] = preview.sold
    assert sold.disallowed == D("2000.00")  # 5 of 50 shares: 1/10 of the 20,000 loss
    [avoid] = preview.do_not_buy
    assert "VOO" in avoid.symbols and "IVV" in avoid.symbols
    assert "IRA" in avoid.accounts and "BRK" in avoid.accounts
    assert (avoid.through - AS_OF).days == 30
    out = preview.to_json()
    assert out["wash_sales"][0]["permanent"] is True
    assert any(r["code"] == "preview_wash_sale" for r in out["reasons"])


@pytest.mark.parametrize(
    ("sale", "field"),
    [
        ({"lot": "NOPE"}, "sales[0].lot"),
        ({"lot": "V1", "quantity": "51"}, "sales[0].quantity"),
        ({"lot": "V1", "price": "-1"}, "sales[0].price"),
    ],
)
def test_a_bad_preview_names_the_field(sale: dict[str, Any], field: str) -> None:
    with pytest.raises(CaseError) as error:
        preview_sale(snapshot={"case": _preview_case()}, sales=[sale])
    assert error.value.path == field


def test_a_zero_rate_gain_that_shrinks_the_senior_deduction_is_not_free() -> None:
    # Single, 100,000 of income, 60,000 itemized: taxable income ~35,500, under the 0% top.
    # A 3,000 gain at 0% still raises MAGI, which cuts the senior deduction by 6% of it
    # (180): the tax rises, so at 65 the gain is not suggested; at 50 it is.
    lots = [lot("G1", "MSFT", "10", "1000.00", days_ago(900))]

    def suggested(born: str) -> list[str | None]:
        case = case_of(lots, status="single", income="100000")
        case["people"][0]["born"] = born
        case["deductions"] = {"state_local_taxes": "30000", "other_itemized": "30000"}
        return [r.lot for r in plan(case).recommendations if r.step.value == "realize_gain"]

    assert suggested("1976-03-01") == ["G1"]
    assert suggested("1950-03-01") == []


def test_a_net_gain_above_the_gains_budget_is_said() -> None:
    case = _planned(
        case_of([lot("A1", "AAPL", "20", "3400.00", days_ago(500))], status="single"),
        other_long_term_gains="20000.00",
    )
    over = plan(case, gains_budget=D("5000"))
    [warning] = [w for w in over.warnings if w.code == "over_gains_budget"]
    assert "$19,600" in warning.text and "$5,000" in warning.text
    assert not [
        w for w in plan(case, gains_budget=D("50000")).warnings if w.code.startswith("over")
    ]

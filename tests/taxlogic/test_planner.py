"""The planner (taxlogic/rules/harvest.py ``plan_household``): one test or more per rule of
issue 4 — thresholds, HIFO, wash-sale guard (a spouse's IRA purchase, dividend reinvestment, plan
contributions), replacements never substantially identical, the 401(k)-only household, tax saved
as the difference of two engine computations, and what lies beyond losses.

Pure: no Django (runs with ``-p no:django``).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from taxlogic.rules.cases import evaluate, parse_case
from taxlogic.rules.harvest import (
    Plan,
    PlanRules,
    Recurring,
    RecurringPurchase,
    Step,
    parse_rules,
    plan_from_snapshot,
    plan_household,
)

D = Decimal
AS_OF = date(2026, 11, 16)
YEAR = 2026

ACCOUNTS: dict[str, tuple[str, str]] = {
    "BRK": ("taxable_individual", "P1"),
    "JNT": ("taxable_joint", "P1"),
    "IRA": ("traditional_ira", "P1"),
    "SIRA": ("roth_ira", "P2"),
    "K401": ("401k", "P2"),
    "TRUST": ("irrevocable_trust", "P1"),
}
SECURITIES = [
    {"symbol": "VOO", "kind": "fund", "tracks": "S&P 500"},
    {"symbol": "IVV", "kind": "fund", "tracks": "S&P 500"},
    {"symbol": "VFIAX", "kind": "fund", "tracks": "S&P 500", "same_as": "VOO"},
    {"symbol": "VTI", "kind": "fund", "tracks": "US total market"},
    {"symbol": "SCHB", "kind": "fund", "tracks": "DJ US broad market"},
    {"symbol": "BND", "kind": "fund", "tracks": "US aggregate bonds"},
    {"symbol": "AGG", "kind": "fund", "tracks": "US aggregate bonds"},
    {"symbol": "IUSB", "kind": "fund", "tracks": "US universal bonds"},
    {"symbol": "AAPL"},
    {"symbol": "MSFT"},
    {"symbol": "BTC", "kind": "crypto"},
]
PRICES = {
    "VOO": "400",
    "IVV": "440",
    "VFIAX": "370",
    "VTI": "200",
    "SCHB": "20",
    "BND": "70",
    "AGG": "95",
    "IUSB": "45",
    "AAPL": "150",
    "MSFT": "400",
    "BTC": "60000",
}
REPLACEMENTS = {"VOO": ("IVV", "VTI", "SCHB"), "BND": ("AGG", "IUSB"), "AGG": ("IUSB",)}


def days_ago(n: int) -> str:
    return (AS_OF - timedelta(days=n)).isoformat()


def lot(
    lot_id: str, symbol: str, qty: str, basis: str, acquired: str, account: str = "BRK", **kw: Any
) -> dict[str, Any]:
    return {
        "id": lot_id,
        "account": account,
        "symbol": symbol,
        "quantity": qty,
        "basis": basis,
        "acquired": acquired,
        **kw,
    }


def trade(
    tid: str, action: str, when: str, symbol: str, qty: str, amount: str, account: str = "BRK"
) -> dict[str, Any]:
    return {
        "id": tid,
        "account": account,
        "date": when,
        "action": action,
        "symbol": symbol,
        "quantity": qty,
        "amount": amount,
    }


def case_of(
    lots: list[dict[str, Any]],
    trades: list[dict[str, Any]] | None = None,
    *,
    status: str = "married_joint",
    income: str = "250000",
    investment: str = "0",
    carry: tuple[str, str] = ("0", "0"),
    accounts: tuple[str, ...] = ("BRK", "JNT", "IRA", "SIRA", "K401"),
    policy: dict[str, bool] | None = None,
) -> dict[str, Any]:
    people = [{"id": "P1", "role": "taxpayer"}]
    if status in ("married_joint", "married_separate"):
        people.append({"id": "P2", "role": "spouse"})
    else:
        accounts = tuple(a for a in accounts if ACCOUNTS[a][1] == "P1")
    case: dict[str, Any] = {
        "tax_year": YEAR,
        "filing_status": status,
        "as_of": AS_OF.isoformat(),
        "people": people,
        "accounts": [{"id": a, "type": ACCOUNTS[a][0], "owner": ACCOUNTS[a][1]} for a in accounts],
        "securities": SECURITIES,
        "lots": lots,
        "transactions": trades or [],
        "prices": PRICES,
        "income": {"ordinary": income, "investment": investment},
        "carryforward_in": {"short_term": carry[0], "long_term": carry[1]},
    }
    if policy:
        case["policy"] = policy
    return case


def plan(case: dict[str, Any], **rules: Any) -> Plan:
    rules.setdefault("replacements", REPLACEMENTS)
    return plan_household(case=parse_case(case), rules=PlanRules(**rules))


def harvests(result: Plan) -> list[Any]:
    return [r for r in result.recommendations if r.step is Step.HARVEST]


# --- candidates: thresholds and HIFO ----------------------------------------------------------


def test_a_lot_needs_both_thresholds_dollars_and_percent() -> None:
    result = plan(
        case_of(
            [
                # $240 loss, 40%: under the dollar threshold.
                lot("SMALL", "AAPL", "4", "840.00", days_ago(400)),
                # $400 loss, 2.4%: under the percent threshold.
                lot("THIN", "MSFT", "41", "16800.00", days_ago(400)),
                # $300 loss, 10%: both met.
                lot("BOTH", "VTI", "13.5", "3000.00", days_ago(400)),
            ]
        )
    )
    assert [r.lot for r in harvests(result)] == ["BOTH"]
    assert harvests(result)[0].loss == D("300.00")
    below = {f.lot: f for f in result.below_threshold}
    assert set(below) == {"SMALL", "THIN"}
    assert all(f.reason.code == "below_threshold" for f in below.values())
    assert "$250" in below["SMALL"].reason.text and "5%" in below["THIN"].reason.text


def test_thresholds_are_the_firms() -> None:
    case = case_of([lot("L", "VTI", "10", "2100.00", days_ago(400))])  # $100, 4.8%
    assert not harvests(plan(case))
    assert [r.lot for r in harvests(plan(case, min_loss=D(50), min_loss_percent=D(4)))] == ["L"]


def test_lots_of_one_security_go_highest_basis_first_with_their_character() -> None:
    result = plan(
        case_of(
            [
                lot("OLD", "VOO", "10", "4600.00", days_ago(500)),  # 460/share, long-term
                lot("NEW", "VOO", "10", "5000.00", days_ago(100)),  # 500/share, short-term
                lot("MID", "VOO", "10", "4800.00", days_ago(200)),
            ]
        )
    )
    picks = harvests(result)
    assert [r.lot for r in picks] == ["NEW", "MID", "OLD"]
    assert [r.term for r in picks] == ["short", "short", "long"]
    assert picks[0].short_term == D("-1000.00") and picks[2].long_term == D("-600.00")


# --- the wash-sale guard ----------------------------------------------------------------------


def test_blocked_by_a_spouses_ira_purchase_with_the_purchase_named_and_the_day_it_clears() -> None:
    bought = AS_OF - timedelta(days=12)
    result = plan(
        case_of(
            [lot("L1", "VOO", "20", "10000.00", days_ago(300), account="JNT")],
            [trade("B1", "buy", bought.isoformat(), "IVV", "5", "2300.00", account="SIRA")],
        )
    )
    assert not harvests(result)
    [blocked] = result.blocked
    assert blocked.lot == "L1" and blocked.unrealized == D("-2000.00")
    assert [(b.lot, b.account, b.acquired) for b in blocked.blockers] == [("B1", "SIRA", bought)]
    assert blocked.clears_on == bought + timedelta(days=31)
    assert "permanent" in blocked.reason.text and "SIRA" in blocked.reason.text
    assert blocked.reason.code == "recent_purchase_would_wash"
    # Selling the spouse's recent shares on the same day would make the harvest clean.
    assert [n.code for n in blocked.notes] == ["clean_if_sold_too"]
    assert "no tax effect" in blocked.notes[0].text


def test_the_spouse_flag_off_lets_the_harvest_through() -> None:
    bought = days_ago(12)
    case = case_of(
        [lot("L1", "VOO", "20", "10000.00", days_ago(300), account="JNT")],
        [trade("B1", "buy", bought, "IVV", "5", "2300.00", account="SIRA")],
        policy={"spouse_ira_purchase_triggers": False},
    )
    assert [r.lot for r in harvests(plan(case))] == ["L1"]


def test_a_recent_lot_the_plan_sells_too_no_longer_blocks() -> None:
    result = plan(
        case_of(
            [
                lot("OLD", "VOO", "20", "10000.00", days_ago(300)),
                lot("RECENT", "VOO", "5", "2250.00", days_ago(10)),  # also at a loss
            ]
        )
    )
    picks = {r.lot: r for r in harvests(result)}
    assert set(picks) == {"OLD", "RECENT"}
    assert "clean_with_plan_sales" in [n.code for n in picks["OLD"].notes]
    assert not result.blocked


def test_each_harvest_has_its_do_not_buy_list_across_covered_accounts() -> None:
    result = plan(case_of([lot("L1", "VOO", "20", "10000.00", days_ago(300))]))
    [harvest] = harvests(result)
    through = AS_OF + timedelta(days=30)
    assert harvest.do_not_buy_through == through
    [avoid] = harvest.avoid
    assert avoid.symbols[0] == "VOO" and {"IVV", "VFIAX"} <= set(avoid.symbols)
    assert set(avoid.accounts) == {"BRK", "JNT", "IRA", "SIRA", "K401"}
    assert "permanent" in avoid.reason.text
    assert result.do_not_buy == (avoid,)


def test_dividend_reinvestment_elsewhere_must_switch_to_cash() -> None:
    last = AS_OF - timedelta(days=80)
    recurring = (
        RecurringPurchase("IRA", "VOO", Recurring.REINVEST, last),
        RecurringPurchase("BRK", "VOO", Recurring.REINVEST, last),  # sold out: no dividend
    )
    result = plan(
        case_of(
            [
                lot("L1", "VOO", "20", "10000.00", days_ago(300)),
                lot("I1", "VOO", "3", "900.00", days_ago(900), account="IRA"),
            ]
        ),
        recurring=recurring,
    )
    steps = [r for r in result.recommendations if r.step is Step.SWITCH_DRIP]
    assert [(s.account, s.symbol) for s in steps] == [("IRA", "VOO")]
    assert steps[0].do_not_buy_through == AS_OF + timedelta(days=30)
    assert "cash" in steps[0].reason.text and "for good" in steps[0].reason.text
    # The step comes right after the harvest it protects.
    assert [r.step for r in result.recommendations] == [Step.HARVEST, Step.SWITCH_DRIP]


def test_a_plan_contribution_that_buys_the_fund_must_change() -> None:
    last = AS_OF - timedelta(days=40)
    result = plan(
        case_of([lot("L1", "BND", "100", "8000.00", days_ago(300))]),
        recurring=(RecurringPurchase("K401", "AGG", Recurring.CONTRIBUTION, last),),
    )
    [change] = [r for r in result.recommendations if r.step is Step.CHANGE_CONTRIBUTION]
    assert change.account == "K401" and "allocation" in change.reason.text


def test_a_contribution_that_already_blocks_says_the_lot_never_clears_until_it_changes() -> None:
    bought = days_ago(5)
    result = plan(
        case_of(
            [lot("L1", "BND", "100", "8000.00", days_ago(300))],
            [trade("C1", "buy", bought, "AGG", "10", "950.00", account="K401")],
        ),
        recurring=(RecurringPurchase("K401", "AGG", Recurring.CONTRIBUTION, AS_OF),),
    )
    [blocked] = result.blocked
    assert "recurring_purchase" in [n.code for n in blocked.notes]


def test_crypto_has_no_do_not_buy_list_and_can_be_bought_back() -> None:
    result = plan(case_of([lot("C", "BTC", "0.5", "40000.00", days_ago(200))]))
    [harvest] = harvests(result)
    assert harvest.avoid == () and harvest.do_not_buy_through is None
    assert harvest.replacement == "BTC"


# --- replacements -----------------------------------------------------------------------------


def test_the_replacement_is_never_substantially_identical_and_says_why() -> None:
    result = plan(case_of([lot("L1", "VOO", "20", "10000.00", days_ago(300))]))
    [harvest] = harvests(result)
    assert harvest.replacement == "VTI"  # IVV tracks the same index: passed over
    assert "US total market" in harvest.replacement_reason.text
    assert "IVV is substantially identical" in harvest.replacement_reason.text


def test_a_replacement_the_plan_sells_at_a_loss_is_passed_over() -> None:
    result = plan(
        case_of(
            [
                lot("L1", "VOO", "20", "10000.00", days_ago(300)),
                lot("L2", "VTI", "20", "5000.00", days_ago(300)),
            ]
        )
    )
    voo = next(r for r in harvests(result) if r.symbol == "VOO")
    assert voo.replacement == "SCHB"


def test_no_usable_replacement_says_so() -> None:
    result = plan(case_of([lot("L1", "AAPL", "20", "4000.00", days_ago(300))]))
    [harvest] = harvests(result)
    assert harvest.replacement is None
    assert harvest.replacement_reason.code == "no_replacement"


@settings(max_examples=60, deadline=None)
@given(
    choices=st.lists(
        st.sampled_from(["IVV", "VFIAX", "VOO", "VTI", "SCHB", "AGG"]), max_size=5, unique=True
    ),
    same_index=st.booleans(),
)
def test_property_a_replacement_is_never_identical_under_the_policy(
    choices: list[str], same_index: bool
) -> None:
    case = parse_case(
        case_of(
            [lot("L1", "VOO", "20", "10000.00", days_ago(300))],
            policy={"same_index_funds_identical": same_index},
        )
    )
    result = plan_household(case=case, rules=PlanRules(replacements={"VOO": tuple(choices)}))
    [harvest] = harvests(result)
    if harvest.replacement is not None:
        assert not case.identity.identical("VOO", harvest.replacement)
        assert harvest.replacement in choices
    else:
        assert all(case.identity.identical("VOO", c) for c in choices)


# --- only tax-advantaged accounts ----------------------------------------------------------------


def test_a_401k_only_household_is_told_plainly_nothing_can_be_harvested() -> None:
    result = plan(
        case_of(
            [
                lot("K1", "VTI", "100", "25000.00", days_ago(300), account="K401"),
                lot("K2", "BND", "50", "4000.00", days_ago(300), account="K401"),
            ],
            accounts=("K401",),
        )
    )
    assert result.recommendations == ()
    assert result.harvest_loss == 0 and result.tax_saved == 0
    assert {f.lot for f in result.tax_advantaged} == {"K1", "K2"}
    assert all(f.reason.code == "tax_advantaged_account" for f in result.tax_advantaged)
    codes = [n.code for n in result.notes]
    assert codes[0] == "no_taxable_accounts"
    assert "myth_sell_inside_plan" in codes and "myth_rollover_loss" in codes
    text = result.notes[0].text
    assert "$5,500" in text and "employer match" in text and "withdrawals" in text


# --- tax saved --------------------------------------------------------------------------------


def _with_sales(case: dict[str, Any], result: Plan) -> dict[str, Any]:
    """The case with the plan's sales added as transactions, for the engine to evaluate."""
    sales = [
        {
            **trade(f"PS{i}", "sell", AS_OF.isoformat(), r.symbol, str(r.quantity), "0", r.account),
            "amount": str((D(PRICES[r.symbol]) * r.quantity).quantize(D("0.01"))),
            "lots": [{"lot": r.lot, "quantity": str(r.quantity)}],
        }
        for i, r in enumerate(harvests(result))
    ]
    return {**case, "transactions": [*case["transactions"], *sales]}


def test_tax_saved_is_the_difference_of_two_engine_computations() -> None:
    case = case_of(
        [
            lot("L1", "VOO", "20", "10000.00", days_ago(300)),
            lot("L2", "BND", "100", "8000.00", days_ago(600)),
            lot("G1", "MSFT", "10", "1000.00", days_ago(900)),
        ],
        [
            {
                **trade("S0", "sell", days_ago(60), "MSFT", "5", "2000.00"),
                "lots": [{"lot": "G1", "quantity": "5"}],
            }
        ],
        income="180000",
        investment="4000",
    )
    result = plan(case)
    without = evaluate(parse_case(case))["tax"]["total"]
    with_sales = evaluate(parse_case(_with_sales(case, result)))["tax"]["total"]
    assert result.tax_before == D(without) and result.tax_after == D(with_sales)
    assert result.tax_saved == D(without) - D(with_sales) > 0
    # Each harvest's saving in the order listed adds up to the plan's.
    assert sum(r.tax_saved for r in harvests(result)) == result.tax_saved
    figures = {f.key: f for f in result.figures}
    assert figures["tax_saved"].amount == result.tax_saved
    assert figures["tax"].before == result.tax_before
    assert figures["realized_long"].amount == D("1500.00")
    assert figures["gains_offset"].amount == D("1500.00")


def test_a_harvest_that_only_adds_to_the_carryforward_says_so() -> None:
    result = plan(
        case_of(
            [
                lot("BIG", "VOO", "100", "50000.00", days_ago(300)),  # $10,000 loss
                lot("MORE", "BND", "100", "8000.00", days_ago(300)),  # $1,000 loss
            ]
        )
    )
    big, more = harvests(result)
    assert big.tax_saved > 0 and big.carryforward_added == D("7000.00")
    assert more.tax_saved == 0 and more.carryforward_added == D("1000.00")
    assert "carryforward_only" in [n.code for n in more.notes]
    figures = {f.key: f for f in result.figures}
    assert figures["carryforward_out"].amount == D("8000.00")
    assert figures["deduction_used"].amount == D("3000.00")


def test_a_separate_taxpayers_harvest_is_on_its_own_return() -> None:
    result = plan(
        case_of(
            [lot("T1", "VOO", "20", "10000.00", days_ago(300), account="TRUST")],
            accounts=("BRK", "TRUST"),
        )
    )
    [harvest] = harvests(result)
    assert harvest.tax_saved is None
    assert harvest.avoid[0].accounts == ("TRUST",)
    assert "separate_return" in [n.code for n in harvest.notes]
    assert result.harvest_loss == 0  # the household's return is untouched


# --- beyond losses ----------------------------------------------------------------------------


def test_a_short_term_gain_turning_long_term_soon_is_worth_waiting_for() -> None:
    result = plan(case_of([lot("G", "MSFT", "20", "4000.00", days_ago(340))]))
    [wait] = result.wait
    assert wait.lot == "G" and wait.unrealized == D("4000.00")
    assert wait.long_term_from == AS_OF - timedelta(days=340) + timedelta(days=366)
    assert wait.tax_saved > 0 and wait.reason.code == "wait_long_term"


def test_gains_can_be_realized_at_zero_percent_in_a_low_income_year() -> None:
    case = case_of(
        [
            lot("G1", "MSFT", "20", "4000.00", days_ago(900)),  # $4,000 long-term gain
            lot("G2", "AAPL", "100", "5000.00", days_ago(900)),  # $10,000 long-term gain
        ],
        status="single",
        income="30000",
    )
    result = plan(case)
    gains = [r for r in result.recommendations if r.step is Step.REALIZE_GAIN]
    assert {g.lot for g in gains} == {"G1", "G2"}  # 13,900 + 14,000 stays under 49,450
    assert all(g.replacement == g.symbol for g in gains)
    realized = {
        **case,
        "transactions": [
            {
                **trade(f"S{g.lot}", "sell", AS_OF.isoformat(), g.symbol, str(g.quantity), "0"),
                "amount": str(D(PRICES[g.symbol]) * g.quantity),
                "lots": [{"lot": g.lot, "quantity": str(g.quantity)}],
            }
            for g in gains
        ],
    }
    assert (
        evaluate(parse_case(realized))["tax"]["total"] == evaluate(parse_case(case))["tax"]["total"]
    )
    rich = plan({**case, "income": {"ordinary": "150000", "investment": "0"}})
    assert not [r for r in rich.recommendations if r.step is Step.REALIZE_GAIN]


def test_wash_sales_already_this_year_are_warnings_the_permanent_first() -> None:
    result = plan(
        case_of(
            [
                lot("A", "VOO", "10", "5000.00", days_ago(400)),
                lot("B", "BND", "10", "900.00", days_ago(400)),
            ],
            [
                {
                    **trade("S1", "sell", days_ago(200), "VOO", "10", "4000.00"),
                    "lots": [{"lot": "A", "quantity": "10"}],
                },
                trade("R1", "buy", days_ago(190), "IVV", "10", "4100.00", account="IRA"),
                {
                    **trade("S2", "sell", days_ago(150), "BND", "10", "700.00"),
                    "lots": [{"lot": "B", "quantity": "10"}],
                },
                trade("R2", "buy", days_ago(140), "AGG", "2", "190.00", account="JNT"),
            ],
        )
    )
    assert [w.code for w in result.warnings] == ["permanent_wash_sale", "wash_sale_this_year"]
    assert "$1,000" in result.warnings[0].text


# --- the stored form --------------------------------------------------------------------------


def test_a_plan_is_json_and_reruns_from_its_snapshot_to_the_same_result() -> None:
    case = case_of(
        [
            lot("L1", "VOO", "20", "10000.00", days_ago(300)),
            lot("I1", "VOO", "3", "900.00", days_ago(900), account="IRA"),
        ]
    )
    planner = {
        "min_loss": "250",
        "min_loss_percent": "5",
        "replacements": {"VOO": ["IVV", "VTI"]},
        "recurring": [
            {"account": "IRA", "symbol": "VOO", "kind": "reinvest", "last": days_ago(80)}
        ],
        "labels": {"BRK": "Schwab ••••1234 (Taxable individual)", "L1": "JWP-1"},
        "notes": [{"code": "input", "text": "A note.", "rule": "—"}],
    }
    snapshot = json.loads(json.dumps({"case": case, "planner": planner}))
    first = plan_from_snapshot(snapshot)
    assert first == plan_household(case=parse_case(case), rules=parse_rules(planner))
    assert json.loads(json.dumps(first.to_json())) == first.to_json()
    assert first.to_json() == plan_from_snapshot(snapshot).to_json()
    assert "Schwab ••••1234" in first.recommendations[0].reason.text
    assert first.notes[0].code == "input"

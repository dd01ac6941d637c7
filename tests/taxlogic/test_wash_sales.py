"""Wash sales: the IRS examples, the window, matching order, accounts, groups, policy flags.

Sources worked here: Pub 550 "Wash Sales" examples; Treas. Reg. §1.1091-1(h) Examples 1–3 (and
Example 2 is also Pub 550's second example); Treas. Reg. §1.1091-2(a) Examples 1–2; Rev. Rul.
2008-5 (IRA purchase, loss lost for good); Rev. Rul. 70-231 (only the loss blocks are washed).
Reg. §1.1091-1(h) Example 4 is about short sales (§1.1091-1(g)), which the case format has not.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from taxlogic.rules.cases import evaluate, parse_case

D = Decimal

ACCOUNTS: dict[str, tuple[str, str]] = {
    "BRK": ("taxable_individual", "P1"),
    "JNT": ("taxable_joint", "P1"),
    "SPS": ("taxable_individual", "P2"),
    "IRA": ("traditional_ira", "P1"),
    "ROTH": ("roth_ira", "P1"),
    "SIRA": ("roth_ira", "P2"),
    "K401": ("401k", "P1"),
    "HSA": ("hsa", "P1"),
    "C529": ("529", "P1"),
    "TRUST": ("irrevocable_trust", "P1"),
    "UTMA": ("custodial", "P1"),
}


def run(
    trades: list[dict[str, Any]],
    lots: list[dict[str, Any]] | None = None,
    *,
    status: str = "married_joint",
    year: int = 2026,
    accounts: tuple[str, ...] = tuple(ACCOUNTS),
    **extra: Any,
) -> dict[str, Any]:
    if status == "married_separate":
        accounts = tuple(a for a in accounts if a != "JNT")
    case = {
        "tax_year": year,
        "filing_status": status,
        "people": [{"id": "P1", "role": "taxpayer"}, {"id": "P2", "role": "spouse"}],
        "accounts": [{"id": a, "type": ACCOUNTS[a][0], "owner": ACCOUNTS[a][1]} for a in accounts],
        "lots": lots or [],
        "transactions": trades,
        **extra,
    }
    return evaluate(parse_case(case))


def buy(tid: str, when: str, qty: str, amount: str, acct: str = "BRK", sym: str = "X") -> Any:
    return {
        "id": tid,
        "account": acct,
        "date": when,
        "action": "buy",
        "symbol": sym,
        "quantity": qty,
        "amount": amount,
    }


def sell(
    tid: str,
    when: str,
    qty: str,
    amount: str,
    acct: str = "BRK",
    sym: str = "X",
    lots: list[tuple[str, str]] | None = None,
) -> Any:
    out = {
        "id": tid,
        "account": acct,
        "date": when,
        "action": "sell",
        "symbol": sym,
        "quantity": qty,
        "amount": amount,
    }
    if lots:
        out["lots"] = [{"lot": lot, "quantity": q} for lot, q in lots]
    return out


def lot(
    lid: str,
    acquired: str,
    qty: str,
    basis: str,
    acct: str = "BRK",
    sym: str = "X",
    how: str = "purchase",
) -> Any:
    return {
        "id": lid,
        "account": acct,
        "symbol": sym,
        "quantity": qty,
        "basis": basis,
        "acquired": acquired,
        "how": how,
    }


def realized(out: dict[str, Any], sale: str, lot_id: str | None = None) -> dict[str, Any]:
    rows = [r for r in out["realized"] if r["sale"] == sale and lot_id in (None, r["lot"])]
    assert len(rows) == 1, rows
    return rows[0]


def washes(out: dict[str, Any]) -> list[tuple[str, str, str, str, str, bool]]:
    return [
        (w["sale"], w["lot"], w["replacement"], w["quantity"], w["disallowed"], w["permanent"])
        for w in out["wash_sales"]
    ]


def open_rows(out: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(r["lot"], r["quantity"], r["basis"], r["holding_from"]) for r in out["open_lots"]]


# --- the published examples -----------------------------------------------------------------


def test_pub_550_buy_back_within_30_days() -> None:
    # Pub 550: bought 100 for $1,000, sold for $750, bought 100 within 30 days for $800: the
    # $250 loss is disallowed and the new basis is $1,050.
    out = run(
        [sell("S", "2026-02-02", "100", "750.00"), buy("B", "2026-02-20", "100", "800.00")],
        [lot("L", "2025-03-03", "100", "1000.00")],
    )
    row = realized(out, "S")
    assert (row["gain"], row["disallowed"], row["allowed"], row["code"]) == (
        "-250.00",
        "250.00",
        "0.00",
        "W",
    )
    assert open_rows(out) == [("B", "100", "1050.00", "2025-03-21")]
    assert out["summary"]["short_term"] == "0.00"


def test_reg_example_1_earlier_purchase_within_30_days() -> None:
    # Reg. §1.1091-1(h) Ex. 1: bought 100 on 1954-12-01 for $10,000 and 100 on 12-15 for $9,000;
    # sold the first 100 on 1955-01-03 for $9,000: no loss is allowed.
    out = run(
        [sell("S", "1955-01-03", "100", "9000.00")],
        [lot("A", "1954-12-01", "100", "10000.00"), lot("B", "1954-12-15", "100", "9000.00")],
        year=1955,
    )
    row = realized(out, "S")
    assert (row["lot"], row["gain"], row["disallowed"], row["allowed"]) == (
        "A",
        "-1000.00",
        "1000.00",
        "0.00",
    )
    assert washes(out) == [("S", "A", "B", "100", "1000.00", False)]
    # §1091(d): $9,000 + $1,000; bought between the washed shares' purchase and the sale, so
    # its holding period starts when theirs did (§1223(3)).
    assert open_rows(out) == [("B", "100", "10000.00", "1954-12-01")]


def test_reg_example_2_and_pub_550_partial_wash_before_the_sale() -> None:
    # Reg. §1.1091-1(h) Ex. 2 (and Pub 550): 100 bought 1954-09-21 for $5,000; 50 bought 12-21
    # for $2,750 and 25 on 12-27 for $1,125; the 100 sold 1955-01-03 for $4,000. The loss on 75
    # shares ($750) is disallowed, on 25 ($250) allowed; new bases $3,250 and $1,375.
    out = run(
        [
            buy("B50", "1954-12-21", "50", "2750.00"),
            buy("B25", "1954-12-27", "25", "1125.00"),
            sell("S", "1955-01-03", "100", "4000.00", lots=[("L", "100")]),
        ],
        [lot("L", "1954-09-21", "100", "5000.00")],
        year=1955,
    )
    row = realized(out, "S")
    assert (row["gain"], row["disallowed"], row["allowed"]) == ("-1000.00", "750.00", "-250.00")
    assert washes(out) == [
        ("S", "L", "B50", "50", "500.00", False),
        ("S", "L", "B25", "25", "250.00", False),
    ]
    assert [(r[0], r[2]) for r in open_rows(out)] == [("B50", "3250.00"), ("B25", "1375.00")]
    assert out["summary"]["short_term"] == "-250.00"


def test_reg_example_3_first_replacement_shares_in_acquisition_order() -> None:
    # Reg. §1.1091-1(h) Ex. 3: 100 bought 1954-09-15 for $5,000, sold 1956-02-01 for $4,000;
    # 50 bought on each of Feb 15-18 for $2,000. The replacements are the Feb 15 and Feb 16
    # shares, whose holding period includes that of the shares sold.
    out = run(
        [sell("S", "1956-02-01", "100", "4000.00")]
        + [buy(f"B{day}", f"1956-02-{day}", "50", "2000.00") for day in (15, 16, 17, 18)],
        [lot("L", "1954-09-15", "100", "5000.00")],
        year=1956,
    )
    assert washes(out) == [
        ("S", "L", "B15", "50", "500.00", False),
        ("S", "L", "B16", "50", "500.00", False),
    ]
    held = (date(1956, 2, 1) - date(1954, 9, 15)).days
    rows = {r[0]: r for r in open_rows(out)}
    assert rows["B15"][2:] == ("2500.00", (date(1956, 2, 15) - timedelta(days=held)).isoformat())
    assert rows["B16"][2:] == ("2500.00", (date(1956, 2, 16) - timedelta(days=held)).isoformat())
    assert rows["B17"][2:] == ("2000.00", "1956-02-17")
    assert rows["B18"][2:] == ("2000.00", "1956-02-18")
    assert realized(out, "S")["term"] == "long"


@pytest.mark.parametrize(("paid", "basis"), [("90.00", "110.00"), ("70.00", "90.00")])
def test_reg_1091_2_examples_basis_of_the_new_share(paid: str, basis: str) -> None:
    # Reg. §1.1091-2(a): a share bought for $100, sold 1955-01-15 for $80, a new share bought
    # 02-01: its basis is $100 ± (new price − sale price): $110 for $90, $90 for $70.
    out = run(
        [sell("S", "1955-01-15", "1", "80.00"), buy("B", "1955-02-01", "1", paid)],
        [lot("L", "1935-06-03", "1", "100.00")],
        year=1955,
    )
    assert open_rows(out)[0][2] == basis


def test_rev_rul_70_231_only_loss_blocks_are_washed() -> None:
    # Rev. Rul. 70-231: blocks bought at $158, $100 and $95 a share, all 300 sold at $125,
    # 250 bought back: only the loss block (100 shares) is washed; gains are untouched.
    out = run(
        [sell("S", "1969-12-22", "300", "37500.00"), buy("B", "1970-01-08", "250", "30000.00")],
        [
            lot("A", "1967-02-01", "100", "15800.00"),
            lot("M", "1967-05-01", "100", "10000.00"),
            lot("C", "1967-08-01", "100", "9500.00"),
        ],
        year=1969,
    )
    assert [(r["lot"], r["gain"], r["disallowed"]) for r in out["realized"]] == [
        ("A", "-3300.00", "3300.00"),
        ("M", "2500.00", "0.00"),
        ("C", "3000.00", "0.00"),
    ]
    assert washes(out) == [("S", "A", "B", "100", "3300.00", False)]
    # The replacement absorbed 100 of its 250 shares: two pieces, adjusted one first.
    assert open_rows(out) == [
        ("B", "100", "15300.00", "1967-02-18"),
        ("B", "150", "18000.00", "1970-01-08"),
    ]
    assert out["summary"]["long_term"] == "5500.00"


# --- IRAs: Rev. Rul. 2008-5 -------------------------------------------------------------------


@pytest.mark.parametrize("account", ["IRA", "ROTH"])
def test_rev_rul_2008_5_ira_purchase_washes_permanently(account: str) -> None:
    out = run(
        [
            sell("S", "2026-03-02", "100", "600.00"),
            buy("B", "2026-03-03", "100", "600.00", acct=account),
        ],
        [lot("L", "2025-06-01", "100", "1000.00")],
    )
    row = realized(out, "S")
    assert (row["disallowed"], row["allowed"]) == ("400.00", "0.00")
    assert washes(out) == [("S", "L", "B", "100", "400.00", True)]
    assert open_rows(out) == [("B", "100", "600.00", "2026-03-03")]  # nothing added
    assert out["summary"]["short_term"] == "0.00"
    assert all(r["account"] == "BRK" for r in out["realized"])


def test_sales_inside_an_ira_never_reach_schedule_d() -> None:
    out = run(
        [
            buy("B", "2026-01-05", "10", "1000.00", acct="IRA"),
            sell("S", "2026-05-05", "10", "1.00", acct="IRA"),
        ],
    )
    assert out["realized"] == []
    assert out["summary"]["net"] == "0.00"
    assert out["open_lots"] == []


# --- the 61-day window --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "washed"),
    [(-31, False), (-30, True), (-1, True), (0, True), (1, True), (30, True), (31, False)],
)
def test_window_is_30_days_either_side_inclusive(offset: int, washed: bool) -> None:
    sale = date(2026, 3, 15)
    when = (sale + timedelta(days=offset)).isoformat()
    trades = [sell("S", sale.isoformat(), "100", "800.00"), buy("B", when, "100", "800.00")]
    if offset == 0:
        trades.reverse()  # bought earlier the same day; FIFO still sells the old lot
    out = run(trades, [lot("L", "2025-01-02", "100", "1000.00")])
    assert realized(out, "S")["disallowed"] == ("200.00" if washed else "0.00")


def test_window_crosses_tax_years() -> None:
    out = run(
        [sell("S", "2026-12-20", "100", "800.00"), buy("B", "2027-01-05", "100", "800.00")],
        [lot("L", "2026-06-01", "100", "1000.00")],
    )
    assert realized(out, "S")["disallowed"] == "200.00"
    assert out["summary"]["short_term"] == "0.00"


# --- matching -------------------------------------------------------------------------------


def test_partial_wash_after_the_sale() -> None:
    out = run(
        [sell("S", "2026-01-15", "100", "4000.00"), buy("B", "2026-02-05", "40", "1680.00")],
        [lot("L", "2025-06-02", "100", "5000.00")],
    )
    row = realized(out, "S")
    assert (row["disallowed"], row["allowed"]) == ("400.00", "-600.00")
    assert open_rows(out) == [("B", "40", "2080.00", "2025-06-23")]


def test_a_replacement_share_absorbs_one_loss_share_only() -> None:
    out = run(
        [
            sell("S1", "2026-02-01", "100", "800.00", lots=[("L1", "100")]),
            sell("S2", "2026-02-05", "100", "800.00", lots=[("L2", "100")]),
            buy("B", "2026-02-10", "100", "800.00"),
        ],
        [lot("L1", "2025-01-02", "100", "1000.00"), lot("L2", "2025-01-03", "100", "1000.00")],
    )
    # Losses in order of sale: S1 takes the replacement; S2 finds none left.
    assert realized(out, "S1")["disallowed"] == "200.00"
    assert realized(out, "S2")["disallowed"] == "0.00"
    assert washes(out) == [("S1", "L1", "B", "100", "200.00", False)]


def test_same_day_losses_in_order_of_the_sold_shares_acquisition() -> None:
    out = run(
        [
            sell("SN", "2026-02-01", "100", "800.00", lots=[("NEW", "100")]),
            sell("SO", "2026-02-01", "100", "800.00", lots=[("OLD", "100")]),
            buy("B", "2026-02-02", "100", "800.00"),
        ],
        [lot("OLD", "2025-01-02", "100", "1000.00"), lot("NEW", "2025-06-02", "100", "1000.00")],
    )
    assert realized(out, "SO")["disallowed"] == "200.00"
    assert realized(out, "SN")["disallowed"] == "0.00"


def test_shares_sold_in_the_same_sale_never_replace_each_other() -> None:
    out = run(
        [
            buy("A", "2026-01-05", "100", "1000.00"),
            buy("B", "2026-01-15", "100", "1000.00"),
            sell("S", "2026-02-01", "200", "1600.00"),
        ],
    )
    assert [r["disallowed"] for r in out["realized"]] == ["0.00", "0.00"]
    assert out["summary"]["short_term"] == "-400.00"


def test_shares_disposed_of_before_the_loss_sale_are_not_replacements() -> None:
    out = run(
        [
            buy("R", "2026-01-05", "10", "100.00"),
            sell("SR", "2026-01-10", "10", "120.00", lots=[("R", "10")]),
            sell("S", "2026-01-20", "100", "800.00", lots=[("L", "100")]),
        ],
        [lot("L", "2025-01-02", "100", "1000.00")],
    )
    assert realized(out, "S")["disallowed"] == "0.00"


def test_shares_disposed_of_the_same_day_listed_after_are_not_replacements() -> None:
    out = run(
        [
            buy("R", "2026-01-05", "10", "100.00"),
            sell("S", "2026-01-20", "100", "800.00", lots=[("L", "100")]),
            sell("SR", "2026-01-20", "10", "120.00", lots=[("R", "10")]),
        ],
        [lot("L", "2025-01-02", "100", "1000.00")],
    )
    assert realized(out, "S")["disallowed"] == "0.00"


def test_shares_disposed_of_after_the_loss_sale_still_replace_and_carry_the_basis() -> None:
    out = run(
        [
            buy("R", "2026-01-05", "10", "100.00"),
            sell("S", "2026-01-20", "10", "80.00", lots=[("L", "10")]),
            sell("SR", "2026-01-21", "10", "120.00", lots=[("R", "10")]),
        ],
        [lot("L", "2025-01-02", "10", "100.00")],
    )
    assert realized(out, "S")["disallowed"] == "20.00"
    # R's basis 100 + 20; acquired before the sale, so it holds from L's start (2025-01-02).
    row = realized(out, "SR")
    assert (row["basis"], row["gain"], row["term"]) == ("120.00", "0.00", "long")


def test_same_day_blocks_a_wash_never_reduces_a_gain() -> None:
    out = run(
        [sell("S", "2026-03-02", "200", "2000.00"), buy("B", "2026-03-09", "200", "2000.00")],
        [lot("G", "2025-01-02", "100", "600.00"), lot("LS", "2025-02-03", "100", "1300.00")],
    )
    gain = realized(out, "S", "G")
    loss = realized(out, "S", "LS")
    assert (gain["gain"], gain["disallowed"], gain["code"]) == ("400.00", "0.00", "")
    assert (loss["gain"], loss["disallowed"]) == ("-300.00", "300.00")
    assert out["summary"]["long_term"] == "400.00"
    assert washes(out) == [("S", "LS", "B", "100", "300.00", False)]


def test_chain_recognizes_the_economic_loss_at_the_end() -> None:
    out = run(
        [
            sell("S1", "2026-02-02", "100", "800.00"),
            buy("B1", "2026-02-10", "100", "800.00"),
            sell("S2", "2026-03-01", "100", "700.00", lots=[("B1", "100")]),
            buy("B2", "2026-03-15", "100", "700.00"),
            sell("S3", "2026-06-01", "100", "750.00", lots=[("B2", "100")]),
        ],
        [lot("L1", "2025-01-02", "100", "1000.00")],
    )
    assert [(r["sale"], r["basis"], r["gain"], r["disallowed"]) for r in out["realized"]] == [
        ("S1", "1000.00", "-200.00", "200.00"),
        ("S2", "1000.00", "-300.00", "300.00"),
        ("S3", "1000.00", "-250.00", "0.00"),
    ]
    # Economic: (800 - 1000) + (700 - 800) + (750 - 700) = -250, long-term by tacking.
    assert realized(out, "S2")["holding_from"] == "2025-01-10"
    assert realized(out, "S3")["holding_from"] == "2025-01-24"
    assert out["summary"]["long_term"] == "-250.00"
    assert out["open_lots"] == []


def test_gifts_and_inheritances_received_are_not_acquisitions() -> None:
    out = run(
        [sell("S", "2026-03-01", "100", "800.00", lots=[("L", "100")])],
        [
            lot("L", "2025-01-02", "100", "1000.00"),
            lot("INH", "2026-02-20", "100", "900.00", how="inherited"),
            {
                **lot("GFT", "2020-02-20", "100", "900.00", how="gift"),
                "gift_date": "2026-02-25",
                "value_at_gift": "850.00",
            },
        ],
    )
    assert realized(out, "S")["disallowed"] == "0.00"


def test_reinvested_dividends_are_acquisitions() -> None:
    out = run(
        [
            sell("S", "2026-03-01", "100", "800.00"),
            {**buy("DRIP", "2026-03-20", "2.5", "20.00"), "action": "reinvest"},
        ],
        [lot("L", "2025-01-02", "100", "1000.00")],
    )
    assert realized(out, "S")["disallowed"] == "5.00"
    assert open_rows(out) == [("DRIP", "2.5", "25.00", "2025-01-21")]


# --- whose purchases count -------------------------------------------------------------------


def test_spouse_purchase_washes_and_the_basis_moves_to_the_spouses_shares() -> None:
    out = run(
        [
            sell("S", "2026-03-02", "100", "800.00"),
            buy("B", "2026-03-10", "100", "850.00", acct="SPS"),
        ],
        [lot("L", "2025-06-02", "100", "1000.00")],
    )
    assert washes(out) == [("S", "L", "B", "100", "200.00", False)]
    assert open_rows(out) == [("B", "100", "1050.00", "2025-06-10")]


def test_married_separate_spouse_accounts_only_acquire() -> None:
    out = run(
        [
            sell("S", "2026-03-02", "100", "800.00"),
            buy("B", "2026-03-10", "100", "850.00", acct="SPS"),
            sell("SP", "2026-05-01", "10", "10.00", acct="SPS", sym="Y", lots=[("Y1", "10")]),
        ],
        [
            lot("L", "2025-06-02", "100", "1000.00"),
            lot("Y1", "2025-01-01", "10", "500.00", acct="SPS", sym="Y"),
        ],
        status="married_separate",
    )
    assert washes(out) == [("S", "L", "B", "100", "200.00", False)]
    assert [r["sale"] for r in out["realized"]] == ["S"]  # the spouse's own sale is not ours
    assert out["summary"]["net"] == "0.00"


@pytest.mark.parametrize(("flag", "expected"), [(True, True), (False, False)])
def test_policy_spouse_ira_purchase_triggers(flag: bool, expected: bool) -> None:
    out = run(
        [
            sell("S", "2026-03-02", "100", "800.00"),
            buy("B", "2026-03-10", "100", "800.00", acct="SIRA"),
        ],
        [lot("L", "2025-06-02", "100", "1000.00")],
        policy={"spouse_ira_purchase_triggers": flag},
    )
    assert washes(out) == ([("S", "L", "B", "100", "200.00", True)] if expected else [])
    assert out["policy"]["spouse_ira_purchase_triggers"] is flag


@pytest.mark.parametrize("flag", [True, False])
def test_policy_spouse_ira_is_judged_from_the_seller(flag: bool) -> None:
    # Joint return, the spouse sells: the spouse's own Roth IRA is Rev. Rul. 2008-5 itself and
    # washes whatever the flag; the taxpayer's IRA is the seller's spouse's, washing only by it.
    out = run(
        [
            sell("S", "2026-03-02", "100", "800.00", acct="SPS"),
            buy("TI", "2026-03-05", "30", "240.00", acct="IRA"),
            buy("SI", "2026-03-10", "40", "320.00", acct="SIRA"),
        ],
        [lot("L", "2025-06-02", "100", "1000.00", acct="SPS")],
        policy={"spouse_ira_purchase_triggers": flag},
    )
    if flag:
        assert washes(out) == [
            ("S", "L", "TI", "30", "60.00", True),
            ("S", "L", "SI", "40", "80.00", True),
        ]
    else:
        assert washes(out) == [("S", "L", "SI", "40", "80.00", True)]


@pytest.mark.parametrize("flag", [True, False])
def test_opportunities_spouse_ira_blocks_by_the_seller(flag: bool) -> None:
    out = run(
        [
            buy("TI", "2026-11-20", "1", "90.00", acct="IRA"),
            buy("SI", "2026-11-21", "1", "90.00", acct="SIRA", sym="Y"),
        ],
        [
            lot("PX", "2025-01-02", "10", "1000.00"),
            lot("SX", "2025-01-02", "10", "1000.00", acct="SPS"),
            lot("PY", "2025-01-02", "10", "1000.00", sym="Y"),
            lot("SY", "2025-01-02", "10", "1000.00", acct="SPS", sym="Y"),
        ],
        as_of="2026-12-01",
        prices={"X": "80.00", "Y": "80.00"},
        policy={"spouse_ira_purchase_triggers": flag},
    )
    codes = {o["lot"]: o["reason"]["code"] for o in out["opportunities"]}
    blocked = "recent_purchase_would_wash"
    assert codes["PX"] == blocked and codes["SY"] == blocked  # the seller's own IRA
    expected = blocked if flag else "harvestable"
    assert codes["SX"] == expected and codes["PY"] == expected  # the seller's spouse's IRA


@pytest.mark.parametrize(
    ("account", "flag_name"),
    [
        ("K401", "employer_plan_purchase_triggers"),
        ("HSA", "hsa_529_purchase_triggers"),
        ("C529", "hsa_529_purchase_triggers"),
    ],
)
@pytest.mark.parametrize("flag", [True, False])
def test_policy_plan_hsa_529_purchases(account: str, flag_name: str, flag: bool) -> None:
    out = run(
        [
            sell("S", "2026-03-02", "100", "800.00"),
            buy("B", "2026-03-10", "100", "800.00", acct=account),
        ],
        [lot("L", "2025-06-02", "100", "1000.00")],
        policy={flag_name: flag},
    )
    if flag:
        assert washes(out) == [("S", "L", "B", "100", "200.00", True)]
        assert out["summary"]["short_term"] == "0.00"
    else:
        assert washes(out) == []
        assert out["summary"]["short_term"] == "-200.00"


def test_separate_taxpayer_trust_only_its_own_purchases_wash_its_losses() -> None:
    out = run(
        [
            # The household's loss; the trust buys: not a wash (a separate taxpayer).
            sell("S", "2026-03-02", "100", "800.00", lots=[("L", "100")]),
            buy("TB", "2026-03-05", "100", "800.00", acct="TRUST"),
            # The trust's loss; the household buys: not a wash either.
            sell("TS", "2026-06-01", "10", "50.00", acct="TRUST", sym="Y"),
            buy("HB", "2026-06-05", "10", "50.00", sym="Y"),
            # The custodial account's loss, washed by its own purchase.
            sell("US", "2026-07-01", "10", "40.00", acct="UTMA", sym="Z"),
            buy("UB", "2026-07-02", "10", "40.00", acct="UTMA", sym="Z"),
        ],
        [
            lot("L", "2025-06-02", "100", "1000.00"),
            lot("TY", "2025-06-02", "10", "100.00", acct="TRUST", sym="Y"),
            lot("UZ", "2025-06-02", "10", "100.00", acct="UTMA", sym="Z"),
        ],
    )
    assert washes(out) == [("US", "UZ", "UB", "10", "60.00", False)]
    assert out["summary"]["short_term"] == "-200.00"
    assert out["separate_returns"]["TRUST"]["short_term"] == "-50.00"
    assert out["separate_returns"]["UTMA"]["short_term"] == "0.00"
    assert {r["sale"]: r["return"] for r in out["realized"]} == {
        "S": "household",
        "TS": "TRUST",
        "US": "UTMA",
    }


# --- substantially identical ----------------------------------------------------------------


def test_share_classes_are_identical() -> None:
    out = run(
        [
            sell("S", "2026-03-02", "100", "800.00"),
            buy("B", "2026-03-10", "100", "800.00", sym="XADM"),
        ],
        [lot("L", "2025-06-02", "100", "1000.00")],
        securities=[{"symbol": "XADM", "kind": "fund", "same_as": "X"}],
        policy={"same_index_funds_identical": False},
    )
    assert washes(out) == [("S", "L", "B", "100", "200.00", False)]


def test_share_classes_are_transitive() -> None:
    out = run(
        [
            sell("S", "2026-03-02", "100", "800.00", sym="A"),
            buy("B", "2026-03-10", "100", "800.00", sym="C"),
        ],
        [lot("L", "2025-06-02", "100", "1000.00", sym="A")],
        securities=[{"symbol": "B", "same_as": "A"}, {"symbol": "C", "same_as": "B"}],
    )
    assert len(washes(out)) == 1


@pytest.mark.parametrize(("flag", "washed"), [(True, True), (False, False)])
def test_policy_same_index_funds_identical(flag: bool, washed: bool) -> None:
    out = run(
        [
            sell("S", "2026-03-02", "100", "800.00", sym="VOO"),
            buy("B", "2026-03-10", "100", "800.00", sym="IVV"),
        ],
        [lot("L", "2025-06-02", "100", "1000.00", sym="VOO")],
        securities=[
            {"symbol": "VOO", "kind": "fund", "tracks": "S&P 500"},
            {"symbol": "IVV", "tracks": "S&P 500"},  # tracks counts whatever the kind
        ],
        policy={"same_index_funds_identical": flag},
    )
    assert len(washes(out)) == (1 if washed else 0)


def test_different_companies_are_not_identical() -> None:
    out = run(
        [
            sell("S", "2026-03-02", "100", "800.00"),
            buy("B", "2026-03-10", "100", "800.00", sym="Y"),
        ],
        [lot("L", "2025-06-02", "100", "1000.00")],
    )
    assert washes(out) == []


def test_crypto_is_outside_the_wash_sale_rule() -> None:
    out = run(
        [
            sell("S", "2026-03-02", "1", "30000.00", sym="BTC"),
            buy("B", "2026-03-03", "1", "30000.00", sym="BTC"),
        ],
        [lot("L", "2025-06-02", "1", "40000.00", sym="BTC")],
        securities=[{"symbol": "BTC", "kind": "crypto"}],
    )
    assert washes(out) == []
    assert out["summary"]["short_term"] == "-10000.00"
    assert open_rows(out) == [("B", "1", "30000.00", "2026-03-03")]


# --- the two matching policies ----------------------------------------------------------------


@pytest.mark.parametrize("flag", [False, True])
def test_policy_same_lot_remainder_is_replacement(flag: bool) -> None:
    out = run(
        [buy("B", "2026-03-01", "100", "1000.00"), sell("S", "2026-03-10", "50", "400.00")],
        policy={"same_lot_remainder_is_replacement": flag},
    )
    if flag:
        assert washes(out) == [("S", "B", "B", "50", "100.00", False)]
        assert open_rows(out) == [("B", "50", "600.00", "2026-03-01")]
    else:
        assert washes(out) == []
        assert open_rows(out) == [("B", "50", "500.00", "2026-03-01")]


@pytest.mark.parametrize("flag", [True, False])
def test_policy_earlier_acquired_lot_is_replacement(flag: bool) -> None:
    out = run(
        [sell("S", "2026-02-01", "100", "800.00", lots=[("B", "100")])],
        [lot("A", "2026-01-10", "100", "1000.00"), lot("B", "2026-01-20", "100", "1000.00")],
        policy={"earlier_acquired_lot_is_replacement": flag},
    )
    if flag:
        assert washes(out) == [("S", "B", "A", "100", "200.00", False)]
        # Bought before the washed shares: its holding period is unchanged.
        assert open_rows(out) == [("A", "100", "1200.00", "2026-01-10")]
    else:
        assert washes(out) == []


def test_policy_is_echoed_with_defaults() -> None:
    out = run([])
    assert out["policy"] == {
        "same_index_funds_identical": True,
        "employer_plan_purchase_triggers": True,
        "hsa_529_purchase_triggers": True,
        "spouse_ira_purchase_triggers": True,
        "same_lot_remainder_is_replacement": False,
        "earlier_acquired_lot_is_replacement": True,
        "inherited_wash_tacks_long_term": True,
    }


# --- the plan at as_of --------------------------------------------------------------------------


def test_opportunities_recent_purchase_blocks_until_clear_after() -> None:
    out = run(
        [buy("B", "2026-11-20", "10", "900.00")],
        [lot("L", "2025-06-02", "100", "10000.00")],
        as_of="2026-12-01",
        prices={"X": "80.00"},
    )
    rows = {r["lot"]: r for r in out["opportunities"]}
    assert rows["L"]["harvestable"] is False
    assert rows["L"]["reason"]["code"] == "recent_purchase_would_wash"
    assert rows["L"]["reason"]["clear_after"] == "2026-12-20"
    assert "do_not_buy_through" not in rows["L"]
    # The recent lot is not its own blocker.
    assert rows["B"]["harvestable"] is True
    assert rows["B"]["do_not_buy_through"] == "2026-12-31"


def test_opportunities_used_replacement_shares_no_longer_block() -> None:
    out = run(
        [
            sell("S", "2026-11-10", "10", "800.00", lots=[("OLD", "10")]),
            buy("B", "2026-11-20", "10", "850.00"),
        ],
        [lot("OLD", "2025-01-02", "10", "1000.00"), lot("L", "2025-06-02", "100", "10000.00")],
        as_of="2026-12-01",
        prices={"X": "80.00"},
    )
    rows = {r["lot"]: r for r in out["opportunities"]}
    assert rows["L"]["harvestable"] is True
    assert rows["L"]["reason"]["code"] == "harvestable"


def test_opportunities_ignore_transactions_after_as_of_and_ira_lots_cannot_harvest() -> None:
    out = run(
        [
            buy("LATER", "2026-12-10", "10", "900.00"),
            buy("I", "2025-01-10", "10", "1000.00", acct="IRA"),
        ],
        [lot("L", "2025-06-02", "100", "10000.00")],
        as_of="2026-12-01",
        prices={"X": "80.00"},
    )
    rows = {r["lot"]: r for r in out["opportunities"]}
    assert set(rows) == {"L", "I"}
    assert rows["L"]["harvestable"] is True
    assert (rows["I"]["harvestable"], rows["I"]["reason"]["code"]) == (
        False,
        "tax_advantaged_account",
    )
    assert rows["L"]["unrealized"] == "-2000.00"
    assert rows["L"]["term"] == "long"


def test_opportunities_crypto_note_and_no_window() -> None:
    out = run(
        [buy("B", "2026-11-20", "1", "40000.00", sym="BTC")],
        [lot("L", "2025-06-02", "1", "60000.00", sym="BTC")],
        securities=[{"symbol": "BTC", "kind": "crypto"}],
        as_of="2026-12-01",
        prices={"BTC": "30000.00"},
    )
    rows = {r["lot"]: r for r in out["opportunities"]}
    assert rows["L"]["harvestable"] is True
    assert rows["L"]["notes"] == ["crypto_no_wash_rule"]
    assert "do_not_buy_through" not in rows["L"]

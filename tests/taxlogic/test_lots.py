"""Lot relief: FIFO, specific identification, HIFO, splits to the cent, quantities."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from taxlogic.rules.cases import evaluate, parse_case
from taxlogic.rules.lots import (
    Lot,
    LotRequest,
    OpenLot,
    OpenPiece,
    Position,
    choose_fifo,
    choose_hifo,
    quantity_text,
    split_cumulative,
    to_cents,
)

D = Decimal


def run(lots: list[dict[str, Any]], trades: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    case = {
        "tax_year": 2026,
        "filing_status": "single",
        "accounts": [
            {"id": "BRK", "type": "taxable_individual", "owner": "P1"},
            {"id": "BR2", "type": "taxable_individual", "owner": "P1"},
        ],
        "lots": lots,
        "transactions": trades,
        **extra,
    }
    return evaluate(parse_case(case))


def lot(lid: str, acquired: str, basis: str, quantity: str = "10", **extra: Any) -> dict[str, Any]:
    return {
        "id": lid,
        "account": "BRK",
        "symbol": "X",
        "quantity": quantity,
        "basis": basis,
        "acquired": acquired,
        **extra,
    }


def trade(tid: str, when: str, action: str, quantity: str, amount: str, **extra: Any) -> Any:
    return {
        "id": tid,
        "account": "BRK",
        "date": when,
        "action": action,
        "symbol": "X",
        "quantity": quantity,
        "amount": amount,
        **extra,
    }


def test_to_cents_rounds_half_up() -> None:
    assert to_cents(D("0.005")) == D("0.01")
    assert to_cents(D("0.015")) == D("0.02")
    assert to_cents(D("-0.005")) == D("-0.01")
    assert to_cents(D("2.344999")) == D("2.34")


def test_split_cumulative_adds_up_with_the_remainder_on_the_last_piece() -> None:
    assert split_cumulative(D("100.00"), [D(1), D(1), D(1)]) == [D("33.33"), D("33.34"), D("33.33")]
    parts = split_cumulative(D("0.05"), [D(1)] * 7)
    assert sum(parts) == D("0.05")
    # Part of a whole: the loss on 75 of 100 shares (Reg. §1.1091-1(h) Example 2).
    assert split_cumulative(D("1000.00"), [D(50), D(25)], whole=D(100)) == [
        D("500.00"),
        D("250.00"),
    ]


@pytest.mark.parametrize(
    ("quantity", "text"),
    [
        ("100", "100"),
        ("100.000", "100"),
        ("12.50", "12.5"),
        ("1E+2", "100"),
        ("0.000001", "0.000001"),
    ],
)
def test_quantity_text_has_no_exponent_and_no_trailing_zeros(quantity: str, text: str) -> None:
    assert quantity_text(D(quantity)) == text


def test_fifo_takes_the_earliest_acquisition_then_listing_order() -> None:
    out = run(
        [
            lot("LATE", "2025-05-01", "500.00"),
            lot("B", "2025-01-02", "300.00"),
            lot("A", "2025-01-02", "200.00"),
        ],
        [trade("S", "2026-06-01", "sell", "15", "1500.00")],
    )
    rows = [(r["lot"], r["quantity"], r["basis"], r["proceeds"]) for r in out["realized"]]
    # Same acquisition date: listed order (B before A); then LATE. Proceeds split by shares.
    assert rows == [("B", "10", "300.00", "1000.00"), ("A", "5", "100.00", "500.00")]
    open_rows = {(r["lot"], r["quantity"], r["basis"]) for r in out["open_lots"]}
    assert open_rows == {("A", "5", "100.00"), ("LATE", "10", "500.00")}


def test_specific_identification_takes_the_lots_named() -> None:
    out = run(
        [lot("OLD", "2024-01-02", "100.00"), lot("NEW", "2025-06-02", "900.00")],
        [
            trade(
                "S",
                "2026-06-01",
                "sell",
                "4",
                "400.00",
                lots=[{"lot": "NEW", "quantity": "4"}],
            )
        ],
    )
    (row,) = out["realized"]
    assert (row["lot"], row["basis"], row["gain"], row["term"]) == (
        "NEW",
        "360.00",
        "40.00",
        "short",
    )


def test_fifo_is_per_account() -> None:
    out = run(
        [lot("OLD", "2024-01-02", "100.00", account="BR2"), lot("NEW", "2025-06-02", "900.00")],
        [trade("S", "2026-06-01", "sell", "10", "1000.00")],
    )
    assert [r["lot"] for r in out["realized"]] == ["NEW"]


def test_proceeds_and_basis_split_to_the_cent() -> None:
    out = run(
        [
            lot("A", "2025-01-02", "10.00", quantity="1"),
            lot("B", "2025-01-03", "10.00", quantity="1"),
            lot("C", "2025-01-04", "100.00", quantity="3"),
        ],
        [trade("S", "2026-06-01", "sell", "3", "100.00")],
    )
    proceeds = [D(r["proceeds"]) for r in out["realized"]]
    assert proceeds == [D("33.33"), D("33.34"), D("33.33")]
    assert sum(proceeds) == D("100.00")
    # One share of C's three: 100.00 / 3 = 33.33, the rest (66.67) stays with the lot.
    assert out["realized"][2]["basis"] == "33.33"
    assert [r["basis"] for r in out["open_lots"]] == ["66.67"]


def test_fractional_shares() -> None:
    out = run(
        [lot("A", "2025-01-02", "1000.00", quantity="12.5")],
        [trade("S", "2026-06-01", "sell", "2.5", "150.00")],
    )
    (row,) = out["realized"]
    assert (row["quantity"], row["basis"], row["gain"]) == ("2.5", "200.00", "-50.00")
    assert out["open_lots"][0]["quantity"] == "10"


def test_a_lot_listed_with_a_later_acquisition_is_not_held_before_it() -> None:
    out = run(
        [lot("A", "2026-01-02", "1000.00"), lot("B", "2026-03-01", "500.00")],
        [trade("S", "2026-02-01", "sell", "10", "1100.00")],
    )
    assert [r["lot"] for r in out["realized"]] == ["A"]


def test_a_buy_opens_a_lot_named_by_its_id() -> None:
    out = run(
        [],
        [
            trade("B1", "2026-01-05", "buy", "10", "1000.00"),
            trade("R1", "2026-01-06", "reinvest", "0.5", "51.00"),
            trade(
                "S",
                "2026-09-01",
                "sell",
                "10.5",
                "1100.00",
                lots=[
                    {"lot": "R1", "quantity": "0.5"},
                    {"lot": "B1", "quantity": "10"},
                ],
            ),
        ],
    )
    assert [(r["lot"], r["quantity"]) for r in out["realized"]] == [("R1", "0.5"), ("B1", "10")]
    assert out["open_lots"] == []


def _position(quantity: str, basis: str, acquired: date) -> Position:
    return Position(Lot("L", "A", "X", D(quantity), D(basis), acquired))


def test_a_wash_adjusted_piece_goes_before_the_rest_of_its_lot() -> None:
    position = _position("100", "1000.00", date(2026, 2, 1))
    position.use(D(40), adjustment=D("80.00"), holding_from=date(2025, 6, 1))
    assert [(p.quantity, p.basis, p.adjusted) for p in position.pieces] == [
        (D(40), D("480.00"), True),
        (D(60), D("600.00"), False),
    ]
    assert position.free == D(60)
    taken = position.relieve(D(50))
    assert [(p.quantity, p.basis, p.holding_from) for p in taken] == [
        (D(40), D("480.00"), date(2025, 6, 1)),
        (D(10), D("100.00"), date(2026, 2, 1)),
    ]
    assert position.held == D(50)
    assert position.free == D(50)  # the used shares were sold first


def test_using_shares_in_a_permanent_account_changes_only_what_is_free() -> None:
    position = _position("100", "1000.00", date(2026, 2, 1))
    position.use(D(30), adjustment=None, holding_from=None)
    assert [(p.quantity, p.basis) for p in position.pieces] == [(D(100), D("1000.00"))]
    assert position.free == D(70)
    position.relieve(D(20))
    assert (position.held, position.free) == (D(80), D(70))


def _open(lid: str, acquired: date, quantity: str, basis: str) -> OpenLot:
    lot = Lot(lid, "A", "X", D(quantity), D(basis), acquired)
    return OpenLot(lot, (OpenPiece(D(quantity), D(basis), acquired),), D(quantity))


def test_choose_fifo_and_hifo() -> None:
    lots = [
        _open("A", date(2024, 1, 2), "10", "500.00"),  # 50/share
        _open("B", date(2025, 1, 2), "10", "900.00"),  # 90/share
        _open("C", date(2025, 6, 2), "10", "700.00"),  # 70/share
    ]
    assert choose_fifo(lots, D(15)) == (LotRequest("A", D(10)), LotRequest("B", D(5)))
    assert choose_hifo(lots, D(15)) == (LotRequest("B", D(10)), LotRequest("C", D(5)))
    with pytest.raises(ValueError):
        choose_hifo(lots, D(31))


def test_partial_sales_of_one_lot_split_its_basis_cumulatively() -> None:
    # $10.00 over 6 shares sold one at a time: the k-th share carries round(10 k / 6) minus
    # round(10 (k - 1) / 6), so any first k shares cost the same however the sales were batched.
    one_by_one = run(
        [lot("A", "2025-01-02", "10.00", quantity="6")],
        [trade(f"S{k}", f"2026-06-0{k}", "sell", "1", "2.00") for k in range(1, 7)],
    )
    bases = [D(r["basis"]) for r in one_by_one["realized"]]
    assert bases == [D(x) for x in ("1.67", "1.66", "1.67", "1.67", "1.66", "1.67")]
    assert sum(bases) == D("10.00")
    batched = run(
        [lot("A", "2025-01-02", "10.00", quantity="6")],
        [
            trade("S1", "2026-06-01", "sell", "2", "4.00"),
            trade("S2", "2026-06-02", "sell", "4", "8.00"),
        ],
    )
    assert [r["basis"] for r in batched["realized"]] == ["3.33", "6.67"]

"""Holding periods: calendar anniversaries, leap days, month ends, inheritances, gifts, washes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from taxlogic.rules.cases import evaluate, parse_case
from taxlogic.rules.lots import (
    Term,
    anniversary,
    gift_measure,
    is_long_term,
    long_term_from,
    term_of,
)
from taxlogic.rules.wash_household import replacement_holding_from

D = Decimal


def run(lots: list[dict[str, Any]], trades: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    case = {
        "tax_year": 2026,
        "filing_status": "single",
        "accounts": [{"id": "BRK", "type": "taxable_individual", "owner": "P1"}],
        "lots": lots,
        "transactions": trades,
        **extra,
    }
    return evaluate(parse_case(case))


def sell(when: str, amount: str, quantity: str = "10", tid: str = "S") -> dict[str, Any]:
    return {
        "id": tid,
        "account": "BRK",
        "date": when,
        "action": "sell",
        "symbol": "X",
        "quantity": quantity,
        "amount": amount,
    }


def lot(acquired: str, basis: str = "1000.00", **extra: Any) -> dict[str, Any]:
    return {
        "id": "L",
        "account": "BRK",
        "symbol": "X",
        "quantity": "10",
        "basis": basis,
        "acquired": acquired,
        "how": "purchase",
        **extra,
    }


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2023-03-01", "2024-03-01"),
        ("2024-02-29", "2025-02-28"),  # leap day: the last day of February next year
        ("2023-02-28", "2024-02-29"),  # last day of February: the last day of a leap February
        ("2024-02-28", "2025-02-28"),  # not the last day in a leap year: same day
        ("2023-01-31", "2024-01-31"),
        ("2023-04-30", "2024-04-30"),
        ("2023-01-30", "2024-01-30"),
        ("2025-12-31", "2026-12-31"),
        ("2027-02-28", "2028-02-29"),
    ],
)
def test_anniversary(start: str, expected: str) -> None:
    assert anniversary(date.fromisoformat(start)) == date.fromisoformat(expected)


@pytest.mark.parametrize(
    ("acquired", "sold", "long"),
    [
        ("2023-03-01", "2024-03-01", False),  # Pub 550: on the anniversary is still short
        ("2023-03-01", "2024-03-02", True),
        ("2024-02-29", "2025-02-28", False),
        ("2024-02-29", "2025-03-01", True),
        ("2023-02-28", "2024-02-28", False),
        ("2023-02-28", "2024-02-29", False),  # month end: the anniversary is Feb 29
        ("2023-02-28", "2024-03-01", True),
        ("2023-04-30", "2024-04-30", False),
        ("2023-04-30", "2024-05-01", True),
        ("2023-01-30", "2024-01-31", True),
        ("2025-01-01", "2025-12-31", False),  # 364 days
        ("2024-01-01", "2024-12-31", False),  # 365 days in a leap year: still within a year
    ],
)
def test_long_term_by_calendar(acquired: str, sold: str, long: bool) -> None:
    start, end = date.fromisoformat(acquired), date.fromisoformat(sold)
    assert is_long_term(holding_from=start, sold=end) is long
    assert term_of(holding_from=start, sold=end) is (Term.LONG if long else Term.SHORT)
    assert is_long_term(holding_from=start, sold=long_term_from(start))
    assert not is_long_term(holding_from=start, sold=anniversary(start))


def test_inherited_is_always_long_term() -> None:
    # IRC §1223(9): held one day, still long-term.
    assert is_long_term(holding_from=date(2026, 3, 1), sold=date(2026, 3, 2), inherited=True)
    out = run(
        [lot("2026-03-01", "1000.00", how="inherited")],
        [sell("2026-03-02", "900.00")],
    )
    row = out["realized"][0]
    assert (row["term"], row["gain"]) == ("long", "-100.00")
    assert out["summary"]["long_term"] == "-100.00"


def test_case_sold_on_the_anniversary_is_short_term() -> None:
    out = run([lot("2025-02-28")], [sell("2026-02-28", "1100.00")])
    assert out["realized"][0]["term"] == "short"
    out = run([lot("2025-02-28")], [sell("2026-03-01", "1100.00")])
    assert out["realized"][0]["term"] == "long"


# --- gifts (IRC §1015(a), §1223(2); Pub 551) -----------------------------------------------


def gift(basis: str, value: str, *, acquired: str = "2020-01-10", given: str = "2026-01-05") -> Any:
    return lot(acquired, basis, how="gift", gift_date=given, value_at_gift=value)


def test_gift_sold_at_a_gain_uses_donor_basis_and_holding() -> None:
    measure = gift_measure(
        proceeds=D("1200"),
        donor_basis=D("1000"),
        value_at_gift=D("800"),
        donor_holding_from=date(2020, 1, 10),
        gift_date=date(2026, 1, 5),
    )
    assert (measure.basis, measure.holding_from) == (D("1000"), date(2020, 1, 10))
    out = run([gift("1000.00", "800.00")], [sell("2026-03-01", "1200.00")])
    row = out["realized"][0]
    assert (row["basis"], row["gain"], row["term"]) == ("1000.00", "200.00", "long")


def test_gift_sold_below_the_lower_value_measures_loss_from_it_from_the_gift_date() -> None:
    # Value at the gift (800) below the donor's basis (1000): the loss is measured from 800 and
    # the holding period starts at the gift, so a sale two months later is short-term.
    out = run([gift("1000.00", "800.00")], [sell("2026-03-01", "700.00")])
    row = out["realized"][0]
    assert (row["basis"], row["gain"], row["term"]) == ("800.00", "-100.00", "short")
    assert row["holding_from"] == "2026-01-05"


def test_gift_sold_between_the_two_bases_has_no_gain_or_loss() -> None:
    out = run([gift("1000.00", "800.00")], [sell("2026-03-01", "900.00")])
    row = out["realized"][0]
    assert (row["gain"], row["disallowed"], row["allowed"]) == ("0.00", "0.00", "0.00")
    assert out["summary"]["net"] == "0.00"


def test_gift_worth_more_than_donor_basis_keeps_donor_basis_and_holding_for_a_loss() -> None:
    out = run([gift("1000.00", "1500.00")], [sell("2026-03-01", "900.00")])
    row = out["realized"][0]
    assert (row["basis"], row["gain"], row["term"]) == ("1000.00", "-100.00", "long")
    assert row["holding_from"] == "2020-01-10"


# --- replacement holding period (§1223(3); tax-rules.md §2) ---------------------------------


@pytest.mark.parametrize(
    ("washed_from", "sold", "acquired", "expected"),
    [
        ("2025-03-03", "2026-02-02", "2026-02-20", "2025-03-21"),  # tv01: bought after
        ("2026-01-20", "2026-05-05", "2026-05-20", "2026-02-04"),  # h_same_index
        ("2025-06-02", "2026-01-15", "2026-02-05", "2025-06-23"),  # tv07
        ("2025-06-02", "2026-01-15", "2025-12-20", "2025-06-02"),  # bought between: tacked
        ("2025-06-02", "2026-01-15", "2025-05-20", "2025-05-20"),  # bought before: unchanged
        ("2025-06-02", "2026-01-15", "2026-01-15", "2025-06-02"),  # bought on the sale day
    ],
)
def test_replacement_holding_from(
    washed_from: str, sold: str, acquired: str, expected: str
) -> None:
    assert replacement_holding_from(
        washed_from=date.fromisoformat(washed_from),
        sold=date.fromisoformat(sold),
        acquired=date.fromisoformat(acquired),
    ) == date.fromisoformat(expected)


def test_washed_long_term_holding_makes_replacement_long_term() -> None:
    # Held 2 years, washed; the replacement sold 10 days after purchase is long-term (§1223(3)).
    out = run(
        [lot("2024-01-10")],
        [
            sell("2026-02-02", "800.00", tid="S1"),
            {
                "id": "B",
                "account": "BRK",
                "date": "2026-02-10",
                "action": "buy",
                "symbol": "X",
                "quantity": "10",
                "amount": "820.00",
            },
            {**sell("2026-02-20", "900.00", tid="S2"), "lots": [{"lot": "B", "quantity": "10"}]},
        ],
    )
    first, second = out["realized"]
    assert (first["disallowed"], first["term"]) == ("200.00", "long")
    # Basis 820 + 200 = 1020; 900 - 1020 = -120, long-term by the tacked holding period.
    assert (second["basis"], second["gain"], second["term"]) == ("1020.00", "-120.00", "long")
    assert second["holding_from"] == "2024-01-18"

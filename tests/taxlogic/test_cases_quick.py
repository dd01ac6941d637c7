"""The case parser's quick way for well-formed lots and transactions (taxlogic/rules/cases.py)
gives exactly what the careful way gives, or leaves the entry to it: never a different lot,
never one the careful way would reject."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from taxlogic.rules.cases import (
    CaseError,
    _careful_lot,
    _careful_trade,
    _quick_lot,
    _quick_trade,
)

ACCOUNTS = {"A1", "A2"}
TAKEN = {"dup": "lots[0].id"}

texts = st.one_of(
    st.sampled_from(["L1", "L2", "dup", "A1", "A2", "A3", "VTI", "", "  ", " x "]),
    st.text(max_size=6),
    st.integers(),
    st.none(),
    st.lists(st.integers(), max_size=1),
)
numbers = st.one_of(
    st.sampled_from(
        [
            "1",
            "10",
            "0",
            "-1",
            "0.5",
            "100.000000000001",
            "1.0000000000001",
            "1e3",
            "1E-13",
            " 7 ",
            "NaN",
            "Infinity",
            "-0",
            "999999999999",
            "1000000000000",
            "999999999999999.99",
            "1000000000000000",
            "12.345",
            "12.344999",
            "abc",
            "",
        ]
    ),
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
    st.integers(min_value=-5, max_value=10**13),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
dates = st.one_of(
    st.sampled_from(["2025-01-31", "2025-02-30", "2025/01/31", "2025-1-31", "20250131xx", ""]),
    st.dates().map(lambda d: d.isoformat()),
    st.integers(),
    st.none(),
)
hows = st.one_of(st.sampled_from(["purchase", "inherited", "gift", "GIFT", ""]), st.none())
actions = st.one_of(st.sampled_from(["buy", "sell", "reinvest", "short", "SELL"]), st.none())


good_ids = st.sampled_from(["L1", "L2", "S1", "x"])
good_accounts = st.sampled_from(sorted(ACCOUNTS))
good_symbols = st.sampled_from(["VTI", "VOO", "BTC"])
good_numbers = st.one_of(
    st.integers(min_value=1, max_value=10**6).map(str),
    st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False).map(str),
)
good_dates = st.dates().map(lambda d: d.isoformat())


def _maybe(draw: Any, key: str, good: Any, messy: Any, entry: dict[str, Any]) -> None:
    """Mostly a well-formed value; now and then a messy one, or none at all."""
    roll = draw(st.integers(0, 19))
    if roll == 0:
        return
    entry[key] = draw(messy if roll < 4 else good)


@st.composite
def lots(draw: Any) -> object:
    if not draw(st.integers(0, 19)):
        return draw(st.one_of(st.none(), st.integers(), st.lists(st.integers(), max_size=1)))
    entry: dict[str, Any] = {}
    for key, good, messy in (
        ("id", good_ids, texts),
        ("account", good_accounts, texts),
        ("symbol", good_symbols, texts),
        ("quantity", good_numbers, numbers),
        ("basis", good_numbers, numbers),
        ("acquired", good_dates, dates),
    ):
        _maybe(draw, key, good, messy, entry)
    if draw(st.booleans()):
        entry["how"] = draw(hows)
    if draw(st.booleans()):
        entry["gift_date"] = draw(st.one_of(good_dates, dates))
        entry["value_at_gift"] = draw(st.one_of(good_numbers, numbers))
    return entry


@st.composite
def trades(draw: Any) -> object:
    if not draw(st.integers(0, 19)):
        return draw(st.one_of(st.none(), st.integers()))
    entry: dict[str, Any] = {}
    for key, good, messy in (
        ("id", good_ids, texts),
        ("account", good_accounts, texts),
        ("symbol", good_symbols, texts),
        ("action", st.sampled_from(["buy", "sell", "reinvest"]), actions),
        ("date", good_dates, dates),
        ("quantity", good_numbers, numbers),
        ("amount", good_numbers, numbers),
    ):
        _maybe(draw, key, good, messy, entry)
    shape = draw(st.integers(0, 4))
    if shape == 1:
        entry["lots"] = [{"lot": draw(good_ids), "quantity": entry.get("quantity")}]
    elif shape == 2:
        entry["lots"] = [{"lot": draw(texts), "quantity": draw(st.one_of(good_numbers, numbers))}]
    elif shape == 3:
        entry["lots"] = draw(st.one_of(st.just([]), st.none(), st.integers()))
    elif shape == 4:
        entry["lots"] = [
            {"lot": "L1", "quantity": "1"},
            {"lot": "L2", "quantity": draw(numbers)},
        ]
    return entry


def _same(quick_way: Any, careful_way: Any, item: object) -> None:
    quick_ids, careful_ids = dict(TAKEN), dict(TAKEN)
    quick = quick_way(item, 3, ACCOUNTS, quick_ids)
    try:
        careful = careful_way(item, 3, ACCOUNTS, careful_ids)
    except CaseError:
        assert quick is None, (item, quick)
        return
    if quick is not None:
        assert repr(quick) == repr(careful), item
        assert quick_ids == careful_ids


@settings(max_examples=3000, deadline=None)
@given(lots())
def test_a_lot_the_quick_way_is_the_lot_the_careful_way(item: object) -> None:
    _same(_quick_lot, _careful_lot, item)


@settings(max_examples=3000, deadline=None)
@given(trades())
def test_a_transaction_the_quick_way_is_the_transaction_the_careful_way(item: object) -> None:
    _same(_quick_trade, _careful_trade, item)


def test_the_quick_way_takes_the_common_entries() -> None:
    lot = {
        "id": "L1",
        "account": "A1",
        "symbol": "VTI",
        "quantity": "10",
        "basis": "1000.005",
        "acquired": "2025-01-31",
    }
    quick = _quick_lot(lot, 0, ACCOUNTS, {})
    assert quick is not None and str(quick.basis) == "1000.01"
    sale = {
        "id": "S1",
        "account": "A1",
        "symbol": "VTI",
        "action": "sell",
        "date": "2025-03-01",
        "quantity": "4",
        "amount": "500",
        "lots": [{"lot": "L1", "quantity": "4"}],
    }
    assert _quick_trade(sale, 0, ACCOUNTS, {}) is not None
    buy = {k: v for k, v in sale.items() if k != "lots"} | {"action": "buy"}
    assert _quick_trade(buy, 1, ACCOUNTS, {}) is not None

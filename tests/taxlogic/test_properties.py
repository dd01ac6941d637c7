"""Properties of the engine over random households and histories (hypothesis).

For every sale: allowed + disallowed = the economic result; a disallowance never exceeds the
loss and never touches a gain. Over a history: every dollar disallowed is either in a basis
(open or already sold) or lost for good in an IRA; once everything is sold and no window is
open, what was recognized equals the economic result less the permanent disallowances; no
replacement share replaces twice; nothing sold inside an IRA reaches Schedule D; and the
listing order of trades on different days does not matter.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taxlogic.rules.cases import evaluate, parse_case, run_engine
from taxlogic.rules.wash_sales import History

D = Decimal
START = date(2026, 1, 2)
ACCOUNTS = [
    {"id": "BRK", "type": "taxable_individual", "owner": "P1"},
    {"id": "SPS", "type": "taxable_individual", "owner": "P2"},
    {"id": "IRA", "type": "traditional_ira", "owner": "P1"},
    {"id": "TRUST", "type": "irrevocable_trust", "owner": "P1"},
]
TAXABLE = {"BRK", "SPS", "TRUST"}
SYMBOLS = ["X", "XB", "Y"]  # XB is another share class of X; Y is unrelated
FAST = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def households(draw: st.DrawFn, *, distinct_dates: bool = False) -> dict[str, Any]:
    """A joint return with lots held at the start and a history of buys and sales."""
    held: dict[tuple[str, str], int] = {}
    lots = []
    for index in range(draw(st.integers(0, 3))):
        account = draw(st.sampled_from(["BRK", "SPS", "IRA", "TRUST"]))
        symbol = draw(st.sampled_from(SYMBOLS))
        quantity = draw(st.integers(1, 30))
        held[(account, symbol)] = held.get((account, symbol), 0) + quantity
        lots.append(
            {
                "id": f"L{index}",
                "account": account,
                "symbol": symbol,
                "quantity": str(quantity),
                "basis": f"{draw(st.integers(0, 400_000)) / 100:.2f}",
                # Distinct dates, so FIFO never depends on listing order.
                "acquired": (date(2025, 1, 1) + timedelta(days=7 * index)).isoformat(),
                "how": "purchase",
            }
        )
    count = draw(st.integers(1, 22))
    if distinct_dates:
        days = sorted(
            draw(st.lists(st.integers(0, 150), min_size=count, max_size=count, unique=True))
        )
    else:
        days = sorted(draw(st.lists(st.integers(0, 90), min_size=count, max_size=count)))
    trades = []
    for index, day in enumerate(days):
        account = draw(st.sampled_from(["BRK", "BRK", "SPS", "IRA", "TRUST"]))
        symbol = draw(st.sampled_from(SYMBOLS))
        have = held.get((account, symbol), 0)
        when = (START + timedelta(days=day)).isoformat()
        if have > 0 and draw(st.booleans()):
            quantity = draw(st.integers(1, have))
            held[(account, symbol)] = have - quantity
            action = "sell"
        else:
            quantity = draw(st.integers(1, 30))
            held[(account, symbol)] = have + quantity
            action = "buy"
        trades.append(
            {
                "id": f"T{index}",
                "account": account,
                "date": when,
                "action": action,
                "symbol": symbol,
                "quantity": str(quantity),
                "amount": f"{draw(st.integers(0, 400_000)) / 100:.2f}",
            }
        )
    return {
        "tax_year": 2026,
        "filing_status": "married_joint",
        "people": [{"id": "P1", "role": "taxpayer"}, {"id": "P2", "role": "spouse"}],
        "accounts": ACCOUNTS,
        "securities": [{"symbol": "X"}, {"symbol": "XB", "kind": "fund", "same_as": "X"}],
        "lots": lots,
        "transactions": trades,
        "_held": held,
    }


def _case(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not k.startswith("_")}


def _close_out(data: dict[str, Any]) -> dict[str, Any]:
    """Sell everything 60 days after the last trade: every window is closed by then."""
    case = _case(data)
    last = max(
        [date.fromisoformat(t["date"]) for t in case["transactions"]]
        + [date.fromisoformat(lot["acquired"]) for lot in case["lots"]]
    )
    when = (last + timedelta(days=60)).isoformat()
    closing = [
        {
            "id": f"C{index}",
            "account": account,
            "date": when,
            "action": "sell",
            "symbol": symbol,
            "quantity": str(quantity),
            "amount": f"{(index * 37) % 500}.00",
        }
        for index, ((account, symbol), quantity) in enumerate(sorted(data["_held"].items()))
        if quantity > 0
    ]
    return {**case, "transactions": case["transactions"] + closing}


def _history(case: dict[str, Any]) -> History:
    return run_engine(parse_case(case))


@FAST
@given(households())
def test_each_sale_splits_its_economic_result(data: dict[str, Any]) -> None:
    out = evaluate(parse_case(_case(data)))
    for row in out["realized"]:
        gain, disallowed, allowed = D(row["gain"]), D(row["disallowed"]), D(row["allowed"])
        assert D(row["proceeds"]) - D(row["basis"]) == gain
        assert allowed == gain + disallowed  # allowed + disallowed = the economic result
        assert disallowed >= 0
        if gain >= 0:
            assert disallowed == 0  # a gain is never touched
        else:
            assert disallowed <= -gain
        assert row["code"] == ("W" if disallowed > 0 else "")
        assert row["account"] in TAXABLE  # nothing sold inside an IRA reaches a return


@FAST
@given(households())
def test_every_disallowed_dollar_is_in_a_basis_or_lost_for_good(data: dict[str, Any]) -> None:
    history = _history(_case(data))
    disallowed = sum((r.disallowed for r in history.realized), D(0))
    assert sum((w.disallowed for w in history.wash_sales), D(0)) == disallowed
    permanent = sum((w.disallowed for w in history.wash_sales if w.permanent), D(0))
    in_open_lots = sum((p.deferred for o in history.open_lots for p in o.pieces), D(0))
    in_sold_pieces = sum((r.deferred for r in history.realized), D(0))
    assert in_open_lots + in_sold_pieces + permanent == disallowed


@FAST
@given(households())
def test_closed_out_history_recognizes_the_economic_result(data: dict[str, Any]) -> None:
    case = _close_out(data)
    history = _history(case)
    assert history.open_lots == ()
    cost = sum((D(lot["basis"]) for lot in case["lots"] if lot["account"] in TAXABLE), D(0))
    cost += sum(
        (
            D(t["amount"])
            for t in case["transactions"]
            if t["action"] == "buy" and t["account"] in TAXABLE
        ),
        D(0),
    )
    taxable = [r for r in history.realized if r.account in TAXABLE]
    proceeds = sum((r.proceeds for r in taxable), D(0))
    recognized = sum((r.allowed for r in taxable), D(0))
    permanent = sum((w.disallowed for w in history.wash_sales if w.permanent), D(0))
    assert recognized == proceeds - cost + permanent


@FAST
@given(households())
def test_no_replacement_share_replaces_twice_and_domains_stay_apart(data: dict[str, Any]) -> None:
    case = _case(data)
    history = _history(case)
    quantities = {lot["id"]: D(lot["quantity"]) for lot in case["lots"]}
    quantities |= {t["id"]: D(t["quantity"]) for t in case["transactions"]}
    accounts = {lot["id"]: lot["account"] for lot in case["lots"]}
    accounts |= {t["id"]: t["account"] for t in case["transactions"]}
    used: dict[str, Decimal] = {}
    matched: dict[tuple[str, str], Decimal] = {}
    for wash in history.wash_sales:
        used[wash.replacement] = used.get(wash.replacement, D(0)) + wash.quantity
        key = (wash.sale, wash.lot)
        matched[key] = matched.get(key, D(0)) + wash.quantity
        # A trust's purchases wash only the trust's losses, and only they do.
        assert (accounts[wash.lot] == "TRUST") == (wash.replacement_account == "TRUST")
        assert wash.permanent == (wash.replacement_account == "IRA")
    for lot_id, quantity in used.items():
        assert quantity <= quantities[lot_id]
    sold: dict[tuple[str, str], Decimal] = {}
    for row in history.realized:
        sold[(row.sale, row.lot)] = sold.get((row.sale, row.lot), D(0)) + row.quantity
    for key, quantity in matched.items():
        assert quantity <= sold[key]


def _canonical(out: dict[str, Any]) -> dict[str, Any]:
    def rows(items: list[dict[str, Any]]) -> list[str]:
        return sorted(repr(sorted(item.items())) for item in items)

    return {
        "realized": rows(out["realized"]),
        "wash_sales": rows(out["wash_sales"]),
        "open_lots": rows(out["open_lots"]),
        "summary": out["summary"],
        "separate_returns": out["separate_returns"],
    }


@FAST
@given(households(distinct_dates=True), st.randoms(use_true_random=False))
def test_listing_order_does_not_matter_when_dates_differ(
    data: dict[str, Any], rng: random.Random
) -> None:
    case = _case(data)
    shuffled = {**case, "transactions": list(case["transactions"])}
    rng.shuffle(shuffled["transactions"])
    shuffled["lots"] = list(reversed(case["lots"]))
    assert _canonical(evaluate(parse_case(shuffled))) == _canonical(evaluate(parse_case(case)))

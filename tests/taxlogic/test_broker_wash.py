"""A wash-sale adjustment the custodian already applied (``lots[].broker_wash_adjustment``,
taxlogic/rules/broker_wash.py) is counted once: the loss is still disallowed and the holding
period still tacks, but the replacement's basis is not raised a second time. Washes the broker
does not report (another account, another share class) are added in full."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taxlogic.rules.cases import CaseError, evaluate, parse_case, run_engine
from tests.taxlogic.test_properties import FAST, TAXABLE, _case, _close_out, households

D = Decimal

ACCOUNTS = [
    {"id": "BRK", "type": "taxable_individual", "owner": "P1"},
    {"id": "SPS", "type": "taxable_individual", "owner": "P2"},
    {"id": "IRA", "type": "traditional_ira", "owner": "P1"},
]
OLD = {
    "id": "OLD",
    "account": "BRK",
    "symbol": "X",
    "quantity": "100",
    "basis": "1000.00",
    "acquired": "2025-03-03",
}


def new_lot(
    quantity: str = "100", basis: str = "1050.00", broker: str | None = "250.00", **extra: str
) -> dict[str, Any]:
    """Bought 2026-02-20 for (basis - broker); the custodian's file reports ``basis``."""
    lot = {
        "id": "NEW",
        "account": "BRK",
        "symbol": "X",
        "quantity": quantity,
        "basis": basis,
        "acquired": "2026-02-20",
        **extra,
    }
    if broker is not None:
        lot["broker_wash_adjustment"] = broker
    return lot


def sell(
    tid: str, lot: str, quantity: str, amount: str, when: str = "2026-02-02", acct: str = "BRK"
) -> dict[str, Any]:
    symbol = "XB" if lot.startswith("XB") else "X"
    return {
        "id": tid,
        "account": acct,
        "date": when,
        "action": "sell",
        "symbol": symbol,
        "quantity": quantity,
        "amount": amount,
        "lots": [{"lot": lot, "quantity": quantity}],
    }


def run(lots: list[dict[str, Any]], trades: list[dict[str, Any]]) -> dict[str, Any]:
    return evaluate(
        parse_case(
            {
                "tax_year": 2026,
                "filing_status": "married_joint",
                "people": [{"id": "P1", "role": "taxpayer"}, {"id": "P2", "role": "spouse"}],
                "accounts": ACCOUNTS,
                "securities": [{"symbol": "XB", "kind": "fund", "same_as": "X"}],
                "lots": lots,
                "transactions": trades,
            }
        )
    )


def rows(out: dict[str, Any], lot: str) -> list[dict[str, Any]]:
    return [r for r in out["open_lots"] if r["lot"] == lot]


def test_the_custodians_adjustment_is_not_applied_again() -> None:
    out = run([OLD, new_lot()], [sell("T1", "OLD", "100", "750.00")])
    (sale,) = out["realized"]
    # The loss is still disallowed: not deducted, code W.
    assert (sale["gain"], sale["disallowed"], sale["allowed"], sale["code"]) == (
        "-250.00",
        "250.00",
        "0.00",
        "W",
    )
    (wash,) = out["wash_sales"]
    assert (wash["replacement"], wash["disallowed"], wash["broker_applied"]) == (
        "NEW",
        "250.00",
        "250.00",
    )
    assert wash["reason"]["code"] == "broker_wash_applied"
    assert (
        "already applied by the broker (Form 1099-B box 1g): not applied again"
        in (wash["reason"]["text"])
    )
    assert "§1.6045-1(d)(6)(iii)" in wash["reason"]["rule"]
    # The basis stays as the custodian gave it; the holding period still tacks (§1223(3)).
    (held,) = rows(out, "NEW")
    assert (held["basis"], held["wash_adjustment"], held["holding_from"]) == (
        "1050.00",
        "250.00",
        "2025-03-21",
    )


def test_without_the_field_the_same_file_doubles_the_basis() -> None:
    """What the field prevents: the engine adds the loss to a basis that already holds it."""
    out = run([OLD, new_lot(broker=None)], [sell("T1", "OLD", "100", "750.00")])
    assert rows(out, "NEW")[0]["basis"] == "1300.00"
    assert "broker_applied" not in out["wash_sales"][0]


def test_selling_the_replacement_recognizes_the_economic_loss_once() -> None:
    trades = [sell("T1", "OLD", "100", "750.00"), sell("T2", "NEW", "100", "700.00", "2026-06-01")]
    out = run([OLD, new_lot()], trades)
    second = next(r for r in out["realized"] if r["sale"] == "T2")
    # Long-term: the sold shares' holding period (from 2025-03-03) is tacked on (§1223(3)).
    assert (second["basis"], second["gain"], second["term"]) == ("1050.00", "-350.00", "long")
    # Paid 1,000 + 800, received 750 + 700: the whole history recognizes -350, once.
    assert sum(D(r["allowed"]) for r in out["realized"]) == D("-350.00")
    assert out["summary"]["long_term"] == "-350.00"


def test_a_wash_from_another_account_is_added_in_full() -> None:
    """The spouse's loss washed by a purchase in this account: brokers do not report it (the
    custodian's 250 is from a sale of its own account, before this history)."""
    spouse_lot = {**OLD, "id": "SOLD", "account": "SPS"}
    out = run([spouse_lot, new_lot()], [sell("T1", "SOLD", "100", "700.00", acct="SPS")])
    (wash,) = out["wash_sales"]
    assert wash["disallowed"] == "300.00" and "broker_applied" not in wash
    (held,) = rows(out, "NEW")
    assert (held["basis"], held["wash_adjustment"]) == ("1350.00", "550.00")


def test_another_share_class_is_added_in_full() -> None:
    """Substantially identical but not the same CUSIP: the broker does not adjust for it."""
    other = {**OLD, "id": "XB1", "symbol": "XB"}
    out = run([other, new_lot()], [sell("T1", "XB1", "100", "750.00")])
    (wash,) = out["wash_sales"]
    assert wash["disallowed"] == "250.00" and "broker_applied" not in wash
    assert rows(out, "NEW")[0]["basis"] == "1300.00"


def test_partial_replacement_disallows_only_what_the_replacement_covers() -> None:
    """40 replacement shares for 100 sold: 40% of the loss is disallowed, and the custodian's
    adjustment (the same 100.00) is already in the 40 shares' basis."""
    out = run(
        [OLD, new_lot(quantity="40", basis="420.00", broker="100.00")],
        [sell("T1", "OLD", "100", "750.00")],
    )
    (sale,) = out["realized"]
    assert (sale["disallowed"], sale["allowed"]) == ("100.00", "-150.00")
    (wash,) = out["wash_sales"]
    assert (wash["quantity"], wash["broker_applied"]) == ("40", "100.00")
    (held,) = rows(out, "NEW")
    assert (held["quantity"], held["basis"], held["holding_from"]) == ("40", "420.00", "2025-03-21")


def test_a_smaller_custodian_adjustment_is_topped_up() -> None:
    """The custodian reported 100 of the 250 the engine disallows: only 150 is added."""
    out = run([OLD, new_lot(basis="900.00", broker="100.00")], [sell("T1", "OLD", "100", "750.00")])
    (wash,) = out["wash_sales"]
    assert (wash["disallowed"], wash["broker_applied"]) == ("250.00", "100.00")
    assert "150.00 not reported by the custodian is added" in wash["reason"]["text"]
    assert rows(out, "NEW")[0]["basis"] == "1050.00"


def test_a_wash_into_part_of_the_lot_moves_the_adjustment_onto_those_shares() -> None:
    """40 of the 100 shares replace 40 loss shares (loss 100): they carry cost + 100; the other
    60 keep the rest of the custodian's 250 as reported."""
    out = run([OLD, new_lot()], [sell("T1", "OLD", "40", "300.00")])
    (wash,) = out["wash_sales"]
    assert (wash["quantity"], wash["disallowed"], wash["broker_applied"]) == (
        "40",
        "100.00",
        "100.00",
    )
    washed, rest = rows(out, "NEW")
    assert (washed["quantity"], washed["basis"], washed["wash_adjustment"]) == (
        "40",
        "420.00",
        "100.00",
    )
    assert washed["holding_from"] == "2025-03-21"
    assert (rest["quantity"], rest["basis"], rest["broker_wash_adjustment"]) == (
        "60",
        "630.00",
        "150.00",
    )
    assert rest["holding_from"] == "2026-02-20"
    assert rest["reason"]["code"] == "broker_wash_kept"


def test_a_loss_sale_before_the_history_leaves_the_basis_as_reported() -> None:
    out = run([new_lot()], [])
    (held,) = rows(out, "NEW")
    assert (held["basis"], held["broker_wash_adjustment"], held["holding_from"]) == (
        "1050.00",
        "250.00",
        "2026-02-20",
    )
    assert "wash_adjustment" not in held and "kept as reported" in held["reason"]["text"]
    assert out["wash_sales"] == []


def test_one_adjustment_covers_two_sales_only_up_to_its_amount() -> None:
    """Two same-account loss sales wash into one lot whose custodian adjustment is 250: the
    first (150) is covered in full, the second (150) for the 100 left; 50 is added."""
    first = {**OLD, "id": "O1", "quantity": "50", "basis": "500.00"}
    second = {**OLD, "id": "O2", "quantity": "50", "basis": "500.00"}
    trades = [sell("T1", "O1", "50", "350.00"), sell("T2", "O2", "50", "350.00", "2026-02-03")]
    out = run([first, second, new_lot()], trades)
    applied = {w["sale"]: w["broker_applied"] for w in out["wash_sales"]}
    assert applied == {"T1": "150.00", "T2": "100.00"}
    assert sum(D(r["basis"]) for r in rows(out, "NEW")) == D("1100.00")  # 800 + 150 + 150


def test_a_replacement_in_an_ira_is_permanent_whatever_the_field() -> None:
    ira = new_lot(account="IRA")
    out = run([OLD, ira], [sell("T1", "OLD", "100", "750.00")])
    (wash,) = out["wash_sales"]
    assert wash["permanent"] is True and "broker_applied" not in wash


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1.00", "must not be negative"),
        ("1050.01", "more than the lot's basis"),
        ("abc", "must be a decimal number"),
        (True, "must be a decimal string"),
        ("1e20", "too large"),
    ],
)
def test_a_bad_adjustment_is_rejected_naming_the_field(value: object, message: str) -> None:
    lot = new_lot()
    lot["broker_wash_adjustment"] = value
    with pytest.raises(CaseError) as error:
        run([OLD, lot], [])
    assert error.value.path == "lots[1].broker_wash_adjustment"
    assert message in error.value.message


def _with_broker_lots(data: dict[str, Any], seed: int) -> dict[str, Any]:
    """The history with some of its buys given as custodian lots instead: bought that day, at
    the amount paid plus a custodian's adjustment of 0 to 100% of it."""
    rng = random.Random(seed)
    case = _case(data)
    lots, trades = list(case["lots"]), []
    for trade in case["transactions"]:
        if trade["action"] == "buy" and rng.random() < 0.6:
            paid = D(trade["amount"])
            broker = (paid * rng.randint(0, 100) / 100).quantize(D("0.01"))
            lots.append(
                {
                    "id": trade["id"],
                    "account": trade["account"],
                    "symbol": trade["symbol"],
                    "quantity": trade["quantity"],
                    "basis": f"{paid + broker:.2f}",
                    "acquired": trade["date"],
                    "broker_wash_adjustment": f"{broker:.2f}",
                }
            )
        else:
            trades.append(trade)
    return {**data, "lots": lots, "transactions": trades}


@FAST
@given(households(), st.integers(0, 2**16))
def test_every_dollar_is_counted_once(data: dict[str, Any], seed: int) -> None:
    """Over random histories with custodian lots: the disallowed losses, less what the
    custodians' adjustments covered, plus those adjustments, are in a basis or lost for good;
    a covered amount is only ever a same-account, same-symbol wash, never more than the
    disallowed loss, and never more than the lot's adjustment in total; and once everything
    is sold, what was recognized is the economic result less the permanent disallowances
    (the covered amounts were in the cost twice: as the custodian's basis and as the loss)."""
    data = _with_broker_lots(data, seed)
    case = parse_case(_case(data))
    history = run_engine(case)
    broker = {lot.id: lot.broker_wash for lot in case.lots}
    lots = {lot.id: lot for lot in case.lots} | {t.id: t for t in case.trades if t.opens_lot}
    disallowed = sum((r.disallowed for r in history.realized), D(0))
    applied = sum((w.broker_applied for w in history.wash_sales), D(0))
    permanent = sum((w.disallowed for w in history.wash_sales if w.permanent), D(0))
    deferred = sum((p.deferred for o in history.open_lots for p in o.pieces), D(0))
    deferred += sum((r.deferred for r in history.realized), D(0))
    assert deferred + permanent == disallowed - applied + sum(broker.values(), D(0))
    used: dict[str, Decimal] = {}
    for w in history.wash_sales:
        if w.broker_applied:
            sold = lots[w.lot]
            assert (w.replacement_account, lots[w.replacement].symbol) == (
                sold.account,
                sold.symbol,
            )
            assert 0 < w.broker_applied <= w.disallowed and not w.permanent
            used[w.replacement] = used.get(w.replacement, D(0)) + w.broker_applied
    assert all(amount <= broker[lot] for lot, amount in used.items())

    closed = _close_out(data)
    history = run_engine(parse_case(closed))
    assert history.open_lots == ()
    cost = sum((D(lot["basis"]) for lot in closed["lots"] if lot["account"] in TAXABLE), D(0))
    cost += sum(
        (
            D(t["amount"])
            for t in closed["transactions"]
            if t["action"] == "buy" and t["account"] in TAXABLE
        ),
        D(0),
    )
    taxable = [r for r in history.realized if r.account in TAXABLE]
    proceeds = sum((r.proceeds for r in taxable), D(0))
    recognized = sum((r.allowed for r in taxable), D(0))
    permanent = sum((w.disallowed for w in history.wash_sales if w.permanent), D(0))
    applied = sum((w.broker_applied for w in history.wash_sales), D(0))
    assert recognized == proceeds - cost + permanent + applied

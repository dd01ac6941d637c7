"""Rule-engine throughput on deterministic synthetic households (seeded random, no I/O).

    .venv/bin/python benchmarks/engine.py            # both runs
    .venv/bin/python benchmarks/engine.py --small    # quick: 1/10 of each

1. One household with 100,000 transactions over 5 years in 20 substantially identical groups
   (two symbols tracking one index in each), across taxable, spouse, IRA and 401(k) accounts.
   Target on one core: under 10 s.
2. 10,000 households of 300 lots and 50 transactions each. Target: under 30 s.

The figure held to the targets is the review a household gets from the service: lot relief,
wash-sale matching, Schedule D, tax and the plan, from checked inputs. Checking a JSON case and
shaping the CLI's JSON result are timed too and printed beside it. Prints lots/s,
transactions/s and elapsed seconds for each run.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from taxlogic.rules.cases import (  # noqa: E402
    Case,
    evaluate,
    parse_case,
    run_engine,
    summarize,
)
from taxlogic.rules.harvest import opportunities  # noqa: E402
from taxlogic.rules.tax import federal_tax  # noqa: E402
from taxlogic.rules.tax_tables import standard_deduction  # noqa: E402
from taxlogic.rules.wash_household import HOUSEHOLD  # noqa: E402
from taxlogic.rules.wash_sales import History

ACCOUNTS = [
    {"id": "BRK", "type": "taxable_individual", "owner": "P1"},
    {"id": "JNT", "type": "taxable_joint", "owner": "P1"},
    {"id": "SPS", "type": "taxable_individual", "owner": "P2"},
    {"id": "IRA", "type": "traditional_ira", "owner": "P1"},
    {"id": "K401", "type": "401k", "owner": "P2"},
]
PEOPLE = [{"id": "P1", "role": "taxpayer"}, {"id": "P2", "role": "spouse"}]
# Most trading happens in taxable accounts; the tax-advantaged ones buy now and then.
ACCOUNT_WEIGHTS = [40, 20, 20, 12, 8]


def _money(x: float) -> str:
    return f"{max(x, 0.0):.2f}"


def large_household(seed: int = 1, transactions: int = 100_000) -> dict[str, Any]:
    """One household, ``transactions`` trades over 5 years, 20 identical groups."""
    rng = random.Random(seed)
    groups = 20
    symbols = [(f"G{g:02d}A", f"G{g:02d}B") for g in range(groups)]
    securities = []
    for g, (a, b) in enumerate(symbols):
        securities.append({"symbol": a, "kind": "fund", "tracks": f"Index {g}"})
        securities.append({"symbol": b, "kind": "fund", "tracks": f"Index {g}"})
    price = [rng.uniform(20, 300) for _ in range(groups)]
    start = date(2022, 1, 3)
    days = 5 * 365
    per_day = transactions / days
    held: dict[tuple[str, str], int] = {}
    trades: list[dict[str, Any]] = []
    n = 0
    for day in range(days):
        when = (start + timedelta(days=day)).isoformat()
        for g in range(groups):
            price[g] *= 1 + rng.gauss(0.0002, 0.015)  # a random walk: gains and losses
        count = int(per_day) + (1 if rng.random() < per_day - int(per_day) else 0)
        for _ in range(count):
            if n >= transactions:
                break
            n += 1
            g = rng.randrange(groups)
            symbol = symbols[g][rng.randrange(2)]
            account = rng.choices(ACCOUNTS, ACCOUNT_WEIGHTS)[0]["id"]
            have = held.get((account, symbol), 0)
            quantity = rng.randint(1, 60)
            px = price[g] * rng.uniform(0.99, 1.01)
            if have > 0 and rng.random() < 0.47:
                quantity = min(quantity, have)
                held[(account, symbol)] = have - quantity
                trades.append(
                    {
                        "id": f"T{n}",
                        "account": account,
                        "date": when,
                        "action": "sell",
                        "symbol": symbol,
                        "quantity": str(quantity),
                        "amount": _money(quantity * px - 1),
                    }
                )
            else:
                held[(account, symbol)] = have + quantity
                trades.append(
                    {
                        "id": f"T{n}",
                        "account": account,
                        "date": when,
                        "action": "reinvest" if rng.random() < 0.05 else "buy",
                        "symbol": symbol,
                        "quantity": str(quantity),
                        "amount": _money(quantity * px + 1),
                    }
                )
    return {
        "tax_year": 2026,
        "filing_status": "married_joint",
        "as_of": "2026-12-15",
        "people": PEOPLE,
        "accounts": ACCOUNTS,
        "securities": securities,
        "transactions": trades,
        "prices": {s: f"{price[g]:.2f}" for g, pair in enumerate(symbols) for s in pair},
        "income": {"ordinary": "250000.00", "investment": "4000.00"},
        "carryforward_in": {"short_term": "1000.00", "long_term": "0.00"},
    }


def small_household(rng: random.Random, index: int) -> dict[str, Any]:
    """A household of 300 lots in 30 symbols and 50 transactions in the tax year."""
    accounts = [
        {"id": "BRK", "type": "taxable_individual", "owner": "P1"},
        {"id": "IRA", "type": "roth_ira", "owner": "P1"},
    ]
    symbols = [f"S{k:02d}" for k in range(30)]
    securities = [{"symbol": s, "tracks": f"I{k // 3}"} for k, s in enumerate(symbols)]
    price = {s: rng.uniform(10, 400) for s in symbols}
    lots = []
    held: dict[tuple[str, str], int] = {}
    for k in range(300):
        symbol = symbols[k % 30]
        account = "BRK" if rng.random() < 0.8 else "IRA"
        quantity = rng.randint(1, 200)
        acquired = date(2019, 1, 1) + timedelta(days=rng.randrange(7 * 365 - 20))
        basis = quantity * price[symbol] * rng.uniform(0.6, 1.5)
        held[(account, symbol)] = held.get((account, symbol), 0) + quantity
        lots.append(
            {
                "id": f"L{k}",
                "account": account,
                "symbol": symbol,
                "quantity": str(quantity),
                "basis": _money(basis),
                "acquired": acquired.isoformat(),
                "how": "purchase",
            }
        )
    trades = []
    for k in range(50):
        symbol = rng.choice(symbols)
        when = date(2026, 1, 2) + timedelta(days=rng.randrange(340))
        keys = [key for key, have in held.items() if key[1] == symbol and have > 0]
        if keys and rng.random() < 0.6:
            key = rng.choice(keys)
            quantity = rng.randint(1, held[key])
            held[key] -= quantity
            action, account = "sell", key[0]
        else:
            account = "BRK" if rng.random() < 0.85 else "IRA"
            quantity = rng.randint(1, 100)
            held[(account, symbol)] = held.get((account, symbol), 0) + quantity
            action = "buy"
        trades.append(
            {
                "id": f"T{k}",
                "account": account,
                "date": when.isoformat(),
                "action": action,
                "symbol": symbol,
                "quantity": str(quantity),
                "amount": _money(quantity * price[symbol] * rng.uniform(0.8, 1.2)),
            }
        )
    # Sales are generated in listing order, so date them in that order too: never short.
    dates = sorted(t["date"] for t in trades)
    for trade, when in zip(trades, dates, strict=True):
        trade["date"] = when
    return {
        "tax_year": 2026,
        "filing_status": "single",
        "as_of": "2026-12-15",
        "accounts": accounts,
        "securities": securities,
        "lots": lots,
        "transactions": trades,
        "prices": {s: f"{p:.2f}" for s, p in price.items()},
        "income": {"ordinary": f"{80000 + index % 1000 * 100}.00"},
    }


def _review(case: Case) -> tuple[History, int]:
    """What a household review computes: the engine, Schedule D, tax and the plan."""
    history = run_engine(case)
    taxable_before = None
    if case.income is not None:
        taxable_before = (
            case.income.ordinary
            + case.income.investment
            - standard_deduction(case.tax_year, case.filing_status)
        )
    schedule = summarize(
        history.realized,
        tax_year=case.tax_year,
        reported_on=HOUSEHOLD,
        filing_status=case.filing_status,
        carryforward_short=case.carryforward_short,
        carryforward_long=case.carryforward_long,
        taxable_income_before_capital=taxable_before,
    )
    if case.income is not None:
        federal_tax(
            tax_year=case.tax_year,
            filing_status=case.filing_status,
            ordinary_income=case.income.ordinary,
            investment_income=case.income.investment,
            schedule=schedule,
        )
    plan = opportunities(
        holdings=history.holdings_as_of,
        prices=case.prices or {},
        as_of=case.as_of,
        accounts=case.accounts_by_id,
        identity=case.identity,
        policy=case.policy,
    )
    return history, len(plan)


class Clock:
    """Seconds spent in each phase."""

    def __init__(self) -> None:
        self.parse = 0.0
        self.review = 0.0
        self.output = 0.0

    def run(self, data: dict[str, Any]) -> tuple[History, int]:
        began = time.perf_counter()
        case = parse_case(data)
        parsed = time.perf_counter()
        history, planned = _review(case)
        reviewed = time.perf_counter()
        evaluate(case)  # the whole CLI result again, for the cost of shaping it as JSON
        self.output += time.perf_counter() - reviewed - (reviewed - parsed)
        self.parse += parsed - began
        self.review += reviewed - parsed
        return history, planned


def _report(name: str, clock: Clock, *, lots: int, transactions: int, target: float) -> None:
    seconds = clock.review
    verdict = "ok" if seconds < target else "OVER TARGET"
    print(f"{name}")
    print(
        f"  review (engine + Schedule D + tax + plan): {seconds:.2f} s "
        f"(target < {target:g} s: {verdict}); {lots / seconds:,.0f} lots/s, "
        f"{transactions / seconds:,.0f} transactions/s"
    )
    total = clock.parse + clock.review + clock.output
    print(
        f"  + checking the JSON case {clock.parse:.2f} s, shaping the result "
        f"{max(clock.output, 0.0):.2f} s: the whole CLI path {total:.2f} s "
        f"({transactions / total:,.0f} transactions/s)"
    )


def engine_mode() -> str:
    from taxlogic import rules

    return "compiled (mypyc)" if rules.native else "from its sources (not compiled)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="1/10 of each run")
    args = parser.parse_args()
    scale = 10 if args.small else 1
    print(f"Python {platform.python_version()} ({sys.executable}), engine {engine_mode()}")

    data = large_household(transactions=100_000 // scale)
    clock = Clock()
    history, planned = clock.run(data)
    _report(
        f"one household, {len(data['transactions']):,} transactions over 5 years, 20 groups",
        clock,
        lots=sum(1 for t in data["transactions"] if t["action"] != "sell"),
        transactions=len(data["transactions"]),
        target=10 / scale,
    )
    print(
        f"  {len(history.realized):,} pieces sold, {len(history.wash_sales):,} wash sales, "
        f"{len(history.open_lots):,} lots open, {planned:,} opportunities"
    )

    households = 10_000 // scale
    rng = random.Random(2)
    clock = Clock()
    washes = planned = 0
    for index in range(households):
        history, found = clock.run(small_household(rng, index))
        washes += len(history.wash_sales)
        planned += found
    _report(
        f"{households:,} households of 300 lots + 50 transactions",
        clock,
        lots=households * 300,
        transactions=households * 50,
        target=30 / scale,
    )
    print(f"  {washes:,} wash sales, {planned:,} opportunities")
    return 0


if __name__ == "__main__":
    sys.exit(main())

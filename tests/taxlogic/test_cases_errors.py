"""Cases the CLI must refuse: exit 2, one line on stderr naming the field, nothing on stdout.

Runs ``python -m taxlogic evaluate`` in a subprocess, as check_cases.py does.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

GOOD: dict[str, Any] = {
    "tax_year": 2026,
    "filing_status": "married_joint",
    "people": [{"id": "P1", "role": "taxpayer"}, {"id": "P2", "role": "spouse"}],
    "accounts": [
        {"id": "BRK", "type": "taxable_individual", "owner": "P1"},
        {"id": "JNT", "type": "taxable_joint", "owner": "P1"},
    ],
    "securities": [{"symbol": "X", "kind": "stock"}],
    "lots": [
        {
            "id": "L1",
            "account": "BRK",
            "symbol": "X",
            "quantity": "100",
            "basis": "1000.00",
            "acquired": "2025-03-03",
            "how": "purchase",
        }
    ],
    "transactions": [
        {
            "id": "T1",
            "account": "BRK",
            "date": "2026-02-02",
            "action": "sell",
            "symbol": "X",
            "quantity": "40",
            "amount": "300.00",
            "lots": [{"lot": "L1", "quantity": "40"}],
        },
        {
            "id": "T2",
            "account": "BRK",
            "date": "2026-02-20",
            "action": "buy",
            "symbol": "X",
            "quantity": "10",
            "amount": "80.00",
        },
    ],
    "prices": {"X": "8.50"},
    "income": {"ordinary": "100000.00", "investment": "0.00"},
    "carryforward_in": {"short_term": "0.00", "long_term": "0.00"},
    "policy": {"same_index_funds_identical": True},
}


def evaluate(path: Path, python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "taxlogic", "evaluate", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def write(tmp_path: Path, case: object, name: str = "case.json") -> Path:
    path = tmp_path / name
    path.write_text(case if isinstance(case, str) else json.dumps(case), encoding="utf-8")
    return path


def assert_rejected(result: subprocess.CompletedProcess[str], field: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert field in lines[0], (field, lines[0])


def test_the_good_case_is_accepted(tmp_path: Path) -> None:
    result = evaluate(write(tmp_path, GOOD))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["realized"][0]["disallowed"] == "25.00"  # 10 of the 40 loss shares replaced
    assert result.stderr == ""


def test_system_python3_runs_the_cli_without_the_venv(tmp_path: Path) -> None:
    python = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")
    if python is None:  # pragma: no cover - every supported machine has one
        pytest.skip("no system python3")
    result = evaluate(write(tmp_path, GOOD), python=python)
    assert result.returncode == 0, result.stderr
    assert "summary" in json.loads(result.stdout)


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(case: dict[str, Any]) -> None:
        target: Any = case
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _delete(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def change(case: dict[str, Any]) -> None:
        target: Any = case
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


def _append(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(case: dict[str, Any]) -> None:
        target: Any = case
        for key in path:
            target = target[key]
        target.append(copy.deepcopy(value))

    return change


def _many(*changes: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def change(case: dict[str, Any]) -> None:
        for one in changes:
            one(case)

    return change


SALE = GOOD["transactions"][0]
BAD: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "unknown account type": (_set(["accounts", 0, "type"], "brokerage"), "accounts[0].type"),
    "impossible date": (_set(["lots", 0, "acquired"], "2026-02-30"), "lots[0].acquired"),
    "not a date": (_set(["transactions", 1, "date"], "next week"), "transactions[1].date"),
    "date as a number": (_set(["transactions", 1, "date"], 20260220), "transactions[1].date"),
    "negative quantity": (_set(["transactions", 1, "quantity"], "-5"), "transactions[1].quantity"),
    "zero quantity": (_set(["lots", 0, "quantity"], "0"), "lots[0].quantity"),
    "quantity not a number": (_set(["lots", 0, "quantity"], "ten"), "lots[0].quantity"),
    "quantity NaN": (_set(["lots", 0, "quantity"], "NaN"), "lots[0].quantity"),
    "negative amount": (_set(["transactions", 1, "amount"], "-80.00"), "transactions[1].amount"),
    "negative basis": (_set(["lots", 0, "basis"], "-1"), "lots[0].basis"),
    "negative price": (_set(["prices", "X"], "-1"), "prices.X"),
    "negative income": (_set(["income", "ordinary"], "-1"), "income.ordinary"),
    "negative carryforward": (
        _set(["carryforward_in", "long_term"], "-1"),
        "carryforward_in.long_term",
    ),
    "unknown account on a lot": (_set(["lots", 0, "account"], "NOPE"), "lots[0].account"),
    "unknown account on a trade": (
        _set(["transactions", 1, "account"], "NOPE"),
        "transactions[1].account",
    ),
    "unknown lot named": (
        _set(["transactions", 0, "lots", 0, "lot"], "L9"),
        "transactions[0].lots[0].lot",
    ),
    "lot of another symbol named": (
        _many(
            _append(["lots"], {**GOOD["lots"][0], "id": "LY", "symbol": "Y"}),
            _set(["transactions", 0, "lots", 0, "lot"], "LY"),
        ),
        "transactions[0].lots[0].lot",
    ),
    "a future lot named": (
        _set(["transactions", 0, "lots", 0, "lot"], "T2"),
        "transactions[0].lots[0].lot",
    ),
    "unknown security kind": (_set(["securities", 0, "kind"], "etf"), "securities[0].kind"),
    "sale of more than held (FIFO)": (
        _many(_delete(["transactions", 0, "lots"]), _set(["transactions", 0, "quantity"], "101")),
        "transactions[0].quantity",
    ),
    "specific lot oversold": (
        _many(
            _set(["transactions", 0, "quantity"], "101"),
            _set(["transactions", 0, "lots", 0, "quantity"], "101"),
        ),
        "transactions[0].lots[0].quantity",
    ),
    "named lots do not add up": (
        _set(["transactions", 0, "lots", 0, "quantity"], "30"),
        "transactions[0].lots",
    ),
    "lots named on a buy": (
        _set(["transactions", 1, "lots"], [{"lot": "L1", "quantity": "10"}]),
        "transactions[1].lots",
    ),
    "unknown action": (_set(["transactions", 1, "action"], "short"), "transactions[1].action"),
    "unknown how": (_set(["lots", 0, "how"], "stolen"), "lots[0].how"),
    "gift without its value": (_set(["lots", 0, "how"], "gift"), "lots[0].gift_date"),
    "unknown policy flag": (_set(["policy", "wash_everything"], True), "policy.wash_everything"),
    "policy flag not a boolean": (
        _set(["policy", "same_index_funds_identical"], "yes"),
        "policy.same_index_funds_identical",
    ),
    "unknown filing status": (_set(["filing_status"], "married"), "filing_status"),
    "joint account on married filing separately": (
        _set(["filing_status"], "married_separate"),
        "accounts[1].type",
    ),
    "income for a year without tax tables": (_set(["tax_year"], 2024), "income"),
    "tax year not a number": (_set(["tax_year"], "2026"), "tax_year"),
    "missing tax year": (_delete(["tax_year"]), "tax_year"),
    "duplicate lot and transaction id": (
        _set(["transactions", 1, "id"], "L1"),
        "transactions[1].id",
    ),
    "duplicate account id": (_set(["accounts", 1, "id"], "BRK"), "accounts[1].id"),
    "duplicate person id": (_set(["people", 1, "id"], "P1"), "people[1].id"),
    "duplicate security": (
        _append(["securities"], {"symbol": "X"}),
        "securities[1].symbol",
    ),
    "account owner unknown": (_set(["accounts", 0, "owner"], "P7"), "accounts[0].owner"),
    "two taxpayers": (_set(["people", 1, "role"], "taxpayer"), "people"),
    "lots not a list": (_set(["lots"], {"L1": {}}), "lots"),
    "a lot not an object": (_set(["lots", 0], "L1"), "lots[0]"),
    "missing lot field": (_delete(["lots", 0, "basis"]), "lots[0].basis"),
    "bad as_of": (_set(["as_of"], "2026-13-01"), "as_of"),
    "negative broker wash adjustment": (
        _set(["lots", 0, "broker_wash_adjustment"], "-0.01"),
        "lots[0].broker_wash_adjustment",
    ),
    "broker wash adjustment above the basis": (
        _set(["lots", 0, "broker_wash_adjustment"], "1000.01"),
        "lots[0].broker_wash_adjustment",
    ),
    "broker wash adjustment not money": (
        _set(["lots", 0, "broker_wash_adjustment"], "twelve"),
        "lots[0].broker_wash_adjustment",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_case_is_rejected_naming_the_field(tmp_path: Path, name: str) -> None:
    change, field = BAD[name]
    case = copy.deepcopy(GOOD)
    change(case)
    assert_rejected(evaluate(write(tmp_path, case)), field)


def test_missing_filing_status_names_the_field_once(tmp_path: Path) -> None:
    case = copy.deepcopy(GOOD)
    del case["filing_status"]
    result = evaluate(write(tmp_path, case))
    assert_rejected(result, "filing_status")
    assert result.stderr.strip() == "error: filing_status: is required"


def test_malformed_json(tmp_path: Path) -> None:
    result = evaluate(write(tmp_path, '{"tax_year": 2026,, }'))
    assert_rejected(result, "malformed JSON")


def test_not_an_object(tmp_path: Path) -> None:
    assert_rejected(evaluate(write(tmp_path, "[1, 2]")), "case")


def test_missing_file(tmp_path: Path) -> None:
    assert_rejected(evaluate(tmp_path / "nope.json"), "nope.json")


@pytest.mark.parametrize("args", [[], ["evaluate"], ["judge", "x.json"], ["evaluate", "a", "b"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "taxlogic", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "usage" in result.stderr


def test_a_price_or_share_class_for_a_symbol_not_held_is_accepted(tmp_path: Path) -> None:
    """A case may describe more of the market than it holds (replacement candidates)."""
    case = copy.deepcopy(GOOD)
    case["prices"] = {**case.get("prices", {}), "ZZZ": "12.00"}
    case["securities"][0]["same_as"] = "ZZZ-ADMIRAL"
    result = evaluate(write(tmp_path, case))
    assert result.returncode == 0, result.stderr
    assert "ZZZ" not in {row["symbol"] for row in json.loads(result.stdout)["open_lots"]}

"""Every JSON case in ../shared/cases and tests/cases/data, through the CLI.

The comparison is check_cases.py's: the fields of NAME.expected.json must be in the result with
the same values (numbers to the half cent); an expected list matches when each expected row
matches a different result row; an empty expected list needs an empty result list; a row
``{"absent": true, "lot": ...}`` needs no row for that lot; ``{"exit": N}`` expects a rejection.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "cases"
OWN = Path(__file__).resolve().parent / "data"
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _cases() -> list[Path]:
    found: list[Path] = []
    for folder in (SHARED, OWN):
        if folder.is_dir():
            found.extend(
                p for p in sorted(folder.glob("*.json")) if not p.name.endswith(".expected.json")
            )
    return found


def _id(path: Path) -> str:
    return f"{'shared' if path.parent == SHARED else 'own'}/{path.stem}"


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and same(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return isinstance(actual, list) and rows_match(expected, actual) is None
    if (
        isinstance(expected, str)
        and NUMBER.match(expected)
        and isinstance(actual, (str, int, float))
        and not isinstance(actual, bool)
    ):
        number = _number(actual)
        return number is not None and abs(Decimal(expected) - number) <= Decimal("0.005")
    return bool(expected == actual)


def rows_match(expected_rows: list[Any], actual_rows: list[Any]) -> str | None:
    """None when every expected row matches a distinct actual row; else what is wrong."""
    if not expected_rows and actual_rows:
        return f"expected no rows, got {len(actual_rows)}: {json.dumps(actual_rows)[:300]}"
    used: set[int] = set()
    for row in expected_rows:
        if isinstance(row, dict) and row.get("absent"):
            key = {k: v for k, v in row.items() if k == "lot"}
            if any(same(key, actual) for actual in actual_rows):
                return f"row {key} should be absent"
            continue
        for index, actual in enumerate(actual_rows):
            if index not in used and same(row, actual):
                used.add(index)
                break
        else:
            return f"no row matches {json.dumps(row)}; rows: {json.dumps(actual_rows)[:600]}"
    return None


@pytest.mark.parametrize("case", _cases(), ids=_id)
def test_case(case: Path) -> None:
    expected = json.loads(case.with_name(case.stem + ".expected.json").read_text("utf-8"))
    result = subprocess.run(
        [sys.executable, "-m", "taxlogic", "evaluate", str(case)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if "exit" in expected:
        assert result.returncode == expected["exit"], result.stderr
        assert result.stderr.strip(), "a rejected case explains itself on stderr"
        assert not result.stdout.strip(), "a rejected case prints nothing on stdout"
        return
    assert result.returncode == 0, result.stderr[-500:]
    out = json.loads(result.stdout)
    for key, value in expected.items():
        assert key in out, f"missing {key!r}"
        if isinstance(value, list):
            problem = rows_match(value, out[key])
            assert problem is None, f"{key}: {problem}"
        else:
            assert same(value, out[key]), f"{key}: expected {value}, got {out[key]}"


def test_there_are_shared_cases() -> None:
    assert any(p.parent == SHARED for p in _cases()), f"no cases found in {SHARED}"

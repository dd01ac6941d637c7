"""The compiled engine (taxlogic/native.py, taxlogic/rules/__init__.py): mypyc compiles the
sources unchanged, which holds only while they type-check strictly; compiled modules are used
only while they match the sources; and compiled or not, a case gives the same result."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mypy import api

from taxlogic import native, rules

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT.parent / "shared" / "cases"


def test_the_engine_type_checks_strictly() -> None:
    out, err, status = api.run(
        ["--strict", "--no-incremental", "--cache-dir", os.devnull, str(ROOT / "taxlogic/rules")]
    )
    assert status == 0, out + err


def test_compiled_modules_are_used_only_while_they_match_the_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rules, "NATIVE", tmp_path)
    monkeypatch.delenv("TAXLOGIC_NATIVE", raising=False)
    assert not rules._native_is_current()  # nothing built
    (tmp_path / rules.STAMP).write_text(rules.fingerprint() + "\n")
    assert rules._native_is_current()
    monkeypatch.setenv("TAXLOGIC_NATIVE", "0")
    assert not rules._native_is_current()
    monkeypatch.delenv("TAXLOGIC_NATIVE")
    (tmp_path / rules.STAMP).write_text("built from other sources\n")
    assert not rules._native_is_current()


def test_a_changed_source_changes_the_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in rules.COMPILED:
        (tmp_path / f"{name}.py").write_bytes((rules.SOURCES / f"{name}.py").read_bytes())
    monkeypatch.setattr(rules, "SOURCES", tmp_path)
    before = rules.fingerprint()
    with (tmp_path / "lots.py").open("a") as f:
        f.write("\n# an edit\n")
    assert rules.fingerprint() != before


def test_the_package_says_which_engine_runs() -> None:
    import taxlogic.rules.harvest as harvest

    compiled = harvest.__file__.endswith(".so")
    assert compiled == rules.native == rules._native_is_current()
    assert Path(harvest.__file__).is_relative_to(rules.NATIVE if compiled else rules.SOURCES)


def _evaluate(case: Path, *, native: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "taxlogic", "evaluate", str(case)],
        cwd=ROOT,
        env={**os.environ, "TAXLOGIC_NATIVE": native},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return f"{done.returncode}\n{done.stdout}\n{done.stderr}"


@pytest.mark.parametrize(
    "case",
    sorted(p for p in CASES.glob("*.json") if not p.name.endswith(".expected.json")),
    ids=lambda p: p.stem,
)
def test_compiled_or_not_a_case_gives_the_same_result(case: Path) -> None:
    if not native.current():
        pytest.fail("the compiled engine is not built or not current: run `make native`")
    compiled, sources = _evaluate(case, native="1"), _evaluate(case, native="0")
    assert compiled == sources

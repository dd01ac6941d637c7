"""The tax rules: plain Python over frozen dataclasses, Decimal money and date dates.

Nothing below this package imports Django or anything outside the standard library
(tests/taxlogic/test_purity.py enforces it), so the engine can be lifted out and used alone.

The same sources compiled: ``make`` (``python -m taxlogic.native``) compiles the modules of
``COMPILED`` with mypyc into ``build/native/``, which runs the engine about a third faster. They
are used only when they were built from exactly these sources, for this interpreter: importing
the package compares a fingerprint of both with the one the build left, and otherwise (or with
``TAXLOGIC_NATIVE=0``) the sources here run, as written. Compiled or not, the results are the
same; the engine's tests run both ways.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

COMPILED = (
    "accounts",
    "amt",
    "broker_wash",
    "carryforward",
    "case_results",
    "case_types",
    "cases",
    "deductions",
    "harvest",
    "lots",
    "opportunities",
    "plan_candidates",
    "plan_figures",
    "plan_proving",
    "plan_reminders",
    "plan_replacements",
    "plan_types",
    "preview",
    "reasons",
    "tax",
    "tax_tables",
    "wash_household",
    "wash_sales",
)
SOURCES = Path(__file__).resolve().parent
NATIVE = SOURCES.parents[1] / "build" / "native" / "taxlogic" / "rules"
STAMP = "FINGERPRINT"


def fingerprint() -> str:
    """Of the compiled modules' sources and the interpreter that runs them."""
    digest = hashlib.sha256(f"{sys.version}\n{sys.implementation.cache_tag}\n".encode())
    for name in COMPILED:
        digest.update(f"\n{name}\n".encode())
        digest.update((SOURCES / f"{name}.py").read_bytes())
    return digest.hexdigest()


def _native_is_current() -> bool:
    if os.environ.get("TAXLOGIC_NATIVE", "1") == "0":
        return False
    try:
        return (NATIVE / STAMP).read_text().strip() == fingerprint()
    except OSError:
        return False


native = _native_is_current()
if native:
    # The package's modules are looked for in its __path__, in order: the compiled ones first.
    __path__.insert(0, str(NATIVE))

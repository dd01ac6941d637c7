"""The rule engine imports nothing but the standard library and itself — never Django.

Walks every .py under taxlogic/rules/ and taxlogic/__main__.py, parses it with ``ast`` (no
import is executed) and checks every import statement, wherever it sits, plus
``importlib.import_module("...")`` / ``__import__("...")`` calls with a literal name.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "taxlogic"
ALLOWED_PREFIX = "taxlogic.rules"


def engine_files() -> list[Path]:
    files = sorted((PACKAGE / "rules").rglob("*.py"))
    main = PACKAGE / "__main__.py"
    if main.exists():
        files.append(main)
    return files


def _module_of(path: Path) -> list[str]:
    """Dotted module parts of ``path`` (``taxlogic/rules/tax.py`` → taxlogic.rules.tax)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return parts


def _package_of(path: Path) -> list[str]:
    parts = _module_of(path)
    return parts if path.name == "__init__.py" else parts[:-1]


def imported_modules(source: str, path: Path) -> list[tuple[int, str]]:
    """Every module ``source`` imports, absolute and dotted, with its line number."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = _package_of(path)
                base = package[: len(package) - (node.level - 1)]
                if node.module:
                    found.append((node.lineno, ".".join([*base, node.module])))
                else:
                    # "from . import x": x may be a module of the package.
                    found.extend((node.lineno, ".".join([*base, a.name])) for a in node.names)
            elif node.module:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if (
                name in {"import_module", "__import__"}
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                found.append((node.lineno, first.value))
    return found


def is_allowed(module: str) -> bool:
    top = module.split(".")[0]
    if top in sys.stdlib_module_names:
        return True
    return module == ALLOWED_PREFIX or module.startswith(ALLOWED_PREFIX + ".")


def forbidden_imports(path: Path, source: str | None = None) -> list[str]:
    text = path.read_text(encoding="utf-8") if source is None else source
    return [
        f"{path.relative_to(ROOT)}:{line}: imports {module}"
        for line, module in imported_modules(text, path)
        if not is_allowed(module)
    ]


def test_there_are_files_to_check() -> None:
    names = {p.name for p in engine_files()}
    assert {"reasons.py", "tax_tables.py", "carryforward.py", "tax.py"} <= names


@pytest.mark.parametrize("path", engine_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_engine_imports_only_the_standard_library(path: Path) -> None:
    assert forbidden_imports(path) == []


@pytest.mark.parametrize(
    "source",
    [
        "import django",
        "from django.db import models",
        "def f():\n    from django.conf import settings\n",
        "import importlib\nimportlib.import_module('django.conf')",
        "__import__('rest_framework')",
        "from taxlogic import models",
        "from taxlogic.models import Lot",
        "import hypothesis",
        "from .. import apps",
        "from ..apps import TaxlogicConfig",
    ],
)
def test_checker_catches_non_stdlib_imports(source: str) -> None:
    fake = PACKAGE / "rules" / "fake.py"
    assert forbidden_imports(fake, source), source


@pytest.mark.parametrize(
    "source",
    [
        "from __future__ import annotations",
        "import decimal, datetime\nfrom dataclasses import dataclass",
        "from .reasons import Reason",
        "from . import tax_tables",
        "from taxlogic.rules.tax import federal_tax",
        "import json, sys, argparse",
    ],
)
def test_checker_allows_stdlib_and_engine_imports(source: str) -> None:
    fake = PACKAGE / "rules" / "fake.py"
    assert forbidden_imports(fake, source) == []


def test_main_relative_imports_resolve_from_taxlogic() -> None:
    main = PACKAGE / "__main__.py"
    assert forbidden_imports(main, "from .rules.cases import evaluate") == []
    assert forbidden_imports(main, "from . import apps")

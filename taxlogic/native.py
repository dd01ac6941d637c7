"""``python -m taxlogic.native``: compile the rule engine with mypyc (``make`` runs it).

Builds the modules of ``taxlogic.rules.COMPILED`` from their sources into ``build/native/``
and leaves there the fingerprint that ``taxlogic/rules/__init__.py`` checks before it uses
them; does nothing when what is there is current. The engine's sources are typed throughout
(``mypy --strict`` passes, a test keeps it so): that is what mypyc compiles, unchanged.

    python -m taxlogic.native           # build if the sources changed
    python -m taxlogic.native --check   # exit 1 unless the compiled engine is current
    TAXLOGIC_NATIVE=0 ...               # none of it: the sources run (slower, same results)

A failed compilation exits 1 and leaves no compiled modules behind: the sources run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from taxlogic import rules

GROUP = "taxlogic.rules.native"  # its shared library lands in the package: no sys.path entry
ROOT = rules.SOURCES.parents[1]
BUILD = ROOT / "build" / "native"


def current() -> bool:
    stamp = rules.NATIVE / rules.STAMP
    return stamp.is_file() and stamp.read_text().strip() == rules.fingerprint()


def build(*, quiet: bool = False) -> None:
    """Compile into a fresh directory, then put it in place of the old one."""
    from mypyc.build import mypycify  # build time only: mypy is not needed to run
    from setuptools import Distribution

    fingerprint = rules.fingerprint()
    sources = [str(rules.SOURCES / f"{name}.py") for name in rules.COMPILED]
    BUILD.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="native-", dir=BUILD.parent) as scratch:
        work, out = Path(scratch) / "work", Path(scratch) / "out"
        here = os.getcwd()
        os.chdir(ROOT)  # mypy names the modules from the package layout here
        try:
            extensions = mypycify(
                ["--strict", *sources],
                opt_level="3",
                group_name=GROUP,
                target_dir=str(work / "c"),
            )
            # Run build_ext directly: no setup.py, and the project's pyproject.toml unread.
            dist = Distribution({"name": "taxlogic-native", "ext_modules": extensions})
            dist.script_args = ["build_ext", "--build-lib", str(out), "--build-temp", str(work)]
            if quiet:
                dist.script_args.insert(0, "--quiet")
            dist.parse_command_line()
            dist.run_commands()
        finally:
            os.chdir(here)
        compiled = out / "taxlogic" / "rules"
        (compiled / rules.STAMP).write_text(fingerprint + "\n")
        stale = Path(scratch) / "stale"
        if BUILD.exists():
            BUILD.rename(stale)
        out.rename(BUILD)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m taxlogic.native", description=__doc__)
    parser.add_argument("--check", action="store_true", help="Only say whether it is current.")
    args = parser.parse_args(argv)
    if os.environ.get("TAXLOGIC_NATIVE", "1") == "0":
        print("TAXLOGIC_NATIVE=0: the engine runs from its sources")
        return 0
    if args.check:
        ok = current()
        print(
            "compiled engine: current"
            if ok
            else "compiled engine: missing or stale: run `make native` (it needs a C compiler), "
            "or set TAXLOGIC_NATIVE=0 to run the engine from its sources"
        )
        return 0 if ok else 1
    if current():
        return 0
    print("Compiling the rule engine with mypyc (about a minute) …", flush=True)
    started = time.monotonic()
    try:
        build(quiet=True)
    except BaseException as error:  # noqa: BLE001 - reported, and the sources run instead
        shutil.rmtree(BUILD, ignore_errors=True)
        print(f"compiling the rule engine failed: {error}", file=sys.stderr)
        return 1
    print(f"Compiled the rule engine in {time.monotonic() - started:.0f} s: {rules.NATIVE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

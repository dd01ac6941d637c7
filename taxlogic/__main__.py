"""``python -m taxlogic evaluate CASE.json``: one case in, the engine's result out as JSON.

Standard library only, and no Django: the rule engine runs on a bare ``python3``. Exit 0 with the
result on standard output; a case it cannot accept, or a wrong command line, prints one line
``error: FIELD: what is wrong`` on standard error, nothing on standard output, and exits 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from taxlogic.rules.cases import CaseError, evaluate_text

USAGE = "usage: python -m taxlogic evaluate CASE.json   (CASE.json may be - for standard input)"
EXIT_REJECTED = 2


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_REJECTED


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    if len(args) != 2 or args[0] != "evaluate":
        print(USAGE, file=sys.stderr)
        return EXIT_REJECTED
    path = args[1]
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
    except OSError as error:
        return _fail(f"{path}: cannot read the case: {error.strerror or error}")
    except UnicodeDecodeError:
        return _fail(f"{path}: the case is not UTF-8 text")
    try:
        result = evaluate_text(text)
    except CaseError as error:
        return _fail(str(error))
    sys.stdout.write(json.dumps(result, indent=1))
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

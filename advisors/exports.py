"""The one way to write CSV: every export of the site goes through ``csv_response`` (or
``csv_writer``), which escapes formula cells and starts the file with a UTF-8 BOM for Excel.

OWASP's rule for CSV injection: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return is prefixed with a single quote, so a spreadsheet shows it as text instead
of running it (``=HYPERLINK(...)``, ``-2+3+cmd|...``). tests/security_records/test_exports.py
also fails when any module writes CSV without this helper.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain signed number (``-1234.50``) is a value, not a formula: it stays a number.
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return f"'{text}"
    return text


def unescape_cell(text: str) -> str:
    """What ``safe_cell`` wrote, read back (the importers read our own exports)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


class SafeWriter:
    """csv.writer's interface, with every cell escaped."""

    def __init__(self, stream: Any, **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: Any, *, bom: bool = True) -> SafeWriter:
    """A safe writer on ``stream`` (a response or a text file), the BOM written first."""
    if bom:
        stream.write(BOM)
    return SafeWriter(stream)


def csv_response(
    *, filename: str, header: list[str], rows: Iterable[Iterable[Any]]
) -> HttpResponse:
    """An attachment ``filename`` with ``header`` and ``rows``, escaped, with a BOM."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv_writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response

"""Read an uploaded file: its hash and encoding in one streamed pass, then its rows.

UTF-8 (with or without a byte-order mark) or Windows-1252; comma, semicolon or tab, sniffed
from the first lines; CRLF or LF. Cells are parsed here with the file's conventions: ``$1,234.56``,
``(123.45)`` for a negative amount, ``--`` for a missing value.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from advisors.exports import unescape_cell

CHUNK = 1 << 20
DELIMITERS = (",", ";", "\t")
# Bytes Windows-1252 leaves undefined: a file holding one is neither UTF-8 nor Windows-1252.
CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
MISSING = frozenset({"", "--", "-", "n/a", "na", "none"})


class FileProblem(Exception):
    """The file as a whole cannot be read (no row can be trusted)."""

    def __init__(self, message: str, *, row: int = 0, column: str = "") -> None:
        super().__init__(message)
        self.message, self.row, self.column = message, row, column


@dataclass(frozen=True, slots=True)
class Sniffed:
    sha256: str
    size: int
    encoding: str  # "utf-8-sig", "utf-8" or "cp1252"
    head: str  # the first lines, decoded


def sniff(stream: BinaryIO) -> Sniffed:
    """Hash the whole file and find its encoding without holding it in memory."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, undefined, size = True, False, 0
    first = b""
    stream.seek(0)
    while chunk := stream.read(CHUNK):
        if not first:
            first = chunk[:65536]
        digest.update(chunk)
        size += len(chunk)
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
        if not utf8 and not undefined:
            undefined = bool(CP1252_UNDEFINED & set(chunk))
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    utf16 = first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        first[1:400:2].count(0) > 100 or first[0:400:2].count(0) > 100
    )
    if utf16:
        raise FileProblem(
            "Encoding problem: the file is UTF-16 text. Save it as CSV UTF-8 (or plain CSV) "
            "and upload it again."
        )
    if b"\x00" in first[:4096]:
        raise FileProblem(
            "This is not a text file (a spreadsheet workbook, a PDF, an image?). Save it as CSV "
            "and upload that."
        )
    encoding = ("utf-8-sig" if first.startswith(codecs.BOM_UTF8) else "utf-8") if utf8 else "cp1252"
    head = first.decode(encoding, errors="replace")
    if head.startswith("\ufeff"):
        head = head[1:]
    stream.seek(0)
    return Sniffed(digest.hexdigest(), size, encoding, head)


def text_stream(stream: BinaryIO, encoding: str) -> io.TextIOWrapper:
    """The file as text. Bytes Windows-1252 cannot read become U+FFFD, which the rows that
    hold them report as an encoding problem."""
    stream.seek(0)
    return io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")


def sniff_delimiter(head: str) -> str:
    """The delimiter of the first non-title lines: the one that splits them most evenly."""
    lines = [line for line in head.splitlines()[:30] if line.strip()]
    best, best_score = ",", 0
    for delimiter in DELIMITERS:
        counts = [len(row) - 1 for row in csv.reader(lines, delimiter=delimiter) if row]
        score = sorted(counts)[len(counts) // 2] if counts else 0  # the median line's count
        if score > best_score:
            best, best_score = delimiter, score
    if best_score == 0:
        for other in ("|", ":", "^"):
            if any(line.count(other) >= 2 for line in lines):
                raise FileProblem(
                    f"Wrong delimiter: the columns are separated by {other!r}. Use a comma, a "
                    "semicolon or a tab (save as CSV).",
                    row=1,
                )
    return best


def records(text: io.TextIOBase, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for every record, blank ones included as []."""
    reader = csv.reader(text, delimiter=delimiter)
    for cells in reader:
        # A cell our exports escaped for spreadsheets ('=…) is read back as it was stored.
        yield reader.line_num, [unescape_cell(c.strip()) for c in cells]


# --- Cells ----------------------------------------------------------------------------------


class CellError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Amount:
    value: Decimal
    parenthesized: bool = False


_NUMBER_RE = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?$")


def is_missing(text: str) -> bool:
    return text.strip().lower() in MISSING


def amount(text: str) -> Amount | None:
    """``$1,234.56`` → 1234.56; ``($123.45)`` and ``-$123.45`` → −123.45; ``--`` → None."""
    raw = text.strip()
    if is_missing(raw):
        return None
    parenthesized = raw.startswith("(") and raw.endswith(")")
    body = raw[1:-1].strip() if parenthesized else raw
    negative = body.startswith("-")
    body = body.lstrip("+-").strip().lstrip("$").strip().rstrip("%")
    if body.startswith("-"):
        negative, body = True, body[1:]
    if not body or not _NUMBER_RE.match(body) or body in {".", ","}:
        raise CellError(f"{raw!r} is not a number")
    try:
        value = Decimal(body.replace(",", ""))
    except InvalidOperation:
        raise CellError(f"{raw!r} is not a number") from None
    if not value.is_finite():
        raise CellError(f"{raw!r} is not a number")
    return Amount(-value if (parenthesized or negative) else value, parenthesized)


_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%b-%d-%Y", "%Y%m%d", "%m/%d/%y", "%d-%b-%Y")


def _quick_date(raw: str) -> date | None:
    """YYYY-MM-DD and MM/DD/YYYY without strptime (most rows of most files)."""
    try:
        if len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
            return date(int(raw[:4]), int(raw[5:7]), int(raw[8:]))
        if len(raw) == 10 and raw[2] == "/" and raw[5] == "/":
            return date(int(raw[6:]), int(raw[:2]), int(raw[3:5]))
    except ValueError:
        return None
    return None


def parse_date(text: str) -> date | None:
    raw = text.strip()
    if is_missing(raw):
        return None
    quick = _quick_date(raw)
    if quick is not None:
        return quick
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise CellError(f"{raw!r} is not a date (use YYYY-MM-DD or MM/DD/YYYY)")


_TRUE = frozenset({"y", "yes", "true", "1", "covered", "c", "x"})
_FALSE = frozenset({"n", "no", "false", "0", "noncovered", "non-covered", "not covered", "u"})


def parse_bool(text: str) -> bool | None:
    raw = text.strip().lower()
    if is_missing(raw):
        return None
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise CellError(f"{text!r} is not yes or no")


_TOTAL_FIRST = frozenset("TtGgAaSs")
_TOTAL_RE = re.compile(r"^(grand\s+|account\s+|sub)?totals?\b", re.I)


def looks_like_total(cells: list[str]) -> str:
    """The cell that makes a row a total row ("Total", "Account Total"), or ''."""
    for cell in cells[:3]:
        if cell[:1] in _TOTAL_FIRST and _TOTAL_RE.match(cell.strip()):
            return cell.strip()
    return ""

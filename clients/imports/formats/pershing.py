"""Pershing-style cost-basis file (POTL-like open tax lots): fixed columns, or the same
fields as CSV.

Fixed columns, one record per line: ``HDR`` header (file date), ``LOT`` records, ``TRL``
trailer (record count, checked). A LOT record:

    1–3 record type · 4–15 account number · 16–24 CUSIP · 25–33 symbol · 34–41 acquired
    (YYYYMMDD) · 42–57 quantity (16, 6 implied decimals) · 58–72 cost basis (15, 2 implied
    decimals, then a sign at 73: space or "-") · 74 covered (C covered, N not, space unknown) ·
    75–89 disallowed wash-sale loss already applied (15, 2 implied decimals) · 90–109 lot id

The CSV variant has a header: Account, CUSIP, Symbol, Acquired, Quantity, Cost Basis,
Covered, Wash Sale Disallowed, Lot Id.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from clients.imports.formats.base import Column, Format, Row, Source, tabular_rows
from clients.imports.reading import FileProblem

FIELDS = (  # (canonical name, start, end) 1-based inclusive, as the layout above
    ("account_number", 4, 15),
    ("cusip", 16, 24),
    ("symbol", 25, 33),
    ("acquired", 34, 41),
    ("quantity", 42, 57),
    ("cost_basis", 58, 73),
    ("covered", 74, 74),
    ("wash_sale_adjustment", 75, 89),
    ("lot_id", 90, 109),
)
_IMPLIED = {"quantity": 6, "cost_basis": 2, "wash_sale_adjustment": 2}
CSV_COLUMNS = (
    Column("account_number", "", required=True, aliases=("account",)),
    Column("cusip", ""),
    Column("symbol", ""),
    Column("acquired", "", required=True),
    Column("quantity", "", required=True),
    Column("cost_basis", "", required=True),
    Column("covered", ""),
    Column("wash_sale_adjustment", "", aliases=("wash_sale_disallowed",)),
    Column("lot_id", ""),
)


def detect(file_name: str, head: str) -> bool:
    first = head.lstrip()
    return first.startswith("HDR") or "wash sale disallowed" in first.lower()


def _implied(text: str, places: int) -> str:
    """``0000000010000000`` with 6 implied decimals → ``10.000000`` (text kept as a number)."""
    digits = text.strip()
    if not digits:
        return ""
    sign = ""
    if digits.endswith("-"):
        sign, digits = "-", digits[:-1].strip()
    if not digits.isdigit():
        return text.strip()  # the pipeline reports it as not a number
    try:
        value = Decimal(digits).scaleb(-places)
    except InvalidOperation:
        return text.strip()
    return f"{sign}{value}"


def fixed_rows(source: Source) -> Iterator[Row]:
    count = 0
    trailer: int | None = None
    for number, line in enumerate(source.text, start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        kind = line[:3]
        if kind == "HDR":
            continue
        if kind == "TRL":
            try:
                trailer = int(line[3:15])
            except ValueError:
                trailer = None
            continue
        if kind != "LOT":
            yield Row(
                number,
                {},
                problems=[
                    ("record type", f"Unknown record type {kind!r}: expected HDR, LOT or TRL.")
                ],
            )
            continue
        count += 1
        values = {}
        for name, start, end in FIELDS:
            raw = line[start - 1 : end]
            values[name] = _implied(raw, _IMPLIED[name]) if name in _IMPLIED else raw.strip()
        columns = {name: f"{name} (cols {start}–{end})" for name, start, end in FIELDS}
        yield Row(number, values, columns)
    if trailer is not None and trailer != count:
        raise FileProblem(
            f"The trailer says {trailer} lot records, the file has {count}: the "
            "file is cut short or was edited.",
            row=0,
        )


def rows(source: Source) -> Iterator[Row]:
    # Pershing files are fixed columns unless their first line is a CSV header.
    first = source.text.readline()
    source.text.seek(0)
    if first.startswith("HDR") or first.startswith("LOT"):
        return fixed_rows(source)
    return tabular_rows(source, CSV_COLUMNS)


PERSHING = Format(
    name="pershing",
    label="Pershing cost basis (open tax lots)",
    kind="lots",
    description=__doc__ or "",
    detect=detect,
    rows=rows,
    sample="PERSHING_POTL_20261130.txt",
)

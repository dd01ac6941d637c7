"""Schwab-style positions export with lot details.

What advisors get: one file per account, the account number in the file name
(``Schwab_12345678_Positions_2026-11-30.csv``), a title row and a blank row above the header,
one row per position followed by a "Lot Details for SYMBOL" section (its own header: Open Date,
Quantity, Cost/Share, Cost Basis, …, Wash Sale), money as ``$1,234.56`` and ``($123.45)``,
``--`` where there is no value, and "Cash & Cash Investments" and "Account Total" rows at the
end. The lots come from the lot-detail sections; the position rows and totals are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePath

from clients.imports.formats.base import Format, Row, Source, normalize
from clients.imports.reading import FileProblem, looks_like_total, records

_ACCOUNT_RE = re.compile(r"(?<!\d)(\d{8,12})(?!\d)")
_LOTS_RE = re.compile(r"^lot details(?: for)?\s*(.*)$", re.I)
_DATE_RE = re.compile(r"^\d{1,4}[/-]\d{1,2}[/-]\d{2,4}$|^\d{8}$|^--$|^$")
_TITLE_RE = re.compile(r"^positions for account", re.I)

# Lot-detail columns → canonical columns.
_LOT_HEADER = {
    "open_date": "acquired",
    "quantity": "quantity",
    "cost_basis": "cost_basis",
    "wash_sale": "wash_sale_adjustment",
    "disallowed_loss": "wash_sale_adjustment",
    "lot_id": "lot_id",
}


def account_number(file_name: str) -> str:
    found = _ACCOUNT_RE.search(PurePath(file_name).stem.replace("-", "_"))
    return found.group(1) if found else ""


def detect(file_name: str, head: str) -> bool:
    return bool(_TITLE_RE.search(head.lstrip('"'))) or "lot details" in head.lower()


def rows(source: Source) -> Iterator[Row]:
    number_in_name = account_number(source.file_name)
    if not number_in_name:
        raise FileProblem(
            "Schwab files carry the account number in their name (e.g. "
            "Schwab_12345678_Positions_2026-11-30.csv); this one has none. Keep the name the "
            "custodian gave the file.",
            row=0,
            column="account_number",
        )
    symbol = ""
    lot_header: dict[int, str] | None = None
    header_names: list[str] = []
    seen_header = False
    for number, cells in records(source.text, source.delimiter):
        if not any(cells):
            continue
        first = cells[0]
        if _TITLE_RE.match(first):
            continue
        match = _LOTS_RE.match(first)
        if match:
            symbol = (match.group(1) or (cells[1] if len(cells) > 1 else "")).strip()
            lot_header = None
            continue
        if normalize(first) == "symbol":
            seen_header, symbol, lot_header = True, "", None
            continue
        if normalize(first) == "open_date":
            lot_header = {
                i: _LOT_HEADER[normalize(c)]
                for i, c in enumerate(cells)
                if normalize(c) in _LOT_HEADER
            }
            header_names = cells
            continue
        if looks_like_total(cells) or first.lower().startswith("cash & cash"):
            lot_header, symbol = None, ""
            yield Row(number, {}, skip=f"{first}: a total, not a lot")
            continue
        if lot_header is not None and symbol and not _DATE_RE.match(first):
            lot_header, symbol = None, ""  # the next position row
        if lot_header is not None and symbol:
            values = {name: cells[i] if i < len(cells) else "" for i, name in lot_header.items()}
            values |= {"account_number": number_in_name, "symbol": symbol}
            columns = {name: header_names[i] for i, name in lot_header.items()}
            yield Row(
                number, values, columns | {"symbol": "Lot Details", "account_number": "file name"}
            )
            continue
        if seen_header:
            yield Row(number, {}, skip=f"position {first}: its lots follow")
    if not seen_header:
        raise FileProblem(
            "No header row starting with Symbol: is this a Schwab positions file?", row=1
        )


SCHWAB = Format(
    name="schwab",
    label="Schwab positions with lot details",
    kind="lots",
    description=__doc__ or "",
    detect=detect,
    rows=rows,
    sample="Schwab_12345678_Positions_2026-11-30.csv",
)

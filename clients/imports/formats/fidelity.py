"""Fidelity-style positions and lots export: ``Portfolio_Positions_Mmm-dd-yyyy.csv``.

One table for every account (Account Number, Account Name, Symbol, Description, Quantity, Last
Price, Current Value, …, Cost Basis Total, Average Cost Basis, Type), a position row followed
by its lot rows (Account Number empty, the lot's Date Acquired and Quantity), money as
``$1,234.56``, ``--`` for missing values, and a disclaimer and "Date downloaded" text after a
blank line at the end. A fund held at average cost has no lot rows: it is one lot, its basis
the quantity × Average Cost Basis, acquired on the "Date Acquired" of the position row, and
its account is marked as holding funds at average basis.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from clients.imports.formats.base import Format, Row, Source, normalize
from clients.imports.reading import CellError, FileProblem, amount, looks_like_total, records

_NAME_RE = re.compile(r"portfolio_positions_[a-z]{3}-\d{2}-\d{4}", re.I)
_COLUMNS = {
    "account_number": "account_number",
    "symbol": "symbol",
    "quantity": "quantity",
    "cost_basis_total": "cost_basis",
    "average_cost_basis": "average_cost",
    "date_acquired": "acquired",
    "lot_id": "lot_id",
    "type": "type",
}


def detect(file_name: str, head: str) -> bool:
    first = head.lstrip().lower()
    return (
        bool(_NAME_RE.search(file_name))
        or first.startswith('"account number","account name"')
        or first.startswith("account number,account name")
    )


def _average_basis(values: dict[str, str]) -> None:
    """An average-cost position: basis = quantity × average cost (to the cent)."""
    try:
        quantity, average = amount(values["quantity"]), amount(values.get("average_cost", ""))
    except CellError:
        return
    if quantity is not None and average is not None:
        values["cost_basis"] = f"{(quantity.value * average.value).quantize(Decimal('0.01'))}"
        values["relief_method"] = "average"


def rows(source: Source) -> Iterator[Row]:
    mapping: dict[int, str] | None = None
    header: list[str] = []
    position: Row | None = None
    has_lots = False
    account = ""
    ended = False

    def flush() -> Iterator[Row]:
        if position is not None and not has_lots:
            yield position

    for number, cells in records(source.text, source.delimiter):
        if ended:
            continue
        if not any(cells):
            if mapping is not None:
                ended = True  # the disclaimer follows
                yield from flush()
                position = None
            continue
        if mapping is None:
            mapping = {
                i: _COLUMNS[normalize(c)] for i, c in enumerate(cells) if normalize(c) in _COLUMNS
            }
            header = cells
            if "symbol" not in mapping.values() or "account_number" not in mapping.values():
                raise FileProblem(
                    "No header with Account Number and Symbol: is this a Fidelity "
                    "Portfolio_Positions file?",
                    row=number,
                )
            continue
        values = {name: cells[i] if i < len(cells) else "" for i, name in mapping.items()}
        columns = {name: header[i] for i, name in mapping.items()}
        if looks_like_total(cells) or values.get("symbol", "").lower().startswith("pending"):
            yield from flush()
            position = None
            yield Row(number, {}, skip=f"{cells[0] or values.get('symbol')}: not a lot")
            continue
        if values.get("symbol", "").upper().startswith(("SPAXX", "FDRXX", "CORE")):
            yield from flush()
            position = None
            yield Row(number, {}, skip="the cash sweep (core position)")
            continue
        if values["account_number"]:
            yield from flush()
            account = values["account_number"]
            has_lots = False
            values["average_cost"] = values.get("average_cost", "")
            if values.get("type", "").lower().startswith("average") or (
                values.get("cost_basis", "").strip() in ("", "--") and values["average_cost"]
            ):
                _average_basis(values)
            position = Row(number, values, columns)
            continue
        # A lot row of the position above.
        if position is None:
            yield Row(
                number,
                values,
                columns,
                [("Account Number", "A lot row with no position row above it.")],
            )
            continue
        has_lots = True
        values["account_number"] = account
        values["symbol"] = values.get("symbol") or position.values["symbol"]
        yield Row(number, values, columns)
    yield from flush()
    if mapping is None:
        raise FileProblem("The file is empty.", row=1)


FIDELITY = Format(
    name="fidelity",
    label="Fidelity positions and lots",
    kind="lots",
    description=__doc__ or "",
    detect=detect,
    rows=rows,
    sample="Portfolio_Positions_Nov-30-2026.csv",
)

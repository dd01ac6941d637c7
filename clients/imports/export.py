"""The generic exporter: a book's open lots and its transactions as the generic CSVs, which
the importer reads back to the same lots and transactions (a property test holds it to that).

Text cells (lot ids) are escaped for spreadsheets like every export (advisors/exports.py);
the importer reads the escape back (clients/imports/reading.py), so the round trip holds."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db.models import QuerySet

from advisors.exports import SafeWriter
from clients.imports.formats.generic import LOT_COLUMNS, TRANSACTION_COLUMNS
from clients.models import CLOSING_ACTIONS, Action, TaxLot, Transaction

TRANSFER_IN = Action.TRANSFER_IN


def _num(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}" if value else "0"


def _lines(header: Iterable[str], rows: Iterable[list[str]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = SafeWriter(buffer, lineterminator="\r\n")
    writer.writerow(list(header))
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue()


def lots_csv(lots: QuerySet[TaxLot]) -> Iterator[str]:
    """Open lots (quantity above zero) in the generic lots format, streamed."""

    def rows() -> Iterator[list[str]]:
        for lot in (
            lots.filter(quantity__gt=0)
            .select_related("account", "security")
            .order_by("id")
            .iterator(chunk_size=2000)
        ):
            yield [
                lot.account.account_number,
                lot.security.symbol,
                lot.security.cusip,
                _num(lot.quantity),
                f"{lot.cost_basis + lot.wash_sale_adjustment:.2f}",
                lot.acquired.isoformat(),
                lot.external_id,
                "" if lot.covered is None else ("yes" if lot.covered else "no"),
                f"{lot.wash_sale_adjustment:.2f}" if lot.broker_wash_applied else "0.00",
                lot.account.relief_method,
                lot.how_acquired,
            ]

    return _lines((c.name for c in LOT_COLUMNS), rows())


def transactions_csv(transactions: QuerySet[Transaction]) -> Iterator[str]:
    """Transactions in trade order in the generic transactions format, streamed."""

    def rows() -> Iterator[list[str]]:
        for t in (
            transactions.select_related("account", "security", "lot")
            .order_by("trade_date", "id")
            .iterator(chunk_size=2000)
        ):
            closing = t.action in CLOSING_ACTIONS
            yield [
                t.trade_date.isoformat(),
                "",
                t.account.account_number,
                t.action,
                t.security.symbol,
                _num(t.quantity),
                _num(t.price),
                f"{t.amount:.2f}",
                f"{t.fees:.2f}",
                t.lot.external_id if closing and t.lot else "",
                t.external_id,
                t.lot.acquired.isoformat() if t.action == TRANSFER_IN and t.lot else "",
                f"{t.lot.cost_basis:.2f}" if t.action == TRANSFER_IN and t.lot else "",
                _num(t.ratio) if t.ratio else "",
            ]

    return _lines((c.name for c in TRANSACTION_COLUMNS), rows())

"""The documented generic CSVs: open lots, transactions, prices and securities."""

from __future__ import annotations

from collections.abc import Iterator

from clients.imports.formats.base import Column, Format, Row, Source, normalize, tabular_rows

LOT_COLUMNS = (
    Column(
        "account_number",
        "The account's full number at the custodian (matches the "
        "account's number in Harvest Desk).",
        "12345678",
        True,
        ("account", "account_no"),
    ),
    Column(
        "symbol",
        "The security's ticker; or leave it empty and give the CUSIP.",
        "VTI",
        False,
        ("ticker",),
    ),
    Column("cusip", "The security's CUSIP (used when the symbol is empty).", "922908769"),
    Column(
        "quantity",
        "Shares still open in the lot, greater than zero.",
        "100",
        True,
        ("shares", "qty"),
    ),
    Column(
        "cost_basis",
        "The lot's total cost basis as the custodian reports it (a wash-sale "
        "adjustment it applied included).",
        "20000.00",
        True,
        ("basis", "cost"),
    ),
    Column(
        "acquired",
        "Trade date of the acquisition (YYYY-MM-DD or MM/DD/YYYY).",
        "2021-01-15",
        True,
        ("acquired_date", "open_date", "date_acquired"),
    ),
    Column(
        "lot_id",
        "The custodian's lot id: re-imports and reconciliation match on it.",
        "L-0001",
        False,
        ("lot", "external_id"),
    ),
    Column(
        "covered",
        "yes for a covered security (1099-B basis reported), no if not, empty if unknown.",
        "yes",
    ),
    Column(
        "wash_sale_adjustment",
        "The wash-sale adjustment the custodian already applied to "
        "this lot's basis (same account, identical shares); empty or 0 if none. Harvest Desk "
        "will not apply it a second time.",
        "0.00",
        False,
        ("broker_wash_adjustment", "wash_adjustment"),
    ),
    Column(
        "relief_method",
        "How the custodian relieves this account's lots: fifo, specific or average.",
        "fifo",
    ),
    Column("how_acquired", "purchase (default), inherited or gift.", "purchase"),
)

TRANSACTION_COLUMNS = (
    Column("trade_date", "The trade date.", "2026-03-02", True, ("date",)),
    Column("settle_date", "The settlement date (kept for reference).", "2026-03-04"),
    Column("account_number", "The account's full number.", "12345678", True, ("account",)),
    Column(
        "action",
        "buy, sell, reinvest, dividend, distribution (capital-gain), split, "
        "transfer_in or transfer_out.",
        "buy",
        True,
    ),
    Column("symbol", "The security's ticker.", "VTI", True, ("ticker",)),
    Column(
        "quantity",
        "Shares bought, sold or moved; 0 for a dividend, distribution or split.",
        "10",
        True,
        ("shares",),
    ),
    Column("price", "Price per share.", "250.00", False),
    Column(
        "amount",
        "Total paid (a buy, fees included) or net proceeds (a sale); the cash of "
        "a dividend or distribution.",
        "2500.00",
        False,
    ),
    Column("fees", "Commission and fees.", "0.00", False, ("commission",)),
    Column(
        "lot_ids",
        "For a sale or transfer out: the lot ids it takes shares from, separated "
        "by spaces (empty: the account's relief method, first in first out).",
        "L-0001",
    ),
    Column(
        "transaction_id",
        "The custodian's id of the transaction: re-imports skip it.",
        "T-0001",
        False,
        ("id", "external_id"),
    ),
    Column("acquired", "For a transfer in: the date the shares were first acquired.", ""),
    Column("cost_basis", "For a transfer in: the basis it carries over.", ""),
    Column("ratio", "For a split: new shares per old share (4 for 4-for-1).", ""),
)

PRICE_COLUMNS = (
    Column("symbol", "The security's ticker.", "VTI", True),
    Column("date", "The trading day.", "2026-11-30", True),
    Column("close", "The closing price, greater than zero.", "250.00", True),
)

SECURITY_COLUMNS = (
    Column("symbol", "The ticker (unique).", "VTI", True),
    Column("name", "The security's name.", "Vanguard Total Stock Market ETF", True),
    Column("kind", "stock, fund, bond, option or crypto.", "fund", True),
    Column(
        "asset_class",
        "us_equity, international_equity, us_bonds, international_bonds, "
        "real_estate, commodities, crypto or cash.",
        "us_equity",
        True,
    ),
    Column(
        "tracked_index",
        "The index a fund follows (funds following the same index are substantially identical).",
        "CRSP US Total Market",
    ),
    Column("cusip", "The CUSIP (9 characters).", "922908769"),
)


def _template(columns: tuple[Column, ...]) -> str:
    return (
        ",".join(c.name for c in columns)
        + "\r\n"
        + ",".join(f'"{c.example}"' if "," in c.example else c.example for c in columns)
        + "\r\n"
    )


def _detector(columns: tuple[Column, ...]) -> object:
    required = {c.name for c in columns if c.required}

    def detect(file_name: str, head: str) -> bool:
        first = next((line for line in head.splitlines() if line.strip()), "")
        names = {normalize(c) for c in first.replace(";", ",").replace("\t", ",").split(",")}
        return required <= names

    return detect


def _rows(columns: tuple[Column, ...]) -> object:
    def rows(source: Source) -> Iterator[Row]:
        return tabular_rows(source, columns)

    return rows


def _format(name: str, label: str, kind: str, description: str, columns: tuple) -> Format:
    return Format(
        name=name,
        label=label,
        kind=kind,
        description=description,
        detect=_detector(columns),  # type: ignore[arg-type]
        rows=_rows(columns),  # type: ignore[arg-type]
        columns=columns,
        template=_template(columns),
    )


LOTS = _format(
    "generic_lots",
    "Generic CSV: open lots",
    "lots",
    "One row per open lot, in any account the firm holds.",
    LOT_COLUMNS,
)
TRANSACTIONS = _format(
    "generic_transactions",
    "Generic CSV: transactions",
    "transactions",
    "One row per trade, in date order; sales name their lots or follow the account's relief "
    "method.",
    TRANSACTION_COLUMNS,
)
PRICES = _format(
    "prices",
    "Prices CSV",
    "prices",
    "Closing prices: one row per security and day.",
    PRICE_COLUMNS,
)
SECURITIES = _format(
    "securities",
    "Securities CSV",
    "securities",
    "Securities (reference data shared by every firm).",
    SECURITY_COLUMNS,
)

"""Each format module on its own (no database): the cells, the encodings and delimiters, and
the custodians' layouts."""

from __future__ import annotations

import codecs
import io
from decimal import Decimal

import pytest

from clients.imports import formats, reading
from clients.imports.formats.base import Source
from tests.imports.conftest import DATA

pytestmark = pytest.mark.filterwarnings("ignore")


def _rows(name: str, data: bytes, fmt: str = "") -> list:
    sniffed = reading.sniff(io.BytesIO(data))
    chosen = formats.REGISTRY[fmt] if fmt else formats.detect(name, sniffed.head)
    assert chosen is not None
    text = reading.text_stream(io.BytesIO(data), sniffed.encoding)
    source = Source(name, text, reading.sniff_delimiter(sniffed.head))
    return list(chosen.rows(source))


@pytest.mark.parametrize(
    ("text", "value", "parenthesized"),
    [
        ("$1,234.56", Decimal("1234.56"), False),
        ("($123.45)", Decimal("-123.45"), True),
        ("-$5.00", Decimal("-5.00"), False),
        ("12.5%", Decimal("12.5"), False),
        ("1000", Decimal("1000"), False),
    ],
)
def test_amounts(text, value, parenthesized) -> None:
    assert reading.amount(text) == reading.Amount(value, parenthesized)


@pytest.mark.parametrize("text", ["--", "", " n/a "])
def test_missing_amounts(text) -> None:
    assert reading.amount(text) is None


@pytest.mark.parametrize("text", ["1,2", "12a", "1.2.3", "$"])
def test_not_amounts(text) -> None:
    with pytest.raises(reading.CellError):
        reading.amount(text)


def test_dates() -> None:
    assert str(reading.parse_date("01/15/2021")) == "2021-01-15"
    assert str(reading.parse_date("Jan-05-2026")) == "2026-01-05"
    assert str(reading.parse_date("20250210")) == "2025-02-10"
    with pytest.raises(reading.CellError):
        reading.parse_date("2023-02-30")


LOTS = (
    "account_number;symbol;quantity;cost_basis;acquired;lot_id\r\n"
    "12345678;VTI;1;10;2024-01-02;Lé\r\n"
)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (LOTS.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + LOTS.encode("utf-8"), "utf-8-sig"),
        (LOTS.encode("cp1252"), "cp1252"),
    ],
)
def test_encodings_and_semicolons(data, encoding) -> None:
    assert reading.sniff(io.BytesIO(data)).encoding == encoding
    (row,) = _rows("lots.csv", data)
    assert row.values["lot_id"] == "Lé" and row.values["account_number"] == "12345678"


def test_tabs() -> None:
    (row,) = _rows("lots.txt", LOTS.replace(";", "\t").encode())
    assert row.values["quantity"] == "1"


def test_schwab_layout() -> None:
    name = "Schwab_12345678_Positions_2026-11-30.csv"
    rows = _rows(name, (DATA / name).read_bytes())
    lots = [r for r in rows if not r.skip]
    assert [(r.values["symbol"], r.values["acquired"], r.values["cost_basis"]) for r in lots] == [
        ("VTI", "01/15/2021", "$20,000.00"),
        ("VTI", "03/10/2026", "$14,150.00"),
        ("AAPL", "06/03/2024", "$6,120.00"),
    ]
    assert {r.values["account_number"] for r in lots} == {"12345678"}
    assert [r.skip for r in rows if r.skip][-1] == "Account Total: a total, not a lot"


def test_schwab_needs_the_number_in_the_name() -> None:
    data = (DATA / "Schwab_12345678_Positions_2026-11-30.csv").read_bytes()
    with pytest.raises(reading.FileProblem, match="account number in their name"):
        _rows("positions.csv", data, "schwab")


def test_fidelity_layout() -> None:
    name = "Portfolio_Positions_Nov-30-2026.csv"
    lots = [r for r in _rows(name, (DATA / name).read_bytes()) if not r.skip]
    assert [(r.values["symbol"], r.values["quantity"], r.values["cost_basis"]) for r in lots] == [
        ("VEA", "80", "$4000.00"),
        ("VEA", "40", "$2600.00"),
        ("FXAIX", "210.457", "30000.65"),
        ("MSFT", "25", "$7500.00"),
    ]
    assert lots[2].values["relief_method"] == "average"


def test_pershing_fixed_columns() -> None:
    name = "PERSHING_POTL_20261130.txt"
    rows = _rows(name, (DATA / name).read_bytes())
    assert [
        (r.values["symbol"], r.values["quantity"], r.values["cost_basis"], r.values["covered"])
        for r in rows
    ] == [
        ("BND", "300.000000", "24000.00", "C"),
        ("AGG", "100.000000", "11250.00", "C"),
        ("IEFA", "75.500000", "4530.00", "N"),
    ]


def test_pershing_trailer_count_is_checked() -> None:
    data = (
        (DATA / "PERSHING_POTL_20261130.txt")
        .read_bytes()
        .replace(b"TRL000000000003", b"TRL000000000004")
    )
    with pytest.raises(reading.FileProblem, match="trailer says 4 lot records, the file has 3"):
        _rows("PERSHING_POTL_20261130.txt", data)


def test_pershing_csv_variant() -> None:
    data = (
        b"Account,CUSIP,Symbol,Acquired,Quantity,Cost Basis,Covered,Wash Sale Disallowed,"
        b"Lot Id\r\n4RX000123,921937835,BND,20250210,300,24000.00,C,0,P-1\r\n"
    )
    (row,) = _rows("pershing.csv", data)
    assert row.values["lot_id"] == "P-1" and row.values["cost_basis"] == "24000.00"

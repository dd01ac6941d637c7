"""One test per kind of bad row: the message names the row and the column, and nothing is
written — not at the preview, and not by a commit, which refuses a file with errors."""

from __future__ import annotations

import codecs

import pytest

from clients.imports import commit
from clients.imports.models import ImportRow
from clients.models import Price, Security, TaxLot, Transaction
from tests.imports.conftest import errors_of

HEADER = "account_number,symbol,quantity,cost_basis,acquired,lot_id\n"
GOOD = "12345678,VTI,10,2000.00,2024-01-02,L-1\n"


def _nothing_written(batch, actor) -> None:
    assert TaxLot.objects.filter(account__account_number="12345678").count() == 0
    with pytest.raises(commit.CommitRefused, match="errors"):
        commit.batch_commit(batch_id=batch.pk, actor=actor)
    assert TaxLot.objects.filter(account__account_number="12345678").count() == 0


def _one_error(batch) -> tuple[int, str, str]:
    errors = errors_of(batch)
    assert len(errors) == 1, errors
    return errors[0]


@pytest.fixture
def lots_file(advisor, book, run_import):
    def run(body: str, **kwargs):
        batch = run_import(advisor, HEADER + GOOD + body, **kwargs)
        return batch

    return run


@pytest.mark.django_db
def test_unknown_account_offers_to_create_it(advisor, lots_file) -> None:
    batch = lots_file("99990000,VTI,10,2000.00,2024-01-02,L-2\n")
    number, column, message = _one_error(batch)
    assert (number, column) == (3, "account_number")
    assert message == "Unknown account ••••0000: no account you may change has this number."
    error = ImportRow.objects.get(batch=batch, kind="error").errors[0]
    assert error["fix"] == "create it" and "account_number=99990000" in error["fix_url"]
    _nothing_written(batch, advisor)


@pytest.mark.django_db
def test_another_advisors_account_is_unknown(teammate, households, book, run_import) -> None:
    """A plain advisor imports only into their own households' accounts."""
    batch = run_import(teammate, HEADER + GOOD)
    assert _one_error(batch)[2].startswith("Unknown account ••••5678")


@pytest.mark.django_db
def test_unknown_symbol_offers_to_create_it(advisor, lots_file) -> None:
    batch = lots_file("12345678,NOPE,10,2000.00,2024-01-02,L-2\n")
    assert _one_error(batch) == (3, "symbol", "Unknown symbol NOPE: no such security yet.")
    error = ImportRow.objects.get(batch=batch, kind="error").errors[0]
    assert error["fix"] == "create it" and "symbol=NOPE" in error["fix_url"]
    _nothing_written(batch, advisor)


@pytest.mark.django_db
@pytest.mark.parametrize("quantity", ["0", "-5"])
def test_zero_or_negative_quantity(advisor, lots_file, quantity) -> None:
    batch = lots_file(f"12345678,VTI,{quantity},2000.00,2024-01-02,L-2\n")
    assert _one_error(batch) == (
        3,
        "quantity",
        f"The quantity must be greater than zero (found {quantity}).",
    )
    _nothing_written(batch, advisor)


@pytest.mark.django_db
def test_future_date(advisor, lots_file) -> None:
    batch = lots_file("12345678,VTI,10,2000.00,2999-01-02,L-2\n")
    assert _one_error(batch) == (3, "acquired", "The acquisition date 2999-01-02 is in the future.")
    _nothing_written(batch, advisor)


@pytest.mark.django_db
def test_impossible_date(advisor, lots_file) -> None:
    batch = lots_file("12345678,VTI,10,2000.00,2023-02-30,L-2\n")
    assert _one_error(batch) == (
        3,
        "acquired",
        "'2023-02-30' is not a possible date (use YYYY-MM-DD or MM/DD/YYYY).",
    )
    _nothing_written(batch, advisor)


@pytest.mark.django_db
@pytest.mark.parametrize("basis", ["", "--"])
def test_missing_basis(advisor, lots_file, basis) -> None:
    batch = lots_file(f"12345678,VTI,10,{basis},2024-01-02,L-2\n")
    number, column, message = _one_error(batch)
    assert (number, column) == (3, "cost_basis")
    assert message.startswith("The cost basis is missing") and "needs every lot's basis" in message
    _nothing_written(batch, advisor)


@pytest.mark.django_db
def test_amount_in_parentheses(advisor, lots_file) -> None:
    batch = lots_file('12345678,VTI,10,"($1,234.50)",2024-01-02,L-2\n')
    number, column, message = _one_error(batch)
    assert (number, column) == (3, "cost_basis")
    assert message.startswith(
        "The cost basis ($1,234.50) is in parentheses, which means a negative amount"
    )
    _nothing_written(batch, advisor)


@pytest.mark.django_db
def test_duplicate_lot_in_the_file(advisor, lots_file) -> None:
    batch = lots_file("12345678,VTI,5,900.00,2024-03-02,L-1\n")
    assert _one_error(batch) == (3, "lot_id", "Duplicate lot: Lot L-1 is also in row 2.")
    _nothing_written(batch, advisor)


@pytest.mark.django_db
def test_total_row(advisor, lots_file) -> None:
    batch = lots_file("Total,,10,2000.00,,\n")
    number, column, message = _one_error(batch)[0], *_one_error(batch)[1:]
    assert (number, column) == (3, "account_number")
    assert "This is a total row ('Total'), not a holding" in message
    _nothing_written(batch, advisor)


@pytest.mark.django_db
def test_encoding_problem(advisor, book, run_import) -> None:
    # 0x81 is no character in UTF-8 or in Windows-1252.
    data = (HEADER + GOOD).encode() + b"12345678,VTI,10,2000.00,2024-01-02,L\x81-2\n"
    batch = run_import(advisor, data)
    assert batch.encoding == "cp1252"
    number, column, message = _one_error(batch)
    assert (number, column) == (3, "lot_id")
    assert message.startswith(
        "Encoding problem: this cell holds bytes that are neither UTF-8 nor Windows-1252"
    )
    _nothing_written(batch, advisor)


@pytest.mark.django_db
def test_utf16_file_is_an_encoding_problem(advisor, book, run_import) -> None:
    batch = run_import(advisor, codecs.BOM_UTF16_LE + (HEADER + GOOD).encode("utf-16-le"))
    assert _one_error(batch)[2].startswith("Encoding problem: the file is UTF-16 text.")
    _nothing_written(batch, advisor)


@pytest.mark.django_db
def test_wrong_delimiter(advisor, book, run_import) -> None:
    batch = run_import(advisor, (HEADER + GOOD).replace(",", "|"))
    assert _one_error(batch) == (
        1,
        "",
        "Wrong delimiter: the columns are separated by '|'. "
        "Use a comma, a semicolon or a tab (save as CSV).",
    )
    _nothing_written(batch, advisor)


@pytest.mark.django_db
def test_missing_column(advisor, book, run_import) -> None:
    batch = run_import(
        advisor,
        "account_number,symbol,quantity,acquired\n12345678,VTI,1,2024-01-02\n",
        fmt="generic_lots",
    )
    assert _one_error(batch)[1:] == (
        "cost_basis",
        "The header is missing the column(s) "
        "cost_basis (found: account_number, symbol, quantity, "
        "acquired).",
    )


TRADES = "trade_date,account_number,action,symbol,quantity,price,amount,lot_ids,transaction_id\n"


@pytest.mark.django_db
def test_sale_of_more_than_held(advisor, book, run_import) -> None:
    body = TRADES + (
        "2024-01-02,12345678,buy,VTI,10,200,2000.00,,T-1\n"
        "2024-05-02,12345678,sell,VTI,15,210,3150.00,T-1,T-2\n"
    )
    batch = run_import(advisor, body, name="trades.csv")
    assert batch.kind == "transactions"
    number, column, message = _one_error(batch)
    assert (number, column) == (3, "quantity")
    assert message == ("A sale of 15 shares is more than the 10 held (VTI in account ••••5678).")
    # The dry run of the preview wrote nothing, and the commit refuses.
    assert Transaction.objects.filter(account__account_number="12345678").count() == 0
    with pytest.raises(commit.CommitRefused):
        commit.batch_commit(batch_id=batch.pk, actor=advisor)
    assert Transaction.objects.filter(account__account_number="12345678").count() == 0
    assert TaxLot.objects.filter(account__account_number="12345678").count() == 0


@pytest.mark.django_db
def test_prices_need_an_operator(advisor, book, run_import) -> None:
    from clients.imports.pipeline import NotAllowed

    with pytest.raises(NotAllowed, match="only the platform's operators"):
        run_import(advisor, "symbol,date,close\nVTI,2024-01-02,1\n")
    assert not Price.objects.filter(date="2024-01-02").exists()


@pytest.mark.django_db
def test_bad_price_rows(superuser, securities, run_import) -> None:
    batch = run_import(superuser, "symbol,date,close\nVTI,2024-01-02,0\nXXX,2024-01-02,3\n")
    assert errors_of(batch) == [
        (2, "close", "The close must be greater than zero (found 0)."),
        (3, "symbol", "Unknown symbol XXX: no such security yet."),
    ]
    assert not Security.objects.filter(symbol="XXX").exists()

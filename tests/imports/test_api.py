"""POST /api/v1/imports/: the preview as JSON with row errors; commit=true gives the result;
scoped to the firm's own accounts; 413 past the size limit."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clients.models import TaxLot
from tests.factories import TaxLotFactory
from tests.imports.conftest import DATA, account

URL = "/api/v1/imports/"
SCHWAB = "Schwab_12345678_Positions_2026-11-30.csv"


def _file(name: str = SCHWAB, content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name,
        content if content is not None else (DATA / name).read_bytes(),
        content_type="text/csv",
    )


@pytest.mark.django_db
def test_preview_writes_nothing(make_integration, book, firm_a) -> None:
    api = make_integration(firm_a).http
    response = api.post(URL, {"file": _file()}, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "preview" and body["format"] == "schwab"
    assert body["counts"]["new"] == 3 and body["errors"] == []
    assert TaxLot.objects.count() == 0
    # The import is recorded and can be read back.
    again = api.get(f"{URL}{body['id']}/").json()
    assert again["sha256"] == body["sha256"] and again["created_by_label"].startswith("API client")


@pytest.mark.django_db
def test_commit_gives_the_result(make_integration, book, firm_a) -> None:
    api = make_integration(firm_a).http
    response = api.post(URL, {"file": _file(), "commit": "true"}, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "committed" and body["created_count"] == 3
    assert TaxLot.objects.filter(account=account(book, "schwab")).count() == 3


@pytest.mark.django_db
def test_row_errors_and_nothing_committed(make_integration, book, firm_a) -> None:
    api = make_integration(firm_a).http
    content = b"account_number,symbol,quantity,cost_basis,acquired\n12345678,VTI,0,10,2024-01-02\n"
    response = api.post(
        URL, {"file": _file("lots.csv", content), "commit": "true"}, format="multipart"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == [
        {
            "row": 2,
            "column": "quantity",
            "message": "The quantity must be greater than zero (found 0).",
        }
    ]
    assert "Nothing was written" in body["detail"]
    assert TaxLot.objects.count() == 0


@pytest.mark.django_db
def test_decisions_for_changed_rows(make_integration, book, firm_a, securities) -> None:
    lot = TaxLotFactory(
        account=account(book, "schwab"),
        security=securities["VTI"],
        external_id="L-1",
        original_quantity=Decimal("100"),
        cost_basis=Decimal("20000.00"),
        acquired="2021-01-15",
    )
    api = make_integration(firm_a).http
    content = (
        b"account_number,symbol,quantity,cost_basis,acquired,lot_id\n"
        b"12345678,VTI,200,20000.00,2021-01-15,L-1\n"
    )
    preview = api.post(URL, {"file": _file("lots.csv", content)}, format="multipart").json()
    assert preview["changed"][0]["reason"] == "split"
    decisions = json.dumps({"2": {"keep": "file", "reason": "2-for-1 split on 2026-06-01"}})
    response = api.post(
        URL,
        {"file": _file("lots.csv", content), "commit": "true", "decisions": decisions},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    lot.refresh_from_db()
    assert lot.quantity == 200


@pytest.mark.django_db
def test_another_firms_accounts_are_unknown(make_integration, households, book, firm_b) -> None:
    api = make_integration(firm_b).http
    body = api.post(URL, {"file": _file(), "commit": "true"}, format="multipart").json()
    assert body["counts"]["error"] == 3
    assert {e["message"] for e in body["errors"]} == {
        "Unknown account ••••5678: no account you may change has this number."
    }
    assert TaxLot.objects.filter(account=account(book, "schwab")).count() == 0


@pytest.mark.django_db
def test_read_scope_may_not_import(make_integration, book, firm_a) -> None:
    api = make_integration(firm_a, scopes=("read",)).http
    response = api.post(URL, {"file": _file()}, format="multipart")
    assert response.status_code == 403


@pytest.mark.django_db
def test_too_large_is_413(make_integration, book, firm_a, settings) -> None:
    settings.IMPORT_MAX_BYTES = 100
    api = make_integration(firm_a).http
    response = api.post(URL, {"file": _file()}, format="multipart")
    assert response.status_code == 413
    assert "the limit is" in response.json()["detail"]

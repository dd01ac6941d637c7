"""The Import pages: upload → preview → commit for firm admins and advisors (their own
households' accounts only), the progress of large files polled by htmx, the history, the
formats page and the templates."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clients.imports.formats.generic import LOT_COLUMNS, TRANSACTION_COLUMNS
from clients.imports.models import BatchStatus, ImportBatch
from clients.models import TaxLot
from tests.imports.conftest import DATA, account

SCHWAB = "Schwab_12345678_Positions_2026-11-30.csv"


def _upload(client, name: str = SCHWAB, content: bytes | None = None, **extra):
    data = content if content is not None else (DATA / name).read_bytes()
    return client.post("/imports/new/", {"file": SimpleUploadedFile(name, data), **extra})


@pytest.mark.django_db
def test_upload_preview_commit(client_for, firm_admin, book) -> None:
    client = client_for(firm_admin)
    response = _upload(client)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == f"/imports/{batch.public_id}/"
    page = client.get(response.url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Schwab positions with lot details" in html and "New <small" in html
    assert "Commit: 3 new, 0 to decide" in html
    assert TaxLot.objects.count() == 0
    done = client.post(f"/imports/{batch.public_id}/commit/", follow=True)
    assert "Imported: 3 created, 0 changed." in done.content.decode()
    assert TaxLot.objects.filter(account=account(book, "schwab")).count() == 3
    history = client.get("/imports/").content.decode()
    assert SCHWAB in history and "Imported" in history


@pytest.mark.django_db
def test_preview_page_queries_are_bounded(
    client_for, firm_admin, book, run_import, django_assert_max_num_queries
) -> None:
    body = "account_number,symbol,quantity,cost_basis,acquired,lot_id\n" + "".join(
        f"12345678,VTI,{n},100.00,2024-01-02,L-{n}\n" for n in range(1, 300)
    )
    batch = run_import(firm_admin, body)
    client = client_for(firm_admin)
    with django_assert_max_num_queries(12):
        response = client.get(f"/imports/{batch.public_id}/")
    assert response.status_code == 200 and "page 1 of 3" in response.content.decode()


@pytest.mark.django_db
def test_errors_are_shown_and_block_the_commit(client_for, advisor, book) -> None:
    client = client_for(advisor)
    content = b"account_number,symbol,quantity,cost_basis,acquired\n12345678,NOPE,1,1,2024-01-02\n"
    response = _upload(client, "lots.csv", content)
    html = client.get(response.url).content.decode()
    assert "Unknown symbol NOPE: no such security yet." in html and ">create it</a>" in html
    assert "Commit:" not in html and "nothing can be committed" in html
    batch = ImportBatch.objects.get()
    done = client.post(f"/imports/{batch.public_id}/commit/", follow=True)
    assert "1 row(s) have errors (the first: row 2)" in done.content.decode()
    assert TaxLot.objects.filter(account=account(book, "schwab")).count() == 0


@pytest.mark.django_db
def test_who_may_import(client_for, compliance, teammate, advisor, households, book) -> None:
    assert b">Import</a>" in client_for(advisor).get("/imports/").content
    assert b">Import</a>" not in client_for(compliance).get("/").content
    assert _upload(client_for(compliance)).status_code == 403
    # A teammate may not open the advisor's import.
    _upload(client_for(advisor))
    batch = ImportBatch.objects.get()
    assert client_for(teammate).get(f"/imports/{batch.public_id}/").status_code == 404
    assert client_for(compliance).get(f"/imports/{batch.public_id}/").status_code == 200


@pytest.mark.django_db
def test_too_large(client_for, firm_admin, book, settings) -> None:
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    response = _upload(client_for(firm_admin), "big.csv", b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert "The file is 1.0 MB; the limit is 1 MB." in response.content.decode()
    assert not ImportBatch.objects.exists()


@pytest.mark.django_db
def test_large_file_read_and_committed_by_tasks_with_progress(
    client_for, firm_admin, book, settings, tmp_path, django_capture_on_commit_callbacks
) -> None:
    settings.IMPORT_ASYNC_BYTES, settings.IMPORT_ASYNC_ROWS, settings.IMPORT_DIR = 10, 1, tmp_path
    client = client_for(firm_admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _upload(client)
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.READING
    page = client.get(response.url).content.decode()
    assert 'hx-trigger="every 1s"' in page and '<progress class="import-bar"' in page
    polling = client.get(response.url + "?part=progress", headers={"HX-Request": "true"})
    assert polling.status_code == 200 and "Reading the file…" in polling.content.decode()
    for callback in callbacks:
        callback()  # the worker reads the file
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PREVIEW and not list(tmp_path.iterdir())
    poll = client.get(response.url + "?part=progress", headers={"HX-Request": "true"})
    assert poll.status_code == 286 and "Commit: 3 new" in poll.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{batch.public_id}/commit/")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.COMMITTED and batch.created_count == 3


@pytest.mark.django_db
def test_formats_page_and_templates(client_for, advisor, households) -> None:
    client = client_for(advisor)
    html = client.get("/imports/formats/").content.decode()
    for column in (*LOT_COLUMNS, *TRANSACTION_COLUMNS):
        assert f"<dt>{column.name}" in html
    for label in (
        "Schwab positions with lot details",
        "Fidelity positions and lots",
        "Pershing cost basis",
    ):
        assert label in html
    response = client.get("/imports/templates/generic_lots.csv")
    assert response["Content-Disposition"] == 'attachment; filename="generic_lots_template.csv"'
    header = next(csv.reader(io.StringIO(response.content.decode())))
    assert header == [c.name for c in LOT_COLUMNS]
    assert client.get("/imports/templates/schwab.csv").status_code == 404

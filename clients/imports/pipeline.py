"""The import pipeline: upload → read → rows → check → preview (ImportRows); the commit is in
``commit``. Nothing but ImportBatch and ImportRow is written before the commit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from json import dumps
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Count, JSONField, Sum

from advisors import scoping
from advisors.models import Advisor
from clients.imports import formats, lots, reading, reference, transactions
from clients.imports.formats.base import Row, Source
from clients.imports.models import BatchStatus, ImportBatch, ImportKind, ImportRow, Reason, RowKind
from clients.imports.reconcile import relief_explanation
from clients.models import Household, TaxLot
from taxlogic import bulk

CHUNK_ROWS = 2000


class FileTooLarge(Exception):
    def __init__(self, size: int, limit: int) -> None:
        mb = limit / (1 << 20)
        super().__init__(
            f"The file is {size / (1 << 20):.1f} MB; the limit is {mb:.0f} MB. Split it (by "
            "account or by year) and import the parts."
        )


class NotAllowed(PermissionDenied):
    pass


def _label(actor: Any) -> str:
    if isinstance(actor, Advisor):
        return actor.get_full_name() or actor.username
    return f"API client {getattr(actor, 'name', actor)}"


def may_import(actor: Any) -> bool:
    """Firm admins, team leads and advisors (into the accounts they may change); the API with
    the write scope; never compliance."""
    return scoping.writable(actor, Household).exists() or scoping.may_change_reference_data(actor)


def batch_start(
    *, actor: Any, upload: UploadedFile | BinaryIO, file_name: str, format_name: str = ""
) -> ImportBatch:
    """Record the upload and read it (a large file: in a task). Raises FileTooLarge past the
    limit and NotAllowed for a kind the actor may not import; a file that cannot be read gives
    a batch whose one error row says why."""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
        upload.seek(0)
    if size > settings.IMPORT_MAX_BYTES:
        raise FileTooLarge(size, settings.IMPORT_MAX_BYTES)
    stream: BinaryIO = upload.file if isinstance(upload, UploadedFile) else upload  # type: ignore[assignment]
    batch = ImportBatch(
        firm_id=getattr(actor, "firm_id", None),
        created_by=actor if isinstance(actor, Advisor) else None,
        created_by_label=_label(actor),
        file_name=Path(file_name).name[:255],
        file_size=size,
        status=BatchStatus.READING,
        format=format_name,
        kind="",
    )
    try:
        sniffed = reading.sniff(stream)
    except reading.FileProblem as problem:
        return _refused(batch, problem)
    batch.sha256, batch.encoding = sniffed.sha256, sniffed.encoding
    try:
        batch.delimiter = reading.sniff_delimiter(sniffed.head)
    except reading.FileProblem as problem:
        return _refused(batch, problem)
    fmt = formats.REGISTRY.get(format_name) if format_name else None
    if fmt is None:
        fmt = formats.detect(batch.file_name, sniffed.head)
    if fmt is None:
        return _refused(
            batch,
            reading.FileProblem(
                "The file's layout is not one we read: choose its format (the templates show the "
                "generic columns).",
                row=1,
            ),
        )
    batch.format, batch.kind = fmt.name, fmt.kind
    if fmt.kind in (ImportKind.PRICES, ImportKind.SECURITIES):
        if not scoping.may_change_reference_data(actor):
            raise NotAllowed(
                "Securities and prices are shared by every firm: only the platform's operators "
                "import them. Ask them to add the missing securities."
            )
    elif not scoping.writable(actor, Household).exists():
        raise NotAllowed("You may not change any household's accounts.")
    previous = (
        ImportBatch.objects.filter(
            sha256=batch.sha256, firm_id=batch.firm_id, status=BatchStatus.COMMITTED
        )
        .order_by("-committed")
        .first()
    )
    batch.same_file_as = previous
    batch.save()
    if size > settings.IMPORT_ASYNC_BYTES:
        directory = Path(settings.IMPORT_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{batch.public_id}.upload"
        stream.seek(0)
        with path.open("wb") as out:
            while chunk := stream.read(reading.CHUNK):
                out.write(chunk)
        ImportBatch.objects.filter(pk=batch.pk).update(stored_path=str(path))
        from clients import tasks

        transaction.on_commit(lambda: tasks.import_read.delay(batch.pk, actor_ref(actor)))
        return batch
    batch_read(batch=batch, actor=actor, stream=stream)
    return batch


def actor_ref(actor: Any) -> list[Any]:
    """An actor as a task argument: ["advisor", pk] or ["client", pk]."""
    return ["advisor" if isinstance(actor, Advisor) else "client", actor.pk]


def _refused(batch: ImportBatch, problem: reading.FileProblem) -> ImportBatch:
    batch.status, batch.error = BatchStatus.PREVIEW, problem.message
    batch.counts = {RowKind.ERROR: 1}
    batch.kind = batch.kind or ""
    batch.format = batch.format or "unknown"
    batch.save()
    ImportRow.objects.create(
        batch=batch,
        number=problem.row,
        kind=RowKind.ERROR,
        errors=[{"column": problem.column, "message": problem.message}],
    )
    return batch


def _chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _progress(batch: ImportBatch, done: int) -> None:
    from django.core.cache import cache

    cache.set(f"import-progress-{batch.pk}", done, 3600)


def progress(batch: ImportBatch) -> int:
    from django.core.cache import cache

    return int(cache.get(f"import-progress-{batch.pk}", 0))


def batch_read(*, batch: ImportBatch, actor: Any, stream: BinaryIO) -> ImportBatch:
    """Read, check and classify every row into ImportRows, a chunk at a time."""
    started = time.monotonic()
    fmt = formats.REGISTRY[batch.format]
    text = reading.text_stream(stream, batch.encoding)
    source = Source(batch.file_name, text, batch.delimiter or ",")
    total = 0
    try:
        if batch.kind == ImportKind.TRANSACTIONS:
            total = transactions.preview(batch=batch, actor=actor, rows=fmt.rows(source))
        else:
            book = lots.Book.load(actor) if batch.kind == ImportKind.LOTS else None
            for chunk in _chunks(fmt.rows(source), CHUNK_ROWS):
                out = _check_chunk(batch, book, chunk)
                _store(out)
                total += len(chunk)
                _progress(batch, total)
    except reading.FileProblem as problem:
        ImportRow.objects.filter(batch=batch).delete()
        text.detach()
        return _refused(batch, problem)
    text.detach()
    if batch.kind == ImportKind.LOTS:
        _mark_duplicates(batch)
        _relief_pass(batch)
    batch.rows_total = total
    batch.counts = counts(batch)
    batch.status = BatchStatus.PREVIEW
    batch.seconds = time.monotonic() - started
    batch.save(update_fields=["rows_total", "counts", "status", "seconds"])
    return batch


def _store(rows: list[ImportRow]) -> None:
    """Insert a chunk's ImportRows. On PostgreSQL a COPY of their values as they are (JSON
    dumped here), the keys left to the table's identity: nothing reads them back."""
    if connection.vendor != "postgresql":
        bulk.insert(ImportRow, rows)
        return
    fields = [f for f in ImportRow._meta.concrete_fields if not f.primary_key]
    json = {f.attname for f in fields if isinstance(f, JSONField)}
    names = [f.attname for f in fields]

    def values(row: ImportRow) -> list[Any]:
        out = []
        for name in names:
            value = getattr(row, name)
            if name in json:
                value = "{}" if value == {} else "[]" if value == [] else dumps(value)
            out.append(value)
        return out

    bulk.copy_rows(ImportRow, fields, (values(row) for row in rows))


def _check_chunk(batch: ImportBatch, book: lots.Book | None, chunk: list[Row]) -> list[ImportRow]:
    skipped = [
        ImportRow.fresh(
            batch_id=batch.pk, number=r.number, kind=RowKind.SKIPPED, data={"skip": r.skip}
        )
        for r in chunk
        if r.skip
    ]
    live = [r for r in chunk if not r.skip]
    if batch.kind == ImportKind.LOTS:
        assert book is not None
        out = lots.classify_chunk(book, batch.pk, [lots.check_lot(book, r) for r in live])
    elif batch.kind == ImportKind.PRICES:
        out = reference.prices_chunk(batch.pk, live)
    else:
        out = reference.securities_chunk(batch.pk, live)
    return sorted(skipped + out, key=lambda r: r.number)


def _mark_duplicates(batch: ImportBatch) -> None:
    """A lot twice in the file (same account and lot id, or same account, symbol, date,
    quantity and basis): every occurrence after the first is an error."""
    dupes = (
        ImportRow.objects.filter(batch=batch)
        .exclude(key="")
        .exclude(kind=RowKind.ERROR)
        .values("account_id_ref", "key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    for dupe in dupes:
        rows = list(
            ImportRow.objects.filter(
                batch=batch, account_id_ref=dupe["account_id_ref"], key=dupe["key"]
            ).order_by("number")
        )
        first = rows[0]
        for row in rows[1:]:
            lot_id = row.data.get("_", {}).get("lot_id")
            what = (
                f"Lot {lot_id}"
                if lot_id
                else "The same lot (account, symbol, date, quantity and basis)"
            )
            row.kind = RowKind.ERROR
            row.errors = [
                {
                    "column": "lot_id" if lot_id else "",
                    "message": f"Duplicate lot: {what} is also in row {first.number}.",
                }
            ]
            row.save(update_fields=["kind", "errors"])


def _relief_pass(batch: ImportBatch) -> None:
    """A lot with fewer or more shares whose account holds the same total of that security in
    the file as in our book: the custodian relieved other lots (a different relief method)."""
    changed = ImportRow.objects.filter(
        batch=batch, kind=RowKind.CHANGED, reason=Reason.MISSING_HISTORY
    )
    pairs = set(changed.values_list("account_id_ref", "security_id_ref"))
    for account_id, security_id in pairs:
        in_file = ImportRow.objects.filter(
            batch=batch,
            account_id_ref=account_id,
            security_id_ref=security_id,
            kind__in=(RowKind.NEW, RowKind.CHANGED, RowKind.UNCHANGED),
        ).aggregate(q=Sum("quantity"))["q"]
        ours = TaxLot.objects.filter(
            account_id=account_id, security_id=security_id, quantity__gt=0
        ).aggregate(q=Sum("quantity"))["q"]
        if in_file is None or in_file != ours:
            continue
        rows = list(
            changed.filter(account_id_ref=account_id, security_id_ref=security_id).select_related(
                "lot__account"
            )
        )
        for row in rows:
            relief = row.data.get("_", {}).get("relief", "")
            row.reason = Reason.RELIEF
            row.explanation = relief_explanation(in_file, relief, row.lot.account.relief_method)
            row.save(update_fields=["reason", "explanation"])


def counts(batch: ImportBatch) -> dict[str, int]:
    found = dict(
        ImportRow.objects.filter(batch=batch)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return {kind: found.get(kind, 0) for kind in RowKind.values}


def stored_file(batch: ImportBatch) -> BinaryIO:
    return Path(batch.stored_path).open("rb")  # noqa: SIM115 (closed by the caller)


def vendor_is_postgres() -> bool:
    return connection.vendor == "postgresql"

"""The commit: every row of a previewed batch written in ONE transaction, or nothing.

New lots go through ``services.lots_import`` (the API's and the site's rules), transactions
through ``services.transaction_record``; a changed row is written only when the advisor took
the file's version, with the reason they gave. Re-importing a file changes nothing: its rows
are all unchanged (natural keys: account + lot id, or account + symbol + date; a
transaction's id), and a batch commits once.
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from advisors.models import Advisor, Firm
from clients import page_cache, services
from clients.imports import commit_sql, lots, transactions
from clients.imports.models import (
    BatchStatus,
    Decision,
    ImportBatch,
    ImportKind,
    ImportRow,
    Reason,
    RowKind,
)
from clients.imports.pipeline import _progress, counts
from clients.models import (
    Account,
    Action,
    Price,
    Security,
    TaxLot,
    Transaction,
)

CHUNK = 2000
ZERO = Decimal("0.00")


class CommitRefused(Exception):
    """The batch cannot be committed (errors, an undecided row, already done, stale)."""

    def __init__(self, message: str, *, row: int | None = None, column: str = "") -> None:
        super().__init__(message)
        self.message, self.row, self.column = message, row, column


def decide(*, batch: ImportBatch, actor: Any, decisions: dict[int, tuple[str, str]]) -> None:
    """Record the advisor's choice for changed rows: {row number: (ours|file, reason)}.
    Taking the file's version needs a reason."""
    problems = []
    rows = {
        r.number: r for r in batch.rows.filter(kind=RowKind.CHANGED, number__in=list(decisions))
    }
    for number, (choice, reason) in sorted(decisions.items()):
        row = rows.get(number)
        if row is None:
            problems.append(f"Row {number} has nothing to decide.")
            continue
        if choice not in Decision.values:
            problems.append(f"Row {number}: choose keep ours or take the file's.")
            continue
        if choice == Decision.FILE and not reason.strip():
            problems.append(f"Row {number}: say why you take the file's version.")
            continue
        row.decision, row.decision_reason = choice, reason.strip()
        row.decided_by = actor if isinstance(actor, Advisor) else None
    if problems:
        raise CommitRefused(" ".join(problems))
    ImportRow.objects.bulk_update(
        list(rows.values()), ["decision", "decision_reason", "decided_by"]
    )


def batch_commit(*, batch_id: int, actor: Any) -> ImportBatch:
    """Commit the batch; a refusal or a failed row leaves nothing written and says why."""
    started = time.monotonic()
    try:
        with transaction.atomic():
            batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
            _check(batch)
            created, changed = _write(batch, actor)
            # Imports write in bulk (no post_save): the cached household lists go by hand. Prices
            # are every firm's reference data.
            if batch.kind == ImportKind.PRICES:
                page_cache.bump(*Firm.objects.values_list("id", flat=True))
            else:
                page_cache.bump(batch.firm_id)
            batch.status = BatchStatus.COMMITTED
            batch.created_count, batch.changed_count = created, changed
            batch.committed = timezone.now()
            batch.committed_by = actor if isinstance(actor, Advisor) else None
            batch.counts = counts(batch)
            batch.seconds = (batch.seconds or 0) + time.monotonic() - started
            batch.error = ""
            batch.save()
            return batch
    except CommitRefused as refused:
        ImportBatch.objects.filter(pk=batch_id, status=BatchStatus.COMMITTING).update(
            status=BatchStatus.PREVIEW
        )
        ImportBatch.objects.filter(pk=batch_id).update(error=refused.message)
        raise


def _check(batch: ImportBatch) -> None:
    if batch.status == BatchStatus.COMMITTED:
        raise CommitRefused("This import is already committed: nothing to do.")
    if batch.status not in (BatchStatus.PREVIEW, BatchStatus.COMMITTING):
        raise CommitRefused("The file is still being read.")
    errors = batch.rows.filter(kind=RowKind.ERROR).order_by("number").first()
    if errors is not None:
        n = batch.rows.filter(kind=RowKind.ERROR).count()
        raise CommitRefused(
            f"{n} row(s) have errors (the first: row {errors.number}). Nothing was written: "
            "fix the file and upload it again.",
            row=errors.number,
        )


def _refuse_row(row: ImportRow, errors: list[dict[str, str]]) -> CommitRefused:
    first = errors[0] if errors else {"column": "", "message": "failed"}
    return CommitRefused(
        f"Row {row.number}, {first['column'] or 'row'}: {first['message']} (the book changed "
        "since the preview?). Nothing was written; upload the file again.",
        row=row.number,
        column=first["column"],
    )


def _write(batch: ImportBatch, actor: Any) -> tuple[int, int]:
    if batch.kind == ImportKind.LOTS:
        return _write_lots(batch, actor)
    if batch.kind == ImportKind.TRANSACTIONS:
        return _write_transactions(batch, actor)
    if batch.kind == ImportKind.PRICES:
        return _write_prices(batch, actor)
    return _write_securities(batch, actor)


def _rows(batch: ImportBatch, kind: str) -> Any:
    return batch.rows.filter(kind=kind).order_by("number")


def _set_lots(pairs: list[tuple[int, int]]) -> None:
    """ImportRow.lot for many rows in one statement."""
    if not pairs:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE clients_importrow r SET lot_id = v.lot FROM "
                "unnest(%s::bigint[], %s::bigint[]) AS v(id, lot) WHERE r.id = v.id",
                [[p[0] for p in pairs], [p[1] for p in pairs]],
            )
        return
    ImportRow.objects.bulk_update([ImportRow(pk=r, lot_id=lot) for r, lot in pairs], ["lot"])


def _refused_at(number: int, column: str, message: str) -> CommitRefused:
    return _refuse_row(ImportRow(number=number), [{"column": column, "message": message}])


def _write_lots(batch: ImportBatch, actor: Any) -> tuple[int, int]:
    book = lots.Book.load(actor)
    if commit_sql.enabled():
        securities = {s.pk for s in book.by_symbol.values()}
        created, average_accounts = commit_sql.write_new_lots(
            batch, set(book.by_pk), securities, _refused_at
        )
        _progress(batch, created)
    else:
        created, average_accounts = _write_new_lots(batch, actor, book)
    if average_accounts:
        Account.objects.filter(pk__in=average_accounts, average_basis=False).update(
            average_basis=True, updated=timezone.now()
        )
    changed = 0
    for row in _rows(batch, RowKind.CHANGED).select_related("lot__account"):
        if row.decision != Decision.FILE:
            row.result = {"kept": "ours", "reason": row.decision_reason or "not chosen"}
            row.save(update_fields=["result"])
            continue
        row.result = _take_file(row, actor)
        row.save(update_fields=["result"])
        changed += 1
    return created, changed


def _write_new_lots(batch: ImportBatch, actor: Any, book: lots.Book) -> tuple[int, set[int]]:
    """The new rows' lots through ``services.lots_import``, a chunk at a time (databases
    other than PostgreSQL; ``commit_sql`` there)."""
    securities = {s.pk: s for s in book.by_symbol.values()}
    created = done = 0
    new = _rows(batch, RowKind.NEW)
    last = 0
    average_accounts: set[int] = set()
    while True:
        chunk = list(new.filter(number__gt=last).values_list("pk", "number", "data")[:CHUNK])
        if not chunk:
            break
        last = chunk[-1][1]
        inputs = []
        for row in chunk:
            p = row[2]["_"]
            account = book.by_pk.get(p["account"])
            if account is None:
                raise _refused_at(
                    row[1], "account_number", "You may no longer change this account."
                )
            if p["security"] not in securities:
                raise _refused_at(row[1], "symbol", "You may no longer use this security.")
            wash = Decimal(p["wash"])
            inputs.append(
                services.LotInput(
                    account=account,
                    security=securities[p["security"]],
                    quantity=Decimal(p["quantity"]),
                    cost_basis=Decimal(p["basis"]) - wash,
                    acquired=date.fromisoformat(p["acquired"]),
                    external_id=p["lot_id"],
                    how_acquired=p["how"],
                    wash_sale_adjustment=wash,
                    covered=p["covered"],
                    broker_wash_applied=wash > 0,
                )
            )
            if p["relief"] == "average":
                average_accounts.add(account.pk)
        try:
            made = services.lots_import(actor=actor, rows=inputs)
        except services.LotImportError as exc:
            index = min(exc.rows)
            errors = [{"column": k, "message": m[0]} for k, m in exc.rows[index].items()]
            raise _refuse_row(ImportRow(number=chunk[index][1]), errors) from None
        _set_lots([(row[0], lot.pk) for row, lot in zip(chunk, made, strict=True)])
        created += len(made)
        done += len(chunk)
        _progress(batch, done)
    return created, average_accounts


def _take_file(row: ImportRow, actor: Any) -> dict[str, Any]:
    """Write the file's version of a changed lot, by its likely reason."""
    p = row.data["_"]
    lot = TaxLot.objects.select_for_update().get(pk=row.lot_id)
    if not services.scoping.can_write(actor, lot.account.household):
        raise PermissionDenied("You may not change this household.")
    quantity, basis, wash = Decimal(p["quantity"]), Decimal(p["basis"]), Decimal(p["wash"])
    before = {
        "quantity": str(lot.quantity),
        "cost_basis": str(lot.cost_basis),
        "wash_sale_adjustment": str(lot.wash_sale_adjustment),
        "broker_wash_applied": lot.broker_wash_applied,
    }
    recorded_by = actor if isinstance(actor, Advisor) else None
    today = timezone.localdate()
    made: list[str] = []
    if row.reason == Reason.SPLIT:
        ratio = quantity / lot.quantity
        lot.quantity, lot.original_quantity = quantity, lot.original_quantity * ratio
        lot.save(update_fields=["quantity", "original_quantity", "updated"])
        split = Transaction.objects.create(
            account=lot.account,
            security_id=lot.security_id,
            lot=lot,
            trade_date=today,
            action=Action.SPLIT,
            quantity=0,
            price=0,
            amount=0,
            ratio=ratio,
            recorded_by=recorded_by,
        )
        made.append(str(split.public_id))
    elif quantity != lot.quantity:
        security = Security.objects.get(pk=lot.security_id)
        try:
            if quantity < lot.quantity:
                sale = services.transaction_record(
                    account=lot.account,
                    security=security,
                    action=Action.TRANSFER_OUT,
                    trade_date=today,
                    quantity=lot.quantity - quantity,
                    price=Decimal(0),
                    lot=lot,
                    recorded_by=recorded_by,
                    actor=actor,
                )
                made.append(str(sale.public_id))
            else:
                extra_basis = max(basis - (lot.cost_basis + lot.wash_sale_adjustment), ZERO)
                moved = services.transaction_record(
                    account=lot.account,
                    security=security,
                    action=Action.TRANSFER_IN,
                    trade_date=today,
                    quantity=quantity - lot.quantity,
                    price=Decimal(0),
                    acquired=lot.acquired,
                    cost_basis=extra_basis,
                    recorded_by=recorded_by,
                    actor=actor,
                )
                made.append(str(moved.public_id))
        except ValidationError as exc:
            raise CommitRefused(f"Row {row.number}: {exc.messages[0]}", row=row.number) from None
        if row.reason == Reason.RELIEF and p.get("relief"):
            Account.objects.filter(pk=lot.account_id).update(relief_method=p["relief"])
    else:
        lot.cost_basis, lot.wash_sale_adjustment = basis - wash, wash
        lot.broker_wash_applied = wash > 0
        lot.save(
            update_fields=["cost_basis", "wash_sale_adjustment", "broker_wash_applied", "updated"]
        )
    lot.refresh_from_db()
    after = {
        "quantity": str(lot.quantity),
        "cost_basis": str(lot.cost_basis),
        "wash_sale_adjustment": str(lot.wash_sale_adjustment),
        "broker_wash_applied": lot.broker_wash_applied,
    }
    return {
        "took": "file",
        "reason": row.decision_reason,
        "before": before,
        "after": after,
        "transactions": made,
    }


def _write_transactions(batch: ImportBatch, actor: Any) -> tuple[int, int]:
    book = lots.Book.load(actor)
    accounts, securities = book.by_pk, {s.pk: s for s in book.by_symbol.values()}
    created = 0
    for row in _rows(batch, RowKind.NEW):
        p = row.data["_"]
        if p["account"] not in accounts:
            raise _refuse_row(
                row,
                [{"column": "account_number", "message": "You may no longer change this account."}],
            )
        try:
            row.result = transactions.apply(
                actor=actor, p=p, columns={}, accounts=accounts, securities=securities
            )
        except transactions.RowFailed as failed:
            raise _refuse_row(row, failed.errors) from None
        except ValidationError as exc:
            raise _refuse_row(row, [{"column": "", "message": exc.messages[0]}]) from None
        row.save(update_fields=["result"])
        created += 1
        _progress(batch, created)
    return created, 0


def _write_prices(batch: ImportBatch, actor: Any) -> tuple[int, int]:
    services._check_reference_writer(actor)
    new = [
        Price(
            security_id=r.data["_"]["security"],
            date=r.data["_"]["date"],
            close=Decimal(r.data["_"]["close"]),
        )
        for r in _rows(batch, RowKind.NEW)
    ]
    Price.objects.bulk_create(new, batch_size=CHUNK)
    changed = 0
    for row in _rows(batch, RowKind.CHANGED):
        if row.decision == Decision.FILE:
            price = Price.objects.get(public_id=row.ours["price"])
            services.price_change(actor=actor, price=price, close=Decimal(row.data["_"]["close"]))
            row.result = {"took": "file", "reason": row.decision_reason}
            changed += 1
        else:
            row.result = {"kept": "ours"}
        row.save(update_fields=["result"])
    return len(new), changed


def _write_securities(batch: ImportBatch, actor: Any) -> tuple[int, int]:
    services._check_reference_writer(actor)
    created = 0
    for row in _rows(batch, RowKind.NEW):
        security = Security(**row.data["_"])
        try:
            security.full_clean()
        except ValidationError as exc:
            raise _refuse_row(
                row, [{"column": k, "message": v[0]} for k, v in exc.message_dict.items()]
            ) from None
        security.save()
        row.result = {"security": str(security.public_id)}
        row.save(update_fields=["result"])
        created += 1
    changed = 0
    for row in _rows(batch, RowKind.CHANGED):
        if row.decision == Decision.FILE:
            security = Security.objects.get(symbol=row.data["_"]["symbol"])
            for name, value in row.data["_"].items():
                setattr(security, name, value)
            security.full_clean()
            security.save()
            row.result = {"took": "file", "reason": row.decision_reason}
            changed += 1
        else:
            row.result = {"kept": "ours"}
        row.save(update_fields=["result"])
    return created, changed

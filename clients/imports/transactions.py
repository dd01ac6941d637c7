"""Transaction rows. The preview is a dry run of the commit: every row applied in order by
the same services as the transaction form (``services.transaction_record``), inside a
transaction that is rolled back, so a sale of more shares than are held, a lot id that does
not exist or a date before the lot's are found exactly as the commit would find them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from advisors import scoping
from advisors.models import Advisor
from clients import services
from clients.imports import lots
from clients.imports.cells import Checked, masked
from clients.imports.formats.base import Row
from clients.imports.models import ImportBatch, ImportRow, RowKind
from clients.models import (
    Account,
    Action,
    ReliefMethod,
    Security,
    TaxLot,
    Transaction,
)

ACTIONS = {
    "buy": Action.BUY,
    "bought": Action.BUY,
    "purchase": Action.BUY,
    "sell": Action.SELL,
    "sold": Action.SELL,
    "sale": Action.SELL,
    "reinvest": Action.REINVEST,
    "reinvestment": Action.REINVEST,
    "dividend_reinvestment": Action.REINVEST,
    "reinvest_shares": Action.REINVEST,
    "dividend": Action.DIVIDEND,
    "cash_dividend": Action.DIVIDEND,
    "distribution": Action.DISTRIBUTION,
    "capital_gain_distribution": Action.DISTRIBUTION,
    "cap_gain": Action.DISTRIBUTION,
    "long_term_cap_gain": Action.DISTRIBUTION,
    "split": Action.SPLIT,
    "stock_split": Action.SPLIT,
    "transfer_in": Action.TRANSFER_IN,
    "transfer_out": Action.TRANSFER_OUT,
}
ZERO = Decimal("0.00")


class RowFailed(Exception):
    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(errors[0]["message"] if errors else "failed")
        self.errors = errors


def check_row(book: lots.Book, row: Row) -> Checked:
    check = Checked(row)
    for column, message in row.problems:
        check.errors.append({"column": column, "message": message})
    if row.problems:
        return check  # a total row or a broken row: its other cells mean nothing
    check.encoding()
    account = book.account(check)
    security = book.security(check)
    raw_action = check.text("action").lower().replace(" ", "_").replace("-", "_")
    action = ACTIONS.get(raw_action)
    if action is None:
        check.error(
            "action",
            f"{check.text('action')!r} is not an action (buy, sell, reinvest, "
            "dividend, distribution, split, transfer_in, transfer_out).",
        )
    trade_date = check.day("trade_date", label="trade date")
    check.day("settle_date", required=False)
    share_action = action not in (Action.DIVIDEND, Action.DISTRIBUTION, Action.SPLIT)
    quantity = check.number("quantity", required=share_action, positive=share_action)
    price = check.number("price", required=False)
    amount = check.number("amount", required=action in (Action.DIVIDEND, Action.DISTRIBUTION))
    fees = check.number("fees", required=False)
    acquired = check.day(
        "acquired",
        required=action == Action.TRANSFER_IN,
        label="date the shares were first acquired",
    )
    basis = check.number("cost_basis", required=action == Action.TRANSFER_IN)
    ratio = check.number("ratio", required=action == Action.SPLIT, positive=True)
    if trade_date is not None and trade_date > timezone.localdate():
        check.error("trade_date", f"The trade date {trade_date:%Y-%m-%d} is in the future.")
    if check.errors or account is None or security is None or action is None:
        return check
    assert trade_date is not None
    check.parsed = {
        "account": account.pk,
        "security": security.pk,
        "action": action,
        "trade_date": trade_date.isoformat(),
        "quantity": str(quantity or 0),
        "price": str(price) if price is not None else "",
        "amount": str(amount) if amount is not None else "",
        "fees": str(fees or ZERO),
        "lot_ids": check.text("lot_ids").replace(",", " ").split(),
        "lot_ids_raw": check.text("lot_ids"),
        "id": check.text("transaction_id"),
        "acquired": acquired.isoformat() if acquired else "",
        "basis": str(basis) if basis is not None else "",
        "ratio": str(ratio or ""),
    }
    return check


def _d(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def _already(p: dict[str, Any]) -> bool:
    recorded = Transaction.objects.filter(account_id=p["account"])
    if p["id"]:
        return (
            recorded.filter(external_id=p["id"]).exists()
            or recorded.filter(external_id__startswith=f"{p['id']}/").exists()
        )
    same = recorded.filter(
        security_id=p["security"],
        trade_date=p["trade_date"],
        action=p["action"],
        quantity=Decimal(p["quantity"]),
    )
    if p["amount"]:
        same = same.filter(amount=Decimal(p["amount"]))
    return same.exists()


def _fail(check_columns: dict[str, str], exc: ValidationError) -> RowFailed:
    errors = []
    for name, messages in exc.message_dict.items():
        column = {"lot": "lot_ids", "external_id": "transaction_id"}.get(name, name)
        for message in messages:
            errors.append({"column": check_columns.get(column, column), "message": message})
    return RowFailed(errors)


def apply(
    *,
    actor: Any,
    p: dict[str, Any],
    columns: dict[str, str],
    accounts: dict[int, Account],
    securities: dict[int, Security],
) -> dict[str, Any]:
    """Write one transaction row (the caller holds the transaction); raises RowFailed."""
    account, security = accounts[p["account"]], securities[p["security"]]
    action = p["action"]
    trade_date = date.fromisoformat(p["trade_date"])
    quantity = Decimal(p["quantity"])
    price = _d(p["price"])
    amount = _d(p["amount"])
    fees = Decimal(p["fees"])
    recorded_by = actor if isinstance(actor, Advisor) else None
    common = {
        "account": account,
        "security": security,
        "trade_date": trade_date,
        "fees": fees,
        "recorded_by": recorded_by,
        "actor": actor,
    }
    if action in (Action.DIVIDEND, Action.DISTRIBUTION, Action.SPLIT):
        if not scoping.can_write(actor, account.household):
            raise PermissionDenied("You may not change this household.")
        if action == Action.SPLIT:
            ratio = Decimal(p["ratio"])
            changed = []
            for lot in (
                TaxLot.objects.select_for_update()
                .filter(
                    account=account, security=security, quantity__gt=0, acquired__lte=trade_date
                )
                .order_by("id")
            ):
                lot.quantity *= ratio
                lot.original_quantity *= ratio
                lot.save(update_fields=["quantity", "original_quantity", "updated"])
                Transaction.objects.create(
                    account=account,
                    security=security,
                    lot=lot,
                    trade_date=trade_date,
                    action=Action.SPLIT,
                    quantity=0,
                    price=0,
                    amount=0,
                    ratio=ratio,
                    external_id=f"{p['id']}/{lot.pk}" if p["id"] else "",
                    recorded_by=recorded_by,
                )
                changed.append(str(lot.public_id))
            if not changed:
                raise RowFailed(
                    [
                        {
                            "column": columns.get("symbol", "symbol"),
                            "message": f"No open lots of {security} to split.",
                        }
                    ]
                )
            return {"split_lots": changed}
        created = Transaction.objects.create(
            account=account,
            security=security,
            trade_date=trade_date,
            action=action,
            quantity=quantity,
            price=price or 0,
            fees=fees,
            amount=amount or 0,
            external_id=p["id"],
            recorded_by=recorded_by,
        )
        return {"transactions": [str(created.public_id)]}
    if action in (Action.SELL, Action.TRANSFER_OUT):
        return _relieve(p, columns, common, action, quantity, price, amount, account, security)
    try:
        created = services.transaction_record(
            **common,
            action=action,
            quantity=quantity,
            price=price or Decimal(0),
            amount=amount,
            external_id=p["id"],
            acquired=date.fromisoformat(p["acquired"]) if p["acquired"] else None,
            cost_basis=_d(p["basis"]),
        )
    except ValidationError as exc:
        raise _fail(columns, exc) from None
    return {"transactions": [str(created.public_id)], "lot": str(created.lot.public_id)}


def _relieve(
    p: dict[str, Any],
    columns: dict[str, str],
    common: dict[str, Any],
    action: str,
    quantity: Decimal,
    price: Decimal | None,
    amount: Decimal | None,
    account: Account,
    security: Security,
) -> dict[str, Any]:
    open_lots = TaxLot.objects.filter(account=account, security=security, quantity__gt=0)
    whole = p.get("lot_ids_raw", "")
    if whole and TaxLot.objects.filter(account=account, external_id=whole).exists():
        p = p | {"lot_ids": [whole]}  # one lot id that holds spaces or commas
    if p["lot_ids"]:
        named = {
            lot.external_id: lot
            for lot in TaxLot.objects.filter(account=account, external_id__in=p["lot_ids"])
        }
        missing = [i for i in p["lot_ids"] if i not in named]
        if missing:
            raise RowFailed(
                [
                    {
                        "column": columns.get("lot_ids", "lot_ids"),
                        "message": f"Lot {missing[0]} is not in account "
                        f"{masked(account.account_number)}.",
                    }
                ]
            )
        chosen = [named[i] for i in p["lot_ids"]]
    elif account.relief_method == ReliefMethod.SPECIFIC:
        raise RowFailed(
            [
                {
                    "column": columns.get("lot_ids", "lot_ids"),
                    "message": "This account relieves lots by specific identification: "
                    "name the lots the sale takes shares from in lot_ids.",
                }
            ]
        )
    else:
        chosen = list(open_lots.order_by("acquired", "id"))
    held = sum((lot.quantity for lot in chosen), Decimal(0))
    if quantity > held:
        verb = "sale" if action == Action.SELL else "transfer out"
        raise RowFailed(
            [
                {
                    "column": columns.get("quantity", "quantity"),
                    "message": f"A {verb} of {quantity.normalize():f} shares is more than "
                    f"the {held.normalize():f} held ({security} in account "
                    f"{masked(account.account_number)}).",
                }
            ]
        )
    left, made, n = quantity, [], 0
    for lot in chosen:
        if left <= 0:
            break
        take = min(left, lot.quantity)
        if take <= 0:
            continue
        n += 1
        part_amount = None if amount is None else (amount * take / quantity).quantize(ZERO)
        part_fees = (common["fees"] * take / quantity).quantize(ZERO)
        try:
            created = services.transaction_record(
                **(common | {"fees": part_fees}),
                action=action,
                quantity=take,
                price=price or Decimal(0),
                amount=part_amount,
                lot=lot,
                external_id=(p["id"] if n == 1 else f"{p['id']}/{n}") if p["id"] else "",
            )
        except ValidationError as exc:
            raise _fail(columns, exc) from None
        made.append(str(created.public_id))
        left -= take
    return {"transactions": made}


def _lookups(book: lots.Book) -> tuple[dict[int, Account], dict[int, Security]]:
    return book.by_pk, {s.pk: s for s in book.by_symbol.values()}


class _DryRun(Exception):
    pass


def preview(*, batch: ImportBatch, actor: Any, rows: Iterator[Row]) -> int:
    """Check every row and apply it in a transaction that is rolled back; then record the
    ImportRows (kept in memory meanwhile: transaction files are a year of trades)."""
    book = lots.Book.load(actor)
    accounts, securities = _lookups(book)
    out: list[ImportRow] = []
    try:
        with transaction.atomic():
            for row in rows:
                record = ImportRow(batch_id=batch.pk, number=row.number, data=dict(row.values))
                out.append(record)
                if row.skip:
                    record.kind, record.data = RowKind.SKIPPED, {"skip": row.skip}
                    continue
                check = check_row(book, row)
                if check.errors:
                    record.kind, record.errors = RowKind.ERROR, check.errors
                    continue
                record.data["_"] = check.parsed
                record.account_id_ref = check.parsed["account"]
                record.key = check.parsed["id"]
                if _already(check.parsed):
                    record.kind = RowKind.UNCHANGED
                    continue
                try:
                    with transaction.atomic():
                        apply(
                            actor=actor,
                            p=check.parsed,
                            columns=row.columns,
                            accounts=accounts,
                            securities=securities,
                        )
                    record.kind = RowKind.NEW
                except RowFailed as failed:
                    record.kind, record.errors = RowKind.ERROR, failed.errors
                except PermissionDenied as denied:
                    record.kind = RowKind.ERROR
                    record.errors = [
                        {
                            "column": row.columns.get("account_number", "account"),
                            "message": str(denied),
                        }
                    ]
            raise _DryRun
    except _DryRun:
        pass
    from taxlogic import bulk

    bulk.insert(ImportRow, out)
    return len(out)

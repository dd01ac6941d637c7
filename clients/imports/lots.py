"""Open-lot rows: parsed, checked by the lot service's own rules, matched to our lots."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone

from advisors import scoping
from clients import services
from clients.imports import reconcile
from clients.imports.cells import Checked, masked
from clients.imports.formats.base import Row
from clients.imports.models import ImportRow, RowKind
from clients.models import Account, AcquiredHow, ReliefMethod, Security, TaxLot

RELIEF_ALIASES = {
    "fifo": "fifo",
    "first_in_first_out": "fifo",
    "specific": "specific",
    "specific_id": "specific",
    "specific_identification": "specific",
    "spec_id": "specific",
    "average": "average",
    "average_cost": "average",
    "avg": "average",
    "acsc": "average",
}
# The lot service's field names → the canonical columns of the file.
_FIELD_COLUMN = {
    "original_quantity": "quantity",
    "holding_period_start": "acquired",
    "external_id": "lot_id",
    "account": "account_number",
}


_HOW = frozenset(AcquiredHow.values)


def _key(*parts: object) -> str:
    return "|".join(str(p) for p in parts)[:200]


@dataclass(slots=True)
class Book:
    """What the actor may write, read once per import: accounts by number, securities."""

    actor: Any
    accounts: dict[str, Account] = field(default_factory=dict)
    by_pk: dict[int, Account] = field(default_factory=dict)
    visible_numbers: set[str] = field(default_factory=set)
    by_symbol: dict[str, Security] = field(default_factory=dict)
    by_cusip: dict[str, Security] = field(default_factory=dict)
    today: date = field(default_factory=timezone.localdate)

    @classmethod
    def load(cls, actor: Any) -> Book:
        book = cls(actor)
        writable = scoping.writable(actor, Account).exclude(account_number="")
        for account in writable.select_related("household"):
            book.accounts[account.account_number] = account
            book.by_pk[account.pk] = account
        book.visible_numbers = set(
            scoping.visible(actor, Account)
            .exclude(account_number="")
            .values_list("account_number", flat=True)
        )
        for security in scoping.visible(actor, Security).only("id", "symbol", "cusip", "kind"):
            book.by_symbol[security.symbol.upper()] = security
            if security.cusip:
                book.by_cusip[security.cusip.upper()] = security
        return book

    def account(self, check: Checked) -> Account | None:
        number = check.text("account_number").replace(" ", "")
        if not number:
            check.error("account_number", "The account number is missing.")
            return None
        account = self.accounts.get(number)
        if account is None and number.lstrip("0") != number:
            account = self.accounts.get(number.lstrip("0"))
        if account is not None:
            return account
        if number in self.visible_numbers:
            check.error(
                "account_number",
                f"Account {masked(number)} belongs to a household you may see but not change.",
            )
        else:
            check.error(
                "account_number",
                f"Unknown account {masked(number)}: no account you may change has this number.",
                fix="create it",
                fix_url=reverse("admin:clients_account_add") + f"?account_number={number}",
            )
        return None

    def security(self, check: Checked) -> Security | None:
        symbol, cusip = check.text("symbol").upper(), check.text("cusip").upper()
        security = self.by_symbol.get(symbol) if symbol else None
        if security is None and cusip:
            security = self.by_cusip.get(cusip)
        if security is not None:
            return security
        if not symbol and not cusip:
            check.error("symbol", "The symbol is missing.")
            return None
        shown = symbol or f"CUSIP {cusip}"
        check.error(
            "symbol" if symbol else "cusip",
            f"Unknown symbol {shown}: no such security yet.",
            fix="create it",
            fix_url=reverse("clients:import_new") + f"?format=securities&symbol={symbol}",
        )
        return None


def check_lot(book: Book, row: Row) -> Checked:
    check = Checked(row)
    for column, message in row.problems:
        check.errors.append({"column": column, "message": message})
    if row.problems:
        return check  # a total row or a broken row: its other cells mean nothing
    check.encoding()
    account = book.account(check)
    security = book.security(check)
    quantity = check.number("quantity", positive=True)
    basis = check.number(
        "cost_basis",
        missing_message=f"The cost basis is missing ({check.text('cost_basis') or 'empty'}): "
        "the planner needs every lot's basis. Add it (the custodian's lot details have it).",
    )
    acquired = check.day("acquired", label="acquisition date")
    wash = check.number("wash_sale_adjustment", required=False) or Decimal("0.00")
    covered = check.flag("covered")
    relief = ""
    if check.text("relief_method"):
        relief = RELIEF_ALIASES.get(check.text("relief_method").lower().replace(" ", "_"), "")
        if not relief:
            check.error(
                "relief_method",
                f"{check.text('relief_method')!r} is not a relief "
                "method (fifo, specific or average).",
            )
    how = check.text("how_acquired").lower() or AcquiredHow.PURCHASE
    if how not in _HOW or how == AcquiredHow.GIFT:
        check.error(
            "how_acquired",
            f"{how!r}: use purchase or inherited (enter gifts on the "
            "lot page, they need the gift's date and value).",
        )
    if check.errors or account is None or security is None:
        return check
    assert quantity is not None and basis is not None and acquired is not None
    lot_id = check.text("lot_id")
    row_input = services.LotInput(
        account=account,
        security=security,
        quantity=quantity,
        cost_basis=basis - wash,
        acquired=acquired,
        external_id=lot_id,
        how_acquired=how,
        wash_sale_adjustment=wash,
    )
    for name, messages in services._lot_errors(row_input, today=book.today).items():
        for message in messages:
            check.error(_FIELD_COLUMN.get(name, name), message)
    if basis - wash < 0 and not any(
        e["column"] == check.column("cost_basis") for e in check.errors
    ):
        check.error("wash_sale_adjustment", "The wash-sale adjustment is larger than the basis.")
    check.parsed = {
        "account": account.pk,
        "security": security.pk,
        "quantity": str(quantity),
        "basis": str(basis),
        "wash": str(wash),
        "acquired": acquired.isoformat(),
        "lot_id": lot_id,
        "covered": covered,
        "relief": relief,
        "how": how,
    }
    return check


def _ours(lot: TaxLot) -> reconcile.Ours:
    return reconcile.Ours(
        lot.quantity, lot.cost_basis, lot.wash_sale_adjustment, lot.broker_wash_applied
    )


def _matching(with_id: list[tuple[int, str]], without: list[tuple[int, int, str]]) -> Any:
    """The lots a chunk's rows may match: by account and lot id, or by account, security and
    date. On PostgreSQL, arrays (ANY): IN lists of thousands cost more to build than to run."""
    accounts, ids = {a for a, _ in with_id}, {i for _, i in with_id}
    dated = ({a for a, _, _ in without}, {s for _, s, _ in without}, {d for _, _, d in without})
    if connection.vendor != "postgresql":
        condition = Q(pk__in=[])
        if with_id:
            condition |= Q(account_id__in=accounts, external_id__in=ids)
        if without:
            condition |= Q(account_id__in=dated[0], security_id__in=dated[1], acquired__in=dated[2])
        return condition
    parts, params = ["false"], []
    if with_id:
        parts.append("(account_id = ANY(%s::bigint[]) AND external_id = ANY(%s::text[]))")
        params += [list(accounts), list(ids)]
    if without:
        parts.append(
            "(account_id = ANY(%s::bigint[]) AND security_id = ANY(%s::bigint[]) "
            "AND acquired = ANY(%s::date[]))"
        )
        params += [list(dated[0]), list(dated[1]), list(dated[2])]
    return RawSQL(" OR ".join(parts), params, output_field=BooleanField())


def classify_chunk(book: Book, batch_id: int, checks: list[Checked]) -> list[ImportRow]:
    """ImportRows for a chunk: errors as they are, the rest matched to our lots (one query)."""
    ok = [c for c in checks if not c.errors and c.parsed]
    with_id = [c for c in ok if c.parsed["lot_id"]]
    without = [c for c in ok if not c.parsed["lot_id"]]
    found: dict[tuple[int, str], TaxLot] = {}
    by_date: dict[tuple[int, int, str], list[TaxLot]] = defaultdict(list)
    condition = _matching(
        [(c.parsed["account"], c.parsed["lot_id"]) for c in with_id],
        [(c.parsed["account"], c.parsed["security"], c.parsed["acquired"]) for c in without],
    )
    if with_id or without:
        for lot in (
            TaxLot.objects.filter(condition)
            .only(
                "id",
                "public_id",
                "account_id",
                "security_id",
                "external_id",
                "acquired",
                "quantity",
                "cost_basis",
                "wash_sale_adjustment",
                "broker_wash_applied",
            )
            .order_by("id")
        ):
            if lot.external_id:
                found[(lot.account_id, lot.external_id)] = lot
            by_date[(lot.account_id, lot.security_id, lot.acquired.isoformat())].append(lot)
    rows = []
    for check in checks:
        row = ImportRow.fresh(
            batch_id=batch_id, number=check.row.number, data=dict(check.row.values)
        )
        rows.append(row)
        if check.errors or not check.parsed:
            row.kind, row.errors = RowKind.ERROR, check.errors
            continue
        p = check.parsed
        row.data["_"] = p
        row.account_id_ref, row.security_id_ref = p["account"], p["security"]
        row.quantity = Decimal(p["quantity"])
        if p["lot_id"]:
            row.key = _key("id", p["lot_id"])
            lot = found.get((p["account"], p["lot_id"]))
        else:
            row.key = _key("date", p["security"], p["acquired"], p["quantity"], p["basis"])
            candidates = by_date.get((p["account"], p["security"], p["acquired"]), [])
            lot = next(
                (c for c in candidates if c.quantity == row.quantity),
                candidates[0] if len(candidates) == 1 else None,
            )
        if lot is None:
            row.kind = RowKind.NEW
            continue
        row.lot = lot
        ours = _ours(lot)
        theirs = reconcile.Theirs(
            row.quantity, Decimal(p["basis"]), Decimal(p["wash"]), p["relief"]
        )
        row.ours = {
            "lot": str(lot.public_id),
            "quantity": str(lot.quantity),
            "cost_basis": str(lot.cost_basis),
            "wash_sale_adjustment": str(lot.wash_sale_adjustment),
            "broker_wash_applied": lot.broker_wash_applied,
        }
        if reconcile.same(ours, theirs):
            row.kind = RowKind.UNCHANGED
            continue
        account = book.by_pk[p["account"]]
        row.kind = RowKind.CHANGED
        row.reason, row.explanation = reconcile.likely_reason(
            ours, theirs, account_relief=account.relief_method or ReliefMethod.FIFO
        )
    return rows

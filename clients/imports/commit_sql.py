"""The new lots of a lots batch written inside PostgreSQL: one INSERT … SELECT from the batch's
stored rows (ImportRow.data["_"], what the preview parsed and checked), which links each row to
its new lot in the same statement. Nothing per row goes through Python, so the commit's memory
does not grow with the file.

It writes what ``commit._write_lots``'s Python path (``services.lots_import``, kept for other
databases) writes: the same fields (the household's firm and team, the basis net of the
custodian's wash adjustment, the holding period from the acquisition), keys drawn from the
lots' sequence in row order, and the audit trail's insert events (the triggers see the INSERT
as they see a COPY). The rows were checked by the lot service's rules at the preview; what can
have changed since (an account no longer writable, a lot id taken by another write) is checked
first, with the Python path's messages.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils import timezone

from clients import page_cache
from clients.imports.models import ImportBatch, RowKind
from clients.models import Account, TaxLot

# A new lot's columns from the row (s), its parsed values (s.p) and its account's household (h).
_VALUES = {
    "id": "s.lot_id",
    "public_id": "gen_random_uuid()",
    "firm_id": "h.firm_id",
    "team_id": "h.team_id",
    "account_id": "s.account_id",
    "security_id": "s.security_id",
    "external_id": "s.p->>'lot_id'",
    "original_quantity": "(s.p->>'quantity')::numeric",
    "quantity": "(s.p->>'quantity')::numeric",
    "cost_basis": "(s.p->>'basis')::numeric - (s.p->>'wash')::numeric",
    "acquired": "(s.p->>'acquired')::date",
    "how_acquired": "s.p->>'how'",
    "gift_date": "NULL",
    "gift_value": "NULL",
    "holding_period_start": "(s.p->>'acquired')::date",
    "wash_sale_adjustment": "(s.p->>'wash')::numeric",
    "broker_wash_applied": "(s.p->>'wash')::numeric > 0",
    "covered": "(s.p->>'covered')::boolean",
    "updated": "%(now)s",
}


def enabled() -> bool:
    """Whether the new lots are written by SQL (PostgreSQL) rather than by lots_import."""
    return connection.vendor == "postgresql"


_NEW = "r.batch_id = %(batch)s AND r.kind = %(kind)s"


def _insert_sql() -> str:
    columns = [f.column for f in TaxLot._meta.concrete_fields]
    assert set(columns) == set(_VALUES), "TaxLot's columns changed: update commit_sql._VALUES"
    quote = connection.ops.quote_name
    # nextval in the output list is evaluated after the ORDER BY (which the batch's index
    # gives): keys follow the rows' order, as the Python path's do. The CTE is materialized
    # (referenced twice): one key per row. The lots go in in that order too (their audit
    # events with them).
    return (
        "WITH s AS MATERIALIZED ("
        " SELECT r.id AS row_id,"
        "  nextval(pg_get_serial_sequence('clients_taxlot', 'id')) AS lot_id,"
        "  r.account_id_ref AS account_id, r.security_id_ref AS security_id, r.data->'_' AS p"
        f" FROM clients_importrow r WHERE {_NEW} ORDER BY r.number"
        "), made AS ("
        f" INSERT INTO {quote(TaxLot._meta.db_table)} ({', '.join(map(quote, columns))})"
        f" SELECT {', '.join(_VALUES[c] for c in columns)} FROM s"
        " JOIN clients_account a ON a.id = s.account_id"
        " JOIN clients_household h ON h.id = a.household_id"
        " ORDER BY s.lot_id"
        " RETURNING id"
        ")"
        " UPDATE clients_importrow r SET lot_id = s.lot_id FROM s WHERE r.id = s.row_id"
    )


def _first(cursor: Any, condition: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
    cursor.execute(
        f"SELECT r.number, r.data->'_'->>'lot_id' FROM clients_importrow r WHERE {_NEW} "
        f"AND {condition} ORDER BY r.number LIMIT 1",
        params,
    )
    return cursor.fetchone()


def write_new_lots(
    batch: ImportBatch, accounts: set[int], securities: set[int], refuse: Any
) -> tuple[int, set[int]]:
    """Open a lot for every new row of ``batch``: (lots made, accounts whose custodian relieves
    by average cost). ``accounts`` and ``securities``: what the actor may still write and use;
    ``refuse(number, column, message)`` gives the exception that refuses a row."""
    params = {"batch": batch.pk, "kind": RowKind.NEW, "now": timezone.now()}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.account_id_ref, count(*), "
            "bool_or(r.data->'_'->>'relief' = 'average') "
            f"FROM clients_importrow r WHERE {_NEW} GROUP BY r.account_id_ref",
            params,
        )
        per_account = cursor.fetchall()
        expected = sum(n for _, n, _ in per_account)
        if {a for a, _, _ in per_account} - accounts:
            number, _ = _first(
                cursor, "NOT (r.account_id_ref = ANY(%(ok)s))", params | {"ok": list(accounts)}
            )
            raise refuse(number, "account_number", "You may no longer change this account.")
        cursor.execute(
            f"SELECT DISTINCT r.security_id_ref FROM clients_importrow r WHERE {_NEW}", params
        )
        if {s for (s,) in cursor.fetchall()} - securities:
            ok = {"ok": list(securities)}
            number, _ = _first(cursor, "NOT (r.security_id_ref = ANY(%(ok)s))", params | ok)
            raise refuse(number, "symbol", "You may no longer use this security.")
        taken = _first(
            cursor,
            "r.data->'_'->>'lot_id' <> '' AND EXISTS (SELECT 1 FROM clients_taxlot t "
            "WHERE t.account_id = r.account_id_ref AND t.external_id <> '' "
            "AND t.external_id = r.data->'_'->>'lot_id')",
            params,
        )
        if taken is not None:
            raise refuse(taken[0], "external_id", f"Lot {taken[1]} is already in this account.")
        if expected:
            # Every row linked (the count) to a lot inserted (the link's foreign key, checked
            # when the transaction commits: a missing lot fails the whole import).
            cursor.execute(_insert_sql(), params)
            if cursor.rowcount != expected:
                raise RuntimeError(f"{cursor.rowcount} rows linked of {expected}")
    if expected:
        firms = Account.objects.filter(pk__in=[a for a, _, _ in per_account])
        page_cache.bump(*set(firms.values_list("household__firm_id", flat=True)))
    return expected, {a for a, _, average in per_account if average}

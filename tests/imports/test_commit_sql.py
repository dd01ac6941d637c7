"""The commit's two ways of opening a lots batch's new lots: one INSERT … SELECT in PostgreSQL
(clients/imports/commit_sql.py) and ``services.lots_import`` a chunk at a time (other databases).
On the same file they write the same lots, links, audit trail and record of the import."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pghistory
import pytest
from django.db import transaction

from advisors.audit import events_of
from clients import services
from clients.imports import commit, commit_sql
from clients.imports.models import Reason, RowKind
from clients.models import Account, ReliefMethod, TaxLot, Transaction
from tests.factories import TaxLotFactory
from tests.imports.conftest import NUMBERS, account, committed

HEADER = (
    "account_number,symbol,cusip,quantity,cost_basis,acquired,lot_id,covered,"
    "wash_sale_adjustment,relief_method,how_acquired\n"
)
S, F, P = NUMBERS["schwab"], NUMBERS["fidelity"], NUMBERS["pershing"]
FILE = HEADER + (
    # Changed: a different relief method (taken), a broker's wash adjustment (taken), a split
    # (kept ours).
    f"{S},VTI,,70,14000.00,2021-01-15,L-1,yes,,fifo,\n"
    f"{S},VTI,,50,14150.00,2026-03-10,L-2,yes,,FIFO,\n"
    f"{S},AAPL,,40,6120.00,2024-06-03,A-1,yes,120.00,,\n"
    f"{S},MSFT,,400,20000.00,2020-02-03,M-1,,,,\n"
    # Unchanged.
    f"{F},BND,,10,700.00,2022-05-02,F-1,no,,,\n"
    # New: covered, not covered and unknown; a wash adjustment; by CUSIP, without a lot id;
    # inherited; average cost; money and dates as custodians write them.
    f'{S},SCHB,,12.5,"$1,234.56",2023-04-05,N-1,yes,12.34,fifo,purchase\n'
    f"{F},,921943858,7.123456,321.00,03/04/2019,,no,,average,inherited\n"
    f"{F},VEA,,3,150.00,2019-03-04,,,0.50,Specific ID,\n"
    f"{P},AGG,,100,9800,2024-01-02,P-9,x,,,\n"
    f"{P},AGG,,1,98.00,2024-01-02,P-10,n,98.00,avg,\n"
)


def _book_lots(book, securities) -> None:
    schwab, fidelity = account(book, "schwab"), account(book, "fidelity")
    for acct, symbol, lot_id, quantity, basis, acquired in (
        (schwab, "VTI", "L-1", "100", "20000.00", "2021-01-15"),
        (schwab, "VTI", "L-2", "20", "5660.00", "2026-03-10"),
        (schwab, "AAPL", "A-1", "40", "6000.00", "2024-06-03"),
        (schwab, "MSFT", "M-1", "100", "20000.00", "2020-02-03"),
        (fidelity, "BND", "F-1", "10", "700.00", "2022-05-02"),
    ):
        TaxLotFactory(
            account=acct,
            security=securities[symbol],
            external_id=lot_id,
            original_quantity=Decimal(quantity),
            cost_basis=Decimal(basis),
            acquired=acquired,
        )


def _snapshot(batch_id: int, household) -> dict[str, Any]:
    lots = list(TaxLot.objects.order_by("id"))
    order = {lot.pk: n for n, lot in enumerate(lots)}
    skip = {"id", "public_id", "updated"}
    fields = [f.attname for f in TaxLot._meta.concrete_fields if f.attname not in skip]
    events = events_of(TaxLot).objects.filter(pgh_obj_id__in=order).order_by("pgh_id")
    rows = commit.ImportBatch.objects.get(pk=batch_id).rows.order_by("number")
    batch = commit.ImportBatch.objects.get(pk=batch_id)

    def result(r: Any) -> dict[str, Any]:
        return r.result | {"transactions": len(r.result.get("transactions", []))}

    return {
        "lots": [{f: getattr(lot, f) for f in fields} for lot in lots],
        "rows": [
            (r.number, r.kind, r.reason, r.explanation, r.decision, result(r), order.get(r.lot_id))
            for r in rows
        ],
        "events": [
            (
                e.pgh_label,
                order[e.pgh_obj_id],
                {f: getattr(e, f) for f in fields},
                e.pgh_context,
            )
            for e in events
        ],
        "accounts": list(
            Account.objects.filter(household=household)
            .order_by("id")
            .values_list("id", "relief_method", "average_basis")
        ),
        "transactions": [
            (t.account_id, t.security_id, order.get(t.lot_id), t.action, t.quantity, t.ratio)
            for t in Transaction.objects.order_by("id")
        ],
        "batch": (batch.status, batch.created_count, batch.changed_count, batch.counts),
    }


def _import_and_commit(firm_admin, book, securities, run_import) -> dict[str, Any]:
    """The file into a book in a savepoint rolled back after: what the commit wrote."""
    with transaction.atomic():
        _book_lots(book, securities)
        schwab = account(book, "schwab")
        schwab.relief_method = ReliefMethod.SPECIFIC
        schwab.save()
        batch = run_import(firm_admin, FILE)
        assert batch.errors == 0, list(batch.rows.filter(kind="error").values("number", "errors"))
        changed = {r.data["lot_id"]: r for r in batch.rows.filter(kind=RowKind.CHANGED)}
        assert {k: r.reason for k, r in changed.items()} == {
            "L-1": Reason.RELIEF,
            "L-2": Reason.RELIEF,
            "A-1": Reason.BROKER_WASH,
            "M-1": Reason.SPLIT,
        }
        commit.decide(
            batch=batch,
            actor=firm_admin,
            decisions={
                changed["L-1"].number: ("file", "Schwab relieves first in, first out"),
                changed["L-2"].number: ("file", "Schwab relieves first in, first out"),
                changed["A-1"].number: ("file", "the 1099-B's W adjustment"),
                changed["M-1"].number: ("ours", "no split in our records"),
            },
        )
        with pghistory.context(user=firm_admin.pk, url="/imports/commit"):
            committed(batch, firm_admin)
        snapshot = _snapshot(batch.pk, book)
        transaction.set_rollback(True)
    return snapshot


@pytest.mark.django_db
def test_sql_and_python_commits_write_the_same(
    firm_admin, book, securities, run_import, monkeypatch
) -> None:
    assert commit_sql.enabled()
    python_import = services.lots_import

    def not_called(**kwargs: Any) -> Any:
        raise AssertionError("the PostgreSQL commit goes through SQL")

    monkeypatch.setattr(services, "lots_import", not_called)
    by_sql = _import_and_commit(firm_admin, book, securities, run_import)
    monkeypatch.setattr(services, "lots_import", python_import)
    monkeypatch.setattr(commit_sql, "enabled", lambda: False)
    by_python = _import_and_commit(firm_admin, book, securities, run_import)

    assert by_sql == by_python
    new = by_sql["lots"][5:10]  # after them, the lot of L-2's transfer in
    assert len(by_sql["lots"]) == 11
    assert [lot["external_id"] for lot in new] == ["N-1", "", "", "P-9", "P-10"]  # row order
    assert [lot["covered"] for lot in new] == [True, False, None, True, False]
    n1 = new[0]
    assert (n1["cost_basis"], n1["wash_sale_adjustment"], n1["broker_wash_applied"]) == (
        Decimal("1222.22"),
        Decimal("12.34"),
        True,
    )
    assert new[1]["how_acquired"] == "inherited" and new[1]["quantity"] == Decimal("7.123456")
    assert new[4]["cost_basis"] == Decimal("0.00") and new[4]["broker_wash_applied"]
    fidelity, pershing = account(book, "fidelity").pk, account(book, "pershing").pk
    assert {a for a, _, average in by_sql["accounts"] if average} == {fidelity, pershing}
    assert [kind for kind, *_ in by_sql["events"]].count("insert") == 11
    assert by_sql["batch"][1:3] == (5, 3)
    assert sum(1 for r in by_sql["rows"] if r[1] == RowKind.NEW and r[6] is not None) == 5


@pytest.mark.django_db
def test_sql_commit_refuses_what_changed_since_the_preview(
    firm_admin, book, securities, run_import
) -> None:
    """A lot id taken since the preview: refused with the lot service's message, nothing
    written."""
    batch = run_import(firm_admin, HEADER + f"{P},AGG,,100,9800,2024-01-02,P-9,,,,\n")
    TaxLotFactory(
        account=account(book, "pershing"),
        security=securities["AGG"],
        external_id="P-9",
        original_quantity=Decimal("1"),
        cost_basis=Decimal("1.00"),
        acquired="2024-01-02",
    )
    with pytest.raises(commit.CommitRefused, match="Lot P-9 is already in this account"):
        committed(batch, firm_admin)
    assert TaxLot.objects.count() == 1
    assert not batch.rows.filter(lot__isnull=False).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("by_sql", [True, False])
def test_an_account_no_longer_writable_is_refused_by_both(
    firm_admin, book, securities, run_import, monkeypatch, by_sql
) -> None:
    batch = run_import(
        firm_admin,
        HEADER + f"{S},VTI,,1,100.00,2024-01-02,Q-1,,,,\n{P},AGG,,1,98.00,2024-01-02,Q-2,,,,\n",
    )
    monkeypatch.setattr(commit_sql, "enabled", lambda: by_sql)
    Account.objects.filter(account_number=P).update(account_number="")  # out of the book
    with pytest.raises(commit.CommitRefused) as refused:
        committed(batch, firm_admin)
    assert refused.value.row == 3 and refused.value.column == "account_number"
    assert refused.value.message.startswith(
        "Row 3, account_number: You may no longer change this account."
    )
    assert TaxLot.objects.count() == 0

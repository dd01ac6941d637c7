"""A later file reconciles rather than overwrites: each difference with its likely reason, the
advisor's choice recorded with its reason; re-importing the same file changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clients.imports import commit
from clients.imports.models import Reason
from clients.models import Action, ReliefMethod, TaxLot, Transaction
from tests.factories import TaxLotFactory
from tests.imports.conftest import account, committed, errors_of

HEADER = "account_number,symbol,quantity,cost_basis,acquired,lot_id,wash_sale_adjustment\n"


def _lot(
    book,
    securities,
    lot_id: str,
    quantity: str,
    basis: str,
    symbol: str = "VTI",
    acquired: str = "2021-01-15",
) -> TaxLot:
    return TaxLotFactory(
        account=account(book, "schwab"),
        security=securities[symbol],
        external_id=lot_id,
        original_quantity=Decimal(quantity),
        cost_basis=Decimal(basis),
        acquired=acquired,
    )


def _changed(batch) -> dict[str, object]:
    return {r.data["lot_id"]: r for r in batch.rows.filter(kind="changed")}


@pytest.mark.django_db
def test_same_file_twice_changes_nothing(firm_admin, book, run_import) -> None:
    sample = "Schwab_12345678_Positions_2026-11-30.csv"
    first = committed(run_import(firm_admin, sample=sample), firm_admin)
    lots = list(
        TaxLot.objects.order_by("id").values_list(
            "id", "quantity", "cost_basis", "wash_sale_adjustment"
        )
    )
    again = run_import(firm_admin, sample=sample)
    assert again.same_file_as == first and again.sha256 == first.sha256
    assert (again.counts["new"], again.counts["unchanged"], again.counts["changed"]) == (0, 3, 0)
    done = committed(again, firm_admin)
    assert (done.created_count, done.changed_count) == (0, 0)
    assert (
        list(
            TaxLot.objects.order_by("id").values_list(
                "id", "quantity", "cost_basis", "wash_sale_adjustment"
            )
        )
        == lots
    )
    with pytest.raises(commit.CommitRefused, match="already committed"):
        commit.batch_commit(batch_id=done.pk, actor=firm_admin)


@pytest.mark.django_db
def test_relief_method(firm_admin, book, securities, run_import) -> None:
    """We relieved 30 shares from the newer lot, the custodian (first in, first out) from the
    older: same 120 shares in total, spread differently."""
    schwab = account(book, "schwab")
    schwab.relief_method = ReliefMethod.SPECIFIC
    schwab.save()
    _lot(book, securities, "L-1", "100", "20000.00")
    _lot(book, securities, "L-2", "20", "5660.00", acquired="2026-03-10")
    batch = run_import(
        firm_admin,
        HEADER + "12345678,VTI,70,14000.00,2021-01-15,L-1,\n"
        "12345678,VTI,50,14150.00,2026-03-10,L-2,\n",
    )
    rows = _changed(batch)
    assert {r.reason for r in rows.values()} == {Reason.RELIEF}
    assert "the same 120 shares of this security in total" in rows["L-1"].explanation
    assert "ours: specific identification" in rows["L-1"].explanation
    commit.decide(
        batch=batch,
        actor=firm_admin,
        decisions={
            rows["L-1"].number: ("file", "Schwab relieved first in, first out"),
            rows["L-2"].number: ("file", "Schwab relieved first in, first out"),
        },
    )
    done = committed(batch, firm_admin)
    assert done.changed_count == 2
    held = TaxLot.objects.filter(account=schwab, security=securities["VTI"])
    assert sum(lot.quantity for lot in held) == Decimal("120")
    l1 = held.get(external_id="L-1")
    assert (l1.quantity, l1.cost_basis) == (Decimal("70"), Decimal("14000.00"))
    assert Transaction.objects.filter(lot=l1, action=Action.TRANSFER_OUT).get().quantity == 30
    row = done.rows.get(number=rows["L-1"].number)
    assert (
        row.decision_reason == "Schwab relieved first in, first out"
        and row.decided_by == firm_admin
    )
    assert (
        row.result["before"]["quantity"] == "100.000000"
        and row.result["after"]["quantity"] == "70.000000"
    )


@pytest.mark.django_db
def test_broker_wash_adjustment_is_not_applied_twice(
    firm_admin, book, securities, run_import
) -> None:
    lot = _lot(book, securities, "A-1", "40", "6000.00", symbol="AAPL", acquired="2024-06-03")
    later = HEADER + "12345678,AAPL,40,6120.00,2024-06-03,A-1,120.00\n"
    batch = run_import(firm_admin, later)
    row = _changed(batch)["A-1"]
    assert row.reason == Reason.BROKER_WASH
    assert "wash-sale adjustment of $120.00 it already applied" in row.explanation
    commit.decide(
        batch=batch,
        actor=firm_admin,
        decisions={row.number: ("file", "1099-B shows the W adjustment")},
    )
    committed(batch, firm_admin)
    lot.refresh_from_db()
    assert (lot.cost_basis, lot.wash_sale_adjustment, lot.broker_wash_applied) == (
        Decimal("6000.00"),
        Decimal("120.00"),
        True,
    )
    assert lot.adjusted_basis == Decimal("6120.00")
    # The same report again: unchanged, the adjustment stays applied once.
    again = run_import(firm_admin, later)
    assert (again.counts["unchanged"], again.counts["changed"]) == (1, 0)
    committed(again, firm_admin)
    lot.refresh_from_db()
    assert lot.adjusted_basis == Decimal("6120.00")


@pytest.mark.django_db
def test_split(firm_admin, book, securities, run_import) -> None:
    lot = _lot(book, securities, "L-1", "100", "20000.00")
    batch = run_import(firm_admin, HEADER + "12345678,VTI,400,20000.00,2021-01-15,L-1,\n")
    row = _changed(batch)["L-1"]
    assert row.reason == Reason.SPLIT and "Looks like a 4-for-1 split" in row.explanation
    commit.decide(batch=batch, actor=firm_admin, decisions={row.number: ("file", "4:1 split")})
    committed(batch, firm_admin)
    lot.refresh_from_db()
    assert (lot.quantity, lot.original_quantity, lot.cost_basis) == (
        Decimal("400"),
        Decimal("400"),
        Decimal("20000.00"),
    )
    split = Transaction.objects.get(lot=lot, action=Action.SPLIT)
    assert split.ratio == 4 and split.quantity == 0


@pytest.mark.django_db
def test_missing_history_kept_ours(firm_admin, book, securities, run_import) -> None:
    lot = _lot(book, securities, "L-1", "100", "20000.00")
    batch = run_import(firm_admin, HEADER + "12345678,VTI,60,12000.00,2021-01-15,L-1,\n")
    row = _changed(batch)["L-1"]
    assert row.reason == Reason.MISSING_HISTORY
    assert row.explanation.startswith("The custodian holds 40 fewer shares in this lot")
    with pytest.raises(commit.CommitRefused, match="say why"):
        commit.decide(batch=batch, actor=firm_admin, decisions={row.number: ("file", " ")})
    commit.decide(
        batch=batch,
        actor=firm_admin,
        decisions={row.number: ("ours", "the sale is in next month's file")},
    )
    done = committed(batch, firm_admin)
    lot.refresh_from_db()
    assert lot.quantity == Decimal("100") and done.changed_count == 0
    kept = done.rows.get(number=row.number)
    assert kept.result == {"kept": "ours", "reason": "the sale is in next month's file"}


@pytest.mark.django_db
def test_missing_history_taken_from_the_file(firm_admin, book, securities, run_import) -> None:
    lot = _lot(book, securities, "L-1", "100", "20000.00")
    batch = run_import(firm_admin, HEADER + "12345678,VTI,60,12000.00,2021-01-15,L-1,\n")
    row = _changed(batch)["L-1"]
    commit.decide(batch=batch, actor=firm_admin, decisions={row.number: ("file", "sold")})
    committed(batch, firm_admin)
    lot.refresh_from_db()
    assert (lot.quantity, lot.cost_basis) == (Decimal("60"), Decimal("12000.00"))
    assert errors_of(batch) == []

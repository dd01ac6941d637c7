"""Each custodian's sample file end to end: upload, preview, commit, review, plan."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clients.imports.models import BatchStatus
from clients.models import TaxLot
from taxlogic import services
from tests.imports.conftest import TODAY, account, committed, errors_of


def review(household):
    done = services.household_review_run(
        household=household, tax_year=TODAY().year, as_of=TODAY(), requested_by=None
    )
    assert done.status == "done", done.error
    return done.plan


@pytest.mark.django_db
def test_schwab_sample(firm_admin, book, run_import) -> None:
    batch = run_import(firm_admin, sample="Schwab_12345678_Positions_2026-11-30.csv")
    assert batch.format == "schwab" and batch.encoding == "utf-8-sig"
    assert errors_of(batch) == []
    assert batch.counts["new"] == 3
    assert TaxLot.objects.filter(account=account(book, "schwab")).count() == 0  # preview only
    committed(batch, firm_admin)
    lots = {
        (lot.security.symbol, lot.acquired.isoformat()): lot
        for lot in TaxLot.objects.filter(account=account(book, "schwab"))
    }
    assert set(lots) == {("VTI", "2021-01-15"), ("VTI", "2026-03-10"), ("AAPL", "2024-06-03")}
    aapl = lots[("AAPL", "2024-06-03")]
    # The custodian's basis includes its wash adjustment: stored apart, marked as applied.
    assert (aapl.cost_basis, aapl.wash_sale_adjustment) == (Decimal("6000.00"), Decimal("120.00"))
    assert aapl.broker_wash_applied and aapl.adjusted_basis == Decimal("6120.00")
    plan = review(book)
    symbols = (
        {r.security_symbol for r in plan.recommendations.all()}
        if hasattr(plan.recommendations.first(), "security_symbol")
        else None
    )
    assert plan.recommendations.exists(), symbols


@pytest.mark.django_db
def test_fidelity_sample(firm_admin, book, run_import) -> None:
    batch = run_import(firm_admin, sample="Portfolio_Positions_Nov-30-2026.csv")
    assert batch.format == "fidelity"
    assert errors_of(batch) == []
    assert batch.counts["new"] == 4
    committed(batch, firm_admin)
    fidelity = account(book, "fidelity")
    fxaix = TaxLot.objects.get(account=fidelity, security__symbol="FXAIX")
    assert fxaix.cost_basis == Decimal("30000.65")  # 210.457 × the average cost 142.55
    fidelity.refresh_from_db()
    assert fidelity.average_basis
    assert review(book).recommendations.exists()


@pytest.mark.django_db
def test_pershing_sample(firm_admin, book, run_import) -> None:
    batch = run_import(firm_admin, sample="PERSHING_POTL_20261130.txt")
    assert batch.format == "pershing"
    assert errors_of(batch) == []
    assert batch.counts["new"] == 3
    done = committed(batch, firm_admin)
    assert done.status == BatchStatus.COMMITTED and done.created_count == 3
    iefa = TaxLot.objects.get(external_id="P-IEFA-001")
    assert (iefa.quantity, iefa.cost_basis, iefa.covered) == (
        Decimal("75.5"),
        Decimal("4530"),
        False,
    )
    assert review(book).recommendations.exists()

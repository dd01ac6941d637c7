"""Issue 12: a custodian's file whose lot basis already includes its own wash-sale adjustment
(same account, same security: Form 1099-B box 1g), with the loss sale recorded in the same
account: the review's inputs say so (``lots[].broker_wash_adjustment``), and the lot page, the
household's basis and the plan count the adjustment once."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from clients import services as book_services
from clients.models import Action, TaxLot
from taxlogic.basis import compare, household_basis
from taxlogic.rules.cases import evaluate, parse_case
from taxlogic.services import household_inputs, household_review_run
from tests.factories import TaxLotFactory
from tests.imports.conftest import TODAY, account, committed, days_ago

pytestmark = pytest.mark.django_db

HEADER = "account_number,symbol,quantity,cost_basis,acquired,lot_id,wash_sale_adjustment\n"


@pytest.fixture
def washed(firm_admin, book, securities, run_import) -> tuple[TaxLot, TaxLot]:
    """10 VTI bought 400 days ago for 3,000 and sold 10 days ago for 2,400 (a 600 loss); 10 VTI
    bought back 5 days ago for 2,550, which Schwab reports at 3,150 with its 600 adjustment."""
    schwab = account(book, "schwab")
    old = TaxLotFactory(
        account=schwab,
        security=securities["VTI"],
        original_quantity=Decimal(10),
        cost_basis=Decimal("3000.00"),
        acquired=days_ago(400),
    )
    book_services.transaction_record(
        account=schwab,
        security=securities["VTI"],
        action=Action.SELL,
        trade_date=days_ago(10),
        quantity=Decimal(10),
        price=Decimal(240),
        lot=old,
        actor=firm_admin,
    )
    batch = run_import(
        firm_admin, HEADER + f"12345678,VTI,10,3150.00,{days_ago(5).isoformat()},B-1,600.00\n"
    )
    assert batch.counts["new"] == 1, batch.counts
    committed(batch, firm_admin)
    new = TaxLot.objects.get(account=schwab, external_id="B-1")
    assert (new.cost_basis, new.wash_sale_adjustment, new.broker_wash_applied) == (
        Decimal("2550.00"),
        Decimal("600.00"),
        True,
    )
    return old, new


def test_the_inputs_say_the_custodian_applied_it(washed, book) -> None:
    old, new = washed
    inputs = household_inputs(book, tax_year=TODAY().year, as_of=TODAY())
    case = inputs.snapshot["case"]
    lot = next(lot for lot in case["lots"] if lot["id"] == str(new.public_id))
    assert (lot["basis"], lot["broker_wash_adjustment"]) == ("3150.00", "600.00")
    result = evaluate(parse_case(case))
    sale = next(r for r in result["realized"] if r["lot"] == str(old.public_id))
    assert (sale["gain"], sale["disallowed"], sale["code"]) == ("-600.00", "600.00", "W")
    (wash,) = result["wash_sales"]
    assert (wash["replacement"], wash["broker_applied"]) == (str(new.public_id), "600.00")


def test_the_lot_page_shows_the_basis_once(washed, book, firm_admin, client_for) -> None:
    old, new = washed
    html = client_for(firm_admin).get(reverse("clients:lot_detail", args=[new.public_id]))
    html = html.content.decode()
    assert 'data-basis="3150.00"' in html and 'data-adjustment="600.00"' in html
    assert "3,750.00" not in html  # 2,550 + 600 + 600: the adjustment twice
    # The sold shares' 390 days count (IRC §1223(3)): long-term already.
    tacked = TODAY() - datetime.timedelta(days=5 + 390)
    assert f'data-holding-from="{tacked.isoformat()}"' in html
    assert 'data-term="long"' in html
    assert "already included $600.00" in html or "already included 600.00" in html
    assert "not applied again" in html and "1.6045-1(d)(6)(iii)" in html
    compare([new], household_basis(household=book, as_of=TODAY()))
    figures = new.engine
    assert (figures.basis, figures.adjustment) == (Decimal("3150.00"), Decimal("600.00"))
    # The basis agrees with the custodian's; only the stored holding period is not tacked.
    (difference,) = figures.differences
    assert difference.startswith("The holding period counts from") and "§1223(3)" in difference


def test_the_plan_harvests_from_the_basis_counted_once(washed, book) -> None:
    """VTI closes at 250 today: the 10 shares are worth 2,500, a loss of 650 from 3,150 (not
    1,250 from a doubled 3,750)."""
    old, new = washed
    done = household_review_run(
        household=book, tax_year=TODAY().year, as_of=TODAY(), requested_by=None
    )
    assert done.status == "done", done.error
    harvest = done.plan.recommendations.get(lot=new)
    assert harvest.estimated_loss == Decimal("650.00")


def test_a_loss_sale_before_the_window_keeps_the_custodians_basis(
    firm_admin, book, securities, run_import, client_for
) -> None:
    """No loss sale in the household's history: the adjustment is kept as reported."""
    when = days_ago(500).isoformat()
    batch = run_import(firm_admin, HEADER + f"12345678,AAPL,40,6120.00,{when},A-1,120.00\n")
    committed(batch, firm_admin)
    lot = TaxLot.objects.get(external_id="A-1")
    html = client_for(firm_admin).get(reverse("clients:lot_detail", args=[lot.public_id]))
    html = html.content.decode()
    assert 'data-basis="6120.00"' in html and 'data-adjustment="120.00"' in html
    assert 'data-broker-kept="120.00"' in html and "kept as reported" in html
    compare([lot], household_basis(household=book, as_of=TODAY()))
    assert (lot.engine.basis, lot.engine.adjustment, lot.engine.differences) == (
        Decimal("6120.00"),
        Decimal("120.00"),
        [],
    )


def test_a_lot_bought_in_the_window_then_reported_adjusted_is_counted_once(
    firm_admin, book, securities
) -> None:
    """Bought through the book (a buy in the window), then the custodian's file reports its
    adjustment (the reconciliation's "take the file's"): the lot goes to the engine as a
    starting lot with the custodian's basis and ``broker_wash_adjustment``, not as a buy at
    the amount paid whose adjustment would be recomputed or lost."""
    schwab = account(book, "schwab")
    old = TaxLotFactory(
        account=schwab,
        security=securities["VTI"],
        original_quantity=Decimal(10),
        cost_basis=Decimal("3000.00"),
        acquired=days_ago(400),
    )
    record = {"account": schwab, "security": securities["VTI"], "actor": firm_admin}
    book_services.transaction_record(
        **record, action=Action.SELL, trade_date=days_ago(10), quantity=Decimal(10),
        price=Decimal(240), lot=old,
    )  # fmt: skip
    buy = book_services.transaction_record(
        **record, action=Action.BUY, trade_date=days_ago(5), quantity=Decimal(10),
        price=Decimal(255),
    )  # fmt: skip
    TaxLot.objects.filter(pk=buy.lot_id).update(
        wash_sale_adjustment=Decimal("600.00"), broker_wash_applied=True
    )
    new = TaxLot.objects.get(pk=buy.lot_id)
    case = household_inputs(book, tax_year=TODAY().year, as_of=TODAY()).snapshot["case"]
    assert str(new.public_id) not in {t["id"] for t in case["transactions"]}
    lot = next(lot for lot in case["lots"] if lot["id"] == str(new.public_id))
    assert (lot["basis"], lot["broker_wash_adjustment"], lot["acquired"]) == (
        "3150.00",
        "600.00",
        days_ago(5).isoformat(),
    )
    compare([new], household_basis(household=book, as_of=TODAY()))
    assert (new.engine.basis, new.engine.adjustment) == (Decimal("3150.00"), Decimal("600.00"))
    assert new.engine.wash_sales[0].broker_applied == Decimal("600.00")

"""Property: any book the generic exporter writes re-imports to the same lots and the same
transactions (into an account with the same number, the original's number cleared)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import BytesIO

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients import services
from clients.imports import commit, export, pipeline
from clients.models import Account, Action, TaxLot, Transaction
from tests.factories import AccountFactory, TaxLotFactory
from tests.imports.conftest import TODAY

SYMBOLS = ("VTI", "AAPL", "BND")
lot_ids = (
    st.text(
        alphabet=st.characters(
            codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters="\ufffd"
        ),
        min_size=1,
        max_size=24,
    )
    .map(str.strip)
    .filter(bool)
)
dates = st.dates(datetime.date(2000, 1, 1), TODAY() - datetime.timedelta(days=30))
quantities = st.decimals(Decimal("0.000001"), Decimal("1000000"), places=6)
money = st.decimals(Decimal("0"), Decimal("100000000"), places=2)


@st.composite
def lots(draw: st.DrawFn) -> list[dict]:
    ids = draw(st.lists(lot_ids, min_size=1, max_size=6, unique=True))
    out = []
    for lot_id in ids:
        basis = draw(money)
        wash = draw(
            st.one_of(
                st.just(Decimal("0.00")), st.decimals(Decimal("0.01"), Decimal("100000"), places=2)
            )
        )
        out.append(
            {
                "external_id": lot_id,
                "symbol": draw(st.sampled_from(SYMBOLS)),
                "quantity": draw(quantities),
                "cost_basis": basis,
                "wash": wash,
                "acquired": draw(dates),
                "covered": draw(st.sampled_from([None, True, False])),
            }
        )
    return out


def _lot_tuples(account: Account) -> set[tuple]:
    return {
        (
            lot.security.symbol,
            lot.quantity,
            lot.cost_basis,
            lot.wash_sale_adjustment,
            lot.broker_wash_applied,
            lot.acquired,
            lot.external_id,
            lot.covered,
        )
        for lot in TaxLot.objects.filter(account=account).select_related("security")
    }


def _reimport(actor, old: Account, text: str) -> Account:
    number = old.account_number
    Account.objects.filter(pk=old.pk).update(account_number="")
    new = AccountFactory(household=old.household, owner=old.owner, account_number=number)
    batch = pipeline.batch_start(actor=actor, upload=BytesIO(text.encode()), file_name="export.csv")
    batch.refresh_from_db()
    assert batch.errors == 0, list(batch.rows.filter(kind="error").values_list("errors"))
    commit.batch_commit(batch_id=batch.pk, actor=actor)
    return new


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(book_lots=lots())
def test_exported_lots_reimport_to_the_same_lots(firm_admin, book, securities, book_lots) -> None:
    with transaction.atomic():
        saved = transaction.savepoint()
        source = book.accounts.get(account_number="12345678")
        for lot in book_lots:
            TaxLotFactory(
                account=source,
                security=securities[lot["symbol"]],
                external_id=lot["external_id"],
                original_quantity=lot["quantity"],
                cost_basis=lot["cost_basis"],
                wash_sale_adjustment=lot["wash"],
                broker_wash_applied=lot["wash"] > 0,
                acquired=lot["acquired"],
                covered=lot["covered"],
            )
        text = "".join(export.lots_csv(TaxLot.objects.filter(account=source)))
        expected = _lot_tuples(source)
        new = _reimport(firm_admin, source, text)
        assert _lot_tuples(new) == expected
        transaction.savepoint_rollback(saved)


@st.composite
def trades(draw: st.DrawFn) -> list[dict]:
    ids = draw(st.lists(lot_ids, min_size=1, max_size=5, unique=True))
    out = []
    for lot_id in ids:
        bought = draw(dates)
        quantity = draw(st.decimals(Decimal("1"), Decimal("10000"), places=4))
        buy = {
            "id": lot_id,
            "action": Action.BUY,
            "symbol": draw(st.sampled_from(SYMBOLS)),
            "date": bought,
            "quantity": quantity,
            "price": draw(st.decimals(Decimal("0.01"), Decimal("5000"), places=4)),
            "fees": draw(st.decimals(Decimal("0"), Decimal("20"), places=2)),
        }
        out.append(buy)
        if draw(st.booleans()):
            days = draw(st.integers(0, (TODAY() - bought).days))
            out.append(
                {
                    "id": f"{lot_id}~sale",
                    "action": Action.SELL,
                    "symbol": buy["symbol"],
                    "date": bought + datetime.timedelta(days=days),
                    "lot": lot_id,
                    "quantity": draw(st.decimals(Decimal("0.0001"), quantity, places=4)),
                    "price": draw(st.decimals(Decimal("0.01"), Decimal("5000"), places=4)),
                    "fees": Decimal("0.00"),
                }
            )
    return sorted(out, key=lambda t: (t["date"], t["action"] != Action.BUY))


def _transaction_tuples(account: Account) -> set[tuple]:
    return {
        (
            t.action,
            t.trade_date,
            t.security.symbol,
            t.quantity,
            t.price,
            t.fees,
            t.amount,
            t.basis_relieved,
            t.external_id,
            t.lot.external_id if t.lot else "",
        )
        for t in Transaction.objects.filter(account=account).select_related("security", "lot")
    }


@pytest.mark.django_db
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(book_trades=trades())
def test_exported_transactions_reimport_to_the_same_transactions(
    firm_admin, book, securities, book_trades
) -> None:
    with transaction.atomic():
        saved = transaction.savepoint()
        source = book.accounts.get(account_number="12345678")
        for t in book_trades:
            lot = None
            if t["action"] == Action.SELL:
                lot = TaxLot.objects.get(account=source, external_id=t["lot"])
            services.transaction_record(
                account=source,
                security=securities[t["symbol"]],
                action=t["action"],
                trade_date=t["date"],
                quantity=t["quantity"],
                price=t["price"],
                fees=t["fees"],
                lot=lot,
                external_id=t["id"],
                actor=firm_admin,
            )
        text = "".join(export.transactions_csv(Transaction.objects.filter(account=source)))
        expected_trades, expected_lots = _transaction_tuples(source), _lot_tuples(source)
        new = _reimport(firm_admin, source, text)
        got = _transaction_tuples(new)
        assert got == expected_trades, (
            sorted(got - expected_trades),
            sorted(expected_trades - got),
            text,
        )
        assert _lot_tuples(new) == expected_lots
        transaction.savepoint_rollback(saved)

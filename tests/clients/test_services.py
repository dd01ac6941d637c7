"""clients.services.transaction_record: validates, writes atomically, relieves lots."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from advisors.models import Advisor
from clients import services
from clients.models import Action, Household, TaxLot, Transaction
from tests.factories import AccountFactory, SecurityFactory, TaxLotFactory

TODAY = timezone.localdate


def _counts() -> tuple[int, int]:
    return TaxLot.objects.count(), Transaction.objects.count()


def _lot(households: dict) -> TaxLot:
    return TaxLot.objects.select_related("account", "security").get(
        account__household=households["advisor"]
    )


def test_a_buy_opens_a_lot_at_the_amount_paid(advisor: Advisor, households: dict) -> None:
    account = households["advisor"].accounts.get()
    security = SecurityFactory(symbol="VTI")
    trade = services.transaction_record(
        account=account,
        security=security,
        action=Action.BUY,
        trade_date=TODAY(),
        quantity=Decimal("3.5"),
        price=Decimal("200.123456"),
        fees=Decimal("1.00"),
        recorded_by=advisor,
    )
    lot = trade.lot
    assert lot.quantity == lot.original_quantity == Decimal("3.5")
    assert trade.amount == lot.cost_basis == Decimal("701.43")  # 700.43 + 1.00 fees
    assert lot.acquired == lot.holding_period_start == TODAY()
    assert (lot.firm_id, lot.team_id) == (account.household.firm_id, account.household.team_id)
    assert (trade.firm_id, trade.team_id) == (lot.firm_id, lot.team_id)
    assert trade.recorded_by == advisor


def test_a_partial_sale_relieves_basis_in_proportion(advisor: Advisor, households: dict) -> None:
    lot = _lot(households)
    lot.wash_sale_adjustment = Decimal("30.00")
    lot.save()
    sale = services.transaction_record(
        account=lot.account,
        security=lot.security,
        action=Action.SELL,
        trade_date=TODAY(),
        quantity=Decimal("33"),
        price=Decimal("12.50"),
        fees=Decimal("0.50"),
        lot=lot,
        recorded_by=advisor,
    )
    lot.refresh_from_db()
    assert lot.quantity == Decimal("67")
    assert lot.cost_basis == Decimal("670.00")  # 1000 × 67/100
    assert lot.wash_sale_adjustment == Decimal("20.10")
    assert sale.basis_relieved == Decimal("339.90")  # 330.00 + 9.90
    assert sale.amount == Decimal("412.00")  # 33 × 12.50 − 0.50

    services.transaction_record(
        account=lot.account,
        security=lot.security,
        action=Action.SELL,
        trade_date=TODAY(),
        quantity=Decimal("67"),
        price=Decimal("12.50"),
        lot=lot,
    )
    lot.refresh_from_db()
    assert (lot.quantity, lot.cost_basis, lot.wash_sale_adjustment) == (0, 0, 0)


def test_selling_more_shares_than_the_lot_holds_is_refused_and_writes_nothing(
    advisor: Advisor, households: dict
) -> None:
    lot = _lot(households)
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.transaction_record(
            account=lot.account,
            security=lot.security,
            action=Action.SELL,
            trade_date=TODAY(),
            quantity=Decimal("100.000001"),
            price=Decimal("12.50"),
            lot=lot,
            recorded_by=advisor,
        )
    assert list(exc.value.message_dict) == ["quantity"]
    message = exc.value.message_dict["quantity"][0]
    assert "The lot holds 100 shares" in message
    assert "100.000001" in message
    assert _counts() == before
    lot.refresh_from_db()
    assert lot.quantity == Decimal("100")
    assert lot.cost_basis == Decimal("1000.00")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantity": Decimal("-5")}, "quantity"),
        ({"quantity": Decimal("0")}, "quantity"),
        ({"price": Decimal("-1")}, "price"),
        ({"fees": Decimal("-1")}, "fees"),
        ({"trade_date": TODAY() + datetime.timedelta(days=1)}, "trade_date"),
        ({"action": "short"}, "action"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    advisor: Advisor, households: dict, changes: dict, field: str
) -> None:
    account = households["advisor"].accounts.get()
    arguments = {
        "account": account,
        "security": SecurityFactory(),
        "action": Action.BUY,
        "trade_date": TODAY(),
        "quantity": Decimal("10"),
        "price": Decimal("10"),
        "recorded_by": advisor,
    }
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.transaction_record(**{**arguments, **changes})
    assert field in exc.value.message_dict
    assert _counts() == before


def test_a_sale_needs_a_lot_of_this_account_and_security(
    advisor: Advisor, households: dict
) -> None:
    lot = _lot(households)
    sell = {
        "action": Action.SELL,
        "trade_date": TODAY(),
        "quantity": Decimal("1"),
        "price": Decimal("1"),
    }
    with pytest.raises(ValidationError) as exc:
        services.transaction_record(account=lot.account, security=lot.security, **sell)
    assert "lot" in exc.value.message_dict
    other_account = AccountFactory(household=lot.account.household, owner=lot.account.owner)
    with pytest.raises(ValidationError) as exc:
        services.transaction_record(account=other_account, security=lot.security, lot=lot, **sell)
    assert "another account" in exc.value.message_dict["lot"][0]
    with pytest.raises(ValidationError) as exc:
        services.transaction_record(
            account=lot.account, security=SecurityFactory(), lot=lot, **sell
        )
    assert "lot" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.transaction_record(
            account=lot.account,
            security=lot.security,
            lot=lot,
            **{**sell, "trade_date": lot.acquired - datetime.timedelta(days=1)},
        )
    assert "trade_date" in exc.value.message_dict


def test_a_sale_locks_its_lot(households: dict) -> None:
    lot = _lot(households)
    with CaptureQueriesContext(connection) as queries:
        services.transaction_record(
            account=lot.account,
            security=lot.security,
            action=Action.SELL,
            trade_date=TODAY(),
            quantity=Decimal("1"),
            price=Decimal("1"),
            lot=lot,
        )
    assert any("FOR UPDATE" in q["sql"] and "clients_taxlot" in q["sql"] for q in queries)


def test_a_transfer_in_carries_its_date_and_basis(households: dict) -> None:
    account = households["advisor"].accounts.get()
    security = SecurityFactory()
    with pytest.raises(ValidationError) as exc:
        services.transaction_record(
            account=account,
            security=security,
            action=Action.TRANSFER_IN,
            trade_date=TODAY(),
            quantity=Decimal("5"),
            price=Decimal("10"),
        )
    assert set(exc.value.message_dict) == {"acquired", "cost_basis"}
    trade = services.transaction_record(
        account=account,
        security=security,
        action=Action.TRANSFER_IN,
        trade_date=TODAY(),
        quantity=Decimal("5"),
        price=Decimal("10"),
        acquired=datetime.date(2020, 6, 1),
        cost_basis=Decimal("31.00"),
    )
    assert trade.lot.acquired == datetime.date(2020, 6, 1)
    assert trade.lot.cost_basis == Decimal("31.00")


@pytest.mark.parametrize("user_key", ["compliance", "teammate", "outsider"])
def test_only_someone_who_may_change_the_household_can_record(
    users: dict, households: dict, user_key: str
) -> None:
    lot = _lot(households)
    before = _counts()
    with pytest.raises(PermissionDenied):
        services.transaction_record(
            account=lot.account,
            security=lot.security,
            action=Action.SELL,
            trade_date=TODAY(),
            quantity=Decimal("1"),
            price=Decimal("1"),
            lot=lot,
            recorded_by=users[user_key],
        )
    assert _counts() == before


def test_household_update_refuses_a_crm_id_taken_in_the_firm(
    advisor: Advisor, households: dict
) -> None:
    household = households["advisor"]
    taken = households["teammate"].external_crm_id
    with pytest.raises(ValidationError) as exc:
        services.household_update(
            household=household, name="New", external_crm_id=taken, updated_by=advisor
        )
    assert "external_crm_id" in exc.value.message_dict
    assert Household.objects.get(pk=household.pk).name != "New"
    # Another firm's CRM id is no conflict.
    services.household_update(
        household=household,
        name="New",
        external_crm_id=households["outsider"].external_crm_id,
        updated_by=advisor,
    )
    assert Household.objects.get(pk=household.pk).name == "New"


def test_household_scope_sync_moves_lots_and_transactions(households: dict, south: object) -> None:
    household = households["advisor"]
    household.team = south
    household.save()
    assert services.household_scope_sync(household=household) == 2
    assert set(
        TaxLot.objects.filter(account__household=household).values_list("team", flat=True)
    ) == {south.pk}
    assert services.household_scope_sync(household=household) == 0


def test_a_lot_with_nothing_left_is_no_longer_open(households: dict) -> None:
    lot = TaxLotFactory()
    services.transaction_record(
        account=lot.account,
        security=lot.security,
        action=Action.TRANSFER_OUT,
        trade_date=TODAY(),
        quantity=lot.quantity,
        price=Decimal("3"),
        lot=lot,
    )
    lot.refresh_from_db()
    assert lot.quantity == 0
    out = Transaction.objects.get(lot=lot, action=Action.TRANSFER_OUT)
    assert out.amount == Decimal("300.00")
    assert out.basis_relieved == Decimal("1000.00")

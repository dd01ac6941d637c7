"""Database constraints hold what must hold, whatever code writes the row."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from clients.models import (
    Account,
    AcquiredHow,
    Action,
    AssetClass,
    Household,
    PersonRole,
    Replacement,
    SecurityKind,
    TaxLot,
)
from taxlogic.rules.accounts import AccountType, treatment_of
from taxlogic.rules.lots import How
from tests.factories import (
    AccountFactory,
    HouseholdFactory,
    PersonFactory,
    PriceFactory,
    SecurityFactory,
    TaxLotFactory,
    TaxProfileFactory,
    TeamFactory,
    TransactionFactory,
)

pytestmark = pytest.mark.django_db


def _rejected(make: object, **kwargs: object) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"original_quantity": Decimal("-1"), "quantity": Decimal("-1")},
        {"original_quantity": Decimal("0"), "quantity": Decimal("0")},
        {"original_quantity": Decimal("10"), "quantity": Decimal("-0.000001")},
        {"original_quantity": Decimal("10"), "quantity": Decimal("11")},
        {"cost_basis": Decimal("-0.01")},
        {"wash_sale_adjustment": Decimal("-5.00")},
    ],
)
def test_lot_quantities_and_basis(kwargs: dict) -> None:
    _rejected(TaxLotFactory, **kwargs)


def test_a_valid_lot_is_accepted() -> None:
    lot = TaxLotFactory(original_quantity=Decimal("0.000001"), cost_basis=Decimal("0.00"))
    assert lot.quantity == Decimal("0.000001")
    assert lot.firm_id == lot.account.household.firm_id


def test_lot_holding_period_cannot_start_after_acquisition() -> None:
    acquired = datetime.date(2025, 3, 1)
    _rejected(
        TaxLotFactory, acquired=acquired, holding_period_start=acquired + datetime.timedelta(days=1)
    )


def test_lot_holding_period_defaults_to_the_acquisition_date() -> None:
    lot = TaxLotFactory(acquired=datetime.date(2025, 3, 1), holding_period_start=None)
    assert lot.holding_period_start == datetime.date(2025, 3, 1)


def test_a_gift_lot_needs_its_date_and_value_and_only_a_gift_has_them() -> None:
    _rejected(TaxLotFactory, how_acquired=AcquiredHow.GIFT)
    _rejected(TaxLotFactory, how_acquired=AcquiredHow.GIFT, gift_date=datetime.date(2025, 1, 2))
    _rejected(
        TaxLotFactory,
        how_acquired=AcquiredHow.PURCHASE,
        gift_date=datetime.date(2025, 1, 2),
        gift_value=Decimal("100.00"),
    )
    lot = TaxLotFactory(
        how_acquired=AcquiredHow.GIFT,
        gift_date=datetime.date(2025, 1, 2),
        gift_value=Decimal("900.00"),
    )
    assert lot.pk


@pytest.mark.parametrize("field", ["quantity", "price", "fees", "amount"])
def test_transaction_numbers_cannot_be_negative(field: str) -> None:
    _rejected(TransactionFactory, **{field: Decimal("-1")})


def test_transaction_quantity_must_be_positive() -> None:
    _rejected(TransactionFactory, quantity=Decimal("0"))


def test_a_sale_must_name_its_lot_and_the_basis_it_relieved() -> None:
    lot = TaxLotFactory()
    _rejected(TransactionFactory, lot=lot, action=Action.SELL)  # no basis_relieved
    _rejected(
        TransactionFactory, lot=None, account=lot.account, security=lot.security,
        trade_date=lot.acquired, quantity=Decimal("1"), amount=Decimal("1.00"),
        action=Action.SELL, basis_relieved=Decimal("1.00"),
    )  # fmt: skip
    assert TransactionFactory(lot=lot, action=Action.SELL, basis_relieved=Decimal("1.00")).pk


def test_one_tax_profile_per_household_and_year() -> None:
    profile = TaxProfileFactory(tax_year=2026)
    _rejected(TaxProfileFactory, household=profile.household, tax_year=2026)
    assert TaxProfileFactory(household=profile.household, tax_year=2025).pk


@pytest.mark.parametrize(
    "kwargs",
    [
        {"carryforward_short_term": Decimal("-1.00")},
        {"carryforward_long_term": Decimal("-1.00")},
        {"investment_income": Decimal("-1.00")},
        {"tax_year": 1999},
    ],
)
def test_tax_profile_values(kwargs: dict) -> None:
    _rejected(TaxProfileFactory, **kwargs)


def test_one_price_per_security_and_day() -> None:
    price = PriceFactory(date=datetime.date(2026, 1, 5))
    _rejected(PriceFactory, security=price.security, date=datetime.date(2026, 1, 5))
    assert PriceFactory(security=price.security, date=datetime.date(2026, 1, 6)).pk


@pytest.mark.parametrize("close", [Decimal("0"), Decimal("-3.50")])
def test_a_price_is_positive(close: Decimal) -> None:
    _rejected(PriceFactory, close=close)


@pytest.mark.parametrize("account_type", list(AccountType))
def test_account_treatment_is_the_one_taxlogic_gives_its_type(account_type: AccountType) -> None:
    account = AccountFactory(type=account_type.value)
    account.refresh_from_db()
    assert account.treatment == treatment_of(account_type).value


def test_the_database_refuses_a_treatment_that_does_not_match_the_type() -> None:
    account = AccountFactory(type=AccountType.ROTH_IRA.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(treatment="taxable")


def test_account_type_choices_are_taxlogic_codes() -> None:
    assert [value for value, _ in Account._meta.get_field("type").choices] == [
        t.value for t in AccountType
    ]
    assert {h.value for h in How} == set(AcquiredHow.values)


@pytest.mark.parametrize("number", ["123456789", "12-34-5678", "acct 98765"])
def test_a_full_account_number_is_never_stored(number: str) -> None:
    _rejected(AccountFactory, masked_number=number)


def test_a_masked_account_number_is_fine_and_clean_explains_a_full_one() -> None:
    assert AccountFactory(masked_number="••••1234").pk
    with pytest.raises(ValidationError) as exc:
        AccountFactory.build(masked_number="123456").clean()
    assert "masked_number" in exc.value.message_dict


def test_a_household_has_one_taxpayer_and_one_spouse() -> None:
    household = HouseholdFactory()
    PersonFactory(household=household, role=PersonRole.TAXPAYER)
    PersonFactory(household=household, role=PersonRole.SPOUSE)
    _rejected(PersonFactory, household=household, role=PersonRole.TAXPAYER)
    _rejected(PersonFactory, household=household, role=PersonRole.SPOUSE)
    assert PersonFactory(household=household, role=PersonRole.DEPENDENT).pk
    assert PersonFactory(household=household, role=PersonRole.DEPENDENT).pk


def test_a_crm_id_is_unique_within_a_firm() -> None:
    household = HouseholdFactory(external_crm_id="CRM-1")
    _rejected(HouseholdFactory, primary_advisor=household.primary_advisor, external_crm_id="CRM-1")
    assert HouseholdFactory(external_crm_id="CRM-1").pk  # another firm
    assert HouseholdFactory(primary_advisor=household.primary_advisor, external_crm_id="").pk
    assert HouseholdFactory(primary_advisor=household.primary_advisor, external_crm_id="").pk


def test_household_team_and_advisor_must_be_of_its_firm() -> None:
    household = HouseholdFactory()
    household.team = TeamFactory()  # another firm's team
    with pytest.raises(ValidationError) as exc:
        household.full_clean()
    assert "team" in exc.value.message_dict
    other = HouseholdFactory()
    household.team, household.primary_advisor = other.primary_advisor.team, other.primary_advisor
    household.team = None
    with pytest.raises(ValidationError) as exc:
        household.full_clean()
    assert "primary_advisor" in exc.value.message_dict


def test_an_account_owner_must_be_of_the_household() -> None:
    account = AccountFactory()
    account.owner = PersonFactory()
    with pytest.raises(ValidationError) as exc:
        account.full_clean()
    assert "owner" in exc.value.message_dict


def test_lots_and_transactions_protect_what_they_belong_to() -> None:
    transaction_row = TransactionFactory()
    lot = transaction_row.lot
    with pytest.raises(ProtectedError):
        lot.delete()
    with pytest.raises(ProtectedError):
        lot.account.delete()
    with pytest.raises(ProtectedError):
        lot.security.delete()
    with pytest.raises(ProtectedError):
        Household.objects.filter(pk=lot.account.household_id).delete()
    assert TaxLot.objects.filter(pk=lot.pk).exists()


def test_replacements_must_share_the_asset_class_and_track_another_index() -> None:
    voo = SecurityFactory(symbol="VOO", kind=SecurityKind.FUND, tracked_index="S&P 500")
    ivv = SecurityFactory(symbol="IVV", kind=SecurityKind.FUND, tracked_index="S&P 500")
    vti = SecurityFactory(symbol="VTI", kind=SecurityKind.FUND, tracked_index="US total market")
    admiral = SecurityFactory(symbol="VFIAX", kind=SecurityKind.FUND, tracked_index="", same_as=voo)
    bnd = SecurityFactory(
        symbol="BND", kind=SecurityKind.FUND, asset_class=AssetClass.US_BONDS, tracked_index="Agg"
    )
    firm = HouseholdFactory().firm
    Replacement(firm=firm, security=voo, replacement=vti).clean()
    for bad in (ivv, admiral, bnd):
        with pytest.raises(ValidationError) as exc:
            Replacement(firm=firm, security=voo, replacement=bad).clean()
        assert "replacement" in exc.value.message_dict
    _rejected(Replacement.objects.create, firm=firm, security=voo, replacement=voo)


def test_a_security_cannot_be_its_own_share_class() -> None:
    security = SecurityFactory()
    security.same_as = security
    with pytest.raises(IntegrityError), transaction.atomic():
        security.save()

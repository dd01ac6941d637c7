"""factory-boy factories for every model. Related rows are made consistent: a household's team
and advisor belong to its firm, a lot's firm and team are its household's."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from advisors.models import Advisor, Firm, Role, Team
from clients.models import (
    Account,
    AcquiredHow,
    Action,
    AssetClass,
    ExternalRef,
    FilingStatus,
    Household,
    Person,
    PersonRole,
    Price,
    Replacement,
    Security,
    SecurityKind,
    TaxLot,
    TaxProfile,
    Transaction,
)
from taxlogic.rules.accounts import AccountType

PASSWORD = "correct-horse-battery"


class FirmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Firm
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Firm {n}")
    slug = factory.Sequence(lambda n: f"firm-{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    firm = factory.SubFactory(FirmFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class AdvisorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Advisor
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"advisor{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    team = factory.SubFactory(TeamFactory)
    firm = factory.LazyAttribute(lambda o: o.team.firm if o.team else FirmFactory())
    role = Role.ADVISOR
    password = factory.django.Password(PASSWORD)


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    primary_advisor = factory.SubFactory(AdvisorFactory)
    firm = factory.LazyAttribute(lambda o: o.primary_advisor.firm)
    team = factory.LazyAttribute(lambda o: o.primary_advisor.team)
    name = factory.Sequence(lambda n: f"Household {n}")
    external_crm_id = factory.Sequence(lambda n: f"CRM-{n:05d}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    household = factory.SubFactory(HouseholdFactory)
    role = PersonRole.TAXPAYER
    name = factory.Sequence(lambda n: f"Person {n}")
    date_of_birth = datetime.date(1970, 5, 17)


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    household = factory.SubFactory(HouseholdFactory)
    owner = factory.SubFactory(PersonFactory, household=factory.SelfAttribute("..household"))
    custodian = "Schwab"
    masked_number = factory.Sequence(lambda n: f"••••{n % 10000:04d}")
    type = AccountType.TAXABLE_INDIVIDUAL.value


class SecurityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Security

    symbol = factory.Sequence(lambda n: f"SEC{n}")
    name = factory.LazyAttribute(lambda o: f"{o.symbol} Corp.")
    kind = SecurityKind.STOCK
    asset_class = AssetClass.US_EQUITY
    tracked_index = ""


class ReplacementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Replacement

    firm = factory.SubFactory(FirmFactory)
    security = factory.SubFactory(SecurityFactory, kind=SecurityKind.FUND, tracked_index="S&P 500")
    replacement = factory.SubFactory(
        SecurityFactory, kind=SecurityKind.FUND, tracked_index="US total market"
    )
    rank = 1


class TaxLotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxLot

    account = factory.SubFactory(AccountFactory)
    firm = factory.LazyAttribute(lambda o: o.account.household.firm)
    team = factory.LazyAttribute(lambda o: o.account.household.team)
    security = factory.SubFactory(SecurityFactory)
    original_quantity = Decimal("100")
    quantity = factory.LazyAttribute(lambda o: o.original_quantity)
    cost_basis = Decimal("1000.00")
    acquired = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=400))
    how_acquired = AcquiredHow.PURCHASE
    holding_period_start = factory.LazyAttribute(lambda o: o.acquired)


class TransactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transaction

    lot = factory.SubFactory(TaxLotFactory)
    account = factory.LazyAttribute(lambda o: o.lot.account)
    security = factory.LazyAttribute(lambda o: o.lot.security)
    firm = factory.LazyAttribute(lambda o: o.account.household.firm)
    team = factory.LazyAttribute(lambda o: o.account.household.team)
    trade_date = factory.LazyAttribute(lambda o: o.lot.acquired)
    action = Action.BUY
    quantity = factory.LazyAttribute(lambda o: o.lot.original_quantity)
    price = Decimal("10")
    fees = Decimal("0.00")
    amount = factory.LazyAttribute(lambda o: o.lot.cost_basis)


class PriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Price

    security = factory.SubFactory(SecurityFactory)
    date = factory.LazyFunction(timezone.localdate)
    close = Decimal("12.50")


class TaxProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxProfile

    household = factory.SubFactory(HouseholdFactory)
    tax_year = factory.LazyFunction(lambda: timezone.localdate().year)
    filing_status = FilingStatus.SINGLE
    expected_ordinary_income = Decimal("120000.00")


class ExternalRefFactory(factory.django.DjangoModelFactory):
    """``ExternalRefFactory(owner=household_person_or_account, system=..., external_id=...)``."""

    class Meta:
        model = ExternalRef
        exclude = ("owner",)

    owner = factory.SubFactory(HouseholdFactory)
    system = "redtail"
    external_id = factory.Sequence(lambda n: f"{n}")
    kind = factory.LazyAttribute(lambda o: type(o.owner).__name__.lower())
    household = factory.LazyAttribute(lambda o: o.owner if o.kind == "household" else None)
    person = factory.LazyAttribute(lambda o: o.owner if o.kind == "person" else None)
    account = factory.LazyAttribute(lambda o: o.owner if o.kind == "account" else None)
    firm = factory.LazyAttribute(
        lambda o: o.owner.firm if o.kind == "household" else o.owner.household.firm
    )

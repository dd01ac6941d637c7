"""seed_demo: the demo firm, always current, and idempotent."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pghistory.models
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from advisors.models import Advisor, Role
from clients import selectors
from clients.management.commands.seed_demo import DEMO_PASSWORD, Seeder
from clients.models import Account, Household, Replacement, Security, TaxLot, TaxProfile

pytestmark = pytest.mark.django_db


def _snapshot() -> dict[str, object]:
    models = [
        *apps.get_app_config("advisors").get_models(),
        *apps.get_app_config("clients").get_models(),
    ]
    # The audit trail's event tables (advisors/audit.py) record each run: not the data itself.
    counts = {
        m._meta.label: m.objects.count()
        for m in models
        if not issubclass(m, pghistory.models.Event)
    }
    lots = list(
        TaxLot.objects.order_by("external_id").values_list(
            "external_id", "quantity", "cost_basis", "acquired", "firm_id", "team_id"
        )
    )
    passwords = list(Advisor.objects.order_by("username").values_list("username", "password"))
    return {"counts": counts, "lots": lots, "passwords": passwords}


@pytest.fixture
def seeded() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_running_it_twice_changes_nothing(seeded: str) -> None:
    first = _snapshot()
    call_command("seed_demo", stdout=StringIO())
    assert _snapshot() == first
    assert first["counts"]["clients.Household"] == 40


def test_it_prints_the_logins_and_they_work(seeded: str, client: object) -> None:
    roles = dict(Advisor.objects.values_list("username", "role"))
    assert roles == {
        "alice": Role.TEAM_LEAD,
        "ben": Role.ADVISOR,
        "carla": Role.TEAM_LEAD,
        "dev": Role.ADVISOR,
        "fiona": Role.FIRM_ADMIN,
        "cora": Role.COMPLIANCE,
    }
    for username in roles:
        assert username in seeded
        assert client.login(username=username, password=DEMO_PASSWORD)
    assert DEMO_PASSWORD in seeded
    teams = {a.team.name for a in Advisor.objects.filter(team__isnull=False)}
    assert teams == {"North", "South"}


def test_every_household_has_an_advisor_team_people_and_accounts(seeded: str) -> None:
    households = Household.objects.all()
    assert households.count() == 40
    assert not households.filter(people__isnull=True).exists()
    assert not households.filter(accounts__isnull=True).exists()
    for household in households.select_related("primary_advisor"):
        assert household.team_id == household.primary_advisor.team_id
    assert not TaxLot.objects.exclude(team_id=F("account__household__team_id")).exists()
    assert not TaxLot.objects.exclude(firm_id=F("account__household__firm_id")).exists()


def _rows(household: Household) -> list[selectors.LotRow]:
    fiona = Advisor.objects.get(username="fiona")
    holdings = selectors.household_holdings(
        user=fiona, household=household, as_of=timezone.localdate()
    )
    return [row for g in holdings.groups for a in g.accounts for row in a.rows]


def test_some_lots_gain_and_some_lose(seeded: str) -> None:
    rows = [row for h in Household.objects.all() for row in _rows(h)]
    assert all(row.price is not None for row in rows)
    assert sum(row.unrealized < 0 for row in rows) >= 30
    assert sum(row.unrealized > 0 for row in rows) >= 30


def test_the_married_couple_has_joint_iras_and_401ks(seeded: str) -> None:
    household = Household.objects.get(
        people__role="spouse", accounts__type="taxable_joint", name="Garcia household"
    )
    types = sorted(
        (a.owner.role, a.type)
        for a in Account.objects.filter(household=household).select_related("owner")
    )
    assert ("spouse", "401k") in types and ("taxpayer", "401k") in types
    assert ("spouse", "traditional_ira") in types and ("taxpayer", "traditional_ira") in types
    assert ("taxpayer", "taxable_joint") in types


def test_a_client_whose_only_account_is_a_401k_that_is_down(seeded: str) -> None:
    household = Household.objects.get(name="Whitfield household")
    assert list(household.accounts.values_list("type", flat=True)) == ["401k"]
    rows = _rows(household)
    assert rows and all(row.unrealized < 0 for row in rows)


def test_the_wash_sale_trap(seeded: str) -> None:
    household = Household.objects.get(name="Moreau household")
    today = timezone.localdate()
    rows = _rows(household)
    taxable_loss = [
        r for r in rows if r.lot.account.treatment == "taxable" and r.lot.security.symbol == "VOO"
    ]
    assert taxable_loss and taxable_loss[0].unrealized < 0
    ira_buy = [
        r
        for r in rows
        if r.lot.account.type == "traditional_ira" and r.lot.security.symbol == "VOO"
    ]
    assert ira_buy and today - ira_buy[0].lot.acquired <= datetime.timedelta(days=30)


def test_carryforwards_trusts_custodial_gifts_and_sales(seeded: str) -> None:
    year = timezone.localdate().year
    assert TaxProfile.objects.filter(tax_year=year).count() == 40
    assert TaxProfile.objects.filter(tax_year=year, carryforward_long_term__gt=0).count() >= 3
    types = set(Account.objects.values_list("type", flat=True))
    assert {"irrevocable_trust", "revocable_trust", "custodial", "529", "hsa"} <= types
    assert TaxLot.objects.filter(how_acquired="gift", gift_date__isnull=False).exists()
    assert TaxLot.objects.filter(how_acquired="inherited").exists()
    sold = TaxLot.objects.get(external_id="JWP-0006-S1")
    assert (sold.original_quantity, sold.quantity) == (Decimal(100), Decimal(60))
    sale = sold.transactions.get(action="sell")
    assert sale.basis_relieved + sold.cost_basis == sold.transactions.get(action="buy").amount
    assert Security.objects.filter(kind="crypto").count() == 1


def test_same_index_funds_and_the_replacement_list(seeded: str) -> None:
    same = dict(
        Security.objects.filter(tracked_index="S&P 500").values_list("symbol", "same_as__symbol")
    )
    assert set(same) >= {"VOO", "IVV", "SPLG"}
    assert same.get("VFIAX") == "VOO"
    replacements = Replacement.objects.select_related("security", "replacement")
    assert {r.replacement.symbol for r in replacements if r.security.symbol == "VOO"} == {
        "VTI",
        "SCHB",
    }
    for r in replacements:
        assert r.security.asset_class == r.replacement.asset_class
        assert r.security.tracked_index != r.replacement.tracked_index


def test_dates_and_prices_are_relative_to_the_day_it_runs() -> None:
    monday = datetime.date(2026, 3, 2)
    seeder = Seeder(monday)
    assert seeder.day(0) == monday
    assert seeder.day(1) == datetime.date(2026, 2, 27)  # Sunday: the Friday before
    assert seeder.close("VOO", monday) == Decimal("520.00")
    later = Seeder(monday + datetime.timedelta(days=7))
    for symbol in ("VOO", "BND", "BTC"):
        for days_ago in (0, 12, 400):
            day = monday - datetime.timedelta(days=days_ago)
            assert later.close(symbol, day + datetime.timedelta(days=7)) == seeder.close(
                symbol, day
            )

"""The household list (search, htmx, pagination) and what the household, account and lot pages
show; each page issues a bounded number of queries however much it shows."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from advisors.models import Advisor
from clients.models import AcquiredHow, Household
from taxlogic.rules.accounts import AccountType
from tests.conftest import ACCESS, USERS
from tests.factories import (
    AccountFactory,
    HouseholdFactory,
    PersonFactory,
    PriceFactory,
    SecurityFactory,
    TaxLotFactory,
)

LIST = reverse("clients:household_list")


def _names(response: object) -> set[str]:
    return {h.name for h in response.context["page"].object_list}


def test_the_list_shows_only_visible_households(
    users: dict, households: dict, client_for: object
) -> None:
    response = client_for(users["team_lead"]).get(LIST)
    assert response.status_code == 200
    assert _names(response) == {households[k].name for k in ("advisor", "teammate", "team_lead")}
    html = response.content.decode()
    assert households["other_team_advisor"].name not in html
    assert households["outsider"].name not in html


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("abbott family", {"advisor"}),
        ("ABBOTT FAM", {"advisor"}),
        ("taxpayer", {"advisor"}),  # a person's name
        ("Abbott Family Taxpayer", {"advisor"}),
        ("CRM", {"advisor"}),
        ("", {"advisor"}),
        ("nobody", set()),
    ],
)
def test_search_matches_household_person_or_crm_id(
    users: dict, households: dict, client_for: object, query: str, found: set
) -> None:
    response = client_for(users["advisor"]).get(LIST, {"q": query})
    assert _names(response) == {households[k].name for k in found}


def test_search_by_crm_id(users: dict, households: dict, client_for: object) -> None:
    crm_id = households["teammate"].external_crm_id
    response = client_for(users["firm_admin"]).get(LIST, {"q": crm_id})
    assert _names(response) == {households["teammate"].name}


@pytest.mark.parametrize("user_key", USERS)
def test_search_never_reveals_a_household_out_of_scope(
    users: dict, households: dict, client_for: object, user_key: str
) -> None:
    client = client_for(users[user_key])
    for key, household in households.items():
        visible = key in ACCESS[user_key]
        link = reverse("clients:household_detail", args=[household.public_id])
        for query in (household.name, household.external_crm_id, f"{household.name} Taxpayer"):
            page = client.get(LIST, {"q": query})
            assert page.context["page"].paginator.count == (1 if visible else 0), (key, query)
            partial = client.get(LIST, {"q": query}, headers={"HX-Request": "true"})
            assert (link in partial.content.decode()) is visible, (key, query)


def test_htmx_search_returns_the_results_partial_only(
    users: dict, households: dict, client_for: object
) -> None:
    client = client_for(users["advisor"])
    partial = client.get(LIST, {"q": "abbott"}, headers={"HX-Request": "true"})
    html = partial.content.decode()
    assert partial.status_code == 200
    assert html.lstrip().startswith('<div id="household-results">')
    assert "<html" not in html and "<form" not in html
    assert households["advisor"].name in html
    assert "HX-Request" in partial["Vary"]

    page = client.get(LIST, {"q": "abbott"})
    assert "<html" in page.content.decode()
    assert 'id="household-results"' in page.content.decode()
    # The same form works without JavaScript: a GET form with a submit button.
    assert f'method="get" action="{LIST}"' in page.content.decode()
    assert f'hx-get="{LIST}"' in page.content.decode()

    restore = client.get(LIST, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.content.decode()


def test_the_list_is_paginated(advisor: Advisor, client_for: object) -> None:
    for n in range(30):
        HouseholdFactory(primary_advisor=advisor, name=f"Family {n:02d}")
    client = client_for(advisor)
    first = client.get(LIST)
    assert len(first.context["page"].object_list) == 25
    assert "page=2" in first.content.decode()
    second = client.get(LIST, {"page": 2})
    assert _names(second) == {f"Family {n:02d}" for n in range(25, 30)}
    searched = client.get(LIST, {"q": "Family 2", "page": 1})
    assert _names(searched) == {f"Family {n:02d}" for n in range(20, 30)}


def _household_with_lots(advisor: Advisor, lots: int) -> Household:
    """Accounts of all three treatments, ``lots`` lots over them, prices for most securities."""
    household = HouseholdFactory(primary_advisor=advisor)
    owner = PersonFactory(household=household)
    PersonFactory(household=household, role="spouse")
    types = [
        AccountType.TAXABLE_JOINT,
        AccountType.TRADITIONAL_IRA,
        AccountType.ROTH_IRA,
        AccountType.K401,
        AccountType.HSA,
    ]
    accounts = [AccountFactory(household=household, owner=owner, type=t.value) for t in types]
    securities = [SecurityFactory() for _ in range(7)]
    today = timezone.localdate()
    for security in securities[:-1]:  # the last one has no price at all
        PriceFactory(security=security, date=today - datetime.timedelta(days=3), close=Decimal("9"))
        PriceFactory(
            security=security, date=today - datetime.timedelta(days=1), close=Decimal("11")
        )
    for n in range(lots):
        TaxLotFactory(
            account=accounts[n % len(accounts)],
            security=securities[n % len(securities)],
            acquired=today - datetime.timedelta(days=30 + n),
        )
    return household


# Per request: session, user, the user's team and firm (the nav), and the session save (savepoint,
# update, release) = 7; the page: household, people, accounts, lots (prices in subqueries) and
# the tax profile = 5; the accounts list = 1; the engine's inputs for one basis everywhere
# (taxlogic.services.household_inputs, the review's own loader) = 12; the carryforward ledger
# and its form's people = 2; the open do-not-buy windows (their alerts only when one is
# open) = 1; the audit trail's context statements (pghistory's set_config, advisors/audit.py).
# Nothing per account or per lot.
HOUSEHOLD_PAGE_MAX_QUERIES = 31


@pytest.mark.parametrize("lots", [5, 200])
def test_household_page_queries_are_bounded(
    advisor: Advisor, client_for: object, django_assert_max_num_queries: object, lots: int
) -> None:
    household = _household_with_lots(advisor, lots)
    client = client_for(advisor)
    url = reverse("clients:household_detail", args=[household.public_id])
    with django_assert_max_num_queries(HOUSEHOLD_PAGE_MAX_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["holdings"].lot_count == lots


HOUSEHOLD_LIST_MAX_QUERIES = 10  # the 7 per request, then count, page and people


@pytest.mark.parametrize("count", [3, 60])
def test_household_list_queries_are_bounded(
    advisor: Advisor, client_for: object, django_assert_max_num_queries: object, count: int
) -> None:
    for _ in range(count):
        household = HouseholdFactory(primary_advisor=advisor)
        PersonFactory(household=household)
        AccountFactory(household=household, owner=household.people.get())
    client = client_for(advisor)
    with django_assert_max_num_queries(HOUSEHOLD_LIST_MAX_QUERIES):
        response = client.get(LIST)
    assert response.context["page"].paginator.count == count


def test_household_page_groups_accounts_by_treatment_and_values_lots(
    advisor: Advisor, client_for: object
) -> None:
    today = timezone.localdate()
    household = HouseholdFactory(primary_advisor=advisor)
    PersonFactory(household=household, role="dependent", name="Aaron Lovelace")
    PersonFactory(household=household, role="spouse", name="Zed Lovelace")
    owner = PersonFactory(household=household, name="Ada Lovelace")
    taxable = AccountFactory(household=household, owner=owner, type="taxable_individual")
    ira = AccountFactory(household=household, owner=owner, type="traditional_ira")
    roth = AccountFactory(household=household, owner=owner, type="roth_ira")
    voo = SecurityFactory(symbol="VOO")
    PriceFactory(security=voo, date=today - datetime.timedelta(days=10), close=Decimal("400"))
    PriceFactory(security=voo, date=today - datetime.timedelta(days=2), close=Decimal("450.25"))
    PriceFactory(security=voo, date=today + datetime.timedelta(days=1), close=Decimal("999"))
    loss = TaxLotFactory(
        account=taxable,
        security=voo,
        original_quantity=Decimal("10"),
        cost_basis=Decimal("5000.00"),
        wash_sale_adjustment=Decimal("100.00"),
        acquired=today - datetime.timedelta(days=100),
    )
    gain = TaxLotFactory(
        account=ira,
        security=voo,
        original_quantity=Decimal("2.5"),
        cost_basis=Decimal("500.00"),
        acquired=today - datetime.timedelta(days=800),
    )
    inherited = TaxLotFactory(
        account=roth,
        security=voo,
        original_quantity=Decimal("1"),
        cost_basis=Decimal("460.00"),
        acquired=today - datetime.timedelta(days=20),
        how_acquired=AcquiredHow.INHERITED,
    )
    TaxLotFactory(account=taxable, security=voo, original_quantity=Decimal("5"), quantity=0)

    response = client_for(advisor).get(
        reverse("clients:household_detail", args=[household.public_id])
    )
    holdings = response.context["holdings"]
    assert [g.treatment for g in holdings.groups] == ["taxable", "tax_deferred", "tax_exempt"]
    rows = {row.lot: row for g in holdings.groups for a in g.accounts for row in a.rows}
    assert set(rows) == {loss, gain, inherited}  # the closed lot is not listed
    assert rows[loss].price == Decimal("450.25")  # the latest price not after today
    assert rows[loss].market_value == Decimal("4502.50")
    assert rows[loss].unrealized == Decimal("-597.50")  # against basis + wash-sale adjustment
    assert rows[loss].term == "short"
    assert rows[gain].market_value == Decimal("1125.63")  # 2.5 × 450.25 = 1125.625, half up
    assert rows[gain].unrealized == Decimal("625.63")
    assert rows[gain].term == "long"
    assert rows[inherited].term == "long"  # inherited: always long-term
    assert holdings.totals.unrealized == Decimal("-597.50") + Decimal("625.63") + Decimal("-9.75")

    html = response.content.decode()
    assert [p.name for p in response.context["people"]] == [
        "Ada Lovelace",
        "Zed Lovelace",
        "Aaron Lovelace",
    ]  # taxpayer, spouse, dependents
    assert html.index("Taxable") < html.index("Tax-deferred") < html.index("Tax-exempt")
    assert "-$597.50" in html and "$4,502.50" in html  # one money format (issue 15)
    assert reverse("clients:lot_detail", args=[loss.public_id]) in html
    assert reverse("clients:account_detail", args=[taxable.public_id]) in html


def test_a_lot_without_any_price_says_so(advisor: Advisor, client_for: object) -> None:
    lot = TaxLotFactory(account=AccountFactory(household=HouseholdFactory(primary_advisor=advisor)))
    response = client_for(advisor).get(
        reverse("clients:household_detail", args=[lot.account.household.public_id])
    )
    assert "no price" in response.content.decode()
    assert response.context["holdings"].totals.unpriced == 1


def test_account_page_shows_its_lots_transactions_and_why_it_can_or_cannot_harvest(
    users: dict, households: dict, client_for: object
) -> None:
    household = households["advisor"]
    account = household.accounts.get()
    lot = account.lots.get()
    response = client_for(users["advisor"]).get(
        reverse("clients:account_detail", args=[account.public_id])
    )
    html = response.content.decode()
    assert [row.lot for row in response.context["holdings"].rows] == [lot]
    assert "a sale here is a taxable event" in html
    assert "IRC §1001" in html
    assert "Buy" in html  # the transaction that opened the lot
    assert reverse("clients:transaction_create", args=[account.public_id]) in html

    plan = AccountFactory(household=household, owner=account.owner, type="401k")
    html = (
        client_for(users["advisor"])
        .get(reverse("clients:account_detail", args=[plan.public_id]))
        .content.decode()
    )
    assert "never deductible" in html


def test_lot_page_shows_value_and_history(
    users: dict, households: dict, client_for: object
) -> None:
    lot = households["advisor"].accounts.get().lots.get()
    response = client_for(users["compliance"]).get(
        reverse("clients:lot_detail", args=[lot.public_id])
    )
    row = response.context["row"]
    assert row.market_value == Decimal("1250.00")  # 100 × 12.50
    assert row.unrealized == Decimal("250.00")
    assert row.term == "long"
    assert [t.action for t in response.context["transactions"]] == ["buy"]
    assert "read only" in response.content.decode()

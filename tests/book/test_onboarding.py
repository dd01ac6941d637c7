"""Onboarding on the site: each page writes what it says through the API's services, and the
lot's history shows a correction as a reversal plus a re-entry."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from advisors.models import Advisor
from clients.models import (
    Account,
    AcquiredHow,
    Action,
    ExternalRef,
    Household,
    Person,
    TaxLot,
    TaxProfile,
    Transaction,
)
from taxlogic.services import household_inputs
from tests.book.conftest import Book, counts
from tests.factories import TaxLotFactory, TaxProfileFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _ago(days: int) -> str:
    return (TODAY() - datetime.timedelta(days=days)).isoformat()


def test_the_household_list_offers_add_household_and_it_creates_one(
    advisor: Advisor, teammate: Advisor, client_for: object
) -> None:
    client = client_for(advisor)
    listing = client.get(reverse("clients:household_list"))
    assert reverse("clients:household_create") in listing.content.decode()
    page = client.get(reverse("clients:household_create"))
    # An advisor may assign only themselves: the teammate is not offered.
    offered = [a.pk for a in page.context["form"].fields["primary_advisor"].queryset]
    assert offered == [advisor.pk]
    response = client.post(
        reverse("clients:household_create"),
        {
            "name": "  Hopper  ",
            "primary_advisor": advisor.public_id,
            "external_crm_id": "CRM-77",
            "external_refs": "redtail:123\nWealthbox:9",
            "notes": "Met at the conference.",
        },
    )
    household = Household.objects.get(name="Hopper")
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:household_detail", args=[household.public_id])
    assert (household.primary_advisor, household.team, household.firm) == (
        advisor,
        advisor.team,
        advisor.firm,
    )
    assert household.notes == "Met at the conference."
    assert sorted(household.external_refs.values_list("system", "external_id")) == [
        ("redtail", "123"),
        ("wealthbox", "9"),
    ]


def test_a_team_lead_assigns_a_teammate_and_a_firm_admin_another_team(
    team_lead: Advisor, teammate: Advisor, firm_admin: Advisor, south: object, client_for: object
) -> None:
    lead = client_for(team_lead)
    response = lead.post(
        reverse("clients:household_create"),
        {"name": "Teammate's", "primary_advisor": teammate.public_id},
    )
    assert response.status_code == 302
    assert Household.objects.get(name="Teammate's").primary_advisor == teammate
    admin = client_for(firm_admin)
    response = admin.post(
        reverse("clients:household_create"),
        {"name": "South's", "primary_advisor": teammate.public_id, "team": south.public_id},
    )
    assert response.status_code == 302
    assert Household.objects.get(name="South's").team == south


def test_compliance_cannot_create_households(compliance: Advisor, client_for: object) -> None:
    client = client_for(compliance)
    assert client.get(reverse("clients:household_create")).status_code == 403
    assert "Add household" not in client.get(reverse("clients:household_list")).content.decode()


def test_editing_a_household_changes_name_notes_and_refs(book: Book) -> None:
    url = reverse("clients:household_edit", args=[book.household.public_id])
    assert book.client.get(url).status_code == 200
    response = book.client.post(
        url,
        {
            "name": "Lovelace-King",
            "primary_advisor": book.household.primary_advisor.public_id,
            "external_crm_id": "",
            "external_refs": "redtail:55",
            "notes": "Prefers email.",
        },
    )
    assert response.status_code == 302
    book.household.refresh_from_db()
    assert (book.household.name, book.household.notes) == ("Lovelace-King", "Prefers email.")
    assert list(ExternalRef.objects.values_list("system", "external_id")) == [("redtail", "55")]


def test_people_taxpayer_spouse_dependents(book: Book) -> None:
    url = reverse("clients:person_create", args=[book.household.public_id])
    assert book.client.get(url).context["form"]["role"].value() == "spouse"
    book.client.post(
        url,
        {"role": "spouse", "name": "William King", "date_of_birth": "1955-01-01", "blind": "on"},
    )
    book.client.post(url, {"role": "dependent", "name": "Byron", "date_of_birth": "2012-12-10"})
    spouse = Person.objects.get(name="William King")
    assert (spouse.role, spouse.blind, spouse.date_of_birth) == (
        "spouse",
        True,
        datetime.date(1955, 1, 1),
    )
    assert Person.objects.get(name="Byron").role == "dependent"
    edit = reverse("clients:person_edit", args=[spouse.public_id])
    response = book.client.post(
        edit,
        {"role": "spouse", "name": "William King", "date_of_birth": "1955-01-01",
         "date_of_death": _ago(10)},
    )  # fmt: skip
    assert response.status_code == 302
    spouse.refresh_from_db()
    assert spouse.date_of_death == TODAY() - datetime.timedelta(days=10)
    assert spouse.blind is False  # an unticked box is a change too
    page = book.client.get(reverse("clients:household_detail", args=[book.household.public_id]))
    assert "died" in page.content.decode()


@pytest.mark.parametrize(
    "account_type",
    [
        "taxable_individual", "taxable_joint", "revocable_trust", "irrevocable_trust",
        "custodial", "traditional_ira", "rollover_ira", "inherited_ira", "sep_ira",
        "simple_ira", "roth_ira", "401k", "roth_401k", "403b", "457b", "solo_401k", "hsa", "529",
    ],
)  # fmt: skip
def test_every_account_type_can_be_added_with_its_number_masked(
    book: Book, account_type: str
) -> None:
    url = reverse("clients:account_create", args=[book.household.public_id])
    response = book.client.post(
        url,
        {
            "type": account_type,
            "owner": book.taxpayer.public_id,
            "custodian": "Fidelity",
            "account_number": "Z12-3456 789",
            "opened": "2015-03-01",
            "relief_method": "average",
            "average_basis": "on",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    account = Account.objects.get(custodian="Fidelity")
    assert (account.type, account.account_number, account.masked_number) == (
        account_type,
        "Z123456789",
        "••••6789",
    )
    assert (account.relief_method, account.average_basis) == ("average", True)
    # The full number is shown nowhere on the pages.
    for name, key in (("account_detail", account.public_id), ("account_edit", account.public_id)):
        html = book.client.get(reverse(f"clients:{name}", args=[key])).content.decode()
        assert "Z123456789" not in html and "3456789" not in html
        assert "••••6789" in html


def test_an_account_held_away_and_closed_is_kept(book: Book) -> None:
    url = reverse("clients:account_edit", args=[book.account.public_id])
    response = book.client.post(
        url,
        {
            "type": "401k",
            "owner": book.taxpayer.public_id,
            "custodian": "Schwab",
            "account_number": "",
            "opened": "2010-01-01",
            "closed": _ago(3),
            "relief_method": "fifo",
            "held_away": "on",
        },
    )
    assert response.status_code == 302
    book.account.refresh_from_db()
    assert (book.account.type, book.account.held_away, book.account.treatment) == (
        "401k",
        True,
        "tax_deferred",
    )
    assert book.account.masked_number.startswith("••••")  # kept: no number typed


def test_the_tax_profile_page_creates_then_changes_the_year(book: Book) -> None:
    year = TODAY().year
    url = reverse("clients:tax_profile", args=[book.household.public_id, year])
    assert book.client.get(url).status_code == 200
    data = {
        "filing_status": "married_joint",
        "wages": "180000",
        "other_ordinary_income": "5000",
        "taxable_interest": "1200",
        "ordinary_dividends": "5000",
        "qualified_dividends": "4000",
        "capital_gain_distributions": "800",
        "other_short_term_gains": "-1500",
        "other_long_term_gains": "2500",
        "deductions": "itemized",
        "state_local_taxes": "18000",
        "other_itemized_deductions": "9000",
        "carryforward_short_term": "1000",
        "carryforward_long_term": "0",
        "gains_budget": "10000",
        "joint_taxpayer_share": "0.5",
        "state_marginal_rate": "0.05",
        "notes": "From the 2025 return.",
    }
    assert book.client.post(url, data).status_code == 302
    profile = TaxProfile.objects.get(household=book.household, tax_year=year)
    assert profile.wages == Decimal("180000.00")
    assert profile.other_short_term_gains == Decimal("-1500.00")
    assert profile.state_local_taxes == Decimal("18000.00")
    assert profile.state_marginal_rate == Decimal("0.0500")
    # The older totals follow from the lines: wages + other; interest + non-qualified dividends.
    assert profile.expected_ordinary_income == Decimal("185000.00")
    assert profile.investment_income == Decimal("2200.00")
    # Standard deduction chosen: the itemized amounts are not kept.
    assert book.client.post(url, {**data, "deductions": "standard"}).status_code == 302
    profile.refresh_from_db()
    assert (profile.state_local_taxes, profile.other_itemized_deductions) == (None, None)
    assert TaxProfile.objects.filter(household=book.household).count() == 1


def _txn(book: Book, **data: object) -> object:
    url = reverse("clients:transaction_create", args=[book.account.public_id])
    base = {"security": book.security.public_id, "trade_date": _ago(1)}
    return book.client.post(url, {**base, **data})


def test_a_buy_a_sale_from_two_chosen_lots_and_a_reinvestment(book: Book) -> None:
    assert _txn(book, action="buy", quantity="10", price="90", fees="1", trade_date=_ago(60))
    first = TaxLot.objects.get()
    assert (first.quantity, first.cost_basis) == (Decimal("10"), Decimal("901.00"))
    _txn(book, action="reinvest", quantity="2", price="95", trade_date=_ago(40))
    second = TaxLot.objects.exclude(pk=first.pk).get()
    response = _txn(
        book,
        action="sell",
        price="100",
        fees="3",
        **{f"sell_{first.public_id}": "4", f"sell_{second.public_id}": "2"},
    )
    assert response.status_code == 302, response.context["form"].errors
    sales = list(Transaction.objects.filter(action=Action.SELL).order_by("lot__acquired"))
    assert [(s.lot_id, s.quantity, s.fees, s.amount) for s in sales] == [
        (first.pk, Decimal("4"), Decimal("2.00"), Decimal("398.00")),
        (second.pk, Decimal("2"), Decimal("1.00"), Decimal("199.00")),
    ]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.quantity, first.cost_basis) == (Decimal("6"), Decimal("540.60"))
    assert second.quantity == 0


def test_transfer_in_gift_and_inheritance_open_lots_of_their_kind(book: Book) -> None:
    _txn(book, action="transfer_in", quantity="5", price="100", acquired="2019-02-01",
         cost_basis="300")  # fmt: skip
    _txn(book, action="gift", quantity="3", price="100", acquired="2018-01-01",
         cost_basis="150", gift_date="2024-06-01", gift_value="240")  # fmt: skip
    _txn(book, action="inherited", quantity="7", price="100", acquired="2024-03-03",
         cost_basis="630")  # fmt: skip
    lots = {lot.how_acquired: lot for lot in TaxLot.objects.all()}
    assert set(lots) == {"purchase", "gift", "inherited"}
    assert (lots["purchase"].acquired, lots["purchase"].cost_basis) == (
        datetime.date(2019, 2, 1),
        Decimal("300.00"),
    )
    gift = lots[AcquiredHow.GIFT]
    assert (gift.gift_date, gift.gift_value, gift.cost_basis) == (
        datetime.date(2024, 6, 1),
        Decimal("240.00"),
        Decimal("150.00"),
    )
    assert lots[AcquiredHow.INHERITED].cost_basis == Decimal("630.00")
    assert set(Transaction.objects.values_list("action", flat=True)) == {"transfer_in"}


def test_a_split_and_a_distribution(book: Book) -> None:
    lot = TaxLotFactory(account=book.account, security=book.security, original_quantity=10)
    assert _txn(book, action="split", ratio="4").status_code == 302
    lot.refresh_from_db()
    assert (lot.quantity, lot.original_quantity, lot.cost_basis) == (
        Decimal("40"),
        Decimal("40"),
        Decimal("1000.00"),
    )
    assert _txn(book, action="distribution", amount="80.00").status_code == 302
    distribution = Transaction.objects.get(action=Action.DISTRIBUTION)
    assert (distribution.amount, distribution.quantity, distribution.lot) == (
        Decimal("80.00"),
        0,
        None,
    )
    assert Transaction.objects.get(action=Action.SPLIT).ratio == Decimal("4")


def test_a_correction_is_a_reversal_and_a_re_entry_both_in_the_lot_history(book: Book) -> None:
    lot = TaxLotFactory(account=book.account, security=book.security, original_quantity=10)
    _txn(book, action="sell", lot=lot.public_id, quantity="4", price="100")
    wrong = Transaction.objects.get(action=Action.SELL)
    url = reverse("clients:transaction_reverse", args=[wrong.public_id])
    assert book.client.get(url).status_code == 200
    response = book.client.post(url, {"trade_date": _ago(0)})
    assert response.status_code == 302
    assert "action=sell" in response["Location"]  # the re-entry starts from the original
    lot.refresh_from_db()
    assert (lot.quantity, lot.cost_basis) == (Decimal("10"), Decimal("1000.00"))
    _txn(book, action="sell", lot=lot.public_id, quantity="3", price="100")
    lot.refresh_from_db()
    assert lot.quantity == Decimal("7")
    wrong.refresh_from_db()
    assert (wrong.quantity, wrong.action) == (Decimal("4"), "sell")  # never edited
    history = book.client.get(reverse("clients:lot_detail", args=[lot.public_id]))
    html = history.content.decode()
    assert "reverses the sell of" in html and "reversed " in html
    assert [t.action for t in history.context["transactions"]].count("sell") == 2
    # A reversal is not reversed twice, nor is the original.
    again = book.client.post(url, {"trade_date": _ago(0)})
    assert "already reversed" in again.content.decode()


def test_a_reversed_purchase_closes_its_lot_and_leaves_the_review_consistent(book: Book) -> None:
    _txn(book, action="buy", quantity="10", price="90")
    buy = Transaction.objects.get()
    before = counts()
    book.client.post(
        reverse("clients:transaction_reverse", args=[buy.public_id]), {"trade_date": _ago(0)}
    )
    lot = TaxLot.objects.get()
    assert lot.quantity == 0
    assert counts()["Transaction"] == before["Transaction"] + 1
    TaxProfileFactory(household=book.household)
    case = household_inputs(book.household, tax_year=TODAY().year, as_of=TODAY()).snapshot
    assert case["case"]["lots"] == [] and case["case"]["transactions"] == []


def test_without_javascript_each_kind_has_a_link_to_its_fields(book: Book) -> None:
    url = reverse("clients:transaction_create", args=[book.account.public_id])
    page = book.client.get(url).content.decode()
    assert 'href="?action=split"' in page and 'name="ratio"' not in page
    split = book.client.get(url + "?action=split").content.decode()
    assert 'name="ratio"' in split and 'name="acquired"' not in split
    # htmx asks for the fields alone when the kind changes.
    partial = book.client.get(url + "?action=gift", headers={"HX-Request": "true"})
    html = partial.content.decode()
    assert html.lstrip().startswith('<div id="txn-fields">')
    assert 'name="gift_value"' in html and "<html" not in html


def test_a_review_without_a_tax_profile_links_to_the_page_that_adds_it(
    book: Book, django_capture_on_commit_callbacks: object
) -> None:
    """The failure names the page and links to it: on the review's page, and in the plan
    page's status region (the htmx answer to "Run review now")."""
    run = reverse("taxlogic:review_create", args=[book.household.public_id])
    link = reverse("clients:tax_profile", args=[book.household.public_id, TODAY().year])
    with django_capture_on_commit_callbacks(execute=True):
        review_url = book.client.post(run)["Location"]
    page = book.client.get(review_url).content.decode()
    swapped = book.client.get(review_url, headers={"HX-Request": "true"}).content.decode()
    plan = reverse("taxlogic:plan", args=[book.household.public_id])
    plan_page = book.client.get(plan).content.decode()
    for html in (page, swapped, plan_page):
        assert "add its filing status and income on the household&#x27;s tax-profile page" in html
        assert f'href="{link}"' in html
    assert book.client.get(link).status_code == 200

"""Every bad value on every book form: the page answers 200 with the error on the field it
names (the label in the message, a summary linking to the field), and nothing is written."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from clients.models import TaxLot
from tests.book.conftest import Book, counts
from tests.factories import AccountFactory, PersonFactory, TaxLotFactory, TaxProfileFactory

pytestmark = pytest.mark.django_db


def _day(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def _household(book: Book) -> tuple[str, dict[str, Any]]:
    advisor = book.household.primary_advisor
    return reverse("clients:household_create"), {
        "name": "New",
        "primary_advisor": advisor.public_id,
    }


def _household_edit(book: Book) -> tuple[str, dict[str, Any]]:
    return reverse("clients:household_edit", args=[book.household.public_id]), {
        "name": "Renamed",
        "primary_advisor": book.household.primary_advisor.public_id,
        "external_crm_id": book.household.external_crm_id,
    }


def _person(book: Book) -> tuple[str, dict[str, Any]]:
    return reverse("clients:person_create", args=[book.household.public_id]), {
        "role": "spouse",
        "name": "Grace",
        "date_of_birth": "1960-01-01",
    }


def _account(book: Book) -> tuple[str, dict[str, Any]]:
    return reverse("clients:account_create", args=[book.household.public_id]), {
        "type": "traditional_ira",
        "owner": book.taxpayer.public_id,
        "custodian": "Vanguard",
        "account_number": "88776655",
        "relief_method": "fifo",
    }


def _profile(book: Book) -> tuple[str, dict[str, Any]]:
    year = timezone.localdate().year
    return reverse("clients:tax_profile", args=[book.household.public_id, year]), {
        "filing_status": "single",
        "deductions": "standard",
        "carryforward_short_term": "0",
        "carryforward_long_term": "0",
        "joint_taxpayer_share": "0.5",
    }


def _transaction(book: Book) -> tuple[str, dict[str, Any]]:
    return reverse("clients:transaction_create", args=[book.account.public_id]), {
        "action": "buy",
        "security": book.security.public_id,
        "trade_date": _day(-1),
        "quantity": "10",
        "price": "100",
    }


def _lot(book: Book) -> tuple[str, dict[str, Any]]:
    return reverse("clients:lot_create", args=[book.account.public_id]), {
        "security": book.security.public_id,
        "quantity": "10",
        "cost_basis": "900",
        "acquired": "2020-01-02",
        "how_acquired": "purchase",
    }


Form = Callable[[Book], tuple[str, dict[str, Any]]]

# (form, changes to its good data, the field named, words of the message)
CASES: list[tuple[Form, dict[str, Any], str, str]] = [
    (_household, {"name": "  "}, "name", "required"),
    (_household, {"primary_advisor": ""}, "primary_advisor", "required"),
    (_household, {"primary_advisor": "not-an-id"}, "primary_advisor", "not a valid"),
    (_household, {"external_refs": "no colon here"}, "external_refs", "system:id"),
    (_household, {"external_crm_id": "x" * 65}, "external_crm_id", "at most 64"),
    (_household_edit, {"name": ""}, "name", "required"),
    (_household_edit, {"external_refs": "Bad System!:1"}, "external_refs", "system:id"),
    (_person, {"name": ""}, "name", "required"),
    (_person, {"role": "cousin"}, "role", "valid choice"),
    (_person, {"role": "taxpayer"}, "role", "already has a taxpayer"),
    (_person, {"date_of_birth": _day(5)}, "date_of_birth", "future"),
    (_person, {"date_of_birth": "1960-13-01"}, "date_of_birth", "valid date"),
    (_person, {"date_of_death": "1950-01-01"}, "date_of_death", "before the date of birth"),
    (_person, {"date_of_death": _day(3)}, "date_of_death", "future"),
    (_account, {"type": "brokerage"}, "type", "valid choice"),
    (_account, {"owner": ""}, "owner", "required"),
    (_account, {"custodian": ""}, "custodian", "required"),
    (_account, {"account_number": ""}, "account_number", "account number"),
    (_account, {"account_number": "12#45!"}, "account_number", "letters and digits"),
    (_account, {"opened": _day(4)}, "opened", "future"),
    (_account, {"opened": "2020-01-01", "closed": "2019-01-01"}, "closed", "before it opened"),
    (_account, {"relief_method": "lifo"}, "relief_method", "valid choice"),
    (_account, {"average_basis": "on"}, "average_basis", "average-cost"),
    (_profile, {"filing_status": ""}, "filing_status", "required"),
    (_profile, {"wages": "-5"}, "wages", "negative"),
    (_profile, {"wages": "lots"}, "wages", "number"),
    (_profile, {"taxable_interest": "-1"}, "taxable_interest", "negative"),
    (_profile, {"ordinary_dividends": "100", "qualified_dividends": "200"},
     "qualified_dividends", "cannot be more"),
    (_profile, {"state_marginal_rate": "5"}, "state_marginal_rate", "between 0 and 0.2"),
    (_profile, {"joint_taxpayer_share": "1.5"}, "joint_taxpayer_share", "between 0 and 1"),
    (_profile, {"carryforward_short_term": "-100"}, "carryforward_short_term", "negative"),
    (_profile, {"carryforward_long_term": ""}, "carryforward_long_term", "required"),
    (_profile, {"deductions": "itemized", "state_local_taxes": "-3"}, "state_local_taxes",
     "negative"),
    (_profile, {"gains_budget": "-1"}, "gains_budget", "negative"),
    (_transaction, {"action": "gift_card"}, "action", "valid choice"),
    (_transaction, {"quantity": "0"}, "quantity", "greater than zero"),
    (_transaction, {"quantity": ""}, "quantity", "number of shares"),
    (_transaction, {"price": "-1"}, "price", "negative"),
    (_transaction, {"fees": "-1"}, "fees", "negative"),
    (_transaction, {"trade_date": _day(2)}, "trade_date", "future"),
    (_transaction, {"security": ""}, "security", "Choose the security"),
    (_transaction, {"action": "sell"}, "lot", "Choose the lot"),
    (_transaction, {"action": "transfer_in"}, "acquired", "first acquired"),
    (_transaction, {"action": "transfer_in", "acquired": "2020-01-01"}, "cost_basis", "basis"),
    (_transaction, {"action": "inherited", "acquired": "2020-01-01"}, "cost_basis",
     "date of death"),
    (_transaction, {"action": "gift", "acquired": "2020-01-01", "cost_basis": "5"},
     "gift_date", "date it was given"),
    (_transaction, {"action": "gift", "acquired": "2020-01-01", "cost_basis": "5",
                    "gift_date": "2021-01-01"}, "gift_value", "market value"),
    (_transaction, {"action": "split"}, "ratio", "ratio"),
    (_transaction, {"action": "split", "ratio": "1"}, "ratio", "not 1"),
    (_transaction, {"action": "distribution"}, "amount", "greater than zero"),
    (_lot, {"quantity": "-1"}, "quantity", "negative"),
    (_lot, {"cost_basis": ""}, "cost_basis", "required"),
    (_lot, {"acquired": _day(9)}, "acquired", "future"),
    (_lot, {"how_acquired": "gift"}, "gift_date", "date it was given"),
    (_lot, {"gift_value": "10"}, "how_acquired", "Only a gift"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("form", "changes", "field", "words"),
    CASES,
    ids=[f"{f.__name__[1:]}-{field}-{n}" for n, (f, _, field, _) in enumerate(CASES)],
)
def test_a_bad_value_names_its_field_and_writes_nothing(
    book: Book, form: Form, changes: dict[str, Any], field: str, words: str
) -> None:
    url, good = form(book)
    before = counts()
    response = book.client.post(url, {**good, **changes})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert words.lower() in " ".join(errors[field]).lower(), errors[field]
    html = response.content.decode()
    label = response.context["form"][field].label
    assert f'href="#{response.context["form"][field].id_for_label}"' in html
    assert f"{escape(label)}:" in html
    assert counts() == before


def test_the_good_data_of_every_form_is_accepted(book: Book) -> None:
    """The cases above fail only for their bad value."""
    for form in (_household, _household_edit, _person, _account, _profile, _transaction, _lot):
        url, good = form(book)
        response = book.client.post(url, good)
        assert response.status_code == 302, (form.__name__, response.context["form"].errors)


def test_a_sale_of_more_shares_than_a_chosen_lot_holds_names_that_lot(book: Book) -> None:
    url, good = _transaction(book)
    one = TaxLotFactory(account=book.account, security=book.security, original_quantity=10)
    two = TaxLotFactory(account=book.account, security=book.security, original_quantity=5)
    before = counts()
    response = book.client.post(
        url,
        {**good, "action": "sell", f"sell_{one.public_id}": "10", f"sell_{two.public_id}": "6"},
    )
    errors = response.context["form"].errors
    assert list(errors) == [f"sell_{two.public_id}"]
    assert "holds 5 shares" in errors[f"sell_{two.public_id}"][0]
    # The first lot's sale was not kept either.
    assert counts() == before
    assert TaxLot.objects.get(pk=one.pk).quantity == 10


def test_another_household_s_person_cannot_own_an_account(book: Book, teammate: object) -> None:
    stranger = PersonFactory(household__primary_advisor=teammate)
    url, good = _account(book)
    response = book.client.post(url, {**good, "owner": stranger.public_id})
    assert "owner" in response.context["form"].errors


def test_an_account_number_already_in_the_household_is_refused(book: Book) -> None:
    AccountFactory(household=book.household, owner=book.taxpayer, custodian="Vanguard",
                   masked_number="••••6655")  # fmt: skip
    url, good = _account(book)
    before = counts()
    response = book.client.post(url, good)
    assert "ending 6655" in response.context["form"].errors["account_number"][0]
    assert counts() == before


def test_a_profile_of_another_year_is_its_own(book: Book) -> None:
    TaxProfileFactory(household=book.household, tax_year=2025)
    url = reverse("clients:tax_profile", args=[book.household.public_id, 2025])
    assert book.client.get(url).context["form"]["filing_status"].value() == "single"

"""Bounded queries on the book's pages: the same number for a household of 3 lots and of 120
(the engine's inputs are loaded in a fixed number of queries, taxlogic.services)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.book.conftest import Book
from tests.factories import (
    AccountFactory,
    PersonFactory,
    SecurityFactory,
    TaxLotFactory,
    TaxProfileFactory,
    TransactionFactory,
)

pytestmark = pytest.mark.django_db

# Per request 7 (session, user, team, firm, the session save); the engine's inputs 12; the
# page's own reads: see each bound; the open do-not-buy windows and the audit trail's context
# (advisors/audit.py): 2.
LOT_PAGE = 7 + 12 + 5 + 2  # lot, price, transactions, their reversals, the term's household
ACCOUNT_PAGE = 7 + 12 + 5 + 2
FORM_PAGE = 7 + 8  # the object, its household, the choices (advisors, teams, people, lots)


def _grow(book: Book, lots: int) -> None:
    TaxProfileFactory(household=book.household)
    spouse = PersonFactory(household=book.household, role="spouse")
    accounts = [
        book.account,
        AccountFactory(household=book.household, owner=spouse, type="taxable_joint"),
        AccountFactory(household=book.household, owner=spouse, type="roth_ira"),
    ]
    securities = [book.security, *(SecurityFactory() for _ in range(3))]
    today = timezone.localdate()
    for n in range(lots):
        lot = TaxLotFactory(
            account=accounts[n % 3],
            security=securities[n % 4],
            acquired=today - datetime.timedelta(days=20 + n),
        )
        TransactionFactory(lot=lot, trade_date=lot.acquired)


@pytest.mark.parametrize("lots", [3, 120])
def test_lot_and_account_pages_are_bounded(
    book: Book, django_assert_max_num_queries: object, lots: int
) -> None:
    _grow(book, lots)
    lot = book.account.lots.first()
    with django_assert_max_num_queries(LOT_PAGE):
        response = book.client.get(reverse("clients:lot_detail", args=[lot.public_id]))
    assert response.status_code == 200
    assert response.context["lot"].engine is not None
    with django_assert_max_num_queries(ACCOUNT_PAGE):
        response = book.client.get(reverse("clients:account_detail", args=[book.account.public_id]))
    assert len(response.context["holdings"].rows) == book.account.lots.count()


@pytest.mark.parametrize("lots", [3, 120])
def test_the_book_forms_are_bounded(
    book: Book, django_assert_max_num_queries: object, lots: int
) -> None:
    _grow(book, lots)
    household, account = book.household.public_id, book.account.public_id
    year = timezone.localdate().year
    lot = book.account.lots.first()
    transaction = lot.transactions.first()
    for url in (
        reverse("clients:household_create"),
        reverse("clients:household_edit", args=[household]),
        reverse("clients:person_create", args=[household]),
        reverse("clients:person_edit", args=[book.taxpayer.public_id]),
        reverse("clients:account_create", args=[household]),
        reverse("clients:account_edit", args=[account]),
        reverse("clients:tax_profile", args=[household, year]),
        reverse("clients:transaction_create", args=[account]) + "?action=sell",
        reverse("clients:lot_create", args=[account]),
        reverse("clients:transaction_reverse", args=[transaction.public_id]),
    ):
        with django_assert_max_num_queries(FORM_PAGE):
            assert book.client.get(url).status_code == 200, url


def test_a_sale_from_many_lots_is_one_request_of_bounded_work(
    book: Book, django_assert_max_num_queries: object
) -> None:
    """Each chosen lot costs its own lock, checks and two writes: a fixed number per lot."""
    lots = [
        TaxLotFactory(account=book.account, security=book.security, original_quantity=10)
        for _ in range(5)
    ]
    data = {
        "action": "sell",
        "security": book.security.public_id,
        "trade_date": timezone.localdate().isoformat(),
        "price": "100",
        **{f"sell_{lot.public_id}": "1" for lot in lots},
    }
    url = reverse("clients:transaction_create", args=[book.account.public_id])
    with django_assert_max_num_queries(12 + 8 * len(lots)):
        response = book.client.post(url, data)
    assert response.status_code == 302
    assert sum(lot.transactions.count() for lot in lots) == 5

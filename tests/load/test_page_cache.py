"""The household list's cache (clients/page_cache.py): a second request is served from it, and a
decision, an import and a review each change what the cached page shows, exactly as the page
computed afresh shows it."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from advisors.models import Role
from clients import page_cache
from clients import services as clients_services
from clients.models import Account, Household, Security, TaxLot
from taxlogic import services
from taxlogic.models import ActionPlan, Decision, Recommendation, RecommendationStatus
from taxlogic.planned import planned_realization_add
from tests.load.conftest import Book, _api_client

TOKEN = re.compile(r"[A-Za-z0-9]{64}")  # the CSRF token differs on every render


def _page(client: Client, path: str = "/") -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return TOKEN.sub("csrf", response.content.decode()), len(queries)


def _afresh(client: Client, settings: Any, path: str = "/") -> str:
    """The page with the cache off: what it must show."""
    settings.PAGE_CACHE = False
    try:
        return _page(client, path)[0]
    finally:
        settings.PAGE_CACHE = True


@pytest.fixture
def book(make_book: Callable[..., Book], settings: Any) -> Book:
    settings.PAGE_CACHE = True
    cache.clear()  # a test database made afresh reuses firm ids: no entry of an earlier run
    return make_book(4, lots=30)


def test_the_second_request_is_served_from_the_cache(book: Book, settings: Any) -> None:
    client = book.signed_in(book.advisor)
    first, first_queries = _page(client)
    again, again_queries = _page(client)
    assert again == first == _afresh(client, settings)
    assert again_queries <= first_queries - 3  # no book aggregate, no rows, no people
    # Each user has their own entry (their own scope): the firm admin's is not the advisor's.
    admin = book.signed_in(book.admin)
    _, admin_queries = _page(admin)
    assert admin_queries >= first_queries - 1  # computed, not the advisor's entry


def test_a_decision_changes_the_cached_list(
    book: Book, settings: Any, django_capture_on_commit_callbacks: Callable
) -> None:
    client = book.signed_in(book.advisor)
    before, _ = _page(client)
    plan = ActionPlan.objects.filter(firm=book.firm, is_current=True).exclude(recommendations=None)[
        0
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for r in Recommendation.objects.filter(plan=plan, status=RecommendationStatus.OPEN):
            services.recommendation_decide(
                recommendation=r, user=book.advisor, decision=Decision.DISMISS, reason="No."
            )
    plan.refresh_from_db()
    after, _ = _page(client)
    assert after != before
    assert after == _afresh(client, settings)
    assert plan.get_status_display() in after


def test_an_import_changes_the_cached_list(
    book: Book, settings: Any, django_capture_on_commit_callbacks: Callable
) -> None:
    client = book.signed_in(book.advisor)
    before, _ = _page(client)
    api = _api_client(book.firm, book.admin, scopes=["read", "write"])
    # A CRM's import of a household: it is on the list at once.
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.put(
            "/api/v1/households/by-ref/redtail/77/",
            {"name": "Aardvark Family", "primary_advisor": str(book.advisor.public_id)},
            content_type="application/json",
        )
    assert answer.status_code == 201, answer.content
    after, _ = _page(client)
    assert "Aardvark Family" in after and "Aardvark Family" not in before
    assert after == _afresh(client, settings)
    # An import of lots (a bulk write, no signals) moves the firm's data version too.
    version = page_cache.version(book.firm.pk)
    account = Account.objects.filter(household=book.households[0]).first()
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post(
            "/api/v1/lots/import/",
            {"lots": [_lot(account, "L-1"), _lot(account, "L-2")]},
            content_type="application/json",
        )
    assert answer.status_code == 201, answer.content
    assert page_cache.version(book.firm.pk) > version


def _lot(account: Account, external_id: str) -> dict[str, str]:
    symbol = Security.objects.filter(symbol__startswith="YS").order_by("symbol")[0].symbol
    return {
        "account": str(account.public_id),
        "security": symbol,
        "external_id": external_id,
        "quantity": "100",
        "cost_basis": "990000.00",  # far above its price: a large loss to harvest
        "acquired": "2020-01-02",
    }


def test_a_review_changes_the_cached_list(
    book: Book, settings: Any, django_capture_on_commit_callbacks: Callable
) -> None:
    client = book.signed_in(book.advisor)
    household: Household = book.households[0]
    account = Account.objects.filter(household=household, type="taxable_individual").first()
    api = _api_client(book.firm, book.admin, scopes=["read", "write"])
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post(
            "/api/v1/lots/import/",
            {"lots": [_lot(account, "BIG-1")]},
            content_type="application/json",
        )
    assert answer.status_code == 201, answer.content
    before, _ = _page(client)
    old = ActionPlan.objects.get(household=household, is_current=True)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/plans/households/{household.public_id}/reviews/")
    assert answer.status_code in (200, 302)
    new = ActionPlan.objects.get(household=household, is_current=True)
    assert new.pk != old.pk and new.harvest_loss > old.harvest_loss + Decimal("100000")
    after, _ = _page(client)
    assert after != before
    assert after == _afresh(client, settings)


def test_without_a_shared_cache_nothing_is_cached(book: Book, settings: Any) -> None:
    del settings.PAGE_CACHE
    settings.REDIS_URL = ""
    client = book.signed_in(book.advisor)
    _page(client)  # the session's first save after the sign-in (sessions.refresh)
    _, first = _page(client)
    _, again = _page(client)
    assert again == first
    assert book.advisor.role == Role.ADVISOR


def test_keys_are_safe_and_bounded_whatever_the_query_string(book: Book) -> None:
    # Django warns of (and memcached refuses) keys with spaces or control characters or
    # longer than 250 characters; a query string can hold anything.
    odd = "q=" + " \x01\n" * 200 + "é"
    key, _ = page_cache.get(book.advisor, "households", odd, 2026)
    other, _ = page_cache.get(book.admin, "households", odd, 2026)
    assert key is not None and other is not None and key != other
    assert len(key) < 100 and re.fullmatch(r"[\w:.-]+", key), key
    assert page_cache.get(book.advisor, "households", odd, 2025)[0] != key


# --- the household's engine basis and the plan page (shared / per-user entries) ---------------


def test_the_household_page_keeps_the_engines_basis_until_a_trade_changes_it(
    book: Book, settings: Any, django_capture_on_commit_callbacks: Callable
) -> None:
    household: Household = book.households[0]
    path = f"/households/{household.public_id}/"
    client = book.signed_in(book.advisor)
    first, first_queries = _page(client, path)
    again, again_queries = _page(client, path)
    assert again == first == _afresh(client, settings, path)
    assert again_queries <= first_queries - 8  # no inputs built (people … securities)
    # The firm admin reads the same entry (the basis is not scoped: the page checked access).
    admin_first, admin_queries = _page(book.signed_in(book.admin), path)
    assert admin_queries <= first_queries - 8

    # A sale of half a lot: the page shows the lot's new quantity and basis at once.
    lot = (
        TaxLot.objects.filter(account__household=household, quantity__gt=1)
        .select_related("account", "security")
        .order_by("pk")[0]
    )
    half = (lot.quantity / 2).quantize(Decimal("0.0001"))
    with django_capture_on_commit_callbacks(execute=True):
        clients_services.transaction_record(
            account=lot.account,
            security=lot.security,
            action="sell",
            trade_date=timezone.localdate(),
            quantity=half,
            price=Decimal("10"),
            lot=lot,
            actor=book.advisor,
        )
    after, _ = _page(client, path)
    assert after != again
    assert after == _afresh(client, settings, path)
    lot.refresh_from_db()
    assert f"{lot.adjusted_basis:,.2f}" in after


def test_a_securitys_change_moves_every_firms_version(
    book: Book, django_capture_on_commit_callbacks: Callable
) -> None:
    version = page_cache.version(book.firm.pk)
    security = Security.objects.filter(symbol__startswith="YS").order_by("symbol")[0]
    with django_capture_on_commit_callbacks(execute=True):
        security.tracked_index = "Another index"
        security.save()
    assert page_cache.version(book.firm.pk) > version


def test_the_plan_page_is_kept_per_user_until_a_decision_or_a_planned_gain(
    book: Book, settings: Any, django_capture_on_commit_callbacks: Callable
) -> None:
    plan = (
        ActionPlan.objects.filter(firm=book.firm, is_current=True)
        .exclude(recommendations=None)
        .select_related("household")[0]
    )
    household = plan.household
    path = f"/plans/households/{household.public_id}/"
    client = book.signed_in(book.advisor)
    first, first_queries = _page(client, path)
    again, again_queries = _page(client, path)
    assert again == first == _afresh(client, settings, path)
    assert again_queries <= first_queries - 8
    body, _ = _page(client, path + "?part=plan-body")
    # Another user computes their own (scoped) entry.
    _, admin_queries = _page(book.signed_in(book.admin), path)
    assert admin_queries >= first_queries - 1

    with django_capture_on_commit_callbacks(execute=True):
        for r in Recommendation.objects.filter(plan=plan, status=RecommendationStatus.OPEN):
            services.recommendation_decide(
                recommendation=r, user=book.advisor, decision=Decision.DISMISS, reason="No."
            )
    decided, _ = _page(client, path)
    assert decided != again and "Dismissed" in decided
    assert decided == _afresh(client, settings, path)
    assert _page(client, path + "?part=plan-body")[0] != body

    with django_capture_on_commit_callbacks(execute=True):
        planned_realization_add(
            user=book.advisor,
            household=household,
            date=timezone.localdate(),
            amount=Decimal("12345.67"),
            term="long",
            note="A sale of the business",
        )
    planned, _ = _page(client, path)
    assert "A sale of the business" in planned and "A sale of the business" not in decided
    assert planned == _afresh(client, settings, path)


def test_a_decision_in_one_household_keeps_the_others_entries(
    book: Book, settings: Any, django_capture_on_commit_callbacks: Callable
) -> None:
    plans = list(
        ActionPlan.objects.filter(firm=book.firm, is_current=True)
        .exclude(recommendations=None)
        .select_related("household")
        .order_by("pk")[:2]
    )
    decided, other = plans[0], plans[1]
    client = book.signed_in(book.advisor)
    paths = {
        p.pk: (
            f"/plans/households/{p.household.public_id}/",
            f"/households/{p.household.public_id}/",
        )
        for p in plans
    }
    before = {}
    for pk, (plan_path, household_path) in paths.items():
        before[pk] = (_page(client, plan_path), _page(client, household_path))
        before[pk] = (_page(client, plan_path), _page(client, household_path))  # from the cache
    list_version = page_cache.version(book.firm.pk)
    with django_capture_on_commit_callbacks(execute=True):
        for r in Recommendation.objects.filter(plan=decided, status=RecommendationStatus.OPEN):
            services.recommendation_decide(
                recommendation=r, user=book.advisor, decision=Decision.DISMISS, reason="No."
            )
    assert page_cache.version(book.firm.pk) > list_version  # the household list follows
    # The other household: both pages still from the cache, unchanged.
    plan_path, household_path = paths[other.pk]
    assert _page(client, plan_path) == before[other.pk][0]
    assert _page(client, household_path) == before[other.pk][1]
    # The decided one: its plan page computed again, as the page computed afresh shows it.
    plan_path, _ = paths[decided.pk]
    (cached_page, cached_queries) = before[decided.pk][0]
    after, after_queries = _page(client, plan_path)
    assert after != cached_page and "Dismissed" in after
    assert after_queries > cached_queries
    assert after == _afresh(client, settings, plan_path)


def test_a_bulk_write_drops_every_household_entry_of_the_firm(book: Book) -> None:
    household = book.households[0]
    key, _ = page_cache.shared(household, "basis", "x")
    page_cache.put(key, "kept")
    assert page_cache.shared(household, "basis", "x")[1] == "kept"
    page_cache._bump_now([book.firm.pk])  # what bump() runs after the commit
    assert page_cache.shared(household, "basis", "x")[1] is None

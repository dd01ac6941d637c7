"""Fixtures for the load tests: whole firms seeded in bulk (tests/bulk_households.py, COPY) and
reviewed by a year-end run (in-process: tests run tasks eagerly), at two sizes, with an API
client of the firm and a firm admin."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from django.test import Client
from django.utils import timezone

from advisors import services
from advisors.models import Advisor, Firm, Role
from clients.models import Household
from taxlogic import year_end
from taxlogic.models import ActionPlan
from tests.bulk_households import seed_firm


@dataclass
class Book:
    """A firm of ``size`` households, all of one advisor, each reviewed once."""

    size: int
    firm: Firm
    advisor: Advisor
    admin: Advisor
    households: list[Household]
    api: Client
    run_id: uuid.UUID

    def signed_in(self, user: Advisor) -> Client:
        client = Client()
        client.force_login(user)
        return client


def _api_client(firm: Firm, admin: Advisor, scopes: tuple | list = ("read",)) -> Client:
    client, secret = services.api_client_create(
        firm=firm, name=f"load {uuid.uuid4().hex[:8]}", scopes=list(scopes), created_by=admin
    )
    basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
    answer = Client().post(
        "/o/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}"
    )
    assert answer.status_code == 200, answer.content
    http = Client(HTTP_AUTHORIZATION=f"Bearer {answer.json()['access_token']}")
    return http


@pytest.fixture
def make_book(db: None, django_capture_on_commit_callbacks: Callable) -> Callable[..., Book]:
    """``make_book(size, lots=4)``: seed, review (a year-end run of the firm), sign in."""

    def make(size: int, lots: int = 4) -> Book:
        year = timezone.localdate().year
        as_of = min(timezone.localdate(), date(year, 12, 1))
        seeded = seed_firm(
            slug=f"load{size}-{uuid.uuid4().hex[:6]}",
            households=size,
            tax_year=year,
            as_of=as_of,
            lots_per_household=lots,
            transactions_per_household=2,
            teams=1,
            advisors_per_team=1,
        )
        admin = Advisor(
            username=f"admin-{seeded.firm.slug}", firm=seeded.firm, role=Role.FIRM_ADMIN
        )
        admin.set_unusable_password()
        admin.save()
        with django_capture_on_commit_callbacks(execute=True):
            run, _ = year_end.year_end_request(user=admin, as_of=as_of)
        run.refresh_from_db()
        assert run.is_finished and run.done == size, (run.status, run.done, run.failed)
        assert ActionPlan.objects.filter(firm=seeded.firm, is_current=True).count() == size
        households = list(Household.objects.filter(firm=seeded.firm).order_by("pk"))
        return Book(
            size=size,
            firm=seeded.firm,
            advisor=seeded.advisors[0],
            admin=admin,
            households=households,
            api=_api_client(seeded.firm, admin),
            run_id=run.public_id,
        )

    return make

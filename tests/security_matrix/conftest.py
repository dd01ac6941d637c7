"""The cross-tenant matrix's world: in firm A, the ``advisor``'s household with everything it
owns (person, account, lot, transaction, tax profile, a reviewed plan with a recommendation,
CRM references), and the firm's year-end run, webhook endpoint (inactive: nothing is ever
sent), API client and advisors; the principals that look at it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from advisors import services, webhooks
from advisors.models import Role, WebhookEndpoint
from clients.imports.models import BatchStatus, ImportBatch, ImportKind
from clients.models import Price, Replacement
from taxlogic.models import PlannedRealization, Term, YearEndRun
from tests.api.conftest import Integration, make_integration  # noqa: F401
from tests.factories import AdvisorFactory, ExternalRefFactory, SecurityFactory
from tests.plans.conftest import add_loss, review


@dataclass
class World:
    objects: dict[str, Any]
    refs: dict[str, str]  # kind -> its CRM reference (system "redtail")


@pytest.fixture
def world(households: dict, firm_a: Any, firm_admin: Any, team_lead: Any) -> World:
    household = households["advisor"]
    person = household.people.get()
    account = household.accounts.get()
    lot = account.lots.get()
    add_loss(household)
    plan = review(household)
    recommendation = plan.recommendations.order_by("position").first()
    endpoint = webhooks.webhook_endpoint_create(
        firm=firm_a, url="https://hooks.example.com/matrix", events=[], created_by=firm_admin
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    api_client, _ = services.api_client_create(
        firm=firm_a, name="Matrix target", scopes=["read"], created_by=firm_admin
    )
    run = YearEndRun.objects.create(
        firm=firm_a,
        team=team_lead.team,
        tax_year=timezone.localdate().year,
        as_of=timezone.localdate(),
        trigger="manual",
        started_by=firm_admin,
    )
    batch = ImportBatch.objects.create(
        firm=firm_a,
        created_by=firm_admin,
        created_by_label=str(firm_admin),
        file_name="lots.csv",
        sha256="0" * 64,
        format="generic_lots",
        kind=ImportKind.LOTS,
        status=BatchStatus.PREVIEW,
    )
    entry = Replacement.objects.create(
        firm=firm_a, security=lot.security, replacement=SecurityFactory(), reason="matrix"
    )
    planned = PlannedRealization.objects.create(
        firm=firm_a,
        household=household,
        tax_year=timezone.localdate().year,
        date=timezone.localdate(),
        amount=Decimal("1000.00"),
        term=Term.LONG,
    )
    refs = {}
    for kind, owner in (("household", household), ("person", person), ("account", account)):
        refs[kind] = f"M-{kind}"
        ExternalRefFactory(owner=owner, system="redtail", external_id=refs[kind])
    objects = {
        "household": household,
        "person": person,
        "account": account,
        "lot": lot,
        "transaction": lot.transactions.first(),
        "tax_profile": household.tax_profiles.first(),
        "review": plan.reviews.first() if hasattr(plan, "reviews") else None,
        "plan": plan,
        "recommendation": recommendation,
        "year_end_run": run,
        "webhook_endpoint": endpoint,
        "api_client": api_client,
        "advisor": household.primary_advisor,
        "security": lot.security,
        "price": Price.objects.filter(security=lot.security).first(),
        "import_batch": batch,
        "replacement": entry,
        "planned": planned,
    }
    if objects["review"] is None:
        from taxlogic.models import Review

        objects["review"] = Review.objects.filter(household=household).first()
    missing = [k for k, v in objects.items() if v is None]
    assert not missing, missing
    return World(objects=objects, refs=refs)


@dataclass
class Principals:
    """Who looks, by role in the matrix: test clients (session or bearer token)."""

    foreign: dict[str, dict[str, Any]]  # scope -> {label: client}
    own: dict[str, dict[str, Any]]


@pytest.fixture
def principals(
    world: World,
    advisor: Any,
    other_team_advisor: Any,
    firm_admin: Any,
    firm_a: Any,
    firm_b: Any,
    make_integration: Any,  # noqa: F811
) -> Principals:
    def session(user: Any) -> Client:
        client = APIClient()
        client.force_login(user)
        return client

    firm_b_admin = AdvisorFactory(firm=firm_b, team=None, role=Role.FIRM_ADMIN)
    api_b = make_integration(firm_b).http
    api_a = make_integration(firm_a).http
    return Principals(
        foreign={
            "household": {"other-team advisor": session(other_team_advisor), "firm B API": api_b},
            "firm": {"firm B admin": session(firm_b_admin), "firm B API": api_b},
        },
        own={
            "household": {"advisor": session(advisor), "firm A API": api_a},
            "firm": {"firm A admin": session(firm_admin), "firm A API": api_a},
        },
    )

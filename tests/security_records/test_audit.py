"""The audit trail (advisors/audit.py, django-pghistory): every change of the tracked tables
is recorded by triggers with who (user or API client), when (UTC) and before/after, for ORM
saves, bulk updates and COPY alike; event tables cannot be altered or deleted, neither through
the site's role (no UPDATE/DELETE grant) nor by anyone while the append-only trigger stands."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pghistory
import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError, ProgrammingError

from advisors import audit
from clients.models import CarryforwardEntry, TaxLot, TaxProfile
from taxlogic import bulk, services
from taxlogic.models import PlannedRealization, Recommendation, RecommendationDecision
from tests.plans.conftest import add_loss, review


def _events(model: type, obj: object) -> list:
    event_model = audit.events_of(model)
    return list(event_model.objects.filter(pgh_obj_id=obj.pk).order_by("pgh_id"))


def test_every_audited_model_has_an_append_only_event_table() -> None:
    tracked = {m.pgh_tracked_model._meta.label for m in audit.event_models()}
    assert tracked >= {
        "clients.Household",
        "clients.Person",
        "clients.Account",
        "clients.TaxLot",
        "clients.Transaction",
        "clients.TaxProfile",
        "clients.Replacement",
        "clients.CarryforwardEntry",
        "taxlogic.HarvestSettings",
        "taxlogic.PlannedRealization",
        "taxlogic.ActionPlan",
        "taxlogic.Recommendation",
        "taxlogic.RecommendationDecision",
    }


def test_an_admin_change_of_a_basis_keeps_before_and_after_and_who(
    client_for: object, superuser: object, households: dict
) -> None:
    lot = households["advisor"].accounts.get().lots.get()
    before = lot.cost_basis
    with pghistory.context(user=superuser.pk, url="/admin/"):
        TaxLot.objects.filter(pk=lot.pk).update(cost_basis=Decimal("1.00"))
    events = _events(TaxLot, lot)
    labels = [e.pgh_label for e in events]
    assert labels[-2:] == ["before_update", "update"]
    old, new = events[-2], events[-1]
    assert old.cost_basis == before and new.cost_basis == Decimal("1.00")
    assert new.pgh_context["user"] == superuser.pk
    assert new.pgh_created_at.utcoffset() == datetime.timedelta(0)


def test_an_api_patch_of_income_names_the_api_client(
    make_integration: object, households: dict, firm_a: object
) -> None:
    integration = make_integration(firm_a)
    profile = TaxProfile.objects.get(household=households["advisor"])
    response = integration.http.patch(
        f"/api/v1/tax-profiles/{profile.public_id}/",
        {"expected_ordinary_income": "123456.00"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    update = [e for e in _events(TaxProfile, profile) if e.pgh_label == "update"][-1]
    before = [e for e in _events(TaxProfile, profile) if e.pgh_label == "before_update"][-1]
    assert update.expected_ordinary_income == Decimal("123456.00")
    assert before.expected_ordinary_income == profile.expected_ordinary_income
    metadata = update.pgh_context
    assert metadata["api_client"] == integration.client.pk and metadata["user"] is None
    assert metadata["url"] == f"/api/v1/tax-profiles/{profile.public_id}/"
    assert metadata["method"] == "PATCH"


def test_a_page_change_names_the_advisor(
    client_for: object, advisor: object, households: dict
) -> None:
    household = households["advisor"]
    response = client_for(advisor).post(
        f"/households/{household.public_id}/edit/",
        {"name": "Renamed household", "external_crm_id": ""},
    )
    assert response.status_code in (200, 302)
    event = audit.events_of(type(household)).objects.filter(pgh_obj_id=household.pk).last()
    assert event.name == "Renamed household"
    assert event.pgh_context["user"] == advisor.pk


def test_a_bulk_update_records_every_row(households: dict) -> None:
    lots = list(TaxLot.objects.filter(account__household__in=list(households.values())))
    assert len(lots) >= 3
    with pghistory.context(job="bulk test"):
        changed = TaxLot.objects.filter(pk__in=[lot.pk for lot in lots]).update(
            wash_sale_adjustment=Decimal("7.00")
        )
    assert changed == len(lots)
    updates = audit.events_of(TaxLot).objects.filter(
        pgh_obj_id__in=[lot.pk for lot in lots], pgh_label="update"
    )
    assert updates.count() == len(lots)
    assert {e.wash_sale_adjustment for e in updates} == {Decimal("7.00")}
    assert {e.pgh_context["job"] for e in updates} == {"bulk test"}


def test_a_copy_insert_is_recorded_with_its_context(households: dict, advisor: object) -> None:
    """taxlogic/bulk.py writes with COPY (bypassing Django's execute wrappers): the triggers
    see those rows too, and the context set on the raw cursor names who."""
    lot = households["advisor"].accounts.get().lots.get()
    copies = []
    for n in range(3):
        row = TaxLot.objects.get(pk=lot.pk)
        row.pk, row.public_id, row.external_id = None, uuid.uuid4(), f"COPY-{n}"
        copies.append(row)
    with transaction.atomic(), pghistory.context(user=advisor.pk):
        bulk.insert(TaxLot, copies)
    events = audit.events_of(TaxLot).objects.filter(
        pgh_obj_id__in=[r.pk for r in copies], pgh_label="insert"
    )
    assert events.count() == 3
    assert {e.pgh_context["user"] for e in events} == {advisor.pk}
    assert {e.external_id for e in events} == {"COPY-0", "COPY-1", "COPY-2"}


def test_a_carryforward_entered_on_the_page_names_the_advisor(
    client_for: object, advisor: object, households: dict
) -> None:
    """The ledger (clients.CarryforwardEntry) is in the trail like the other book tables: the
    entry as inserted with who, and a correction made outside the ledger's service, before
    and after."""
    household = households["advisor"]
    person = household.people.get(role="taxpayer")
    response = client_for(advisor).post(
        f"/households/{household.public_id}/carryforward/",
        {
            "person": str(person.public_id),
            "tax_year": "2026",
            "character": "long_term",
            "amount": "2,750.00",
            "reason": "as on the 2025 return, Schedule D line 14",
        },
    )
    assert response.status_code == 302, response.content
    entry = CarryforwardEntry.objects.get(household=household)
    [inserted] = _events(CarryforwardEntry, entry)
    assert inserted.pgh_label == "insert" and inserted.amount == Decimal("2750.00")
    assert inserted.pgh_context["user"] == advisor.pk
    assert inserted.pgh_context["url"] == f"/households/{household.public_id}/carryforward/"
    with pghistory.context(job="fix"):
        CarryforwardEntry.objects.filter(pk=entry.pk).update(amount=Decimal("2700.00"))
    old, new = _events(CarryforwardEntry, entry)[-2:]
    assert (old.pgh_label, old.amount) == ("before_update", Decimal("2750.00"))
    assert (new.pgh_label, new.amount) == ("update", Decimal("2700.00"))
    assert new.pgh_context["job"] == "fix"


def test_a_planned_gain_added_and_removed_is_kept_in_the_trail(
    client_for: object, advisor: object, households: dict
) -> None:
    household = households["advisor"]
    client = client_for(advisor)
    march = datetime.date(datetime.date.today().year, 3, 15)
    added = client.post(
        f"/plans/households/{household.public_id}/planned/",
        {"date": march.isoformat(), "amount": "40000", "term": "long", "note": "the boat"},
    )
    assert added.status_code == 302
    planned = PlannedRealization.objects.get(household=household)
    removed = client.post(
        f"/plans/households/{household.public_id}/planned/{planned.public_id}/remove/"
    )
    assert removed.status_code == 302
    assert not PlannedRealization.objects.filter(pk=planned.pk).exists()
    events = _events(PlannedRealization, planned)
    assert [(e.pgh_label, e.amount, e.note) for e in events] == [
        ("insert", Decimal("40000.00"), "the boat"),
        ("delete", Decimal("40000.00"), "the boat"),
    ]
    assert {e.pgh_context["user"] for e in events} == {advisor.pk}
    assert events[1].pgh_context["method"] == "POST"


def test_recommendation_changes_are_recorded(households: dict, advisor: object) -> None:
    """Plans and recommendations (written by COPY, immutable, never deleted) are their own
    insert record; every change of their status is copied before and after."""
    household = households["advisor"]
    add_loss(household)
    plan = review(household)
    harvest = plan.recommendations.get()
    with pghistory.context(user=advisor.pk):
        services.recommendation_decide(recommendation=harvest, user=advisor, decision="approve")
    events = audit.events_of(Recommendation).objects.filter(pgh_obj_id=harvest.pk)
    assert [(e.pgh_label, e.status) for e in events.order_by("pgh_id")] == [
        ("before_update", "open"),
        ("update", "approved"),
    ]


def test_a_decision_through_the_api_records_the_api_client(
    make_integration: object, households: dict, firm_a: object
) -> None:
    household = households["advisor"]
    add_loss(household)
    plan = review(household)
    harvest = plan.recommendations.get()
    integration = make_integration(firm_a)
    response = integration.http.post(
        f"/api/v1/recommendations/{harvest.public_id}/approve/", {}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["decided_by_client"] == str(integration.client.public_id)
    harvest.refresh_from_db()
    assert harvest.decided_by is None and harvest.decided_by_client == integration.client
    decision = RecommendationDecision.objects.filter(recommendation=harvest).latest("decided_at")
    assert decision.decided_by_client == integration.client


# --- Nobody rewrites the trail ---------------------------------------------------------------


def test_event_rows_cannot_be_updated_or_deleted_even_by_the_owner(households: dict) -> None:
    lot = households["advisor"].accounts.get().lots.get()
    TaxLot.objects.filter(pk=lot.pk).update(cost_basis=Decimal("2.00"))
    event = _events(TaxLot, lot)[-1]
    table = audit.events_of(TaxLot)._meta.db_table
    for sql in (
        f'UPDATE "{table}" SET cost_basis = 23648.40 WHERE pgh_id = %s',
        f'DELETE FROM "{table}" WHERE pgh_id = %s',
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pgh_id])
    assert audit.events_of(TaxLot).objects.get(pgh_id=event.pgh_id).cost_basis == Decimal("2.00")


def test_the_sites_role_cannot_alter_or_delete_audit_rows(households: dict) -> None:
    """As in production (README.md, "Database roles for the audit trail"): the site's role may
    INSERT and SELECT the event tables, never UPDATE or DELETE them. The role is made here, used
    with SET ROLE inside the test's transaction (rolled back with it)."""
    lot = households["advisor"].accounts.get().lots.get()
    TaxLot.objects.filter(pk=lot.pk).update(cost_basis=Decimal("3.00"))
    event = _events(TaxLot, lot)[-1]
    table = audit.events_of(TaxLot)._meta.db_table
    role = f"hd_site_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
        cursor.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        cursor.execute(f'GRANT SELECT, INSERT ON "{table}" TO "{role}"')
        cursor.execute(f'SET ROLE "{role}"')
        try:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            assert cursor.fetchone()[0] >= 1
            for sql in (
                f'UPDATE "{table}" SET cost_basis = 1 WHERE pgh_id = %s',
                f'DELETE FROM "{table}" WHERE pgh_id = %s',
                f'TRUNCATE "{table}"',
                f'ALTER TABLE "{table}" DISABLE TRIGGER ALL',
            ):
                cursor.execute("SAVEPOINT attempt")
                with pytest.raises(ProgrammingError, match="permission denied|must be owner"):
                    cursor.execute(sql, [event.pgh_id] if "%s" in sql else None)
                cursor.execute("ROLLBACK TO SAVEPOINT attempt")
        finally:
            cursor.execute("RESET ROLE")
    assert audit.events_of(TaxLot).objects.get(pgh_id=event.pgh_id).cost_basis == Decimal("3.00")

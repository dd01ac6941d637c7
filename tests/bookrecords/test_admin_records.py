"""Records that hold money are never added, changed or deleted through the admin: not by a
firm admin, not even by the platform's operator (a superuser). Corrections are new records."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib import admin
from django.db.models import Model
from django.forms.models import model_to_dict
from django.urls import reverse

from advisors.models import Advisor
from clients.models import (
    CarryforwardEntry,
    Replacement,
    ReplacementListVersion,
    TaxLot,
    TaxProfile,
    Transaction,
)
from taxlogic.models import ActionPlan, Recommendation, RecommendationDecision, Review

pytestmark = pytest.mark.django_db

RECORDS: list[type[Model]] = [
    TaxLot,
    Transaction,
    TaxProfile,
    CarryforwardEntry,
    Review,
    ActionPlan,
    Recommendation,
    RecommendationDecision,
    Replacement,
    ReplacementListVersion,
]


def _url(model: type[Model], view: str, *args: object) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def _row(model: type[Model], firm_id: int) -> Model:
    if model is ReplacementListVersion:
        return ReplacementListVersion.objects.create(
            firm_id=firm_id, number=1, entries=[], change="First list"
        )
    found = model.objects.order_by("pk").first()
    assert found is not None, f"no {model.__name__} row to try"
    return found


def _data(obj: Model) -> dict[str, object]:
    """The row's own values as form data, with every money field doubled."""
    data = {}
    for name, value in model_to_dict(obj).items():
        if value is None or isinstance(value, list | dict):
            continue
        data[name] = value
    for name in ("quantity", "cost_basis", "amount", "tax_saved", "carryforward_short_term"):
        if name in data:
            data[name] = data[name] * 2
    return data


def test_every_record_model_is_registered_read_only() -> None:
    for model in RECORDS:
        assert model in admin.site._registry, model


@pytest.mark.parametrize("who", ["superuser", "firm_admin"])
@pytest.mark.parametrize("model", RECORDS, ids=lambda m: m.__name__)
def test_the_admin_refuses_to_change_or_delete(
    who: str,
    model: type[Model],
    reviewed: ActionPlan,
    request: pytest.FixtureRequest,
    client_for: Callable[[Advisor], object],
) -> None:
    user = request.getfixturevalue(who)
    client = client_for(user)
    obj = _row(model, reviewed.firm_id)
    before = model_to_dict(obj)
    count = model.objects.count()

    page = client.get(_url(model, "change", obj.pk))
    assert page.status_code == 200  # shown, read-only
    assert b'name="_save"' not in page.content
    assert client.post(_url(model, "change", obj.pk), _data(obj)).status_code == 403
    assert client.get(_url(model, "delete", obj.pk)).status_code == 403
    assert client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert client.get(_url(model, "add")).status_code == 403
    assert client.post(_url(model, "add"), _data(obj)).status_code == 403
    changelist = client.get(_url(model, "changelist"))
    assert changelist.status_code == 200
    assert b"delete_selected" not in changelist.content
    client.post(
        _url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )

    obj.refresh_from_db()
    assert model_to_dict(obj) == before
    assert model.objects.count() == count


def test_compliance_reads_the_records_too(
    reviewed: ActionPlan, compliance: Advisor, client_for: Callable[[Advisor], object]
) -> None:
    client = client_for(compliance)
    for model in RECORDS:
        obj = _row(model, reviewed.firm_id)
        assert client.get(_url(model, "change", obj.pk)).status_code == 200, model
        assert client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403

"""taxlogic/bulk.py: rows inserted by COPY are the rows bulk_create inserts, keys included."""

from __future__ import annotations

import copy
import datetime
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from clients.models import Household
from taxlogic import bulk
from taxlogic.models import Recommendation, RecommendationStatus
from tests.plans.conftest import add_loss, review

pytestmark = pytest.mark.django_db


def test_copy_inserts_what_bulk_create_inserts(households: dict[str, Household]) -> None:
    household = households["advisor"]
    add_loss(household)
    plan = review(household)
    [model] = plan.recommendations.all()
    model.quantity = Decimal("12.3456789")  # rounded to the column's scale, either way
    model.decided_at = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=datetime.UTC)
    model.details = {"notes": [{"code": "x", "text": '« a "quote", a \\ »', "rule": "§"}]}

    def made(first: int) -> list[Recommendation]:
        out = []
        for n in range(3):
            r = copy.copy(model)
            r.pk, r.public_id, r.position = None, uuid.uuid4(), first + n
            r._state = copy.copy(model._state)
            r._state.adding = True
            out.append(r)
        return out

    by_bulk, by_copy = made(100), made(200)
    Recommendation.objects.bulk_create(by_bulk)
    bulk.insert(Recommendation, by_copy)
    assert all(r.pk and not r._state.adding for r in by_copy)
    assert len({r.pk for r in by_bulk + by_copy}) == 6

    def stored(rows: list[Recommendation]) -> list[dict[str, object]]:
        out = []
        for r in Recommendation.objects.filter(pk__in=[r.pk for r in rows]).order_by("position"):
            row = model_to_dict(r)
            row.pop("id"), row.pop("position")
            row["details"] = r.details
            out.append(row)
        return out

    assert stored(by_copy) == stored(by_bulk)
    assert stored(by_copy)[0]["quantity"] == Decimal("12.345679")
    assert [r.public_id for r in by_copy] == list(
        Recommendation.objects.filter(pk__in=[r.pk for r in by_copy])
        .order_by("position")
        .values_list("public_id", flat=True)
    )
    # The next row made the ordinary way takes the next key: the sequence was used, not skipped.
    after = made(300)[:1]
    after[0].save()
    assert after[0].pk > max(r.pk for r in by_copy)


def test_nothing_to_insert_is_nothing_done() -> None:
    bulk.insert(Recommendation, [])
    assert not Recommendation.objects.exists()


def test_values_read_as_they_are_are_the_values_the_fields_prepare(
    households: dict[str, Household],
) -> None:
    """The values COPY takes without asking their field are exactly what the field would give;
    a value of any other shape (a number as text, an enum member, NaN) goes through its field."""
    from django.db import connection

    from taxlogic.bulk import _reader
    from taxlogic.models import ActionPlan, Review

    household = households["advisor"]
    add_loss(household)
    plan = review(household)
    [recommendation] = plan.recommendations.all()
    samples = [recommendation, plan, Review.objects.filter(plan=plan).first()]
    odd = copy.copy(recommendation)
    odd.quantity, odd.kind, odd.position = "1.50", recommendation.kind, True
    odd.status = RecommendationStatus.APPROVED  # an enum member: CharField gives it back
    odd.decided_at = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=ZoneInfo("America/Chicago"))
    odd.lot, odd.price = None, None
    samples.append(odd)
    for obj in samples:
        for field in type(obj)._meta.concrete_fields:
            if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
                continue  # the moment of the insert: checked below
            expected = field.get_db_prep_save(field.pre_save(obj, True), connection)
            got = _reader(field, connection)(obj)
            # psycopg's Jsonb wrapper compares by identity: compare what it wraps.
            got, expected = getattr(got, "obj", got), getattr(expected, "obj", expected)
            assert got == expected, (type(obj).__name__, field.name)
    assert isinstance(_reader(Recommendation._meta.get_field("quantity"), connection)(odd), Decimal)
    nan = copy.copy(recommendation)
    nan.quantity = Decimal("NaN")
    with pytest.raises(Exception, match="decimal"):
        _reader(Recommendation._meta.get_field("quantity"), connection)(nan)
    naive = copy.copy(recommendation)
    naive.decided_at = datetime.datetime(2026, 11, 2, 9, 30)
    with pytest.warns(RuntimeWarning, match="naive datetime"):  # made aware by its field
        assert _reader(Recommendation._meta.get_field("decided_at"), connection)(naive).tzinfo
    before = timezone.now()
    fresh = _reader(ActionPlan._meta.get_field("created"), connection)(copy.copy(plan))
    assert fresh >= before > plan.created  # auto_now_add: set by its field, not read
    stamped = _reader(ActionPlan._meta.get_field("updated"), connection)(copy.copy(plan))
    assert stamped >= before > plan.updated  # auto_now: the same

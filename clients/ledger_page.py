"""The ledger's part of a page (the household page and the ledger's own page share it)."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, QuerySet, When
from django.forms import Form
from django.utils import timezone

from clients import ledger
from clients.models import Household, Person, PersonRole
from clients.records_forms import CarryforwardForm


def people_on_return(household: Household) -> QuerySet[Person]:
    """The taxpayer first (the form's default choice), then the spouse."""
    taxpayer_first = Case(When(role=PersonRole.TAXPAYER, then=0), default=1)
    return Person.objects.filter(
        household=household, role__in=(PersonRole.TAXPAYER, PersonRole.SPOUSE)
    ).order_by(taxpayer_first, "name")


def ledger_context(
    household: Household, *, may_write: bool, form: Form | None = None
) -> dict[str, Any]:
    year = timezone.localdate().year
    if form is None and may_write:
        initial = {"tax_year": year, "character": "short_term"}
        form = CarryforwardForm(people=people_on_return(household), initial=initial)
    return {
        "household": household,
        "may_write": may_write,
        "ledger_rows": ledger.ledger_table(household),
        "ledger_form": form,
        "this_year": year,
    }

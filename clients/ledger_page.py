"""The ledger's part of a page (the household page and the ledger's own page share it)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.forms import Form
from django.utils import timezone

from clients import ledger
from clients.book_forms import CarryforwardForm
from clients.models import Household, Person, PersonRole


def people_on_return(household: Household) -> QuerySet[Person]:
    return Person.objects.filter(
        household=household, role__in=(PersonRole.TAXPAYER, PersonRole.SPOUSE)
    ).order_by("role", "name")


def ledger_context(
    household: Household, *, may_write: bool, form: Form | None = None
) -> dict[str, Any]:
    year = timezone.localdate().year
    if form is None and may_write:
        people = people_on_return(household)
        taxpayer = next((p for p in people if p.role == PersonRole.TAXPAYER), None)
        initial = {"tax_year": year, "character": "short_term", "person": taxpayer}
        form = CarryforwardForm(people=people, initial=initial)
    return {
        "household": household,
        "may_write": may_write,
        "ledger_rows": ledger.ledger_table(household),
        "ledger_form": form,
        "this_year": year,
    }

"""Planned realizations: gains (or losses) the client expects outside our accounts this year,
which the planner offsets first, like the tax profile's other gains.

``outside_gains`` is the one place both feed the snapshot from: the profile's
``other_short_term_gains`` / ``other_long_term_gains`` plus the planned realizations' sums, as
``income.other_short_term_gains`` / ``income.other_long_term_gains`` (the engine reads them).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import DecimalField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from advisors import scoping
from advisors.models import Advisor
from clients.models import Household
from taxlogic.models import PlannedRealization, Term

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=18, decimal_places=2)


def outside_gains(profile: Any, planned: tuple[Decimal, Decimal] = (ZERO, ZERO)) -> dict[str, str]:
    """The snapshot's ``income`` keys for gains outside our accounts (each only when it is not
    zero, so that a household without any keeps the inputs, and the hash, it had)."""
    short = (getattr(profile, "other_short_term_gains", None) or ZERO) + planned[0]
    long = (getattr(profile, "other_long_term_gains", None) or ZERO) + planned[1]
    out = {}
    if short:
        out["other_short_term_gains"] = f"{short:.2f}"
    if long:
        out["other_long_term_gains"] = f"{long:.2f}"
    return out


def planned_sums(tax_year: int) -> dict[str, Subquery]:
    """Annotations for a TaxProfile queryset: the household's planned realizations of
    ``tax_year``, short and long (in the same query as the profiles)."""

    def total(term: str) -> Subquery:
        return Coalesce(
            Subquery(
                PlannedRealization.objects.filter(
                    household=OuterRef("household_id"), tax_year=tax_year, term=term
                )
                .order_by()
                .values("household")
                .annotate(t=Sum("amount"))
                .values("t")[:1],
                output_field=MONEY,
            ),
            ZERO,
            output_field=MONEY,
        )

    return {"planned_short": total(Term.SHORT), "planned_long": total(Term.LONG)}


@transaction.atomic
def planned_realization_add(
    *,
    user: Any,
    household: Household,
    date: date,
    amount: Decimal,
    term: str,
    note: str = "",
) -> PlannedRealization:
    """Record a planned realization for the tax year of its date."""
    if not scoping.can_write(user, household):
        raise PermissionDenied("You may not change this household.")
    if term not in Term.values:
        raise ValidationError({"term": "Choose short-term or long-term."})
    if not amount:
        raise ValidationError({"amount": "Enter the gain (or, negative, the loss) expected."})
    return PlannedRealization.objects.create(
        firm_id=household.firm_id,
        household=household,
        tax_year=date.year,
        date=date,
        amount=amount,
        term=term,
        note=note.strip(),
        created_by=user if isinstance(user, Advisor) else None,
    )

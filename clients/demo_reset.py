"""seed_demo's book-keeping: reset the demo households entirely (``--reset``), and version the
demo firm's replacement list when the seeded one differs from the one in force.

A demo household is either left alone (it exists: whatever was recorded since stays, with the
lots it changed) or removed with everything that hangs on it and seeded afresh; never half:
the command runs in one transaction, and a row this code does not know about that still points
at a household (PROTECT) stops the reset and rolls it all back.
"""

from __future__ import annotations

import contextlib

import pgtrigger
from django.db import connection
from django.db.models import QuerySet

from advisors.models import Firm
from clients.imports.models import ImportRow
from clients.models import (
    Account,
    CarryforwardEntry,
    ExternalRef,
    Household,
    Person,
    TaxLot,
    TaxProfile,
    Transaction,
)
from clients.replacements import _entries, replacement_list_start
from taxlogic.models import (
    ActionPlan,
    PlannedRealization,
    Recommendation,
    RecommendationDecision,
    Review,
    WashAlert,
    WashWatch,
    YearEndHousehold,
)

# Plans, recommendations and the decision log are never deleted (taxlogic/history.py): the demo
# reset is the one place that removes them, for demo households only, inside its transaction.
_PLAN_GUARDS = (
    "taxlogic.ActionPlan:plan_never_deleted",
    "taxlogic.Recommendation:recommendation_never_deleted",
    "taxlogic.RecommendationDecision:decision_log_append_only",
)


def _guards_lifted() -> contextlib.AbstractContextManager[object]:
    if connection.vendor != "postgresql":  # no triggers elsewhere (the embedded demo)
        return contextlib.nullcontext()
    return pgtrigger.ignore(*_PLAN_GUARDS)


def _delete_transactions(trades: QuerySet[Transaction]) -> None:
    # A correction points at what it reverses (PROTECT): the newest corrections go first.
    while trades.exists():
        leaves = trades.exclude(
            pk__in=Transaction.objects.filter(reverses__isnull=False).values("reverses_id")
        )
        leaves.delete()


def demo_households_reset(households: QuerySet[Household]) -> int:
    """Delete ``households`` and everything recorded for them (decisions, recommendations,
    reviews, plans, the ledger, transactions, lots, profiles, accounts, people); returns how
    many households went. Call inside a transaction."""
    ids = list(households.values_list("pk", flat=True))
    if not ids:
        return 0
    WashAlert.objects.filter(household_id__in=ids).delete()
    WashWatch.objects.filter(household_id__in=ids).delete()
    PlannedRealization.objects.filter(household_id__in=ids).delete()
    ImportRow.objects.filter(lot__account__household_id__in=ids).update(lot=None)
    with _guards_lifted():
        RecommendationDecision.objects.filter(household_id__in=ids).delete()
        YearEndHousehold.objects.filter(household_id__in=ids).delete()
        Review.objects.filter(household_id__in=ids).delete()
        Recommendation.objects.filter(household_id__in=ids).delete()
        ActionPlan.objects.filter(household_id__in=ids).delete()
    CarryforwardEntry.objects.filter(household_id__in=ids).delete()
    _delete_transactions(Transaction.objects.filter(account__household_id__in=ids))
    TaxLot.objects.filter(account__household_id__in=ids).delete()
    TaxProfile.objects.filter(household_id__in=ids).delete()
    ExternalRef.objects.filter(household_id__in=ids).delete()
    ExternalRef.objects.filter(account__household_id__in=ids).delete()
    ExternalRef.objects.filter(person__household_id__in=ids).delete()
    Account.objects.filter(household_id__in=ids).delete()
    Person.objects.filter(household_id__in=ids).delete()
    Household.objects.filter(pk__in=ids).delete()
    return len(ids)


def demo_list_version(firm: Firm) -> int:
    """A new version of the firm's replacement list when it differs from the one in force (the
    first run, or a seeder whose list changed); the number in force either way."""
    from clients.models import ReplacementListVersion

    last = ReplacementListVersion.objects.filter(firm=firm).order_by("-number").first()
    if last is not None and last.entries == _entries(firm):
        return last.number
    change = "The demo firm's list (seed_demo)" if last is None else "seed_demo's list updated"
    return replacement_list_start(firm=firm, change=change).number

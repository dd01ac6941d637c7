"""seed_demo run again leaves a consistent book: existing demo households are left alone (a sale
recorded since stays, with the lot it relieved), or ``--reset`` removes them entirely and seeds
them afresh. Never half: no lot both sold and held, the carryforward unchanged. And the demo's
reference data: each fund's own index, pairs that track different indexes, a versioned list."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Q, Sum
from django.utils import timezone

from clients import services as client_services
from clients.models import (
    Action,
    CarryforwardEntry,
    Replacement,
    ReplacementListVersion,
    Security,
    TaxLot,
    TaxProfile,
    Transaction,
)
from taxlogic.models import ActionPlan, Review
from taxlogic.rules.accounts import AccountType

pytestmark = pytest.mark.django_db


def _seed(*args: str) -> None:
    call_command("seed_demo", *args, stdout=StringIO())


def _carryforward() -> dict[str, object]:
    return {
        "profiles": sorted(
            TaxProfile.objects.values_list(
                "household__external_crm_id", "carryforward_short_term", "carryforward_long_term"
            )
        ),
        "ledger": sorted(
            CarryforwardEntry.objects.values_list(
                "household__external_crm_id", "person__name", "tax_year", "character", "amount"
            )
        ),
    }


def _assert_no_lot_both_sold_and_held() -> None:
    """Every lot's open quantity is what it opened with less what its sales took."""
    closing = Q(transactions__action__in=[Action.SELL, Action.TRANSFER_OUT])
    for lot in TaxLot.objects.annotate(sold=Sum("transactions__quantity", filter=closing)):
        assert lot.quantity + (lot.sold or 0) == lot.original_quantity, lot.external_id
        assert lot.quantity >= 0


def _sell_a_lot() -> TaxLot:
    lot = (
        TaxLot.objects.filter(
            account__type=AccountType.TAXABLE_INDIVIDUAL, quantity__gt=0, how_acquired="purchase"
        )
        .select_related("account", "security")
        .order_by("external_id")
        .first()
    )
    client_services.transaction_record(
        account=lot.account,
        security=lot.security,
        action=Action.SELL,
        trade_date=timezone.localdate(),
        quantity=lot.quantity,
        price=Decimal("10.00"),
        lot=lot,
    )
    lot.refresh_from_db()
    assert lot.quantity == 0
    return lot


def test_twice_with_a_sale_between_leaves_the_households_alone() -> None:
    _seed()
    carry = _carryforward()
    lot = _sell_a_lot()
    trades = Transaction.objects.count()
    _seed()
    lot.refresh_from_db()
    assert lot.quantity == 0  # not put back: the sale recorded since stands
    assert Transaction.objects.count() == trades
    assert lot.transactions.filter(action=Action.SELL, trade_date=timezone.localdate()).exists()
    _assert_no_lot_both_sold_and_held()
    assert _carryforward() == carry
    assert ActionPlan.objects.filter(is_current=True).count() == 40


def test_reset_removes_the_demo_households_entirely_and_seeds_them_again() -> None:
    _seed()
    carry = _carryforward()
    lot = _sell_a_lot()
    sold_key = lot.external_id
    _seed("--reset")
    fresh = TaxLot.objects.get(external_id=sold_key)
    assert fresh.pk != lot.pk and fresh.quantity == fresh.original_quantity
    assert not Transaction.objects.filter(trade_date=timezone.localdate(), price=10).exists()
    _assert_no_lot_both_sold_and_held()
    assert _carryforward() == carry
    # Old reviews and plans went with their households; one current plan each again.
    assert ActionPlan.objects.filter(is_current=True).count() == 40
    assert Review.objects.count() == 40  # the first run's 40 went with their households


def test_the_demo_funds_track_their_own_indexes() -> None:
    _seed()
    indexes = dict(Security.objects.values_list("symbol", "tracked_index"))
    assert indexes["VTI"] == "CRSP US Total Market"
    assert indexes["ITOT"] == "S&P Total Market"
    assert indexes["VXUS"] == "FTSE Global All Cap ex US"
    assert indexes["IXUS"] == "MSCI ACWI ex USA IMI"
    assert indexes["SCHB"] == "Dow Jones U.S. Broad Stock Market"
    assert indexes["VEA"] == "FTSE Developed All Cap ex US"
    assert indexes["IEFA"] == "MSCI EAFE IMI"
    assert indexes["BND"] != indexes["AGG"]
    assert {indexes[s] for s in ("VOO", "IVV", "SPLG", "VFIAX")} == {"S&P 500"}
    for entry in Replacement.objects.select_related("security", "replacement"):
        assert entry.security.tracked_index != entry.replacement.tracked_index
        assert entry.reason and entry.replacement.tracked_index in entry.reason


def test_the_demo_list_is_versioned_once() -> None:
    _seed()
    _seed()
    version = ReplacementListVersion.objects.get()
    assert version.number == 1
    assert len(version.entries) == Replacement.objects.count()
    review = Review.objects.filter(reused=False).first()
    assert review.replacement_list_version == 1

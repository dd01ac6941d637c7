"""One basis everywhere: for every lot of the demo firm, the lot page, the account's holdings and
the household page show the engine's open lot (basis, wash-sale adjustment, holding period
start, term) — computed here from the engine's JSON output (``evaluate``, the case format's
contract) — and the custodian's figures beside them where they differ, with the reason."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from advisors.models import Advisor
from clients.models import AcquiredHow, Household, TaxLot
from taxlogic.rules.cases import evaluate, parse_case
from taxlogic.rules.lots import term_of
from taxlogic.services import household_inputs
from tests.book.conftest import Book
from tests.factories import AccountFactory, TaxLotFactory, TaxProfileFactory, TransactionFactory

pytestmark = pytest.mark.django_db


def _engine_open_lots(household: Household, as_of: datetime.date) -> dict[int, dict[str, object]]:
    """The engine's open lots by stored lot key: pieces summed, the earliest holding start."""
    inputs = household_inputs(household, tax_year=as_of.year, as_of=as_of)
    result = evaluate(parse_case(inputs.snapshot["case"]))
    out: dict[int, dict[str, object]] = {}
    for row in result["open_lots"]:
        key = inputs.lots[row["lot"]]
        entry = out.setdefault(
            key, {"basis": Decimal(0), "adjustment": Decimal(0), "from": [], "how": row["how"]}
        )
        entry["basis"] += Decimal(row["basis"])
        # The engine's adjustments, and a custodian's it kept as reported (broker_wash.py).
        entry["adjustment"] += Decimal(
            row.get("wash_adjustment", row.get("broker_wash_adjustment", "0"))
        )
        entry["from"].append(datetime.date.fromisoformat(row["holding_from"]))
        entry["quantity"] = entry.get("quantity", Decimal(0)) + Decimal(row["quantity"])
    for entry in out.values():
        terms = {
            term_of(holding_from=d, sold=as_of, inherited=entry["how"] == "inherited").value
            for d in entry["from"]
        }
        entry["term"] = terms.pop() if len(terms) == 1 else "mixed"
    return out


def _facts(html: str) -> dict[str, str]:
    facts = html[html.index('id="lot-facts"') :]
    found = {}
    for name in ("basis", "adjustment", "holding-from", "term", "quantity"):
        match = re.search(rf'data-{name}="([^"]*)"', facts)
        assert match, name
        found[name] = match.group(1)
    return found


def test_every_demo_lot_page_shows_the_engine_s_open_lot() -> None:
    call_command("seed_demo", stdout=StringIO())
    as_of = timezone.localdate()
    admin = Advisor.objects.get(username="fiona")
    client = Client()
    client.force_login(admin)
    checked = adjusted = differing = 0
    for household in Household.objects.filter(firm=admin.firm).order_by("pk"):
        engine = _engine_open_lots(household, as_of)
        lots = TaxLot.objects.filter(account__household=household, quantity__gt=0)
        assert {lot.pk for lot in lots} == set(engine), household
        for lot in lots:
            want = engine[lot.pk]
            response = client.get(reverse("clients:lot_detail", args=[lot.public_id]))
            html = response.content.decode()
            shown = _facts(html)
            assert Decimal(shown["basis"]) == want["basis"], (household, lot)
            assert Decimal(shown["adjustment"]) == want["adjustment"], (household, lot)
            assert shown["holding-from"] == min(want["from"]).isoformat(), (household, lot)
            assert shown["term"] == want["term"], (household, lot)
            assert Decimal(shown["quantity"]) == want["quantity"] == lot.quantity
            if want["adjustment"]:
                adjusted += 1
                assert "Wash-sale adjustments" in html and "IRC §1091" in html
            if want["basis"] != lot.adjusted_basis:
                differing += 1
                assert "The custodian&#x27;s figures" in html or "The custodian's figures" in html
            checked += 1
    assert checked > 100
    assert adjusted > 0  # the demo has wash sales: the comparison is not vacuous
    assert differing > 0, "no demo lot where the custodian's basis differs"


def test_the_household_page_and_the_holdings_use_the_engine_s_basis(book: Book) -> None:
    """A loss sold in one account and bought back in the spouse's IRA-free taxable account
    within 30 days: the custodian of the second account reports no adjustment; the engine
    adds the disallowed loss (IRC §1091(d)) — every page shows the engine's basis."""
    today = timezone.localdate()
    TaxProfileFactory(household=book.household)
    other = AccountFactory(household=book.household, owner=book.taxpayer, custodian="Fidelity")
    sold = TaxLotFactory(
        account=book.account,
        security=book.security,
        original_quantity=10,
        quantity=0,
        cost_basis=Decimal("0.00"),
        acquired=today - datetime.timedelta(days=400),
    )
    TransactionFactory(
        account=book.account,
        lot=sold,
        security=book.security,
        action="sell",
        quantity=10,
        price=Decimal("80"),
        amount=Decimal("800.00"),
        basis_relieved=Decimal("1000.00"),
        trade_date=today - datetime.timedelta(days=10),
    )
    bought = TaxLotFactory(
        account=other,
        security=book.security,
        original_quantity=10,
        cost_basis=Decimal("850.00"),
        acquired=today - datetime.timedelta(days=5),
    )
    TransactionFactory(
        account=other,
        lot=bought,
        security=book.security,
        action="buy",
        quantity=10,
        price=Decimal("85"),
        amount=Decimal("850.00"),
        trade_date=today - datetime.timedelta(days=5),
    )
    lot_page = book.client.get(reverse("clients:lot_detail", args=[bought.public_id]))
    html = lot_page.content.decode()
    facts = _facts(html)
    assert Decimal(facts["basis"]) == Decimal("1050.00")  # 850 + the 200 disallowed
    assert Decimal(facts["adjustment"]) == Decimal("200.00")
    # The sold shares were held 390 days: the replacement counts them (IRC §1223(3)).
    assert facts["holding-from"] == (today - datetime.timedelta(days=5 + 390)).isoformat()
    assert facts["term"] == "long"
    assert "The custodian" in html and "850.00" in html and "IRC §1223(3)" in html
    assert reverse("clients:lot_detail", args=[sold.public_id]) in html  # the sale that caused it
    for url in (
        reverse("clients:account_detail", args=[other.public_id]),
        reverse("clients:household_detail", args=[book.household.public_id]),
    ):
        page = book.client.get(url).content.decode()
        assert 'data-basis="1050.00"' in page, url
        assert "(+$200.00 W)" in page
    # The plan (a review of the same household) uses the same basis.
    from taxlogic.basis import household_basis

    assert household_basis(household=book.household, as_of=today).get(bought).basis == Decimal(
        "1050.00"
    )


def test_without_a_tax_profile_the_pages_say_why_they_show_stored_figures(book: Book) -> None:
    lot = TaxLotFactory(account=book.account, security=book.security)
    html = book.client.get(reverse("clients:lot_detail", args=[lot.public_id])).content.decode()
    assert "no tax profile" in html and "Adjusted basis" in html
    assert lot.how_acquired == AcquiredHow.PURCHASE


def test_after_a_split_and_a_corrected_sale_the_engine_holds_what_the_book_holds(
    book: Book,
) -> None:
    """A split multiplies the lot's shares (same basis); a reversed sale is as if it never
    happened, its re-entry counts once: the engine's open lot is the stored lot."""
    from clients import services
    from taxlogic.basis import household_basis

    today = timezone.localdate()
    TaxProfileFactory(household=book.household)
    day = today - datetime.timedelta(days=3)
    buy = services.transaction_record(
        account=book.account, security=book.security, action="buy", trade_date=day,
        quantity=Decimal("10"), price=Decimal("120"), actor=book.household.primary_advisor,
    )  # fmt: skip
    services.transaction_record(
        account=book.account, security=book.security, action="split", trade_date=day,
        quantity=Decimal("0"), price=Decimal("0"), ratio=Decimal("2"),
        actor=book.household.primary_advisor,
    )  # fmt: skip
    wrong = services.transaction_record(
        account=book.account, security=book.security, action="sell", trade_date=today,
        quantity=Decimal("8"), price=Decimal("50"), lot=buy.lot,
        actor=book.household.primary_advisor,
    )  # fmt: skip
    services.transaction_record(
        account=book.account, security=book.security, action="reversal", trade_date=today,
        quantity=Decimal("0"), price=Decimal("0"), reverses=wrong,
        actor=book.household.primary_advisor,
    )  # fmt: skip
    services.transaction_record(
        account=book.account, security=book.security, action="sell", trade_date=today,
        quantity=Decimal("5"), price=Decimal("50"), lot=buy.lot,
        actor=book.household.primary_advisor,
    )  # fmt: skip
    lot = TaxLot.objects.get(pk=buy.lot_id)
    assert (lot.quantity, lot.cost_basis) == (Decimal("15"), Decimal("900.00"))
    engine = household_basis(household=book.household, as_of=today)
    assert engine.error == ""
    figures = engine.get(lot)
    assert (figures.quantity, figures.basis) == (lot.quantity, lot.adjusted_basis)
    assert figures.differences == []

"""The ledger on the household page, the replacement list's page (versioned) and new securities:
who may change what, errors that name the field and write nothing, reviews that record the list
version they used."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.urls import reverse

from advisors.models import Advisor
from clients.models import (
    CarryforwardEntry,
    Household,
    Replacement,
    ReplacementListVersion,
    Security,
    SecurityKind,
)
from taxlogic.models import Review
from tests.bookrecords.conftest import PRIOR, THIS_YEAR, review_year
from tests.plans.conftest import add_loss, fund, review

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
LIST = reverse("clients:replacement_list")
ADD = reverse("clients:replacement_add")
NEW_SECURITY = reverse("clients:security_create")


# --- the ledger -------------------------------------------------------------------------------


def _entry(household: Household, **changes: object) -> dict[str, object]:
    ann = household.people.get(name="Ann Ledger")
    return {
        "person": str(ann.public_id),
        "tax_year": THIS_YEAR,
        "character": "short_term",
        "amount": "2750.00",
        "reason": "As on the filed return",
        **changes,
    }


def test_the_household_page_shows_the_ledger_by_year_and_person(
    couple: Household, advisor: Advisor, client_for: Callable[[Advisor], object]
) -> None:
    review_year(couple, PRIOR)
    client = client_for(advisor)
    roll = reverse("clients:carryforward_roll", args=[couple.public_id])
    assert client.post(roll).status_code == 302
    page = client.get(reverse("clients:household_detail", args=[couple.public_id]))
    html = page.content.decode()
    assert "Loss carryforward ledger" in html
    rows = page.context["ledger"]["ledger_rows"]
    assert [(r["year"], r["person"].name) for r in rows] == [
        (THIS_YEAR, "Ann Ledger"),
        (THIS_YEAR, "Bob Ledger"),
    ]
    assert rows[0]["short"]["entry"].amount == Decimal("3000.00")
    assert rows[1]["long"]["entry"].amount == Decimal("5000.00")
    assert "3,000.00" in html and "5,000.00" in html
    assert f"Carryforward out of {PRIOR}" in html


def test_an_htmx_correction_swaps_the_ledger(
    couple: Household, advisor: Advisor, client_for: Callable[[Advisor], object]
) -> None:
    client = client_for(advisor)
    url = reverse("clients:carryforward", args=[couple.public_id])
    response = client.post(url, _entry(couple), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="carryforward-ledger"')  # the partial only
    assert "2,750.00" in html and "As on the filed return" in html
    assert CarryforwardEntry.objects.get().entered_by == advisor


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"reason": " "}, "reason", "Say why"),
        ({"amount": "-10"}, "amount", "positive amount"),
        ({"amount": "ten"}, "amount", "Enter the loss"),
        ({"character": "forever"}, "character", "valid choice"),
        ({"tax_year": "1890"}, "tax_year", "greater than or equal to 2000"),
    ],
)
def test_a_bad_figure_names_its_field_and_writes_nothing(
    couple: Household,
    advisor: Advisor,
    client_for: Callable[[Advisor], object],
    changes: dict,
    field: str,
    message: str,
) -> None:
    client = client_for(advisor)
    url = reverse("clients:carryforward", args=[couple.public_id])
    response = client.post(url, _entry(couple, **changes))
    assert response.status_code == 400
    form = response.context["ledger_form"]
    assert field in form.errors, form.errors
    assert message in " ".join(form.errors[field])
    assert not CarryforwardEntry.objects.exists()
    swapped = client.post(url, _entry(couple, **changes), headers=HTMX)
    assert swapped.status_code == 200 and message in swapped.content.decode()
    assert not CarryforwardEntry.objects.exists()


def test_compliance_reads_the_ledger_but_cannot_change_it(
    couple: Household, compliance: Advisor, client_for: Callable[[Advisor], object]
) -> None:
    client = client_for(compliance)
    url = reverse("clients:carryforward", args=[couple.public_id])
    page = client.get(url)
    assert page.status_code == 200 and b"Record with this reason" not in page.content
    assert client.post(url, _entry(couple)).status_code == 403
    roll = reverse("clients:carryforward_roll", args=[couple.public_id])
    assert client.post(roll).status_code == 403
    assert not CarryforwardEntry.objects.exists()


def test_an_outsider_gets_404(
    couple: Household, outsider: Advisor, client_for: Callable[[Advisor], object]
) -> None:
    url = reverse("clients:carryforward", args=[couple.public_id])
    assert client_for(outsider).post(url, _entry(couple)).status_code == 404


# --- the replacement list ---------------------------------------------------------------------


@pytest.fixture
def funds() -> dict[str, Security]:
    return {
        "VTI": fund("VTI", "CRSP US Total Market", "300"),
        "SCHB": fund("SCHB", "Dow Jones U.S. Broad Stock Market", "25"),
        "ITOT": fund("ITOT", "S&P Total Market", "130"),
        "VTI2": fund("VTIX", "CRSP US Total Market", "300"),
    }


def _pair(sell: str, buy: str, **extra: object) -> dict[str, object]:
    return {"security": sell, "replacement": buy, "rank": 1, "reason": "Different index", **extra}


def test_firm_admins_change_the_list_and_each_change_is_a_version(
    firm_admin: Advisor, funds: dict, client_for: Callable[[Advisor], object]
) -> None:
    client = client_for(firm_admin)
    assert client.post(ADD, _pair("VTI", "SCHB", both_ways="on")).status_code == 302
    assert client.post(ADD, _pair("VTI", "ITOT", rank=2)).status_code == 302
    pairs = set(Replacement.objects.values_list("security__symbol", "replacement__symbol"))
    assert pairs == {("VTI", "SCHB"), ("SCHB", "VTI"), ("VTI", "ITOT")}
    entry = Replacement.objects.get(security__symbol="VTI", replacement__symbol="ITOT")
    remove = reverse("clients:replacement_remove", args=[entry.pk])
    assert client.post(remove, {"reason": "Prefer SCHB"}).status_code == 302

    versions = list(ReplacementListVersion.objects.order_by("number"))
    assert [v.number for v in versions] == [1, 2, 3]
    assert versions[2].change.startswith("Removed VTI → ITOT")
    # The history keeps what each version was, with the indexes both tracked.
    second = {(e["security"], e["replacement"]) for e in versions[1].entries}
    assert ("VTI", "ITOT") in second
    itot = next(e for e in versions[1].entries if e["replacement"] == "ITOT")
    assert itot["security_index"] == "CRSP US Total Market"
    assert itot["replacement_index"] == "S&P Total Market"
    assert ("VTI", "ITOT") not in {(e["security"], e["replacement"]) for e in versions[2].entries}

    page = client.get(LIST, {"version": 2})
    assert page.status_code == 200
    assert page.context["current"].number == 3 and page.context["shown"].number == 2
    assert b"CRSP US Total Market" in page.content


def test_a_pair_tracking_the_same_index_is_refused(
    firm_admin: Advisor, funds: dict, client_for: Callable[[Advisor], object]
) -> None:
    client = client_for(firm_admin)
    response = client.post(ADD, _pair("VTI", "VTIX"))
    assert response.status_code == 400
    assert "substantially identical" in " ".join(response.context["form"].errors["replacement"])
    response = client.post(ADD, _pair("VTI", "SCHB", reason=""))
    assert response.status_code == 400 and "reason" in response.context["form"].errors
    assert not Replacement.objects.exists()
    assert not ReplacementListVersion.objects.exists()


@pytest.mark.parametrize("who", ["advisor", "team_lead", "compliance"])
def test_the_firm_reads_the_list_but_only_admins_change_it(
    who: str,
    firm_admin: Advisor,
    funds: dict,
    request: pytest.FixtureRequest,
    client_for: Callable[[Advisor], object],
) -> None:
    client_for(firm_admin).post(ADD, _pair("VTI", "SCHB"))
    client = client_for(request.getfixturevalue(who))
    page = client.get(LIST)
    assert page.status_code == 200
    assert b"SCHB" in page.content and b"Add as a new version" not in page.content
    assert client.post(ADD, _pair("VTI", "ITOT")).status_code == 403
    entry = Replacement.objects.get()
    remove = reverse("clients:replacement_remove", args=[entry.pk])
    assert client.post(remove).status_code == 403
    assert Replacement.objects.count() == 1
    assert ReplacementListVersion.objects.count() == 1
    assert client.get(NEW_SECURITY).status_code == 403


def test_another_firms_admin_sees_none_of_it(
    firm_admin: Advisor, outsider: Advisor, funds: dict, client_for: Callable[[Advisor], object]
) -> None:
    client_for(firm_admin).post(ADD, _pair("VTI", "SCHB"))
    page = client_for(outsider).get(LIST)
    assert page.status_code == 200
    assert page.context["entries"] == [] and page.context["versions"] == []


def test_each_review_records_the_list_version_it_used(
    households: dict[str, Household], firm_admin: Advisor, client_for: Callable[[Advisor], object]
) -> None:
    household = households["advisor"]
    add_loss(household)  # a pair on the list without a version: none recorded
    plan = review(household)
    first = Review.objects.get(plan=plan, reused=False)
    assert first.replacement_list_version is None
    assert "replacement_list_version" not in first.inputs["planner"]

    a, b = fund("AAA", "Index A", "10"), fund("BBB", "Index B", "10")
    client_for(firm_admin).post(ADD, _pair(a.symbol, b.symbol))
    plan = review(household)
    second = Review.objects.get(plan=plan, reused=False)
    assert second.replacement_list_version == 1
    assert second.inputs["planner"]["replacement_list_version"] == 1


# --- the security master ----------------------------------------------------------------------


def _security(**changes: object) -> dict[str, object]:
    return {
        "symbol": "schg",
        "name": "Schwab U.S. Large-Cap Growth ETF",
        "kind": SecurityKind.FUND,
        "asset_class": "us_equity",
        "tracked_index": "Dow Jones U.S. Large-Cap Growth Total Stock Market",
        "cusip": "808524300",
        **changes,
    }


def test_a_firm_admin_adds_an_unknown_security(
    firm_admin: Advisor, client_for: Callable[[Advisor], object]
) -> None:
    client = client_for(firm_admin)
    assert client.get(NEW_SECURITY).status_code == 200
    assert client.post(NEW_SECURITY, _security()).status_code == 302
    security = Security.objects.get(symbol="SCHG")
    assert security.tracked_index.startswith("Dow Jones") and security.cusip == "808524300"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tracked_index": ""}, "tracked_index"),
        ({"cusip": "12"}, "cusip"),
        ({"kind": "tulip"}, "kind"),
        ({"symbol": ""}, "symbol"),
    ],
)
def test_a_bad_security_names_its_field(
    firm_admin: Advisor, client_for: Callable[[Advisor], object], changes: dict, field: str
) -> None:
    response = client_for(firm_admin).post(NEW_SECURITY, _security(**changes))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Security.objects.filter(name__startswith="Schwab").exists()


def test_a_known_symbol_is_refused(
    firm_admin: Advisor, funds: dict, client_for: Callable[[Advisor], object]
) -> None:
    response = client_for(firm_admin).post(NEW_SECURITY, _security(symbol="vti", cusip=""))
    assert response.status_code == 400 and "symbol" in response.context["form"].errors
    assert Security.objects.get(symbol="VTI").tracked_index == "CRSP US Total Market"


# --- bounded queries --------------------------------------------------------------------------

LIST_MAX_QUERIES = 12  # session, user, firm, may write, versions, pairs, the header's firm,
# the form's two lists of securities; the session saved (the messages shown)
LEDGER_MAX_QUERIES = 11  # session, user, household, ledger, the form's people, the header's
# firm and team; the session saved (the messages shown), the audit trail's context (who made
# a change, set once a request): nothing per year or entry


@pytest.mark.parametrize("pairs", [2, 20])
def test_the_list_page_takes_a_fixed_number_of_queries(
    firm_admin: Advisor,
    client_for: Callable[[Advisor], object],
    django_assert_max_num_queries: object,
    pairs: int,
) -> None:
    client = client_for(firm_admin)
    for n in range(pairs):
        fund(f"S{n}", f"Index S{n}", "10")
        fund(f"B{n}", f"Index B{n}", "10")
        client.post(ADD, _pair(f"S{n}", f"B{n}"))
    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        page = client.get(LIST, {"version": 1})
    assert len(page.context["entries"]) == pairs and len(page.context["versions"]) == pairs


@pytest.mark.parametrize("years", [1, 6])
def test_the_ledger_page_takes_a_fixed_number_of_queries(
    couple: Household,
    advisor: Advisor,
    client_for: Callable[[Advisor], object],
    django_assert_max_num_queries: object,
    years: int,
) -> None:
    client = client_for(advisor)
    url = reverse("clients:carryforward", args=[couple.public_id])
    for n in range(years):
        client.post(url, _entry(couple, tax_year=THIS_YEAR - n))
    with django_assert_max_num_queries(LEDGER_MAX_QUERIES):
        page = client.get(url)
    assert len(page.context["ledger_rows"]) == years

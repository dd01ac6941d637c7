"""The firm-wide trade blotter: two households at one custodian in one order file (full account
numbers, specific lots, BOM, escaped cells), bulk approval, and the export log."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from advisors.models import Advisor
from clients.models import Household
from taxlogic.blotter import cell
from taxlogic.models import BlotterExport, HarvestSettings, Recommendation
from tests.afterplan.conftest import approve
from tests.plans.conftest import add_loss, review

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(households: dict[str, Household], team_lead: Advisor) -> list[Recommendation]:
    out = []
    for n, key in enumerate(("advisor", "teammate")):
        household = households[key]
        account = household.accounts.get()
        account.custodian, account.account_number = "Schwab", f"=12345678{n}"
        account.save()
        household.name = f'=HYPERLINK("x") {key}' if n else household.name
        household.save()
        add_loss(household)
        out.append(review(household).recommendations.get(kind="harvest"))
    return out


def _rows(response: object) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_order_file_for_two_households_in_one_custodian(
    two: list[Recommendation], team_lead: Advisor, client_for: object
) -> None:
    for r in two:
        approve(r, team_lead)
    client = client_for(team_lead)
    page = client.get(reverse("taxlogic:blotter"))
    assert page.status_code == 200 and len(page.context["rows"]) == 2
    response = client.get(
        reverse("taxlogic:blotter_export"), {"custodian": "Schwab", "format": "generic"}
    )
    rows = _rows(response)
    header, body = rows[0], rows[1:]
    assert header[:7] == [
        "household",
        "custodian",
        "account_number",
        "symbol",
        "side",
        "quantity",
        "lots",
    ]
    sells = [row for row in body if row[4] == "SELL"]
    assert {row[2] for row in sells} == {"'=123456780", "'=123456781"}  # full, escaped
    assert {row[3] for row in sells} == {r.security.symbol for r in two}
    assert {row[6] for row in sells} == {str(r.lot.public_id) for r in two}
    assert any(row[0].startswith("'=HYPERLINK") for row in sells)
    buys = [row for row in body if row[4] == "BUY"]
    assert {row[3] for row in buys} == {r.replacement.symbol for r in two}
    logged = BlotterExport.objects.get()
    assert logged.exported_by == team_lead and logged.rows == 4
    assert set(logged.recommendations) == {str(r.public_id) for r in two}
    schwab = _rows(
        client.get(
            reverse("taxlogic:blotter_export"),
            {"custodian": "Schwab", "format": "schwab", "order_type": "limit"},
        )
    )
    assert schwab[0][:4] == ["Account Number", "Action", "Quantity", "Symbol"]
    assert {row[1] for row in schwab[1:]} == {"Sell", "Buy"} and schwab[1][4] == "Limit"
    assert BlotterExport.objects.count() == 2


def test_bulk_approval_respects_maker_checker(
    two: list[Recommendation], team_lead: Advisor, advisor: Advisor, client_for: object
) -> None:
    HarvestSettings.objects.filter(firm=two[0].firm).update(second_approval_above=1)
    client = client_for(team_lead)
    ids = [str(r.public_id) for r in two]
    client.post(reverse("taxlogic:blotter_approve"), {"recommendation": ids})
    assert {r.status for r in Recommendation.objects.filter(pk__in=[r.pk for r in two])} == {
        "checking"
    }
    client.post(reverse("taxlogic:blotter_approve"), {"recommendation": ids})  # same person
    assert Recommendation.objects.filter(status="checking").count() == 2
    client_for(advisor).post(reverse("taxlogic:blotter_approve"), {"recommendation": ids})
    statuses = dict(
        Recommendation.objects.filter(pk__in=[r.pk for r in two]).values_list(
            "household__primary_advisor__username", "status"
        )
    )
    # The advisor may approve only their own household's trade.
    assert statuses == {"advisor": "approved", "teammate": "checking"}


def test_the_outsider_sees_nothing(
    two: list[Recommendation], team_lead: Advisor, outsider: Advisor, client_for: object
) -> None:
    for r in two:
        approve(r, team_lead)
    page = client_for(outsider).get(reverse("taxlogic:blotter"))
    assert page.context["rows"] == []


@pytest.mark.parametrize("text", ["=1+2", "+1+cmd|x", "-2+3", "@SUM", "\tx", "\rx"])
def test_cells_that_would_run_are_escaped(text: str) -> None:
    assert cell(text) == f"'{text}" and cell("ABC") == "ABC"


@pytest.mark.parametrize("text", ["-1", "+1", "-1234.50"])
def test_plain_signed_numbers_stay_numbers(text: str) -> None:
    assert cell(text) == text

"""Preview a sale: two full computations; recording the same sale and running a review gives a
plan whose figures on the year's actual results equal the preview's "after"."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from advisors.models import Advisor
from clients.models import Transaction
from taxlogic.models import Recommendation
from taxlogic.preview import SaleRequest, sale_preview
from tests.afterplan.conftest import sell
from tests.plans.conftest import TODAY, review

pytestmark = pytest.mark.django_db


def _figures(figures: list[dict]) -> dict[str, str]:
    return {f["key"]: f["before"] if f["before"] is not None else f["amount"] for f in figures}


def test_preview_equals_a_plan_computed_with_the_same_sale(
    harvest: Recommendation, advisor: Advisor
) -> None:
    household = harvest.household
    count = Transaction.objects.count()
    preview = sale_preview(
        user=advisor, household=household, sales=[SaleRequest(harvest.lot, harvest.quantity)]
    )
    assert Transaction.objects.count() == count  # nothing recorded
    assert preview.tax_saved > 0 and preview.short_term == -harvest.estimated_loss
    assert preview.long_term == 0
    assert preview.do_not_buy_through == TODAY() + datetime.timedelta(days=30)
    sell(harvest, advisor)
    plan = review(household)
    assert plan.tax_before == preview.tax_after
    recorded = _figures(plan.result["figures"])
    for key in ("realized_short", "realized_long", "tax"):
        assert Decimal(recorded[key]) == Decimal(_figures(preview.figures_after)[key]), key


def test_preview_names_the_bad_sale(harvest: Recommendation, advisor: Advisor) -> None:
    with pytest.raises(ValidationError) as error:
        sale_preview(
            user=advisor,
            household=harvest.household,
            sales=[SaleRequest(harvest.lot, harvest.lot.quantity + 1)],
        )
    assert "sales[0]" in error.value.message_dict


def test_preview_page_and_api(
    harvest: Recommendation, advisor: Advisor, client_for: object
) -> None:
    client = client_for(advisor)
    url = reverse("taxlogic:preview", args=[harvest.household.public_id])
    response = client.post(
        url, {"lot": [str(harvest.lot.public_id)], f"quantity-{harvest.lot.public_id}": "100"}
    )
    assert response.status_code == 200
    assert "Tax saved this year" in response.content.decode()


def test_preview_api(harvest: Recommendation, advisor: Advisor, api_for: object) -> None:
    api = api_for(advisor)
    url = f"/api/v1/households/{harvest.household.public_id}/preview/"
    body = {"sales": [{"lot": str(harvest.lot.public_id), "quantity": "100"}]}
    response = api.post(url, body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert Decimal(data["short_term"]) == -harvest.estimated_loss
    assert data["do_not_buy_through"] == (TODAY() + datetime.timedelta(days=30)).isoformat()
    bad = api.post(
        url, {"sales": [{"lot": str(harvest.lot.public_id), "quantity": "1000"}]}, format="json"
    )
    assert bad.status_code == 400 and "sales[0]" in bad.json()


def test_preview_shows_a_wash_sale_inside_the_household(
    harvest: Recommendation, advisor: Advisor
) -> None:
    from clients import services as client_services
    from clients.models import Action
    from tests.afterplan.conftest import ira_of

    client_services.transaction_record(
        account=ira_of(harvest.household),
        security=harvest.security,
        action=Action.BUY,
        trade_date=TODAY() - datetime.timedelta(days=3),
        quantity=Decimal("10"),
        price=harvest.price,
        recorded_by=advisor,
    )
    preview = sale_preview(
        user=advisor,
        household=harvest.household,
        sales=[SaleRequest(harvest.lot, harvest.quantity)],
    )
    codes = [w["code"] for w in preview.wash_sales]
    assert codes == ["permanent_wash_sale"], preview.wash_sales

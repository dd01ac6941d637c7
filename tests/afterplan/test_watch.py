"""The watch after the sale: the window of a recorded loss sale stays on the plan into January,
and a dividend reinvestment inside it in the IRA raises an alert (page, email, webhook)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from advisors.models import Advisor, WebhookDelivery, WebhookEndpoint
from clients import services as client_services
from clients.models import Action
from taxlogic import selectors
from taxlogic.models import Recommendation, WashAlert, WashWatch
from tests.afterplan.conftest import approve, ira_of, sell
from tests.plans.conftest import TODAY, review

pytestmark = pytest.mark.django_db


def test_the_window_is_kept_on_the_new_plan_and_into_january(
    harvest: Recommendation, advisor: Advisor, client_for: object
) -> None:
    household = harvest.household
    approve(harvest, advisor)
    sale = sell(harvest, advisor)
    watch = WashWatch.objects.get(sale=sale)
    assert watch.through == TODAY() + datetime.timedelta(days=30)
    assert watch.recommendation == harvest and watch.loss == sale.basis_relieved - sale.amount
    new_plan = review(household)
    assert not new_plan.recommendations.filter(lot=harvest.lot).exists()
    symbol = harvest.security.symbol
    page = client_for(advisor).get(reverse("taxlogic:plan", args=[household.public_id]))
    days = [(e.day, e.what) for e in page.context["page"].calendar]
    assert any(day == watch.through and f"Do not buy {symbol}" in what for day, what in days)
    # After the year end, the new year's page still shows it until it closes.
    january = datetime.date(TODAY().year + 1, 1, 1)
    for day, shown in (
        (january, True),
        (watch.through, True),
        (watch.through.replace(day=watch.through.day) + datetime.timedelta(days=1), False),
    ):
        found = selectors.plan_page(user=advisor, household=household, tax_year=day.year, today=day)
        assert any(symbol in e.what for e in found.calendar) is shown, day
    # The household page and the firm's calendar show it too.
    detail = client_for(advisor).get(
        reverse("clients:household_detail", args=[household.public_id])
    )
    assert symbol in detail.content.decode()
    calendar = client_for(advisor).get(reverse("taxlogic:calendar"))
    assert symbol in calendar.content.decode()


def test_a_drip_in_the_ira_inside_the_window_raises_the_alert(
    harvest: Recommendation,
    advisor: Advisor,
    client_for: object,
    django_capture_on_commit_callbacks: object,
) -> None:
    household = harvest.household
    advisor.email = "advisor@example.com"
    advisor.save()
    WebhookEndpoint.objects.create(
        firm=household.firm, url="https://example.com/hook", secret="s", events=["wash_sale.risk"]
    )
    approve(harvest, advisor)
    sale = sell(harvest, advisor)
    ira = ira_of(household)
    with django_capture_on_commit_callbacks(execute=True):
        drip = client_services.transaction_record(
            account=ira,
            security=harvest.security,
            action=Action.REINVEST,
            trade_date=TODAY(),
            quantity=Decimal("2"),
            price=harvest.price,
            recorded_by=advisor,
        )
    alert = WashAlert.objects.get(acquisition=drip)
    assert alert.permanent is True and alert.watch.sale == sale
    per_share = (sale.basis_relieved - sale.amount) / sale.quantity
    assert alert.loss_at_stake == (per_share * 2).quantize(Decimal("0.01"))
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["advisor@example.com"]
    assert "lost for good" in mail.outbox[0].body
    delivery = WebhookDelivery.objects.get(event="wash_sale.risk")
    assert delivery.payload["permanent"] is True
    assert delivery.payload["loss_at_stake"] == f"{alert.loss_at_stake:.2f}"
    page = client_for(advisor).get(reverse("taxlogic:plan", args=[household.public_id]))
    assert "lost for good" in page.content.decode()


def test_a_purchase_of_something_else_or_after_the_window_raises_nothing(
    harvest: Recommendation, advisor: Advisor
) -> None:
    from tests.factories import SecurityFactory

    approve(harvest, advisor)
    sell(harvest, advisor)
    other = SecurityFactory()
    client_services.transaction_record(
        account=harvest.account,
        security=other,
        action=Action.BUY,
        trade_date=TODAY(),
        quantity=Decimal("1"),
        price=Decimal("10"),
        recorded_by=advisor,
    )
    assert not WashAlert.objects.exists()


def test_a_sale_at_a_gain_opens_no_window(harvest: Recommendation, advisor: Advisor) -> None:
    gain_lot = harvest.account.lots.exclude(pk=harvest.lot_id).get()  # bought at 10, now 12.50
    client_services.transaction_record(
        account=gain_lot.account,
        security=gain_lot.security,
        action=Action.SELL,
        trade_date=TODAY(),
        quantity=Decimal("10"),
        price=Decimal("12.50"),
        lot=gain_lot,
        recorded_by=advisor,
    )
    assert not WashWatch.objects.exists()


def test_a_sale_recorded_through_the_api_is_matched(
    harvest: Recommendation, advisor: Advisor, api_for: object
) -> None:
    approve(harvest, advisor)
    body = {
        "account": str(harvest.account.public_id),
        "security": harvest.security.symbol,
        "action": "sell",
        "trade_date": TODAY().isoformat(),
        "quantity": f"{harvest.quantity}",
        "price": f"{harvest.price}",
        "lot": str(harvest.lot.public_id),
    }
    response = api_for(advisor).post("/api/v1/transactions/", body, format="json")
    assert response.status_code == 201, response.content
    harvest.refresh_from_db()
    assert harvest.status == "executed" and harvest.fill == "exact"
    assert WashWatch.objects.filter(recommendation=harvest).exists()
    assert harvest.decisions.filter(decision="match", decided_by=None).exists()

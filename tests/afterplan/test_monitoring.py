"""Monitoring: the nightly refresh picks up a price drop past the thresholds, a finished run
sends ``year_end_run.finished``, and each advisor gets a daily digest."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from advisors.models import Advisor, WebhookDelivery, WebhookEndpoint
from clients.models import Household, Price
from taxlogic import digest, year_end
from taxlogic.models import YearEndRun
from tests.plans.conftest import TODAY, review

pytestmark = pytest.mark.django_db


def _changed(household: Household) -> bool:
    found = year_end.changed_households(firm=household.firm, tax_year=TODAY().year)
    return found.filter(pk=household.pk).exists()


def test_the_nightly_refresh_picks_up_a_price_drop(
    households: dict[str, Household], django_capture_on_commit_callbacks: object
) -> None:
    household = households["advisor"]  # one lot: 100 shares, basis 1,000, at 12.50 (a gain)
    review(household)
    assert not _changed(household)
    lot = household.accounts.get().lots.get()
    price = Price.objects.get(security=lot.security, date=TODAY())
    price.close = Decimal("9.80")  # a $20 loss: under the $250 threshold
    price.save()
    assert not _changed(household)
    price.close = Decimal("7.00")  # $300 and 30%: past both thresholds
    price.save()
    assert _changed(household)
    later = timezone.now() + datetime.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        runs = year_end.households_refresh_changed(now=later)
    firm_run = next(r for r in runs if r.firm_id == household.firm_id)
    assert firm_run.trigger == "refresh"
    assert firm_run.households.filter(household=household).exists()
    plan = household.action_plans.get(is_current=True)
    assert plan.recommendations.filter(kind="harvest", lot=lot).exists()
    assert not _changed(household)  # reviewed, and the plan sells it: quiet again


def test_a_finished_run_sends_its_webhook(
    households: dict[str, Household], django_capture_on_commit_callbacks: object
) -> None:
    household = households["advisor"]
    WebhookEndpoint.objects.create(firm=household.firm, url="https://example.com/h", secret="s")
    with django_capture_on_commit_callbacks(execute=False):
        runs = year_end.households_refresh_changed()
    from taxlogic.tasks import year_end_fan_out

    year_end_fan_out(runs[0].pk)
    run = YearEndRun.objects.get(pk=runs[0].pk)
    assert run.status == "completed"
    delivery = WebhookDelivery.objects.get(event="year_end_run.finished")
    assert delivery.payload["run"] == str(run.public_id)
    assert delivery.payload["total"] == run.total and delivery.payload["done"] == run.done


def test_the_daily_digest(households: dict[str, Household], advisor: Advisor) -> None:
    from tests.plans.conftest import add_loss

    advisor.email = "advisor@example.com"
    advisor.save()
    household = households["advisor"]
    add_loss(household)
    review(household)
    assert digest.digests_send() >= 1
    sent = [m for m in mail.outbox if m.to == ["advisor@example.com"]]
    assert len(sent) == 1
    assert "New harvests to decide: 1" in sent[0].body and household.name in sent[0].body
    assert "Plans changed" in sent[0].body
    mail.outbox.clear()
    assert digest.digests_send(now=timezone.now() + datetime.timedelta(days=2)) == 0

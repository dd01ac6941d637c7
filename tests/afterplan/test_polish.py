"""Polish: the menu, no policy keys or file names in what users read, one money format, the
401(k) myths box wherever there is a tax-advantaged account, the webhook page's retry text."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from advisors.models import Advisor
from advisors.webhooks import MAX_ATTEMPTS, retry_delay
from taxlogic.models import Recommendation
from taxlogic.templatetags.plans import citation, dollars, money
from tests.afterplan.conftest import ira_of
from tests.plans.conftest import review

pytestmark = pytest.mark.django_db


def test_integrations_in_the_menu_for_firm_admins_only(
    advisor: Advisor, firm_admin: Advisor, client_for: object
) -> None:
    url = reverse("clients:household_list")
    assert "Integrations" in client_for(firm_admin).get(url).content.decode()
    assert "Integrations" not in client_for(advisor).get(url).content.decode()


def test_no_policy_keys_or_file_names_in_the_plan(
    harvest: Recommendation, advisor: Advisor, client_for: object
) -> None:
    ira_of(harvest.household)
    review(harvest.household)
    page = client_for(advisor).get(reverse("taxlogic:plan", args=[harvest.household.public_id]))
    text = page.content.decode()
    visible = text.replace('title="', "\x00")  # what is in a title is for compliance
    assert "Policy:" not in text
    for chunk in visible.split("\x00")[1:]:
        visible = visible.replace(chunk.split('"', 1)[0], "")
    assert "tax-rules.md" not in visible and "earlier_acquired_lot_is_replacement" not in visible
    assert "earlier_acquired_lot_is_replacement" in text  # kept in a tooltip


def test_the_myths_box_with_a_taxable_account_and_an_ira(
    harvest: Recommendation, advisor: Advisor, client_for: object
) -> None:
    url = reverse("taxlogic:plan", args=[harvest.household.public_id])
    assert "Advice you may read" not in client_for(advisor).get(url).content.decode()
    ira_of(harvest.household)
    review(harvest.household)
    assert "Advice you may read" in client_for(advisor).get(url).content.decode()


def test_one_money_format() -> None:
    assert money(Decimal("1088")) == "$1,088.00" and money("94.86") == "$94.86"
    assert money(Decimal("-3405")) == "-$3,405.00" and dollars(Decimal("1088.49")) == "$1,088"
    assert citation("IRC §1091(a); tax-rules.md §2") == "IRC §1091(a); the firm's tax rules, §2"


def test_the_webhook_page_tells_the_real_retry_schedule(
    firm_admin: Advisor, client_for: object
) -> None:
    waits = [retry_delay(n) for n in range(1, MAX_ATTEMPTS)]
    assert MAX_ATTEMPTS == 8 and sum(waits, timedelta()) == timedelta(hours=2, minutes=7)
    text = client_for(firm_admin).get(reverse("webhook_endpoints")).content.decode()
    assert "8 times" in text and "2 hours 7 minutes" in text and "up to a day" not in text

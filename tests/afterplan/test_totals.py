"""Totals that follow decisions: dismissed harvests leave every total, executed ones move to
harvested this year with the tax saved credited and the realized loss beside the estimate."""

from __future__ import annotations

import pytest
from django.urls import reverse

from advisors.models import Advisor
from clients.models import Household
from taxlogic import selectors, services
from taxlogic.models import Recommendation
from tests.afterplan.conftest import approve, sell
from tests.plans.conftest import TODAY, add_loss, review

pytestmark = pytest.mark.django_db


def _book(advisor: Advisor) -> selectors.Book:
    from advisors import scoping

    return selectors.book_summary(scoping.visible(advisor, Household), tax_year=TODAY().year)


def _row(household: Household) -> Household:
    qs = Household.objects.filter(pk=household.pk)
    return selectors.with_plan_figures(qs, tax_year=TODAY().year).get()


def test_dismissed_leaves_every_total(
    harvest: Recommendation, advisor: Advisor, client_for: object
) -> None:
    household = harvest.household
    book = _book(advisor)
    assert book.harvest_loss == harvest.estimated_loss and book.open_loss == harvest.estimated_loss
    assert book.tax_saved == harvest.tax_saved > 0
    services.recommendation_decide(
        recommendation=harvest, user=advisor, decision="dismiss", reason="client says no"
    )
    book = _book(advisor)
    assert (book.harvest_loss, book.tax_saved, book.open_loss) == (0, 0, 0)
    row = _row(household)
    assert (row.plan_loss, row.plan_saved) == (0, 0)
    page = client_for(advisor).get(reverse("clients:household_list")).content.decode()
    assert f"${harvest.estimated_loss:,.2f}" not in page


def test_approved_then_executed_moves_to_harvested_with_the_realized_figure(
    harvest: Recommendation, advisor: Advisor
) -> None:
    household = harvest.household
    approve(harvest, advisor)
    book = _book(advisor)
    assert book.approved_loss == harvest.estimated_loss and book.open_loss == 0
    sale = sell(harvest, advisor)
    harvest.refresh_from_db()
    assert harvest.status == "executed" and harvest.sale == sale and harvest.fill == "exact"
    assert harvest.realized_loss == sale.basis_relieved - sale.amount
    assert harvest.credited_tax_saved == harvest.tax_saved
    # A new review no longer lists the lot sold: the harvest stays credited.
    review(household)
    book = _book(advisor)
    assert book.executed_loss == harvest.estimated_loss
    assert book.realized_loss == harvest.realized_loss
    assert book.credited_saved == harvest.tax_saved and book.tax_saved >= harvest.tax_saved
    row = _row(household)
    assert row.loss_executed == harvest.estimated_loss and row.loss_open == 0


def test_totals_on_the_plan_page_follow_the_decision(
    harvest: Recommendation, advisor: Advisor, client_for: object
) -> None:
    client = client_for(advisor)
    url = reverse("taxlogic:plan", args=[harvest.household.public_id])
    page = client.get(url)
    assert page.context["page"].totals.open_loss == harvest.estimated_loss
    services.recommendation_decide(
        recommendation=harvest, user=advisor, decision="dismiss", reason="no"
    )
    page = client.get(url)
    totals = page.context["page"].totals
    assert totals.harvest_loss == 0 and totals.tax_saved == 0 and totals.dismissed == 1


def test_a_partial_fill_waits_for_the_advisor(harvest: Recommendation, advisor: Advisor) -> None:
    approve(harvest, advisor)
    sell(harvest, advisor, quantity=harvest.quantity / 2)
    harvest.refresh_from_db()
    assert harvest.status == "approved" and harvest.fill == "partial"
    done = services.recommendation_decide(recommendation=harvest, user=advisor, decision="execute")
    assert done.status == "executed" and done.fill == "confirmed"
    assert done.credited_tax_saved == (harvest.tax_saved / 2).quantize(harvest.tax_saved)


def test_a_second_household_counts_apart(
    harvest: Recommendation, advisor: Advisor, households: dict
) -> None:
    other = households["team_lead"]
    add_loss(other)
    review(other)
    assert _book(advisor).households == 1  # the advisor's book holds only their household


def test_harvests_that_save_nothing_this_year_are_grouped_apart(
    households: dict, advisor: Advisor, client_for: object
) -> None:
    household = households["advisor"]
    profile = household.tax_profiles.get()
    profile.carryforward_short_term = 35000  # the $3,000 deduction is used already
    profile.save()
    add_loss(household)
    harvest = review(household).recommendations.get(kind="harvest")
    assert harvest.tax_saved == 0 and harvest.carryforward_added > 0
    page = client_for(advisor).get(reverse("taxlogic:plan", args=[household.public_id]))
    assert page.context["page"].carry_only == [harvest]
    assert "Saves nothing this year" in page.content.decode()

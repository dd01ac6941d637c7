"""The carryforward ledger: per person, per character, per year, with where each came from
(tax-rules.md §4.4); rolled at a new year, confirmed or corrected with a reason, fed to the
engine."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pgtrigger
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from advisors.models import Advisor
from clients import ledger
from clients.models import (
    CarryforwardEntry,
    CarryforwardSource,
    Character,
    FilingStatus,
    Household,
    TaxProfile,
)
from taxlogic import services
from tests.bookrecords.conftest import PRIOR, THIS_YEAR, TODAY, review_year

pytestmark = pytest.mark.django_db
D = Decimal
ST, LT = Character.SHORT_TERM, Character.LONG_TERM


def _in_force(household: Household, year: int) -> dict[tuple[str, str], Decimal]:
    """{(first name, character): amount} of the entries in force for ``year``."""
    current = ledger.ledger_current(
        CarryforwardEntry.objects.filter(household=household, tax_year=year)
    )
    names = {p.pk: p.name.split()[0] for p in household.people.all()}
    return {(names[pid], c): e.amount for (_, pid, c), e in current.items()}


def test_the_new_year_rolls_from_last_years_plan_by_owner(couple: Household) -> None:
    plan = review_year(couple, PRIOR)
    written = ledger.carryforward_roll(household=couple, tax_year=THIS_YEAR)
    assert len(written) == 4
    assert _in_force(couple, THIS_YEAR) == {
        ("Ann", ST): D("3000.00"),
        ("Ann", LT): D("0.00"),
        ("Bob", ST): D("0.00"),
        ("Bob", LT): D("5000.00"),
    }
    entry = CarryforwardEntry.objects.get(person__name="Bob Ledger", character=LT)
    assert entry.source == CarryforwardSource.ENGINE  # the engine run on the plan's inputs
    assert entry.rolled_from_year == PRIOR and entry.rolled_from_plan == plan.public_id
    assert f"Carryforward out of {PRIOR}" in entry.reason and "§1212(b)" in entry.reason
    # Rolling again changes nothing: the same plan, the same figures.
    assert ledger.carryforward_roll(household=couple, tax_year=THIS_YEAR) == []
    assert CarryforwardEntry.objects.count() == 4


def test_the_roll_carries_on_across_two_years(couple: Household) -> None:
    review_year(couple, PRIOR)
    ledger.carryforward_roll(household=couple, tax_year=THIS_YEAR)
    # This year's review gets the ledger by person; nothing is realized this year, so the
    # 3,000 deduction uses Ann's short-term loss and Bob's long-term loss carries on.
    plan = review_year(couple, THIS_YEAR)
    case = plan.reviews.get(reused=False).inputs["case"]
    assert case["carryforward_in"]["short_term"] == "3000.00"
    assert case["carryforward_in"]["long_term"] == "5000.00"
    ledger.carryforward_roll(household=couple, tax_year=THIS_YEAR + 1)
    assert _in_force(couple, THIS_YEAR + 1) == {
        ("Ann", ST): D("0.00"),
        ("Ann", LT): D("0.00"),
        ("Bob", ST): D("0.00"),
        ("Bob", LT): D("5000.00"),
    }


def test_a_death_ends_the_decedents_share_after_the_final_return(couple: Household) -> None:
    review_year(couple, PRIOR)
    bob = couple.people.get(name="Bob Ledger")
    bob.date_of_death = datetime.date(PRIOR, 9, 1)  # the prior year is his final return
    bob.save()
    ledger.carryforward_roll(household=couple, tax_year=THIS_YEAR)
    assert _in_force(couple, THIS_YEAR) == {
        ("Ann", ST): D("3000.00"),
        ("Ann", LT): D("0.00"),
        ("Bob", ST): D("0.00"),
        ("Bob", LT): D("0.00"),
    }
    ended = CarryforwardEntry.objects.get(person=bob, character=LT)
    assert "died" in ended.reason and f"final return ({PRIOR})" in ended.reason


def test_a_death_this_year_keeps_the_share_for_the_final_return(couple: Household) -> None:
    review_year(couple, PRIOR)
    bob = couple.people.get(name="Bob Ledger")
    bob.date_of_death = datetime.date(THIS_YEAR, 2, 1)  # this year's return is his final one
    bob.save()
    ledger.carryforward_roll(household=couple, tax_year=THIS_YEAR)
    assert _in_force(couple, THIS_YEAR)[("Bob", LT)] == D("5000.00")


def test_joint_to_separate_each_spouse_keeps_their_own(couple: Household) -> None:
    review_year(couple, PRIOR)
    TaxProfile.objects.filter(household=couple, tax_year=THIS_YEAR).update(
        filing_status=FilingStatus.MARRIED_SEPARATE
    )
    ledger.carryforward_roll(household=couple, tax_year=THIS_YEAR)
    assert _in_force(couple, THIS_YEAR) == {
        ("Ann", ST): D("3000.00"),
        ("Ann", LT): D("0.00"),
        ("Bob", ST): D("0.00"),
        ("Bob", LT): D("5000.00"),
    }
    entry = CarryforwardEntry.objects.get(person__name="Ann Ledger", character=ST)
    assert "separate" in entry.reason and "property they owned" in entry.reason


def test_the_engines_figures_by_person_are_used_as_they_are(couple: Household) -> None:
    plan = review_year(couple, PRIOR)
    ann, bob = couple.people.get(name="Ann Ledger"), couple.people.get(name="Bob Ledger")
    plan.result = {
        **plan.result,
        "summary": {
            "carryforward_out": {
                "short_term": "3000.00",
                "long_term": "5000.00",
                "by_person": {
                    str(ann.public_id): {"short_term": "1000.00", "long_term": "2500.00"},
                    str(bob.public_id): {"short_term": "2000.00", "long_term": "2500.00"},
                },
            }
        },
    }
    # A delivered plan is immutable (taxlogic/history.py): the figures are forged past the guard.
    with pgtrigger.ignore("taxlogic.ActionPlan:plan_result_immutable"):
        plan.save()
    ledger.carryforward_roll(household=couple, tax_year=THIS_YEAR)
    sources = set(CarryforwardEntry.objects.values_list("source", flat=True))
    assert sources == {CarryforwardSource.ROLLED}  # the plan's own stored figures
    assert _in_force(couple, THIS_YEAR) == {
        ("Ann", ST): D("1000.00"),
        ("Ann", LT): D("2500.00"),
        ("Bob", ST): D("2000.00"),
        ("Bob", LT): D("2500.00"),
    }


def test_a_correction_with_a_reason_leaves_the_original(
    couple: Household, advisor: Advisor
) -> None:
    review_year(couple, PRIOR)
    ledger.carryforward_roll(household=couple, tax_year=THIS_YEAR)
    ann = couple.people.get(name="Ann Ledger")
    rolled = CarryforwardEntry.objects.get(person=ann, character=ST)
    entry = ledger.carryforward_enter(
        user=advisor,
        household=couple,
        person=ann,
        tax_year=THIS_YEAR,
        character=ST,
        amount="2,750.00",
        reason="As on the filed return, Schedule D line 6",
    )
    assert entry.source == CarryforwardSource.ENTERED and entry.entered_by == advisor
    assert _in_force(couple, THIS_YEAR)[("Ann", ST)] == D("2750.00")
    rolled.refresh_from_db()
    assert rolled.amount == D("3000.00")  # the original stays, superseded
    # A roll afterwards does not override the advisor's figure.
    assert ledger.carryforward_roll(household=couple, tax_year=THIS_YEAR) == []
    inputs = services.household_inputs(couple, tax_year=THIS_YEAR, as_of=TODAY())
    carry = inputs.snapshot["case"]["carryforward_in"]
    assert carry["short_term"] == "2750.00"
    assert carry["by_person"][str(ann.public_id)] == {
        "short_term": "2750.00",
        "long_term": "0.00",
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": "  "}, "reason"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"character": "medium"}, "character"),
        ({"tax_year": 1850}, "tax_year"),
    ],
)
def test_a_bad_entry_names_its_field_and_writes_nothing(
    couple: Household, advisor: Advisor, changes: dict, field: str
) -> None:
    values = {
        "person": couple.people.get(name="Ann Ledger"),
        "tax_year": THIS_YEAR,
        "character": ST,
        "amount": "100",
        "reason": "Return",
        **changes,
    }
    with pytest.raises(ValidationError) as error:
        ledger.carryforward_enter(user=advisor, household=couple, **values)
    assert field in error.value.message_dict
    assert not CarryforwardEntry.objects.exists()


def test_only_those_who_may_change_the_household_enter(
    couple: Household, compliance: Advisor, teammate: Advisor
) -> None:
    for user in (compliance, teammate):
        with pytest.raises(PermissionDenied):
            ledger.carryforward_enter(
                user=user,
                household=couple,
                person=couple.people.get(name="Ann Ledger"),
                tax_year=THIS_YEAR,
                character=ST,
                amount="100",
                reason="Return",
            )
    assert not CarryforwardEntry.objects.exists()


def test_the_snapshot_falls_back_to_the_profile_without_a_ledger(couple: Household) -> None:
    TaxProfile.objects.filter(household=couple, tax_year=THIS_YEAR).update(
        carryforward_short_term=D("1234.00")
    )
    inputs = services.household_inputs(couple, tax_year=THIS_YEAR, as_of=TODAY())
    assert inputs.snapshot["case"]["carryforward_in"] == {
        "short_term": "1234.00",
        "long_term": "0.00",
    }


def test_the_engine_is_fed_the_ledger_by_person(couple: Household) -> None:
    review_year(couple, PRIOR)
    ledger.carryforward_roll(household=couple, tax_year=THIS_YEAR)
    inputs = services.household_inputs(couple, tax_year=THIS_YEAR, as_of=TODAY())
    carry = inputs.snapshot["case"]["carryforward_in"]
    by_person = carry["by_person"]
    assert set(by_person) == {str(p.public_id) for p in couple.people.all()}
    for character in ("short_term", "long_term"):
        assert sum(D(row[character]) for row in by_person.values()) == D(carry[character])
    # The profile's own totals are not used when the ledger has the year.
    assert carry["short_term"] == "3000.00" and carry["long_term"] == "5000.00"


def test_confirming_copies_the_rolled_figures(couple: Household, advisor: Advisor) -> None:
    review_year(couple, PRIOR)
    ledger.carryforward_roll(household=couple, tax_year=THIS_YEAR)
    assert ledger.carryforward_confirm(user=advisor, household=couple, tax_year=THIS_YEAR) == 4
    current = ledger.ledger_current(CarryforwardEntry.objects.filter(household=couple))
    assert {e.source for e in current.values()} == {CarryforwardSource.ENTERED}
    assert _in_force(couple, THIS_YEAR)[("Bob", LT)] == D("5000.00")


def test_the_new_years_task_rolls_every_household(couple: Household) -> None:
    from clients.tasks import carryforwards_roll_new_year
    from config.celery import app

    entry = app.conf.beat_schedule["carryforwards-roll-new-year"]
    assert entry["task"] == "clients.tasks.carryforwards_roll_new_year"
    review_year(couple, PRIOR)
    assert carryforwards_roll_new_year(THIS_YEAR) == 4
    assert carryforwards_roll_new_year(THIS_YEAR) == 0
    assert _in_force(couple, THIS_YEAR)[("Ann", ST)] == D("3000.00")


def test_running_a_review_from_the_page_rolls_first(couple: Household, advisor: Advisor) -> None:
    review_year(couple, PRIOR)
    services.review_request(household=couple, user=advisor)
    assert _in_force(couple, THIS_YEAR)[("Bob", LT)] == D("5000.00")

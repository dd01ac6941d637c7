"""advisors/scoping.py: the one answer to "what may this user see, and change"."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.http import Http404

from advisors import scoping
from advisors.models import Advisor, Role
from clients.models import Account, Household, Person, TaxLot, TaxProfile, Transaction
from tests.conftest import ACCESS, HOUSEHOLD_KEYS, USERS
from tests.factories import AdvisorFactory, TeamFactory

HOUSEHOLD_OWNED = [
    (Household, ""),
    (Person, "household__"),
    (Account, "household__"),
    (TaxProfile, "household__"),
    (TaxLot, "account__household__"),
    (Transaction, "account__household__"),
]


def _households_of(model: type, prefix: str, queryset: object) -> set[str]:
    return set(queryset.values_list(f"{prefix}name", flat=True))


@pytest.mark.parametrize("user_key", USERS)
@pytest.mark.parametrize(("model", "prefix"), HOUSEHOLD_OWNED)
def test_visible_and_writable_follow_the_role(
    users: dict, households: dict, user_key: str, model: type, prefix: str
) -> None:
    user = users[user_key]
    names = {key: households[key].name for key in HOUSEHOLD_KEYS}
    expected_visible = {names[k] for k in ACCESS[user_key]}
    expected_writable = {names[k] for k, access in ACCESS[user_key].items() if access == "rw"}

    assert _households_of(model, prefix, scoping.visible(user, model)) == expected_visible
    assert _households_of(model, prefix, scoping.writable(user, model)) == expected_writable


@pytest.mark.parametrize("user_key", USERS)
def test_object_for_user_returns_the_object_and_whether_writable_or_404(
    users: dict, households: dict, user_key: str
) -> None:
    user = users[user_key]
    for key in HOUSEHOLD_KEYS:
        household = households[key]
        access = ACCESS[user_key].get(key)
        if access is None:
            with pytest.raises(Http404):
                scoping.object_for_user(user, Household, public_id=household.public_id)
            assert scoping.can_write(user, household) is False
            continue
        found, may_write = scoping.object_for_user(user, Household, public_id=household.public_id)
        assert found == household
        assert may_write is (access == "rw")
        assert scoping.can_write(user, household) is (access == "rw")


def test_a_team_lead_also_keeps_their_own_households_in_another_team(
    team_lead: Advisor, households: dict, south: object
) -> None:
    own = households["team_lead"]
    own.team = south
    own.save()
    assert own in scoping.households_visible_to(team_lead)
    assert households["other_team_advisor"] not in scoping.households_visible_to(team_lead)


def test_superuser_sees_and_changes_every_firm(superuser: Advisor, households: dict) -> None:
    assert set(scoping.households_visible_to(superuser)) == set(households.values())
    assert set(scoping.households_writable_by(superuser)) == set(households.values())


def test_an_inactive_user_sees_nothing(advisor: Advisor, households: dict) -> None:
    advisor.is_active = False
    advisor.save()
    assert not scoping.households_visible_to(advisor).exists()
    assert not scoping.lots_visible_to(advisor).exists()


def test_people_scope(users: dict, households: dict, superuser: Advisor) -> None:
    firm_a_people = {u for k, u in users.items() if k != "outsider"}
    assert set(scoping.people_visible_to(users["firm_admin"])) == firm_a_people
    assert set(scoping.people_visible_to(users["compliance"])) == firm_a_people
    assert set(scoping.writable(users["firm_admin"], Advisor)) == firm_a_people
    assert not scoping.writable(users["compliance"], Advisor).exists()
    assert set(scoping.people_visible_to(users["team_lead"])) == {
        users["advisor"],
        users["teammate"],
        users["team_lead"],
    }
    assert set(scoping.people_visible_to(users["advisor"])) == {users["advisor"]}
    assert not scoping.writable(users["advisor"], Advisor).exists()
    assert superuser not in scoping.people_visible_to(users["firm_admin"])


def test_lot_scope_uses_the_denormalized_firm_column(advisor: Advisor, households: dict) -> None:
    sql = str(scoping.lots_visible_to(advisor).query)
    assert '"clients_taxlot"."firm_id" =' in sql


def test_unscoped_models_are_refused(advisor: Advisor) -> None:
    # Prices and securities are scoped now (shared reference data); external refs are reached
    # only through the household, person or account they belong to.
    from clients.models import ExternalRef

    with pytest.raises(LookupError):
        scoping.visible(advisor, ExternalRef)


def test_a_team_lead_needs_a_team(firm_a: object) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        AdvisorFactory(firm=firm_a, team=None, role=Role.TEAM_LEAD)


def test_staff_status_follows_the_role(firm_a: object, north: object) -> None:
    assert AdvisorFactory(firm=firm_a, team=None, role=Role.FIRM_ADMIN).is_staff
    assert AdvisorFactory(firm=firm_a, team=None, role=Role.COMPLIANCE).is_staff
    plain = AdvisorFactory(team=north, role=Role.ADVISOR, is_staff=True)
    plain.refresh_from_db()
    assert plain.is_staff is False


def test_an_advisor_team_must_be_in_their_firm(firm_b: object, north: object) -> None:
    from django.core.exceptions import ValidationError

    person = AdvisorFactory.build(firm=firm_b, team=north)
    with pytest.raises(ValidationError) as exc:
        person.full_clean()
    assert "team" in exc.value.message_dict


def test_teams_and_firms_are_scoped(users: dict, firm_a: object, firm_b: object) -> None:
    from advisors.models import Firm, Team

    TeamFactory(firm=firm_b, name="West")
    assert set(scoping.visible(users["compliance"], Firm)) == {firm_a}
    assert {t.firm_id for t in scoping.visible(users["advisor"], Team)} == {firm_a.pk}
    assert not scoping.writable(users["compliance"], Team).exists()
    assert scoping.writable(users["firm_admin"], Team).count() == 2

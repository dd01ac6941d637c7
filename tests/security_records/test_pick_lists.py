"""Firm-level pick lists go through advisors/scoping.py (``teams_visible``,
``advisors_visible``, ``api_clients_visible``): the trade blotter's team and advisor filters,
the access report's advisors and API clients, the security log's people and events. Nobody
sees another firm's; an advisor and a team lead see only what scoping lets them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from advisors import scoping, services
from advisors.models import Advisor, Role, SecurityEvent, Team
from advisors.security_models import SecurityEventKind
from tests.factories import AdvisorFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def firm_b_people(outsider: Advisor) -> dict[str, object]:
    """Firm B: a second team, an admin, an API client and a security event."""
    west = TeamFactory(firm=outsider.firm, name="West")
    admin_b = AdvisorFactory(username="admin_b", firm=outsider.firm, team=None, role="firm_admin")
    client_b, _ = services.api_client_create(
        firm=outsider.firm, name="Firm B CRM", scopes=["read"], created_by=admin_b
    )
    SecurityEvent.objects.create(
        kind=SecurityEventKind.PASSWORD_CHANGED, firm=outsider.firm, actor=outsider
    )
    return {"west": west, "admin": admin_b, "client": client_b}


def _names(rows: object) -> set[str]:
    return {getattr(r, "name", None) or r.username for r in rows}


def test_the_blotters_filters_by_role(
    client_for: object,
    households: dict,
    advisor: Advisor,
    team_lead: Advisor,
    firm_admin: Advisor,
    compliance: Advisor,
    firm_b_people: dict,
) -> None:
    def filters(user: Advisor) -> tuple[set[str], set[str]]:
        page = client_for(user).get(reverse("taxlogic:blotter"))
        assert page.status_code == 200
        return _names(page.context["teams"]), _names(page.context["advisors"])

    # An advisor: their own team and themselves (they see only their own households).
    assert filters(advisor) == ({"North"}, {"advisor"})
    # A team lead: their team and its people.
    teams, people = filters(team_lead)
    assert teams == {"North"}
    assert people == {"advisor", "teammate", "team_lead"}
    # The firm's admin and compliance: every team and person of firm A, none of firm B's.
    for user in (firm_admin, compliance):
        teams, people = filters(user)
        assert teams == {"North", "South"}, user
        assert {"advisor", "other_team_advisor", "firm_admin", "compliance"} <= people
        assert not people & {"outsider", "admin_b"}
    assert filters(firm_b_people["admin"])[0] == {"East", "West"}


def test_a_team_lead_also_sees_the_team_of_a_household_they_advise(
    households: dict, team_lead: Advisor, south: Team
) -> None:
    """A team lead who is the primary advisor of a household of another team sees it
    (scoping.py): that team joins their filter, no other."""
    TeamFactory(firm=south.firm, name="Central")
    household = households["team_lead"]
    household.team = south
    household.save()
    assert _names(scoping.teams_visible(team_lead)) == {"North", "South"}


def test_the_access_reports_lists_are_the_firms(
    client_for: object, compliance: Advisor, advisor: Advisor, firm_b_people: dict
) -> None:
    mine, _ = services.api_client_create(
        firm=compliance.firm,
        name="Firm A CRM",
        scopes=["read"],
        created_by=AdvisorFactory(firm=compliance.firm, team=None, role=Role.FIRM_ADMIN),
    )
    page = client_for(compliance).get("/accounts/access-report/")
    assert page.status_code == 200
    people = _names(page.context["advisors"])
    assert {"advisor", "compliance"} <= people and not people & {"outsider", "admin_b"}
    assert [c.name for c in page.context["clients"]] == [mine.name]
    # Naming firm B's API client in the report: not found.
    refused = client_for(compliance).get(
        "/accounts/access-report/", {"client": str(firm_b_people["client"].public_id)}
    )
    assert refused.status_code == 404


def test_the_security_log_shows_the_firms_people_and_events(
    client_for: object, firm_admin: Advisor, advisor: Advisor, firm_b_people: dict
) -> None:
    SecurityEvent.objects.create(
        kind=SecurityEventKind.PASSWORD_CHANGED, firm=advisor.firm, actor=advisor
    )
    page = client_for(firm_admin).get(reverse("security_log"))
    assert page.status_code == 200
    people = _names(page.context["people"])
    assert {"advisor", "firm_admin"} <= people and not people & {"outsider", "admin_b"}
    assert {e.firm_id for e in page.context["events"]} == {advisor.firm_id}
    # The pick lists of a plain advisor: themselves only; of an API client: its firm.
    assert _names(scoping.advisors_visible(advisor)) == {"advisor"}
    client_b = firm_b_people["client"]
    assert _names(scoping.teams_visible(client_b)) == {"East", "West"}
    assert [c.name for c in scoping.api_clients_visible(client_b)] == ["Firm B CRM"]
    assert not scoping.advisors_visible(client_b).filter(firm=advisor.firm).exists()

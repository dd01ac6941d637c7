"""The admin goes through scoping too: firm admins manage their firm, compliance only reads."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from advisors.models import Advisor
from clients.models import Household, Price, TaxLot
from tests.factories import PriceFactory

MODELS = sorted(
    (m._meta.app_label, m._meta.model_name)
    for m in admin.site._registry
    if m._meta.app_label in ("advisors", "clients")
)


def _url(model: tuple[str, str], view: str, *args: object) -> str:
    return reverse(f"admin:{model[0]}_{model[1]}_{view}", args=args)


def test_every_model_is_in_the_admin() -> None:
    assert MODELS == [
        ("advisors", "advisor"),
        ("advisors", "apiclient"),
        ("advisors", "firm"),
        ("advisors", "team"),
        ("advisors", "webhookdelivery"),
        ("advisors", "webhookendpoint"),
        ("clients", "account"),
        ("clients", "carryforwardentry"),
        ("clients", "household"),
        ("clients", "person"),
        ("clients", "price"),
        ("clients", "replacement"),
        ("clients", "replacementlistversion"),
        ("clients", "security"),
        ("clients", "taxlot"),
        ("clients", "taxprofile"),
        ("clients", "transaction"),
    ]


@pytest.mark.parametrize("model", MODELS)
def test_compliance_reads_every_changelist_but_cannot_add(
    compliance: Advisor, households: dict, client_for: object, model: tuple[str, str]
) -> None:
    client = client_for(compliance)
    assert client.get(_url(model, "changelist")).status_code == 200
    assert client.get(_url(model, "add")).status_code == 403
    assert client.post(_url(model, "add"), {}).status_code == 403


def test_compliance_sees_only_the_firm(
    compliance: Advisor, households: dict, client_for: object
) -> None:
    html = client_for(compliance).get(_url(("clients", "household"), "changelist")).content
    html = html.decode()
    for key in ("advisor", "teammate", "team_lead", "other_team_advisor"):
        assert households[key].name in html
    assert households["outsider"].name not in html


def test_compliance_cannot_change_or_delete_in_the_admin(
    compliance: Advisor, households: dict, client_for: object
) -> None:
    client = client_for(compliance)
    household = households["advisor"]
    lot = TaxLot.objects.get(account__household=household)
    price = PriceFactory()
    targets = [
        (("clients", "household"), household.pk),
        (("clients", "taxlot"), lot.pk),
        (("clients", "price"), price.pk),
        (("advisors", "advisor"), household.primary_advisor.pk),
    ]
    for model, pk in targets:
        change = _url(model, "change", pk)
        page = client.get(change)
        assert page.status_code == 200  # read-only view
        assert b'name="_save"' not in page.content
        assert client.post(change, {"name": "Renamed"}).status_code == 403
        assert client.get(_url(model, "delete", pk)).status_code == 403
        assert client.post(_url(model, "delete", pk), {"post": "yes"}).status_code == 403
    household.refresh_from_db()
    assert household.name != "Renamed"
    assert Price.objects.filter(pk=price.pk).exists()
    # The changelist's bulk delete is not offered either.
    client.post(
        _url(("clients", "household"), "changelist"),
        {"action": "delete_selected", "_selected_action": [household.pk], "post": "yes"},
    )
    assert Household.objects.filter(pk=household.pk).exists()
    password_url = reverse("admin:auth_user_password_change", args=[household.primary_advisor.pk])
    password_data = {"password1": "x" * 20, "password2": "x" * 20}
    assert client.post(password_url, password_data).status_code == 403


def test_firm_admin_sees_and_changes_only_their_firm(
    firm_admin: Advisor, households: dict, client_for: object
) -> None:
    client = client_for(firm_admin)
    html = client.get(_url(("clients", "household"), "changelist")).content.decode()
    assert households["other_team_advisor"].name in html
    assert households["outsider"].name not in html

    outsider_household = households["outsider"]
    response = client.get(_url(("clients", "household"), "change", outsider_household.pk))
    assert response.status_code == 302  # "doesn't exist" back to the admin index
    assert response["Location"] == reverse("admin:index")

    own = households["other_team_advisor"]
    form = client.get(_url(("clients", "household"), "change", own.pk)).context["adminform"].form
    assert set(form.fields["firm"].queryset) == {firm_admin.firm}
    assert {t.firm_id for t in form.fields["team"].queryset} == {firm_admin.firm_id}
    assert outsider_household.primary_advisor not in form.fields["primary_advisor"].queryset


def test_firm_admin_can_rename_a_household_in_the_admin(
    firm_admin: Advisor, households: dict, client_for: object
) -> None:
    household = households["advisor"]
    data = {
        "firm": household.firm_id,
        "team": household.team_id,
        "primary_advisor": household.primary_advisor_id,
        "name": "Renamed Family",
        "external_crm_id": household.external_crm_id,
        "people-TOTAL_FORMS": "0",
        "people-INITIAL_FORMS": "0",
    }
    response = client_for(firm_admin).post(
        _url(("clients", "household"), "change", household.pk), data
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    household.refresh_from_db()
    assert household.name == "Renamed Family"


def test_moving_a_household_to_another_team_moves_its_lots(
    firm_admin: Advisor, households: dict, south: object, client_for: object
) -> None:
    household = households["advisor"]
    data = {
        "firm": household.firm_id,
        "team": south.pk,
        "primary_advisor": household.primary_advisor_id,
        "name": household.name,
        "external_crm_id": household.external_crm_id,
        "people-TOTAL_FORMS": "0",
        "people-INITIAL_FORMS": "0",
    }
    client_for(firm_admin).post(_url(("clients", "household"), "change", household.pk), data)
    assert set(
        TaxLot.objects.filter(account__household=household).values_list("team_id", flat=True)
    ) == {south.pk}


def test_advisors_are_not_admin_users(
    advisor: Advisor, team_lead: Advisor, client_for: object
) -> None:
    for user in (advisor, team_lead):
        response = client_for(user).get(reverse("admin:index"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_firm_admin_cannot_edit_shared_reference_data(
    firm_admin: Advisor, client_for: object
) -> None:
    client = client_for(firm_admin)
    price = PriceFactory()
    assert client.get(_url(("clients", "price"), "add")).status_code == 403
    assert (
        client.post(_url(("clients", "price"), "delete", price.pk), {"post": "yes"}).status_code
        == 403
    )
    assert client.get(_url(("clients", "security"), "changelist")).status_code == 200


def test_firm_admin_adds_people_to_their_own_firm_only(
    firm_admin: Advisor, north: object, firm_b: object, client_for: object
) -> None:
    client = client_for(firm_admin)
    add = _url(("advisors", "advisor"), "add")
    form = client.get(add).context["adminform"].form
    assert set(form.fields["firm"].queryset) == {firm_admin.firm}
    data = {
        "username": "newbie",
        "first_name": "New",
        "last_name": "Advisor",
        "email": "newbie@example.com",
        "firm": firm_admin.firm_id,
        "team": north.pk,
        "role": "advisor",
        "usable_password": "true",
        "password1": "a-long-enough-password",
        "password2": "a-long-enough-password",
        "is_superuser": "on",  # not a field a firm admin is given: ignored
    }
    response = client.post(add, data)
    assert response.status_code == 302
    newbie = Advisor.objects.get(username="newbie")
    assert (newbie.firm, newbie.team, newbie.is_superuser, newbie.is_staff) == (
        firm_admin.firm,
        north,
        False,
        False,
    )
    response = client.post(add, {**data, "username": "elsewhere", "firm": firm_b.pk})
    assert response.status_code == 200  # the other firm is not a valid choice
    assert not Advisor.objects.filter(username="elsewhere").exists()


def test_transactions_are_read_only_in_the_admin(
    firm_admin: Advisor, superuser: Advisor, households: dict, client_for: object
) -> None:
    trade = households["advisor"].accounts.get().transactions.get()
    for user in (firm_admin, superuser):
        client = client_for(user)
        assert client.get(_url(("clients", "transaction"), "change", trade.pk)).status_code == 200
        assert client.get(_url(("clients", "transaction"), "add")).status_code == 403
        assert client.post(_url(("clients", "transaction"), "delete", trade.pk)).status_code == 403

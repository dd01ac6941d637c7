"""Login, logout, password change, session expiry, and the redirect for anonymous users."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from advisors.models import Advisor
from tests.factories import PASSWORD
from tests.security.helpers import code_for, give_app, sign_in


def test_login_page_renders_our_template(db: None) -> None:
    response = Client().get(reverse("login"))
    assert response.status_code == 200
    assert "registration/login.html" in [t.name for t in response.templates]
    assert b'name="password"' in response.content


def test_login_with_the_right_password_goes_to_the_households(
    advisor: Advisor, households: dict
) -> None:
    client = Client()
    device = give_app(advisor)
    response = client.post(reverse("login"), {"username": "advisor", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:household_list")
    # Then the second factor (tests/security/ holds its rules).
    step = client.get(response["Location"])
    assert step["Location"].startswith(reverse("mfa_verify"))
    verified = client.post(step["Location"], {"code": code_for(device)})
    assert verified["Location"] == reverse("clients:household_list")
    page = client.get(verified["Location"])
    assert page.status_code == 200
    assert households["advisor"].name in page.content.decode()


def test_login_with_a_wrong_password_fails(advisor: Advisor) -> None:
    client = Client()
    response = client.post(reverse("login"), {"username": "advisor", "password": "nope"})
    assert response.status_code == 200
    assert b"didn't match" in response.content
    assert "_auth_user_id" not in client.session


def test_login_follows_next(advisor: Advisor, households: dict) -> None:
    target = reverse("clients:household_detail", args=[households["advisor"].public_id])
    response = Client().post(
        reverse("login"), {"username": "advisor", "password": PASSWORD, "next": target}
    )
    assert response["Location"] == target


def test_the_session_expires_when_idle_and_with_the_browser(advisor: Advisor) -> None:
    client = Client()
    client.post(reverse("login"), {"username": "advisor", "password": PASSWORD})
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert client.session.get_expire_at_browser_close() is True
    assert client.session.get_expiry_age() == 30 * 60


def test_logout_is_post_only_and_ends_the_session(advisor: Advisor, client_for: object) -> None:
    client = client_for(advisor)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    after = client.get(reverse("clients:household_list"))
    assert after.status_code == 302
    assert after["Location"].startswith(reverse("login"))


def test_the_layout_offers_logout_as_a_post_form(advisor: Advisor, client_for: object) -> None:
    html = client_for(advisor).get(reverse("clients:household_list")).content.decode()
    assert f'<form class="inline" method="post" action="{reverse("logout")}">' in html
    assert 'hx-headers=\'{"X-CSRFToken"' in html
    assert (
        "/static/django_htmx/htmx-2.min.js" in html
    )  # served from the django-htmx package, no CDN


def test_password_change(advisor: Advisor) -> None:
    client = Client()
    sign_in(client, advisor)
    assert client.get(reverse("password_change")).status_code == 200
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-longer-pass-phrase",
            "new_password2": "a-much-longer-pass-phrase",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    assert client.get(reverse("password_change_done")).status_code == 200
    # Still signed in on this session, and the new password works from a fresh one.
    assert client.get(reverse("clients:household_list")).status_code == 200
    advisor.refresh_from_db()
    assert advisor.check_password("a-much-longer-pass-phrase")
    fresh = Client()
    assert fresh.login(username="advisor", password="a-much-longer-pass-phrase")
    assert not Client().login(username="advisor", password=PASSWORD)


def test_password_change_with_a_wrong_old_password_changes_nothing(advisor: Advisor) -> None:
    client = Client()
    client.force_login(advisor)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "wrong",
            "new_password1": "a-much-longer-pass-phrase",
            "new_password2": "a-much-longer-pass-phrase",
        },
    )
    assert response.status_code == 200
    advisor.refresh_from_db()
    assert advisor.check_password(PASSWORD)


def test_password_change_needs_login(db: None) -> None:
    response = Client().get(reverse("password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def _pages(households: dict) -> list[str]:
    household = households["advisor"]
    account = household.accounts.get()
    lot = account.lots.get()
    return [
        reverse("clients:household_list"),
        reverse("clients:household_detail", args=[household.public_id]),
        reverse("clients:household_edit", args=[household.public_id]),
        reverse("clients:account_detail", args=[account.public_id]),
        reverse("clients:transaction_create", args=[account.public_id]),
        reverse("clients:lot_detail", args=[lot.public_id]),
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_users_are_sent_to_login(households: dict, method: str) -> None:
    client = Client()
    for url in _pages(households):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('login')}?next={url}"

"""Password reset by email: the link works once, signs no one in, ends the other sessions, and
the next sign-in still asks for the second factor."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from advisors import mfa
from advisors.models import Advisor
from advisors.security_models import UserSession
from tests.security.helpers import give_app, later_code, sign_in

NEW = "a-much-longer-pass-phrase"


def reset_link(advisor: Advisor) -> str:
    client = Client()
    response = client.post(reverse("password_reset"), {"email": advisor.email})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [advisor.email]
    return re.search(r"https?://[^/]+(/accounts/reset/\S+/)", message.body).group(1)


def test_reset_sets_the_password_without_signing_in_and_ends_other_sessions(
    advisor: Advisor, households
) -> None:
    device = give_app(advisor)
    elsewhere = Client()
    sign_in(elsewhere, advisor)
    assert elsewhere.get("/").status_code == 200

    link = reset_link(advisor)
    browser = Client()
    form = browser.get(link, follow=True)  # Django moves the token into the session
    assert form.status_code == 200 and form.context["validlink"]
    done = browser.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    assert "_auth_user_id" not in browser.session  # no sign-in from the link
    assert browser.get("/").status_code == 302
    assert elsewhere.get("/").status_code == 302  # the other session ended
    assert not UserSession.objects.filter(user=advisor).exists()

    # The new password alone is not enough: the second factor is asked for.
    client = Client()
    first = client.post(reverse("login"), {"username": advisor.username, "password": NEW})
    assert first.status_code == 302
    step = client.get("/")
    assert step["Location"].startswith(reverse("mfa_verify"))
    assert mfa.SESSION_KEY not in client.session
    assert client.post(step["Location"], {"code": later_code(device)})["Location"] == "/"

    # The link worked once.
    again = Client().get(link, follow=True)
    assert not again.context["validlink"]


def test_an_unknown_address_gets_the_same_answer_and_no_mail(db: None) -> None:
    response = Client().post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_the_sign_in_page_links_to_the_reset(db: None) -> None:
    assert reverse("password_reset").encode() in Client().get(reverse("login")).content

"""Sessions: 30 idle minutes, 12 hours at most; a user sees and ends their sessions; disabling
a user, changing their password or their second factor ends their other sessions and tokens."""

from __future__ import annotations

import datetime
import time

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from advisors import mfa, sessions
from advisors.models import Advisor
from advisors.security_models import UserSession
from tests.security.helpers import later_code, sign_in


def signed_in(user: Advisor) -> Client:
    client = Client(HTTP_USER_AGENT="Test browser 1.0")
    sign_in(client, user)
    assert client.get("/").status_code == 200
    return client


def test_the_limits_are_thirty_idle_minutes_and_twelve_hours(advisor: Advisor) -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is False  # sessions.refresh instead
    assert settings.SESSION_REFRESH_EVERY == 60
    assert settings.SESSION_ABSOLUTE_AGE == 12 * 3600
    client = signed_in(advisor)
    assert client.session.get_expiry_age() == 30 * 60


def test_an_idle_session_ends(advisor: Advisor, households) -> None:
    client = signed_in(advisor)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert client.get("/")["Location"].startswith(reverse("login"))


def test_the_idle_clock_restarts_at_most_every_minute(advisor: Advisor, households) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(advisor)
    key = client.session.session_key

    def expiry() -> datetime.datetime:
        return Session.objects.get(session_key=key).expire_date

    def session_writes() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        return sum('UPDATE "django_session"' in q["sql"] for q in queries.captured_queries)

    assert session_writes() == 0  # saved a moment ago: no write for this page
    first = expiry()
    session = client.session
    session[sessions.REFRESHED_AT] = int(time.time()) - 61
    session.save()
    Session.objects.filter(session_key=key).update(
        expire_date=first - datetime.timedelta(minutes=5)
    )
    assert session_writes() == 1  # a minute on: the idle clock restarts
    assert expiry() >= first
    assert session_writes() == 0


def test_an_active_session_ends_after_twelve_hours(advisor: Advisor, households) -> None:
    client = signed_in(advisor)
    session = client.session
    session[sessions.LOGIN_AT] = int(time.time()) - 12 * 3600 + 60
    session.save()
    assert client.get("/").status_code == 200  # a minute to go
    session = client.session
    session[sessions.LOGIN_AT] = int(time.time()) - 12 * 3600 - 1
    session.save()
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login")) and "expired=1" in response["Location"]
    assert "_auth_user_id" not in client.session
    assert b"time limit" in client.get(response["Location"]).content


def test_a_user_sees_their_sessions_and_ends_one(advisor: Advisor, teammate: Advisor) -> None:
    here, there = signed_in(advisor), signed_in(advisor)
    other_user = signed_in(teammate)
    page = here.get(reverse("session_list"))
    assert page.status_code == 200
    rows = list(page.context["rows"])
    assert len(rows) == 2 and {r.user_id for r in rows} == {advisor.pk}
    assert b"Test browser 1.0" in page.content and b"This session" in page.content
    utc = rows[0].created.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M")
    assert utc.encode() in page.content  # the times shown are UTC, as the headings say
    there_key = there.session.session_key
    # Someone else's session key is not theirs to end.
    teammate_key = other_user.session.session_key
    here.post(reverse("session_list"), {"session": teammate_key})
    assert other_user.get("/").status_code == 200
    here.post(reverse("session_list"), {"session": there_key})
    assert there.get("/").status_code == 302
    assert here.get("/").status_code == 200


def test_ending_all_other_sessions_keeps_this_one(advisor: Advisor) -> None:
    here, a, b = signed_in(advisor), signed_in(advisor), signed_in(advisor)
    here.post(reverse("session_list"), {"all": "1"})
    assert [c.get("/").status_code for c in (here, a, b)] == [200, 302, 302]
    assert UserSession.objects.filter(user=advisor).count() == 1


def _token_for(user: Advisor) -> AccessToken:
    app = Application.objects.create(
        name="t",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    return AccessToken.objects.create(
        user=user,
        application=app,
        token="x" * 40,
        expires=timezone.now() + datetime.timedelta(hours=1),
    )


def test_disabling_a_user_ends_their_sessions_and_tokens(advisor: Advisor) -> None:
    a, b = signed_in(advisor), signed_in(advisor)
    _token_for(advisor)
    advisor.is_active = False
    advisor.save()
    assert not UserSession.objects.filter(user=advisor).exists()
    assert not Session.objects.filter(session_key__in=[a.session.session_key]).exists()
    assert not AccessToken.objects.filter(user=advisor).exists()
    assert a.get("/").status_code == 302 and b.get("/").status_code == 302


def test_changing_the_password_ends_the_other_sessions_not_this_one(advisor: Advisor) -> None:
    here, there = signed_in(advisor), signed_in(advisor)
    _token_for(advisor)
    new = "a-much-longer-pass-phrase"
    response = here.post(
        reverse("password_change"),
        {"old_password": _password(), "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert there.get("/").status_code == 302
    assert not AccessToken.objects.filter(user=advisor).exists()
    assert UserSession.objects.filter(user=advisor).count() == 1
    assert UserSession.objects.get(user=advisor).session_key == here.session.session_key


def _password() -> str:
    from tests.factories import PASSWORD

    return PASSWORD


def test_replacing_the_second_factor_ends_the_other_sessions(advisor: Advisor) -> None:
    here, there = signed_in(advisor), signed_in(advisor)
    page = here.get(reverse("mfa_enrol"))
    assert page.status_code == 200 and page.context["replacing"]
    from django_otp.plugins.otp_totp.models import TOTPDevice

    pending = TOTPDevice.objects.get(user=advisor, confirmed=False)
    done = here.post(reverse("mfa_enrol"), {"code": later_code(pending)})
    assert done.status_code == 200 and len(done.context["codes"]) == 10
    assert TOTPDevice.objects.filter(user=advisor).count() == 1
    assert here.get("/").status_code == 200
    assert there.get("/").status_code == 302


def test_new_recovery_codes_end_the_other_sessions(advisor: Advisor) -> None:
    old = mfa.new_recovery_codes(advisor)
    here, there = signed_in(advisor), signed_in(advisor)
    response = here.post(reverse("mfa_recovery_codes"))
    assert response.status_code == 200
    assert not set(old) & set(response.context["codes"])
    assert there.get("/").status_code == 302
    assert here.get("/").status_code == 200


def test_a_device_removed_in_the_admin_ends_the_sessions(advisor: Advisor) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    a = signed_in(advisor)
    TOTPDevice.objects.get(user=advisor).delete()
    assert a.get("/").status_code == 302


def test_password_changes_and_disabling_are_logged(advisor: Advisor) -> None:
    from advisors.security_models import SecurityEvent, SecurityEventKind

    advisor.set_password("another-long-pass-phrase")
    advisor.save()
    advisor.is_active = False
    advisor.save()
    kinds = sorted(SecurityEvent.objects.filter(subject=advisor).values_list("kind", flat=True))
    assert kinds == [SecurityEventKind.PASSWORD_CHANGED, SecurityEventKind.USER_DISABLED]

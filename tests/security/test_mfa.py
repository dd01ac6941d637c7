"""The second factor: asked on every page of every session, enrolment on the first sign-in,
a code works once, recovery codes, a firm admin's reset of a lost device (logged)."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from advisors import mfa
from advisors.models import Advisor
from advisors.security_models import SecurityEvent, SecurityEventKind, UserSession
from tests.factories import PASSWORD
from tests.security.helpers import code_for, give_app, sign_in

PAGES = ("/", "/accounts/sessions/", "/accounts/password_change/", "/plans/settings/", "/admin/")


def password_only(user: Advisor) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("path", PAGES)
def test_every_page_of_a_password_only_session_asks_for_the_code(
    firm_admin: Advisor, path: str
) -> None:
    give_app(firm_admin)
    client = password_only(firm_admin)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_verify"))
    assert client.get(response["Location"]).status_code == 200


def test_htmx_requests_are_sent_to_the_verify_page_too(advisor: Advisor, households) -> None:
    give_app(advisor)
    client = password_only(advisor)
    response = client.get("/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("mfa_verify"))


def test_the_api_ignores_an_unverified_session_but_not_a_token(
    advisor: Advisor, households, api_a
) -> None:
    give_app(advisor)
    client = password_only(advisor)
    assert client.get("/api/v1/households/").status_code in (401, 403)
    verified = APIClient()
    verified.force_login(advisor)
    assert verified.get("/api/v1/households/").status_code == 200
    assert api_a.get("/api/v1/households/").status_code == 200  # OAuth2: unaffected


def test_first_sign_in_enrols_an_app_then_shows_recovery_codes(
    advisor: Advisor, households
) -> None:
    client = password_only(advisor)
    step = client.get("/")
    enrol = client.get(step["Location"])
    assert enrol.status_code == 302 and enrol["Location"].startswith(reverse("mfa_enrol"))
    page = client.get(enrol["Location"])
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    device = TOTPDevice.objects.get(user=advisor, confirmed=False)
    assert mfa.secret_base32(device) in page.content.decode()
    assert b"<svg" in page.content  # the QR code, inline

    wrong = client.post(reverse("mfa_enrol"), {"code": "000000"})
    assert wrong.status_code == 400 and not mfa.has_app(advisor)
    assert client.get("/").status_code == 302  # still not verified
    # A wrong code makes the next one wait (django-otp's throttle: 1 s, doubling).
    assert client.post(reverse("mfa_enrol"), {"code": mfa.current_code(device)}).status_code == 400
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - datetime.timedelta(seconds=5)
    )

    done = client.post(reverse("mfa_enrol"), {"code": mfa.current_code(device)})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and all(code.encode() in done.content for code in codes)
    assert StaticToken.objects.filter(device__user=advisor).count() == 10
    assert client.get("/").status_code == 200
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.MFA_ENROLLED, subject=advisor)


def test_a_user_with_an_app_cannot_enrol_another_without_the_code(advisor: Advisor) -> None:
    give_app(advisor)
    client = password_only(advisor)
    response = client.get(reverse("mfa_enrol"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_verify"))
    assert TOTPDevice.objects.filter(user=advisor).count() == 1


def test_a_code_works_once(advisor: Advisor, households) -> None:
    device = give_app(advisor)
    first, second = password_only(advisor), password_only(advisor)
    code = code_for(device)
    assert client_verifies(first, code)
    assert not client_verifies(second, code)  # the same code again, in another session
    assert second.get("/").status_code == 302
    assert first.get("/").status_code == 200


def client_verifies(client: Client, code: str) -> bool:
    response = client.post(reverse("mfa_verify"), {"code": code, "next": "/"})
    return response.status_code == 302 and response["Location"] == "/"


def test_a_wrong_code_is_refused_and_named(advisor: Advisor) -> None:
    give_app(advisor)
    client = password_only(advisor)
    response = client.post(reverse("mfa_verify"), {"code": "123456"})
    assert response.status_code == 400
    assert b"not right" in response.content
    assert mfa.SESSION_KEY not in client.session


def test_a_recovery_code_signs_in_once(advisor: Advisor, households) -> None:
    give_app(advisor)
    codes = mfa.new_recovery_codes(advisor)
    client = password_only(advisor)
    assert client_verifies(client, codes[0].upper())
    assert client.get("/").status_code == 200
    again = password_only(advisor)
    assert not client_verifies(again, codes[0])
    assert StaticToken.objects.filter(device__user=advisor).count() == 9
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.RECOVERY_CODE_USED).count() == 1


def test_a_firm_admin_resets_a_lost_app_and_it_is_logged(
    firm_admin: Advisor, advisor: Advisor, households
) -> None:
    give_app(advisor)
    mfa.new_recovery_codes(advisor)
    lost = Client()
    sign_in(lost, advisor)
    assert lost.get("/").status_code == 200

    admin = Client()
    admin.force_login(firm_admin)
    log = admin.get(reverse("security_log"))
    assert log.status_code == 200 and b"Reset second factor of advisor" in log.content
    response = admin.post(reverse("mfa_reset", args=[advisor.public_id]))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=advisor).exists()
    assert not StaticDevice.objects.filter(user=advisor).exists()
    assert not UserSession.objects.filter(user=advisor).exists()
    assert lost.get("/").status_code == 302  # that session ended
    event = SecurityEvent.objects.get(kind=SecurityEventKind.MFA_RESET)
    assert (event.actor, event.subject, event.firm) == (firm_admin, advisor, advisor.firm)
    assert b"Second factor reset by a firm admin" in admin.get(reverse("security_log")).content

    # Next sign-in: password, then a new app.
    again = password_only(advisor)
    step = again.get(again.get("/")["Location"])
    assert step["Location"].startswith(reverse("mfa_enrol"))


def test_only_a_firm_admin_of_the_same_firm_resets(
    advisor: Advisor, team_lead: Advisor, compliance: Advisor, outsider: Advisor, firm_b
) -> None:
    give_app(advisor)
    for who, status in ((team_lead, 403), (compliance, 403)):
        client = Client()
        client.force_login(who)
        assert client.post(reverse("mfa_reset", args=[advisor.public_id])).status_code == status
    from tests.factories import AdvisorFactory

    foreign_admin = AdvisorFactory(firm=firm_b, team=None, role="firm_admin")
    client = Client()
    client.force_login(foreign_admin)
    assert client.post(reverse("mfa_reset", args=[advisor.public_id])).status_code == 404
    assert TOTPDevice.objects.filter(user=advisor).exists()
    assert not SecurityEvent.objects.exists()


def test_compliance_reads_the_security_log_an_advisor_does_not(
    compliance: Advisor, advisor: Advisor
) -> None:
    for who, status in ((compliance, 200), (advisor, 403)):
        client = Client()
        client.force_login(who)
        assert client.get(reverse("security_log")).status_code == status

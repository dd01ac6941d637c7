"""The demo's logins work with their second factor: seed_demo prints each login's
authenticator key, and ``manage.py totp_code <login>`` prints the current code."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from advisors.models import Advisor
from clients.management.commands.seed_demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_a_demo_login_signs_in_with_the_printed_key_and_code(settings) -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    assert "manage.py totp_code" in printed
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from advisors import mfa

    fiona = Advisor.objects.get(username="fiona")
    device = TOTPDevice.objects.get(user=fiona, confirmed=True)
    assert f"fiona    key {mfa.secret_base32(device)}" in printed

    client = Client()
    client.post(reverse("login"), {"username": "fiona", "password": DEMO_PASSWORD})
    step = client.get("/")
    assert step["Location"].startswith(reverse("mfa_verify"))
    settings.DEBUG = True
    code = StringIO()
    call_command("totp_code", "fiona", stdout=code)
    assert client.post(step["Location"], {"code": code.getvalue().strip()})["Location"] == "/"
    assert client.get("/").status_code == 200

    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("totp_code", "fiona", stdout=StringIO())

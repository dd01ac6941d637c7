"""Signing in for real in tests: password, then a code from the user's authenticator app."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from advisors import mfa
from tests.factories import PASSWORD


def give_app(user: Any) -> TOTPDevice:
    """A confirmed authenticator app for ``user`` (as if they had enrolled)."""
    return TOTPDevice.objects.create(user=user, name=mfa.APP_NAME, confirmed=True)


def code_for(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return mfa.current_code(device)


def later_code(device: TOTPDevice) -> str:
    """The code of a later time step: forgets the step last accepted, as the 30 seconds a test
    does not wait would (django-otp refuses a step it already accepted)."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    return code_for(device)


def sign_in(
    client: Client, user: Any, *, password: str = PASSWORD, next_url: str | None = None
) -> Any:
    """Password and code through the real pages; the response to the code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or give_app(user)
    data = {"username": user.username, "password": password}
    if next_url:
        data["next"] = next_url
    first = client.post(reverse("login"), data)
    assert first.status_code == 302, first.content[:500]
    target = client.get(first["Location"])
    assert target.status_code == 302 and target["Location"].startswith(reverse("mfa_verify"))
    # django-otp refuses a time step it already accepted: a second sign-in within the same
    # 30 seconds needs the next step (the app would show it soon enough).
    return client.post(target["Location"], {"code": later_code(device)})

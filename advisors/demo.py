"""The demo's second factor: every demo login gets an authenticator app with a known key
(derived from its username), so the printed logins work on a fresh machine. Not for real
users: seed_demo only."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django_otp.plugins.otp_totp.models import TOTPDevice

from advisors import mfa
from advisors.models import Advisor


def demo_key(username: str) -> str:
    return hashlib.sha1(f"harvest-desk-demo:{username}".encode()).hexdigest()


def demo_second_factor(people: Iterable[Advisor]) -> list[str]:
    """Give each person their demo app (once) and the lines that tell how to get a code."""
    lines = [
        "",
        "  Second factor: after the password, type the code of an authenticator app holding",
        "  the key below, or print the current code with:",
        "    .venv/bin/python manage.py totp_code <login>",
    ]
    for person in people:
        device = TOTPDevice.objects.filter(user=person, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(
                user=person, name=mfa.APP_NAME, key=demo_key(person.username), confirmed=True
            )
        lines.append(f"  {person.username:<8} key {mfa.secret_base32(device)}")
    return lines

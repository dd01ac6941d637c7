"""``manage.py totp_code <login>``: the code a user's authenticator app shows now (the demo)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice

from advisors import mfa


class Command(BaseCommand):
    help = "Print the current second-factor code of a user (DEBUG only: the demo)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("totp_code is for the demo: it runs only with DEBUG on.")
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
        if device is None:
            raise CommandError(f"{username} has no authenticator app yet.")
        self.stdout.write(mfa.current_code(device))

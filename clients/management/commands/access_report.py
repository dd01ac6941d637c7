"""``manage.py access_report --advisor USERNAME | --client CLIENT_ID [--since D] [--until D]``:
every household the account saw in the window, as CSV on standard output (clients/access.py).
"""

from __future__ import annotations

import datetime
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from advisors import exports
from advisors.models import Advisor, ApiClient
from clients import access
from clients.access_views import window


class Command(BaseCommand):
    help = "Whose data did this account see? Households seen by an advisor or API client."

    def add_arguments(self, parser: CommandParser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--advisor", help="The advisor's username.")
        who.add_argument("--client", help="The API client's OAuth client id.")
        parser.add_argument(
            "--since", type=datetime.date.fromisoformat, help="Default: 30 days ago."
        )
        parser.add_argument(
            "--until", type=datetime.date.fromisoformat, help="Included; default today."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["advisor"]:
            advisor = Advisor.objects.filter(username=options["advisor"]).first()
            if advisor is None:
                raise CommandError(f"No advisor {options['advisor']!r}.")
            who = {"user_id": advisor.pk}
        else:
            client = ApiClient.objects.filter(client_id=options["client"]).first()
            if client is None:
                raise CommandError(f"No API client {options['client']!r}.")
            who = {"api_client_id": client.pk}
        start, end = window(options["since"], options["until"])
        report = access.access_report(**who, start=start, end=end)
        writer = exports.csv_writer(self.stdout if self.stdout else sys.stdout, bom=False)
        writer.writerow(["household", "name", "first_seen_utc", "last_seen_utc", "views"])
        for s in report:
            writer.writerow(
                [
                    s.household_public_id,
                    s.household_name,
                    s.first.isoformat(),
                    s.last.isoformat(),
                    s.views,
                ]
            )

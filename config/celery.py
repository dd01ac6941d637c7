"""The Celery app. Settings come from Django's, prefixed CELERY_ (config/settings.py).

Redis is the broker (``REDIS_URL``); without it every task runs in-process (the embedded mode).
Messages are JSON and carry ids only; tasks acknowledge late, are redelivered when their worker
dies, and stay well inside the broker's visibility timeout. Results and progress live in our
own models (taxlogic's Review and YearEndRun), never in a result backend.
"""

from __future__ import annotations

import gc
import os
from datetime import timedelta
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("harvest_desk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# A worker process allocates by the million (a chunk of year-end reviews builds the objects of
# some 15,000 lots, nearly all freed when the chunk ends), and the collector's default (a young
# collection every 700 allocations, old ones that walk everything alive) costs. Each process
# freezes what it started with (Django, the apps: never collected, never walked again) and
# collects the young every 10,000 allocations: 3% fewer instructions per household reviewed.
GC_THRESHOLD = (10_000, 10, 10)


@worker_process_init.connect
def _tune_collector(**_: Any) -> None:
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


# The static beat schedule, in code. Run exactly ONE beat process (README, Production): beat is
# the clock, and two clocks tick twice. The tasks themselves are guarded in our data anyway: a
# scheduled year-end moment gets one run per firm (a unique constraint), so a restarted or
# doubled beat cannot start a second one.
_DISPATCH_EVERY = int(os.environ.get("YEAR_END_DISPATCH_SECONDS", "0"))  # tests shorten it
app.conf.beat_schedule = {
    # Each firm's year-end dates and time (default 1 Nov and 1 Dec, 06:00 in the firm's time
    # zone) live in its harvest settings: every quarter of an hour, start the runs now due.
    "year-end-dispatch": {
        "task": "taxlogic.tasks.year_end_dispatch",
        "schedule": timedelta(seconds=_DISPATCH_EVERY)
        if _DISPATCH_EVERY
        else crontab(minute="*/15"),
        "options": {"expires": max(_DISPATCH_EVERY, 14 * 60)},
    },
    # Households whose data changed since their last review, every night (07:30 UTC: the
    # small hours across the United States).
    # The carryforward ledger: each household's carryforward into the new year, rolled from the
    # prior year's plan (clients/ledger.py), every morning of January (idempotent).
    "carryforwards-roll-new-year": {
        "task": "clients.tasks.carryforwards_roll_new_year",
        "schedule": crontab(month_of_year=1, hour=8, minute=0),
        "options": {"expires": 6 * 3600},
    },
    "households-refresh-changed": {
        "task": "taxlogic.tasks.households_refresh_changed",
        "schedule": crontab(hour=7, minute=30),
        "options": {"expires": 6 * 3600},
    },
    # Each advisor's daily digest email (new harvests, wash-sale risks, plans changed), after
    # the refresh (12:00 UTC: the morning across the United States).
    "advisor-digests": {
        "task": "taxlogic.tasks.digests_send",
        "schedule": crontab(hour=12, minute=0),
        "options": {"expires": 6 * 3600},
    },
}

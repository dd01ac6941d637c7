"""The Celery app. Settings come from Django's, prefixed CELERY_ (config/settings.py)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("harvest_desk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The static beat schedule lives here, in code (see README: run exactly one beat process).
app.conf.beat_schedule = {}

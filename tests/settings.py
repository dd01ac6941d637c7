"""Test overlay: the suite runs on PostgreSQL and Redis, never on SQLite.

DATABASE_URL / REDIS_URL are used when set; otherwise tests/servers.py starts throwaway
PostgreSQL and Redis servers from the installed binaries (see tests/conftest.py).
"""

from __future__ import annotations

import os

from tests import servers

servers.ensure_environment()

from config.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
# Unit and view tests run tasks in-process; integration tests start a real worker instead.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = os.environ["REDIS_URL"]
# clients/page_cache.py moves its versions when transactions commit, which tests never do:
# off for the suite; tests/load/test_page_cache.py turns it on and runs the commit callbacks.
PAGE_CACHE = False

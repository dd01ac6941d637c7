"""The embedded mode: no DATABASE_URL, no REDIS_URL — SQLite under DATA_DIR, tasks in-process.

These run the real `manage.py` in a subprocess with a clean environment, as a newcomer would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DATABASE_URL",
            "REDIS_URL",
            "DJANGO_SETTINGS_MODULE",
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
        )
    }
    env.update(extra)
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


CHECK = """
from django.conf import settings
from django.db import connection
from django.test import Client
from tests.security import force_login
force_login.install()  # force_login bypasses authentication, second factor included
from advisors.models import Advisor
from clients.models import Household
assert connection.vendor == "sqlite", connection.vendor
assert settings.CELERY_TASK_ALWAYS_EAGER is True
advisor = Advisor.objects.filter(households__isnull=False).distinct().order_by("username").first()
own = Household.objects.filter(primary_advisor=advisor).order_by("name").first()
client = Client()
client.force_login(advisor)
page = client.get("/")
assert page.status_code == 200, page.status_code
assert own.name in page.content.decode(), own.name
detail = client.get(f"/households/{own.public_id}/")
assert detail.status_code == 200, detail.status_code
print("EMBEDDED-OK", Household.objects.count())
"""


def test_embedded_sqlite_mode_migrates_seeds_and_serves(tmp_path: Path) -> None:
    env = _env(DATA_DIR=str(tmp_path))
    migrate = _manage("migrate", "--noinput", env=env)
    assert migrate.returncode == 0, migrate.stderr
    assert (tmp_path / "harvest-desk.sqlite3").exists()
    seed = _manage("seed_demo", env=env)
    assert seed.returncode == 0, seed.stderr
    check = _manage("shell", "-c", CHECK, env=env)
    assert check.returncode == 0, check.stderr
    assert "EMBEDDED-OK" in check.stdout
    assert int(check.stdout.split("EMBEDDED-OK")[1].split()[0]) >= 30


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_without_secret_or_hosts_stops_with_a_clear_message(
    tmp_path: Path, missing: str
) -> None:
    env = _env(
        DATA_DIR=str(tmp_path), DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="desk.example.com"
    )
    del env[missing]
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert missing in result.stderr
    assert "DEBUG is off" in result.stderr


def test_production_with_secret_and_hosts_starts(tmp_path: Path) -> None:
    env = _env(
        DATA_DIR=str(tmp_path), DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="desk.example.com"
    )
    result = _manage("check", env=env)
    assert result.returncode == 0, result.stderr

"""The suite really runs on PostgreSQL and Redis: if either is missing this fails, never skips."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection


@pytest.mark.django_db
def test_database_is_postgresql() -> None:
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("select 1")
        assert cursor.fetchone() == (1,)


def test_redis_answers_and_backs_the_cache() -> None:
    assert redis.Redis.from_url(settings.REDIS_URL).ping() is True
    assert settings.CELERY_BROKER_URL == settings.REDIS_URL
    cache.set("harvest-desk-smoke", "ok", 5)
    assert cache.get("harvest-desk-smoke") == "ok"

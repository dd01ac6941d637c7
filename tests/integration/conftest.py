"""Real processes for the integration tests: ``celery worker`` and ``celery beat`` started with
the project's own settings (config.settings) against the test's PostgreSQL database and a real
Redis, throwaway Redis servers the tests may restart, and ``manage.py`` in a subprocess.

Every test here is transactional, so the worker sees what the test commits; the worker is
pointed at the *test* database (``connection.settings_dict``). Redis is REDIS_URL's server on a
database number of its own (flushed before each test), or a redis-server started here. A
missing Redis or PostgreSQL fails the run (tests/servers.py), it never skips. Every process a
test starts is killed when the test ends, whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import redis
from django.db import connection

from tests import servers

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
REDIS_DB = 14  # on REDIS_URL's server: the integration tests' own database number

# Short limits, so that a killed worker's messages come back within seconds, not minutes; the
# hard limit stays below the visibility timeout, as in production (300 s < 600 s).
FAST_RECOVERY = {
    "CELERY_TASK_SOFT_TIME_LIMIT": "8",
    "CELERY_TASK_TIME_LIMIT": "10",
    "CELERY_VISIBILITY_TIMEOUT": "12",
    "CELERY_UNACKED_RESTORE_INTERVAL": "2",
}


def database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "postgres")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def shared_redis_url() -> str:
    url = urlsplit(os.environ["REDIS_URL"])
    return urlunsplit((url.scheme, url.netloc, f"/{REDIS_DB}", "", ""))


def wait_for(predicate: Callable[[], object], *, timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Processes:
    """The processes of one test: workers, beats, ``manage.py`` commands."""

    def __init__(self, tmp: Path, redis_url: str) -> None:
        self.tmp = tmp
        self.redis_url = redis_url
        self.started: list[subprocess.Popen[bytes]] = []
        self.count = 0

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=database_url(),
            REDIS_URL=self.redis_url,
            DEBUG="false",
            SECRET_KEY="integration-tests",
            ALLOWED_HOSTS="testserver",
            LOG_LEVEL="INFO",
            CONN_MAX_AGE="0",
            **FAST_RECOVERY,
        )
        env.update(extra)
        return env

    def _spawn(
        self, name: str, args: list[str], **extra: str
    ) -> tuple[subprocess.Popen[bytes], Path]:
        self.count += 1
        log = self.tmp / f"{self.count:02d}-{name}.log"
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env(**extra),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill -9 takes the pool with it
        )
        self.started.append(proc)
        return proc, log

    def worker(self, *, concurrency: int = 2, **extra: str) -> tuple[subprocess.Popen[bytes], Path]:
        proc, log = self._spawn(
            "worker",
            [
                CELERY,
                "-A",
                "config",
                "worker",
                "--pool=prefork",
                f"--concurrency={concurrency}",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"it{self.count + 1}-{os.getpid()}@%h",
            ],
            **extra,
        )
        wait_for(
            lambda: b" ready." in log.read_bytes() or proc.poll() is not None,
            timeout=60,
            what="the worker to start",
        )
        assert proc.poll() is None, log.read_text()
        return proc, log

    def beat(self, **extra: str) -> tuple[subprocess.Popen[bytes], Path]:
        schedule = self.tmp / f"beat-schedule-{self.count + 1}"
        return self._spawn(
            "beat",
            [
                CELERY,
                "-A",
                "config",
                "beat",
                "--loglevel=INFO",
                f"--schedule={schedule}",
                "--max-interval=1",
            ],
            **extra,
        )

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    @staticmethod
    def kill(proc: subprocess.Popen[bytes]) -> None:
        """kill -9 the process and every process of its group (a prefork pool's children)."""
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.started:
            self.kill(proc)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    """Processes on REDIS_URL's server, database number REDIS_DB, flushed first."""
    url = shared_redis_url()
    redis.Redis.from_url(url).flushdb()
    procs = Processes(tmp_path, url)
    try:
        yield procs
    finally:
        procs.stop_all()
        redis.Redis.from_url(url).flushdb()


class RedisServer:
    """A redis-server of the test's own, on its own port and directory, that it may restart."""

    def __init__(self, directory: Path, *, appendonly: bool) -> None:
        self.binary = servers.find_binary(
            "redis-server", ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        )
        self.dir = directory
        self.port = servers.free_port()
        self.appendonly = appendonly
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "always"]
            if self.appendonly
            else ["--appendonly", "no"]
        )
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.dir),
                "--save",
                "",
                "--maxmemory-policy",
                "noeviction",
                *persistence,
            ],
            stdout=(self.dir / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_for(self.ping, timeout=15, what="redis-server to start")

    def ping(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        """A clean shutdown: with the append-only file on, everything is on disk."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(redis.RedisError):  # the connection drops as it exits
            redis.Redis.from_url(self.url).shutdown(nosave=not self.appendonly)
        self.proc.wait(timeout=30)

    def restart(self) -> None:
        self.stop()
        self.start()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[Callable[..., RedisServer]]:
    made: list[RedisServer] = []

    def make(*, appendonly: bool) -> RedisServer:
        directory = tmp_path / f"redis-{len(made)}"
        directory.mkdir()
        server = RedisServer(directory, appendonly=appendonly)
        server.start()
        made.append(server)
        return server

    try:
        yield make
    finally:
        for server in made:
            server.kill()
            shutil.rmtree(server.dir, ignore_errors=True)

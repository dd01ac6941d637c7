"""PostgreSQL and Redis for the test suite, for real.

With DATABASE_URL and REDIS_URL set (CI, or your own servers) they are used as they are, and a
server that does not answer stops the run with a clear message: it never turns into skips.
Without them, throwaway servers are started from the installed binaries on free ports, the way
pytest-postgresql and pytest-redis do, and removed when the run ends.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

INSTALL_HINT = {
    "postgres": "install PostgreSQL (Debian: apt-get install postgresql) or set DATABASE_URL",
    "redis": "install Redis (Debian: apt-get install redis-server) or set REDIS_URL",
}


class ServiceUnavailable(RuntimeError):
    pass


def ensure_environment() -> None:
    """Make DATABASE_URL and REDIS_URL point at servers that answer, starting them if needed."""
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = _start_postgres()
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = start_redis()
    for name in ("DATABASE_URL", "REDIS_URL"):
        url = urlsplit(os.environ[name])
        host, port = (
            url.hostname or "127.0.0.1",
            url.port or (5432 if name == "DATABASE_URL" else 6379),
        )
        if not _answers(host, port, timeout=5.0):
            raise ServiceUnavailable(
                f"{name}={os.environ[name]} does not answer on {host}:{port}. Start the server "
                f"(see README, 'Running the tests') or unset {name} to use a throwaway one."
            )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def find_binary(name: str, patterns: list[str]) -> str:
    found = shutil.which(name)
    if found:
        return found
    for pattern in patterns:
        matches = sorted(glob.glob(pattern))
        if matches:
            return matches[-1]
    service = "postgres" if name in ("initdb", "pg_ctl") else "redis"
    raise ServiceUnavailable(f"`{name}` not found: {INSTALL_HINT[service]}.")


def _start_postgres() -> str:
    initdb = find_binary("initdb", ["/usr/lib/postgresql/*/bin/initdb"])
    pg_ctl = str(Path(initdb).with_name("pg_ctl"))
    root = Path(tempfile.mkdtemp(prefix="harvest-desk-pg-"))
    data = root / "data"
    port = free_port()
    prefix: list[str] = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root; run it as the postgres system user.
        shutil.chown(root, user="postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    run = {"check": True, "capture_output": True, "text": True}
    subprocess.run(
        [
            *prefix,
            initdb,
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
        **run,
    )
    options = (
        f"-p {port} -k {root} -h 127.0.0.1 -F -c synchronous_commit=off -c full_page_writes=off"
    )
    subprocess.run(
        [*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
        **run,
    )

    def stop() -> None:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)

    atexit.register(stop)
    return f"postgres://postgres@127.0.0.1:{port}/harvest_desk"


def start_redis() -> str:
    server = find_binary("redis-server", ["/usr/bin/redis-server", "/usr/local/bin/redis-server"])
    port = free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def stop() -> None:
        proc.terminate()
        proc.wait(timeout=10)

    atexit.register(stop)
    if not _answers("127.0.0.1", port, timeout=10.0):
        raise ServiceUnavailable(f"redis-server did not start on port {port}")
    return f"redis://127.0.0.1:{port}/0"

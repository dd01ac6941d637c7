"""A 200,000-row custodian lots file through the importer: preview (read, check, classify)
and commit (all rows in one transaction), with rows per second and peak memory.

    .venv/bin/python benchmarks/import.py                 # 200,000 rows
    .venv/bin/python benchmarks/import.py --rows 50000    # a quick one

Uses its own database, ``hd_imports_bench`` on DATABASE_URL's server (dropped and created
again each run), a firm of 1,000 accounts and 50 securities. The file is written to disk
first (about 14 MB) and read from there as an upload is. Goal: under a minute in all, the
memory flat (the peak does not grow with the file: compare --rows 50000).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH_DB = "hd_imports_bench"
ACCOUNTS, SECURITIES = 1000, 50
GOAL_SECONDS = 60


def _server_url() -> str:
    from urllib.parse import urlsplit, urlunsplit

    url = urlsplit(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/x")
    return urlunsplit((url.scheme, url.netloc, "", "", ""))


def _database() -> str:
    import psycopg

    with psycopg.connect(f"{_server_url()}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    url = f"{_server_url()}/{BENCH_DB}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    return url


def _write_file(path: Path, rows: int) -> None:
    rng = random.Random(12)
    start = date(2005, 1, 1)
    with path.open("w", newline="") as out:
        out.write("account_number,symbol,quantity,cost_basis,acquired,lot_id,covered\r\n")
        for n in range(rows):
            account = 10_000_000 + n % ACCOUNTS
            quantity = rng.randint(1, 50_000) / 100
            basis = quantity * rng.randint(500, 50_000) / 100
            acquired = start + timedelta(days=rng.randint(0, 7000))
            out.write(
                f'{account},B{n % SECURITIES:03d},{quantity:.2f},"${basis:,.2f}",'
                f"{acquired:%m/%d/%Y},LOT-{n:07d},{'yes' if n % 3 else 'no'}\r\n"
            )


def _seed() -> object:
    from advisors.models import Firm, Role
    from clients.models import Account, Household, Person, Security
    from tests.factories import AdvisorFactory

    firm = Firm.objects.create(name="Bench", slug="bench")
    admin = AdvisorFactory(firm=firm, team=None, role=Role.FIRM_ADMIN, username="bench-admin")
    Security.objects.bulk_create(
        Security(symbol=f"B{i:03d}", name=f"Bench {i}", kind="stock", asset_class="us_equity")
        for i in range(SECURITIES)
    )
    for i in range(ACCOUNTS // 10):
        household = Household.objects.create(firm=firm, primary_advisor=admin, name=f"H{i}")
        person = Person.objects.create(household=household, role="taxpayer", name=f"P{i}")
        for j in range(10):
            number = 10_000_000 + i * 10 + j
            Account.objects.create(
                household=household,
                owner=person,
                custodian="Bench",
                masked_number=f"••••{number % 10000:04d}",
                account_number=str(number),
                type="taxable_individual",
            )
    return admin


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument(
        "--profile", action="store_true", help="time every query; print the costliest"
    )
    args = parser.parse_args()
    _prepare()
    _run(args)


def _slow_queries(slow: dict[str, list[float]]):  # noqa: ANN202
    def wrapper(execute, sql, params, many, context):  # noqa: ANN001, ANN202
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = " ".join(sql.split())[:90]
            slow.setdefault(key, []).append(time.perf_counter() - started)

    return wrapper


def _run(args: argparse.Namespace) -> None:
    if args.profile:
        from django.db import connection

        slow: dict[str, list[float]] = {}
        with connection.execute_wrapper(_slow_queries(slow)):
            _measure(args)
        for key, times in sorted(slow.items(), key=lambda kv: -sum(kv[1]))[:12]:
            print(f"{sum(times):7.2f} s {len(times):6d}× {key}")
        return
    _measure(args)


def _prepare() -> None:
    os.environ["DATABASE_URL"] = _database()
    os.environ.pop("REDIS_URL", None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        IMPORT_ASYNC_KB="10000000",
        IMPORT_ASYNC_ROWS="100000000",
        IMPORT_MAX_MB="1000",
    )
    import django

    django.setup()


def _server_cpu() -> float | None:
    """CPU seconds of this connection's PostgreSQL backend so far, when it runs on this
    machine (None otherwise)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(args: argparse.Namespace) -> None:
    from clients.imports import commit, pipeline
    from clients.models import TaxLot

    admin = _seed()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Bench_lots.csv"
        _write_file(path, args.rows)
        size = path.stat().st_size
        rss_before = _rss_mb()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu_before = usage.ru_utime + usage.ru_stime
        server_before = _server_cpu()
        started = time.perf_counter()
        with path.open("rb") as stream:
            batch = pipeline.batch_start(actor=admin, upload=stream, file_name=path.name)
        read = time.perf_counter() - started
        batch.refresh_from_db()
        assert batch.errors == 0, batch.rows.filter(kind="error").first().errors
        rss_preview = _rss_mb()
        server_preview = _server_cpu()
        started = time.perf_counter()
        done = commit.batch_commit(batch_id=batch.pk, actor=admin)
        wrote = time.perf_counter() - started
        assert done.created_count == args.rows == TaxLot.objects.count()
    total = read + wrote
    server_after = _server_cpu()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    print(f"Python {platform.python_version()} on {os.cpu_count()} cores, PostgreSQL")
    print(f"{args.rows:,} rows, {size / 1e6:.1f} MB")
    print(f"preview  {read:6.1f} s  {args.rows / read:8,.0f} rows/s")
    print(f"commit   {wrote:6.1f} s  {args.rows / wrote:8,.0f} rows/s")
    print(
        f"total    {total:6.1f} s  {args.rows / total:8,.0f} rows/s  (goal: under "
        f"{GOAL_SECONDS} s: {'met' if total < GOAL_SECONDS else 'NOT met'})"
    )
    print(
        f"this process's CPU time: {cpu:.1f} s (PostgreSQL's is apart); load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    if server_before is not None and server_after is not None and server_preview is not None:
        print(
            f"PostgreSQL backend's CPU time: {server_after - server_before:.1f} s (preview "
            f"{server_preview - server_before:.1f} s)"
        )
    print(
        f"peak memory (max RSS): {rss_before:.0f} MB before, {rss_preview:.0f} MB after the "
        f"preview, {_rss_mb():.0f} MB after the commit"
    )


if __name__ == "__main__":
    main()

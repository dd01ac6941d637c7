"""The year-end review of a large firm on real workers, against the floor of merely reading it.

    .venv/bin/python benchmarks/year_end.py                    # 10,000 households (≈ 3 M lots)
    .venv/bin/python benchmarks/year_end.py --households 1000  # a quick one
    options: --lots 300 --transactions 50 --concurrency 2 --reseed --warm

1. Seeds a firm of ``--households`` households (``--lots`` lots and ``--transactions``
   transactions each: 10,000 × 300 = 3 million lots and 500,000 transactions by default) with
   COPY into its own database, ``harvest_desk_bench`` on DATABASE_URL's server (default
   postgres://postgres@127.0.0.1:5432), created and migrated here. The data is kept for the
   next run (``--reseed`` starts over).
2. Clears the firm's earlier reviews and plans, starts a Celery worker with ``--concurrency``
   processes (2) on a throwaway redis-server, runs ``manage.py year_end_review`` and times the
   run until it completes: households per second and total time (goal: under 5 minutes).
3. In the same run, times reading every lot and transaction of the firm from PostgreSQL into
   Python rows (one connection, a server-side cursor): the floor no review can beat. Goal: the
   review takes at most 3× the floor. ``--warm`` then times a second run over unchanged data.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BENCH_DB = "harvest_desk_bench"
AS_OF = date(2026, 11, 1)
SLUG = "bench"
GOAL_SECONDS = 300
GOAL_RATIO = 3.0


def _server_url() -> str:
    from urllib.parse import urlsplit, urlunsplit

    url = urlsplit(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/x")
    return urlunsplit((url.scheme, url.netloc, "", "", ""))


def _bench_url() -> str:
    return f"{_server_url()}/{BENCH_DB}"


def _ensure_database(reseed: bool) -> None:
    import psycopg

    with psycopg.connect(f"{_server_url()}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if exists and reseed:
            conn.execute(f"DROP DATABASE {BENCH_DB} WITH (FORCE)")
            exists = None
        if not exists:
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(done.stderr)


def _env(redis_url: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=_bench_url(),
        DEBUG="false",
        SECRET_KEY="benchmark",
        ALLOWED_HOSTS="localhost",
        LOG_LEVEL="WARNING",
    )
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def engine_mode() -> str:
    from taxlogic import rules

    return "engine compiled (mypyc)" if rules.native else "engine from its sources"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--lots", type=int, default=300)
    parser.add_argument("--transactions", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--reseed", action="store_true", help="Drop the database and start over.")
    parser.add_argument("--warm", action="store_true", help="Also time a run over unchanged data.")
    args = parser.parse_args()

    _ensure_database(args.reseed)
    os.environ.update(_env())
    import django

    django.setup()
    from django.db import connection, transaction

    from advisors.models import Firm
    from clients.models import Household, TaxLot, Transaction
    from taxlogic.models import YearEndRun
    from tests import servers
    from tests.bulk_households import seed_firm

    firm = Firm.objects.filter(slug=SLUG).first()
    have = Household.objects.filter(firm=firm).count() if firm else 0
    if have != args.households:
        if have:
            sys.exit(f"{BENCH_DB} holds {have} households of {SLUG}: run with --reseed.")
        print(f"seeding {args.households:,} households into {BENCH_DB} …", flush=True)
        started = time.perf_counter()
        seeded = seed_firm(
            slug=SLUG,
            households=args.households,
            tax_year=AS_OF.year,
            as_of=AS_OF,
            lots_per_household=args.lots,
            transactions_per_household=args.transactions,
            teams=10,
            advisors_per_team=10,
            broken=args.households // 1000,
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(
            f"seeded {seeded.lots:,} lots and {seeded.transactions:,} transactions in "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
        firm = seeded.firm
    lots = TaxLot.objects.filter(firm=firm).count()
    transactions = Transaction.objects.filter(firm=firm).count()

    def clear() -> None:
        # Every plan computed afresh: no earlier review to reuse.
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE taxlogic_yearendhousehold, taxlogic_yearendrun, "
                "taxlogic_washalert, taxlogic_washwatch, "
                "taxlogic_recommendationdecision, taxlogic_recommendation, taxlogic_review, "
                "taxlogic_actionplan"
            )

    def read_floor() -> float:
        started = time.perf_counter()
        rows = 0
        with transaction.atomic(), connection.cursor() as cursor:
            raw = cursor.connection
            for table in ("clients_taxlot", "clients_transaction"):
                with raw.cursor(name=f"floor_{table}") as named:
                    named.itersize = 20_000
                    named.execute(f"SELECT * FROM {table} WHERE firm_id = %s", [firm.pk])
                    for _ in named:
                        rows += 1
        assert rows == lots + transactions, (rows, lots, transactions)
        return time.perf_counter() - started

    read_floor()  # warm the cache the same way the review will find it
    floor = read_floor()

    redis_url = servers.start_redis()
    env = _env(redis_url)
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            f"--concurrency={args.concurrency}",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(ROOT / "data" / "benchmark-worker.log").open("wb"),
        start_new_session=True,
    )

    def timed_run(label: str) -> YearEndRun:
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "manage.py", "year_end_review", "--firm", SLUG]
            + ["--as-of", AS_OF.isoformat()],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if out.returncode:
            sys.exit(out.stderr)
        run = YearEndRun.objects.latest("created")
        last = 0.0
        while not run.is_finished:
            time.sleep(0.5)
            run.refresh_from_db()
            if time.perf_counter() - last > 15:
                last = time.perf_counter()
                print(f"  {label}: {run.processed:,}/{run.total:,}", flush=True)
        run.wall = time.perf_counter() - started  # type: ignore[attr-defined]
        return run

    try:
        clear()
        time.sleep(2)  # the worker's processes start
        cold = timed_run("cold")
        warm = timed_run("warm") if args.warm else None
    finally:
        os.killpg(worker.pid, 9)
        worker.wait()

    seconds = (cold.finished - cold.created).total_seconds()
    print()
    print(f"database:            PostgreSQL {BENCH_DB}")
    print(
        f"firm:                {cold.total:,} households, {lots:,} lots, "
        f"{transactions:,} transactions"
    )
    print(f"workers:             1 worker, {args.concurrency} processes (prefork), Redis broker")
    print(f"python, engine:      {platform.python_version()} ({sys.executable}), {engine_mode()}")
    print(
        f"year-end review:     {seconds:.1f} s ({cold.total / seconds:.1f} households/s; "
        f"{cold.done:,} done, {cold.failed:,} failed); goal < {GOAL_SECONDS} s: "
        f"{'met' if seconds < GOAL_SECONDS else 'MISSED'}"
    )
    print(
        f"read floor:          {floor:.1f} s (every lot and transaction of the firm, "
        f"{(lots + transactions) / floor:,.0f} rows/s, one connection)"
    )
    ratio = seconds / floor
    print(
        f"review / floor:      {ratio:.1f}× (goal ≤ {GOAL_RATIO:.0f}×: "
        f"{'met' if ratio <= GOAL_RATIO else 'MISSED'})"
    )
    if warm is not None:
        warm_seconds = (warm.finished - warm.created).total_seconds()
        print(
            f"unchanged data:      {warm_seconds:.1f} s ({warm.total / warm_seconds:.1f} "
            f"households/s; {warm.changed} plans changed)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

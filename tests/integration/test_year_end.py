"""The year-end review on real processes: a ``celery worker`` (prefork, 2 processes) on the real
Redis and the test's PostgreSQL database, over a few hundred generated households.

- a run completes with one current plan per household, exact counts and no duplicates, and a
  second run over the same data changes nothing;
- kill -9 of the worker mid-run, then a new worker: the run completes, exactly;
- a Redis of the test's own restarted mid-run: with the append-only file nothing is lost; with
  persistence off the queue is gone, and ``year_end_review --resume`` completes the run exactly;
- beat, killed and restarted (and doubled): one run per firm and scheduled moment.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, time
from time import monotonic, sleep

import pytest
import redis
from django.utils import timezone

from advisors.models import Firm
from taxlogic import services, year_end
from taxlogic.models import RunTrigger, YearEndRun
from tests.bulk_households import Seeded, seed_firm
from tests.integration.conftest import Processes, RedisServer, wait_for
from tests.year_end.checks import assert_run_exact

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

AS_OF = timezone.localdate
RUN_ID = re.compile(r"Started run (\d+) ")


def _seed(households: int, *, broken: int = 0, lots: int = 30) -> Seeded:
    as_of = AS_OF()
    return seed_firm(
        slug="integration",
        households=households,
        tax_year=as_of.year,
        as_of=as_of,
        lots_per_household=lots,
        transactions_per_household=6,
        broken=broken,
    )


def _start(processes: Processes) -> YearEndRun:
    out = processes.manage("year_end_review", "--firm", "integration")
    match = RUN_ID.search(out)
    assert match, out
    return YearEndRun.objects.get(pk=int(match.group(1)))


def _processed(run: YearEndRun) -> int:
    run.refresh_from_db()
    return run.processed


def _finished(run: YearEndRun, *, timeout: float) -> YearEndRun:
    wait_for(
        lambda: run.refresh_from_db() or run.is_finished,
        timeout=timeout,
        what=f"run {run.pk} to finish (at {run.processed}/{run.total})",
    )
    return run


def _check(run: YearEndRun, seeded: Seeded) -> None:
    rows = assert_run_exact(run)
    # Every household was reviewed: the broken ones (no tax profile) failed with their reason.
    assert run.total == len(seeded.households)
    failed = dict(run.households.filter(status="failed").values_list("household_id", "error"))
    assert set(seeded.broken) <= set(failed)
    for household_id in seeded.broken:
        assert "no tax profile" in failed[household_id]
    assert rows["done"] >= run.total - len(failed)
    assert rows["skipped"] == 0


def test_a_worker_reviews_every_household_once(processes: Processes) -> None:
    seeded = _seed(300, broken=6)
    processes.worker()
    run = _finished(_start(processes), timeout=180)
    _check(run, seeded)
    assert run.status_label.startswith("Completed")
    first_done = run.done

    # Again over the same data: every plan stands; nothing is written twice.
    again = _finished(_start(processes), timeout=180)
    assert again.pk != run.pk
    _check(again, seeded)
    assert again.done == first_done and again.changed == 0
    assert set(again.households.filter(status="done").values_list("change", flat=True)) == {
        "unchanged"
    }


def test_kill_9_the_worker_mid_run_and_a_new_worker_completes_it_exactly(
    processes: Processes,
) -> None:
    seeded = _seed(400, broken=4)
    worker, log = processes.worker()
    run = _start(processes)
    wait_for(lambda: _processed(run) >= run.total // 4, timeout=120, what="a quarter done")
    processes.kill(worker)  # the node dies: its running and prefetched tasks are unacked
    at_kill = _processed(run)
    assert at_kill < run.total, "the run finished before the kill: make it longer"
    text = log.read_text(errors="replace")
    received = len(re.findall(r"year_end_chunk\[[^\]]+\] received", text))
    succeeded = len(re.findall(r"year_end_chunk\[[^\]]+\] succeeded", text))
    assert received > succeeded  # it died holding chunks: only their redelivery can finish them
    processes.worker()
    _finished(run, timeout=180)
    _check(run, seeded)
    # Redelivered chunks found the households done before the kill done, and counted none twice.
    # What the chunks in flight (one per process) had claimed was reviewed again one by one: a
    # second attempt, never a third.
    assert run.households.filter(attempts__gt=1).count() <= 2 * year_end.CHUNK_SIZE
    assert not run.households.filter(attempts__gt=2).exists()


def _until_still(run: YearEndRun, *, seconds: float, timeout: float) -> int:
    """Wait until the run's progress has not moved for ``seconds``; return it."""
    deadline = monotonic() + timeout
    last, since = _processed(run), monotonic()
    while monotonic() < deadline:
        sleep(0.3)
        now = _processed(run)
        if now != last:
            last, since = now, monotonic()
        elif monotonic() - since >= seconds:
            return last
    raise AssertionError(f"run {run.pk} kept moving for {timeout:.0f} s")


def _queued(server: RedisServer) -> int:
    """Chunk messages waiting in the broker's queue (not yet handed to the worker)."""
    client = redis.Redis.from_url(server.url)
    try:
        return int(client.llen("celery"))
    finally:
        client.close()


def _restart_mid_run(processes: Processes, server: RedisServer) -> tuple[YearEndRun, int]:
    """Restart ``server`` while chunks still wait in its queue; return the run and its progress
    at that moment. One worker process holds one chunk at a time (prefetch 1, acks late), so
    most of the run's chunks are in Redis when it goes down: the restart is what they survive,
    or not. (With two processes a fast machine took the last queued chunk before the restart.)
    """
    processes.redis_url = server.url
    processes.worker(concurrency=1)
    run = _start(processes)
    wait_for(
        lambda: _processed(run) >= run.total // 5 and _queued(server) > 0,
        timeout=120,
        what="a fifth done with chunks still queued",
    )
    at_restart = _processed(run)
    server.restart()
    return run, at_restart


def test_redis_restarted_with_the_append_only_file_loses_nothing(
    processes: Processes, own_redis: Callable[..., RedisServer]
) -> None:
    seeded = _seed(300, broken=3)
    server = own_redis(appendonly=True)
    run, at_restart = _restart_mid_run(processes, server)
    assert at_restart < run.total
    _finished(run, timeout=180)
    _check(run, seeded)
    assert run.resumes == 0  # nothing had to be queued again by hand


def test_redis_restarted_without_persistence_then_resume_completes_exactly(
    processes: Processes, own_redis: Callable[..., RedisServer]
) -> None:
    seeded = _seed(300, broken=3)
    server = own_redis(appendonly=False)
    run, at_restart = _restart_mid_run(processes, server)
    assert at_restart < run.total

    # The queue went with the restart: once the tasks running at that moment are through,
    # nothing moves.
    _until_still(run, seconds=5, timeout=90)
    run.refresh_from_db()
    assert not run.is_finished and run.processed < run.total
    out = processes.manage("year_end_review", "--resume", str(run.pk))
    assert "chunk(s) of pending households queued" in out
    _finished(run, timeout=180)
    _check(run, seeded)
    assert run.resumes == 1


def test_beat_restarted_and_doubled_still_starts_one_run_per_scheduled_moment(
    processes: Processes,
) -> None:
    seeded = _seed(30)
    Firm.objects.filter(pk=seeded.firm.pk).update(created=datetime(2020, 1, 1, tzinfo=UTC))
    today = datetime.now(UTC).date()
    found = services.harvest_settings_get(firm_id=seeded.firm.pk)
    found.time_zone, found.run_dates, found.run_time = "UTC", [f"{today:%m-%d}"], time(0, 0)
    found.save()
    moment = datetime.combine(today, time(0, 0), UTC)
    every_second = {"YEAR_END_DISPATCH_SECONDS": "1"}
    _, worker_log = processes.worker(**every_second)
    beat, _ = processes.beat(**every_second)

    runs = YearEndRun.objects.filter(firm=seeded.firm, trigger=RunTrigger.SCHEDULE)
    wait_for(lambda: runs.exists(), timeout=60, what="the scheduled run")
    run = _finished(runs.get(), timeout=120)
    assert run.scheduled_for == moment and run.as_of == today
    _check(run, seeded)

    def dispatches() -> int:
        text = worker_log.read_text(errors="replace")
        return len(re.findall(r"taxlogic\.tasks\.year_end_dispatch\[[^\]]+\] succeeded", text))

    # Beat dies and comes back with no memory of what it sent; a second beat starts too.
    processes.kill(beat)
    before = dispatches()
    processes.beat(**every_second)
    processes.beat(**every_second)
    wait_for(lambda: dispatches() >= before + 6, timeout=60, what="more dispatches")
    assert runs.count() == 1
    assert YearEndRun.objects.filter(firm=seeded.firm).count() == 1

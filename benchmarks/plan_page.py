"""Server-side render time of the action plan page for a household with 500 lots.

    DATABASE_URL=postgres://… .venv/bin/python benchmarks/plan_page.py [--lots 500] [--runs 30]

Without DATABASE_URL it runs on the embedded SQLite database under DATA_DIR. It makes a
household (four accounts, ``--lots`` lots over twelve funds in four index groups, some recent),
reviews it, then requests its plan page in-process with Django's test client (middleware, view,
queries and template: everything but the network), and prints the review time, the page's
query count and the render times (median, 90th percentile, max). Target: under 200 ms.
Everything it writes is rolled back.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from tests.factories import AdvisorFactory  # noqa: E402
from tests.plans.conftest import big_household, review  # noqa: E402

TARGET_MS = 200


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lots", type=int, default=500)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with transaction.atomic():
        advisor = AdvisorFactory(username="plan-page-benchmark")
        household = big_household(advisor, args.lots)
        started = time.perf_counter()
        plan = review(household)
        review_ms = (time.perf_counter() - started) * 1000
        client = Client()
        client.force_login(advisor)
        url = reverse("taxlogic:plan", args=[household.public_id])
        for _ in range(3):  # warm the template cache and the connection
            assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        query_count = len(queries)  # now: each request resets the debug query log
        shown = (plan.recommendations.count(), len(plan.result["blocked"]))
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        transaction.set_rollback(True)
    times.sort()
    median = statistics.median(times)
    p90 = times[int(len(times) * 0.9) - 1]
    print(f"database:          {connection.vendor}")
    print(
        f"household:         {args.lots} lots; plan with {shown[0]} "
        f"recommendations, {shown[1]} blocked, "
        f"{len(plan.result['tax_advantaged'])} tax-advantaged lots at a loss"
    )
    print(f"review (planner):  {review_ms:.0f} ms")
    print(f"plan page queries: {query_count}")
    print(
        f"plan page render:  median {median:.1f} ms, p90 {p90:.1f} ms, max {times[-1]:.1f} ms "
        f"over {args.runs} runs (target < {TARGET_MS} ms: {'met' if p90 < TARGET_MS else 'MISSED'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

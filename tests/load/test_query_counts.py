"""Bounded queries: every page and API list takes the same number of queries for a firm of 5
households as for one of 500 (and at most its ceiling), so load grows with requests, never with
the size of the book. The pages' sizes in lots are held by tests/clients/test_pages.py and
tests/plans/test_views.py; these are the sizes of the firm and of the API pages (page_size=500).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.load.conftest import Book

# name: (who, path, ceiling). ``{h}``: a household's id, ``{run}``: the year-end run's.
# Since the merge of the book, the audit trail and the plan workflow, the household page also
# loads the engine's inputs (one basis everywhere: 12), the ledger (2), the open do-not-buy
# windows (1), the access log (1) and the audit context (1); the plan page the workflow's 6.
# The progress partial reads the plan and its recommendations' statuses only.
PAGES = {
    "household list": ("advisor", "/", 10),
    "household list, sorted by tax saved": ("advisor", "/?sort=-tax_saved", 10),
    "household page": ("advisor", "/households/{h}/", 28),
    "plan page": ("advisor", "/plans/households/{h}/", 20),
    "plan partial plan-body": ("advisor+htmx", "/plans/households/{h}/?part=plan-body", 18),
    "plan partial progress": ("advisor+htmx", "/plans/households/{h}/?part=progress", 9),
    "trades CSV": ("advisor", "/plans/households/{h}/trades.csv", 8),
    "year-end runs (advisor)": ("advisor", "/plans/year-end/", 10),
    "year-end runs (firm admin)": ("admin", "/plans/year-end/", 12),
    "year-end run page (firm admin)": ("admin", "/plans/year-end/{run}/", 12),
}
API = {
    name: ("api", f"/api/v1/{name}/?page_size=500", 8)
    for name in (
        "households",
        "people",
        "accounts",
        "lots",
        "transactions",
        "tax-profiles",
        "reviews",
        "action-plans",
        "recommendations",
    )
}
API["action-plans expanded"] = ("api", "/api/v1/action-plans/?expand=recommendations", 10)


def _count(book: Book, who: str, path: str) -> tuple[int, int]:
    client = {"api": book.api}.get(who) or book.signed_in(
        book.admin if who == "admin" else book.advisor
    )
    extra = {"HTTP_HX_REQUEST": "true"} if who.endswith("+htmx") else {}
    path = path.format(h=book.households[0].public_id, run=book.run_id)
    client.get(path, **extra)  # warm: the session, the token, caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **extra)
    assert response.status_code == 200, (path, response.status_code)
    rows = 0
    if response.get("Content-Type", "").startswith("application/json"):
        rows = len(response.json().get("results", []))
    return len(queries), rows


def test_pages_and_api_lists_take_as_many_queries_for_500_households_as_for_5(
    make_book: Callable[..., Book],
) -> None:
    small, large = make_book(5), make_book(500)
    failures = []
    for name, (who, path, ceiling) in {**PAGES, **API}.items():
        few, few_rows = _count(small, who, path)
        many, many_rows = _count(large, who, path)
        if many > few or many > ceiling:
            failures.append(f"{name}: {few} queries for 5 households, {many} for 500")
        if who == "api" and "expand" not in path:
            # The lists really held the rows: more than a default page (50) of the larger firm.
            assert many_rows > max(few_rows, 50), (name, few_rows, many_rows)
    assert not failures, failures

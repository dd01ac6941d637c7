"""The action-plan list is a summary by default (no recommendation bodies, no CRM tasks, no
figures): small at the default page size; ``?expand=recommendations`` and the detail give
everything the plan holds."""

from __future__ import annotations

import json
from collections.abc import Callable

from taxlogic.models import ActionPlan
from tests.load.conftest import Book

DETAIL_ONLY = {"recommendations", "figures", "warnings", "notes", "do_not_buy"}


def test_the_list_summarises_and_expand_or_the_detail_give_everything(
    make_book: Callable[..., Book],
) -> None:
    book = make_book(60, lots=30)
    listed = book.api.get("/api/v1/action-plans/")
    assert listed.status_code == 200
    rows = listed.json()["results"]
    assert len(rows) == 50  # the default page size
    assert all(not (DETAIL_ONLY & row.keys()) for row in rows)
    counts = {
        str(p.public_id): p.recommendations.count()
        for p in ActionPlan.objects.filter(firm=book.firm)
    }
    assert {row["id"]: row["recommendation_count"] for row in rows} == {
        row["id"]: counts[row["id"]] for row in rows
    }
    assert sum(counts.values()) > 100  # the firm's plans do recommend things
    summary_size = len(listed.content)

    expanded = book.api.get("/api/v1/action-plans/", {"expand": "recommendations"})
    assert expanded.status_code == 200
    full = expanded.json()["results"]
    assert [row["id"] for row in full] == [row["id"] for row in rows]  # the same page
    for row in full:
        assert row.keys() >= DETAIL_ONLY
        assert len(row["recommendations"]) == row["recommendation_count"] == counts[row["id"]]
        for rec in row["recommendations"]:
            assert rec["reason"]["text"] and rec["task"]["body"] and rec["task"]["title"]
    assert len(expanded.content) > 5 * summary_size
    assert summary_size < 200_000 * len(rows) / 50

    # The detail: exactly what the expanded list says of the same plan.
    one = full[0]
    detail = book.api.get(f"/api/v1/action-plans/{one['id']}/")
    assert detail.status_code == 200
    assert json.loads(detail.content) == one


def test_the_summary_pages_through_every_plan_once(make_book: Callable[..., Book]) -> None:
    book = make_book(12)
    seen: list[str] = []
    url = "/api/v1/action-plans/?page_size=5"
    while url:
        body = book.api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(
        str(p)
        for p in ActionPlan.objects.filter(firm=book.firm).values_list("public_id", flat=True)
    )
    assert len(seen) == len(set(seen)) == 12


def test_the_recommendation_list_leaves_the_task_to_expand_and_the_detail(
    make_book: Callable[..., Book],
) -> None:
    book = make_book(30, lots=30)
    listed = book.api.get("/api/v1/recommendations/")
    rows = listed.json()["results"]
    assert len(rows) == 50
    assert all("task" not in row and row["reason"]["text"] for row in rows)
    expanded = book.api.get("/api/v1/recommendations/", {"expand": "task"}).json()["results"]
    assert [row["id"] for row in expanded] == [row["id"] for row in rows]
    for summary, full in zip(rows, expanded, strict=True):
        assert full["task"]["title"] and full["task"]["body"]
        assert {k: v for k, v in full.items() if k != "task"} == summary
    detail = book.api.get(f"/api/v1/recommendations/{rows[0]['id']}/").json()
    assert detail == expanded[0]
    assert len(listed.content) < 200_000


def test_the_do_not_buy_windows_read_as_the_serializer_gives_them(
    make_book: Callable[..., Book],
) -> None:
    from taxlogic.api import AvoidOut, avoid_out
    from taxlogic.models import Recommendation

    make_book(8, lots=30)
    windows = [
        d["avoid"]
        for d in Recommendation.objects.values_list("details", flat=True)
        if d.get("avoid")
    ]
    assert windows
    for items in windows:
        assert avoid_out(items) == AvoidOut(items, many=True).data


def test_the_list_labels_accounts_as_they_are_now_and_the_detail_as_on_the_plans_day(
    make_book: Callable[..., Book],
) -> None:
    # The list reads no plan result (the labels of the plan's day live there, tens of KB to
    # decode a plan): it labels the account as the planner would today. Unrenamed, the same.
    from clients.models import Account

    book = make_book(2, lots=20)
    listed = book.api.get("/api/v1/recommendations/").json()["results"]
    assert listed
    first = listed[0]
    detail = book.api.get(f"/api/v1/recommendations/{first['id']}/").json()
    assert first["account_label"] == detail["account_label"]
    account = Account.objects.get(public_id=first["account"])
    Account.objects.filter(pk=account.pk).update(custodian="Renamed Custody")
    again = {r["id"]: r for r in book.api.get("/api/v1/recommendations/").json()["results"]}
    assert again[first["id"]]["account_label"].startswith("Renamed Custody ")
    kept = book.api.get(f"/api/v1/recommendations/{first['id']}/").json()["account_label"]
    assert kept == detail["account_label"]

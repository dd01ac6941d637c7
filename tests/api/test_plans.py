"""Action plans and recommendations through the API: the household's current plan with its
recommendations and their CRM tasks, the plan and recommendation lists, and decisions (the
page's service, decision log and webhook); validation, scopes, isolation and idempotency."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.utils import timezone

from advisors.models import Advisor, Firm, IdempotencyRecord, WebhookDelivery, WebhookEndpoint
from clients.models import Household, Price
from taxlogic import crm, services
from taxlogic.models import ActionPlan, Recommendation, RecommendationDecision
from tests.api.conftest import Integration
from tests.factories import ExternalRefFactory
from tests.plans.conftest import review


def _plan_url(household: Household) -> str:
    return f"/api/v1/households/{household.public_id}/action-plan/"


def _rec(plan: ActionPlan) -> Recommendation:
    return plan.recommendations.get(kind="harvest")


def _decide(recommendation: Recommendation, what: str) -> str:
    return f"/api/v1/recommendations/{recommendation.public_id}/{what}/"


# --- the household's current plan -------------------------------------------------------------


def test_the_current_plan_has_every_recommendation_with_reason_rule_and_tax_saved(
    api_a: object, plans: dict, settings: object
) -> None:
    settings.SITE_URL = "https://desk.example.com"
    plan = plans["advisor"]
    household = plan.household
    response = api_a.get(_plan_url(household))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == str(plan.public_id) and body["is_current"] is True
    assert body["household"] == str(household.public_id)
    assert body["url"] == f"http://testserver/api/v1/action-plans/{plan.public_id}/"
    assert body["link"] == f"https://desk.example.com/plans/households/{household.public_id}/"
    assert body["tax_saved"] == f"{plan.tax_saved:.2f}" and body["status"] == "open"
    assert body["figures"] and {"key", "label", "amount", "before"} <= set(body["figures"][0])
    stored = list(plan.recommendations.order_by("position"))
    assert [r["id"] for r in body["recommendations"]] == [str(r.public_id) for r in stored]
    harvest = next(r for r in body["recommendations"] if r["kind"] == "harvest")
    row = _rec(plan)
    assert harvest["reason"] == {"code": row.reason_code, "text": row.text, "rule": row.rule}
    assert harvest["tax_saved"] == f"{row.tax_saved:.2f}"
    assert harvest["estimated_loss"] == "1000.00"  # 100 shares bought at 50, now 40
    assert harvest["quantity"] == "100.000000" and harvest["security"] == row.security.symbol
    assert harvest["replacement"] == row.replacement.symbol
    assert harvest["lot"] == str(row.lot.public_id)
    assert harvest["person"] == str(row.account.owner.public_id)
    assert harvest["account_label"].startswith(row.account.custodian)
    assert harvest["status"] == "open" and harvest["decided_by"] is None


def test_each_recommendation_comes_as_a_crm_task(
    api_a: object, plans: dict, settings: object
) -> None:
    settings.SITE_URL = "https://desk.example.com/"
    plan = plans["advisor"]
    household = plan.household
    row = _rec(plan)
    ExternalRefFactory(owner=household, system="redtail", external_id="123")
    ExternalRefFactory(owner=row.account.owner, system="wealthbox", external_id="c-9")
    task = next(
        r["task"]
        for r in api_a.get(_plan_url(household)).json()["recommendations"]
        if r["id"] == str(row.public_id)
    )
    assert set(task) == {
        "title",
        "body",
        "due_date",
        "priority",
        "household",
        "person",
        "category",
        "link",
        "idempotency_key",
    }
    year = plan.tax_year
    assert task["due_date"] == crm.last_trading_day(year).isoformat()
    assert task["due_date"][:7] == f"{year}-12"
    assert task["category"] == "trade"
    assert task["priority"] == crm.priority(row)
    assert task["household"] == {
        "id": str(household.public_id),
        "name": household.name,
        "external_refs": [{"system": "redtail", "id": "123"}],
    }
    assert task["person"]["external_refs"] == [{"system": "wealthbox", "id": "c-9"}]
    assert task["link"] == (
        f"https://desk.example.com/plans/households/{household.public_id}/#rec-{row.public_id}"
    )
    assert task["title"].startswith("Harvest a $1,000.00 loss: sell 100 ")
    assert row.security.symbol in task["title"] and row.replacement.symbol in task["title"]
    assert row.text in task["body"] and row.rule in task["body"]
    assert f"[Open it in Harvest Desk]({task['link']})" in task["body"]
    assert task["idempotency_key"].startswith(f"harvest-desk:{year}:")


def test_the_task_key_survives_a_rerun_and_the_link_follows_the_plan(
    api_a: object, plans: dict
) -> None:
    plan = plans["advisor"]
    household = plan.household
    before = api_a.get(_plan_url(household)).json()["recommendations"]
    # A new close changes the inputs: the re-run makes a new plan with a new recommendation id.
    row = _rec(plan)
    Price.objects.filter(security=row.security, date=timezone.localdate()).update(
        close=Decimal("39")
    )
    new_plan = review(household)
    assert new_plan.pk != plan.pk
    after = api_a.get(_plan_url(household)).json()["recommendations"]
    old = next(r for r in before if r["kind"] == "harvest")
    new = next(r for r in after if r["kind"] == "harvest")
    assert new["id"] != old["id"]
    assert new["task"]["idempotency_key"] == old["task"]["idempotency_key"]
    superseded = api_a.get(f"/api/v1/recommendations/{old['id']}/").json()
    assert f"/plans/{plan.public_id}/#rec-{old['id']}" in superseded["task"]["link"]


def test_a_household_without_a_plan_is_404_and_tax_year_is_checked(
    api_a: object, households: dict, plans: dict
) -> None:
    household = households["advisor"]
    response = api_a.get(_plan_url(household), {"tax_year": 2001})
    assert response.status_code == 404
    assert "no plan for 2001" in response.json()["detail"]
    for bad in ("twenty", "1999", "2101"):
        response = api_a.get(_plan_url(household), {"tax_year": bad})
        assert response.status_code == 400 and "tax_year" in response.json()
    year = timezone.localdate().year
    assert api_a.get(_plan_url(household), {"tax_year": year}).status_code == 200


def test_the_plan_takes_a_bounded_number_of_queries(
    api_a: object, plans: dict, django_assert_max_num_queries: Callable
) -> None:
    household = plans["advisor"].household
    with django_assert_max_num_queries(12):
        assert api_a.get(_plan_url(household)).status_code == 200


# --- plans and recommendations lists ----------------------------------------------------------


def test_plans_list_filter_and_retrieve(api_a: object, plans: dict) -> None:
    listed = api_a.get("/api/v1/action-plans/")
    assert listed.status_code == 200
    ids = {row["id"] for row in listed.json()["results"]}
    assert ids == {str(plans[k].public_id) for k in plans if k != "outsider"}
    own = plans["advisor"]
    one = api_a.get(f"/api/v1/action-plans/{own.public_id}/").json()
    assert one["recommendations"] and one["id"] == str(own.public_id)
    filtered = api_a.get("/api/v1/action-plans/", {"household": str(own.household.public_id)})
    assert [row["id"] for row in filtered.json()["results"]] == [str(own.public_id)]
    year = own.tax_year
    assert len(api_a.get("/api/v1/action-plans/", {"tax_year": year}).json()["results"]) == 4
    assert api_a.get("/api/v1/action-plans/", {"is_current": "false"}).json()["results"] == []
    assert api_a.get("/api/v1/action-plans/", {"status": "done"}).json()["results"] == []
    assert api_a.get("/api/v1/action-plans/", {"status": "nope"}).status_code == 400


def test_a_decision_moves_updated_for_incremental_sync(api_a: object, plans: dict) -> None:
    start = timezone.now()
    row = _rec(plans["advisor"])
    since = {"updated_since": start.isoformat()}
    assert api_a.get("/api/v1/recommendations/", since).json()["results"] == []
    assert api_a.get("/api/v1/action-plans/", since).json()["results"] == []
    assert api_a.post(_decide(row, "approve"), {}, format="json").status_code == 200
    changed = api_a.get("/api/v1/recommendations/", since).json()["results"]
    assert [r["id"] for r in changed] == [str(row.public_id)]
    assert changed[0]["updated"] >= changed[0]["decided_at"]
    plans_changed = api_a.get("/api/v1/action-plans/", since).json()["results"]
    assert [p["id"] for p in plans_changed] == [str(plans["advisor"].public_id)]


def test_a_superseding_review_moves_the_old_plan_and_its_recommendations(
    api_a: object, plans: dict
) -> None:
    # A CRM syncing with updated_since learns that the old plan and its recommendations are
    # no longer current, and gets the new ones, in the stored sync order.
    plan = plans["advisor"]
    old_rows = {str(r.public_id) for r in plan.recommendations.all()}
    start = timezone.now()
    row = _rec(plan)
    Price.objects.filter(security=row.security, date=timezone.localdate()).update(
        close=Decimal("38")
    )
    new_plan = review(plan.household)
    since = {"updated_since": start.isoformat(), "page_size": 500}
    plans_changed = api_a.get("/api/v1/action-plans/", since).json()["results"]
    assert {p["id"]: p["is_current"] for p in plans_changed} == {
        str(plan.public_id): False,
        str(new_plan.public_id): True,
    }
    recs = api_a.get("/api/v1/recommendations/", since).json()["results"]
    new_rows = {str(r.public_id) for r in new_plan.recommendations.all()}
    assert {r["id"] for r in recs} == old_rows | new_rows
    assert [(r["updated"], r["id"]) for r in recs] == sorted((r["updated"], r["id"]) for r in recs)
    latest = max(r["updated"] for r in recs)
    later = api_a.get("/api/v1/recommendations/", {"updated_since": latest}).json()["results"]
    assert {r["id"] for r in later} == {r["id"] for r in recs if r["updated"] == latest}


def test_recommendations_list_filters(api_a: object, plans: dict) -> None:
    listed = api_a.get("/api/v1/recommendations/", {"page_size": 500}).json()["results"]
    firm_a = {
        r.public_id for k, p in plans.items() if k != "outsider" for r in p.recommendations.all()
    }
    assert {row["id"] for row in listed} == {str(i) for i in firm_a}
    own = plans["advisor"]
    by_plan = api_a.get("/api/v1/recommendations/", {"plan": str(own.public_id)}).json()
    assert {row["plan"] for row in by_plan["results"]} == {str(own.public_id)}
    by_household = api_a.get(
        "/api/v1/recommendations/", {"household": str(own.household.public_id)}
    ).json()["results"]
    assert {row["household"] for row in by_household} == {str(own.household.public_id)}
    harvests = api_a.get("/api/v1/recommendations/", {"kind": "harvest"}).json()["results"]
    assert len(harvests) == 4 and all(r["kind"] == "harvest" for r in harvests)
    assert api_a.get("/api/v1/recommendations/", {"status": "approved"}).json()["results"] == []
    assert len(api_a.get("/api/v1/recommendations/", {"is_current": "true"}).json()["results"])
    assert api_a.get("/api/v1/recommendations/", {"kind": "nope"}).status_code == 400
    assert api_a.get("/api/v1/recommendations/", {"plan": "not-a-uuid"}).status_code == 400


# --- decisions --------------------------------------------------------------------------------


def test_approve_is_recorded_like_the_page_with_log_and_webhook(
    api_a: object, plans: dict, firm_a: Firm
) -> None:
    WebhookEndpoint.objects.create(firm=firm_a, url="https://crm.example/hook")
    row = _rec(plans["advisor"])
    response = api_a.post(_decide(row, "approve"), {"reason": "Client agreed"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "approved" and body["decided_at"] and body["decided_by"] is None
    logged = RecommendationDecision.objects.get(recommendation=row)
    assert (logged.decision, logged.from_status, logged.to_status) == (
        "approve",
        "open",
        "approved",
    )
    assert logged.reason == "Client agreed" and logged.decided_by is None
    payload = WebhookDelivery.objects.get(event="recommendation.decided").payload
    assert payload["recommendation"] == str(row.public_id) and payload["status"] == "approved"
    plan = api_a.get(_plan_url(row.household)).json()
    assert plan["status"] == "decided"  # every recommendation decided, a trade approved


def test_dismiss_needs_a_reason(api_a: object, plans: dict) -> None:
    row = _rec(plans["advisor"])
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = api_a.post(_decide(row, "dismiss"), body, format="json")
        assert response.status_code == 400 and "reason" in response.json()
    too_long = api_a.post(_decide(row, "dismiss"), {"reason": "x" * 1001}, format="json")
    assert too_long.status_code == 400
    response = api_a.post(_decide(row, "dismiss"), {"reason": "Client says no"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "dismissed"
    assert response.json()["decision_reason"] == "Client says no"


def test_executed_and_reopen_and_refused_transitions_are_409(api_a: object, plans: dict) -> None:
    row = _rec(plans["advisor"])
    assert api_a.post(_decide(row, "approve"), format="json").json()["status"] == "approved"
    assert api_a.post(_decide(row, "reopen"), format="json").json()["status"] == "open"
    # Issue 15: executed only once approved.
    refused = api_a.post(_decide(row, "executed"), format="json")
    assert refused.status_code == 409 and "approve it first" in refused.json()["detail"]
    assert api_a.post(_decide(row, "approve"), format="json").json()["status"] == "approved"
    assert api_a.post(_decide(row, "executed"), format="json").json()["status"] == "executed"
    for what in ("approve", "reopen", "executed"):
        response = api_a.post(_decide(row, what), {}, format="json")
        assert response.status_code == 409
        assert response.json()["status"] == "executed"
        assert "cannot be" in response.json()["detail"]
    assert RecommendationDecision.objects.filter(recommendation=row).count() == 4


def test_a_superseded_plan_cannot_be_decided(api_a: object, plans: dict) -> None:
    plan = plans["advisor"]
    row = _rec(plan)
    Price.objects.filter(security=row.security, date=timezone.localdate()).update(
        close=Decimal("38")
    )
    review(plan.household)
    response = api_a.post(_decide(row, "approve"), {}, format="json")
    assert response.status_code == 409
    assert "newer review" in response.json()["detail"]


@pytest.mark.parametrize("body", [[], "approve", {"reason": ["x"]}])
def test_malformed_decisions_are_400(api_a: object, plans: dict, body: object) -> None:
    response = api_a.post(_decide(_rec(plans["advisor"]), "approve"), body, format="json")
    assert response.status_code == 400


# --- scopes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "decide", "read"),
    [
        (("read", "reviews"), 200, 200),  # deciding needs no write scope
        (("reviews",), 200, 403),
        (("read", "write"), 403, 200),
        (("read",), 403, 200),
    ],
)
def test_deciding_needs_reviews_reading_needs_read(
    make_integration: Callable[..., Integration],
    plans: dict,
    firm_a: Firm,
    scopes: tuple[str, ...],
    decide: int,
    read: int,
) -> None:
    http = make_integration(firm_a, scopes=scopes).http
    row = _rec(plans["advisor"])
    assert http.post(_decide(row, "approve"), {}, format="json").status_code == decide
    assert http.get(_plan_url(row.household)).status_code == read
    assert http.get(f"/api/v1/recommendations/{row.public_id}/").status_code == read
    assert http.get(f"/api/v1/action-plans/{row.plan.public_id}/").status_code == read
    assert http.get("/api/v1/recommendations/").status_code == read


@pytest.mark.parametrize(
    ("user", "household", "expected"),
    [
        ("advisor", "advisor", 200),
        ("team_lead", "teammate", 200),
        ("compliance", "advisor", 403),
        ("teammate", "advisor", 404),
        ("outsider", "advisor", 404),
    ],
)
def test_signed_in_advisors_decide_by_their_role(
    session_api: Callable[[Advisor], object],
    users: dict,
    plans: dict,
    user: str,
    household: str,
    expected: int,
) -> None:
    row = _rec(plans[household])
    response = session_api(users[user]).post(_decide(row, "approve"), {}, format="json")
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["decided_by"] == str(users[user].public_id)
        logged = RecommendationDecision.objects.get(recommendation=row)
        assert logged.decided_by == users[user]


# --- isolation --------------------------------------------------------------------------------


def test_firm_b_plans_and_recommendations_are_404(api_a: object, plans: dict) -> None:
    plan = plans["outsider"]
    row = _rec(plan)
    assert api_a.get(_plan_url(plan.household)).json() == {"detail": "No such object."}
    assert api_a.get(f"/api/v1/action-plans/{plan.public_id}/").status_code == 404
    assert api_a.get(f"/api/v1/recommendations/{row.public_id}/").status_code == 404
    for what in ("approve", "dismiss", "executed", "reopen"):
        response = api_a.post(_decide(row, what), {"reason": "x"}, format="json")
        assert response.status_code == 404
    row.refresh_from_db()
    assert row.status == "open" and not RecommendationDecision.objects.exists()


# --- idempotency ------------------------------------------------------------------------------


def test_a_decision_replays_and_another_body_with_the_key_is_422(
    api_a: object, plans: dict
) -> None:
    row = _rec(plans["advisor"])
    url = _decide(row, "dismiss")
    first = api_a.post(url, {"reason": "No"}, format="json", HTTP_IDEMPOTENCY_KEY="d-1")
    replay = api_a.post(url, {"reason": "No"}, format="json", HTTP_IDEMPOTENCY_KEY="d-1")
    assert first.status_code == replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true" and replay.json() == first.json()
    assert RecommendationDecision.objects.filter(recommendation=row).count() == 1
    other = api_a.post(url, {"reason": "Other"}, format="json", HTTP_IDEMPOTENCY_KEY="d-1")
    assert other.status_code == 422
    approve = api_a.post(_decide(row, "approve"), {}, format="json", HTTP_IDEMPOTENCY_KEY="d-1")
    assert approve.status_code == 422  # the key belongs to the dismissal
    assert RecommendationDecision.objects.filter(recommendation=row).count() == 1


def test_a_refused_decision_is_not_stored_under_its_key(api_a: object, plans: dict) -> None:
    row = _rec(plans["advisor"])
    for decision in ("approve", "execute"):  # executed only once approved (issue 15)
        services.recommendation_decide(
            recommendation=row, user=plans["advisor"].household.primary_advisor, decision=decision
        )
    url = _decide(row, "approve")
    assert api_a.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="c-1").status_code == 409
    # A conflict releases the key: the same request may be retried once the state allows it.
    assert not IdempotencyRecord.objects.filter(key="c-1").exists()


# --- the task builder on its own --------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "day"),
    [(2022, "2022-12-30"), (2023, "2023-12-29"), (2026, "2026-12-31"), (2027, "2027-12-31")],
)
def test_the_last_trading_day_of_the_year(year: int, day: str) -> None:
    assert crm.last_trading_day(year).isoformat() == day


def test_reminders_are_due_on_their_do_not_buy_date_and_take_the_plans_stake(
    plans: dict,
) -> None:
    row = _rec(plans["advisor"])
    through = datetime.date(row.plan.tax_year, 12, 20)
    row.kind, row.tax_saved, row.do_not_buy_through = "switch_drip", None, through
    row.plan.tax_saved = Decimal("1500.00")
    task = crm.recommendation_task(row, site_url="http://x")
    assert task["due_date"] == through.isoformat() and task["category"] == "reminder"
    assert task["priority"] == "high"
    assert task["title"].startswith(f"Take {row.security.symbol} dividends in cash through")
    for saved, priority in (("999.99", "medium"), ("100.00", "medium"), ("99.99", "low")):
        row.tax_saved = Decimal(saved)
        assert crm.recommendation_task(row, site_url="http://x")["priority"] == priority


def test_a_big_plan_takes_as_many_queries_as_a_small_one(
    api_a: object, advisor: Advisor, django_assert_max_num_queries: Callable
) -> None:
    from tests.plans.conftest import big_household

    household = big_household(advisor, 120)
    plan = review(household)
    assert plan.recommendations.count() > 3
    with django_assert_max_num_queries(12):
        response = api_a.get(_plan_url(household))
    assert response.status_code == 200
    assert len(response.json()["recommendations"]) == plan.recommendations.count()


def test_last_years_current_plan_links_to_its_own_page(plans: dict) -> None:
    row = _rec(plans["advisor"])
    row.plan.tax_year -= 1
    link = crm.recommendation_task(row, site_url="http://x")["link"]
    assert link == (
        f"http://x/plans/households/{row.household.public_id}/plans/{row.plan.public_id}/"
        f"#rec-{row.public_id}"
    )


def test_advisors_browse_the_new_endpoints_with_their_session(
    session_api: Callable[[Advisor], object], users: dict, plans: dict
) -> None:
    http = session_api(users["advisor"])
    household = plans["advisor"].household
    for url in (
        _plan_url(household),
        "/api/v1/action-plans/",
        "/api/v1/recommendations/",
        "/api/v1/reviews/",
        f"/api/v1/recommendations/{_rec(plans['advisor']).public_id}/",
    ):
        assert http.get(url, HTTP_ACCEPT="text/html").status_code == 200, url
        assert http.get(url).status_code == 200
    listed = http.get("/api/v1/action-plans/").json()["results"]
    assert [p["household"] for p in listed] == [str(household.public_id)]  # their own only

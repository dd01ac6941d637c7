"""taxlogic/services.py: a household into engine inputs, reviews (idempotent, one current plan,
locked), the task, and decisions with their log."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from advisors.models import Advisor, WebhookDelivery, WebhookEndpoint
from clients.models import Action, Household, Price, Transaction
from taxlogic import services
from taxlogic.models import (
    ActionPlan,
    HarvestSettings,
    PlanStatus,
    Recommendation,
    RecommendationDecision,
    Review,
)
from taxlogic.rules.cases import evaluate, parse_case
from taxlogic.rules.harvest import plan_from_snapshot
from taxlogic.rules.version import ENGINE_VERSION
from tests.factories import (
    AccountFactory,
    PersonFactory,
    TaxLotFactory,
    TransactionFactory,
)
from tests.plans.conftest import TODAY, add_loss, days_ago, fund, review

pytestmark = pytest.mark.django_db


def _inputs(household: Household) -> services.Inputs:
    return services.household_inputs(household, tax_year=TODAY().year, as_of=TODAY())


# --- household_inputs ---------------------------------------------------------------------------


def test_inputs_map_old_lots_window_buys_and_sales(households: dict) -> None:
    household = households["advisor"]
    account = household.accounts.get()
    old = account.lots.get()  # bought 400 days ago: a starting lot
    old.wash_sale_adjustment = Decimal("30.00")  # the custodian's, from before the window
    old.save()
    security = fund("WIN", "Window index", "10")
    recent = TaxLotFactory(
        account=account,
        security=security,
        original_quantity=Decimal(10),
        cost_basis=Decimal("150.00"),
        wash_sale_adjustment=Decimal("99.00"),  # recomputed by the engine, never added
        acquired=days_ago(20),
    )
    TransactionFactory(lot=recent, action=Action.REINVEST, price=Decimal(15))
    # 40 of the old lot's 100 shares were sold 10 days ago.
    old.quantity, old.cost_basis = Decimal(60), Decimal("600.00")
    old.save()
    sale = Transaction.objects.create(
        account=account,
        security=old.security,
        lot=old,
        trade_date=days_ago(10),
        action=Action.SELL,
        quantity=Decimal(40),
        price=Decimal(12),
        amount=Decimal("480.00"),
        basis_relieved=Decimal("412.00"),
    )
    case = _inputs(household).snapshot["case"]
    lots = {lot["id"]: lot for lot in case["lots"]}
    trades = {t["id"]: t for t in case["transactions"]}
    assert lots[str(old.public_id)] == {
        "id": str(old.public_id),
        "account": str(account.public_id),
        "symbol": old.security.symbol,
        "quantity": "100",  # open now + sold in the window
        "basis": "1042.00",  # 600 + 30 adjustment + 412 relieved
        "acquired": old.holding_period_start.isoformat(),
        "how": "purchase",
    }
    assert trades[str(recent.public_id)] == {
        "id": str(recent.public_id),
        "account": str(account.public_id),
        "date": days_ago(20).isoformat(),
        "action": "reinvest",
        "symbol": "WIN",
        "quantity": "10",
        "amount": "150.00",
    }
    assert trades[str(sale.public_id)]["lots"] == [{"lot": str(old.public_id), "quantity": "40"}]
    assert case["prices"]["WIN"] == "10"
    assert {s["symbol"] for s in case["securities"]} >= {"WIN", old.security.symbol}
    assert case["filing_status"] == "single" and case["income"]["ordinary"] == "120000.00"


def test_inputs_know_recurring_purchases_and_label_accounts(households: dict) -> None:
    household = households["advisor"]
    owner = household.people.get()
    plan = AccountFactory(household=household, owner=owner, type="401k", custodian="Fidelity")
    security = fund("AGGX", "Aggregate", "95")
    for n in (10, 24):
        lot = TaxLotFactory(account=plan, security=security, acquired=days_ago(n))
        TransactionFactory(lot=lot)
    planner = _inputs(household).snapshot["planner"]
    assert planner["recurring"] == [
        {
            "account": str(plan.public_id),
            "symbol": "AGGX",
            "kind": "contribution",
            "last": days_ago(10).isoformat(),
        }
    ]
    assert planner["labels"][str(plan.public_id)].startswith("Fidelity ")
    assert "(401(k), " in planner["labels"][str(plan.public_id)]
    assert (planner["min_loss"], planner["min_loss_percent"]) == ("250", "5")


def test_a_childs_529_is_the_parents_and_the_plan_says_so(households: dict) -> None:
    household = households["advisor"]
    child = PersonFactory(household=household, role="dependent", name="Kid")
    college = AccountFactory(household=household, owner=child, type="529")
    utma = AccountFactory(household=household, owner=child, type="custodial")
    snapshot = _inputs(household).snapshot
    owners = {a["id"]: a["owner"] for a in snapshot["case"]["accounts"]}
    taxpayer = household.people.get(role="taxpayer")
    assert owners[str(college.public_id)] == str(taxpayer.public_id)
    assert owners[str(utma.public_id)] == str(child.public_id)
    assert [n["code"] for n in snapshot["planner"]["notes"]] == ["dependent_account"]
    plan_from_snapshot(snapshot)  # the engine accepts it


def test_a_household_without_a_tax_profile_cannot_be_reviewed(households: dict) -> None:
    household = households["advisor"]
    household.tax_profiles.all().delete()
    with pytest.raises(ValidationError, match="tax profile"):
        _inputs(household)
    failed = services.household_review_run(
        household=household, tax_year=TODAY().year, as_of=TODAY(), requested_by=None
    )
    assert failed.status == "failed" and "tax profile" in failed.error


def test_inputs_take_a_fixed_number_of_queries(
    advisor: Advisor, make_big_household: object, django_assert_max_num_queries: object
) -> None:
    for lots in (10, 300):
        household = make_big_household(advisor, lots)
        HarvestSettings.objects.get_or_create(firm=household.firm)
        with django_assert_max_num_queries(11):
            inputs = _inputs(household)
        assert len(inputs.lots) == lots


def test_policy_flags_and_thresholds_come_from_the_firm(households: dict) -> None:
    household = households["advisor"]
    found = services.harvest_settings_get(firm_id=household.firm_id)
    found.min_loss_dollars = Decimal("100.00")
    found.policy = {**found.policy, "same_index_funds_identical": False}
    found.save()
    snapshot = _inputs(household).snapshot
    assert snapshot["planner"]["min_loss"] == "100"
    assert snapshot["case"]["policy"]["same_index_funds_identical"] is False


# --- reviews ----------------------------------------------------------------------------------


def test_a_review_keeps_its_inputs_and_plans_the_harvest(households: dict) -> None:
    household = households["advisor"]
    lot = add_loss(household)
    plan = review(household)
    computed = plan.reviews.get()
    assert computed.engine_version == ENGINE_VERSION and not computed.reused
    assert computed.inputs_hash == services.inputs_hash(computed.inputs) == plan.inputs_hash
    assert computed.policy["same_index_funds_identical"] is True
    [harvest] = plan.recommendations.all()
    assert (harvest.kind, harvest.lot, harvest.quantity) == ("harvest", lot, Decimal(100))
    assert harvest.estimated_loss == Decimal("1000.00")
    assert harvest.replacement.symbol.startswith("REPL")
    assert harvest.do_not_buy_through == days_ago(-30)
    assert plan.harvest_loss == Decimal("1000.00") and plan.tax_saved > 0
    assert plan.status == PlanStatus.OPEN
    # Re-running the stored inputs gives the stored plan.
    assert plan_from_snapshot(computed.inputs).to_json()["figures"] == plan.result["figures"]
    # The case part is a case of the engine's JSON format (python -m taxlogic evaluate).
    result = evaluate(parse_case(computed.inputs["case"]))
    assert result["tax"]["total"] == f"{plan.tax_before:.2f}"


def test_rerunning_unchanged_data_yields_the_same_plan(households: dict) -> None:
    household = households["advisor"]
    add_loss(household)
    plan = review(household)
    counts = (Review.objects.count(), ActionPlan.objects.count(), Recommendation.objects.count())
    again = services.household_review_run(
        household=household, tax_year=TODAY().year, as_of=TODAY(), requested_by=None
    )
    assert again.plan == plan
    assert counts == (
        Review.objects.count(),
        ActionPlan.objects.count(),
        Recommendation.objects.count(),
    )


def test_changed_data_replaces_the_plan_and_carries_decisions(
    households: dict, advisor: Advisor
) -> None:
    household = households["advisor"]
    lot = add_loss(household)
    first = review(household)
    harvest = first.recommendations.get()
    services.recommendation_decide(
        recommendation=harvest, user=advisor, decision="dismiss", reason="client says no"
    )
    other = household.accounts.get().lots.exclude(pk=lot.pk).get()
    Price.objects.filter(security=other.security).update(close=Decimal("13.00"))  # data changed
    second = review(household)
    first.refresh_from_db()
    assert second != first and second.is_current and not first.is_current
    assert first.superseded is not None
    carried = second.recommendations.get()
    assert carried.status == "dismissed" and carried.decision_reason == "client says no"
    assert carried.decisions.get().decision == "carry"
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionPlan.objects.filter(pk=first.pk).update(is_current=True)


def test_review_request_queues_the_task_which_runs_it(
    households: dict, advisor: Advisor, django_capture_on_commit_callbacks: object
) -> None:
    household = households["advisor"]
    add_loss(household)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queued = services.review_request(household=household, user=advisor)
    assert len(callbacks) == 1
    queued.refresh_from_db()
    assert queued.status == "done" and queued.requested_by == advisor
    assert queued.plan.recommendations.count() == 1
    # The task is idempotent: a second delivery does nothing.
    assert services.review_execute(review_id=queued.pk).plan == queued.plan
    assert ActionPlan.objects.count() == 1


def test_a_pending_review_is_not_queued_twice(households: dict, advisor: Advisor) -> None:
    household = households["advisor"]
    first = services.review_request(household=household, user=advisor)  # not committed: queued
    assert services.review_request(household=household, user=advisor) == first


def test_only_who_may_change_the_household_may_run_a_review(households: dict, users: dict) -> None:
    for key in ("compliance", "outsider", "other_team_advisor"):
        with pytest.raises(PermissionDenied):
            services.review_request(household=households["advisor"], user=users[key])


def test_a_failed_review_says_why_and_emits_a_webhook(households: dict) -> None:
    household = households["advisor"]
    WebhookEndpoint.objects.create(firm=household.firm, url="https://crm.example/hook")
    household.people.update(role="spouse")
    queued = Review.objects.create(
        firm=household.firm, household=household, tax_year=TODAY().year, as_of=TODAY()
    )
    done = services.review_execute(review_id=queued.pk)
    assert done.status == "failed" and "no taxpayer" in done.error
    assert WebhookDelivery.objects.get().event == "review.failed"


def test_a_ready_plan_and_a_decision_emit_webhooks(households: dict, advisor: Advisor) -> None:
    household = households["advisor"]
    WebhookEndpoint.objects.create(firm=household.firm, url="https://crm.example/hook")
    add_loss(household)
    plan = review(household)
    services.recommendation_decide(
        recommendation=plan.recommendations.get(), user=advisor, decision="approve"
    )
    events = list(WebhookDelivery.objects.order_by("id").values_list("event", flat=True))
    assert events == ["action_plan.ready", "recommendation.decided"]
    payload = WebhookDelivery.objects.get(event="action_plan.ready").payload
    assert payload["household"] == str(household.public_id) and payload["tax_saved"]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_reviews_make_one_plan(households: dict) -> None:
    household = households["advisor"]
    add_loss(household)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            services.household_review_run(
                household=household, tax_year=TODAY().year, as_of=TODAY(), requested_by=None
            )
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert ActionPlan.objects.filter(household=household).count() == 1
    assert Review.objects.filter(household=household).count() == 1


# --- decisions --------------------------------------------------------------------------------


def test_decisions_follow_their_transitions_and_are_logged(
    households: dict, advisor: Advisor, team_lead: Advisor
) -> None:
    household = households["advisor"]
    add_loss(household)
    plan = review(household)
    harvest = plan.recommendations.get()
    decide = services.recommendation_decide
    with pytest.raises(ValidationError, match="why"):
        decide(recommendation=harvest, user=advisor, decision="dismiss", reason="  ")
    decide(recommendation=harvest, user=advisor, decision="approve")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DECIDED
    with pytest.raises(ValidationError, match="approved cannot be approved"):
        decide(recommendation=harvest, user=advisor, decision="approve")
    decide(recommendation=harvest, user=team_lead, decision="execute")
    harvest.refresh_from_db()
    plan.refresh_from_db()
    assert (harvest.status, harvest.decided_by) == ("executed", team_lead)
    assert plan.status == PlanStatus.DONE
    with pytest.raises(ValidationError):
        decide(recommendation=harvest, user=advisor, decision="reopen")
    log = list(
        RecommendationDecision.objects.order_by("decided_at").values_list(
            "decision", "from_status", "to_status", "decided_by__username"
        )
    )
    assert log == [
        ("approve", "open", "approved", "advisor"),
        ("execute", "approved", "executed", "team_lead"),
    ]


def test_only_writers_decide_and_only_on_the_current_plan(households: dict, users: dict) -> None:
    household = households["advisor"]
    add_loss(household)
    plan = review(household)
    harvest = plan.recommendations.get()
    for key in ("compliance", "outsider", "teammate"):
        with pytest.raises(PermissionDenied):
            services.recommendation_decide(
                recommendation=harvest, user=users[key], decision="approve"
            )
    ActionPlan.objects.filter(pk=plan.pk).update(is_current=False)
    with pytest.raises(ValidationError, match="newer review"):
        services.recommendation_decide(
            recommendation=harvest, user=users["advisor"], decision="approve"
        )


def test_firm_admins_change_the_settings_others_do_not(users: dict, firm_a: object) -> None:
    services.harvest_settings_update(
        user=users["firm_admin"], firm=firm_a, changes={"min_loss_dollars": Decimal("500")}
    )
    assert HarvestSettings.objects.get(firm=firm_a).min_loss_dollars == Decimal("500")
    for key in ("advisor", "team_lead", "compliance", "outsider"):
        with pytest.raises(PermissionDenied):
            services.harvest_settings_update(
                user=users[key], firm=firm_a, changes={"min_loss_dollars": Decimal("1")}
            )
    with pytest.raises(ValidationError):
        services.harvest_settings_update(
            user=users["firm_admin"], firm=firm_a, changes={"firm": None}
        )

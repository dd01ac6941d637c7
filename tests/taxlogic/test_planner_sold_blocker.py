"""Regression: a blocked lot whose blocking purchase the plan itself harvests.

The planner asks the engine whether selling a blocked lot's recent purchase too would make its
harvest clean. When the plan already sells that purchase (it is at a loss too), the question
used to sell it twice and the review failed ("sells 206 of lot 'NEW-B', which holds 0"); found
by the year-end benchmark, where it failed about half the households.
"""

from __future__ import annotations

from taxlogic.rules.harvest import plan_from_snapshot

BRK, FUND, TWIN, OTHER = "BRK", "YF11A", "YF11B", "YR11"


def _snapshot() -> dict:
    lot = {"how": "purchase", "account": BRK}
    return {
        "case": {
            "tax_year": 2025,
            "as_of": "2025-11-01",
            "filing_status": "single",
            "people": [{"id": "P1", "role": "taxpayer"}],
            "accounts": [
                {"id": BRK, "type": "taxable_individual", "owner": "P1"},
                {"id": "IRA", "type": "traditional_ira", "owner": "P1"},
            ],
            "securities": [
                {"symbol": FUND, "kind": "fund", "tracks": "Index 11", "same_as": None},
                {"symbol": TWIN, "kind": "fund", "tracks": "Index 11", "same_as": None},
                {"symbol": OTHER, "kind": "fund", "tracks": "Other 11", "same_as": None},
            ],
            "lots": [
                {**lot, "id": "OLD-A1", "symbol": FUND, "quantity": "338",
                 "basis": "46065.80", "acquired": "2020-01-25"},
                {**lot, "id": "OLD-A2", "symbol": FUND, "quantity": "340",
                 "basis": "36828.65", "acquired": "2020-08-25"},
                {**lot, "id": "OLD-B", "symbol": TWIN, "quantity": "86",
                 "basis": "18844.11", "acquired": "2024-06-27"},
            ],
            "transactions": [
                {"id": "NEW-B", "account": BRK, "date": "2025-10-03", "action": "buy",
                 "symbol": TWIN, "quantity": "206", "amount": "52385.27"},
            ],
            "prices": {FUND: "174.25", TWIN: "211.25", OTHER: "173.25"},
            "income": {"ordinary": "341034.00", "investment": "2666.00"},
            "carryforward_in": {"short_term": "7000.00", "long_term": "0.00"},
        },
        "planner": {
            "min_loss": "250",
            "min_loss_percent": "5",
            "replacements": {FUND: [OTHER], TWIN: [OTHER]},
            "recurring": [],
            "labels": {},
            "notes": [],
        },
    }  # fmt: skip


def test_a_blocking_purchase_the_plan_harvests_is_not_sold_twice() -> None:
    plan = plan_from_snapshot(_snapshot())
    sold = {r.lot for r in plan.recommendations if r.lot}
    assert "NEW-B" in sold  # the recent purchase is itself harvested
    blocked = {finding.lot: finding for finding in plan.blocked}
    assert "OLD-B" in blocked  # and still blocks the older lot of the same index
    assert not any(n.code == "clean_if_sold_too" for n in blocked["OLD-B"].notes)

"""What every finished year-end run must satisfy, shared by the unit and integration tests."""

from __future__ import annotations

from collections import Counter

from django.db.models import Count

from taxlogic.models import ActionPlan, Review, YearEndRun


def assert_run_exact(run: YearEndRun, *, finished: bool = True) -> Counter[str]:
    """Counts equal the status rows, add up to the total, and every household has at most one
    current plan for the tax year (exactly one when its review is done); no review computed
    the same plan twice. Returns the rows by status."""
    run.refresh_from_db()
    rows = Counter(run.households.values_list("status", flat=True))
    assert run.households.count() == run.total == sum(rows.values())
    assert (run.done, run.failed, run.skipped) == (rows["done"], rows["failed"], rows["skipped"])
    assert run.processed == run.total - rows["pending"]
    if finished:
        assert run.status == "completed", (run.status, rows)
        assert rows["pending"] == 0
        assert run.finished is not None
    duplicates = (
        ActionPlan.objects.filter(firm=run.firm, tax_year=run.tax_year, is_current=True)
        .values("household")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not duplicates.exists(), list(duplicates)
    done = run.households.filter(status="done").values("household")
    with_plan = ActionPlan.objects.filter(
        household__in=done, tax_year=run.tax_year, is_current=True
    ).count()
    assert with_plan == run.done
    computed_twice = (
        Review.objects.filter(firm=run.firm, reused=False, plan__isnull=False)
        .values("plan")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not computed_twice.exists()
    assert run.changed == run.households.filter(change__in=("changed", "new")).count()
    return rows

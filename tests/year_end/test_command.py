"""``manage.py year_end_review``: start, follow with a progress bar, status, resume; and the
same command in the embedded mode (SQLite, no Redis: tasks in-process), as `make demo` runs."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from advisors.models import Firm
from clients.models import Household, TaxProfile
from taxlogic.models import YearEndRun
from tests.year_end.checks import assert_run_exact

ROOT = Path(__file__).resolve().parents[2]


def _call(*args: str) -> str:
    out = io.StringIO()
    call_command("year_end_review", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)  # the command's commit queues the (eager) tasks
def test_start_and_follow_a_run_with_a_progress_bar(
    households: dict[str, Household], firm_a: Firm
) -> None:
    TaxProfile.objects.filter(household=households["teammate"]).delete()
    out = _call("--firm", "firm-a", "--as-of", "2026-11-01", "--wait")
    run = YearEndRun.objects.get(firm=firm_a)
    assert f"Started run {run.pk}" in out
    assert "[########################################] 4/4 100%" in out
    assert "Completed with 1 failure: 3 done (3 plans changed), 1 failed, 0 skipped of 4" in out
    assert "no tax profile" in out
    assert (run.as_of.isoformat(), run.tax_year, run.trigger) == ("2026-11-01", 2026, "command")
    assert_run_exact(run)

    assert "Completed with 1 failure" in _call("--status", str(run.public_id))
    assert "already complete" in _call("--resume", str(run.pk))

    out = _call("--retry-failed", str(run.pk), "--wait")
    retry = YearEndRun.objects.get(retry_of=run)
    assert f"Started run {retry.pk}" in out and f"the 1 failed households of run {run.pk}" in out
    assert "Completed with 1 failure: 0 done" in out  # still no tax profile
    with pytest.raises(CommandError, match="no failed households"):
        _call(
            "--retry-failed",
            str(
                YearEndRun.objects.create(
                    firm=firm_a,
                    tax_year=2026,
                    as_of="2026-11-01",
                    trigger="command",
                    status="completed",
                ).pk
            ),
        )


@pytest.mark.django_db
def test_a_team_and_a_tax_year(households: dict[str, Household], firm_a: Firm) -> None:
    _call(
        "--firm", str(firm_a.pk), "--team", "North", "--as-of", "2026-11-01", "--tax-year", "2026"
    )
    run = YearEndRun.objects.get()
    assert run.team.name == "North" and run.total == 3


@pytest.mark.django_db
def test_mistakes_are_reported(firm_a: Firm) -> None:
    with pytest.raises(CommandError, match="No firm"):
        _call("--firm", "nope")
    with pytest.raises(CommandError, match="no team"):
        _call("--firm", "firm-a", "--team", "Nowhere")
    with pytest.raises(CommandError, match="No year-end run"):
        _call("--resume", "999999")
    with pytest.raises(CommandError, match="Give --firm"):
        _call()


def test_the_embedded_mode_runs_the_same_code_in_process(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DEBUG")
    }
    env["DATA_DIR"] = str(tmp_path)

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    for step in (("migrate", "--noinput"), ("seed_demo",)):
        done = manage(*step)
        assert done.returncode == 0, done.stderr
    from clients.management.commands.seed_demo import FIRM_SLUG

    run = manage("year_end_review", "--firm", FIRM_SLUG, "--wait")
    assert run.returncode == 0, run.stderr
    assert "100%" in run.stdout and "Completed" in run.stdout, run.stdout
    again = manage("year_end_review", "--firm", FIRM_SLUG, "--wait")
    assert "(0 plans changed)" in again.stdout, again.stdout

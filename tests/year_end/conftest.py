"""Fixtures of the year-end tests: running a run in-process (tasks are eager in the unit tests,
and queued on commit, so the commit callbacks are executed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from advisors.models import Firm
from taxlogic import year_end
from taxlogic.models import RunTrigger, YearEndRun

TODAY = timezone.localdate


@pytest.fixture
def start_run(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> Callable[..., YearEndRun]:
    """``start_run(firm, **options)``: start a run and let its (eager) tasks run."""

    def start(firm: Firm, **options: Any) -> YearEndRun:
        options.setdefault("as_of", TODAY())
        options.setdefault("trigger", RunTrigger.COMMAND)
        with django_capture_on_commit_callbacks(execute=True):
            run, _ = year_end.year_end_start(firm=firm, **options)
        run.refresh_from_db()
        return run

    return start

"""python manage.py year_end_review: the firm's year-end review, for operators.

    manage.py year_end_review --firm acme --as-of 2026-11-01 [--tax-year 2026] [--team North]
    manage.py year_end_review --resume RUN          # queue again whatever is not done
    manage.py year_end_review --retry-failed RUN    # a new run over a finished run's failures
    manage.py year_end_review --status RUN          # where a run stands
    ... --wait                                      # follow it with a progress bar

Starting queues the run on the workers (with no REDIS_URL it runs here, in-process) and prints
its id. ``--resume`` is the answer to a broker that lost its queue (a Redis restarted without
persistence): it re-enqueues every household still pending, and what is done stays done.
``--retry-failed`` starts a new run over the households a finished run failed (once their
data is fixed), at the same as-of date; the finished run keeps its record.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from advisors.models import Firm, Team
from taxlogic import year_end
from taxlogic.models import RunTrigger, YearEndRun

BAR_WIDTH = 40


def _firm(value: str) -> Firm:
    firm = Firm.objects.filter(slug=value).first()
    if firm is None and value.isdigit():
        firm = Firm.objects.filter(pk=int(value)).first()
    if firm is None:
        raise CommandError(f"No firm with the slug or id {value!r}.")
    return firm


def _team(firm: Firm, value: str) -> Team:
    teams = Team.objects.filter(firm=firm)
    team = teams.filter(name=value).first()
    if team is None and value.isdigit():
        team = teams.filter(pk=int(value)).first()
    if team is None:
        raise CommandError(f"{firm} has no team named {value!r}.")
    return team


def _run(value: str) -> YearEndRun:
    runs = YearEndRun.objects.select_related("firm", "team")
    run = runs.filter(pk=int(value)).first() if value.isdigit() else None
    if run is None:
        try:
            run = runs.filter(public_id=value).first()
        except ValidationError:
            run = None
    if run is None:
        raise CommandError(f"No year-end run {value!r} (give its number or its public id).")
    return run


def progress_line(run: YearEndRun) -> str:
    """``[#######.....] 4123/10000  41%  35.2/s  ETA 2m47s  3 failed``."""
    p = year_end.run_progress(run)
    filled = BAR_WIDTH * p.processed // run.total if run.total else BAR_WIDTH
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    rate = f"{p.per_second:.1f}/s" if p.per_second else "—/s"
    tail = f"ETA {p.eta}" if not run.is_finished else run.status_label
    failed = f"  {run.failed} failed" if run.failed else ""
    return f"[{bar}] {p.processed}/{run.total} {p.percent:3d}%  {rate}  {tail}{failed}"


class Command(BaseCommand):
    help = "Start (or resume, or follow) a firm's year-end review of every household."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--firm", help="The firm's slug or id.")
        parser.add_argument(
            "--as-of", type=date.fromisoformat, help="YYYY-MM-DD; default today (firm's zone)."
        )
        parser.add_argument("--tax-year", type=int, help="Default: the as-of date's year.")
        parser.add_argument("--team", help="Only this team's households (name or id).")
        parser.add_argument("--resume", metavar="RUN", help="Queue a run's pending households.")
        parser.add_argument(
            "--retry-failed", metavar="RUN", help="Start a run over a finished run's failures."
        )
        parser.add_argument("--status", metavar="RUN", help="Print where a run stands.")
        parser.add_argument(
            "--wait", action="store_true", help="Follow the run with a progress bar until done."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["resume"]:
            run = _run(options["resume"])
            chunks = year_end.year_end_resume(run=run)
            self.stdout.write(
                f"Run {run.pk} ({run.public_id}): {chunks} chunk(s) of pending households queued."
                if chunks or run.status != "completed"
                else f"Run {run.pk} is already complete: nothing to resume."
            )
        elif options["retry_failed"]:
            failed_run = _run(options["retry_failed"])
            try:
                run, created = year_end.year_end_retry_failed(run=failed_run)
            except ValidationError as error:
                raise CommandError(f"Run {failed_run.pk}: {' '.join(error.messages)}") from None
            verb = "Started" if created else "Already running:"
            self.stdout.write(
                f"{verb} run {run.pk} ({run.public_id}): the {run.total} failed households of "
                f"run {failed_run.pk}."
            )
        elif options["status"]:
            run = _run(options["status"])
        else:
            if not options["firm"]:
                raise CommandError(
                    "Give --firm (to start a run), --resume RUN, --retry-failed RUN "
                    "or --status RUN."
                )
            firm = _firm(options["firm"])
            team = _team(firm, options["team"]) if options["team"] else None
            as_of = options["as_of"] or year_end.firm_today(firm)
            run, created = year_end.year_end_start(
                firm=firm,
                team=team,
                as_of=as_of,
                tax_year=options["tax_year"],
                trigger=RunTrigger.COMMAND,
            )
            verb = "Started" if created else "Already running:"
            self.stdout.write(
                f"{verb} run {run.pk} ({run.public_id}): {run} — {run.total} households."
            )
        run.refresh_from_db()
        if options["wait"]:
            self._follow(run)
        else:
            self.stdout.write(progress_line(run))
        self._report(run)

    def _follow(self, run: YearEndRun) -> None:
        tty = sys.stdout.isatty()
        last = 0.0
        while True:
            run.refresh_from_db()
            now = time.monotonic()
            if tty:
                self.stdout.write("\r" + progress_line(run), ending="")
                self.stdout.flush()
            elif now - last >= 5 or run.is_finished:
                self.stdout.write(progress_line(run))
                last = now
            if run.is_finished:
                break
            time.sleep(1)
        if tty:
            self.stdout.write("")

    def _report(self, run: YearEndRun) -> None:
        if not run.is_finished:
            return
        p = year_end.run_progress(run)
        self.stdout.write(
            f"{run.status_label}: {run.done} done ({run.changed} plans changed), "
            f"{run.failed} failed, {run.skipped} skipped of {run.total} in "
            f"{year_end.duration_text(p.elapsed_seconds)}."
        )
        for row in run.households.filter(status="failed").select_related("household")[:50]:
            self.stdout.write(f"  failed: {row.household} (id {row.household_id}): {row.error}")

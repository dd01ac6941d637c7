"""Monitoring: noticing a market move worth a review (``price_moved_lots``, used by the nightly
refresh), and telling people: the ``year_end_run.finished`` webhook, and the daily digest email
to each advisor (new harvests, wash-sale risks, plans changed in the last day), sent with
Django's mail (``EMAIL_BACKEND``: the console in the demo), exactly once per advisor and day:
a ``DigestSent`` row (unique advisor and day) is claimed and committed before the mail goes,
and released if the mail fails. A worker killed between the claim and the mail leaves a claim
with no ``sent`` time: that digest is not sent (at most once, never twice)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, Exists, ExpressionWrapper, F, OuterRef, QuerySet
from django.utils import timezone

from advisors.models import Advisor, WebhookEvent
from advisors.webhooks import webhooks_emit
from clients.models import TaxLot
from clients.selectors import latest_close
from taxlogic.models import (
    ActionPlan,
    DigestSent,
    HarvestSettings,
    Recommendation,
    WashAlert,
    YearEndRun,
)

DIGEST_SPAN = timedelta(days=1)


def run_finished_emit(*, run_id: int) -> None:
    """The ``year_end_run.finished`` event of a run that just completed (its figures)."""
    run = YearEndRun.objects.select_related("team").get(pk=run_id)
    webhooks_emit(
        firm_id=run.firm_id,
        event=WebhookEvent.YEAR_END_RUN_FINISHED,
        payload={
            "run": str(run.public_id),
            "tax_year": run.tax_year,
            "as_of": run.as_of.isoformat(),
            "trigger": run.trigger,
            "team": str(run.team.public_id) if run.team_id else None,
            "total": run.total,
            "done": run.done,
            "failed": run.failed,
            "skipped": run.skipped,
            "changed": run.changed,
            "finished": run.finished.isoformat() if run.finished else None,
        },
    )


@dataclass(slots=True)
class Digest:
    advisor: Advisor
    harvests: list[Recommendation] = field(default_factory=list)
    alerts: list[WashAlert] = field(default_factory=list)
    plans: list[ActionPlan] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.harvests or self.alerts or self.plans)

    def text(self) -> str:
        lines = [f"Harvest Desk, the last day for {self.advisor.get_full_name() or self.advisor}."]
        if self.harvests:
            total = sum((r.estimated_loss or Decimal(0) for r in self.harvests), Decimal(0))
            lines += ["", f"New harvests to decide: {len(self.harvests)} (${total:,.2f} of losses)"]
            lines += [
                f"- {r.household.name}: sell {r.quantity.normalize():f} {r.security.symbol}, "
                f"loss ${r.estimated_loss or 0:,.2f}, tax saved ${r.tax_saved or 0:,.2f}"
                for r in self.harvests
            ]
        if self.alerts:
            lines += ["", f"Wash-sale risks: {len(self.alerts)}"]
            lines += [f"- {a.household.name}: {a.text}" for a in self.alerts]
        if self.plans:
            lines += ["", f"Plans changed: {len(self.plans)}"]
            lines += [
                f"- {p.household.name}: plan as of {p.as_of:%Y-%m-%d}, "
                f"tax saved ${p.tax_saved:,.2f}"
                for p in self.plans
            ]
        return "\n".join(lines) + "\n"


def digests(*, now: datetime | None = None) -> list[Digest]:
    """Each advisor's last day: harvests of plans made in it still open, alerts raised, plans
    made (the households they are the primary advisor of); three queries."""
    now = now or timezone.now()
    since = now - DIGEST_SPAN
    found: dict[int, Digest] = {}

    def of(advisor: Advisor) -> Digest:
        return found.setdefault(advisor.pk, Digest(advisor))

    for r in (
        Recommendation.objects.filter(
            kind="harvest", status="open", plan__is_current=True, plan__created__gte=since
        )
        .select_related("household__primary_advisor", "security")
        .order_by("household__name", "position")
    ):
        of(r.household.primary_advisor).harvests.append(r)
    for a in WashAlert.objects.filter(created__gte=since).select_related(
        "household__primary_advisor"
    ):
        of(a.household.primary_advisor).alerts.append(a)
    for p in (
        ActionPlan.objects.filter(created__gte=since, is_current=True)
        .defer("result")
        .select_related("household__primary_advisor")
        .order_by("household__name")
    ):
        of(p.household.primary_advisor).plans.append(p)
    return [d for d in found.values() if not d.empty and d.advisor.email and d.advisor.is_active]


class DigestsNotSent(Exception):
    """Some digests could not be mailed; their claims were released, so a retry sends them."""

    def __init__(self, failures: dict[str, str]) -> None:
        super().__init__(failures)  # the only argument: picklable, for Celery's retry
        self.failures = failures

    def __str__(self) -> str:
        return "Digests not sent: " + "; ".join(f"{w}: {why}" for w, why in self.failures.items())


def _claim(advisor: Advisor, day: date) -> DigestSent | None:
    """Claim ``advisor``'s digest of ``day`` in a transaction of its own, committed before the
    mail goes (``durable``: never inside a caller's transaction); None when another beat, worker
    or retry holds it already (the unique constraint waits for theirs to commit or roll back)."""
    try:
        with transaction.atomic(durable=True):
            return DigestSent.objects.create(advisor=advisor, day=day)
    except IntegrityError:
        return None


def digests_send(*, now: datetime | None = None) -> int:
    """Send the daily digest to every advisor with something in it, once per advisor and day
    (``DigestSent``); how many this call sent. A mail that fails releases its claim and, after
    the others are sent, raises ``DigestsNotSent`` so that the task is retried."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    sent = 0
    failures: dict[str, str] = {}
    for d in digests(now=now):
        claim = _claim(d.advisor, day)
        if claim is None:
            continue
        try:
            send_mail(
                subject="Harvest Desk: your day",
                message=d.text(),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[d.advisor.email],
            )
        except Exception as error:  # SMTP, DNS, a refused recipient: released for the retry
            DigestSent.objects.filter(pk=claim.pk).delete()
            failures[d.advisor.get_username()] = f"{type(error).__name__}: {error}"
            continue
        DigestSent.objects.filter(pk=claim.pk).update(sent=timezone.now())
        sent += 1
    if failures:
        raise DigestsNotSent(failures)
    return sent


def price_moved_lots(
    firm_settings: HarvestSettings, *, tax_year: int, as_of: date
) -> QuerySet[TaxLot]:
    """Open taxable lots whose last close (``price_updated``: when it was imported or entered)
    puts them past both harvest thresholds, and that the current plan does not already sell:
    a market drop since the last review is a reason to review again."""
    money = DecimalField(max_digits=30, decimal_places=8)
    value = ExpressionWrapper(F("close") * F("quantity"), output_field=money)
    basis = ExpressionWrapper(F("cost_basis") + F("wash_sale_adjustment"), output_field=money)
    keep = (Decimal(100) - firm_settings.min_loss_percent) / Decimal(100)
    recommended = Recommendation.objects.filter(
        lot=OuterRef("pk"), plan__is_current=True, plan__tax_year=tax_year
    )
    return (
        TaxLot.objects.filter(quantity__gt=0, account__treatment="taxable")
        .annotate(
            close=latest_close("close", as_of),
            price_updated=latest_close("updated", as_of),
            value=value,
            basis=basis,
        )
        .filter(
            close__isnull=False,
            value__lte=F("basis") - firm_settings.min_loss_dollars,
        )
        .filter(value__lte=ExpressionWrapper(F("basis") * keep, output_field=money))
        .exclude(Exists(recommended))
    )

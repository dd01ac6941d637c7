"""Reviews, the action plans they produce, the recommendations and every decision on them; and
each firm's harvest settings.

A ``Review`` keeps the exact inputs it was computed from (a case in the engine's JSON format plus
the planner's settings), their hash and the engine version, so that a plan can be re-run and
shown to an examiner. Reviews, plans and recommendations belong to a household and are scoped
like it (advisors/scoping.py, registered in taxlogic/apps.py); each carries its firm in an
indexed column so that scoped queries stay on its own table.
"""

from __future__ import annotations

import uuid
from datetime import time
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from clients.models import MONEY, QUANTITY
from taxlogic.fields import CompressedJSONField
from taxlogic.rules.harvest import Step
from taxlogic.rules.wash_household import Policy

PERCENT = {"max_digits": 5, "decimal_places": 2}
DEFAULT_RUN_DATES = ["11-01", "12-01"]  # month-day, in the firm's time zone


def default_policy() -> dict[str, bool]:
    """The policy flags of tax-rules.md, at their defaults."""
    return Policy().to_json()


def default_run_dates() -> list[str]:
    return list(DEFAULT_RUN_DATES)


class HarvestSettings(models.Model):
    """A firm's harvesting rules: thresholds, the policy flags where authorities split, and
    when the year-end review runs. Firm admins change them; everyone in the firm reads them."""

    firm = models.OneToOneField(
        "advisors.Firm", on_delete=models.CASCADE, related_name="harvest_settings"
    )
    min_loss_dollars = models.DecimalField(
        "minimum loss ($)",
        **MONEY,
        default=Decimal("250.00"),
        help_text="A lot is harvested only when its loss is at least this many dollars…",
    )
    min_loss_percent = models.DecimalField(
        "minimum loss (% of basis)",
        **PERCENT,
        default=Decimal("5.00"),
        help_text="…and at least this share of its basis.",
    )
    policy = models.JSONField(default=default_policy)
    time_zone = models.CharField(max_length=64, default="America/New_York")
    run_dates = models.JSONField(
        default=default_run_dates, help_text="Year-end review days, month-day (MM-DD)."
    )
    run_time = models.TimeField(default=time(6, 0))
    second_approval_above = models.DecimalField(
        "second approval above ($)",
        **MONEY,
        null=True,
        blank=True,
        help_text="A trade whose loss or gain is above this many dollars needs a second "
        "person's approval before it is traded (maker-checker). Empty: one approval is enough.",
    )
    updated = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "harvest settings"
        verbose_name_plural = "harvest settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(min_loss_dollars__gte=0), name="harvestsettings_dollars_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(min_loss_percent__gte=0, min_loss_percent__lte=100),
                name="harvestsettings_percent_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Harvest settings of {self.firm}"

    def policy_flags(self) -> Policy:
        """The engine's ``Policy``: stored flags over the defaults (unknown keys ignored)."""
        names = Policy.flag_names()
        return Policy(**{k: bool(v) for k, v in self.policy.items() if k in names})


class ReviewStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Review(models.Model):
    """One run of the planner for a household: what it was given, and how it went.

    ``plan`` is the plan it produced or, when the inputs were unchanged (``reused``), the
    current plan it found; only the review that computed a plan is not ``reused``.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey("advisors.Firm", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        "clients.Household", on_delete=models.PROTECT, related_name="reviews"
    )
    tax_year = models.PositiveSmallIntegerField()
    as_of = models.DateField()
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    inputs = CompressedJSONField(null=True, blank=True, help_text="The case and planner settings.")
    inputs_hash = models.CharField(max_length=64, blank=True)
    engine_version = models.CharField(max_length=20, blank=True)
    policy = models.JSONField(default=dict, blank=True)
    plan = models.ForeignKey(
        "ActionPlan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviews",
    )
    reused = models.BooleanField(default=False)
    # The firm's replacement list version the review used (clients.ReplacementListVersion).
    replacement_list_version = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    # The latest change of the row, for the API's incremental sync (its order and
    # ``updated_since``, from the index below): created, started or finished.
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["household", "-created"], name="review_household_idx"),
            models.Index(fields=["firm", "status"], name="review_firm_status_idx"),
            models.Index(fields=["firm", "updated", "public_id"], name="review_sync_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["plan"],
                condition=Q(reused=False, plan__isnull=False),
                name="review_one_computing_review_per_plan",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReviewStatus.DONE) | Q(plan__isnull=False),
                name="review_done_has_plan",
            ),
        ]

    def __str__(self) -> str:
        return f"Review of {self.household} ({self.get_status_display()})"

    @property
    def finished_ok(self) -> bool:
        return self.status == ReviewStatus.DONE

    @property
    def in_progress(self) -> bool:
        return self.status in (ReviewStatus.QUEUED, ReviewStatus.RUNNING)


class PlanStatus(models.TextChoices):
    NOTHING = "nothing", "Nothing to do"
    OPEN = "open", "Awaiting decisions"
    DECIDED = "decided", "Approved, to trade"
    DONE = "done", "Done"


class ActionPlan(models.Model):
    """What to do before year end, computed by a review. One plan per household and tax year
    is current; a re-run with changed inputs replaces it (the old one stays, superseded).

    ``result`` is the planner's plan as JSON (figures, blocked lots, tax-advantaged accounts,
    the do-not-buy calendar, warnings, notes), with the labels it names things by; the
    recommendations are not in it but rows of their own, since advisors decide them one by one.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey("advisors.Firm", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        "clients.Household", on_delete=models.PROTECT, related_name="action_plans"
    )
    tax_year = models.PositiveSmallIntegerField()
    as_of = models.DateField()
    inputs_hash = models.CharField(max_length=64)
    engine_version = models.CharField(max_length=20)
    is_current = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.OPEN)
    harvest_loss = models.DecimalField(**MONEY, default=Decimal("0.00"))
    tax_before = models.DecimalField(**MONEY, default=Decimal("0.00"))
    tax_after = models.DecimalField(**MONEY, default=Decimal("0.00"))
    tax_saved = models.DecimalField(**MONEY, default=Decimal("0.00"))
    result = CompressedJSONField()
    created = models.DateTimeField(auto_now_add=True)
    superseded = models.DateTimeField(null=True, blank=True)
    # The latest change of the row, for the API's incremental sync (its order and
    # ``updated_since``, from the index below): created, superseded, its status
    # changed, or one of its recommendations decided.
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["firm", "tax_year", "is_current"], name="plan_firm_current_idx"),
            models.Index(fields=["household", "tax_year", "-created"], name="plan_household_idx"),
            models.Index(fields=["firm", "updated", "public_id"], name="plan_sync_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "tax_year"],
                condition=Q(is_current=True),
                name="actionplan_one_current_per_household_year",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan {self.tax_year} of {self.household} as of {self.as_of}"


class RecommendationStatus(models.TextChoices):
    OPEN = "open", "Open"
    CHECKING = "checking", "Awaiting a second approval"
    APPROVED = "approved", "Approved"
    DISMISSED = "dismissed", "Dismissed"
    EXECUTED = "executed", "Executed"


class Decision(models.TextChoices):
    """What an advisor does to a recommendation (the decision log's verbs)."""

    APPROVE = "approve", "Approved"
    DISMISS = "dismiss", "Dismissed"
    EXECUTE = "execute", "Marked executed"
    REOPEN = "reopen", "Reopened"
    CARRY = "carry", "Carried over from the previous plan"
    MATCH = "match", "Matched to a recorded sale"


class Fill(models.TextChoices):
    """How a recorded sale matched the trade a recommendation asked for."""

    NONE = "", "—"
    EXACT = "exact", "As recommended"
    PARTIAL = "partial", "Partial fill: to confirm"
    DIFFERENT = "different", "Different sale: to confirm"
    CONFIRMED = "confirmed", "Fill confirmed by the advisor"


STEP_LABELS = {
    Step.HARVEST: "Harvest a loss",
    Step.SWITCH_DRIP: "Switch dividends to cash",
    Step.CHANGE_CONTRIBUTION: "Change contribution allocation",
    Step.REALIZE_GAIN: "Realize a gain at 0%",
}


# The recommendations that are trades (a sale to make), not advice.
TRADE_KINDS = (Step.HARVEST, Step.REALIZE_GAIN)


class Recommendation(models.Model):
    """One thing the plan asks for, in order (``position``), with its reason and rule.

    A harvest sells ``quantity`` of ``lot`` for an ``estimated_loss`` (positive) and buys
    ``replacement``; ``tax_saved`` is its share of the plan's saving in the order listed.
    ``details`` holds the rest of the planner's explanation (notes, why the replacement is not
    identical, the do-not-buy list).

    A year-end run writes some twenty of these per household, so the table carries no index it
    does not need: firm, household and plan are covered by the composite indexes below (their
    leading columns), and ``decided_by`` (set to null when an advisor is deleted) by none.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey(
        "advisors.Firm", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    household = models.ForeignKey(
        "clients.Household",
        on_delete=models.PROTECT,
        related_name="recommendations",
        db_index=False,
    )
    plan = models.ForeignKey(
        ActionPlan, on_delete=models.CASCADE, related_name="recommendations", db_index=False
    )
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=24, choices=[(s.value, STEP_LABELS[s]) for s in Step])
    account = models.ForeignKey("clients.Account", on_delete=models.PROTECT, related_name="+")
    security = models.ForeignKey("clients.Security", on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(
        "clients.TaxLot", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    price = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    estimated_loss = models.DecimalField(**MONEY, null=True, blank=True)
    estimated_gain = models.DecimalField(**MONEY, null=True, blank=True)
    term = models.CharField(max_length=8, blank=True)
    tax_saved = models.DecimalField(**MONEY, null=True, blank=True)
    carryforward_added = models.DecimalField(**MONEY, null=True, blank=True)
    replacement = models.ForeignKey(
        "clients.Security", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    replacement_price = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    do_not_buy_through = models.DateField(null=True, blank=True)
    reason_code = models.CharField(max_length=64)
    text = models.TextField()
    rule = models.CharField(max_length=300)
    details = CompressedJSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=RecommendationStatus.choices, default=RecommendationStatus.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    # Maker-checker: who gave the first of two approvals (taxlogic/decisions.py).
    first_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # Decided through the API: the API client (decided_by is then empty).
    decided_by_client = models.ForeignKey(
        "advisors.ApiClient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # The recorded sale that carried the trade out (taxlogic/trades.py), and what it realized.
    sale = models.ForeignKey(
        "clients.Transaction", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    fill = models.CharField(max_length=10, choices=Fill.choices, blank=True, default="")
    realized_loss = models.DecimalField(**MONEY, null=True, blank=True)
    credited_tax_saved = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="Tax saved credited once executed."
    )
    # The latest change of the row, for the API's incremental sync (its order and
    # ``updated_since``, from the index below): created with its plan, decided, carried
    # out by a sale, or its plan superseded.
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["plan_id", "position"]
        indexes = [
            models.Index(fields=["firm", "status"], name="recommendation_firm_idx"),
            models.Index(fields=["household", "status"], name="recommendation_household_idx"),
            models.Index(fields=["firm", "updated", "public_id"], name="recommendation_sync_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "position"], name="recommendation_position_unique"
            ),
            models.CheckConstraint(
                condition=~Q(status=RecommendationStatus.DISMISSED) | ~Q(decision_reason=""),
                name="recommendation_dismissal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.security}"

    @property
    def is_trade(self) -> bool:
        return self.kind in TRADE_KINDS


class RecommendationDecision(models.Model):
    """The decision log: who did what to which recommendation, when, and why."""

    firm = models.ForeignKey("advisors.Firm", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("clients.Household", on_delete=models.PROTECT, related_name="+")
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.PROTECT, related_name="decisions"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    from_status = models.CharField(max_length=10, choices=RecommendationStatus.choices)
    to_status = models.CharField(max_length=10, choices=RecommendationStatus.choices)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by_client = models.ForeignKey(
        "advisors.ApiClient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField()
    # The plan version the decision was made on (its as-of date and engine are on the plan).
    plan = models.ForeignKey(
        ActionPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [
            models.Index(fields=["household", "-decided_at"], name="decision_household_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.decided_by} at {self.decided_at}"


# --- Year-end runs (issue 5) ------------------------------------------------------------------


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "The year-end schedule"
    REFRESH = "refresh", "The daily refresh of changed households"
    ADVISOR = "advisor", "Started on the site"
    COMMAND = "command", "manage.py year_end_review"
    RETRY = "retry", "A retry of another run's failed households"


_ACTIVE_RUN = Q(status__in=[RunStatus.QUEUED, RunStatus.RUNNING])


class YearEndRun(models.Model):
    """A review of every household of a firm (or of one of its teams) for a tax year.

    Each household has a status row (``YearEndHousehold``); the counters are bumped in the same
    transaction as the row leaves ``pending``, and only if it did, so they stay exact however
    often a task is redelivered: ``done + failed + skipped`` is how many rows have left
    ``pending`` and the run is complete when it reaches ``total``.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey("advisors.Firm", on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(
        "advisors.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for a firm-wide run.",
    )
    tax_year = models.PositiveSmallIntegerField()
    as_of = models.DateField()
    trigger = models.CharField(max_length=10, choices=RunTrigger.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The moment of the schedule this run is for (scheduled and refresh runs only): with the
    # unique constraint below, the guard that makes a restarted or duplicated beat harmless.
    scheduled_for = models.DateTimeField(null=True, blank=True)
    retry_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="retries",
        help_text="The run whose failed households this run reviews again.",
    )
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0, help_text="Households whose plan changed.")
    resumes = models.PositiveSmallIntegerField(default=0)
    resumed = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    progressed = models.DateTimeField(null=True, blank=True, help_text="Last household finished.")
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["firm", "-created"], name="yearendrun_firm_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "trigger", "scheduled_for"],
                condition=Q(scheduled_for__isnull=False),
                name="yearendrun_one_per_scheduled_moment",
            ),
            # One run at a time over the same households (a second start returns the first).
            models.UniqueConstraint(
                fields=["firm"],
                condition=_ACTIVE_RUN & Q(team__isnull=True),
                name="yearendrun_one_active_per_firm",
            ),
            models.UniqueConstraint(
                fields=["firm", "team"],
                condition=_ACTIVE_RUN & Q(team__isnull=False),
                name="yearendrun_one_active_per_team",
            ),
            models.CheckConstraint(
                condition=Q(total__gte=F("done") + F("failed") + F("skipped")),
                name="yearendrun_counts_within_total",
            ),
            models.CheckConstraint(
                condition=~Q(status=RunStatus.COMPLETED)
                | Q(total=F("done") + F("failed") + F("skipped")),
                name="yearendrun_completed_counts_add_up",
            ),
        ]

    def __str__(self) -> str:
        scope = self.team.name if self.team_id else "the firm"
        return f"Year-end review {self.tax_year} of {scope} as of {self.as_of}"

    @property
    def processed(self) -> int:
        return self.done + self.failed + self.skipped

    @property
    def is_finished(self) -> bool:
        return self.status == RunStatus.COMPLETED

    @property
    def status_label(self) -> str:
        if self.status == RunStatus.COMPLETED and self.failed:
            return f"Completed with {self.failed} failure{'s' if self.failed != 1 else ''}"
        return self.get_status_display()


class HouseholdRunStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class PlanChange(models.TextChoices):
    """What a household's review did to its plan."""

    NONE = "", "—"
    UNCHANGED = "unchanged", "Unchanged (same data: the plan stands)"
    UPDATED = "updated", "Recomputed, same recommendations"
    CHANGED = "changed", "Recommendations changed"
    NEW = "new", "First plan of the year"


class YearEndHousehold(models.Model):
    """One household of a year-end run: pending until its review is recorded, once."""

    run = models.ForeignKey(YearEndRun, on_delete=models.CASCADE, related_name="households")
    firm = models.ForeignKey("advisors.Firm", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        "clients.Household", on_delete=models.PROTECT, related_name="year_end_rows"
    )
    status = models.CharField(
        max_length=10, choices=HouseholdRunStatus.choices, default=HouseholdRunStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    review = models.ForeignKey(
        Review, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    change = models.CharField(max_length=10, choices=PlanChange.choices, blank=True, default="")
    error = models.TextField(blank=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run_id", "household_id"]
        verbose_name = "year-end household"
        indexes = [models.Index(fields=["run", "status"], name="yearendhh_run_status_idx")]
        constraints = [
            models.UniqueConstraint(fields=["run", "household"], name="yearendhh_once_per_run"),
            models.CheckConstraint(
                condition=Q(status=HouseholdRunStatus.PENDING) | Q(finished__isnull=False),
                name="yearendhh_finished_when_not_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} in run {self.run_id}: {self.get_status_display()}"

    @property
    def plan_changed(self) -> bool:
        return self.change in (PlanChange.CHANGED, PlanChange.NEW)


# --- After the plan (issue 15): the watch after a sale, planned gains, blotter exports --------


class WashWatch(models.Model):
    """A loss sale's do-not-buy window, kept until it closes (30 days after the sale) whatever
    review or tax year comes next: one per recorded sale at a loss (taxlogic/watch.py)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey("advisors.Firm", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        "clients.Household", on_delete=models.PROTECT, related_name="wash_watches"
    )
    sale = models.OneToOneField(
        "clients.Transaction", on_delete=models.PROTECT, related_name="wash_watch"
    )
    account = models.ForeignKey("clients.Account", on_delete=models.PROTECT, related_name="+")
    security = models.ForeignKey("clients.Security", on_delete=models.PROTECT, related_name="+")
    sold = models.DateField()
    through = models.DateField(help_text="The last day a purchase would wash the loss.")
    loss = models.DecimalField(**MONEY, help_text="The loss realized (positive).")
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["through", "id"]
        indexes = [
            models.Index(fields=["household", "through"], name="washwatch_household_idx"),
            models.Index(fields=["firm", "through"], name="washwatch_firm_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(loss__gt=0), name="washwatch_loss_positive"),
        ]

    def __str__(self) -> str:
        return f"Do not buy {self.security} through {self.through}"


class WashAlert(models.Model):
    """A purchase, reinvestment or plan contribution recorded in a covered account inside a
    watch's window: the loss it puts at stake, and whether that loss would be lost for good."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey("advisors.Firm", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        "clients.Household", on_delete=models.PROTECT, related_name="wash_alerts"
    )
    watch = models.ForeignKey(WashWatch, on_delete=models.PROTECT, related_name="alerts")
    acquisition = models.ForeignKey(
        "clients.Transaction", on_delete=models.PROTECT, related_name="+"
    )
    loss_at_stake = models.DecimalField(**MONEY)
    permanent = models.BooleanField(default=False)
    text = models.TextField()
    rule = models.CharField(max_length=300)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["household", "-created"], name="washalert_household_idx")]
        constraints = [
            models.UniqueConstraint(fields=["watch", "acquisition"], name="washalert_once"),
        ]

    def __str__(self) -> str:
        return self.text


class Term(models.TextChoices):
    SHORT = "short", "Short-term"
    LONG = "long", "Long-term"


class PlannedRealization(models.Model):
    """A gain (or loss) the client expects to realize outside our accounts this tax year: the
    planner offsets it first, like the tax profile's other gains (taxlogic/planned.py)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey("advisors.Firm", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        "clients.Household", on_delete=models.CASCADE, related_name="planned_realizations"
    )
    tax_year = models.PositiveSmallIntegerField()
    date = models.DateField()
    amount = models.DecimalField(**MONEY, help_text="A gain; a negative amount is a loss.")
    term = models.CharField(max_length=5, choices=Term.choices)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["household", "tax_year"], name="planned_household_idx")]

    def __str__(self) -> str:
        return f"{self.get_term_display()} {self.amount} on {self.date}"


class BlotterExport(models.Model):
    """The log of trade blotter exports: who downloaded which orders, when, with what filters."""

    firm = models.ForeignKey("advisors.Firm", on_delete=models.PROTECT, related_name="+")
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    format = models.CharField(max_length=20)
    custodian = models.CharField(max_length=100, blank=True)
    filters = models.JSONField(default=dict, blank=True)
    rows = models.PositiveIntegerField(default=0)
    recommendations = models.JSONField(default=list, help_text="Public ids exported.")

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"Blotter {self.format} by {self.exported_by} at {self.created}"


class DigestSent(models.Model):
    """The claim on one advisor's daily digest of one day (taxlogic/digest.py): taken (and
    committed) before the mail goes, released if the mail fails. The unique constraint makes a
    doubled beat, a restarted beat or a retried task send each digest once."""

    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests_sent"
    )
    day = models.DateField()
    claimed = models.DateTimeField(auto_now_add=True)
    sent = models.DateTimeField(null=True, blank=True, help_text="Empty: claimed, not sent yet.")

    class Meta:
        ordering = ["-day", "advisor_id"]
        constraints = [
            models.UniqueConstraint(fields=["advisor", "day"], name="digest_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"Digest of {self.advisor_id} for {self.day}"


# The audit trail (django-pghistory): event models of the tables above.
from taxlogic import history  # noqa: E402, F401

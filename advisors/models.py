"""Who works here: firms, their teams, and the people (advisors) with a role each.

What each role may see and change is decided in advisors/scoping.py, nowhere else.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from advisors import netguard


class Firm(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "name"], name="team_name_unique_in_firm"),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADVISOR = "advisor", "Advisor"
    TEAM_LEAD = "team_lead", "Team lead"
    FIRM_ADMIN = "firm_admin", "Firm admin"
    COMPLIANCE = "compliance", "Compliance reviewer"


# Roles that use the admin site: firm admins manage it, compliance reviewers read it.
STAFF_ROLES = frozenset({Role.FIRM_ADMIN, Role.COMPLIANCE})


class Advisor(AbstractUser):
    """A person who signs in. ``firm`` is empty only for the platform's own superusers."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey(
        Firm, on_delete=models.PROTECT, null=True, blank=True, related_name="people"
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ADVISOR)
    # For the API's updated_since (last_login is saved alone, so signing in does not touch it).
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        verbose_name = "advisor"
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.TEAM_LEAD) | Q(team__isnull=False),
                name="advisor_team_lead_has_team",
            ),
            models.CheckConstraint(
                condition=Q(is_superuser=True) | Q(firm__isnull=False),
                name="advisor_belongs_to_firm",
            ),
            models.CheckConstraint(
                condition=Q(team__isnull=True) | Q(firm__isnull=False),
                name="advisor_team_needs_firm",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def clean(self) -> None:
        super().clean()
        if self.team_id is not None and self.team.firm_id != self.firm_id:
            raise ValidationError({"team": "The team must belong to the advisor's firm."})
        if self.role == Role.TEAM_LEAD and self.team_id is None:
            raise ValidationError({"team": "A team lead needs a team."})

    def save(self, *args: object, **kwargs: object) -> None:
        # Admin access follows the role: firm admins and compliance reviewers are staff.
        self.is_staff = self.is_superuser or self.role in STAFF_ROLES
        super().save(*args, **kwargs)

    @property
    def role_label(self) -> str:
        return Role(self.role).label


# --- Integrations: API clients, webhooks, idempotency ----------------------------------------


class ApiScope(models.TextChoices):
    READ = "read", "Read households, accounts, lots and plans"
    WRITE = "write", "Create and change households, people, accounts, lots and transactions"
    REVIEWS = "reviews", "Start reviews and decide recommendations"


class ApiClient(models.Model):
    """A firm's integration (a CRM, a script): an OAuth2 client-credentials application.

    It authenticates as itself, not as an advisor, and sees exactly its firm's data
    (advisors/scoping.py); its scopes decide which endpoints it may call. The client secret is
    shown once and kept hashed by django-oauth-toolkit; revoking deletes the application and
    its tokens and keeps this row for the record.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="api_clients")
    name = models.CharField(max_length=100)
    scopes = models.CharField(max_length=100, help_text="Space-separated: read write reviews.")
    application = models.OneToOneField(
        "oauth2_provider.Application",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="api_client",
    )
    client_id = models.CharField(max_length=100, unique=True, editable=False)
    created_by = models.ForeignKey(
        Advisor, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    revoked = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        Advisor, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # The principal protocol that DRF, the throttles and advisors/scoping.py read.
    is_authenticated = True
    is_anonymous = False
    is_superuser = False
    is_staff = False

    class Meta:
        ordering = ["-created"]
        verbose_name = "API client"
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "name"],
                condition=Q(revoked__isnull=True),
                name="apiclient_active_name_unique_in_firm",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked is None

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    def has_scope(self, scope: str) -> bool:
        return self.is_active and scope in self.scope_set


class WebhookEvent(models.TextChoices):
    ACTION_PLAN_READY = "action_plan.ready", "An action plan is ready"
    RECOMMENDATION_DECIDED = "recommendation.decided", "A recommendation was decided"
    REVIEW_FAILED = "review.failed", "A review failed"
    WASH_SALE_RISK = "wash_sale.risk", "A purchase inside a loss sale's wash-sale window"
    YEAR_END_RUN_FINISHED = "year_end_run.finished", "A year-end or nightly run finished"
    PING = "ping", "Test event (sent from the webhook page)"


class WebhookEndpoint(models.Model):
    """A URL of the firm's that receives events, signed with HMAC-SHA256 under ``secret``.

    The secret must stay readable (we sign with it), so unlike API client secrets it is not
    hashed; it is shown once when the endpoint is created or the secret rotated.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="webhook_endpoints")
    url = models.URLField(max_length=500, validators=[netguard.url_validate])
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(
        default=list, blank=True, help_text="Event names; empty means every event."
    )
    secret = models.CharField(max_length=100, editable=False)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        Advisor, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["url", "id"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.url

    def wants(self, event: str) -> bool:
        return self.is_active and (not self.events or event in self.events)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event for one endpoint: the payload as sent, and where its delivery stands."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=50)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempt_count = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    delivered = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["endpoint", "-created"], name="delivery_endpoint_idx")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery and what came back."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="attempt_number_unique"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class IdempotencyRecord(models.Model):
    """A POST, PUT or PATCH sent with an ``Idempotency-Key`` header and the response it got,
    replayed when the same caller sends the same key and body again (advisors/idempotency.py).
    """

    owner = models.CharField(max_length=80, help_text="client:<uuid> or advisor:<uuid>.")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the canonical body.")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"


# Sessions and security events (secauth): their own module, part of this app.
from advisors.security_models import SecurityEvent, UserSession  # noqa: E402, F401

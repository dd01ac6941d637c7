"""Sessions a user can see and end, and the security events a firm can read.

Imported by advisors/models.py, so they belong to the advisors app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class UserSession(models.Model):
    """One signed-in browser session: listed on the user's sessions page, ended from there
    (or when the user is disabled, changes their password or second factor)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="user_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta:
        app_label = "advisors"
        ordering = ("-last_seen", "-id")

    def __str__(self) -> str:
        return f"session of user {self.user_id} since {self.created:%Y-%m-%d %H:%M}"


class SecurityEventKind(models.TextChoices):
    MFA_ENROLLED = "mfa_enrolled", "Second factor set up"
    MFA_RESET = "mfa_reset", "Second factor reset by a firm admin"
    RECOVERY_CODES = "recovery_codes", "New recovery codes"
    RECOVERY_CODE_USED = "recovery_code_used", "Recovery code used"
    SESSIONS_ENDED = "sessions_ended", "Sessions ended"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    USER_DISABLED = "user_disabled", "User disabled"


class SecurityEvent(models.Model):
    """Who did what to whose sign-in, when (UTC), from where. Ids only, no secrets."""

    created = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=30, choices=SecurityEventKind.choices)
    firm = models.ForeignKey(
        "advisors.Firm", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="security_events",
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        app_label = "advisors"
        ordering = ("-created", "-id")

    def __str__(self) -> str:
        return f"{self.kind} of user {self.subject_id} by {self.actor_id} at {self.created}"

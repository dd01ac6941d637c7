"""Who works here: firms, their teams, and the people (advisors) with a role each.

What each role may see and change is decided in advisors/scoping.py, nowhere else.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


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

"""The firm's book beyond lots: each person's loss carryforward ledger and the versions of a
firm's replacement list. Imported by clients/models.py (these are clients models).

Both are append-only: a correction is a new entry (the ledger) or a new version (the list),
never an edit, so what a past review was given can always be shown again.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from clients.models import MONEY, Household, Person


class Character(models.TextChoices):
    """A carryforward keeps its character (IRC §1212(b)(1))."""

    SHORT_TERM = "short_term", "Short-term"
    LONG_TERM = "long_term", "Long-term"


class CarryforwardSource(models.TextChoices):
    ENTERED = "entered", "Entered"
    ROLLED = "rolled", "Rolled from the prior year's plan"
    ENGINE = "engine", "Rolled: the engine's carryover worksheet on the prior year's plan"


class CarryforwardEntry(models.Model):
    """One person's loss carryforward *into* ``tax_year``, of one character, with where it
    came from (tax-rules.md §4.4). The newest entry for a person, year and character is the
    one in force; older ones stay as the history of corrections."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Denormalized from the person so that the ledger is scoped and loaded by household.
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="carryforward_entries"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="carryforwards")
    tax_year = models.PositiveSmallIntegerField()
    character = models.CharField(max_length=10, choices=Character.choices)
    amount = models.DecimalField(**MONEY, help_text="A loss, as a positive amount.")
    source = models.CharField(max_length=8, choices=CarryforwardSource.choices)
    reason = models.TextField(blank=True)
    # Rolled entries: the year and plan (its public id) whose carryforward out this is.
    rolled_from_year = models.PositiveSmallIntegerField(null=True, blank=True)
    rolled_from_plan = models.UUIDField(null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["household_id", "-tax_year", "person_id", "character", "created", "id"]
        verbose_name_plural = "carryforward entries"
        indexes = [
            models.Index(fields=["household", "tax_year"], name="carryforward_household_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="carryforward_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(tax_year__gte=2000, tax_year__lte=2100),
                name="carryforward_year_sane",
            ),
            models.CheckConstraint(
                condition=~Q(source=CarryforwardSource.ENTERED) | ~Q(reason=""),
                name="carryforward_entered_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(source=CarryforwardSource.ENTERED) | Q(rolled_from_year__isnull=False),
                name="carryforward_rolled_names_its_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.tax_year} {self.get_character_display()}: {self.amount}"


class ReplacementListVersion(models.Model):
    """A firm's whole replacement list as it stood after one change. Version numbers count up
    from 1 per firm; the newest is the list in force, and each review records the one it used.
    ``entries`` keeps each pair with the indexes both tracked then and the firm's reason."""

    firm = models.ForeignKey(
        "advisors.Firm", on_delete=models.PROTECT, related_name="replacement_versions"
    )
    number = models.PositiveIntegerField()
    entries = models.JSONField(default=list)
    change = models.TextField(help_text="What this version changed.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["firm_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "number"], name="replacementversion_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="replacementversion_from_1"),
        ]

    def __str__(self) -> str:
        return f"Replacement list v{self.number} of {self.firm}"

from __future__ import annotations

import re
from typing import Any
from zoneinfo import available_timezones

from django import forms

from clients import bounds
from taxlogic.models import Decision, HarvestSettings
from taxlogic.rules.wash_household import Policy

# What each policy flag means, in the words of tax-rules.md §1–§2.
POLICY_LABELS = {
    "same_index_funds_identical": "Funds tracking the same index are substantially identical",
    "employer_plan_purchase_triggers": "A purchase in a 401(k)-type plan washes a taxable loss",
    "hsa_529_purchase_triggers": "A purchase in an HSA or 529 plan washes a taxable loss",
    "spouse_ira_purchase_triggers": (
        "A purchase in the spouse's IRA (or plan, HSA, 529) washes the taxpayer's loss"
    ),
    "same_lot_remainder_is_replacement": (
        "The unsold rest of the very lot sold can be its replacement"
    ),
    "earlier_acquired_lot_is_replacement": (
        "A lot bought before the one sold can be its replacement (literal §1091(a))"
    ),
    "inherited_wash_tacks_long_term": (
        "A replacement for washed inherited shares is long-term (§1223(9) with §1223(3))"
    ),
}
RUN_DATE_RE = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(d.value, d.label) for d in Decision if d != Decision.CARRY]
    )
    reason = forms.CharField(required=False, max_length=1000)


class HarvestSettingsForm(forms.Form):
    """The firm's settings: thresholds, one checkbox per policy flag, the year-end schedule."""

    min_loss_dollars = bounds.form_money(label="Minimum loss ($)", min_value=0)
    min_loss_percent = forms.DecimalField(
        label="Minimum loss (% of basis)", min_value=0, max_value=100, decimal_places=2
    )
    second_approval_above = forms.DecimalField(
        label="Second approval above ($)",
        required=False,
        min_value=0,
        max_digits=18,
        decimal_places=2,
        help_text="A trade whose loss or gain is above this needs a second person's approval. "
        "Empty: one approval is enough.",
    )
    time_zone = forms.CharField(label="Time zone", max_length=64)
    run_dates = forms.CharField(
        label="Year-end review days",
        help_text="Month-day, separated by commas, e.g. 11-01, 12-01.",
    )
    run_time = forms.TimeField(label="Run at", widget=forms.TimeInput(format="%H:%M"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in Policy.flag_names():
            self.fields[f"policy_{name}"] = forms.BooleanField(
                label=POLICY_LABELS.get(name, name), required=False
            )

    @classmethod
    def initial_from(cls, found: HarvestSettings) -> dict[str, Any]:
        policy = found.policy_flags()
        return {
            "min_loss_dollars": found.min_loss_dollars,
            "min_loss_percent": found.min_loss_percent,
            "second_approval_above": found.second_approval_above,
            "time_zone": found.time_zone,
            "run_dates": ", ".join(found.run_dates),
            "run_time": found.run_time,
            **{f"policy_{n}": getattr(policy, n) for n in Policy.flag_names()},
        }

    @property
    def policy_fields(self) -> list[forms.BoundField]:
        return [self[f"policy_{n}"] for n in Policy.flag_names()]

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"].strip()
        if value not in available_timezones():
            raise forms.ValidationError("Enter a time zone such as America/New_York.")
        return value

    def clean_run_dates(self) -> list[str]:
        days = [d.strip() for d in self.cleaned_data["run_dates"].split(",") if d.strip()]
        bad = [d for d in days if not RUN_DATE_RE.match(d)]
        if bad or not days:
            raise forms.ValidationError("Enter days as MM-DD, e.g. 11-01, 12-01.")
        return sorted(set(days))

    def changes(self) -> dict[str, Any]:
        """The cleaned form as changes for ``harvest_settings_update``."""
        data = self.cleaned_data
        return {
            "min_loss_dollars": data["min_loss_dollars"],
            "min_loss_percent": data["min_loss_percent"],
            "second_approval_above": data.get("second_approval_above"),
            "time_zone": data["time_zone"],
            "run_dates": data["run_dates"],
            "run_time": data["run_time"],
            "policy": {n: data[f"policy_{n}"] for n in Policy.flag_names()},
        }


class YearEndStartForm(forms.Form):
    """Start a year-end run: the whole firm (firm admins) or a team, as of a day."""

    team = forms.ModelChoiceField(
        queryset=None,
        required=False,
        to_field_name="public_id",
        empty_label="The whole firm",
        label="Households of",
    )
    as_of = forms.DateField(label="As of", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, teams: Any, whole_firm: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["team"]
        field.queryset = teams
        if not whole_firm:
            field.required, field.empty_label = True, None


class PlannedRealizationForm(forms.Form):
    """A gain (or loss) the client plans to realize outside our accounts."""

    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(
        label="Amount ($)", max_digits=18, decimal_places=2, help_text="A loss is negative."
    )
    term = forms.ChoiceField(label="Term", choices=[("long", "Long-term"), ("short", "Short-term")])
    note = forms.CharField(label="Note", required=False, max_length=200)

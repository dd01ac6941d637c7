"""Forms of the ledger, the replacement list and the security master: input only; the
services (clients/ledger.py, clients/replacements.py) hold the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from clients.models import AssetClass, Character, Person, Security, SecurityKind


class _PersonSelect(forms.Select):
    def use_required_attribute(self, initial: Any) -> bool:
        # Select looks at its first choice to decide, a second query of the people; with no
        # blank choice the answer is always yes.
        return True


class CarryforwardForm(forms.Form):
    # No blank choice: the first person (the taxpayer) is chosen unless another is.
    person = forms.ModelChoiceField(
        queryset=Person.objects.none(),
        to_field_name="public_id",
        empty_label=None,
        widget=_PersonSelect,
    )
    tax_year = forms.IntegerField(min_value=2000, max_value=2100)
    character = forms.ChoiceField(choices=Character.choices)
    # Text, not a number field: the service reads "2,750.00" and names the field when it can't.
    # Not required here: the service says what is missing (one set of rules).
    amount = forms.CharField(
        max_length=32, required=False, help_text="The loss carried in, as a positive amount."
    )
    reason = forms.CharField(
        max_length=500,
        required=False,
        help_text="e.g. 'as on the 2025 return, Schedule D line 6'.",
    )

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


class ReplacementForm(forms.Form):
    security = forms.ModelChoiceField(
        label="Sell", queryset=Security.objects.order_by("symbol"), to_field_name="symbol"
    )
    replacement = forms.ModelChoiceField(
        label="Buy instead", queryset=Security.objects.order_by("symbol"), to_field_name="symbol"
    )
    rank = forms.IntegerField(min_value=1, max_value=99, initial=1, help_text="1: first choice.")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        required=False,
        help_text="Why the two are not substantially identical (e.g. the indexes they track).",
    )
    both_ways = forms.BooleanField(required=False, label="Also the other way round")


class SecurityForm(forms.Form):
    symbol = forms.CharField(max_length=16)
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=SecurityKind.choices)
    asset_class = forms.ChoiceField(choices=AssetClass.choices)
    tracked_index = forms.CharField(
        label="Index tracked", max_length=100, required=False, help_text="For a fund."
    )
    cusip = forms.CharField(label="CUSIP", max_length=9, required=False)

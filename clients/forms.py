from __future__ import annotations

from django import forms


class HouseholdSearchForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.SearchInput(
            attrs={"placeholder": "Household, person or CRM id", "autocomplete": "off"}
        ),
    )

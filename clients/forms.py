from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from clients import bounds
from clients.models import Action, Security, TaxLot


class HouseholdSearchForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.SearchInput(
            attrs={"placeholder": "Household, person or CRM id", "autocomplete": "off"}
        ),
    )


class HouseholdForm(forms.Form):
    name = forms.CharField(max_length=200)
    external_crm_id = forms.CharField(label="CRM id", max_length=64, required=False)


class _DateInput(forms.DateInput):
    input_type = "date"


class TransactionForm(forms.Form):
    """Input only: clients.services.transaction_record validates the trade itself."""

    action = forms.ChoiceField(choices=Action.choices)
    security = forms.ModelChoiceField(
        queryset=Security.objects.order_by("symbol"), to_field_name="public_id"
    )
    trade_date = bounds.form_date(widget=_DateInput)
    quantity = bounds.form_quantity()
    price = forms.DecimalField(
        label="Price per share",
        max_digits=18,
        decimal_places=6,
        validators=bounds.PRICE_VALIDATORS,
    )
    fees = bounds.form_money(required=False)
    lot = forms.ModelChoiceField(
        queryset=TaxLot.objects.none(),
        to_field_name="public_id",
        required=False,
        help_text="For a sale or transfer out: the lot the shares come from.",
    )
    acquired = bounds.form_date(
        widget=_DateInput, required=False, help_text="For a transfer in: first acquired on."
    )
    cost_basis = bounds.form_money(
        required=False,
        help_text="For a transfer in: the basis it carries over.",
    )

    def __init__(self, *args: Any, lots: QuerySet[TaxLot], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = lots

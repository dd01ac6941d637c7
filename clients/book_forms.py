"""Forms of the onboarding pages: input only. Each view passes the cleaned data to the same
service the API calls (clients/services.py, clients/book.py), which checks the rules and names
the field in its error; the forms only parse and offer the choices the user may pick."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet

from advisors.models import Advisor, Team
from clients import bounds
from clients.models import (
    ACCOUNT_TYPE_CHOICES,
    SYSTEM_RE,
    AcquiredHow,
    Action,
    FilingStatus,
    Person,
    PersonRole,
    ReliefMethod,
    Security,
    TaxLot,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _money(label: str, *, help_text: str = "", required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=18,
        decimal_places=2,
        required=required,
        help_text=help_text,
        validators=bounds.MONEY_VALIDATORS,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


def _quantity(label: str, *, required: bool = False, help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=20,
        decimal_places=6,
        required=required,
        help_text=help_text,
        validators=bounds.QUANTITY_VALIDATORS,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )


# --- Households -----------------------------------------------------------------------------


class AdvisorChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Advisor) -> str:
        name = obj.get_full_name() or obj.username
        return f"{name} ({obj.team})" if obj.team_id else name


class HouseholdBookForm(forms.Form):
    name = forms.CharField(max_length=200)
    primary_advisor = AdvisorChoice(
        queryset=Advisor.objects.none(),
        to_field_name="public_id",
        help_text="Only the advisors you may assign households to are listed.",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="The primary advisor's team",
    )
    external_crm_id = forms.CharField(label="CRM id", max_length=64, required=False)
    external_refs = forms.CharField(
        label="Other systems' ids",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "redtail:1234"}),
        help_text="One per line, as system:id (e.g. redtail:1234, wealthbox:88).",
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(
        self,
        *args: Any,
        advisors: QuerySet[Advisor],
        teams: QuerySet[Team],
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["primary_advisor"].queryset = advisors
        self.fields["team"].queryset = teams
        # An edit that leaves the advisor out keeps the one the household has.
        self.fields["primary_advisor"].required = not editing

    def clean_external_refs(self) -> list[tuple[str, str]]:
        refs = []
        for number, line in enumerate(self.cleaned_data["external_refs"].splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            system, sep, external_id = line.partition(":")
            system, external_id = system.strip().lower(), external_id.strip()
            if not sep or not re.match(SYSTEM_RE, system) or not 0 < len(external_id) <= 64:
                raise forms.ValidationError(
                    f"Line {number} ({line!r}) is not system:id, e.g. redtail:1234."
                )
            refs.append((system, external_id))
        return refs


# --- People ---------------------------------------------------------------------------------


class PersonBookForm(forms.Form):
    role = forms.ChoiceField(choices=PersonRole.choices)
    name = forms.CharField(max_length=200)
    date_of_birth = forms.DateField(
        validators=bounds.DATE_VALIDATORS,
        required=False,
        widget=DateInput(),
        help_text="Age 65 or more adds to the deduction.",
    )
    blind = forms.BooleanField(required=False, help_text="Adds to the standard deduction.")
    date_of_death = forms.DateField(
        validators=bounds.DATE_VALIDATORS,
        required=False,
        widget=DateInput(),
        help_text="The person's loss carryforward ends with the final return.",
    )


# --- Accounts -------------------------------------------------------------------------------


class AccountBookForm(forms.Form):
    type = forms.ChoiceField(choices=ACCOUNT_TYPE_CHOICES)
    owner = forms.ModelChoiceField(queryset=Person.objects.none(), to_field_name="public_id")
    custodian = forms.CharField(max_length=100)
    account_number = forms.CharField(
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
        help_text="The full number: stored, shown everywhere as its last four digits.",
    )
    opened = forms.DateField(validators=bounds.DATE_VALIDATORS, required=False, widget=DateInput())
    closed = forms.DateField(validators=bounds.DATE_VALIDATORS, required=False, widget=DateInput())
    relief_method = forms.ChoiceField(
        label="Lot relief",
        choices=ReliefMethod.choices,
        initial=ReliefMethod.FIFO,
        help_text="How the custodian picks lots when a sale names none.",
    )
    average_basis = forms.BooleanField(
        label="Funds at average basis",
        required=False,
        help_text="Only with average-cost relief.",
    )
    held_away = forms.BooleanField(
        required=False,
        help_text="We know it exists but hold no lots of it: the plan warns that wash sales "
        "there are not covered.",
    )

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people


# --- Tax profiles ---------------------------------------------------------------------------

INCOME_FIELDS = (
    "wages",
    "other_ordinary_income",
    "taxable_interest",
    "ordinary_dividends",
    "qualified_dividends",
    "capital_gain_distributions",
    "other_short_term_gains",
    "other_long_term_gains",
)
ITEMIZED_FIELDS = ("state_local_taxes", "other_itemized_deductions")
CARRYFORWARD_FIELDS = ("carryforward_short_term", "carryforward_long_term")
OLD_TOTALS = ("expected_ordinary_income", "investment_income")


class TaxProfileBookForm(forms.Form):
    tax_year = forms.IntegerField(min_value=2000, max_value=2100)
    filing_status = forms.ChoiceField(choices=FilingStatus.choices)

    wages = _money("Wages")
    other_ordinary_income = _money(
        "Other ordinary income", help_text="Pensions, IRA distributions, business income."
    )
    taxable_interest = _money("Taxable interest")
    ordinary_dividends = _money("Ordinary dividends", help_text="1099-DIV box 1a.")
    qualified_dividends = _money(
        "Qualified dividends", help_text="Box 1b: part of the ordinary dividends."
    )
    capital_gain_distributions = _money(
        "Capital-gain distributions expected", help_text="Box 2a, from funds held elsewhere."
    )
    other_short_term_gains = _money(
        "Other short-term gains expected",
        help_text="Outside our accounts this year; a loss negative.",
    )
    other_long_term_gains = _money(
        "Other long-term gains expected",
        help_text="Outside our accounts this year; a loss negative.",
    )

    deductions = forms.ChoiceField(
        label="Which deduction",
        choices=[("standard", "Standard deduction"), ("itemized", "Itemized deductions")],
        widget=forms.RadioSelect,
        initial="standard",
        help_text="Itemized: the larger of the itemized total and the standard deduction is used.",
    )
    state_local_taxes = _money("State and local taxes paid", help_text="Before the SALT cap.")
    other_itemized_deductions = _money(
        "Other itemized deductions", help_text="Mortgage interest, charity, … as allowed."
    )

    carryforward_short_term = _money("Short-term loss carryforward in", required=True)
    carryforward_long_term = _money("Long-term loss carryforward in", required=True)
    gains_budget = _money(
        "Gains budget", help_text="The most net gain the client will realize this year."
    )
    joint_taxpayer_share = forms.DecimalField(
        label="Taxpayer's share of joint accounts",
        max_digits=5,
        decimal_places=4,
        initial=Decimal("0.5"),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        help_text="A fraction: 0.5 is half.",
    )
    state_marginal_rate = forms.DecimalField(
        label="State marginal rate (estimate)",
        max_digits=5,
        decimal_places=4,
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.001", "inputmode": "decimal"}),
        help_text="e.g. 0.05 for 5%: an estimate of state tax shown apart from the federal.",
    )

    expected_ordinary_income = _money(
        "Ordinary income (total)",
        help_text="Older total: derived from the lines above when any is filled in.",
    )
    investment_income = _money(
        "Investment income (total)",
        help_text="Older total of interest and non-qualified dividends: likewise derived.",
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, year_fixed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if year_fixed:
            self.fields["tax_year"].disabled = True

    def profile_fields(self) -> dict[str, Any]:
        """The service's ``fields``: itemized amounts only when itemizing; the old totals
        default to zero (their columns are not nullable)."""
        data = dict(self.cleaned_data)
        data.pop("tax_year")
        itemized = data.pop("deductions") == "itemized"
        for name in ITEMIZED_FIELDS:
            if not itemized:
                data[name] = None
        for name in OLD_TOTALS:
            if data[name] is None:
                data[name] = Decimal("0.00")
        if data["joint_taxpayer_share"] is None:
            data["joint_taxpayer_share"] = Decimal("0.5")
        return data


# --- Transactions and lots ------------------------------------------------------------------

# The page's kinds: the actions, and a gift or an inheritance (transfers in of their own kind).
GIFT, INHERITED = "gift", "inherited"
KIND_CHOICES = [
    (Action.BUY.value, "Buy"),
    (Action.SELL.value, "Sale (from chosen lots)"),
    (Action.REINVEST.value, "Dividend reinvestment"),
    (Action.TRANSFER_IN.value, "Transfer in (with its original basis and date)"),
    (GIFT, "Gift received"),
    (INHERITED, "Inheritance"),
    (Action.TRANSFER_OUT.value, "Transfer out"),
    (Action.SPLIT.value, "Split"),
    (Action.DISTRIBUTION.value, "Capital-gain distribution (cash)"),
    (Action.DIVIDEND.value, "Dividend (cash)"),
]
# Which groups of fields each kind uses (the page shows only those once it knows the kind).
KIND_GROUPS = {
    Action.BUY.value: {"trade"},
    Action.REINVEST.value: {"trade"},
    Action.SELL.value: {"trade", "lots"},
    Action.TRANSFER_OUT.value: {"trade", "lots"},
    Action.TRANSFER_IN.value: {"trade", "transfer"},
    GIFT: {"trade", "transfer", "gift"},
    INHERITED: {"trade", "transfer"},
    Action.SPLIT.value: {"split"},
    Action.DISTRIBUTION.value: {"cash"},
    Action.DIVIDEND.value: {"cash"},
}


class TransactionBookForm(forms.Form):
    action = forms.ChoiceField(label="What happened", choices=KIND_CHOICES)
    security = forms.ModelChoiceField(
        queryset=Security.objects.order_by("symbol"),
        to_field_name="public_id",
        required=False,
        help_text="A sale's security is its lot's.",
    )
    trade_date = forms.DateField(
        validators=bounds.DATE_VALIDATORS, label="Date", widget=DateInput()
    )
    quantity = _quantity("Shares", help_text="For a sale of one lot; several: below.")
    price = forms.DecimalField(
        label="Price per share",
        max_digits=18,
        decimal_places=6,
        validators=bounds.PRICE_VALIDATORS,
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    fees = _money("Fees")
    amount = _money(
        "Amount",
        help_text="Paid with fees (buy), net proceeds (sale), or the cash received "
        "(distribution, dividend). Left empty: from shares × price.",
    )
    lot = forms.ModelChoiceField(
        queryset=TaxLot.objects.none(),
        to_field_name="public_id",
        required=False,
        help_text="A sale or transfer out of one lot.",
    )
    acquired = forms.DateField(
        validators=bounds.DATE_VALIDATORS,
        label="First acquired on",
        required=False,
        widget=DateInput(),
        help_text="Transfer in: the original date; gift: the donor's; inheritance: the "
        "date of death.",
    )
    cost_basis = _money(
        "Cost basis carried over",
        help_text="Transfer in: the original basis; gift: the donor's; inheritance: the "
        "value at the date of death.",
    )
    gift_date = forms.DateField(
        validators=bounds.DATE_VALIDATORS,
        label="Date of the gift",
        required=False,
        widget=DateInput(),
    )
    gift_value = _money("Value at the gift", help_text="Market value on the day it was given.")
    ratio = forms.DecimalField(
        label="Split ratio",
        max_digits=20,
        decimal_places=10,
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text="New shares per old share: 4 for 4-for-1, 0.1 for 1-for-10.",
    )
    external_id = forms.CharField(
        label="Custodian's id", max_length=64, required=False, help_text="Optional."
    )

    def __init__(self, *args: Any, lots: QuerySet[TaxLot], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lots = list(lots)
        self.fields["lot"].queryset = lots
        # A share count per open lot: a sale from several chosen lots (specific id).
        for lot in self.lots:
            self.fields[f"sell_{lot.public_id}"] = _quantity(
                f"{lot.security.symbol} {lot.acquired:%Y-%m-%d} ({lot.quantity.normalize():f})"
            )

    def lot_fields(self) -> list[tuple[TaxLot, forms.BoundField]]:
        return [(lot, self[f"sell_{lot.public_id}"]) for lot in self.lots]

    def chosen_lots(self) -> list[tuple[TaxLot, Decimal]]:
        """(lot, shares) for the sale: the per-lot counts when given, else ``lot``."""
        chosen = [
            (lot, self.cleaned_data[f"sell_{lot.public_id}"])
            for lot in self.lots
            if self.cleaned_data.get(f"sell_{lot.public_id}")
        ]
        if chosen:
            return chosen
        return [(self.cleaned_data["lot"], self.cleaned_data["quantity"])]


class ReversalForm(forms.Form):
    trade_date = forms.DateField(
        validators=bounds.DATE_VALIDATORS,
        label="Date of the correction",
        widget=DateInput(),
        help_text="The original stays in the history, with this reversal beside it.",
    )


class LotBookForm(forms.Form):
    """An open lot as the custodian reports it (the shares held today)."""

    security = forms.ModelChoiceField(
        queryset=Security.objects.order_by("symbol"), to_field_name="public_id"
    )
    quantity = _quantity("Shares held", required=True)
    cost_basis = _money("Cost basis", required=True)
    acquired = forms.DateField(validators=bounds.DATE_VALIDATORS, widget=DateInput())
    how_acquired = forms.ChoiceField(choices=AcquiredHow.choices, initial=AcquiredHow.PURCHASE)
    gift_date = forms.DateField(
        validators=bounds.DATE_VALIDATORS,
        label="Date of the gift",
        required=False,
        widget=DateInput(),
    )
    gift_value = _money("Value at the gift")
    wash_sale_adjustment = _money(
        "Wash-sale adjustment reported", help_text="As on the custodian's statement, if any."
    )
    external_id = forms.CharField(label="Custodian's lot id", max_length=64, required=False)

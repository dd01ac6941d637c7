"""django-filter filter sets for the API. Every list takes ``updated_since``; filters naming
another object by id answer 404 when the caller may not see it, like the object's own URL."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Model, QuerySet
from django_filters.constants import EMPTY_VALUES
from rest_framework.exceptions import NotFound, ValidationError

from advisors import scoping
from advisors.api import UpdatedSinceFilter, UpdatedSinceFilterSet
from advisors.models import Advisor
from clients.models import (
    ACCOUNT_TYPE_CHOICES,
    TREATMENT_LABELS,
    Account,
    Action,
    Household,
    Person,
    PersonRole,
    Price,
    Security,
    TaxLot,
    TaxProfile,
    Transaction,
)


class VisibleObjectFilter(django_filters.UUIDFilter):
    """``?household=<uuid>``: rows of that object, 404 when the caller may not see it."""

    def __init__(self, *, model: type[Model], path: str, **kwargs: Any) -> None:
        kwargs.setdefault("label", f"The {model._meta.verbose_name}'s id.")
        super().__init__(field_name=f"{path}__public_id", **kwargs)
        self.target_model = model

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if value in EMPTY_VALUES:
            return qs
        user = self.parent.request.user
        if not scoping.visible(user, self.target_model).filter(public_id=value).exists():
            raise NotFound(f"No such {self.target_model._meta.verbose_name}.")
        return super().filter(qs, value)


class ExternalRefFilter(django_filters.CharFilter):
    """``?external_ref=redtail:123``: the object another system knows by that id."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "system:id, e.g. redtail:123.")
        super().__init__(field_name="external_refs", **kwargs)

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if value in EMPTY_VALUES:
            return qs
        system, sep, external_id = value.partition(":")
        if not (sep and system and external_id):
            raise ValidationError({"external_ref": ["Use system:id, e.g. redtail:123."]})
        return qs.filter(
            external_refs__system=system.strip().lower(),
            external_refs__external_id=external_id.strip(),
        )


class SymbolFilter(django_filters.CharFilter):
    def __init__(self, *, path: str = "security", **kwargs: Any) -> None:
        kwargs.setdefault("label", "The security's ticker symbol.")
        super().__init__(field_name=f"{path}__symbol", lookup_expr="iexact", **kwargs)


class HouseholdFilter(UpdatedSinceFilterSet):
    external_ref = ExternalRefFilter()
    external_crm_id = django_filters.CharFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")
    primary_advisor = VisibleObjectFilter(model=Advisor, path="primary_advisor")

    class Meta:
        model = Household
        fields = ["updated_since", "external_ref", "external_crm_id", "name", "primary_advisor"]


class PersonFilter(UpdatedSinceFilterSet):
    external_ref = ExternalRefFilter()
    household = VisibleObjectFilter(model=Household, path="household")
    role = django_filters.ChoiceFilter(choices=PersonRole.choices)

    class Meta:
        model = Person
        fields = ["updated_since", "external_ref", "household", "role"]


class AccountFilter(UpdatedSinceFilterSet):
    external_ref = ExternalRefFilter()
    household = VisibleObjectFilter(model=Household, path="household")
    owner = VisibleObjectFilter(model=Person, path="owner")
    type = django_filters.ChoiceFilter(choices=ACCOUNT_TYPE_CHOICES)
    treatment = django_filters.ChoiceFilter(choices=list(TREATMENT_LABELS.items()))

    class Meta:
        model = Account
        fields = ["updated_since", "external_ref", "household", "owner", "type", "treatment"]


class TaxLotFilter(UpdatedSinceFilterSet):
    household = VisibleObjectFilter(model=Household, path="account__household")
    account = VisibleObjectFilter(model=Account, path="account")
    security = SymbolFilter()
    external_id = django_filters.CharFilter()
    is_open = django_filters.BooleanFilter(
        method="filter_open", label="Only lots with shares left (true) or closed ones (false)."
    )

    class Meta:
        model = TaxLot
        fields = ["updated_since", "household", "account", "security", "external_id", "is_open"]

    def filter_open(self, qs: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return qs
        return qs.filter(quantity__gt=0) if value else qs.filter(quantity=0)


class TransactionFilter(UpdatedSinceFilterSet):
    # Transactions never change: "updated" is when they were recorded.
    updated_since = UpdatedSinceFilter(
        field_name="recorded_at", label="Only transactions recorded at or after this time."
    )
    household = VisibleObjectFilter(model=Household, path="account__household")
    account = VisibleObjectFilter(model=Account, path="account")
    lot = VisibleObjectFilter(model=TaxLot, path="lot")
    security = SymbolFilter()
    action = django_filters.ChoiceFilter(choices=Action.choices)
    trade_date = django_filters.DateFromToRangeFilter()
    external_id = django_filters.CharFilter()

    class Meta:
        model = Transaction
        fields = [
            "updated_since",
            "household",
            "account",
            "lot",
            "security",
            "action",
            "trade_date",
            "external_id",
        ]


class TaxProfileFilter(UpdatedSinceFilterSet):
    household = VisibleObjectFilter(model=Household, path="household")
    tax_year = django_filters.NumberFilter()

    class Meta:
        model = TaxProfile
        fields = ["updated_since", "household", "tax_year"]


class PriceFilter(UpdatedSinceFilterSet):
    security = SymbolFilter()
    date = django_filters.DateFromToRangeFilter()

    class Meta:
        model = Price
        fields = ["updated_since", "security", "date"]


class SecurityFilter(UpdatedSinceFilterSet):
    symbol = django_filters.CharFilter(lookup_expr="iexact")
    cusip = django_filters.CharFilter()

    class Meta:
        model = Security
        fields = ["updated_since", "symbol", "cusip", "kind", "asset_class"]

"""Every clients model in the admin, scoped through advisors/scoping.py (see advisors/admin.py).

Securities and prices are reference data shared by all firms: firm staff read them, only the
platform's superusers change them. Lots and transactions take their firm and team from their
account's household; their changes in quantity and basis belong to clients/services.py.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest

from advisors import scoping
from advisors.admin import RecordAdmin, ScopedAdmin, ScopedInline, admin_reader
from clients import services
from clients.models import (
    Account,
    CarryforwardEntry,
    Household,
    Person,
    Price,
    Replacement,
    ReplacementListVersion,
    Security,
    TaxLot,
    TaxProfile,
    Transaction,
)


class ReferenceDataAdmin(admin.ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return admin_reader(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return admin_reader(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return scoping.may_change_reference_data(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return scoping.may_change_reference_data(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return scoping.may_change_reference_data(request.user)


class PersonInline(ScopedInline):
    model = Person
    fields = ("role", "name", "date_of_birth")


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    list_display = ("name", "external_crm_id", "team", "primary_advisor", "firm")
    list_select_related = ("firm", "team", "primary_advisor")
    list_filter = ("team",)
    search_fields = ("name", "external_crm_id", "people__name")
    readonly_fields = ("public_id", "created", "updated")
    inlines = [PersonInline]

    def save_model(
        self, request: HttpRequest, obj: Household, form: ModelForm, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if change and {"firm", "team"} & set(form.changed_data):
            services.household_scope_sync(household=obj)


@admin.register(Person)
class PersonAdmin(ScopedAdmin):
    list_display = ("name", "role", "household", "date_of_birth")
    list_select_related = ("household",)
    search_fields = ("name", "household__name")
    readonly_fields = ("public_id",)


@admin.register(Account)
class AccountAdmin(ScopedAdmin):
    list_display = ("__str__", "household", "owner", "type", "treatment")
    list_select_related = ("household", "owner")
    list_filter = ("treatment", "type")
    search_fields = ("household__name", "custodian", "masked_number")
    readonly_fields = ("public_id", "treatment")


class LotScopeAdmin(RecordAdmin):
    """Lots and transactions: read-only. A trade changes its lot, so trades are recorded through
    clients.services (the pages, the API, imports) and corrected by a reversal and a re-entry,
    never edited or deleted here (by anyone: see advisors.admin.RecordAdminMixin)."""

    list_select_related = ("account__household", "security")
    search_fields = ("account__household__name", "security__symbol", "external_id")


@admin.register(TaxLot)
class TaxLotAdmin(LotScopeAdmin):
    list_display = ("security", "quantity", "cost_basis", "acquired", "account")
    list_filter = ("how_acquired",)
    date_hierarchy = "acquired"


@admin.register(Transaction)
class TransactionAdmin(LotScopeAdmin):
    list_display = ("trade_date", "action", "security", "quantity", "amount", "account")
    list_filter = ("action",)
    date_hierarchy = "trade_date"


@admin.register(TaxProfile)
class TaxProfileAdmin(RecordAdmin):
    """Read-only: each year's profile is entered and corrected on the household's pages."""

    list_display = (
        "household",
        "tax_year",
        "filing_status",
        "carryforward_short_term",
        "carryforward_long_term",
    )
    list_select_related = ("household",)
    list_filter = ("tax_year", "filing_status")
    search_fields = ("household__name",)


@admin.register(CarryforwardEntry)
class CarryforwardEntryAdmin(RecordAdmin):
    """Read-only: a correction is a new entry with its reason (the household page)."""

    list_display = ("household", "person", "tax_year", "character", "amount", "source")
    list_select_related = ("household", "person")
    list_filter = ("tax_year", "source", "character")
    search_fields = ("household__name", "person__name")


@admin.register(Security)
class SecurityAdmin(ReferenceDataAdmin):
    list_display = ("symbol", "name", "kind", "asset_class", "tracked_index", "same_as")
    list_select_related = ("same_as",)
    list_filter = ("kind", "asset_class")
    search_fields = ("symbol", "name", "cusip", "tracked_index")


@admin.register(Price)
class PriceAdmin(ReferenceDataAdmin):
    list_display = ("security", "date", "close")
    list_select_related = ("security",)
    search_fields = ("security__symbol",)
    date_hierarchy = "date"


@admin.register(Replacement)
class ReplacementAdmin(RecordAdmin):
    """Read-only: the firm's admins change the list on its page, which versions each change."""

    list_display = ("security", "replacement", "rank", "firm")
    list_select_related = ("security", "replacement", "firm")
    search_fields = ("security__symbol", "replacement__symbol")


@admin.register(ReplacementListVersion)
class ReplacementListVersionAdmin(RecordAdmin):
    """Read-only: each change of the list on its page makes a new version."""

    list_display = ("firm", "number", "change", "created", "created_by")
    list_select_related = ("firm", "created_by")

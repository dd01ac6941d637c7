"""The admin, scoped like every page: querysets and permissions come from advisors/scoping.py
and the user's role, not from Django's per-model permissions. Firm admins manage their firm,
compliance reviewers read it, superusers (the platform's operators) see everything."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import ForeignKey, Model, QuerySet, URLField
from django.forms import ModelChoiceField
from django.http import HttpRequest

from advisors import scoping
from advisors.forms import AdvisorChangeForm, AdvisorCreationForm
from advisors.models import (
    Advisor,
    ApiClient,
    Firm,
    Role,
    Team,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


def admin_reader(user: Any) -> bool:
    """May use the admin at all: superusers, firm admins and compliance reviewers."""
    if not (user.is_active and user.is_staff):
        return False
    return user.is_superuser or (
        user.firm_id is not None and user.role in (Role.FIRM_ADMIN, Role.COMPLIANCE)
    )


def admin_writer(user: Any) -> bool:
    return admin_reader(user) and (user.is_superuser or user.role == Role.FIRM_ADMIN)


class ScopedAdminMixin:
    """For models in advisors/scoping.py: rows and permissions follow the user's scope."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scoping.visible(request.user, super().get_queryset(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return admin_reader(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return admin_reader(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return admin_writer(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if not admin_writer(request.user):
            return False
        return obj is None or scoping.can_write(request.user, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        # Choices too: a firm admin can only point at their own firm's rows.
        if scoping.is_scoped(db_field.related_model):
            kwargs["queryset"] = scoping.writable(request.user, db_field.related_model)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedAdmin(ScopedAdminMixin, admin.ModelAdmin):
    pass


class RecordAdminMixin:
    """Records that hold money (lots, transactions, tax profiles, the carryforward ledger,
    reviews, plans, recommendations): read here by whoever may read the admin, never added,
    changed or deleted, not even by a superuser. A correction is a new record made by the
    services (a reversal and a re-entry, a new ledger entry), so the original stays."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class RecordAdmin(RecordAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    pass


class ScopedInline(ScopedAdminMixin, admin.TabularInline):
    extra = 0


@admin.register(Firm)
class FirmAdmin(ScopedAdmin):
    list_display = ("name", "slug", "created")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_superuser


@admin.register(Team)
class TeamAdmin(ScopedAdmin):
    list_display = ("name", "firm")
    list_select_related = ("firm",)
    search_fields = ("name",)


@admin.register(Advisor)
class AdvisorAdmin(ScopedAdminMixin, UserAdmin):
    form = AdvisorChangeForm
    add_form = AdvisorCreationForm
    list_display = ("username", "first_name", "last_name", "firm", "team", "role", "is_active")
    list_filter = ("role", "is_active", "team")
    list_select_related = ("firm", "team")
    search_fields = ("username", "first_name", "last_name", "email")
    readonly_fields = ("last_login", "date_joined", "is_staff")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Firm and role", {"fields": ("firm", "team", "role", "is_active", "is_staff")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    superuser_fieldsets = (
        *fieldsets,
        ("Platform", {"fields": ("is_superuser", "groups", "user_permissions")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "first_name",
                    "last_name",
                    "email",
                    "firm",
                    "team",
                    "role",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is not None and request.user.is_superuser:
            return self.superuser_fieldsets
        return super().get_fieldsets(request, obj)


@admin.register(ApiClient)
class ApiClientAdmin(ScopedAdmin):
    """Read here; created and revoked on the integrations page (the secret is shown once)."""

    list_display = ("name", "firm", "client_id", "scopes", "created", "revoked")
    list_select_related = ("firm",)
    readonly_fields = (
        "public_id",
        "firm",
        "name",
        "scopes",
        "client_id",
        "application",
        "created_by",
        "created",
        "revoked",
        "revoked_by",
    )

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("number", "at", "status_code", "error", "response_excerpt", "duration_ms")

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ScopedAdmin):
    list_display = ("url", "firm", "events", "is_active", "created")
    list_select_related = ("firm",)
    exclude = ("secret",)
    # https only (the model's validator refuses http and inside addresses too).
    formfield_overrides = {URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # on the webhooks page, which shows the new secret once


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ScopedAdmin):
    list_display = ("created", "event", "endpoint", "status", "attempt_count")
    list_filter = ("status", "event")
    list_select_related = ("endpoint",)
    readonly_fields = (
        "public_id",
        "endpoint",
        "event",
        "payload",
        "status",
        "attempt_count",
        "next_attempt_at",
        "created",
        "delivered",
    )
    inlines = [WebhookAttemptInline]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False


def _admin_login(request: HttpRequest, extra_context: Any = None) -> Any:
    """The admin signs in through the site's sign-in page (lockout, second factor)."""
    from django.contrib.auth.views import redirect_to_login
    from django.http import HttpResponseForbidden
    from django.urls import reverse

    if request.user.is_authenticated:
        return HttpResponseForbidden("Your account may not use the admin.")
    return redirect_to_login(request.GET.get("next", reverse("admin:index")), reverse("login"))


admin.site.login = _admin_login  # type: ignore[method-assign]

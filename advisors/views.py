"""Sign-in pages: Django's auth views with our templates.

Logout is POST only (Django 5); sessions end after SESSION_COOKIE_AGE idle seconds and with
the browser (config/settings.py).
"""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from advisors import scoping, security_views, services, webhooks
from advisors.forms import ApiClientForm, WebhookEndpointForm
from advisors.models import Advisor, ApiClient, Role, WebhookDelivery, WebhookEndpoint

DELIVERIES_SHOWN = 50

login = security_views.login  # with lockout: advisors/security_views.py
logout = auth_views.LogoutView.as_view()
password_change = auth_views.PasswordChangeView.as_view(
    template_name="registration/password_change_form.html"
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="registration/password_change_done.html"
)


# --- Integrations: API clients and webhooks (firm admins) -----------------------------------


class AdvisorRequest(HttpRequest):
    user: Advisor


def _firm_admin_only(request: AdvisorRequest) -> HttpResponse | None:
    user = request.user
    if user.role != Role.FIRM_ADMIN or user.firm_id is None:
        return HttpResponseForbidden("Only a firm admin manages the firm's integrations.")
    return None


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    for field, messages_ in exc.message_dict.items():
        name = field if field in form.fields else None
        for message in messages_:
            form.add_error(name, message)


@login_required
@require_http_methods(["GET", "POST"])
def api_clients(request: AdvisorRequest) -> HttpResponse:
    """The firm's API clients; creating one shows its secret on this response only."""
    if (denied := _firm_admin_only(request)) is not None:
        return denied
    created = secret = None
    form = ApiClientForm()
    if request.method == "POST":
        form = ApiClientForm(request.POST)
        if form.is_valid():
            try:
                created, secret = services.api_client_create(
                    firm=request.user.firm, created_by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                form = ApiClientForm()
    context = {
        "clients": scoping.visible(request.user, ApiClient).select_related("created_by"),
        "form": form,
        "created": created,
        "secret": secret,
        "token_url": request.build_absolute_uri(reverse("oauth2_token")),
    }
    response = render(request, "advisors/api_clients.html", context)
    response["Cache-Control"] = "no-store"  # the secret must not linger in a cache
    return response


@login_required
@require_POST
def api_client_revoke(request: AdvisorRequest, client_id: UUID) -> HttpResponse:
    if (denied := _firm_admin_only(request)) is not None:
        return denied
    client, _ = scoping.object_for_user(request.user, ApiClient, public_id=client_id)
    services.api_client_revoke(client=client, revoked_by=request.user)
    messages.success(request, f"Revoked {client.name}: its tokens stop working now.")
    return redirect("api_clients")


@login_required
@require_http_methods(["GET", "POST"])
def webhook_endpoints(request: AdvisorRequest) -> HttpResponse:
    if (denied := _firm_admin_only(request)) is not None:
        return denied
    created = None
    form = WebhookEndpointForm()
    if request.method == "POST":
        form = WebhookEndpointForm(request.POST)
        if form.is_valid():
            try:
                created = webhooks.webhook_endpoint_create(
                    firm=request.user.firm, created_by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                form = WebhookEndpointForm()
    context = {
        "endpoints": scoping.visible(request.user, WebhookEndpoint),
        "form": form,
        "created": created,
    }
    response = render(request, "advisors/webhooks.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def webhook_endpoint_detail(request: AdvisorRequest, endpoint_id: UUID) -> HttpResponse:
    """One endpoint and its delivery log; POST ``do``: enable, disable, rotate, ping."""
    if (denied := _firm_admin_only(request)) is not None:
        return denied
    endpoint, _ = scoping.object_for_user(request.user, WebhookEndpoint, public_id=endpoint_id)
    new_secret = None
    if request.method == "POST":
        action = request.POST.get("do")
        if action in ("enable", "disable"):
            webhooks.webhook_endpoint_set_active(endpoint=endpoint, active=action == "enable")
            messages.success(request, f"{action.capitalize()}d {endpoint.url}.")
        elif action == "rotate":
            new_secret = webhooks.webhook_endpoint_rotate_secret(endpoint=endpoint).secret
        elif action == "ping":
            webhooks.webhook_ping(endpoint=endpoint)
            messages.success(request, "Test event queued; it appears below once sent.")
        else:
            return HttpResponseBadRequest("Unknown action.")
        if new_secret is None:
            return redirect("webhook_endpoint_detail", endpoint_id=endpoint.public_id)
    deliveries = (
        scoping.visible(request.user, WebhookDelivery)
        .filter(endpoint=endpoint)
        .prefetch_related("attempts")
        .order_by("-created", "-id")[:DELIVERIES_SHOWN]
    )
    context = {"endpoint": endpoint, "deliveries": deliveries, "new_secret": new_secret}
    response = render(request, "advisors/webhook_detail.html", context)
    response["Cache-Control"] = "no-store"
    return response

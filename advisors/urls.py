from __future__ import annotations

from django.urls import path

from advisors import security_views, views
from clients.access_views import access_report_page

# No app_name: settings and Django's auth views refer to these names unqualified.
urlpatterns = [
    path("login/", security_views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("password_change/", views.password_change, name="password_change"),
    path("password_change/done/", views.password_change_done, name="password_change_done"),
    path("integrations/api-clients/", views.api_clients, name="api_clients"),
    path(
        "integrations/api-clients/<uuid:client_id>/revoke/",
        views.api_client_revoke,
        name="api_client_revoke",
    ),
    path("integrations/webhooks/", views.webhook_endpoints, name="webhook_endpoints"),
    path(
        "integrations/webhooks/<uuid:endpoint_id>/",
        views.webhook_endpoint_detail,
        name="webhook_endpoint_detail",
    ),
    # Second factor, password reset, sessions, the firm's security log (secauth).
    path("verify/", security_views.mfa_verify, name="mfa_verify"),
    path("second-factor/", security_views.mfa_enrol, name="mfa_enrol"),
    path(
        "second-factor/recovery-codes/",
        security_views.recovery_codes,
        name="mfa_recovery_codes",
    ),
    path("password_reset/", security_views.password_reset, name="password_reset"),
    path("password_reset/done/", security_views.password_reset_done, name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        security_views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("reset/done/", security_views.password_reset_complete, name="password_reset_complete"),
    path("sessions/", security_views.session_list, name="session_list"),
    path("security-log/", security_views.security_log, name="security_log"),
    path(
        "security-log/<uuid:advisor_id>/reset-second-factor/",
        security_views.mfa_reset,
        name="mfa_reset",
    ),
    path("access-report/", access_report_page, name="access_report"),
]

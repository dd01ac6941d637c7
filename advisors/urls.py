from __future__ import annotations

from django.urls import path

from advisors import views
from clients.access_views import access_report_page

# No app_name: settings and Django's auth views refer to these names unqualified.
urlpatterns = [
    path("login/", views.login, name="login"),
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
    path("access-report/", access_report_page, name="access_report"),
]

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from oauth2_provider import views as oauth2_views

from advisors.lockout import ThrottledTokenView
from advisors.permissions import ApiDocsPermission

urlpatterns = [
    path("", include("clients.urls")),
    path("accounts/", include("advisors.urls")),
    path("plans/", include("taxlogic.urls")),
    path("admin/", admin.site.urls),
    # OAuth2 for API clients: only the token endpoints (client credentials), no authorization
    # pages and no self-service application management.
    path("o/token/", ThrottledTokenView.as_view(), name="oauth2_token"),  # 429 after bad secrets
    path("o/revoke_token/", oauth2_views.RevokeTokenView.as_view(), name="oauth2_revoke_token"),
    path("api/v1/", include("config.api_router")),
    # Signed-in only in production (API_DOCS_PUBLIC).
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=[ApiDocsPermission]),
        name="schema",
    ),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[ApiDocsPermission]),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", permission_classes=[ApiDocsPermission]),
        name="api-redoc",
    ),
]

"""How integrations sign in: OAuth2 client credentials (django-oauth-toolkit) as an ApiClient.

The bearer token is checked by django-oauth-toolkit; the principal DRF sees is the firm's
``ApiClient`` (not an advisor), whose scopes are the intersection of the token's and the
client's current ones, so narrowing or revoking a client takes effect at once.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.scopes import SettingsScopes
from oauth2_provider.settings import oauth2_settings
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from advisors import audit
from advisors.models import ApiClient


def _client_of(application: Any) -> ApiClient | None:
    if application is None:
        return None
    return (
        ApiClient.objects.select_related("firm")
        .filter(application=application, revoked__isnull=True)
        .first()
    )


class ApiClientAuthentication(OAuth2Authentication):
    """``Authorization: Bearer <token>`` from ``POST /o/token/`` (client credentials)."""

    def authenticate(self, request: Request) -> tuple[ApiClient, Any] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        _, token = result
        client = _client_of(token.application)
        if client is None:
            raise AuthenticationFailed("This API client has been revoked.")
        client.token_scopes = frozenset(token.scope.split())
        audit.note_principal(client)  # the audit trail names the API client
        return client, token


class VerifiedSessionAuthentication(SessionAuthentication):
    """The site's session on the API (the browsable API, the docs), only once it has passed the
    second factor: an unverified session is no one here."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        from advisors import mfa

        result = super().authenticate(request)
        if result is None or not mfa.is_verified(request._request):
            return None
        return result


class ApiClientScopes(SettingsScopes):
    """A token may carry only the scopes its API client was given (all of them by default)."""

    def get_available_scopes(
        self, application: Any = None, request: HttpRequest | None = None, *args: Any, **kw: Any
    ) -> list[str]:
        if application is None:
            return list(oauth2_settings._SCOPES)
        client = _client_of(application)
        if client is None:
            return []
        return [scope for scope in oauth2_settings._SCOPES if scope in client.scope_set]

    def get_default_scopes(
        self, application: Any = None, request: HttpRequest | None = None, *args: Any, **kw: Any
    ) -> list[str]:
        return self.get_available_scopes(application, request)


class ApiClientAuthenticationScheme(OpenApiAuthenticationExtension):
    """The schema's security: OAuth2 client credentials, with each operation's scope."""

    target_class = "advisors.authentication.ApiClientAuthentication"
    name = "oauth2"

    def get_security_requirement(self, auto_schema: Any) -> dict[str, list[str]]:
        from advisors.permissions import required_scope

        return {self.name: [required_scope(auto_schema.method, auto_schema.view)]}

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        from drf_spectacular.settings import spectacular_settings

        return {
            "type": "oauth2",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": spectacular_settings.OAUTH2_TOKEN_URL,
                    "scopes": dict(oauth2_settings.SCOPES),
                }
            },
        }


class VerifiedSessionScheme(SessionScheme):
    """The schema describes the verified session as the session cookie it is."""

    target_class = "advisors.authentication.VerifiedSessionAuthentication"

"""Scopes per endpoint: an API client needs ``read`` to read, ``write`` to change, and whatever
an action names in its view's ``required_scopes`` (``reviews`` for starting reviews). Signed-in
advisors (the browsable API) are limited by their role alone, through advisors/scoping.py."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from advisors.models import ApiClient, ApiScope


def required_scope(method: str, view: Any) -> str:
    """The scope ``method`` on ``view`` needs: the view's own for its action, else by method."""
    action = getattr(view, "action", None)
    scopes: dict[str, str] = getattr(view, "required_scopes", {})
    if action in scopes:
        return scopes[action]
    return ApiScope.READ if method.upper() in SAFE_METHODS else ApiScope.WRITE


class HasApiScope(BasePermission):
    message = "You do not have permission to perform this action."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if isinstance(user, ApiClient):
            scope = required_scope(request.method or "GET", view)
            granted = user.scope_set & getattr(user, "token_scopes", user.scope_set)
            if not user.is_active or scope not in granted:
                self.message = f"This API client lacks the {scope!r} scope."
                return False
            return True
        return bool(user and user.is_authenticated and user.is_active)


class ApiDocsPermission(BasePermission):
    """The API's schema and docs: anyone while API_DOCS_PUBLIC (development), else a signed-in
    advisor with a verified session or an API client with a token."""

    message = "Sign in to read the API's schema."

    def has_permission(self, request: Request, view: Any) -> bool:
        from django.conf import settings

        if settings.API_DOCS_PUBLIC:
            return True
        user = request.user
        if isinstance(user, ApiClient):
            return user.is_active
        return bool(user and user.is_authenticated and user.is_active)

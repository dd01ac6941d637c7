"""The REST API's shared machinery (every viewset of /api/v1/ builds on it) and the advisors
endpoint.

- ``ApiViewSet``: a GenericViewSet whose objects come from advisors/scoping.py by public UUID,
  with separate input and output serializers and ``Idempotency-Key`` support;
- ``exception_handler``: every error is JSON in DRF's shape, never an HTML page or a trace;
- ``ApiAutoSchema`` and the schema hook that documents the error responses.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from typing import Any

import django_filters
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import (
    APIException,
    NotFound,
    ParseError,
    PermissionDenied,
    ValidationError,
)
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback
from rest_framework.viewsets import GenericViewSet

from advisors import idempotency, scoping
from advisors.models import Advisor, Role
from advisors.parsers import PayloadTooLarge

logger = logging.getLogger(__name__)

UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
IDEMPOTENT_METHODS = frozenset({"POST", "PUT", "PATCH"})
IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")


# --- Errors ---------------------------------------------------------------------------------


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state; retry it."
    default_code = "conflict"


class UnprocessableEntity(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request cannot be processed."
    default_code = "unprocessable"


class _Replayed(APIException):
    """Carries a stored response out of ``initial`` (see ``IdempotentMixin``)."""

    def __init__(self, response: Response) -> None:
        super().__init__()
        self.response = response


def django_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A Django ValidationError in DRF's shape: ``{field: [message, ...]}``."""
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if name == NON_FIELD_ERRORS else name): messages
            for name, messages in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, _Replayed):
        return exc.response
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()  # 413 as JSON, not a 500 (advisors/parsers.py)
    elif isinstance(exc, RecursionError):
        exc = ParseError("JSON parse error - nested too deeply.")
    elif isinstance(exc, DjangoValidationError):
        exc = ValidationError(django_errors(exc))
    elif isinstance(exc, IntegrityError):
        # A constraint a concurrent request won; what we validate ourselves never gets here.
        # The constraint's name only: its message quotes row values (no client data in logs).
        diag = getattr(exc.__cause__, "diag", None)
        logger.warning("API integrity error: %s", getattr(diag, "constraint_name", None))
        exc = Conflict()
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.error("Unhandled API error", exc_info=exc)
        set_rollback()
        response = Response(
            {"detail": "A server error occurred. It has been logged."},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    return response


# --- Pagination, throttling, schema ---------------------------------------------------------


class ApiAutoSchema(AutoSchema):
    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self.method in IDEMPOTENT_METHODS:
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    {"type": "string", "pattern": IDEMPOTENCY_KEY_RE.pattern, "maxLength": 255},
                    OpenApiParameter.HEADER,
                    description=(
                        "Any unique string (a UUID): repeating the request with the same key "
                        "and body replays the first response; another body gets 422."
                    ),
                )
            )
        return parameters


ERROR_SCHEMA = {
    "type": "object",
    "description": (
        'DRF\'s error shape: {"detail": "…"} or {"field": ["message", …]} '
        '(nested for nested fields, {"non_field_errors": […]} for the whole object).'
    ),
    "additionalProperties": True,
}
_ERRORS = {
    "400": "Invalid input; each field names its problem.",
    "401": "No valid bearer token (or session).",
    "403": "Missing scope, or not allowed to change this object.",
    "404": "Not found, or not visible to you.",
    "429": "Rate limit exceeded; see Retry-After.",
}
_WRITE_ERRORS = {
    "409": "Conflicts with a concurrent change, or the Idempotency-Key is still in use.",
    "422": "The Idempotency-Key was used with another request.",
}


def postprocess_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Document the error responses every operation can give, in one Error component."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            errors = dict(_ERRORS)
            if method.upper() in IDEMPOTENT_METHODS:
                errors.update(_WRITE_ERRORS)
            for code, description in errors.items():
                operation["responses"].setdefault(
                    code,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return result


# --- Viewsets -------------------------------------------------------------------------------


def _jsonable(data: Any) -> Any:
    return json.loads(JSONRenderer().render(data)) if data is not None else None


class IdempotentMixin:
    """``Idempotency-Key`` on POST, PUT and PATCH (advisors/idempotency.py)."""

    _idempotency = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        self._idempotency = None
        key = request.headers.get("Idempotency-Key")
        if key is None or request.method not in IDEMPOTENT_METHODS:
            return
        if not IDEMPOTENCY_KEY_RE.match(key):
            raise ValidationError(
                {"Idempotency-Key": ["Use 1 to 255 printable characters without spaces."]}
            )
        try:
            self._idempotency = idempotency.idempotency_begin(
                owner=idempotency.owner_of(request.user),
                key=key,
                method=request.method,
                path=request.get_full_path(),
                body=request.data,
            )
        except idempotency.Replay as replay:
            record = replay.record
            headers = {**record.response_headers, "Idempotent-Replayed": "true"}
            raise _Replayed(
                Response(record.response_body, status=record.status_code, headers=headers)
            ) from None
        except idempotency.KeyReused:
            raise UnprocessableEntity(
                {"Idempotency-Key": ["This key was already used with a different request."]}
            ) from None
        except idempotency.KeyInProgress:
            raise Conflict(
                "A request with this Idempotency-Key is still being processed."
            ) from None

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        record, self._idempotency = self._idempotency, None
        if record is not None:
            headers = {"Location": response["Location"]} if response.has_header("Location") else {}
            idempotency.idempotency_finish(
                record=record,
                status_code=response.status_code,
                body=_jsonable(getattr(response, "data", None)),
                headers=headers,
            )
        return response


class ApiViewSet(IdempotentMixin, GenericViewSet):
    """Objects by public UUID from the caller's scope; ``input_serializer_class`` parses
    writes, ``serializer_class`` renders. Subclasses call services for every change."""

    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = UUID_PATTERN
    input_serializer_class: type[serializers.Serializer] | None = None
    update_serializer_class: type[serializers.Serializer] | None = None

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        drf_request = super().initialize_request(request, *args, **kwargs)
        # The schema generator's mock request has no caller: it sees the empty scope of an
        # anonymous user instead of authenticating (which needed a request host; W001).
        if getattr(self, "swagger_fake_view", False):
            drf_request.user, drf_request.auth = AnonymousUser(), None
        return drf_request

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # The router's ``.json`` suffix routes pass ``format``: kept for content negotiation,
        # not handed to the actions (which do not take it: it was a 500 on PATCH and by-ref).
        self._format_suffix = kwargs.pop("format", None)
        return super().dispatch(request, *args, **kwargs)

    def get_format_suffix(self, **kwargs: Any) -> str | None:
        return getattr(self, "_format_suffix", None)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action in ("update", "partial_update") and self.update_serializer_class:
            return self.update_serializer_class
        if self.action in ("create", "update", "partial_update") and self.input_serializer_class:
            return self.input_serializer_class
        return super().get_serializer_class()

    def get_object_and_access(self) -> tuple[Model, bool]:
        if self.lookup_url_kwarg not in self.kwargs:
            raise NotFound()  # a list route (OPTIONS asks for an object to describe a PUT)
        lookup = {self.lookup_field: self.kwargs[self.lookup_url_kwarg]}
        obj, may_write = scoping.object_for_user(self.request.user, self.get_queryset(), **lookup)
        self.check_object_permissions(self.request, obj)
        self._log_access([obj])
        return obj, may_write

    def get_object(self) -> Model:
        return self.get_object_and_access()[0]

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        self._log_access(page if page is not None else [])
        return page

    def _log_access(self, objects: Any) -> None:
        """The access log (clients/access.py): the households of what this request shows."""
        from clients import access

        access.record(
            principal=self.request.user,
            household_ids=[access.household_id_of(obj) for obj in objects],
            via=access.Via.API,
            path=self.request.path,
        )

    def get_writable_object(self) -> Model:
        obj, may_write = self.get_object_and_access()
        if not may_write:
            raise PermissionDenied("You may see this but not change it.")
        return obj

    def parse(self, data: Any, *, partial: bool = False, **kwargs: Any) -> dict[str, Any]:
        """Validate ``data`` with the input serializer; its validated data."""
        serializer = self.get_serializer(data=data, partial=partial, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def render(self, obj: Any, *, status_code: int = status.HTTP_200_OK) -> Response:
        data = self.serializer_class(obj, context=self.get_serializer_context()).data
        return Response(data, status=status_code)


def actor_advisor(user: Any) -> Advisor | None:
    """The advisor to record as the author of a change (None for an API client)."""
    return user if isinstance(user, Advisor) else None


class UpdatedSinceFilter(django_filters.IsoDateTimeFilter):
    """``?updated_since=2025-01-31T12:00:00Z``: rows changed at or after that moment."""

    def __init__(self, field_name: str = "updated", **kwargs: Any) -> None:
        kwargs.setdefault("label", "Only rows changed at or after this time (ISO 8601).")
        super().__init__(field_name=field_name, lookup_expr="gte", **kwargs)

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if value is not None:
            try:  # PostgreSQL takes offsets up to ±15:59 only; UTC is always fine
                value = value.astimezone(datetime.UTC)
            except (OverflowError, ValueError):
                raise ValidationError({"updated_since": ["That time is out of range."]}) from None
        return super().filter(qs, value)


class UpdatedSinceFilterSet(django_filters.FilterSet):
    updated_since = UpdatedSinceFilter()


# --- Advisors (read only: an integration finds the primary advisor's id here) ---------------


class AdvisorOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    name = serializers.CharField(source="get_full_name", read_only=True)
    team = serializers.SlugRelatedField(slug_field="public_id", read_only=True, allow_null=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)

    class Meta:
        model = Advisor
        fields = ["id", "username", "name", "email", "role", "team", "is_active", "updated"]
        read_only_fields = fields


class AdvisorFilter(UpdatedSinceFilterSet):
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact")
    username = django_filters.CharFilter(field_name="username")
    role = django_filters.ChoiceFilter(choices=Role.choices)

    class Meta:
        model = Advisor
        fields = ["email", "username", "role", "updated_since"]


@extend_schema_view(
    list=extend_schema(summary="List the firm's advisors"),
    retrieve=extend_schema(summary="One advisor"),
)
class AdvisorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """The firm's advisors, to choose a household's primary advisor by id or email."""

    serializer_class = AdvisorOut
    filterset_class = AdvisorFilter

    def get_queryset(self) -> QuerySet[Advisor]:
        return scoping.visible(self.request.user, Advisor).select_related("team")

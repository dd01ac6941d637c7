"""``POST /api/v1/imports/`` (multipart): the same pipeline as the Import page.

Without ``commit`` the answer is the preview (201, nothing written but the import's record):
counts by kind, every row error with its row number, column and message, every changed row
with its likely reason. With ``commit=true`` a file without errors is committed at once, all
or nothing (``decisions``: a JSON object {row number: {"keep": "ours"|"file", "reason": …}}
for changed rows; undecided rows keep ours); a file with errors answers 400 with them and
writes nothing. Past the size limit: 413. Scoped like everything else (advisors/scoping.py):
only accounts the caller may change are matched.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from advisors.api import ApiViewSet
from clients.imports import commit, formats, pipeline, selectors
from clients.imports.models import ImportBatch, RowKind

MAX_ROWS_LISTED = 1000


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The file is too large."
    default_code = "too_large"


class ImportIn(serializers.Serializer):
    file = serializers.FileField()
    format = serializers.ChoiceField(
        choices=list(formats.REGISTRY), required=False, allow_blank=True
    )
    commit = serializers.BooleanField(required=False, default=False)
    decisions = serializers.CharField(
        required=False, allow_blank=True, help_text='JSON: {"12": {"keep": "file", "reason": "…"}}'
    )

    def validate_decisions(self, value: str) -> dict[int, tuple[str, str]]:
        if not value:
            return {}
        try:
            raw = json.loads(value)
            return {int(k): (v.get("keep", "ours"), v.get("reason", "")) for k, v in raw.items()}
        except (ValueError, AttributeError, TypeError):
            raise serializers.ValidationError(
                'Give a JSON object: {"12": {"keep": "file", "reason": "…"}}.'
            ) from None


class ImportOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    errors = serializers.SerializerMethodField()
    changed = serializers.SerializerMethodField()
    kind = serializers.CharField(
        read_only=True, help_text="lots, transactions, prices or securities; empty if unread."
    )
    same_file_as = serializers.SlugRelatedField(
        slug_field="public_id", read_only=True, allow_null=True
    )

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "file_name",
            "format",
            "kind",
            "status",
            "sha256",
            "encoding",
            "delimiter",
            "created",
            "created_by_label",
            "rows_total",
            "counts",
            "created_count",
            "changed_count",
            "committed",
            "same_file_as",
            "error",
            "errors",
            "changed",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_errors(self, batch: ImportBatch) -> list[dict[str, Any]]:
        rows = batch.rows.filter(kind=RowKind.ERROR).order_by("number")[:MAX_ROWS_LISTED]
        return [
            {"row": r.number, "column": e.get("column", ""), "message": e["message"]}
            for r in rows
            for e in r.errors
        ]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_changed(self, batch: ImportBatch) -> list[dict[str, Any]]:
        rows = batch.rows.filter(kind=RowKind.CHANGED).order_by("number")[:MAX_ROWS_LISTED]
        return [
            {
                "row": r.number,
                "reason": r.reason,
                "explanation": r.explanation,
                "ours": r.ours,
                "file": {k: v for k, v in r.data.items() if k != "_"},
                "decision": r.decision,
                "result": r.result,
            }
            for r in rows
        ]


class ImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Imports of custodian files: preview, or preview and commit."""

    serializer_class = ImportOut
    parser_classes = [MultiPartParser, FormParser]
    cursor_ordering = ("created", "public_id")

    def get_queryset(self) -> QuerySet[ImportBatch]:
        return selectors.batches_visible(self.request.user)

    def get_object(self) -> ImportBatch:
        # Imports are scoped by clients/imports/selectors.py (their firm and who made them).
        try:
            return self.get_queryset().get(public_id=self.kwargs[self.lookup_url_kwarg])
        except (ImportBatch.DoesNotExist, KeyError, DjangoValidationError):
            raise NotFound() from None

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return ImportIn if self.action == "create" else ImportOut

    @extend_schema(
        request={"multipart/form-data": ImportIn},
        responses={201: ImportOut},
        summary="Preview (and with commit=true, commit) a custodian file",
    )
    def create(self, request: Request) -> Response:
        data = self.parse(request.data)
        upload = data["file"]
        try:
            batch = pipeline.batch_start(
                actor=request.user,
                upload=upload,
                file_name=upload.name,
                format_name=data.get("format") or "",
            )
        except pipeline.FileTooLarge as exc:
            raise PayloadTooLarge(str(exc)) from None
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        batch.refresh_from_db()
        if data["commit"]:
            if batch.is_working:
                raise ValidationError(
                    {
                        "file": [
                            "The file is large: it is read in the "
                            "background. Commit it from its import page."
                        ]
                    }
                )
            try:
                if data.get("decisions"):
                    commit.decide(batch=batch, actor=request.user, decisions=data["decisions"])
                batch = commit.batch_commit(batch_id=batch.pk, actor=request.user)
            except commit.CommitRefused as refused:
                batch.refresh_from_db()
                body = ImportOut(batch, context=self.get_serializer_context()).data
                return Response(
                    {"detail": refused.message, **body}, status=status.HTTP_400_BAD_REQUEST
                )
        body = ImportOut(batch, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

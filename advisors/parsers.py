"""The API's JSON parser, with limits: a body past ``DATA_UPLOAD_MAX_MEMORY_SIZE`` answers 413,
and JSON nested deeper than ``API_JSON_MAX_DEPTH`` (default 32) answers 400, both as JSON and
before anything is decoded, so neither a huge body nor ``[``×100,000 can cost memory or raise
RecursionError (a 500)."""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPEN, _CLOSE = frozenset(b"[{"), frozenset(b"]}")


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def body_limit() -> int | None:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def max_depth() -> int:
    return getattr(settings, "API_JSON_MAX_DEPTH", 32)


def nesting_depth_exceeds(raw: bytes, limit: int) -> bool:
    """Whether arrays/objects in ``raw`` nest deeper than ``limit`` (strings skipped)."""
    depth = 0
    for byte in _STRING.sub(b'""', raw):
        if byte in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSE:
            depth -= 1
    return False


def read_bounded(stream: Any, meta: dict[str, Any]) -> bytes:
    limit = body_limit()
    try:
        declared = int(meta.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        declared = 0
    if limit is not None and declared > limit:
        raise PayloadTooLarge()
    raw = stream.read() if limit is None else stream.read(limit + 1)
    if limit is not None and len(raw) > limit:
        raise PayloadTooLarge()
    return raw


class BoundedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        if stream is None:
            return None
        request = (parser_context or {}).get("request")
        meta = request.META if request is not None else {}
        raw = read_bounded(stream, meta)
        if nesting_depth_exceeds(raw, max_depth()):
            raise ParseError(f"JSON parse error - nested deeper than {max_depth()} levels.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.loads(raw.decode(encoding), parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")

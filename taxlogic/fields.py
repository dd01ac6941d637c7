"""JSON documents nobody queries inside (a review's inputs, a plan's result, the explanation of
a recommendation) stored compressed.

A 300-lot household's inputs are about 80 KB of JSON and its plan as much again. As ``jsonb``
each is parsed, re-encoded and TOAST-compressed by PostgreSQL on every write, which made those
columns most of the cost of a year-end review (and a bulk insert of ``jsonb`` values goes
through PostgreSQL's array syntax, escaping every quote). Nothing ever queries inside them, so
they are stored as their canonical JSON (sorted keys, no spaces, UTF-8), compressed with
Zstandard at its fastest level, in a ``bytea`` column: a fifth of the size, and no work for the
database. Reading gives the JSON value back (dicts and lists), as a JSONField would. Values
written zlib-compressed (before Zstandard) read back the same: the first byte tells which.
"""

from __future__ import annotations

import json
import threading
import zlib
from typing import Any

import orjson
import zstandard
from django.db import models

# Zstandard's level 1: on a household's inputs, five times smaller in a quarter of the time of
# zlib's fastest level (which the first stored values used).
LEVEL = 1
# Below this size a value is stored as its JSON, uncompressed: compressing a kilobyte costs more
# than it saves (and PostgreSQL keeps such a value inside the row anyway). A Zstandard frame
# starts with the byte 0x28 and a zlib stream with 0x78 (``x``), which no JSON text does, so
# reading tells the three apart.
SMALL = 2000
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
ZLIB_FIRST = b"x"

# A (de)compression context serves one thread at a time: one each per thread.
_contexts = threading.local()


def _context(name: str, make: Any) -> Any:
    """This thread's (de)compression context called ``name``, made on first use."""
    context = getattr(_contexts, name, None)
    if context is None:
        context = make()
        setattr(_contexts, name, context)
    return context


def compress(data: bytes) -> bytes:
    """``data`` as one Zstandard frame (its size recorded in it)."""
    return _context("compressor", lambda: zstandard.ZstdCompressor(level=LEVEL)).compress(data)


def decode(stored: bytes | memoryview) -> Any:
    """The JSON value of a stored ``CompressedJSONField`` value: Zstandard, zlib or plain."""
    data = bytes(stored)
    if data[:4] == ZSTD_MAGIC:
        data = _context("decompressor", zstandard.ZstdDecompressor).decompress(data)
    elif data[:1] == ZLIB_FIRST:
        data = zlib.decompress(data)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)  # what only the json module reads: a whole number past 64 bits


def canonical_json(value: Any) -> bytes:
    """The one encoding of a JSON value: sorted keys, no spaces, UTF-8, as
    ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` writes it
    (the definition every stored hash was computed by). orjson writes the very same bytes for
    what we store (text, whole numbers, booleans, null, lists, objects with text keys: money and
    quantities are text) in a tenth of the time; what it refuses (keys that are not text, a
    whole number past 64 bits) takes the json module. Floats are never stored: were one, it
    would be spelled orjson's way (``1e16`` where json writes ``1e+16``), still one way."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class EncodedJSON(dict):
    """A JSON object together with its canonical encoding, worked out once: what is hashed and
    what a ``CompressedJSONField`` stores. Treat it as read-only (the encoding is not redone)."""

    __slots__ = ("encoded",)

    def __init__(self, value: dict[str, Any]) -> None:
        super().__init__(value)
        self.encoded = canonical_json(value)


class CompressedJSONField(models.Field):
    """A JSON value stored as compressed canonical JSON (see the module docstring), in the
    column type of a BinaryField. Not a BinaryField subclass: its per-value placeholder would
    keep Django's bulk inserts on PostgreSQL from using UNNEST."""

    description = "JSON, compressed"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.editable:
            kwargs["editable"] = True
        else:
            del kwargs["editable"]
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        return "BinaryField"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return decode(value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value)  # serialized (value_to_string), e.g. a fixture
        if isinstance(value, bytes | memoryview):
            return decode(value)
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        encoded = value.encoded if isinstance(value, EncodedJSON) else canonical_json(value)
        return encoded if len(encoded) < SMALL else compress(encoded)

    def value_to_string(self, obj: models.Model) -> str:
        return canonical_json(self.value_from_object(obj)).decode()

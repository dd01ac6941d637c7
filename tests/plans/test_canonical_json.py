"""taxlogic/fields.canonical_json (orjson) writes the bytes of the json module's definition, the
one every stored hash was computed by: for any value of the kinds we store, and for those orjson
refuses, which the json module takes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taxlogic.fields import canonical_json


def _by_definition(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# Every code point but lone surrogates (which neither can encode as UTF-8): control characters,
# quotes, backslashes, DEL, U+2028, astral planes (which order differently in UTF-16).
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXT
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=6),
    max_leaves=40,
)


@settings(max_examples=2000, deadline=None)
@given(VALUES)
def test_the_same_bytes_as_the_definition(value: Any) -> None:
    assert canonical_json(value) == _by_definition(value)


def test_what_orjson_refuses_is_written_by_the_definition() -> None:
    for value in ({2: "a", 10: "b"}, {"big": 2**70}, [{"k": -(2**64)}], {None: 1}, {True: 0}):
        assert canonical_json(value) == _by_definition(value)
    with pytest.raises(TypeError):  # keys that do not sort: refused, as by the definition
        canonical_json({1: "a", "b": 2})


def test_tricky_text() -> None:
    value = {"é": '\x00\x1f\x7f\u2028"\\/\n\t', "\U0001f600": 1, "\uffff": [True, None]}
    assert canonical_json(value) == _by_definition(value)
    assert list(json.loads(canonical_json(value))) == sorted(value)

"""taxlogic/fields.py: JSON stored as compressed canonical JSON reads back as the same JSON."""

from __future__ import annotations

import json
import zlib

import pytest
import zstandard
from django.core import serializers
from django.db import connection

from clients.models import Household
from taxlogic import services
from taxlogic.fields import (
    SMALL,
    ZSTD_MAGIC,
    CompressedJSONField,
    EncodedJSON,
    canonical_json,
)
from taxlogic.models import Recommendation, Review
from tests.plans.conftest import add_loss, review

pytestmark = pytest.mark.django_db


def _stored(table: str, column: str, pk: int) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return bytes(cursor.fetchone()[0])


def test_values_read_back_as_they_were_written(households: dict[str, Household]) -> None:
    household = households["advisor"]
    big = {"lots": [{"id": f"L{n}", "basis": f"{n}.00", "note": "é ✓"} for n in range(500)]}
    small = {"b": [1, 2, {"c": None}], "a": "x"}
    made = Review.objects.create(
        firm=household.firm, household=household, tax_year=2026, as_of="2026-11-01", inputs=big
    )
    made.refresh_from_db()
    assert made.inputs == big
    raw = _stored("taxlogic_review", "inputs", made.pk)
    assert raw[:4] == ZSTD_MAGIC and len(raw) < len(canonical_json(big)) / 4  # compressed

    Review.objects.filter(pk=made.pk).update(inputs=small)
    made.refresh_from_db()
    assert made.inputs == small
    assert _stored("taxlogic_review", "inputs", made.pk) == b'{"a":"x","b":[1,2,{"c":null}]}'

    Review.objects.filter(pk=made.pk).update(inputs=None)
    made.refresh_from_db()
    assert made.inputs is None


def test_a_value_with_its_encoding_is_stored_as_that_encoding() -> None:
    field = CompressedJSONField()
    value = EncodedJSON({"z": 1, "a": [True, "ü"]})
    assert value.encoded == canonical_json(dict(value)) == '{"a":[true,"ü"],"z":1}'.encode()
    assert field.get_prep_value(value) == value.encoded  # small: as it is
    large = EncodedJSON({"k": "v" * SMALL})
    assert field.to_python(field.get_prep_value(large)) == large


def test_a_review_stores_the_inputs_its_hash_is_of(households: dict[str, Household]) -> None:
    household = households["advisor"]
    add_loss(household)
    computed = review(household).reviews.get()
    computed.refresh_from_db()
    assert isinstance(computed.inputs, dict) and computed.inputs["case"]["lots"]
    assert services.inputs_hash(computed.inputs) == computed.inputs_hash
    stored = _stored("taxlogic_review", "inputs", computed.pk)
    raw = zstandard.ZstdDecompressor().decompress(stored) if stored[:4] == ZSTD_MAGIC else stored
    assert raw == canonical_json(computed.inputs)  # the very text the hash is of
    rec = Recommendation.objects.filter(plan=computed.plan).first()
    assert rec is not None and rec.details["notes"]
    assert _stored("taxlogic_recommendation", "details", rec.pk)[:1] == b"{"  # small: plain


def test_serialized_reviews_load_back(households: dict[str, Household]) -> None:
    household = households["advisor"]
    add_loss(household)
    computed = review(household).reviews.get()
    text = serializers.serialize("json", [computed])
    assert json.loads(text)[0]["fields"]["inputs"].startswith('{"case":')
    [loaded] = list(serializers.deserialize("json", text))
    assert loaded.object.inputs == computed.inputs


def test_values_stored_zlib_compressed_before_zstandard_read_back(
    households: dict[str, Household],
) -> None:
    household = households["advisor"]
    value = {"lots": [{"id": f"L{n}", "basis": f"{n}.00"} for n in range(300)]}
    made = Review.objects.create(
        firm=household.firm, household=household, tax_year=2026, as_of="2026-11-01"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE taxlogic_review SET inputs = %s WHERE id = %s",
            [zlib.compress(canonical_json(value), 1), made.pk],
        )
    made.refresh_from_db()
    assert made.inputs == value
    assert _stored("taxlogic_review", "inputs", made.pk)[:1] == b"x"  # left as it was


def test_threads_compress_and_read_at_once() -> None:
    from concurrent.futures import ThreadPoolExecutor

    field = CompressedJSONField()
    values = [{"n": n, "text": f"{n} " * 2000} for n in range(64)]

    def round_trip(value: dict[str, object]) -> bool:
        stored = field.get_prep_value(value)
        return stored[:4] == ZSTD_MAGIC and field.to_python(stored) == value

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(round_trip, values))


def test_what_only_the_json_module_writes_reads_back() -> None:
    field = CompressedJSONField()
    for value in ({"big": 2**70, "pad": "x" * SMALL}, {"big": -(2**64)}):
        assert field.to_python(field.get_prep_value(value)) == value

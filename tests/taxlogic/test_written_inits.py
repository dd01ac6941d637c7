"""The engine's hottest frozen dataclasses have their ``__init__`` written out (mypyc compiles a
written-out one; the generated one runs interpreted, 20-40x slower to construct). Each must be
exactly the one ``@dataclass`` would generate: every init field by its name, in its place, with
its default, stored under its own name."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from taxlogic import rules
from taxlogic.rules.lots import Lot, OpenLot, OpenPiece
from taxlogic.rules.opportunities import Blocker, Opportunity
from taxlogic.rules.wash_sales import Realized, WashSale

# Compiled, each argument is type-checked, so the markers below would be refused: these tests
# read the sources' __init__ (make test runs the engine's tests again with TAXLOGIC_NATIVE=0,
# and tests/taxlogic/test_native.py holds the compiled engine to the same results).
pytestmark = pytest.mark.skipif(rules.native, reason="the sources' __init__: TAXLOGIC_NATIVE=0")

WRITTEN_OUT = [Realized, WashSale, Lot, OpenLot, OpenPiece, Opportunity, Blocker]


def _init_fields(cls: type) -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(cls) if f.init]


@pytest.mark.parametrize("cls", WRITTEN_OUT, ids=lambda c: c.__name__)
def test_every_field_is_stored_under_its_own_name(cls: type) -> None:
    values = {f.name: object() for f in _init_fields(cls)}  # a distinct marker per field
    made = cls(**values)
    for name, value in values.items():
        assert getattr(made, name) is value, name
    # Positionally, in the order of the fields.
    again = cls(*values.values())
    assert all(getattr(again, name) is value for name, value in values.items())


@pytest.mark.parametrize("cls", WRITTEN_OUT, ids=lambda c: c.__name__)
def test_defaults_are_the_fields_defaults(cls: type) -> None:
    fields = _init_fields(cls)
    required = {
        f.name: object()
        for f in fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    made = cls(**required)
    for f in fields:
        if f.default is not dataclasses.MISSING:
            assert getattr(made, f.name) == f.default, f.name
        elif f.default_factory is not dataclasses.MISSING:
            assert getattr(made, f.name) == f.default_factory(), f.name
    with pytest.raises(TypeError):
        cls(**{**required, "no_such_field": 1})

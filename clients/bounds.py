"""The bounds of every number and date the site accepts, in one place, used by every path: the
models' validators (admin, ``full_clean``), the forms, the API's serializers and the services
(so importers and bulk paths are held to the same limits).

- money: within ±10^12 with cents (a household's whole book fits easily; a typo does not);
- share quantities: under 10^12 with 6 decimals; unit prices under 10^12;
- dates: 1900-01-01 to 2200-12-31; a birth date not in the future; a lot is never sold
  before it was acquired (clients/services.py ``_relieve``).

A value out of bounds is refused with an error naming its field, so a household can never be
stored in a state its reviews cannot read.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.deconstruct import deconstructible

MONEY_LIMIT = Decimal("1000000000000")  # 10^12 dollars
QUANTITY_LIMIT = Decimal("1000000000000")  # 10^12 shares
PRICE_LIMIT = Decimal("1000000000000")
MONEY_PLACES = 2
QUANTITY_PLACES = 6
DATE_MIN = datetime.date(1900, 1, 1)
DATE_MAX = datetime.date(2200, 12, 31)

MONEY_VALIDATORS = [
    MinValueValidator(-MONEY_LIMIT, message="Enter an amount of at least -1,000,000,000,000."),
    MaxValueValidator(MONEY_LIMIT, message="Enter an amount of at most 1,000,000,000,000."),
]
QUANTITY_VALIDATORS = [
    MinValueValidator(-QUANTITY_LIMIT, message="Enter a quantity above -1,000,000,000,000."),
    MaxValueValidator(QUANTITY_LIMIT, message="Enter a quantity under 1,000,000,000,000."),
]
PRICE_VALIDATORS = [
    MaxValueValidator(PRICE_LIMIT, message="Enter a price under 1,000,000,000,000."),
]
DATE_VALIDATORS = [
    MinValueValidator(DATE_MIN, message="Enter a date from 1900-01-01 on."),
    MaxValueValidator(DATE_MAX, message="Enter a date up to 2200-12-31."),
]


@deconstructible
class NotInFuture:
    """A date that has already happened (a birth date, a death date)."""

    message = "This date is in the future."

    def __call__(self, value: datetime.date | None) -> None:
        if value is not None and value > timezone.localdate():
            raise ValidationError(self.message, code="future")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NotInFuture)

    def __hash__(self) -> int:
        return hash(type(self))


PAST_DATE_VALIDATORS = [*DATE_VALIDATORS, NotInFuture()]

_KINDS = {
    "money": MONEY_VALIDATORS,
    "quantity": QUANTITY_VALIDATORS,
    "price": PRICE_VALIDATORS,
    "date": DATE_VALIDATORS,
    "past_date": PAST_DATE_VALIDATORS,
}


def errors(**fields: tuple[str, Any]) -> dict[str, str]:
    """Check ``name=(kind, value)`` pairs (kind: money, quantity, price, date, past_date);
    the first message per failing field. None values pass (required-ness is checked apart)."""
    found: dict[str, str] = {}
    for name, (kind, value) in fields.items():
        if value is None:
            continue
        for validator in _KINDS[kind]:
            try:
                validator(value)
            except ValidationError as exc:
                found[name] = exc.messages[0]
                break
    return found


def check(**fields: tuple[str, Any]) -> None:
    """``errors`` as a ValidationError naming each field (for services)."""
    found = errors(**fields)
    if found:
        raise ValidationError(found)


def merge(into: dict[str, Any], found: Mapping[str, str]) -> None:
    """Add bound errors to a service's own error dict, keeping a message already there."""
    for name, message in found.items():
        into.setdefault(name, message)


# --- Field factories for forms and the API ---------------------------------------------------


def form_money(**kwargs: Any) -> Any:
    from django import forms

    return forms.DecimalField(
        max_digits=18, decimal_places=MONEY_PLACES, validators=MONEY_VALIDATORS, **kwargs
    )


def form_quantity(**kwargs: Any) -> Any:
    from django import forms

    return forms.DecimalField(
        max_digits=20, decimal_places=QUANTITY_PLACES, validators=QUANTITY_VALIDATORS, **kwargs
    )


def form_date(**kwargs: Any) -> Any:
    from django import forms

    return forms.DateField(validators=DATE_VALIDATORS, **kwargs)


def api_date(**kwargs: Any) -> Any:
    from rest_framework import serializers

    validators = kwargs.pop("validators", DATE_VALIDATORS)
    return serializers.DateField(validators=list(validators), **kwargs)

"""Template filters of the plan pages: money as the engine writes it in its reasons."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from taxlogic.rules.carryforward import money_text

register = template.Library()


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@register.filter
def money(value: object) -> str:
    """``$1,234`` or ``$1,234.56`` (stored plans hold amounts as strings); empty for none."""
    amount = _decimal(value)
    return "" if amount is None else money_text(amount)


@register.filter
def loss(value: object) -> str:
    """An unrealized result shown as a loss amount: ``-1234.50`` → ``$1,234.50``."""
    amount = _decimal(value)
    return "" if amount is None else money_text(-amount)


@register.filter
def day(value: object) -> str:
    """An ISO date string or a date as YYYY-MM-DD."""
    return "" if value is None else str(value)[:10]

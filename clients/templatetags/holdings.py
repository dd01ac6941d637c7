from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def shares(value: Decimal | None) -> str:
    """A quantity or unit price as entered, grouped, without trailing zeros (12.5, 1,000)."""
    if value is None:
        return ""
    return f"{Decimal(value).normalize():,f}" if value else "0"

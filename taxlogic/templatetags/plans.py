"""Template filters of the plan pages: money as the engine writes it in its reasons."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _cents(amount: Decimal) -> str:
    cents = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{'-' if cents < 0 else ''}${abs(cents):,.2f}"


@register.filter
def money(value: object) -> str:
    """Always two decimals: ``$1,088.00``, ``$94.86`` (stored plans hold amounts as strings);
    empty for none. The one money format of tables and cards; tiles use ``dollars``."""
    amount = _decimal(value)
    return "" if amount is None else _cents(amount)


@register.filter
def loss(value: object) -> str:
    """An unrealized result shown as a loss amount: ``-1234.50`` → ``$1,234.50``."""
    amount = _decimal(value)
    return "" if amount is None else _cents(-amount)


@register.filter
def day(value: object) -> str:
    """An ISO date string or a date as YYYY-MM-DD."""
    return "" if value is None else str(value)[:10]


# --- one money format (issue 15): two decimals everywhere, whole dollars in headline tiles ----


@register.filter
def dollars(value: object) -> str:
    """Whole dollars for the headline tiles: ``$1,088``; the exact figure is in the table."""
    amount = _decimal(value)
    if amount is None:
        return ""
    whole = amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{'-' if whole < 0 else ''}${abs(whole):,.0f}"


_POLICY_FILE = re.compile(r"tax-rules\.md\s*(§\s*[\d.]+)?")


@register.filter
def citation(value: object) -> str:
    """A rule as users read it: the firm's rule book named in words, never its file name (the
    exact reference stays in the element's title, for compliance)."""
    text = "" if value is None else str(value)

    def words(match: re.Match[str]) -> str:
        section = match.group(1)
        return f"the firm's tax rules, {section}" if section else "the firm's tax rules"

    return _POLICY_FILE.sub(words, text).replace("Firm policy:", "The firm's policy:")


@register.filter
def policy_label(key: object) -> str:
    """A policy flag in a plain sentence (the key itself goes in a tooltip)."""
    from taxlogic.forms import POLICY_LABELS

    return POLICY_LABELS.get(str(key), str(key).replace("_", " "))


@register.filter
def subtract(value: object, other: object) -> Decimal | None:
    a, b = _decimal(value), _decimal(other)
    return None if a is None or b is None else a - b


@register.inclusion_tag("taxlogic/household_watch.html", takes_context=True)
def household_watch(context: dict[str, Any], household: Any) -> dict[str, Any]:
    """The household page's open do-not-buy windows and wash-sale alerts (two queries)."""
    from django.utils import timezone

    from advisors import scoping
    from taxlogic.models import WashAlert, WashWatch

    user = context["request"].user
    today = timezone.localdate()
    watches = list(
        scoping.visible(user, WashWatch)
        .filter(household=household, through__gte=today)
        .select_related("security")
    )
    alerts = list(scoping.visible(user, WashAlert).filter(watch__in=watches)) if watches else []
    return {"watches": watches, "alerts": alerts, "household": household}

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any
from uuid import UUID

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

from clients.models import AcquiredHow

register = template.Library()


@register.filter
def shares(value: Decimal | None) -> str:
    """A quantity or unit price as entered, grouped, without trailing zeros (12.5, 1,000)."""
    if value is None:
        return ""
    return f"{Decimal(value).normalize():,f}" if value else "0"


# --- a holdings table's rows, written in Python --------------------------------------------------
# A household of 100 lots rendered this table through the template language in ~20 ms (seven
# cells, a dozen lookups and filters each); the same HTML is written here in ~2 ms. The markup
# is the one the ``lots`` partial of clients/household_detail.html had: tests/clients and the
# browser tests read its classes and data attributes.

_ZERO_ID = UUID(int=0)


def _lot_url_prefix() -> tuple[str, str]:
    url = reverse("clients:lot_detail", args=[_ZERO_ID])
    head, _, tail = url.partition(str(_ZERO_ID))
    return head, tail


def _row_html(row: Any, head: str, tail: str) -> str:
    from taxlogic.templatetags.plans import money

    lot = row.lot
    security = lot.security
    acquired = f"{lot.acquired:%Y-%m-%d}"
    if lot.how_acquired != AcquiredHow.PURCHASE:
        acquired += f" <small>({escape(lot.get_how_acquired_display().lower())})</small>"
    engine = getattr(lot, "engine", None)
    differs = engine is not None and engine.differs
    basis = money(row.basis)
    if engine is not None:
        if engine.adjustment:
            basis += (
                ' <small title="wash-sale adjustment (IRC §1091(d))">'
                f"(+{money(engine.adjustment)} W)</small>"
            )
        if differs:
            basis += (
                f' <small title="{escape(" ".join(engine.differences))}">'
                f"custodian {money(lot.adjusted_basis)}</small>"
            )
    elif lot.wash_sale_adjustment:
        basis += (
            f' <small title="wash-sale adjustment">(+{money(lot.wash_sale_adjustment)} W)</small>'
        )
    if row.price is not None:
        day = f"{row.price_date:%m-%d}" if row.price_date else ""
        price = f"{shares(row.price)} <small>{day}</small>"
    else:
        price = '<span class="muted">no price</span>'
    value = money(row.market_value) if row.market_value is not None else "—"
    unrealized = money(row.unrealized) if row.unrealized is not None else "—"
    result = "loss" if row.is_loss else ("gain" if row.unrealized else "")
    term = escape(row.term)
    return (
        "<tr>"
        f'<td><a href="{head}{lot.public_id}{tail}" title="{escape(security.name)}">'
        f"{escape(security.symbol)}</a></td>"
        f"<td>{acquired}</td>"
        f'<td class="num">{shares(lot.quantity)}</td>'
        f'<td class="num{" differs" if differs else ""}" data-basis="{escape(str(row.basis))}">'
        f"{basis}</td>"
        f'<td class="num">{price}</td>'
        f'<td class="num">{value}</td>'
        f'<td class="num {result}">{unrealized}</td>'
        f'<td data-term="{term}">{term}-term</td>'
        "</tr>\n"
    )


@register.simple_tag
def lot_rows(rows: list[Any]) -> str:
    """The ``<tr>`` of each ``clients.selectors.LotRow``: security (linked to the lot), acquired
    (and how, unless bought), quantity, basis (the engine's, with its wash-sale adjustment and
    the custodian's figure where they differ), latest price, market value, unrealized result,
    term. Every stored text is escaped."""
    head, tail = _lot_url_prefix()
    return mark_safe("".join(_row_html(row, head, tail) for row in rows))  # noqa: S308

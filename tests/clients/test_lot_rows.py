"""The holdings table's rows, written in Python (clients/templatetags/holdings.py ``lot_rows``):
the markup the template loop wrote, every stored text escaped."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from uuid import uuid4

from django.urls import reverse

from clients.models import AcquiredHow
from clients.selectors import LotRow
from clients.templatetags.holdings import lot_rows


def _lot(**kw: object) -> SimpleNamespace:
    values = {
        "public_id": uuid4(),
        "security": SimpleNamespace(symbol="VTI", name="Vanguard Total <Stock>"),
        "acquired": date(2025, 3, 4),
        "how_acquired": AcquiredHow.PURCHASE,
        "quantity": Decimal("10.5000"),
        "adjusted_basis": Decimal("1000.00"),
        "wash_sale_adjustment": Decimal("0.00"),
        "engine": None,
    }
    values.update(kw)
    lot = SimpleNamespace(**values)
    lot.get_how_acquired_display = lambda: AcquiredHow(lot.how_acquired).label
    return lot


def test_a_row_holds_each_cell_with_the_stored_texts_escaped() -> None:
    lot = _lot(security=SimpleNamespace(symbol="<b>X", name='a "quoted" <name>'))
    row = LotRow(
        lot,
        Decimal("90.1200"),
        date(2026, 11, 30),
        Decimal("946.26"),
        Decimal("-53.74"),
        "short",
        Decimal("1000.00"),
    )
    html = lot_rows([row])
    assert f'<a href="{reverse("clients:lot_detail", args=[lot.public_id])}"' in html
    assert "&lt;b&gt;X</a>" in html and 'title="a &quot;quoted&quot; &lt;name&gt;"' in html
    assert "<b>" not in html
    assert "<td>2025-03-04</td>" in html
    assert '<td class="num">10.5</td>' in html
    assert 'data-basis="1000.00">$1,000.00</td>' in html
    assert "90.12 <small>11-30</small>" in html
    assert '<td class="num loss">-$53.74</td>' in html
    assert '<td data-term="short">short-term</td>' in html


def test_engine_adjustment_difference_gift_and_no_price() -> None:
    engine = SimpleNamespace(
        adjustment=Decimal("200.00"), differs=True, differences=["Basis <differs>."]
    )
    lot = _lot(how_acquired=AcquiredHow.GIFT, engine=engine)
    row = LotRow(lot, None, None, None, None, "long", Decimal("1200.00"))
    html = lot_rows([row])
    assert "(gift)" in html
    assert 'class="num differs" data-basis="1200.00"' in html
    assert "(+$200.00 W)" in html
    assert 'title="Basis &lt;differs&gt;.">custodian $1,000.00</small>' in html
    assert '<span class="muted">no price</span>' in html
    assert html.count("—") == 2  # market value and unrealized unknown
    assert '<td class="num ">' in html  # neither gain nor loss


def test_the_custodians_adjustment_shows_without_engine_figures() -> None:
    lot = _lot(wash_sale_adjustment=Decimal("75.00"))
    row = LotRow(
        lot,
        Decimal("1"),
        date(2026, 1, 2),
        Decimal("10.50"),
        Decimal("5.00"),
        "long",
        Decimal("5.50"),
    )
    html = lot_rows([row])
    assert '<small title="wash-sale adjustment">(+$75.00 W)</small>' in html
    assert '<td class="num gain">$5.00</td>' in html

"""Prices and securities rows (reference data: the platform's operators import them)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from clients.imports.cells import Checked
from clients.imports.formats.base import Row
from clients.imports.models import ImportRow, Reason, RowKind
from clients.models import AssetClass, Price, Security, SecurityKind


def _row(batch_id: int, check: Checked) -> ImportRow:
    return ImportRow.fresh(batch_id=batch_id, number=check.row.number, data=dict(check.row.values))


def prices_chunk(batch_id: int, rows: list[Row]) -> list[ImportRow]:
    symbols = {r.values.get("symbol", "").strip().upper() for r in rows}
    securities = {s.symbol.upper(): s for s in Security.objects.filter(symbol__in=symbols)}
    checks = []
    for row in rows:
        check = Checked(row)
        for column, message in row.problems:
            check.errors.append({"column": column, "message": message})
        if row.problems:
            checks.append(check)
            continue
        check.encoding()
        security = securities.get(check.text("symbol").upper())
        if security is None:
            check.error(
                "symbol",
                f"Unknown symbol {check.text('symbol') or '(empty)'}: no such security yet.",
                fix="create it",
                fix_url="/imports/new/?format=securities",
            )
        day = check.day("date")
        close = check.number("close", positive=True)
        if day is not None and day > timezone.localdate():
            check.error("date", f"The date {day:%Y-%m-%d} is in the future.")
        if not check.errors and security is not None and day and close is not None:
            check.parsed = {"security": security.pk, "date": day.isoformat(), "close": str(close)}
        checks.append(check)
    wanted = [(c.parsed["security"], c.parsed["date"]) for c in checks if c.parsed]
    existing = {}
    if wanted:
        for price in Price.objects.filter(
            security_id__in={w[0] for w in wanted}, date__in={w[1] for w in wanted}
        ):
            existing[(price.security_id, price.date.isoformat())] = price
    out = []
    for check in checks:
        row = _row(batch_id, check)
        out.append(row)
        if not check.parsed:
            row.kind, row.errors = RowKind.ERROR, check.errors
            continue
        p = check.parsed
        row.data["_"] = p
        row.key = f"{p['security']}|{p['date']}"
        row.security_id_ref = p["security"]
        price = existing.get((p["security"], p["date"]))
        if price is None:
            row.kind = RowKind.NEW
        elif price.close == Decimal(p["close"]):
            row.kind = RowKind.UNCHANGED
        else:
            row.kind, row.reason = RowKind.CHANGED, Reason.PRICE
            row.ours = {"price": str(price.public_id), "close": str(price.close)}
            row.explanation = f"Our close is {price.close}, the file's {p['close']}."
    return out


SECURITY_FIELDS = ("name", "kind", "asset_class", "tracked_index", "cusip")


def securities_chunk(batch_id: int, rows: list[Row]) -> list[ImportRow]:
    symbols = {r.values.get("symbol", "").strip().upper() for r in rows}
    existing = {s.symbol.upper(): s for s in Security.objects.filter(symbol__in=symbols)}
    out = []
    for row in rows:
        check = Checked(row)
        for column, message in row.problems:
            check.errors.append({"column": column, "message": message})
        if row.problems:
            failed = _row(batch_id, check)
            failed.kind, failed.errors = RowKind.ERROR, check.errors
            out.append(failed)
            continue
        check.encoding()
        symbol = check.text("symbol").upper()
        if not symbol or len(symbol) > 16:
            check.error(
                "symbol",
                "The symbol is missing." if not symbol else "A symbol has at most 16 characters.",
            )
        if not check.text("name"):
            check.error("name", "The name is missing.")
        kind = check.text("kind").lower()
        if kind not in SecurityKind.values:
            check.error("kind", f"{kind!r} is not a kind ({', '.join(SecurityKind.values)}).")
        asset = check.text("asset_class").lower()
        if asset not in AssetClass.values:
            check.error(
                "asset_class", f"{asset!r} is not an asset class ({', '.join(AssetClass.values)})."
            )
        cusip = check.text("cusip").upper()
        if cusip and len(cusip) != 9:
            check.error("cusip", f"A CUSIP has 9 characters ({cusip!r} has {len(cusip)}).")
        row_out = _row(batch_id, check)
        out.append(row_out)
        if check.errors:
            row_out.kind, row_out.errors = RowKind.ERROR, check.errors
            continue
        values = {
            "symbol": symbol,
            "name": check.text("name"),
            "kind": kind,
            "asset_class": asset,
            "tracked_index": check.text("tracked_index"),
            "cusip": cusip,
        }
        row_out.data["_"] = values
        row_out.key = symbol
        current = existing.get(symbol)
        if current is None:
            row_out.kind = RowKind.NEW
            continue
        ours = {f: getattr(current, f) for f in SECURITY_FIELDS}
        row_out.security_id_ref = current.pk
        if all(ours[f] == values[f] for f in SECURITY_FIELDS):
            row_out.kind = RowKind.UNCHANGED
        else:
            row_out.kind, row_out.reason, row_out.ours = RowKind.CHANGED, Reason.DETAILS, ours
            diff = [f for f in SECURITY_FIELDS if ours[f] != values[f]]
            row_out.explanation = "Different " + ", ".join(f.replace("_", " ") for f in diff)
    return out

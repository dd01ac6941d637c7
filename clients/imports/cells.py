"""Turning one row's text into typed values, collecting errors that name the file's column."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from clients.imports.formats.base import Row
from clients.imports.reading import CellError, amount, parse_bool, parse_date

REPLACEMENT_CHAR = "\ufffd"
LABELS = {
    "quantity": "quantity",
    "cost_basis": "cost basis",
    "wash_sale_adjustment": "wash-sale adjustment",
    "price": "price",
    "amount": "amount",
    "fees": "fees",
    "close": "close",
    "ratio": "ratio",
}


def masked(number: str) -> str:
    return f"••••{number[-4:]}" if len(number) > 4 else number


@dataclass(slots=True)
class Checked:
    """A row being checked: its errors ({column, message, fix, fix_url}) and parsed values."""

    row: Row
    errors: list[dict[str, str]] = field(default_factory=list)
    parsed: dict[str, Any] = field(default_factory=dict)

    def column(self, name: str) -> str:
        return self.row.columns.get(name, name)

    def error(self, name: str, message: str, *, fix: str = "", fix_url: str = "") -> None:
        entry = {"column": self.column(name) if name else "", "message": message}
        if fix:
            entry |= {"fix": fix, "fix_url": fix_url}
        self.errors.append(entry)

    def text(self, name: str) -> str:
        return self.row.values.get(name, "").strip()

    def encoding(self) -> None:
        for name, value in self.row.values.items():
            if REPLACEMENT_CHAR in value:
                self.error(
                    name,
                    "Encoding problem: this cell holds bytes that are neither UTF-8 nor "
                    "Windows-1252 text. Save the file as CSV UTF-8 and upload it again.",
                )
                return

    def number(
        self,
        name: str,
        *,
        required: bool = True,
        positive: bool = False,
        negative_ok: bool = False,
        missing_message: str = "",
    ) -> Decimal | None:
        label = LABELS.get(name, name.replace("_", " "))
        raw = self.text(name)
        try:
            value = amount(raw)
        except CellError:
            self.error(name, f"The {label} {raw!r} is not a number.")
            return None
        if value is None:
            if required:
                shown = f" ({raw!r})" if raw else ""
                self.error(name, missing_message or f"The {label} is missing{shown}.")
            return None
        if value.parenthesized and not negative_ok:
            self.error(
                name,
                f"The {label} {raw} is in parentheses, which means a negative amount: a "
                f"{label} cannot be negative here. Check the row (a sale? a correction?).",
            )
            return None
        if positive and value.value <= 0:
            self.error(name, f"The {label} must be greater than zero (found {raw}).")
            return None
        if not negative_ok and value.value < 0:
            self.error(name, f"The {label} cannot be negative (found {raw}).")
            return None
        return value.value

    def day(self, name: str, *, required: bool = True, label: str = "date") -> date | None:
        raw = self.text(name)
        try:
            value = parse_date(raw)
        except CellError:
            self.error(name, f"{raw!r} is not a possible date (use YYYY-MM-DD or MM/DD/YYYY).")
            return None
        if value is None and required:
            self.error(name, f"The {label} is missing.")
        return value

    def flag(self, name: str) -> bool | None:
        raw = self.text(name)
        try:
            return parse_bool(raw)
        except CellError:
            self.error(name, f"{raw!r} is not yes or no.")
            return None

"""Every format the importer reads. Adding a custodian = a module here and its entry below."""

from __future__ import annotations

from clients.imports.formats.base import Column, Format, Row, Source
from clients.imports.formats.fidelity import FIDELITY
from clients.imports.formats.generic import LOTS, PRICES, SECURITIES, TRANSACTIONS
from clients.imports.formats.pershing import PERSHING
from clients.imports.formats.schwab import SCHWAB

# Detection tries these in order: the custodians' own shapes before the generic headers.
REGISTRY: dict[str, Format] = {
    f.name: f for f in (SCHWAB, FIDELITY, PERSHING, TRANSACTIONS, LOTS, PRICES, SECURITIES)
}


def detect(file_name: str, head: str) -> Format | None:
    for fmt in REGISTRY.values():
        if fmt.detect(file_name, head):
            return fmt
    return None


__all__ = ["REGISTRY", "Column", "Format", "Row", "Source", "detect"]

"""The audit trail of the clients app (advisors/audit.py): households, people, accounts, lots,
transactions, tax profiles, replacement lists and the carryforward ledger. Imported by
clients/models.py (the ledger's module, clients/book_models.py, is imported from here)."""

from __future__ import annotations

from advisors.audit import track
from clients.book_models import CarryforwardEntry
from clients.models import Account, Household, Person, Replacement, TaxLot, TaxProfile, Transaction

for _model in (
    Household,
    Person,
    Account,
    TaxLot,
    Transaction,
    TaxProfile,
    Replacement,
    CarryforwardEntry,
):
    track(_model)

"""The audit trail of the clients app (advisors/audit.py): households, people, accounts, lots,
transactions, tax profiles and replacement lists. Imported by clients/models.py."""

from __future__ import annotations

from advisors.audit import track
from clients.models import Account, Household, Person, Replacement, TaxLot, TaxProfile, Transaction

for _model in (Household, Person, Account, TaxLot, Transaction, TaxProfile, Replacement):
    track(_model)

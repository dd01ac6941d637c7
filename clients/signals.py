"""Signals other apps listen to (kept here so that clients imports none of them)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by clients.services.transaction_record inside its transaction, once the trade and its
# lot are written: ``sender=Transaction, transaction=<the new Transaction>``. taxlogic matches
# sales to the plan and watches wash-sale windows with it (taxlogic/watch.py).
transaction_recorded = Signal()

"""What every import did: the batch (who, when, which file, its hash, counts) and its rows
(each parsed row, how it was classified, its errors, what the commit did with it).

Defined here, registered in the clients app (clients/models.py imports this module)."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.base import ModelState


class ImportKind(models.TextChoices):
    LOTS = "lots", "Open lots"
    TRANSACTIONS = "transactions", "Transactions"
    PRICES = "prices", "Prices"
    SECURITIES = "securities", "Securities"


class BatchStatus(models.TextChoices):
    READING = "reading", "Reading the file"
    PREVIEW = "preview", "Ready to review"
    COMMITTING = "committing", "Writing"
    COMMITTED = "committed", "Imported"
    FAILED = "failed", "Failed"


class RowKind(models.TextChoices):
    NEW = "new", "New"
    UNCHANGED = "unchanged", "Unchanged"
    CHANGED = "changed", "Changed"
    ERROR = "error", "Error"
    SKIPPED = "skipped", "Skipped"


class Reason(models.TextChoices):
    """Why a row of the file differs from our book (the likely cause)."""

    RELIEF = "relief", "A different relief method"
    BROKER_WASH = "broker_wash", "The custodian's wash-sale adjustment"
    SPLIT = "split", "A corporate action (split)"
    MISSING_HISTORY = "missing_history", "Missing history"
    BASIS = "basis", "A different basis"
    PRICE = "price", "A different close"
    DETAILS = "details", "Different details"


class Decision(models.TextChoices):
    OURS = "ours", "Keep ours"
    FILE = "file", "Take the file's"


class ImportBatch(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey(
        "advisors.Firm", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # An API client (advisors.ApiClient) or a person: who, as shown.
    created_by_label = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=255)
    file_size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, db_index=True)
    format = models.CharField(max_length=32)
    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    encoding = models.CharField(max_length=16, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    status = models.CharField(max_length=12, choices=BatchStatus.choices)
    # Set when the file could not be read at all (no rows): shown instead of rows.
    error = models.TextField(blank=True)
    # Where the upload waits while a task reads it (large files); removed once read.
    stored_path = models.CharField(max_length=500, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    created_count = models.PositiveIntegerField(default=0)
    changed_count = models.PositiveIntegerField(default=0)
    same_file_as = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    committed = models.DateTimeField(null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        app_label = "clients"
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["firm", "created"], name="importbatch_firm_idx")]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    def count(self, kind: str) -> int:
        return int(self.counts.get(kind, 0))

    @property
    def errors(self) -> int:
        return self.count(RowKind.ERROR)

    @property
    def ordered_counts(self) -> list[tuple[str, int]]:
        order = (RowKind.ERROR, RowKind.CHANGED, RowKind.NEW, RowKind.UNCHANGED, RowKind.SKIPPED)
        return [(kind.value, self.count(kind)) for kind in order]

    @property
    def n_new(self) -> int:
        return self.count(RowKind.NEW)

    @property
    def n_changed(self) -> int:
        return self.count(RowKind.CHANGED)

    @property
    def is_working(self) -> bool:
        return self.status in (BatchStatus.READING, BatchStatus.COMMITTING)


@functools.cache
def _row_defaults() -> dict[str, Any]:
    """attname → default of every ImportRow column (the JSON ones are set apart: their
    defaults are new objects)."""
    return {f.attname: f.get_default() for f in ImportRow._meta.concrete_fields}


class ImportRow(models.Model):
    """One row of the file as read (``data``: canonical column → text as given), its
    classification, its errors ([{column, message, fix, fix_url}]) and, after the commit,
    what was written (``result``)."""

    # The batch's rows are found by the indexes below (batch first): no index of its own, and
    # none for decided_by's rare NULLs, as the commit rewrites every new row (its lot).
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.CASCADE, related_name="rows", db_index=False
    )
    number = models.PositiveIntegerField(help_text="The row's line number in the file.")
    kind = models.CharField(max_length=10, choices=RowKind.choices)
    data = models.JSONField(default=dict)
    errors = models.JSONField(default=list, blank=True)
    # Natural key within the account (lot id, or symbol and date), for duplicates and re-imports.
    key = models.CharField(max_length=200, blank=True)
    account_id_ref = models.BigIntegerField(null=True, blank=True)
    security_id_ref = models.BigIntegerField(null=True, blank=True)
    quantity = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    lot = models.ForeignKey(
        "clients.TaxLot", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=16, choices=Reason.choices, blank=True)
    explanation = models.TextField(blank=True)
    ours = models.JSONField(default=dict, blank=True)
    decision = models.CharField(max_length=6, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        app_label = "clients"
        ordering = ["batch_id", "number"]
        indexes = [
            models.Index(fields=["batch", "kind", "number"], name="importrow_batch_kind_idx"),
            models.Index(fields=["batch", "account_id_ref", "key"], name="importrow_key_idx"),
            models.Index(
                fields=["decided_by"],
                condition=models.Q(decided_by__isnull=False),
                name="importrow_decided_by_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"row {self.number} ({self.kind})"

    @classmethod
    def fresh(cls, **values: Any) -> ImportRow:
        """An unsaved row of the given field values (attnames), the others their defaults: a
        preview makes one per row of the file, and Model.__init__ costs more than its checks."""
        row = cls.__new__(cls)
        # What Model.__init__ sets for a new object (no signal listens to import rows).
        row._state = ModelState()
        row.__dict__.update(_row_defaults())
        row.__dict__.update(data={}, errors=[], ours={}, result={})
        row.__dict__.update(values)
        return row

    def _first(self, *keys: str) -> str:
        return next((str(self.data[k]) for k in keys if self.data.get(k)), "")

    @property
    def shown(self) -> dict[str, str]:
        """The row's cells as the preview shows them (the account number masked)."""
        number = self._first("account_number")
        return {
            "account": f"••••{number[-4:]}" if number else "",
            "symbol": self._first("symbol", "cusip"),
            "quantity": self._first("quantity", "name"),
            "amount": self._first("cost_basis", "amount", "close", "kind"),
            "date": self._first("acquired", "trade_date", "date"),
            "id": self._first("lot_id", "transaction_id"),
            "skip": self._first("skip"),
        }

    @property
    def error_list(self) -> list[dict[str, str]]:
        return [{"column": "", "fix": "", "fix_url": ""} | e for e in self.errors]

    @property
    def ours_text(self) -> str:
        o = self.ours
        if "quantity" in o:
            wash = o.get("wash_sale_adjustment", "0.00")
            extra = f" + ${wash} wash" if wash not in ("0", "0.00") else ""
            return f"{o['quantity'].rstrip('0').rstrip('.')} sh, ${o['cost_basis']}{extra}"
        if "close" in o:
            return f"close {o['close']}"
        return ", ".join(f"{k}: {v}" for k, v in o.items() if v)

    @property
    def result_text(self) -> str:
        if self.result.get("took"):
            return "took the file's"
        if self.result.get("kept"):
            return "kept ours"
        return ""

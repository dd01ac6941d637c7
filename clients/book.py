"""Transactions that move no shares of one lot: a split, a capital-gain distribution, a cash
dividend, and the reversal that corrects any transaction.

Called through ``clients.services.transaction_record`` (one entry point for the pages, the
API and the importers). Nothing here edits a transaction: a correction is a reversal of the
original plus a re-entry, and both stay in the lot's history.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, localcontext

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from advisors.models import Advisor
from clients.models import (
    CLOSING_ACTIONS,
    OPENING_ACTIONS,
    Account,
    Action,
    Security,
    TaxLot,
    Transaction,
)

ZERO = Decimal("0.00")
# A split's ratio: new shares per old share (4 for 4-for-1, 0.1 for 1-for-10).
RATIO_LIMIT = Decimal(1000)


def _scaled(quantity: Decimal, ratio: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        return (quantity * ratio).quantize(Decimal("0.000001"))


@transaction.atomic
def non_share_record(
    *,
    account: Account,
    security: Security,
    action: str,
    trade_date: date,
    amount: Decimal | None,
    ratio: Decimal | None,
    reverses: Transaction | None,
    external_id: str,
    recorded_by: Advisor | None,
) -> Transaction:
    """A split (every open lot of ``security`` in ``account``: quantity × ``ratio``, the same
    basis, IRC §307), a distribution or dividend received in cash (``amount``), or a reversal
    of ``reverses`` (which undoes its effect on the lots). Permission is checked by the caller."""
    errors: dict[str, str] = {}
    if trade_date > timezone.localdate():
        errors["trade_date"] = f"The date {trade_date:%Y-%m-%d} is in the future."
    if action != Action.REVERSAL and reverses is not None:
        errors["reverses"] = "Only a reversal names the transaction it reverses."
    if action != Action.SPLIT and ratio is not None:
        errors["ratio"] = "Only a split has a ratio."
    if (
        external_id
        and Transaction.objects.filter(account=account, external_id=external_id).exists()
    ):
        errors["external_id"] = f"Transaction {external_id} is already recorded in this account."
    if errors:
        raise ValidationError(errors)
    if action == Action.SPLIT:
        return _split(account, security, trade_date, ratio, external_id, recorded_by)
    if action == Action.REVERSAL:
        return _reverse(account, trade_date, reverses, external_id, recorded_by)
    label = "distribution" if action == Action.DISTRIBUTION else "dividend"
    if amount is None or amount <= 0:
        raise ValidationError({"amount": f"Enter the {label} received, greater than zero."})
    return Transaction.objects.create(
        account=account,
        security=security,
        external_id=external_id,
        trade_date=trade_date,
        action=action,
        quantity=ZERO,
        price=ZERO,
        amount=amount,
        recorded_by=recorded_by,
    )


def _split(
    account: Account,
    security: Security,
    trade_date: date,
    ratio: Decimal | None,
    external_id: str,
    recorded_by: Advisor | None,
) -> Transaction:
    if ratio is None or ratio <= 0:
        raise ValidationError({"ratio": "Enter the split's ratio: new shares per old share."})
    if ratio == 1 or ratio >= RATIO_LIMIT or ratio < 1 / RATIO_LIMIT:
        raise ValidationError({"ratio": "A split's ratio is between 1/1000 and 1000, not 1."})
    lots = list(
        TaxLot.objects.select_for_update()
        .filter(account=account, security=security, quantity__gt=0, acquired__lte=trade_date)
        .order_by("acquired", "id")
    )
    if not lots:
        raise ValidationError(
            {"security": f"The account holds no {security} on {trade_date:%Y-%m-%d} to split."}
        )
    _apply_ratio(lots, ratio)
    return Transaction.objects.create(
        account=account,
        security=security,
        external_id=external_id,
        trade_date=trade_date,
        action=Action.SPLIT,
        quantity=ZERO,
        price=ZERO,
        amount=ZERO,
        ratio=ratio,
        recorded_by=recorded_by,
    )


def _apply_ratio(lots: list[TaxLot], ratio: Decimal) -> None:
    for lot in lots:
        lot.quantity = _scaled(lot.quantity, ratio)
        lot.original_quantity = max(_scaled(lot.original_quantity, ratio), lot.quantity)
        lot.save(update_fields=["quantity", "original_quantity", "updated"])


def _reverse(
    account: Account,
    trade_date: date,
    original: Transaction | None,
    external_id: str,
    recorded_by: Advisor | None,
) -> Transaction:
    """Undo ``original``'s effect on the lots and record the reversal beside it."""
    if original is None:
        raise ValidationError({"reverses": "Choose the transaction this reversal corrects."})
    original = Transaction.objects.select_for_update().get(pk=original.pk)
    if original.account_id != account.pk:
        raise ValidationError({"reverses": "That transaction is in another account."})
    if original.action == Action.REVERSAL:
        raise ValidationError(
            {"reverses": "A reversal is not reversed: enter the transaction again instead."}
        )
    if Transaction.objects.filter(reverses=original).exists():
        raise ValidationError({"reverses": "That transaction is already reversed."})
    if trade_date < original.trade_date:
        raise ValidationError(
            {"trade_date": "A reversal cannot be dated before the transaction it reverses."}
        )
    lot = None
    if original.action in OPENING_ACTIONS:
        lot = TaxLot.objects.select_for_update().get(pk=original.lot_id)
        later = Transaction.objects.filter(lot=lot).exclude(pk=original.pk)
        if lot.quantity != lot.original_quantity or later.exists():
            raise ValidationError(
                {
                    "reverses": "Shares of that lot were sold or moved since: reverse those "
                    "transactions first."
                }
            )
        # The lot is closed, never deleted: its history shows the purchase and the reversal.
        lot.quantity = ZERO
        lot.save(update_fields=["quantity", "updated"])
    elif original.action in CLOSING_ACTIONS:
        lot = TaxLot.objects.select_for_update().get(pk=original.lot_id)
        lot.quantity += original.quantity
        lot.cost_basis += original.basis_relieved or ZERO
        lot.save(update_fields=["quantity", "cost_basis", "updated"])
    elif original.action == Action.SPLIT:
        lots = list(
            TaxLot.objects.select_for_update()
            .filter(
                account=account,
                security_id=original.security_id,
                quantity__gt=0,
                acquired__lte=original.trade_date,
            )
            .order_by("acquired", "id")
        )
        with localcontext() as ctx:
            ctx.prec = 60
            _apply_ratio(lots, 1 / original.ratio)
    return Transaction.objects.create(
        account=account,
        security_id=original.security_id,
        lot=lot,
        external_id=external_id,
        trade_date=trade_date,
        action=Action.REVERSAL,
        quantity=original.quantity,
        price=original.price,
        fees=original.fees,
        amount=original.amount,
        ratio=original.ratio,
        reverses=original,
        recorded_by=recorded_by,
    )


@transaction.atomic
def sale_from_lots_record(
    *,
    account: Account,
    action: str,
    trade_date: date,
    lots: list[tuple[TaxLot, Decimal]],
    price: Decimal,
    fees: Decimal = ZERO,
    amount: Decimal | None = None,
    recorded_by: Advisor | None = None,
    actor: object | None = None,
    field_of: dict[int, str] | None = None,
) -> list[Transaction]:
    """A sale (or transfer out) of shares from several chosen lots (specific identification,
    Reg. §1.1012-1(c)): one transaction per lot through ``transaction_record``, the proceeds
    and fees split in proportion to shares, to the cent (the remainder with the last lot).
    All or nothing; an error about one lot names its field (``field_of[lot.pk]``)."""
    from clients import services

    if not lots:
        raise ValidationError({"lot": "Choose the lots the shares come from."})
    symbols = {lot.security_id for lot, _ in lots}
    if len(symbols) > 1:
        raise ValidationError({"lot": "One sale sells one security: choose lots of one only."})
    if any(q is None or q <= 0 for _, q in lots):
        raise ValidationError({"quantity": "Enter a number of shares greater than zero."})
    total = sum((q for _, q in lots), ZERO)
    pieces_fees = _split_cents(fees, [q for _, q in lots], total)
    pieces_amount = (
        _split_cents(amount, [q for _, q in lots], total) if amount is not None else None
    )
    out = []
    for index, (lot, quantity) in enumerate(lots):
        try:
            out.append(
                services.transaction_record(
                    account=account,
                    security=lot.security,
                    action=action,
                    trade_date=trade_date,
                    quantity=quantity,
                    price=price,
                    fees=pieces_fees[index],
                    amount=None if pieces_amount is None else pieces_amount[index],
                    lot=lot,
                    recorded_by=recorded_by,
                    actor=actor,
                )
            )
        except ValidationError as error:
            field = (field_of or {}).get(lot.pk)
            if field is None or not hasattr(error, "error_dict"):
                raise
            moved = {
                (field if name in ("quantity", "lot") else name): messages
                for name, messages in error.message_dict.items()
            }
            raise ValidationError(moved) from None
    return out


def _split_cents(total: Decimal, parts: list[Decimal], whole: Decimal) -> list[Decimal]:
    """``total`` split in proportion to ``parts``, rounded cumulatively so the pieces add up."""
    from taxlogic.rules.lots import to_cents

    pieces, running, done = [], ZERO, ZERO
    with localcontext() as ctx:
        ctx.prec = 60
        for part in parts:
            running += part
            upto = to_cents(total * running / whole)
            pieces.append(upto - done)
            done = upto
    return pieces

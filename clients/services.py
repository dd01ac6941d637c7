"""Writes: keyword-only, typed, atomic; bad input raises ValidationError naming the field and
leaves nothing half-written. The same services back the pages, the admin, the API and tasks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, localcontext

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from advisors import scoping
from advisors.models import Advisor
from clients.models import (
    CLOSING_ACTIONS,
    Account,
    AcquiredHow,
    Action,
    Household,
    Security,
    TaxLot,
    Transaction,
)
from taxlogic.rules.lots import to_cents

ZERO = Decimal("0.00")


def _share(total: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """``total`` × part / whole, to the cent (half up)."""
    with localcontext() as ctx:
        ctx.prec = 60
        return to_cents(total * part / whole)


def _check_writable(user: Advisor | None, household: Household) -> None:
    if user is not None and not scoping.can_write(user, household):
        raise PermissionDenied("You may not change this household.")


@transaction.atomic
def transaction_record(
    *,
    account: Account,
    security: Security,
    action: str,
    trade_date: date,
    quantity: Decimal,
    price: Decimal,
    fees: Decimal = ZERO,
    amount: Decimal | None = None,
    lot: TaxLot | None = None,
    acquired: date | None = None,
    cost_basis: Decimal | None = None,
    external_id: str = "",
    recorded_by: Advisor | None = None,
) -> Transaction:
    """Record a trade and apply it to the lots.

    A buy or dividend reinvestment opens a lot at ``amount`` (default quantity × price + fees).
    A transfer in opens a lot with the ``acquired`` date and ``cost_basis`` it carries over.
    A sale or transfer out relieves ``quantity`` shares of ``lot`` (specific identification,
    Reg. §1.1012-1(c)) and takes a proportional share of its basis and wash-sale adjustment;
    a sale's ``amount`` defaults to quantity × price − fees. The lot is locked while it changes.
    """
    _check_writable(recorded_by, account.household)
    errors: dict[str, str] = {}
    if action not in Action.values:
        errors["action"] = f"Unknown action {action!r}."
    if quantity is None or quantity <= 0:
        errors["quantity"] = "Enter a number of shares greater than zero."
    if price is None or price < 0:
        errors["price"] = "The price cannot be negative."
    if fees is None or fees < 0:
        errors["fees"] = "Fees cannot be negative."
    if amount is not None and amount < 0:
        errors["amount"] = "The amount cannot be negative."
    if trade_date > timezone.localdate():
        errors["trade_date"] = f"The trade date {trade_date:%Y-%m-%d} is in the future."
    if errors:
        raise ValidationError(errors)

    if action in CLOSING_ACTIONS:
        return _relieve(
            account=account,
            security=security,
            action=action,
            trade_date=trade_date,
            quantity=quantity,
            price=price,
            fees=fees,
            amount=amount,
            lot=lot,
            external_id=external_id,
            recorded_by=recorded_by,
        )

    if lot is not None:
        raise ValidationError({"lot": "Only a sale or a transfer out takes shares from a lot."})
    gross = to_cents(quantity * price)
    if action == Action.TRANSFER_IN:
        if acquired is None:
            errors["acquired"] = "A transfer in needs the date the shares were first acquired."
        elif acquired > trade_date:
            errors["acquired"] = "The shares cannot be acquired after the transfer."
        if cost_basis is None:
            errors["cost_basis"] = "A transfer in needs the cost basis it carries over."
        elif cost_basis < 0:
            errors["cost_basis"] = "The cost basis cannot be negative."
        if errors:
            raise ValidationError(errors)
        basis, amount = cost_basis, gross if amount is None else amount
    else:
        if acquired not in (None, trade_date) or cost_basis is not None:
            raise ValidationError(
                {"acquired": "A purchase is acquired on its trade date at the amount paid."}
            )
        amount = gross + fees if amount is None else amount
        basis, acquired = amount, trade_date

    new_lot = TaxLot.objects.create(
        account=account,
        security=security,
        external_id=external_id,
        original_quantity=quantity,
        quantity=quantity,
        cost_basis=basis,
        acquired=acquired,
        how_acquired=AcquiredHow.PURCHASE,
        holding_period_start=acquired,
    )
    return Transaction.objects.create(
        account=account,
        security=security,
        lot=new_lot,
        external_id=external_id,
        trade_date=trade_date,
        action=action,
        quantity=quantity,
        price=price,
        fees=fees,
        amount=amount,
        recorded_by=recorded_by,
    )


def _relieve(
    *,
    account: Account,
    security: Security,
    action: str,
    trade_date: date,
    quantity: Decimal,
    price: Decimal,
    fees: Decimal,
    amount: Decimal | None,
    lot: TaxLot | None,
    external_id: str,
    recorded_by: Advisor | None,
) -> Transaction:
    verb = "sale" if action == Action.SELL else "transfer out"
    if lot is None:
        raise ValidationError({"lot": f"Choose the lot this {verb} takes shares from."})
    # Lock the lot: two sales of the same shares must not both succeed.
    lot = TaxLot.objects.select_for_update().get(pk=lot.pk)
    if lot.account_id != account.pk:
        raise ValidationError({"lot": "That lot is held in another account."})
    if lot.security_id != security.pk:
        raise ValidationError({"lot": f"That lot holds {lot.security}, not {security}."})
    if trade_date < lot.acquired:
        raise ValidationError(
            {"trade_date": f"The lot was acquired on {lot.acquired:%Y-%m-%d}, after this {verb}."}
        )
    if quantity > lot.quantity:
        raise ValidationError(
            {
                "quantity": f"The lot holds {lot.quantity.normalize():f} shares; a {verb} of "
                f"{quantity.normalize():f} shares is more than it holds."
            }
        )
    if amount is None:
        gross = to_cents(quantity * price)
        amount = gross - fees if action == Action.SELL else gross
        if amount < 0:
            raise ValidationError({"fees": "The fees are larger than the sale's proceeds."})

    if quantity == lot.quantity:
        basis_part, adjustment_part = lot.cost_basis, lot.wash_sale_adjustment
    else:
        basis_part = _share(lot.cost_basis, quantity, lot.quantity)
        adjustment_part = _share(lot.wash_sale_adjustment, quantity, lot.quantity)
    lot.quantity -= quantity
    lot.cost_basis -= basis_part
    lot.wash_sale_adjustment -= adjustment_part
    lot.save(update_fields=["quantity", "cost_basis", "wash_sale_adjustment"])
    return Transaction.objects.create(
        account=account,
        security=security,
        lot=lot,
        external_id=external_id,
        trade_date=trade_date,
        action=action,
        quantity=quantity,
        price=price,
        fees=fees,
        amount=amount,
        basis_relieved=basis_part + adjustment_part,
        recorded_by=recorded_by,
    )


@transaction.atomic
def household_update(
    *, household: Household, name: str, external_crm_id: str, updated_by: Advisor | None = None
) -> Household:
    _check_writable(updated_by, household)
    name, external_crm_id = name.strip(), external_crm_id.strip()
    if not name:
        raise ValidationError({"name": "Enter the household's name."})
    if (
        external_crm_id
        and Household.objects.filter(firm_id=household.firm_id, external_crm_id=external_crm_id)
        .exclude(pk=household.pk)
        .exists()
    ):
        raise ValidationError(
            {"external_crm_id": f"Another household of the firm has CRM id {external_crm_id}."}
        )
    household.name, household.external_crm_id = name, external_crm_id
    household.save(update_fields=["name", "external_crm_id", "updated"])
    return household


@transaction.atomic
def household_scope_sync(*, household: Household) -> int:
    """Copy the household's firm and team onto its lots and transactions (the denormalized
    scope columns) after it moved; returns how many rows changed."""
    scope = {"firm_id": household.firm_id, "team_id": household.team_id}
    changed = 0
    for model in (TaxLot, Transaction):
        stale = model.objects.filter(account__household=household).exclude(**scope)
        changed += stale.update(**scope)
    return changed

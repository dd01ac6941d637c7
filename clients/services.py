"""Writes: keyword-only, typed, atomic; bad input raises ValidationError naming the field and
leaves nothing half-written. The same services back the pages, the admin, the API and tasks."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from advisors import scoping
from advisors.models import Advisor, ApiClient, Firm, Team
from clients import bounds, page_cache
from clients.book_rules import PROFILE_AMOUNTS, derive_totals, masked_from_number, profile_checks
from clients.models import (
    CLOSING_ACTIONS,
    NON_SHARE_ACTIONS,
    SYSTEM_RE,
    Account,
    AcquiredHow,
    Action,
    ExternalRef,
    Household,
    Person,
    PersonRole,
    Price,
    RefKind,
    ReliefMethod,
    Security,
    TaxLot,
    TaxProfile,
    Transaction,
)
from clients.signals import transaction_recorded
from taxlogic import bulk
from taxlogic.rules.accounts import AccountType, treatment_of
from taxlogic.rules.lots import to_cents

# Who changes data: an advisor (the pages, the browsable API) or a firm's API client.
Actor = Advisor | ApiClient
T = TypeVar("T", Household, Person, Account)

ZERO = Decimal("0.00")
# Money columns hold 18 digits, 2 after the point.
MONEY_LIMIT = bounds.MONEY_LIMIT  # quantity × price must stay a recordable amount


def _share(total: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """``total`` × part / whole, to the cent (half up)."""
    with localcontext() as ctx:
        ctx.prec = 60
        return to_cents(total * part / whole)


def _check_writable(user: Actor | None, household: Household) -> None:
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
    actor: Actor | None = None,
    how_acquired: str = AcquiredHow.PURCHASE,
    gift_date: date | None = None,
    gift_value: Decimal | None = None,
    ratio: Decimal | None = None,
    reverses: Transaction | None = None,
) -> Transaction:
    """Record a trade and apply it to the lots.

    A buy or dividend reinvestment opens a lot at ``amount`` (default quantity × price + fees).
    A transfer in opens a lot with the ``acquired`` date and ``cost_basis`` it carries over.
    A sale or transfer out relieves ``quantity`` shares of ``lot`` (specific identification,
    Reg. §1.1012-1(c)) and takes a proportional share of its basis and wash-sale adjustment;
    a sale's ``amount`` defaults to quantity × price − fees. The lot is locked while it changes.
    ``actor`` (default ``recorded_by``) must be allowed to change the household.
    A transfer in may be a gift (``how_acquired``, ``gift_date``, ``gift_value``: the donor's
    basis and date, §1015) or an inheritance (the date-of-death value and date, §1014). A split,
    a capital-gain distribution, a cash dividend and a reversal: see clients/book.py.
    """
    _check_writable(actor if actor is not None else recorded_by, account.household)
    if action in NON_SHARE_ACTIONS:
        from clients import book

        return book.non_share_record(
            account=account,
            security=security,
            action=action,
            trade_date=trade_date,
            amount=amount,
            ratio=ratio,
            reverses=reverses,
            external_id=external_id,
            recorded_by=recorded_by,
        )
    errors: dict[str, str] = {}
    if action not in Action.values:
        errors["action"] = f"Unknown action {action!r}."
    if ratio is not None:
        errors["ratio"] = "Only a split has a ratio."
    if reverses is not None:
        errors["reverses"] = "Only a reversal names the transaction it reverses."
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
    bounds.merge(
        errors,
        bounds.errors(
            trade_date=("date", trade_date),
            acquired=("date", acquired),
            quantity=("quantity", quantity),
            price=("price", price),
            fees=("money", fees),
            amount=("money", amount),
            cost_basis=("money", cost_basis),
        ),
    )
    if quantity is not None and price is not None and quantity * price >= MONEY_LIMIT:
        errors["quantity"] = "Quantity × price is larger than any amount we can record."
    if (
        external_id
        and Transaction.objects.filter(account=account, external_id=external_id).exists()
    ):
        errors["external_id"] = f"Transaction {external_id} is already recorded in this account."
    elif (
        external_id
        and action not in CLOSING_ACTIONS
        and TaxLot.objects.filter(account=account, external_id=external_id).exists()
    ):
        errors["external_id"] = f"Lot {external_id} is already in this account."
    if errors:
        raise ValidationError(errors)

    if action in CLOSING_ACTIONS:
        recorded = _relieve(
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
        transaction_recorded.send(sender=Transaction, transaction=recorded)
        return recorded

    if lot is not None:
        raise ValidationError({"lot": "Only a sale or a transfer out takes shares from a lot."})
    gross = to_cents(quantity * price)
    if how_acquired not in AcquiredHow.values:
        raise ValidationError({"how_acquired": f"Unknown way of acquiring {how_acquired!r}."})
    if how_acquired != AcquiredHow.PURCHASE and action != Action.TRANSFER_IN:
        raise ValidationError({"how_acquired": "A gift or inheritance arrives as a transfer in."})
    if how_acquired == AcquiredHow.GIFT:
        if gift_date is None:
            errors["gift_date"] = "A gift needs the date it was given."
        elif acquired is not None and gift_date < acquired:
            errors["gift_date"] = "The gift cannot be given before the donor acquired the shares."
        elif gift_date > trade_date:
            errors["gift_date"] = "The gift cannot be given after it arrived in the account."
        if gift_value is None:
            errors["gift_value"] = "A gift needs its market value on the day it was given."
        elif gift_value < 0:
            errors["gift_value"] = "The gift's value cannot be negative."
    elif gift_date is not None or gift_value is not None:
        errors["how_acquired"] = "Only a gift has a gift date and value."
    if action == Action.TRANSFER_IN:
        if acquired is None:
            errors["acquired"] = "A transfer in needs the date the shares were first acquired."
        elif acquired > trade_date:
            errors["acquired"] = "The shares cannot be acquired after the transfer."
        if cost_basis is None:
            errors["cost_basis"] = (
                "An inheritance needs the value on the date of death."
                if how_acquired == AcquiredHow.INHERITED
                else "A transfer in needs the cost basis it carries over."
            )
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
        how_acquired=how_acquired,
        gift_date=gift_date,
        gift_value=gift_value,
        holding_period_start=acquired,
    )
    recorded = Transaction.objects.create(
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
    transaction_recorded.send(sender=Transaction, transaction=recorded)
    return recorded


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
    lot.save(update_fields=["quantity", "cost_basis", "wash_sale_adjustment", "updated"])
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
    for model, extra in ((TaxLot, {"updated": timezone.now()}), (Transaction, {})):
        stale = model.objects.filter(account__household=household).exclude(**scope)
        changed += stale.update(**scope, **extra)
    return changed


# --- External references (CRM ids) ----------------------------------------------------------

_REF_OWNER_FIELD = {
    RefKind.HOUSEHOLD: "household",
    RefKind.PERSON: "person",
    RefKind.ACCOUNT: "account",
}


def _ref_kind(owner: Household | Person | Account) -> RefKind:
    if isinstance(owner, Household):
        return RefKind.HOUSEHOLD
    return RefKind.PERSON if isinstance(owner, Person) else RefKind.ACCOUNT


def _firm_id_of(owner: Household | Person | Account) -> int:
    return owner.firm_id if isinstance(owner, Household) else owner.household.firm_id


def external_refs_set(
    *, owner: Household | Person | Account, refs: Iterable[tuple[str, str]]
) -> None:
    """Make ``refs`` ((system, id) pairs) exactly the external ids of ``owner``.

    An id names one object per firm, kind and system: taking one that another household (or
    person, or account) of the firm holds is refused, never moved silently.
    """
    kind, firm_id = _ref_kind(owner), _firm_id_of(owner)
    owner_field = _REF_OWNER_FIELD[kind]
    wanted = {(system.strip().lower(), external_id.strip()) for system, external_id in refs}
    taken = Q(pk__in=[])
    for system, external_id in wanted:
        taken |= Q(system=system, external_id=external_id)
    clash = (
        ExternalRef.objects.filter(taken, firm_id=firm_id, kind=kind)
        .exclude(**{owner_field: owner})
        .order_by("system", "external_id")
        .first()
    )
    if clash is not None:
        raise ValidationError(
            {
                "external_refs": f"{clash.system} id {clash.external_id} already belongs to "
                f"another {kind.label.lower()} of the firm."
            }
        )
    current = {
        (r.system, r.external_id): r for r in ExternalRef.objects.filter(**{owner_field: owner})
    }
    stale = [r.pk for key, r in current.items() if key not in wanted]
    ExternalRef.objects.filter(pk__in=stale).delete()
    created = [
        ExternalRef(firm_id=firm_id, kind=kind, system=system, external_id=external_id)
        for system, external_id in sorted(wanted - current.keys())
    ]
    for ref in created:
        setattr(ref, owner_field, owner)
        if not re.match(SYSTEM_RE, ref.system) or not 0 < len(ref.external_id) <= 64:
            raise ValidationError(
                {"external_refs": f"{ref.system}:{ref.external_id} is not a valid reference."}
            )
    ExternalRef.objects.bulk_create(created)
    if stale or created:
        type(owner).objects.filter(pk=owner.pk).update(updated=timezone.now())


# --- Households, people, accounts, tax profiles ---------------------------------------------


def _check_changes(changes: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed."))


def _household_checks(household: Household, primary_advisor: Advisor) -> None:
    if not primary_advisor.is_active:
        raise ValidationError({"primary_advisor": "That advisor's account is deactivated."})
    if not household.name.strip():
        raise ValidationError({"name": "Enter the household's name."})


@transaction.atomic
def household_create(
    *,
    actor: Actor,
    name: str,
    primary_advisor: Advisor,
    external_crm_id: str = "",
    external_refs: Iterable[tuple[str, str]] | None = None,
    team: Team | None = None,
    notes: str = "",
) -> Household:
    """A new household of ``primary_advisor``'s firm and team (``team``, when given, instead);
    ``actor`` must be allowed to change it once made (an advisor creates their own, a team lead
    their team's, a firm admin or an API client with the write scope any of the firm's)."""
    household = Household(
        firm_id=primary_advisor.firm_id,
        team_id=team.pk if team is not None else primary_advisor.team_id,
        primary_advisor=primary_advisor,
        name=name.strip(),
        external_crm_id=external_crm_id.strip(),
        notes=notes.strip(),
    )
    _household_checks(household, primary_advisor)
    household.full_clean()
    household.save()
    if not scoping.can_write(actor, household):
        raise PermissionDenied("You may not create a household for that advisor.")
    if external_refs:
        external_refs_set(owner=household, refs=external_refs)
    return household


@transaction.atomic
def household_change(
    *,
    actor: Actor,
    household: Household,
    changes: Mapping[str, Any],
    external_refs: Iterable[tuple[str, str]] | None = None,
) -> Household:
    """Change ``name``, ``external_crm_id``, ``notes``, ``primary_advisor`` (which moves the
    household to that advisor's team, lots and transactions too) or ``team`` (given after the
    advisor, it wins); ``external_refs`` replaces the ids."""
    _check_changes(
        changes, frozenset({"name", "external_crm_id", "primary_advisor", "team", "notes"})
    )
    _check_writable(actor, household)
    household = Household.objects.select_for_update().get(pk=household.pk)
    team_before = household.team_id
    for field, value in sorted(changes.items(), key=lambda item: item[0] == "team"):
        if field == "primary_advisor":
            if value.firm_id != household.firm_id:
                raise ValidationError({"primary_advisor": "That advisor works at another firm."})
            household.primary_advisor, household.team_id = value, value.team_id
        elif field == "team":
            if value is not None and value.firm_id != household.firm_id:
                raise ValidationError({"team": "That team belongs to another firm."})
            household.team_id = value.pk if value is not None else None
        else:
            setattr(household, field, value.strip())
    moved = household.team_id != team_before
    _household_checks(household, household.primary_advisor)
    household.full_clean()
    household.save()
    if moved:
        household_scope_sync(household=household)
    if not scoping.can_write(actor, household):
        raise PermissionDenied("You would no longer be allowed to change this household.")
    if external_refs is not None:
        external_refs_set(owner=household, refs=external_refs)
    return household


_REF_MODELS: dict[str, type[Household] | type[Person] | type[Account]] = {
    RefKind.HOUSEHOLD: Household,
    RefKind.PERSON: Person,
    RefKind.ACCOUNT: Account,
}


def by_ref_find(
    *, actor: Actor, kind: str, system: str, external_id: str
) -> Household | Person | Account | None:
    """The household, person or account ``actor`` may see that ``system`` calls
    ``external_id`` (refs are unique per firm, and the scope is one firm)."""
    model = _REF_MODELS[kind]
    return (
        scoping.visible(actor, model)
        .filter(external_refs__system=system.lower(), external_refs__external_id=external_id)
        .first()
    )


@transaction.atomic
def by_ref_upsert(
    *,
    actor: Actor,
    firm: Firm,
    kind: str,
    system: str,
    external_id: str,
    create: Callable[[], T],
    change: Callable[[T], T],
) -> tuple[T, bool]:
    """Upsert by another system's id: ``change`` the object ``system`` calls ``external_id``,
    or ``create`` it when there is none. Returns the object and whether it was created.

    The callables call the kind's own create and change services (which check permissions and
    set the refs); upserts of one firm run one at a time, so that two requests for the same new
    id cannot both create it.
    """
    Firm.objects.select_for_update().get(pk=firm.pk)
    found = by_ref_find(actor=actor, kind=kind, system=system, external_id=external_id)
    if found is None:
        return create(), True
    return change(found), False


def _person_checks(person: Person) -> None:
    if not person.name:
        raise ValidationError({"name": "Enter the person's name."})
    today = timezone.localdate()
    born, died = person.date_of_birth, person.date_of_death
    if born is not None and born > today:
        raise ValidationError({"date_of_birth": "The date of birth is in the future."})
    if died is not None and died > today:
        raise ValidationError({"date_of_death": "The date of death is in the future."})
    if born is not None and died is not None and died < born:
        raise ValidationError({"date_of_death": "The date of death is before the date of birth."})
    if person.role in (PersonRole.TAXPAYER, PersonRole.SPOUSE):
        others = Person.objects.filter(household_id=person.household_id, role=person.role)
        if others.exclude(pk=person.pk).exists():
            label = PersonRole(person.role).label.lower()
            raise ValidationError({"role": f"The household already has a {label}."})
    person.full_clean()


@transaction.atomic
def person_create(
    *,
    actor: Actor,
    household: Household,
    role: str,
    name: str,
    date_of_birth: date | None = None,
    blind: bool = False,
    date_of_death: date | None = None,
    external_refs: Iterable[tuple[str, str]] | None = None,
) -> Person:
    _check_writable(actor, household)
    person = Person(
        household=household,
        role=role,
        name=name.strip(),
        date_of_birth=date_of_birth,
        blind=blind,
        date_of_death=date_of_death,
    )
    _person_checks(person)
    person.save()
    if external_refs:
        external_refs_set(owner=person, refs=external_refs)
    return person


@transaction.atomic
def person_change(
    *,
    actor: Actor,
    person: Person,
    changes: Mapping[str, Any],
    external_refs: Iterable[tuple[str, str]] | None = None,
) -> Person:
    _check_changes(changes, frozenset({"role", "name", "date_of_birth", "blind", "date_of_death"}))
    _check_writable(actor, person.household)
    for field, value in changes.items():
        setattr(person, field, value.strip() if isinstance(value, str) else value)
    _person_checks(person)
    person.save()
    if external_refs is not None:
        external_refs_set(owner=person, refs=external_refs)
    return person


_ACCOUNT_NUMBER_RE = r"^[A-Za-z0-9]{1,34}$"


def _account_checks(account: Account) -> None:
    if account.owner.household_id != account.household_id:
        raise ValidationError({"owner": "The owner must be a person of this household."})
    number = "".join(account.account_number.split()).replace("-", "")
    if number:
        if not re.match(_ACCOUNT_NUMBER_RE, number):
            raise ValidationError(
                {"account_number": "Use letters and digits only (up to 34), as on the statement."}
            )
        account.account_number = number
        account.masked_number = masked_from_number(number)
    elif not account.masked_number:
        raise ValidationError(
            {"account_number": "Enter the account number (or at least its last four digits)."}
        )
    if account.relief_method not in ReliefMethod.values:
        raise ValidationError(
            {"relief_method": f"Unknown relief method {account.relief_method!r}."}
        )
    if account.average_basis and account.relief_method != ReliefMethod.AVERAGE:
        raise ValidationError(
            {"average_basis": "Average basis needs the average-cost relief method (funds only)."}
        )
    today = timezone.localdate()
    if account.opened is not None and account.opened > today:
        raise ValidationError({"opened": "The opening date is in the future."})
    if account.closed is not None:
        if account.closed > today:
            raise ValidationError({"closed": "The closing date is in the future."})
        if account.opened is not None and account.closed < account.opened:
            raise ValidationError({"closed": "The account cannot close before it opened."})
    clash = Account.objects.filter(
        household_id=account.household_id,
        custodian=account.custodian,
        masked_number=account.masked_number,
    ).exclude(pk=account.pk)
    if clash.exists():
        raise ValidationError(
            {
                "account_number": f"The household already has a {account.custodian} account "
                f"ending {account.masked_number[-4:]}."
            }
        )
    account.treatment = treatment_of(AccountType(account.type)).value
    account.full_clean()


_ACCOUNT_FIELDS = frozenset(
    {
        "owner",
        "custodian",
        "masked_number",
        "type",
        "account_number",
        "opened",
        "closed",
        "relief_method",
        "average_basis",
        "held_away",
    }
)


@transaction.atomic
def account_create(
    *,
    actor: Actor,
    household: Household,
    owner: Person,
    custodian: str,
    type: str,
    masked_number: str = "",
    account_number: str = "",
    opened: date | None = None,
    closed: date | None = None,
    relief_method: str = ReliefMethod.FIFO,
    average_basis: bool = False,
    held_away: bool = False,
    external_refs: Iterable[tuple[str, str]] | None = None,
) -> Account:
    """A new account; given the full ``account_number``, ``masked_number`` is derived from it
    (its last four digits), and the full number is shown nowhere but the custodian's files."""
    _check_writable(actor, household)
    if type not in AccountType._value2member_map_:
        raise ValidationError({"type": f"Unknown account type {type!r}."})
    account = Account(
        household=household,
        owner=owner,
        custodian=custodian.strip(),
        masked_number=masked_number.strip(),
        account_number=account_number.strip(),
        type=type,
        opened=opened,
        closed=closed,
        relief_method=relief_method,
        average_basis=average_basis,
        held_away=held_away,
    )
    _account_checks(account)
    account.save()
    if external_refs:
        external_refs_set(owner=account, refs=external_refs)
    return account


@transaction.atomic
def account_change(
    *,
    actor: Actor,
    account: Account,
    changes: Mapping[str, Any],
    external_refs: Iterable[tuple[str, str]] | None = None,
) -> Account:
    """Correct an account's owner, custodian, number, type, dates, relief method, average
    basis or held-away flag (lots stay where they are)."""
    _check_changes(changes, _ACCOUNT_FIELDS)
    _check_writable(actor, account.household)
    if "type" in changes and changes["type"] not in AccountType._value2member_map_:
        raise ValidationError({"type": f"Unknown account type {changes['type']!r}."})
    for field, value in changes.items():
        setattr(account, field, value.strip() if isinstance(value, str) else value)
    _account_checks(account)
    account.save()
    if external_refs is not None:
        external_refs_set(owner=account, refs=external_refs)
    return account


_PROFILE_FIELDS = frozenset(
    {
        "filing_status",
        *PROFILE_AMOUNTS,
        "other_short_term_gains",
        "other_long_term_gains",
        "state_marginal_rate",
        "joint_taxpayer_share",
        "notes",
    }
)


@transaction.atomic
def tax_profile_create(
    *, actor: Actor, household: Household, tax_year: int, fields: Mapping[str, Any]
) -> TaxProfile:
    _check_changes(fields, _PROFILE_FIELDS)
    _check_writable(actor, household)
    if not 2000 <= tax_year <= 2100:
        raise ValidationError({"tax_year": "Enter a tax year between 2000 and 2100."})
    profile = TaxProfile(household=household, tax_year=tax_year, **fields)
    profile_checks(profile)
    derive_totals(profile)
    profile.full_clean()
    profile.save()
    return profile


@transaction.atomic
def tax_profile_change(
    *, actor: Actor, profile: TaxProfile, changes: Mapping[str, Any]
) -> TaxProfile:
    _check_changes(changes, _PROFILE_FIELDS)
    _check_writable(actor, profile.household)
    for field, value in changes.items():
        setattr(profile, field, value)
    profile_checks(profile)
    derive_totals(profile)
    profile.full_clean()
    profile.save()
    return profile


# --- Prices (reference data: the platform's operators only) ---------------------------------


def _check_reference_writer(actor: Actor) -> None:
    if not scoping.may_change_reference_data(actor):
        raise PermissionDenied(
            "Prices are shared by every firm; only the platform's operators change them."
        )


@transaction.atomic
def price_create(*, actor: Actor, security: Security, date: date, close: Decimal) -> Price:
    _check_reference_writer(actor)
    price = Price(security=security, date=date, close=close)
    if close <= 0:
        raise ValidationError({"close": "A closing price must be greater than zero."})
    price.full_clean()
    price.save()
    return price


@transaction.atomic
def price_change(*, actor: Actor, price: Price, close: Decimal) -> Price:
    _check_reference_writer(actor)
    if close <= 0:
        raise ValidationError({"close": "A closing price must be greater than zero."})
    price.close = close
    price.save(update_fields=["close", "updated"])
    return price


# --- Lots: open lots as the custodian reports them, one or many at once ---------------------


@dataclass(frozen=True, slots=True)
class LotInput:
    account: Account
    security: Security
    quantity: Decimal
    cost_basis: Decimal
    acquired: date
    original_quantity: Decimal | None = None
    external_id: str = ""
    how_acquired: str = AcquiredHow.PURCHASE
    gift_date: date | None = None
    gift_value: Decimal | None = None
    holding_period_start: date | None = None
    wash_sale_adjustment: Decimal = ZERO
    # From custodian files (clients/imports): 1099-B covered, and whether the custodian already
    # applied ``wash_sale_adjustment`` (the engine must not apply it again).
    covered: bool | None = None
    broker_wash_applied: bool = False


class LotImportError(Exception):
    """Rows that failed, by their index in the request: ``{row: {field: [message]}}``."""

    def __init__(self, rows: dict[int, dict[str, list[str]]]) -> None:
        super().__init__(f"{len(rows)} rows failed")
        self.rows = rows


def _lot_errors(row: LotInput, *, today: date | None = None) -> dict[str, list[str]]:
    """What is wrong with one row, by field (the model's constraints, in people's words).
    ``today``: the local date, when the caller checks many rows."""
    errors: dict[str, str] = {}
    original = row.original_quantity if row.original_quantity is not None else row.quantity
    today = today or timezone.localdate()
    if row.quantity < 0:
        errors["quantity"] = "The open quantity cannot be negative."
    if original <= 0:
        errors["original_quantity"] = "The lot must have held some shares."
    elif row.quantity > original:
        errors["quantity"] = "The open quantity cannot exceed the original quantity."
    if row.cost_basis < 0:
        errors["cost_basis"] = "The cost basis cannot be negative."
    if row.wash_sale_adjustment < 0:
        errors["wash_sale_adjustment"] = "The wash-sale adjustment cannot be negative."
    if row.acquired > today:
        errors["acquired"] = f"The acquisition date {row.acquired:%Y-%m-%d} is in the future."
    start = row.holding_period_start
    if start is not None and start > row.acquired:
        errors["holding_period_start"] = "The holding period cannot start after the acquisition."
    if row.how_acquired == AcquiredHow.GIFT:
        if row.gift_date is None:
            errors["gift_date"] = "A gift needs the date it was given."
        if row.gift_value is None:
            errors["gift_value"] = "A gift needs its market value on that date."
        elif row.gift_value < 0:
            errors["gift_value"] = "The gift's value cannot be negative."
    elif row.gift_date is not None or row.gift_value is not None:
        errors["how_acquired"] = "Only a gift has a gift date and value."
    bounds.merge(
        errors,
        bounds.errors(
            quantity=("quantity", row.quantity),
            original_quantity=("quantity", row.original_quantity),
            cost_basis=("money", row.cost_basis),
            wash_sale_adjustment=("money", row.wash_sale_adjustment),
            gift_value=("money", row.gift_value),
            acquired=("date", row.acquired),
            gift_date=("date", row.gift_date),
            holding_period_start=("date", row.holding_period_start),
        ),
    )
    if row.gift_date is not None and row.gift_date < row.acquired and "gift_date" not in errors:
        errors["gift_date"] = "A gift cannot be given before the donor acquired the shares."
    return {field: [message] for field, message in errors.items()}


@transaction.atomic
def lots_import(*, actor: Actor, rows: list[LotInput]) -> list[TaxLot]:
    """Open the lots of ``rows`` (a custodian's open-lot report) all together or not at all.

    Every row is checked before anything is written; LotImportError names each failing row
    and field. A lot's ``external_id`` (the custodian's lot id) is unique in its account.
    """
    errors: dict[int, dict[str, list[str]]] = {}
    writable = set(
        scoping.writable(actor, Account)
        .filter(pk__in={row.account.pk for row in rows})
        .values_list("pk", flat=True)
    )
    wanted_ids = {(row.account.pk, row.external_id) for row in rows if row.external_id}
    taken_ids: set[tuple[int, str]] = set()
    if wanted_ids:
        # Two IN lists, the pairs picked in Python: an OR of thousands of pairs costs more to
        # build than to run (custodian imports send 2,000 lots at a time).
        candidates = TaxLot.objects.filter(
            account_id__in={a for a, _ in wanted_ids},
            external_id__in={e for _, e in wanted_ids},
        ).values_list("account_id", "external_id")
        taken_ids = set(candidates) & wanted_ids
    seen: dict[tuple[int, str], int] = {}
    for index, row in enumerate(rows):
        row_errors = _lot_errors(row)
        if row.account.pk not in writable:
            row_errors["account"] = ["You may not change this account's household."]
        key = (row.account.pk, row.external_id)
        if row.external_id and key in taken_ids:
            row_errors["external_id"] = [f"Lot {row.external_id} is already in this account."]
        elif row.external_id and key in seen:
            row_errors["external_id"] = [f"Lot {row.external_id} is also in row {seen[key]}."]
        if row.external_id:
            seen.setdefault(key, index)
        if row_errors:
            errors[index] = row_errors
    if errors:
        raise LotImportError(errors)
    lots = []
    for row in rows:
        household = row.account.household
        lots.append(
            TaxLot(
                firm_id=household.firm_id,
                team_id=household.team_id,
                account=row.account,
                security=row.security,
                external_id=row.external_id,
                original_quantity=(
                    row.original_quantity if row.original_quantity is not None else row.quantity
                ),
                quantity=row.quantity,
                cost_basis=row.cost_basis,
                acquired=row.acquired,
                how_acquired=row.how_acquired,
                gift_date=row.gift_date,
                gift_value=row.gift_value,
                holding_period_start=row.holding_period_start or row.acquired,
                wash_sale_adjustment=row.wash_sale_adjustment,
                covered=row.covered,
                broker_wash_applied=row.broker_wash_applied,
            )
        )
    # COPY on PostgreSQL (bulk_create elsewhere): a custodian file sends thousands at once.
    bulk.insert(TaxLot, lots)
    page_cache.bump(*{lot.firm_id for lot in lots})  # COPY sends no post_save
    return lots


def lot_open(*, actor: Actor, row: LotInput) -> TaxLot:
    """One open lot (``lots_import`` of one row); errors name the fields directly."""
    try:
        return lots_import(actor=actor, rows=[row])[0]
    except LotImportError as exc:
        raise ValidationError(exc.rows[0]) from None

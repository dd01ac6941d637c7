"""The carryforward ledger: each person's capital loss carryforward, per character and year,
with where it came from (tax-rules.md §4.4).

- ``carryforward_roll`` rolls a household's carryforward *in* to a tax year from the prior
  year's carryforward *out*: the prior year's current plan, the engine's carryover worksheet on
  that plan's inputs (``summary.carryforward_out``, by person when the engine gives it).
- A death ends the decedent's share after the final return (the year of death).
- Going from a joint return to separate ones, each spouse keeps only the losses of the property
  they owned: the by-person figures as they are, or, when the engine gave none, a split of each
  character by owner of the loss property (joint accounts by the profile's joint share).
- ``carryforward_enter`` records an advisor's amount (a confirmation or a correction) with a
  reason. Nothing is ever edited: the newest entry for a person, year and character is in force.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from advisors import scoping
from clients.models import (
    CENT,
    CarryforwardEntry,
    CarryforwardSource,
    Character,
    FilingStatus,
    Household,
    Person,
    PersonRole,
    TaxProfile,
)
from taxlogic.rules.accounts import AccountType

ZERO = Decimal("0.00")
RULE = "IRC §1212(b); Treas. Reg. §1.1212-1(c); Pub 559; tax-rules.md §4.4"
RETURN_ROLES = (PersonRole.TAXPAYER, PersonRole.SPOUSE)
CHARACTERS = (Character.SHORT_TERM, Character.LONG_TERM)

Key = tuple[int, int, str]  # tax year, person pk, character


# --- reads ------------------------------------------------------------------------------------


def ledger_current(entries: Iterable[CarryforwardEntry]) -> dict[Key, CarryforwardEntry]:
    """The entry in force for each (year, person, character): the newest one."""
    out: dict[Key, CarryforwardEntry] = {}
    for entry in sorted(entries, key=lambda e: (e.created, e.pk)):
        out[(entry.tax_year, entry.person_id, entry.character)] = entry
    return out


def ledger_in(household_ids: Sequence[int], *, tax_year: int) -> dict[int, dict[int, Any]]:
    """For each household with a ledger for ``tax_year``: person pk → {character: amount} of
    the entries in force (one query for the whole batch)."""
    entries = CarryforwardEntry.objects.filter(household_id__in=household_ids, tax_year=tax_year)
    out: dict[int, dict[int, Any]] = {}
    for entry in ledger_current(entries).values():
        person = out.setdefault(entry.household_id, {}).setdefault(entry.person_id, {})
        person[entry.character] = entry.amount
    return out


def carryforward_snapshot(
    people: Sequence[Person], ledger: dict[int, Any] | None
) -> dict[str, Any] | None:
    """The case's ``carryforward_in`` from a household's ledger for the year: totals and
    ``by_person`` (taxpayer and spouse: a trust or a minor files its own return), or None when
    the household has no ledger for the year (the tax profile's two totals are used then)."""
    if not ledger:
        return None
    by_person: dict[str, dict[str, str]] = {}
    totals = dict.fromkeys(CHARACTERS, ZERO)
    for person in people:
        if person.role not in RETURN_ROLES:
            continue
        amounts = ledger.get(person.pk, {})
        row = {c.value: amounts.get(c, ZERO) for c in CHARACTERS}
        for c in CHARACTERS:
            totals[c] += row[c.value]
        by_person[str(person.public_id)] = {k: f"{v:.2f}" for k, v in row.items()}
    return {
        "short_term": f"{totals[Character.SHORT_TERM]:.2f}",
        "long_term": f"{totals[Character.LONG_TERM]:.2f}",
        "by_person": by_person,
    }


def ledger_table(household: Household) -> list[dict[str, Any]]:
    """The household page's ledger: one row per year and person, newest year first, with the
    entry in force for each character and how many entries came before it."""
    entries = list(
        CarryforwardEntry.objects.filter(household=household).select_related("person", "entered_by")
    )
    current = ledger_current(entries)
    history: dict[Key, int] = {}
    for e in entries:
        key = (e.tax_year, e.person_id, e.character)
        history[key] = history.get(key, 0) + 1
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    for (year, person_id, character), entry in current.items():
        row = rows.setdefault(
            (year, person_id), {"year": year, "person": entry.person, "entries": {}}
        )
        earlier = history[(year, person_id, character)] - 1
        row["entries"][character] = {"entry": entry, "earlier": earlier}
    ordered = sorted(
        rows.values(),
        key=lambda r: (-r["year"], r["person"].role != PersonRole.TAXPAYER, r["person"].name),
    )
    for row in ordered:
        row["short"] = row["entries"].get(Character.SHORT_TERM)
        row["long"] = row["entries"].get(Character.LONG_TERM)
    return ordered


def _current(household: Household, tax_year: int) -> dict[Key, CarryforwardEntry]:
    return ledger_current(CarryforwardEntry.objects.filter(household=household, tax_year=tax_year))


# --- entering ---------------------------------------------------------------------------------


def _amount(value: object) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", "").replace("$", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"amount": "Enter the loss carried forward, e.g. 3000.00."}) from None
    if not amount.is_finite():
        raise ValidationError({"amount": "Enter the loss carried forward, e.g. 3000.00."})
    if amount < 0:
        raise ValidationError({"amount": "Enter the loss as a positive amount (0 for none)."})
    if amount >= Decimal("1e16"):
        raise ValidationError({"amount": "That amount is too large."})
    return amount.quantize(CENT)


@transaction.atomic
def carryforward_enter(
    *,
    user: Any,
    household: Household,
    person: Person,
    tax_year: int,
    character: str,
    amount: object,
    reason: str,
) -> CarryforwardEntry:
    """Record an advisor's carryforward into ``tax_year`` for ``person`` (a confirmation of the
    rolled figure or a correction), with the reason. Whoever may change the household may."""
    if not scoping.can_write(user, household):
        raise PermissionDenied("You may not change this household's carryforward.")
    errors: dict[str, str] = {}
    if person.household_id != household.pk or person.role not in RETURN_ROLES:
        errors["person"] = "Choose the taxpayer or the spouse of this household."
    if not isinstance(tax_year, int) or not 2000 <= tax_year <= 2100:
        errors["tax_year"] = "Choose a tax year between 2000 and 2100."
    if character not in Character.values:
        errors["character"] = "Choose short-term or long-term."
    if not (reason or "").strip():
        errors["reason"] = "Say why (e.g. 'as on the 2025 return, Schedule D line 6')."
    try:
        value = _amount(amount)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return CarryforwardEntry.objects.create(
        household=household,
        person=person,
        tax_year=tax_year,
        character=character,
        amount=value,
        source=CarryforwardSource.ENTERED,
        reason=reason.strip(),
        entered_by=user if getattr(user, "pk", None) and hasattr(user, "role") else None,
    )


@transaction.atomic
def carryforward_confirm(*, user: Any, household: Household, tax_year: int) -> int:
    """Confirm every rolled figure in force for ``tax_year`` as it stands (an entered copy with
    the reason "confirmed"); returns how many were confirmed."""
    if not scoping.can_write(user, household):
        raise PermissionDenied("You may not change this household's carryforward.")
    current = _current(household, tax_year)
    confirmed = 0
    for entry in current.values():
        if entry.source == CarryforwardSource.ENTERED:
            continue
        CarryforwardEntry.objects.create(
            household=household,
            person_id=entry.person_id,
            tax_year=tax_year,
            character=entry.character,
            amount=entry.amount,
            source=CarryforwardSource.ENTERED,
            reason=f"Confirmed the figure rolled from {entry.rolled_from_year or 'the engine'}.",
            entered_by=user if hasattr(user, "role") else None,
        )
        confirmed += 1
    return confirmed


# --- rolling ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CarryOut:
    """A year's carryforward out, as the engine computed it, and where it came from."""

    tax_year: int
    plan: Any  # taxlogic.models.ActionPlan
    as_of: date
    short: Decimal
    long: Decimal
    by_person: dict[str, dict[str, Decimal]] | None
    case: dict[str, Any] | None
    result: dict[str, Any] | None


def _money(value: object) -> Decimal:
    return Decimal(str(value or "0")).quantize(CENT)


def _split(raw: dict[str, Any]) -> tuple[Decimal, Decimal, dict[str, dict[str, Decimal]] | None]:
    by_person = None
    if isinstance(raw.get("by_person"), dict):
        by_person = {
            pid: {c.value: _money(v.get(c.value)) for c in CHARACTERS}
            for pid, v in raw["by_person"].items()
        }
    return _money(raw.get("short_term")), _money(raw.get("long_term")), by_person


def prior_carryforward_out(household: Household, *, tax_year: int) -> CarryOut | None:
    """The carryforward out of ``tax_year``: from its current plan (the engine's worksheet
    result stored with it, else the engine run again on the review's inputs), or None."""
    from taxlogic.models import ActionPlan, Review
    from taxlogic.rules.cases import evaluate, parse_case

    plan = (
        ActionPlan.objects.filter(household=household, tax_year=tax_year, is_current=True)
        .order_by("-created")
        .first()
    )
    if plan is None:
        return None
    review = (
        Review.objects.filter(plan=plan, inputs__isnull=False)
        .order_by("reused", "-created")
        .first()
    )
    case = review.inputs.get("case") if review is not None and review.inputs else None
    stored = (plan.result or {}).get("summary", {}).get("carryforward_out")
    result = None
    if case is not None and (not isinstance(stored, dict) or "by_person" not in stored):
        result = evaluate(parse_case(case))
        stored = result["summary"]["carryforward_out"]
    if not isinstance(stored, dict):
        return None
    short, long, by_person = _split(stored)
    return CarryOut(tax_year, plan, plan.as_of, short, long, by_person, case, result)


def _owner_shares(out: CarryOut, people: Sequence[Person], joint_share: Decimal) -> dict:
    """Each return person's weight in each character: the carryforward they brought in plus the
    losses realized on property they owned (a joint account's by the joint share)."""
    ids = {str(p.public_id): p.pk for p in people}
    taxpayer = next(p for p in people if p.role == PersonRole.TAXPAYER)
    weights = {p.pk: dict.fromkeys(CHARACTERS, ZERO) for p in people}
    case = out.case or {}
    for pid, amounts in ((case.get("carryforward_in") or {}).get("by_person") or {}).items():
        if pid in ids:
            for c in CHARACTERS:
                weights[ids[pid]][c] += _money(amounts.get(c.value))
    accounts = {a["id"]: a for a in case.get("accounts", [])}
    for row in (out.result or {}).get("realized", []):
        gain = _money(row.get("allowed", row.get("gain")))
        account = accounts.get(row.get("account"))
        if gain >= 0 or account is None or row.get("return") not in (None, "household"):
            continue
        c = Character.SHORT_TERM if row.get("term") == "short" else Character.LONG_TERM
        owner = ids.get(account.get("owner"), taxpayer.pk)
        if account.get("type") == AccountType.TAXABLE_JOINT and len(people) > 1:
            spouse = next(p.pk for p in people if p.pk != taxpayer.pk)
            weights[taxpayer.pk][c] += -gain * joint_share
            weights[spouse][c] += -gain * (1 - joint_share)
        else:
            weights.setdefault(owner, dict.fromkeys(CHARACTERS, ZERO))[c] += -gain
    return weights


def _allocate(total: Decimal, weights: dict[int, Decimal], first: int) -> dict[int, Decimal]:
    """``total`` in proportion to ``weights`` (all to ``first`` when none), to the cent, the
    rounding left with ``first``."""
    whole = sum(weights.values(), ZERO)
    if whole <= 0:
        return {pk: (total if pk == first else ZERO) for pk in weights}
    out = {pk: (total * w / whole).quantize(CENT) for pk, w in weights.items()}
    out[first] += total - sum(out.values(), ZERO)
    return out


@transaction.atomic
def carryforward_roll(*, household: Household, tax_year: int) -> list[CarryforwardEntry]:
    """Roll ``household``'s carryforward into ``tax_year`` from the prior year's carryforward
    out. Idempotent: a figure already rolled from the same plan, or entered by an advisor, is
    left as it is; a changed prior plan gives a new rolled entry. Returns the new entries."""
    prior = tax_year - 1
    out = prior_carryforward_out(household, tax_year=prior)
    if out is None:
        return []
    people = list(
        Person.objects.filter(household=household, role__in=RETURN_ROLES).order_by("role", "pk")
    )
    taxpayer = next((p for p in people if p.role == PersonRole.TAXPAYER), None)
    if taxpayer is None:
        return []
    profiles = dict(
        TaxProfile.objects.filter(household=household, tax_year__in=(prior, tax_year)).values_list(
            "tax_year", "filing_status"
        )
    )
    joint_share = (
        TaxProfile.objects.filter(household=household, tax_year=prior)
        .values_list("joint_taxpayer_share", flat=True)
        .first()
    )
    separate = (
        profiles.get(prior) == FilingStatus.MARRIED_JOINT
        and profiles.get(tax_year) == FilingStatus.MARRIED_SEPARATE
    )
    plan_label = f"the {prior} plan of {out.as_of:%Y-%m-%d} ({str(out.plan.public_id)[:8]})"

    amounts: dict[int, dict[str, Decimal]] = {}
    if out.by_person is not None:
        how = "the engine's carryover worksheet, by person"
        ids = {str(p.public_id): p.pk for p in people}
        amounts = {p.pk: dict.fromkeys(CHARACTERS, ZERO) for p in people}
        for pid, row in out.by_person.items():
            if pid in ids:
                for c in CHARACTERS:
                    amounts[ids[pid]][c] = row[c.value]
    elif len(people) == 1:
        how = "the engine's carryover worksheet"
        amounts = {taxpayer.pk: {Character.SHORT_TERM: out.short, Character.LONG_TERM: out.long}}
    else:
        how = "the engine's carryover worksheet, split by owner of the loss property"
        weights = _owner_shares(out, people, joint_share or Decimal("0.5"))
        amounts = {p.pk: {} for p in people}
        for c, total in ((Character.SHORT_TERM, out.short), (Character.LONG_TERM, out.long)):
            for pk, value in _allocate(
                total, {pk: w[c] for pk, w in weights.items() if pk in amounts}, taxpayer.pk
            ).items():
                amounts[pk][c] = value

    # "rolled": the plan's own stored worksheet result; "engine": the engine run again on the
    # inputs that plan was computed from (plans stored before the result carried it).
    source = CarryforwardSource.ENGINE if out.result is not None else CarryforwardSource.ROLLED
    current = _current(household, tax_year)
    created = []
    for person in people:
        ended = person.date_of_death is not None and person.date_of_death.year < tax_year
        for c in CHARACTERS:
            amount = ZERO if ended else amounts.get(person.pk, {}).get(c, ZERO)
            if ended:
                reason = (
                    f"{person.name} died on {person.date_of_death:%Y-%m-%d}: their carryforward "
                    f"ended with the final return ({person.date_of_death.year}) ({RULE})."
                )
            else:
                reason = f"Carryforward out of {prior}, from {how}: {plan_label} ({RULE})."
                if separate:
                    reason += (
                        f" Joint in {prior}, separate in {tax_year}: each spouse keeps only the "
                        "losses of the property they owned."
                    )
            found = current.get((tax_year, person.pk, c))
            if found is not None and (
                found.source == CarryforwardSource.ENTERED
                or (found.rolled_from_plan == out.plan.public_id and found.amount == amount)
            ):
                continue
            created.append(
                CarryforwardEntry.objects.create(
                    household=household,
                    person=person,
                    tax_year=tax_year,
                    character=c,
                    amount=amount,
                    source=source,
                    reason=reason,
                    rolled_from_year=prior,
                    rolled_from_plan=out.plan.public_id,
                )
            )
    return created


def carryforwards_roll_all(*, tax_year: int) -> int:
    """Roll every household that has a plan for the prior year (the new year's task); returns
    how many entries were written."""
    from taxlogic.models import ActionPlan

    ids = (
        ActionPlan.objects.filter(tax_year=tax_year - 1, is_current=True)
        .values_list("household_id", flat=True)
        .distinct()
    )
    written = 0
    for household in Household.objects.filter(pk__in=list(ids)).order_by("pk"):
        written += len(carryforward_roll(household=household, tax_year=tax_year))
    return written

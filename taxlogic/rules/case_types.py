"""The case format's values: a checked ``Case`` and its parts, the error that names a field
(``CaseError``), the known fields of each object and the readers of single values (dates within
1900-2200, decimals, money, quantities). See cases.py for the parser.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .deductions import ReturnFacts
from .lots import (
    ZERO,
    Action,
    Lot,
    Trade,
    to_cents,
)
from .wash_household import HOUSEHOLD, HouseholdAccount, Identity, Policy, Role, Security

# Bounds that keep every amount well inside Decimal's 28 significant digits.
MAX_MONEY = Decimal("1e15")
# Dates anywhere in a case, like ``tax_year`` (shared/cases/README.md, version 2).
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2200, 12, 31)

# The keys each object of the case format may hold (README "Input" and "Additions for the whole
# return"); any other key is an error naming it, so a misspelt field never silently changes a
# result. Keys starting with "_" are comments.
_KEYS: dict[str, frozenset[str]] = {
    "case": frozenset(
        {
            "tax_year",
            "filing_status",
            "as_of",
            "people",
            "accounts",
            "securities",
            "lots",
            "transactions",
            "prices",
            "income",
            "deductions",
            "carryforward_in",
            "policy",
        }
    ),
    "people": frozenset({"id", "role", "born", "blind"}),
    "accounts": frozenset({"id", "type", "owner", "average_basis", "taxpayer_share"}),
    "securities": frozenset({"symbol", "kind", "tracks", "same_as", "underlying"}),
    "lots": frozenset(
        {
            "id",
            "account",
            "symbol",
            "quantity",
            "basis",
            "acquired",
            "how",
            "gift_date",
            "value_at_gift",
            # The part of ``basis`` the custodian's wash-sale adjustment (broker_wash.py).
            "broker_wash_adjustment",
        }
    ),
    "transactions": frozenset(
        {"id", "account", "date", "action", "symbol", "quantity", "amount", "lots", "ratio"}
    ),
    "request": frozenset({"lot", "quantity"}),
    # income.other_short_term_gains / other_long_term_gains (extensions of this project, for
    # the planner): gains or losses expected outside the case's accounts this year, Schedule D
    # lines 5 and 12 (signed).
    "income": frozenset(
        {
            "ordinary",
            "investment",
            "wages",
            "other_ordinary",
            "interest",
            "ordinary_dividends",
            "qualified_dividends",
            "capital_gain_distributions",
            "other_short_term_gains",
            "other_long_term_gains",
        }
    ),
    "deductions": frozenset({"state_local_taxes", "other_itemized"}),
    "carryforward_in": frozenset({"short_term", "long_term", "by_person"}),
    "carryforward": frozenset({"short_term", "long_term"}),
}


def _check_keys(obj: Mapping[str, Any], kind: str, path: str) -> None:
    known = _KEYS[kind]
    for key in obj:
        if key not in known and not (isinstance(key, str) and key.startswith("_")):
            where = f"{path}.{key}" if path else str(key)
            raise CaseError(where, f"unknown field (known: {', '.join(sorted(known))})")


MAX_QUANTITY = Decimal("1e12")
MAX_PLACES = 12


class CaseError(ValueError):
    """A case that cannot be accepted; ``path`` names the field (``lots[0].acquired``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    role: str
    born: date | None = None
    blind: bool = False

    def is_65(self, tax_year: int) -> bool:
        """65 or older by December 31 of ``tax_year``: one is 65 on the day before the 65th
        birthday, so a person born on January 1 counts the year before (Pub 501)."""
        return self.born is not None and self.born <= date(tax_year - 64, 1, 1)


@dataclass(frozen=True, slots=True)
class Income:
    """Income other than the case's own sales: ordinary (wages, pensions, other ordinary
    income) and investment (interest and ordinary dividends: ordinary income, and net
    investment income for §1411); ``qualified_dividends`` are part of the investment income
    but taxed at 0/15/20% (§1(h)(11)); capital-gain distributions (Schedule D line 13) and gains
    expected outside the accounts (lines 5, 12) reach Schedule D."""

    ordinary: Decimal
    investment: Decimal
    qualified_dividends: Decimal = ZERO
    capital_gain_distributions: Decimal = ZERO
    other_short_term_gains: Decimal = ZERO
    other_long_term_gains: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Itemized:
    """Itemized deductions given (Schedule A): state and local taxes before the cap, others."""

    state_local_taxes: Decimal
    other_itemized: Decimal


@dataclass(frozen=True, slots=True)
class Case:
    """One household's tax year, checked."""

    tax_year: int
    filing_status: str
    as_of: date
    people: tuple[Person, ...]
    accounts: tuple[HouseholdAccount, ...]
    securities: tuple[Security, ...]
    lots: tuple[Lot, ...]
    trades: tuple[Trade, ...]
    prices: Mapping[str, Decimal] | None
    income: Income | None
    carryforward_short: Decimal
    carryforward_long: Decimal
    policy: Policy
    identity: Identity = field(compare=False)
    deductions: Itemized | None = None
    carryforward_by_person: Mapping[str, tuple[Decimal, Decimal]] | None = None
    average_basis: frozenset[tuple[str, str]] = frozenset()
    # A joint account's share of the taxpayer in its gains and losses, where it is not half
    # (the household's profile says so): (account id, share), the spouse has the rest.
    joint_shares: tuple[tuple[str, Decimal], ...] = ()

    def facts(self) -> ReturnFacts:
        """What the whole return needs besides income (tax-rules.md §7)."""
        year = self.tax_year
        joint = self.filing_status == "married_joint"
        boxes = seniors = 0
        for person in self.people:
            if person.role == Role.TAXPAYER.value or (joint and person.role == Role.SPOUSE.value):
                old = person.is_65(year)
                boxes += int(old) + int(person.blind)
                seniors += int(old)
        income = self.income
        itemized = self.deductions
        return ReturnFacts(
            qualified_dividends=income.qualified_dividends if income is not None else ZERO,
            boxes=boxes,
            seniors=seniors,
            state_local_taxes=itemized.state_local_taxes if itemized is not None else None,
            other_itemized=itemized.other_itemized if itemized is not None else ZERO,
        )

    def schedule_extras(self, reported_on: str) -> tuple[Decimal, Decimal]:
        """Schedule D amounts from outside the sales: for the household, the income's gains
        outside the accounts (lines 5, 12) and capital-gain distributions (line 13, §852(b)(3));
        for any return, the distributions its accounts received in the tax year."""
        short = long = ZERO
        if reported_on == HOUSEHOLD and self.income is not None:
            short += self.income.other_short_term_gains
            long += self.income.other_long_term_gains + self.income.capital_gain_distributions
        accounts = self.accounts_by_id
        for trade in self.trades:
            if (
                trade.action is Action.DISTRIBUTION
                and trade.date.year == self.tax_year
                and accounts[trade.account].reported_on == reported_on
            ):
                long += trade.amount
        return short, long

    @property
    def accounts_by_id(self) -> dict[str, HouseholdAccount]:
        return {a.id: a for a in self.accounts}


# --- reading values -------------------------------------------------------------------------


def _show(value: object) -> str:
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _object(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CaseError(path, f"must be an object, got {_show(value)}")
    return value


def _list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise CaseError(path, f"must be a list, got {_show(value)}")
    return value


def _required(obj: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in obj or obj[key] is None:
        raise CaseError(f"{path}.{key}" if path else key, "is required")
    return obj[key]


def _text(value: object, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CaseError(path, f"must be a non-empty string, got {_show(value)}")
    return value


def _decimal(value: object, path: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise CaseError(path, f"must be a decimal string, got {_show(value)}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise CaseError(path, f"must be a decimal number, got {_show(value)}") from None
    if not number.is_finite():
        raise CaseError(path, f"must be a finite decimal number, got {_show(value)}")
    return number


def _money(value: object, path: str) -> Decimal:
    amount = _decimal(value, path)
    if amount < 0:
        raise CaseError(path, f"must not be negative, got {_show(value)}")
    if amount >= MAX_MONEY:
        raise CaseError(path, f"is too large, got {_show(value)}")
    return to_cents(amount)


def _quantity(value: object, path: str) -> Decimal:
    quantity = _decimal(value, path)
    if quantity <= 0:
        raise CaseError(path, f"must be positive, got {_show(value)}")
    if quantity >= MAX_QUANTITY:
        raise CaseError(path, f"is too large, got {_show(value)}")
    exponent = quantity.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_PLACES:
        raise CaseError(path, f"has more than {MAX_PLACES} decimal places, got {_show(value)}")
    return quantity


def _date(value: object, path: str) -> date:
    if not isinstance(value, str) or len(value) != 10 or value[4] != "-" or value[7] != "-":
        raise CaseError(path, f"must be a date YYYY-MM-DD, got {_show(value)}")
    try:
        when = date.fromisoformat(value)
    except ValueError:
        raise CaseError(path, f"is not a real date, got {_show(value)}") from None
    if not FIRST_DATE <= when <= LAST_DATE:
        raise CaseError(path, f"is out of range (1900-01-01 to 2200-12-31), got {_show(value)}")
    return when


def _bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise CaseError(path, f"must be true or false, got {_show(value)}")
    return value


def _unique(value: str, seen: dict[str, str], path: str, what: str) -> None:
    if value in seen:
        raise CaseError(path, f"duplicate {what} {_show(value)} (first at {seen[value]})")
    seen[value] = path

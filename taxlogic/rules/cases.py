"""The JSON case format (shared/cases/README.md): parse and check a case, run it, shape the result.

Every problem with a case is a ``CaseError`` naming the field it is about, as a path like
``transactions[2].quantity``; a case that parses is a frozen ``Case`` whose evaluation never
fails for a reason the case could have caused.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .accounts import AccountType, parse_account_type
from .carryforward import ScheduleD, schedule_d
from .deductions import ReturnFacts
from .harvest import opportunities
from .lots import (
    ZERO,
    Action,
    Gift,
    How,
    Lot,
    LotRequest,
    OpenLot,
    Trade,
    quantity_text,
    split_cumulative,
    to_cents,
)
from .tax import federal_tax, taxable_before_capital
from .tax_tables import UnknownTaxYear, capital_loss_limit, parse_filing_status, tax_year_table
from .wash_sales import (
    HOUSEHOLD,
    EngineError,
    History,
    HouseholdAccount,
    Identity,
    Kind,
    Policy,
    Realized,
    Role,
    Security,
    WashSale,
    simulate,
    substantially_identical_groups,
)

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
    "accounts": frozenset({"id", "type", "owner", "average_basis"}),
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


# --- parsing --------------------------------------------------------------------------------


def load_case(text: str) -> Case:
    """Parse and check a case from its JSON text (shared/cases/README.md, "Input")."""
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise CaseError(
            "case", f"malformed JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except ValueError as error:
        raise CaseError("case", f"malformed JSON: {error}") from None
    return parse_case(data)


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number")


def parse_case(data: object) -> Case:
    """Check a decoded case and build a ``Case``; raises ``CaseError`` naming the field."""
    root = _object(data, "case")
    _check_keys(root, "case", "")

    year_value = _required(root, "tax_year", "")
    if isinstance(year_value, bool) or not isinstance(year_value, int):
        raise CaseError("tax_year", f"must be a whole year, got {_show(year_value)}")
    if not 1900 <= year_value <= 2200:
        raise CaseError("tax_year", f"is out of range, got {_show(year_value)}")
    tax_year = year_value

    status_value = _required(root, "filing_status", "")
    try:
        filing_status = parse_filing_status(status_value)
    except ValueError as error:
        raise CaseError("filing_status", str(error)) from None

    as_of = (
        _date(root["as_of"], "as_of") if root.get("as_of") is not None else date(tax_year, 12, 31)
    )

    policy = _parse_policy(root.get("policy"))
    people = _parse_people(root.get("people"))
    accounts = _parse_accounts(root.get("accounts"), people, filing_status)
    account_ids = {a.id for a in accounts}

    ids: dict[str, str] = {}
    lots = _parse_lots(root.get("lots"), account_ids, ids)
    trades = _parse_trades(root.get("transactions"), account_ids, ids)
    _check_lot_references(trades, lots)

    symbols = {lot.symbol for lot in lots} | {t.symbol for t in trades}
    securities = _parse_securities(root.get("securities"), symbols)
    known = symbols | {s.symbol for s in securities}
    prices = _parse_prices(root.get("prices"), known)

    income = _parse_income(root.get("income"), tax_year)
    deductions = _parse_deductions(root.get("deductions"), tax_year)
    carry_short, carry_long, by_person = _parse_carryforward(root.get("carryforward_in"), people)
    average = _parse_average_basis(root.get("accounts"))

    identity = substantially_identical_groups(securities, policy=policy, symbols=sorted(symbols))
    return Case(
        tax_year=tax_year,
        filing_status=filing_status,
        as_of=as_of,
        people=people,
        accounts=accounts,
        securities=securities,
        lots=lots,
        trades=trades,
        prices=prices,
        income=income,
        carryforward_short=carry_short,
        carryforward_long=carry_long,
        policy=policy,
        identity=identity,
        deductions=deductions,
        carryforward_by_person=by_person,
        average_basis=average,
    )


def _parse_policy(value: object) -> Policy:
    if value is None:
        return Policy()
    obj = _object(value, "policy")
    names = Policy.flag_names()
    flags: dict[str, bool] = {}
    for key, flag in obj.items():
        if key not in names:
            raise CaseError(f"policy.{key}", f"unknown policy flag (known: {', '.join(names)})")
        flags[key] = _bool(flag, f"policy.{key}")
    return Policy(**flags)


def _parse_people(value: object) -> tuple[Person, ...]:
    if value is None:
        return (Person("P1", Role.TAXPAYER.value),)
    items = _list(value, "people")
    seen: dict[str, str] = {}
    people: list[Person] = []
    for index, item in enumerate(items):
        path = f"people[{index}]"
        obj = _object(item, path)
        _check_keys(obj, "people", path)
        person_id = _text(_required(obj, "id", path), f"{path}.id")
        _unique(person_id, seen, f"{path}.id", "person id")
        role = _text(_required(obj, "role", path), f"{path}.role").strip().lower()
        born = _date(obj["born"], f"{path}.born") if obj.get("born") is not None else None
        blind = _bool(obj["blind"], f"{path}.blind") if obj.get("blind") is not None else False
        people.append(Person(person_id, role, born, blind))
    taxpayers = [p for p in people if p.role == Role.TAXPAYER.value]
    if len(taxpayers) != 1:
        raise CaseError("people", f"must name exactly one taxpayer, got {len(taxpayers)}")
    spouses = [i for i, p in enumerate(people) if p.role == Role.SPOUSE.value]
    if len(spouses) > 1:
        raise CaseError(f"people[{spouses[1]}].role", "a return has at most one spouse")
    return tuple(people)


def _parse_accounts(
    value: object, people: tuple[Person, ...], filing_status: str
) -> tuple[HouseholdAccount, ...]:
    if value is None:
        return ()
    roles = {p.id: p.role for p in people}
    taxpayer = next(p.id for p in people if p.role == Role.TAXPAYER.value)
    joint_return = filing_status == "married_joint"
    seen: dict[str, str] = {}
    accounts: list[HouseholdAccount] = []
    for index, item in enumerate(_list(value, "accounts")):
        path = f"accounts[{index}]"
        obj = _object(item, path)
        _check_keys(obj, "accounts", path)
        account_id = _text(_required(obj, "id", path), f"{path}.id")
        _unique(account_id, seen, f"{path}.id", "account id")
        type_value = _required(obj, "type", path)
        try:
            account_type = parse_account_type(_text(type_value, f"{path}.type"))
        except ValueError as error:
            raise CaseError(f"{path}.type", str(error)) from None
        owner = _text(obj["owner"], f"{path}.owner") if obj.get("owner") is not None else taxpayer
        if owner not in roles:
            raise CaseError(f"{path}.owner", f"unknown person {_show(owner)}")
        role = {"taxpayer": Role.TAXPAYER, "spouse": Role.SPOUSE}.get(roles[owner], Role.OTHER)
        account = HouseholdAccount(account_id, account_type, owner, role, joint_return)
        if account_type is AccountType.TAXABLE_JOINT and filing_status == "married_separate":
            raise CaseError(
                f"{path}.type",
                "a joint account cannot be on a married-filing-separately return "
                "(each spouse reports only the property they own)",
            )
        if role is Role.OTHER and not account.separate_taxpayer:
            raise CaseError(
                f"{path}.owner",
                f"{_show(owner)} is neither the taxpayer nor the spouse; only an irrevocable "
                "trust or custodial account can belong to someone else",
            )
        accounts.append(account)
    return tuple(accounts)


# --- the common case at speed --------------------------------------------------------------
# A year-end review parses a few hundred lots per household. ``_quick_lot`` and ``_quick_trade``
# take the common, well-formed entry (every field a string of the expected shape) without
# building a path for each field; anything else, or anything they are unsure of, returns None
# and goes the careful way, which accepts the same entries and names what is wrong with the
# rest. A test holds both ways to the same result.

_HOW_OF = {h.value: h for h in How}
_ACTION_OF = {a.value: a for a in Action}
_SHARE_ACTIONS = frozenset({Action.BUY, Action.REINVEST, Action.SELL})
_LOT_KEYS = _KEYS["lots"] - {"gift_date", "value_at_gift"}
_TRADE_KEYS = _KEYS["transactions"] - {"ratio"}
_REQUEST_KEYS = _KEYS["request"]


def _quick_number(text: object) -> Decimal | None:
    if type(text) is not str:
        return None
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _quick_quantity(text: object) -> Decimal | None:
    quantity = _quick_number(text)
    if quantity is None or not ZERO < quantity < MAX_QUANTITY:
        return None
    exponent = quantity.as_tuple().exponent
    return quantity if isinstance(exponent, int) and -exponent <= MAX_PLACES else None


def _quick_money(text: object) -> Decimal | None:
    amount = _quick_number(text)
    if amount is None or not ZERO <= amount < MAX_MONEY:
        return None
    return to_cents(amount)


def _quick_date(text: object) -> date | None:
    if type(text) is not str or len(text) != 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        when = date.fromisoformat(text)
    except ValueError:
        return None
    return when if FIRST_DATE <= when <= LAST_DATE else None


def _quick_text(value: object) -> str | None:
    return value if type(value) is str and value.strip() else None


def _quick_lot(item: object, index: int, accounts: set[str], ids: dict[str, str]) -> Lot | None:
    if type(item) is not dict or not item.keys() <= _LOT_KEYS:
        return None
    lot_id = _quick_text(item.get("id"))
    account = _quick_text(item.get("account"))
    symbol = _quick_text(item.get("symbol"))
    how_value = item.get("how", "purchase")
    how = _HOW_OF.get(how_value) if type(how_value) is str else None
    if lot_id is None or lot_id in ids or account not in accounts or symbol is None:
        return None
    if how is None or how is How.GIFT:
        return None
    quantity = _quick_quantity(item.get("quantity"))
    basis = _quick_money(item.get("basis"))
    acquired = _quick_date(item.get("acquired"))
    if quantity is None or basis is None or acquired is None:
        return None
    ids[lot_id] = f"lots[{index}].id"
    return Lot(lot_id, account, symbol, quantity, basis, acquired, how, None, index)


def _quick_trade(item: object, index: int, accounts: set[str], ids: dict[str, str]) -> Trade | None:
    if type(item) is not dict or not item.keys() <= _TRADE_KEYS:
        return None
    trade_id = _quick_text(item.get("id"))
    account = _quick_text(item.get("account"))
    symbol = _quick_text(item.get("symbol"))
    action_value = item.get("action")
    action = _ACTION_OF.get(action_value) if type(action_value) is str else None
    if trade_id is None or trade_id in ids or account not in accounts or symbol is None:
        return None
    if action is None or action not in _SHARE_ACTIONS:
        return None
    when = _quick_date(item.get("date"))
    quantity = _quick_quantity(item.get("quantity"))
    amount = _quick_money(item.get("amount"))
    if when is None or quantity is None or amount is None:
        return None
    requests: tuple[LotRequest, ...] = ()
    named = item.get("lots")
    if named is not None:
        if action is not Action.SELL or type(named) is not list or len(named) != 1:
            return None
        request = named[0]
        if type(request) is not dict or not request.keys() <= _REQUEST_KEYS:
            return None
        lot = _quick_text(request.get("lot"))
        take = _quick_quantity(request.get("quantity"))
        if lot is None or take is None or take != quantity:
            return None
        requests = (LotRequest(lot, take),)
    ids[trade_id] = f"transactions[{index}].id"
    return Trade(trade_id, account, when, action, symbol, quantity, amount, requests, index)


def _parse_lots(value: object, accounts: set[str], ids: dict[str, str]) -> tuple[Lot, ...]:
    if value is None:
        return ()
    return tuple(
        _quick_lot(item, index, accounts, ids) or _careful_lot(item, index, accounts, ids)
        for index, item in enumerate(_list(value, "lots"))
    )


def _careful_lot(item: object, index: int, accounts: set[str], ids: dict[str, str]) -> Lot:
    path = f"lots[{index}]"
    obj = _object(item, path)
    _check_keys(obj, "lots", path)
    lot_id = _text(_required(obj, "id", path), f"{path}.id")
    _unique(lot_id, ids, f"{path}.id", "lot or transaction id")
    account = _text(_required(obj, "account", path), f"{path}.account")
    if account not in accounts:
        raise CaseError(f"{path}.account", f"unknown account {_show(account)}")
    symbol = _text(_required(obj, "symbol", path), f"{path}.symbol")
    quantity = _quantity(_required(obj, "quantity", path), f"{path}.quantity")
    basis = _money(_required(obj, "basis", path), f"{path}.basis")
    acquired = _date(_required(obj, "acquired", path), f"{path}.acquired")
    how_value = obj.get("how", How.PURCHASE.value)
    try:
        how = How(how_value)
    except ValueError:
        raise CaseError(
            f"{path}.how",
            f"must be one of {', '.join(h.value for h in How)}, got {_show(how_value)}",
        ) from None
    gift = None
    if how is How.GIFT:
        gift_date = _date(_required(obj, "gift_date", path), f"{path}.gift_date")
        if gift_date < acquired:
            raise CaseError(
                f"{path}.gift_date",
                f"is before the donor acquired the shares ({acquired.isoformat()})",
            )
        value_at_gift = _money(_required(obj, "value_at_gift", path), f"{path}.value_at_gift")
        gift = Gift(gift_date, value_at_gift)
    return Lot(
        id=lot_id,
        account=account,
        symbol=symbol,
        quantity=quantity,
        basis=basis,
        acquired=acquired,
        how=how,
        gift=gift,
        seq=index,
    )


def _parse_trades(value: object, accounts: set[str], ids: dict[str, str]) -> tuple[Trade, ...]:
    if value is None:
        return ()
    return tuple(
        _quick_trade(item, index, accounts, ids) or _careful_trade(item, index, accounts, ids)
        for index, item in enumerate(_list(value, "transactions"))
    )


def _careful_trade(item: object, index: int, accounts: set[str], ids: dict[str, str]) -> Trade:
    path = f"transactions[{index}]"
    obj = _object(item, path)
    _check_keys(obj, "transactions", path)
    trade_id = _text(_required(obj, "id", path), f"{path}.id")
    _unique(trade_id, ids, f"{path}.id", "lot or transaction id")
    account = _text(_required(obj, "account", path), f"{path}.account")
    if account not in accounts:
        raise CaseError(f"{path}.account", f"unknown account {_show(account)}")
    when = _date(_required(obj, "date", path), f"{path}.date")
    action_value = _required(obj, "action", path)
    try:
        action = Action(action_value)
    except ValueError:
        raise CaseError(
            f"{path}.action",
            f"must be one of {', '.join(a.value for a in Action)}, got {_show(action_value)}",
        ) from None
    symbol = _text(_required(obj, "symbol", path), f"{path}.symbol")
    if action is Action.SPLIT or action is Action.DISTRIBUTION:
        for key in ("lots",):
            if obj.get(key) is not None:
                raise CaseError(f"{path}.{key}", f"a {action.value} names no lots")
        ratio: Decimal | None = None
        amount = ZERO
        if action is Action.SPLIT:
            ratio = _decimal(_required(obj, "ratio", path), f"{path}.ratio")
            if ratio <= 0 or ratio >= MAX_QUANTITY:
                raise CaseError(f"{path}.ratio", f"must be a positive number, got {obj['ratio']!r}")
            if obj.get("amount") is not None:
                raise CaseError(f"{path}.amount", "a split has no amount (cash in lieu is a sale)")
        else:
            amount = _money(_required(obj, "amount", path), f"{path}.amount")
            if obj.get("ratio") is not None:
                raise CaseError(f"{path}.ratio", "only a split has a ratio")
        quantity = ZERO
        if obj.get("quantity") is not None:
            quantity = _decimal(obj["quantity"], f"{path}.quantity")
            if quantity < 0 or quantity >= MAX_QUANTITY:
                raise CaseError(f"{path}.quantity", f"is out of range, got {obj['quantity']!r}")
        return Trade(
            id=trade_id,
            account=account,
            date=when,
            action=action,
            symbol=symbol,
            quantity=quantity,
            amount=amount,
            lots=(),
            seq=index,
            ratio=ratio,
        )
    if obj.get("ratio") is not None:
        raise CaseError(f"{path}.ratio", "only a split has a ratio")
    quantity = _quantity(_required(obj, "quantity", path), f"{path}.quantity")
    amount = _money(_required(obj, "amount", path), f"{path}.amount")
    requests: list[LotRequest] = []
    if obj.get("lots") is not None:
        if action is not Action.SELL:
            raise CaseError(f"{path}.lots", "only a sale can name the lots it takes")
        for j, request in enumerate(_list(obj["lots"], f"{path}.lots")):
            rpath = f"{path}.lots[{j}]"
            robj = _object(request, rpath)
            _check_keys(robj, "request", rpath)
            lot = _text(_required(robj, "lot", rpath), f"{rpath}.lot")
            take = _quantity(_required(robj, "quantity", rpath), f"{rpath}.quantity")
            requests.append(LotRequest(lot, take))
        if requests:
            named = sum((r.quantity for r in requests), ZERO)
            if named != quantity:
                raise CaseError(
                    f"{path}.lots",
                    f"the lots named add up to {quantity_text(named)} shares, "
                    f"but the sale is of {quantity_text(quantity)}",
                )
    return Trade(
        id=trade_id,
        account=account,
        date=when,
        action=action,
        symbol=symbol,
        quantity=quantity,
        amount=amount,
        lots=tuple(requests),
        seq=index,
    )


def _check_lot_references(trades: tuple[Trade, ...], lots: tuple[Lot, ...]) -> None:
    """A sale may name only lots that exist: listed lots and lots opened by buys."""
    known = {lot.id for lot in lots} | {t.id for t in trades if t.opens_lot}
    for trade in trades:
        for j, request in enumerate(trade.lots):
            if request.lot not in known:
                raise CaseError(
                    f"transactions[{trade.seq}].lots[{j}].lot", f"unknown lot {_show(request.lot)}"
                )


def _parse_securities(value: object, symbols: set[str]) -> tuple[Security, ...]:
    if value is None:
        return ()
    items = _list(value, "securities")
    seen: dict[str, str] = {}
    parsed: list[tuple[Security, str]] = []
    for index, item in enumerate(items):
        path = f"securities[{index}]"
        obj = _object(item, path)
        _check_keys(obj, "securities", path)
        symbol = _text(_required(obj, "symbol", path), f"{path}.symbol")
        _unique(symbol, seen, f"{path}.symbol", "security")
        kind_value = obj.get("kind", Kind.STOCK.value)
        try:
            kind = Kind(kind_value)
        except ValueError:
            raise CaseError(
                f"{path}.kind",
                f"must be one of {', '.join(k.value for k in Kind)}, got {_show(kind_value)}",
            ) from None
        tracks = _text(obj["tracks"], f"{path}.tracks") if obj.get("tracks") is not None else None
        same_as = (
            _text(obj["same_as"], f"{path}.same_as") if obj.get("same_as") is not None else None
        )
        underlying = (
            _text(obj["underlying"], f"{path}.underlying")
            if obj.get("underlying") is not None
            else None
        )
        if underlying is not None and kind is not Kind.OPTION:
            raise CaseError(f"{path}.underlying", "only an option names an underlying")
        parsed.append((Security(symbol, kind, tracks, same_as, underlying), path))
    # A share class named by `same_as` need not be held or traded here: a case may describe
    # the security universe more widely than its holdings.
    return tuple(s for s, _ in parsed)


def _parse_prices(value: object, known: set[str]) -> dict[str, Decimal] | None:
    if value is None:
        return None
    prices: dict[str, Decimal] = {}
    for symbol, price in _object(value, "prices").items():
        path = f"prices.{symbol}"
        # A price for a symbol the case does not hold (a replacement candidate, a watch list)
        # is harmless: it is read and simply not used.
        amount = _decimal(price, path)
        if amount < 0:
            raise CaseError(path, f"must not be negative, got {_show(price)}")
        if amount >= MAX_MONEY:
            raise CaseError(path, f"is too large, got {_show(price)}")
        prices[symbol] = amount
    return prices


def _parse_income(value: object, tax_year: int) -> Income | None:
    if value is None:
        return None
    obj = _object(value, "income")
    _check_keys(obj, "income", "income")
    try:
        tax_year_table(tax_year)
    except UnknownTaxYear as error:
        raise CaseError("income", f"cannot compute tax: {error}") from None

    def money(key: str) -> Decimal:
        found = obj.get(key)
        return ZERO if found is None else _money(found, f"income.{key}")

    def signed(key: str) -> Decimal:
        found = obj.get(key)
        if found is None:
            return ZERO
        amount = _decimal(found, f"income.{key}")
        if abs(amount) >= MAX_MONEY:
            raise CaseError(f"income.{key}", f"is too large, got {_show(found)}")
        return to_cents(amount)

    # The old "ordinary" is wages plus other ordinary income; the old "investment" is interest
    # and non-qualified dividends. Both are still read, and add to the new fields.
    ordinary = money("ordinary") + money("wages") + money("other_ordinary")
    dividends = money("ordinary_dividends")
    qualified = money("qualified_dividends")
    if qualified > dividends:
        raise CaseError(
            "income.qualified_dividends",
            f"qualified dividends ({qualified:.2f}) are part of the ordinary dividends and cannot "
            f"exceed them ({dividends:.2f}; Form 1099-DIV box 1b is part of box 1a)",
        )
    investment = money("investment") + money("interest") + dividends
    return Income(
        ordinary=ordinary,
        investment=investment,
        qualified_dividends=qualified,
        capital_gain_distributions=money("capital_gain_distributions"),
        other_short_term_gains=signed("other_short_term_gains"),
        other_long_term_gains=signed("other_long_term_gains"),
    )


def _parse_deductions(value: object, tax_year: int) -> Itemized | None:
    if value is None:
        return None
    obj = _object(value, "deductions")
    _check_keys(obj, "deductions", "deductions")
    try:
        tax_year_table(tax_year)
    except UnknownTaxYear as error:
        raise CaseError("deductions", f"cannot compute tax: {error}") from None
    salt = _money(obj.get("state_local_taxes", "0"), "deductions.state_local_taxes")
    other = _money(obj.get("other_itemized", "0"), "deductions.other_itemized")
    return Itemized(salt, other)


def _parse_carryforward(
    value: object, people: tuple[Person, ...]
) -> tuple[Decimal, Decimal, dict[str, tuple[Decimal, Decimal]] | None]:
    if value is None:
        return ZERO, ZERO, None
    obj = _object(value, "carryforward_in")
    _check_keys(obj, "carryforward_in", "carryforward_in")
    short = _money(obj.get("short_term", "0"), "carryforward_in.short_term")
    long = _money(obj.get("long_term", "0"), "carryforward_in.long_term")
    if obj.get("by_person") is None:
        return short, long, None
    given_short, given_long = "short_term" in obj, "long_term" in obj
    known = {p.id for p in people}
    by_person: dict[str, tuple[Decimal, Decimal]] = {}
    for person, amounts in _object(obj["by_person"], "carryforward_in.by_person").items():
        path = f"carryforward_in.by_person.{person}"
        if person not in known:
            raise CaseError(path, f"unknown person {_show(person)}")
        entry = _object(amounts, path)
        _check_keys(entry, "carryforward", path)
        by_person[person] = (
            _money(entry.get("short_term", "0"), f"{path}.short_term"),
            _money(entry.get("long_term", "0"), f"{path}.long_term"),
        )
    total_short = sum((s for s, _ in by_person.values()), ZERO)
    total_long = sum((lg for _, lg in by_person.values()), ZERO)
    short = short if given_short else total_short
    long = long if given_long else total_long
    if total_short != short:
        raise CaseError(
            "carryforward_in.by_person",
            f"the people's short-term carryforwards add up to {total_short:.2f}, not the "
            f"total {short:.2f}",
        )
    if total_long != long:
        raise CaseError(
            "carryforward_in.by_person",
            f"the people's long-term carryforwards add up to {total_long:.2f}, not the "
            f"total {long:.2f}",
        )
    return short, long, by_person


def _parse_average_basis(value: object) -> frozenset[tuple[str, str]]:
    """(account, fund) pairs held at average basis (Reg. §1.1012-1(e)); accounts are checked."""
    if value is None:
        return frozenset()
    found: set[tuple[str, str]] = set()
    for index, item in enumerate(_list(value, "accounts")):
        if not isinstance(item, dict) or item.get("average_basis") is None:
            continue
        path = f"accounts[{index}].average_basis"
        for j, symbol in enumerate(_list(item["average_basis"], path)):
            found.add((str(item["id"]), _text(symbol, f"{path}[{j}]")))
    return frozenset(found)


# --- evaluating -----------------------------------------------------------------------------


def run_engine(case: Case) -> History:
    """Lot relief and wash sales over the case's history; ``CaseError`` for a sale of shares
    that are not held (naming the transaction's field)."""
    try:
        return simulate(
            accounts=case.accounts_by_id,
            identity=case.identity,
            lots=case.lots,
            trades=case.trades,
            policy=case.policy,
            as_of=case.as_of,
            average=case.average_basis,
        )
    except EngineError as error:
        raise CaseError(f"transactions[{error.trade_seq}].{error.field}", error.message) from None


def year_totals(
    realized: Iterable[Realized], *, tax_year: int, reported_on: str
) -> tuple[Decimal, Decimal]:
    """The allowed short-term and long-term results of one return's sales dated in
    ``tax_year`` (IRC §1222 by character)."""
    short = long = ZERO
    for row in realized:
        if row.reported_on == reported_on and row.sold.year == tax_year:
            if row.term.value == "long":
                long += row.allowed
            else:
                # §852(b)(4): the part of a short-term loss on fund shares held six months or
                # less that capital-gain distributions on them make long-term.
                short += row.allowed - row.long_term_part
                long += row.long_term_part
    return short, long


def household_schedule(
    case: Case, totals: tuple[Decimal, Decimal], *, explain: bool = True
) -> ScheduleD:
    """Schedule D of the household's return with the year's sale results ``totals``, plus the
    amounts from outside the sales (``Case.schedule_extras``), carried over with taxable income
    from the whole return (worksheet line 1 = Form 1040 line 15, before being floored at 0)."""
    extra_short, extra_long = case.schedule_extras(HOUSEHOLD)
    short = totals[0] + extra_short
    long = totals[1] + extra_long
    taxable_before: Decimal | None = None
    if case.income is not None:
        line_16 = short + long - case.carryforward_short - case.carryforward_long
        line_21 = min(-line_16, capital_loss_limit(case.filing_status)) if line_16 < 0 else ZERO
        taxable_before = taxable_before_capital(
            tax_year=case.tax_year,
            filing_status=case.filing_status,
            ordinary_income=case.income.ordinary,
            investment_income=case.income.investment,
            facts=case.facts(),
            capital_loss_deduction=line_21,
        )
    return schedule_d(
        short_term_results=short,
        long_term_results=long,
        carryforward_in_short=case.carryforward_short,
        carryforward_in_long=case.carryforward_long,
        filing_status=case.filing_status,
        taxable_income_before_capital=taxable_before,
        explain=explain,
    )


def summarize(
    realized: tuple[Realized, ...],
    *,
    tax_year: int,
    reported_on: str,
    filing_status: str,
    carryforward_short: Decimal,
    carryforward_long: Decimal,
    taxable_income_before_capital: Decimal | None,
    extra: tuple[Decimal, Decimal] = (ZERO, ZERO),
) -> ScheduleD:
    """Schedule D of one return: the allowed results of its sales dated in ``tax_year``
    (``year_totals``; §1211(b), §1212(b) through ``schedule_d``), plus ``extra`` (short, long)
    from outside the sales."""
    short, long = year_totals(realized, tax_year=tax_year, reported_on=reported_on)
    short += extra[0]
    long += extra[1]
    return schedule_d(
        short_term_results=short,
        long_term_results=long,
        carryforward_in_short=carryforward_short,
        carryforward_in_long=carryforward_long,
        filing_status=filing_status,
        taxable_income_before_capital=taxable_income_before_capital,
    )


def evaluate(case: Case) -> dict[str, Any]:
    """The result of a case, shaped exactly as shared/cases/README.md "Output" describes."""
    history = run_engine(case)
    accounts = case.accounts_by_id

    totals = year_totals(history.realized, tax_year=case.tax_year, reported_on=HOUSEHOLD)
    schedule = household_schedule(case, totals)

    result: dict[str, Any] = {
        "tax_year": case.tax_year,
        "filing_status": case.filing_status,
        "as_of": case.as_of.isoformat(),
        "accounts": [_account_json(a) for a in case.accounts],
        "realized": [_realized_json(r) for r in history.realized if r.reported_on is not None],
        "wash_sales": [_wash_json(w) for w in history.wash_sales],
        "open_lots": [row for o in history.open_lots for row in _open_lot_json(o)],
        "summary": schedule.to_json(),
    }
    if case.carryforward_by_person is not None:
        carry = result["summary"]["carryforward_out"]
        carry["by_person"] = {
            person: {"short_term": money_json(short), "long_term": money_json(long)}
            for person, (short, long) in carryforward_by_person(case, history, schedule).items()
        }
    if case.income is not None:
        tax = federal_tax(
            tax_year=case.tax_year,
            filing_status=case.filing_status,
            ordinary_income=case.income.ordinary,
            investment_income=case.income.investment,
            schedule=schedule,
            facts=case.facts(),
        )
        result["tax"] = tax.to_json()
    if case.prices is not None:
        plan = opportunities(
            holdings=history.holdings_as_of,
            prices=case.prices,
            as_of=case.as_of,
            accounts=accounts,
            identity=case.identity,
            policy=case.policy,
        )
        result["opportunities"] = [o.to_json() for o in plan]

    separate: dict[str, Any] = {}
    for account in case.accounts:
        if account.separate_taxpayer:
            # A trust or a minor is its own taxpayer: its own $3,000 limit (§1211(b)) and no
            # carryforward given in the case format; a single filer's figures.
            own = summarize(
                history.realized,
                tax_year=case.tax_year,
                reported_on=account.id,
                filing_status="single",
                carryforward_short=ZERO,
                carryforward_long=ZERO,
                taxable_income_before_capital=None,
                extra=case.schedule_extras(account.id),
            ).to_json()
            separate[account.id] = {**own, "summary": dict(own)}
    result["separate_returns"] = separate
    result["policy"] = case.policy.to_json()
    return result


def carryforward_by_person(
    case: Case, history: History, schedule: ScheduleD
) -> dict[str, tuple[Decimal, Decimal]]:
    """Next year's carryforward of each person on the return (tax-rules.md §4.4).

    A carryover belongs to the person whose property gave rise to it (Treas. Reg.
    §1.1212-1(c)(1)(iii)): each person's net loss by character is their own carryforward in plus
    their results — a sale in an account they own, half of one in a joint account, the income's
    outside gains to the taxpayer — and the household's carryforward of each character is shared
    among the people in proportion to their net losses of it, to the cent, adding up."""
    given = case.carryforward_by_person or {}
    on_return = [
        p.id
        for p in case.people
        if p.role == Role.TAXPAYER.value
        or (p.role == Role.SPOUSE.value and case.filing_status == "married_joint")
    ]
    people = on_return + [p for p in given if p not in on_return]
    taxpayer = on_return[0]
    owner_of = {a.id: a.owner for a in case.accounts}
    joint = {a.id for a in case.accounts if a.type is AccountType.TAXABLE_JOINT}
    spouse = next((p for p in on_return if p != taxpayer), None)
    net: dict[str, list[Decimal]] = {p: [ZERO, ZERO] for p in people}
    for person, (short, long) in given.items():
        net[person][0] -= short
        net[person][1] -= long

    def credit(account: str, short: Decimal, long: Decimal) -> None:
        if account in joint and spouse is not None:
            half_short, half_long = to_cents(short / 2), to_cents(long / 2)
            net[taxpayer][0] += half_short
            net[taxpayer][1] += half_long
            net[spouse][0] += short - half_short
            net[spouse][1] += long - half_long
            return
        owner = owner_of[account] if owner_of[account] in net else taxpayer
        net[owner][0] += short
        net[owner][1] += long

    for row in history.realized:
        if row.reported_on == HOUSEHOLD and row.sold.year == case.tax_year:
            if row.term.value == "long":
                credit(row.account, ZERO, row.allowed)
            else:
                credit(row.account, row.allowed - row.long_term_part, row.long_term_part)
    for trade in case.trades:
        if (
            trade.action is Action.DISTRIBUTION
            and trade.date.year == case.tax_year
            and case.accounts_by_id[trade.account].reported_on == HOUSEHOLD
        ):
            credit(trade.account, ZERO, trade.amount)
    if case.income is not None:
        net[taxpayer][0] += case.income.other_short_term_gains
        net[taxpayer][1] += (
            case.income.other_long_term_gains + case.income.capital_gain_distributions
        )

    out: dict[str, list[Decimal]] = {p: [ZERO, ZERO] for p in people}
    for index, total in ((0, schedule.carryforward_short), (1, schedule.carryforward_long)):
        if total <= 0:
            continue
        losses = [max(ZERO, -net[p][index]) for p in people]
        if sum(losses, ZERO) == 0:
            out[taxpayer][index] = total
            continue
        for person, part in zip(people, split_cumulative(total, losses), strict=True):
            out[person][index] = part
    return {p: (v[0], v[1]) for p, v in out.items()}


def evaluate_text(text: str) -> dict[str, Any]:
    """Parse, check and evaluate a case given as JSON text."""
    return evaluate(load_case(text))


# --- output ---------------------------------------------------------------------------------


def money_json(amount: Decimal) -> str:
    """Money as a 2-place string, rounded half-up ("-0.00" never appears)."""
    cents = to_cents(amount)
    if cents == 0:
        return "0.00"
    return f"{cents:.2f}"


def _account_json(account: HouseholdAccount) -> dict[str, Any]:
    eligibility = account.eligibility
    return {
        "id": account.id,
        "type": account.type.value,
        "owner": account.owner,
        "treatment": eligibility.treatment.value,
        "harvestable": eligibility.harvestable,
        "separate_taxpayer": eligibility.separate_taxpayer,
        "on_return": account.on_return,
        "reason": eligibility.reason.to_json(),
    }


def _realized_json(row: Realized) -> dict[str, Any]:
    return {
        "sale": row.sale,
        "lot": row.lot,
        "account": row.account,
        "symbol": row.symbol,
        "quantity": quantity_text(row.quantity),
        "acquired": row.acquired.isoformat(),
        "holding_from": row.holding_from.isoformat(),
        "sold": row.sold.isoformat(),
        "proceeds": money_json(row.proceeds),
        "basis": money_json(row.basis),
        "gain": money_json(row.gain),
        "term": row.term.value,
        "disallowed": money_json(row.disallowed),
        "allowed": money_json(row.allowed),
        "code": row.code,
        "return": row.reported_on,
    }


def _wash_json(row: WashSale) -> dict[str, Any]:
    out: dict[str, Any] = {
        "sale": row.sale,
        "lot": row.lot,
        "sold": row.sold.isoformat(),
        "replacement": row.replacement,
        "replacement_account": row.replacement_account,
        "quantity": quantity_text(row.quantity),
        "disallowed": money_json(row.disallowed),
        "permanent": row.permanent,
    }
    if row.holding_from is not None:
        out["holding_from"] = row.holding_from.isoformat()
    return out


def _open_lot_json(open_lot: OpenLot) -> list[dict[str, Any]]:
    lot = open_lot.lot
    rows: list[dict[str, Any]] = []
    for piece in open_lot.pieces:
        row: dict[str, Any] = {
            "lot": lot.id,
            "account": lot.account,
            "symbol": lot.symbol,
            "quantity": quantity_text(piece.quantity),
            "basis": money_json(piece.basis),
            "acquired": lot.acquired.isoformat(),
            "holding_from": piece.holding_from.isoformat(),
            "how": lot.how.value,
        }
        if piece.adjusted:
            row["wash_adjustment"] = money_json(piece.deferred)
        if lot.gift is not None and piece.gift_value is not None:
            row["gift_date"] = lot.gift.gift_date.isoformat()
            row["value_at_gift"] = money_json(piece.gift_value)
        rows.append(row)
    return rows

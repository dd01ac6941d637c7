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
    to_cents,
)
from .tax import federal_tax
from .tax_tables import UnknownTaxYear, parse_filing_status, standard_deduction, tax_year_table
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


@dataclass(frozen=True, slots=True)
class Income:
    """Income other than capital gains: ordinary (wages, pensions) and investment (interest,
    ordinary dividends: ordinary income, and net investment income for §1411)."""

    ordinary: Decimal
    investment: Decimal


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
        return date.fromisoformat(value)
    except ValueError:
        raise CaseError(path, f"is not a real date, got {_show(value)}") from None


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
    carry_short, carry_long = _parse_carryforward(root.get("carryforward_in"))

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
        person_id = _text(_required(obj, "id", path), f"{path}.id")
        _unique(person_id, seen, f"{path}.id", "person id")
        role = _text(_required(obj, "role", path), f"{path}.role").strip().lower()
        people.append(Person(person_id, role))
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
        return date.fromisoformat(text)
    except ValueError:
        return None


def _quick_text(value: object) -> str | None:
    return value if type(value) is str and value.strip() else None


def _quick_lot(item: object, index: int, accounts: set[str], ids: dict[str, str]) -> Lot | None:
    if type(item) is not dict:
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
    if type(item) is not dict:
        return None
    trade_id = _quick_text(item.get("id"))
    account = _quick_text(item.get("account"))
    symbol = _quick_text(item.get("symbol"))
    action_value = item.get("action")
    action = _ACTION_OF.get(action_value) if type(action_value) is str else None
    if trade_id is None or trade_id in ids or account not in accounts or symbol is None:
        return None
    if action is None:
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
        if type(request) is not dict:
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
    quantity = _quantity(_required(obj, "quantity", path), f"{path}.quantity")
    amount = _money(_required(obj, "amount", path), f"{path}.amount")
    requests: list[LotRequest] = []
    if obj.get("lots") is not None:
        if action is not Action.SELL:
            raise CaseError(f"{path}.lots", "only a sale can name the lots it takes")
        for j, request in enumerate(_list(obj["lots"], f"{path}.lots")):
            rpath = f"{path}.lots[{j}]"
            robj = _object(request, rpath)
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
    known = {lot.id for lot in lots} | {t.id for t in trades if not t.is_sale}
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
        parsed.append((Security(symbol, kind, tracks, same_as), path))
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
    try:
        tax_year_table(tax_year)
    except UnknownTaxYear as error:
        raise CaseError("income", f"cannot compute tax: {error}") from None
    ordinary = _money(obj.get("ordinary", "0"), "income.ordinary")
    investment = _money(obj.get("investment", "0"), "income.investment")
    return Income(ordinary, investment)


def _parse_carryforward(value: object) -> tuple[Decimal, Decimal]:
    if value is None:
        return ZERO, ZERO
    obj = _object(value, "carryforward_in")
    short = _money(obj.get("short_term", "0"), "carryforward_in.short_term")
    long = _money(obj.get("long_term", "0"), "carryforward_in.long_term")
    return short, long


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
                short += row.allowed
    return short, long


def summarize(
    realized: tuple[Realized, ...],
    *,
    tax_year: int,
    reported_on: str,
    filing_status: str,
    carryforward_short: Decimal,
    carryforward_long: Decimal,
    taxable_income_before_capital: Decimal | None,
) -> ScheduleD:
    """Schedule D of one return: the allowed results of its sales dated in ``tax_year``
    (``year_totals``; §1211(b), §1212(b) through ``schedule_d``)."""
    short, long = year_totals(realized, tax_year=tax_year, reported_on=reported_on)
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

    taxable_before: Decimal | None = None
    if case.income is not None:
        taxable_before = (
            case.income.ordinary
            + case.income.investment
            - standard_deduction(case.tax_year, case.filing_status)
        )
    schedule = summarize(
        history.realized,
        tax_year=case.tax_year,
        reported_on=HOUSEHOLD,
        filing_status=case.filing_status,
        carryforward_short=case.carryforward_short,
        carryforward_long=case.carryforward_long,
        taxable_income_before_capital=taxable_before,
    )

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
    if case.income is not None:
        tax = federal_tax(
            tax_year=case.tax_year,
            filing_status=case.filing_status,
            ordinary_income=case.income.ordinary,
            investment_income=case.income.investment,
            schedule=schedule,
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
            ).to_json()
            separate[account.id] = {**own, "summary": dict(own)}
    result["separate_returns"] = separate
    result["policy"] = case.policy.to_json()
    return result


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

"""The JSON case format (shared/cases/README.md): parse and check a case, run it, shape the result.

Every problem with a case is a ``CaseError`` naming the field it is about, as a path like
``transactions[2].quantity``; a case that parses is a frozen ``Case`` whose evaluation never
fails for a reason the case could have caused.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .accounts import AccountType, parse_account_type
from .case_results import (
    _account_json,
    _open_lot_json,
    _realized_json,
    _wash_json,
    carryforward_by_person,
    evaluate,
    household_schedule,
    money_json,
    run_engine,
    summarize,
    year_totals,
)
from .case_types import (
    _KEYS,
    FIRST_DATE,
    LAST_DATE,
    MAX_MONEY,
    MAX_PLACES,
    MAX_QUANTITY,
    Case,
    CaseError,
    Income,
    Itemized,
    Person,
    _bool,
    _check_keys,
    _date,
    _decimal,
    _list,
    _money,
    _object,
    _quantity,
    _required,
    _show,
    _text,
    _unique,
)
from .lots import (
    ZERO,
    Action,
    Gift,
    How,
    Lot,
    LotRequest,
    Trade,
    quantity_text,
    to_cents,
)
from .tax_tables import UnknownTaxYear, parse_filing_status, tax_year_table
from .wash_household import (
    HouseholdAccount,
    Kind,
    Policy,
    Role,
    Security,
    substantially_identical_groups,
)

__all__ = [
    "Case",
    "CaseError",
    "FIRST_DATE",
    "Income",
    "Itemized",
    "LAST_DATE",
    "MAX_MONEY",
    "MAX_PLACES",
    "MAX_QUANTITY",
    "Person",
    "_KEYS",
    "_bool",
    "_check_keys",
    "_date",
    "_decimal",
    "_list",
    "_money",
    "_object",
    "_quantity",
    "_required",
    "_show",
    "_text",
    "_unique",
    "_account_json",
    "_open_lot_json",
    "_realized_json",
    "_wash_json",
    "carryforward_by_person",
    "evaluate",
    "household_schedule",
    "money_json",
    "run_engine",
    "summarize",
    "year_totals",
    "load_case",
    "parse_case",
    "evaluate_text",
]

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
    shares = _parse_joint_shares(root.get("accounts"), accounts)

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
        joint_shares=shares,
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
_LOT_KEYS = _KEYS["lots"] - {"gift_date", "value_at_gift", "broker_wash_adjustment"}
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
    broker_wash = ZERO
    if obj.get("broker_wash_adjustment") is not None:
        where = f"{path}.broker_wash_adjustment"
        broker_wash = _money(obj["broker_wash_adjustment"], where)
        if broker_wash > basis:
            raise CaseError(where, f"is more than the lot's basis ({basis:.2f})")
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
        broker_wash=broker_wash,
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


def _parse_joint_shares(
    value: object, accounts: tuple[HouseholdAccount, ...]
) -> tuple[tuple[str, Decimal], ...]:
    """``accounts[].taxpayer_share`` of joint accounts: the taxpayer's part of the account's
    results for the carryforward by person (tax-rules.md §4.4); absent: half each."""
    if value is None:
        return ()
    types = {a.id: a.type for a in accounts}
    found: list[tuple[str, Decimal]] = []
    for index, item in enumerate(_list(value, "accounts")):
        if not isinstance(item, dict) or item.get("taxpayer_share") is None:
            continue
        path = f"accounts[{index}].taxpayer_share"
        account_id = str(item["id"])
        if types.get(account_id) is not AccountType.TAXABLE_JOINT:
            raise CaseError(path, "only a taxable_joint account is shared between spouses")
        share = _decimal(item["taxpayer_share"], path)
        if share < 0 or share > 1:
            raise CaseError(path, f"must be between 0 and 1, got {_show(item['taxpayer_share'])}")
        found.append((account_id, share))
    return tuple(found)


def evaluate_text(text: str) -> dict[str, Any]:
    """Parse, check and evaluate a case given as JSON text."""
    return evaluate(load_case(text))

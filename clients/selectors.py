"""Reads: every queryset starts from the user's scope (advisors/scoping.py).

The holdings helpers return plain rows for the pages: each open lot with its latest price,
market value and unrealized gain or loss, grouped by account and by tax treatment. They issue a
fixed number of queries however many accounts and lots a household has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import (
    Case,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from advisors import scoping
from clients.models import (
    TREATMENT_LABELS,
    Account,
    AcquiredHow,
    Household,
    Person,
    PersonRole,
    Price,
    TaxLot,
    TaxProfile,
    Transaction,
)
from taxlogic.rules.accounts import Treatment
from taxlogic.rules.lots import term_of, to_cents

if TYPE_CHECKING:
    from advisors.scoping import User


# Taxpayer, spouse, then dependents.
_ROLE_ORDER = Case(
    When(role=PersonRole.TAXPAYER, then=Value(0)),
    When(role=PersonRole.SPOUSE, then=Value(1)),
    default=Value(2),
)


def household_people(*, user: User, household: Household) -> QuerySet[Person]:
    return scoping.visible(user, Person).filter(household=household).order_by(_ROLE_ORDER, "name")


def households_matching(*, user: User, query: str = "") -> QuerySet[Household]:
    """The households ``user`` may see, matching ``query`` on the household's name, one of
    its people's names or its CRM id."""
    households = scoping.households_visible_to(user)
    query = query.strip()
    if query:
        people = Person.objects.filter(household=OuterRef("pk"), name__icontains=query)
        households = households.filter(
            Q(name__icontains=query) | Q(external_crm_id__icontains=query) | Q(Exists(people))
        )
    return households


def household_list(*, user: User, query: str = "") -> QuerySet[Household]:
    """``households_matching``, with people and the number of accounts (a subquery, not a
    join: a join made the query group every row by each of the plan figures' subqueries and
    compute them for all the advisor's households, where PostgreSQL now computes them for the
    page's rows only, after the sort and the limit: 37 → 3 ms for 200 households)."""
    return (
        households_matching(user=user, query=query)
        .select_related("team", "primary_advisor")
        .annotate(account_count=row_count(Account.objects.all(), "household"))
        .prefetch_related(Prefetch("people", queryset=Person.objects.order_by(_ROLE_ORDER, "name")))
        .order_by("name", "id")
    )


def row_count(rows: QuerySet, outer: str) -> Coalesce:
    """The number of ``rows`` whose ``outer`` field names the outer query's row (0 for none),
    as a subquery: unlike ``Count`` over a join, it multiplies no rows and groups nothing."""
    counted = (
        rows.filter(**{outer: OuterRef("pk")})
        .order_by()
        .values(outer)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def latest_close(field_name: str, as_of: date, security: str = "security_id") -> Subquery:
    """``field_name`` of the last price on or before ``as_of`` of the security that the outer
    query's ``security`` column names (``"pk"`` when annotating securities themselves)."""
    latest = Price.objects.filter(security=OuterRef(security), date__lte=as_of)
    return Subquery(latest.order_by("-date").values(field_name)[:1])


def open_lots(*, user: User, as_of: date) -> QuerySet[TaxLot]:
    """Open lots ``user`` may see, each annotated with ``latest_close`` and ``latest_close_date``
    (the last price on or before ``as_of``)."""
    return (
        scoping.lots_visible_to(user)
        .filter(quantity__gt=0)
        .select_related("security")
        .annotate(
            latest_close=latest_close("close", as_of),
            latest_close_date=latest_close("date", as_of),
        )
        .order_by("security__symbol", "acquired", "id")
    )


def holding_term(lot: TaxLot, as_of: date) -> str:
    """The term ("long" or "short") if sold at ``as_of`` (taxlogic: IRC §1222, §1223(9))."""
    inherited = lot.how_acquired == AcquiredHow.INHERITED
    return term_of(holding_from=lot.holding_period_start, sold=as_of, inherited=inherited).value


@dataclass(frozen=True, slots=True)
class LotRow:
    lot: TaxLot
    price: Decimal | None
    price_date: date | None
    market_value: Decimal | None
    unrealized: Decimal | None
    term: str
    basis: Decimal

    @property
    def is_loss(self) -> bool:
        return self.unrealized is not None and self.unrealized < 0


# Sets ``lot.engine`` on each lot: the engine's figures (taxlogic/basis.py ``compare``).
Attach = Callable[[list[TaxLot]], None]


def lot_row(lot: TaxLot, as_of: date) -> LotRow:
    """``lot`` (annotated by ``open_lots``) valued at its latest close, at the engine's basis and
    term when ``lot.engine`` holds them (the plan's figures), else the stored ones."""
    engine = getattr(lot, "engine", None)
    basis = engine.basis if engine is not None else lot.adjusted_basis
    term = engine.term if engine is not None else holding_term(lot, as_of)
    price = lot.latest_close
    value = unrealized = None
    if price is not None:
        value = to_cents(lot.quantity * price)
        unrealized = value - basis
    return LotRow(lot, price, lot.latest_close_date, value, unrealized, term, basis)


@dataclass(slots=True)
class Totals:
    cost_basis: Decimal = Decimal("0.00")
    market_value: Decimal = Decimal("0.00")
    unrealized: Decimal = Decimal("0.00")
    unpriced: int = 0  # lots without any price: left out of the value and the gain

    def add(self, row: LotRow) -> None:
        if row.market_value is None or row.unrealized is None:
            self.unpriced += 1
            return
        self.cost_basis += row.basis
        self.market_value += row.market_value
        self.unrealized += row.unrealized


@dataclass(slots=True)
class AccountHoldings:
    account: Account
    rows: list[LotRow] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)


@dataclass(slots=True)
class TreatmentGroup:
    treatment: str
    label: str
    accounts: list[AccountHoldings] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)


@dataclass(slots=True)
class HouseholdHoldings:
    groups: list[TreatmentGroup]
    totals: Totals
    lot_count: int
    # Every account the user sees, by type, custodian and number (the page's list of them).
    accounts: list[Account] = field(default_factory=list)


def household_holdings(
    *, user: User, household: Household, as_of: date, attach: Attach | None = None
) -> HouseholdHoldings:
    """The household's accounts grouped taxable / tax-deferred / tax-exempt, each with its
    open lots valued at ``as_of`` (two queries, and what ``attach`` needs)."""
    accounts = (
        scoping.accounts_visible_to(user)
        .filter(household=household)
        .select_related("owner")
        .order_by("type", "custodian", "masked_number")
    )
    holdings = {a.pk: AccountHoldings(a) for a in accounts}
    lots = list(open_lots(user=user, as_of=as_of).filter(account__household=household))
    if attach is not None:
        attach(lots)
    totals = Totals()
    lot_count = 0
    for lot in lots:
        account_holdings = holdings[lot.account_id]
        lot.account = account_holdings.account
        row = lot_row(lot, as_of)
        account_holdings.rows.append(row)
        account_holdings.totals.add(row)
        totals.add(row)
        lot_count += 1
    groups = []
    for treatment in Treatment:
        group = TreatmentGroup(treatment.value, TREATMENT_LABELS[treatment.value])
        for account_holdings in holdings.values():
            if account_holdings.account.treatment == treatment.value:
                group.accounts.append(account_holdings)
                for row in account_holdings.rows:
                    group.totals.add(row)
        if group.accounts:
            groups.append(group)
    return HouseholdHoldings(groups, totals, lot_count, [h.account for h in holdings.values()])


def account_holdings(
    *, user: User, account: Account, as_of: date, attach: Attach | None = None
) -> AccountHoldings:
    holdings = AccountHoldings(account)
    lots = list(open_lots(user=user, as_of=as_of).filter(account=account))
    if attach is not None:
        attach(lots)
    for lot in lots:
        lot.account = account
        row = lot_row(lot, as_of)
        holdings.rows.append(row)
        holdings.totals.add(row)
    return holdings


def lot_with_price(*, user: User, lot: TaxLot, as_of: date, attach: Attach | None = None) -> LotRow:
    annotated = (
        scoping.lots_visible_to(user)
        .annotate(
            latest_close=latest_close("close", as_of),
            latest_close_date=latest_close("date", as_of),
        )
        .values("latest_close", "latest_close_date")
        .get(pk=lot.pk)
    )
    lot.latest_close = annotated["latest_close"]
    lot.latest_close_date = annotated["latest_close_date"]
    if attach is not None:
        attach([lot])
    return lot_row(lot, as_of)


def recent_transactions(
    *, user: User, account: Account | None = None, lot: TaxLot | None = None, limit: int = 50
) -> list[Transaction]:
    transactions = scoping.transactions_visible_to(user).select_related(
        "security", "lot", "reverses"
    )
    if account is not None:
        transactions = transactions.filter(account=account)
    if lot is not None:
        transactions = transactions.filter(lot=lot)
    found = list(transactions.order_by("-trade_date", "-id")[:limit])
    # Which of them a later reversal corrected (one query): the history shows both.
    reversed_by = {
        r.reverses_id: r
        for r in Transaction.objects.filter(reverses__in=[t.pk for t in found]).only(
            "pk", "reverses_id", "trade_date"
        )
    }
    for t in found:
        t.reversed_by = reversed_by.get(t.pk)
    return found


def current_tax_profile(*, user: User, household: Household, tax_year: int) -> TaxProfile | None:
    """The household's profile for ``tax_year``, else its latest earlier one."""
    return (
        scoping.visible(user, TaxProfile)
        .filter(household=household, tax_year__lte=tax_year)
        .order_by("-tax_year")
        .first()
    )

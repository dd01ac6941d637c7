"""Who washes with whom: the policy flags where the sources split (tax-rules.md §2), the
substantially identical groups, and the household's accounts with the wash-sale domain each
belongs to (the household's own, or a trust's) and whether a loss there can count.

Rules: IRC §1091(a) ("substantially identical"; Rev. Rul. 56-406, Pub 550), Pub 550 ("Wash
Sales": the spouse's purchases count), Rev. Rul. 2008-5 (the taxpayer's IRA or Roth IRA),
§1223(3) and §1223(9) (the replacement's holding period). Split from wash_sales.py, which
imports everything here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from enum import StrEnum
from functools import cache

from .accounts import (
    EMPLOYER_PLAN_TYPES,
    HSA_529_TYPES,
    IRA_TYPES,
    AccountType,
    Eligibility,
    Treatment,
    eligibility,
)

HOUSEHOLD = "household"  # the wash-sale domain of the return's own accounts (vs. a trust's own)


# --- policy ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Policy:
    """The choices where authorities split (tax-rules.md §1–§2); the defaults are the firm's.

    - ``same_index_funds_identical``: funds tracking the same index are substantially identical.
    - ``employer_plan_purchase_triggers`` / ``hsa_529_purchase_triggers``: a purchase in a
      401(k)-type plan / an HSA or 529 washes a taxable loss (permanently).
    - ``spouse_ira_purchase_triggers``: a purchase in the seller's spouse's IRA (or, with the
      flags above, the spouse's plan, HSA or 529) washes the seller's loss (permanently); the
      seller's own IRA always does (Rev. Rul. 2008-5).
    - ``same_lot_remainder_is_replacement``: the unsold rest of the very lot sold can replace it.
    - ``earlier_acquired_lot_is_replacement``: a lot bought before the one sold can replace it
      (literal §1091(a)).
    """

    same_index_funds_identical: bool = True
    employer_plan_purchase_triggers: bool = True
    hsa_529_purchase_triggers: bool = True
    spouse_ira_purchase_triggers: bool = True
    same_lot_remainder_is_replacement: bool = False
    earlier_acquired_lot_is_replacement: bool = True
    inherited_wash_tacks_long_term: bool = True

    @classmethod
    def flag_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def to_json(self) -> dict[str, bool]:
        return {name: getattr(self, name) for name in self.flag_names()}


# --- substantially identical ----------------------------------------------------------------


class Kind(StrEnum):
    STOCK = "stock"
    FUND = "fund"
    BOND = "bond"
    OPTION = "option"
    CRYPTO = "crypto"


@dataclass(frozen=True, slots=True)
class Security:
    """A symbol, what kind of thing it is, the index it tracks, its other share class."""

    symbol: str
    kind: Kind = Kind.STOCK
    tracks: str | None = None
    same_as: str | None = None
    underlying: str | None = None  # an option's stock: a call is a contract to acquire it


@dataclass(frozen=True, slots=True)
class Identity:
    """Which symbols are substantially identical (one group each) and which are outside §1091."""

    groups: Mapping[str, str]
    outside_1091: frozenset[str]

    def group_of(self, symbol: str) -> str:
        return self.groups.get(symbol, symbol)

    def washable(self, symbol: str) -> bool:
        """Whether §1091 reaches the symbol: stock or securities, not a digital asset."""
        return symbol not in self.outside_1091

    def identical(self, a: str, b: str) -> bool:
        return self.group_of(a) == self.group_of(b)


def substantially_identical_groups(
    securities: Iterable[Security], *, policy: Policy, symbols: Iterable[str] = ()
) -> Identity:
    """Group symbols that are substantially identical: IRC §1091(a); Pub 550, "Wash Sales".

    A symbol is identical to itself; another share class named by ``same_as`` always is
    (symmetric and transitive); funds that follow the same index are when the policy
    ``same_index_funds_identical`` says so — by ``tracks`` whatever the ``kind``. Digital assets
    (``kind`` crypto) are outside §1091 (``DIGITAL_ASSETS_OUTSIDE_1091_CHECKED_FOR_TAX_YEAR``).
    """
    parent: dict[str, str] = {}

    def find(s: str) -> str:
        parent.setdefault(s, s)
        while parent[s] != s:
            parent[s] = parent[parent[s]]
            s = parent[s]
        return s

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            # The smaller symbol names the group, so results never depend on listing order.
            if rb < ra:
                ra, rb = rb, ra
            parent[rb] = ra

    by_index: dict[str, str] = {}
    crypto: set[str] = set()
    for symbol in symbols:
        find(symbol)
    for security in securities:
        find(security.symbol)
        if security.kind is Kind.CRYPTO:
            crypto.add(security.symbol)
        if security.same_as:
            union(security.symbol, security.same_as)
        if security.underlying and security.kind is Kind.OPTION:
            # §1091(a): "entered into a contract or option so to acquire" — a purchased call
            # on a stock is an acquisition of that stock (Pub 550, "Options and futures").
            union(security.symbol, security.underlying)
        if security.tracks and policy.same_index_funds_identical:
            first = by_index.setdefault(security.tracks, security.symbol)
            union(first, security.symbol)
    return Identity({s: find(s) for s in parent}, frozenset(crypto))


# --- accounts -------------------------------------------------------------------------------


class Role(StrEnum):
    TAXPAYER = "taxpayer"
    SPOUSE = "spouse"
    OTHER = "other"  # a child or beneficiary: may own only a separate taxpayer's account


@dataclass(frozen=True, slots=True)
class HouseholdAccount:
    """An account, whose it is, and whether it is on this return.

    ``joint_return``: the case is a married-filing-jointly return, so the spouse's accounts are
    on it; on any other return the spouse's accounts only acquire (Pub 550: a spouse's purchase
    washes the taxpayer's loss whatever the filing status).
    """

    id: str
    type: AccountType
    owner: str
    role: Role
    joint_return: bool
    # What follows from the above, worked out once (the engine asks for it per lot and sale).
    taxable: bool = field(init=False, repr=False, compare=False)
    separate_taxpayer: bool = field(init=False, repr=False, compare=False)
    on_return: bool = field(init=False, repr=False, compare=False)
    reported_on: str | None = field(init=False, repr=False, compare=False)
    permanent: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        found = _eligibility(self.type)
        taxable = found.treatment is Treatment.TAXABLE
        separate = found.separate_taxpayer
        # Whether sales here belong to this return (IRC §1, §6013; a trust's are its own).
        on_return = not separate and (
            self.role is Role.TAXPAYER or (self.role is Role.SPOUSE and self.joint_return)
        )
        # Which Schedule D a sale here reaches: ``HOUSEHOLD``, the account's own (a separate
        # taxpayer's return, keyed by the account id), or none (tax-advantaged, or the spouse's
        # return when filing separately).
        if not taxable:
            reported_on = None
        elif separate:
            reported_on = self.id
        else:
            reported_on = HOUSEHOLD if on_return else None
        put = object.__setattr__
        put(self, "taxable", taxable)
        put(self, "separate_taxpayer", separate)
        put(self, "on_return", on_return)
        put(self, "reported_on", reported_on)
        # A replacement here takes no basis adjustment: Rev. Rul. 2008-5 (IRA, Roth IRA), and
        # by policy a plan, HSA or 529 (tax-rules.md §1).
        put(self, "permanent", not taxable)

    @property
    def eligibility(self) -> Eligibility:
        return _eligibility(self.type)

    @property
    def treatment(self) -> Treatment:
        return _eligibility(self.type).treatment


@cache
def _eligibility(account_type: AccountType) -> Eligibility:
    # Eligibility is a pure function of the type; the engine asks for it once per lot piece.
    return eligibility(account_type)


def acquirer_domain(
    account: HouseholdAccount, policy: Policy, *, seller_owner: str | None = None
) -> str | None:
    """Whose losses a purchase in ``account`` can wash: IRC §1091(a); Pub 550; Rev. Rul. 2008-5.

    A separate taxpayer (irrevocable trust, custodial account) washes only its own losses. The
    household's taxable accounts, the taxpayer's and the spouse's, wash the return's losses; so
    does the seller's own IRA or Roth IRA (Rev. Rul. 2008-5), the seller's spouse's by policy
    ``spouse_ira_purchase_triggers``, employer plans by ``employer_plan_purchase_triggers`` and
    HSAs and 529s by ``hsa_529_purchase_triggers`` (for the spouse's plan, HSA or 529 both that
    flag and the spouse flag). The seller is the owner of the account the loss is sold in,
    ``seller_owner``; by default the taxpayer. ``None``: a purchase there washes nothing.
    """
    if account.separate_taxpayer:
        return account.id
    if account.role is Role.OTHER:
        return None
    if account.taxable:
        return HOUSEHOLD
    if not _covered_type(account.type, policy):
        return None
    own = account.role is Role.TAXPAYER if seller_owner is None else account.owner == seller_owner
    return HOUSEHOLD if own or policy.spouse_ira_purchase_triggers else None


def _covered_type(account_type: AccountType, policy: Policy) -> bool:
    """Whether a purchase in a tax-advantaged account of this type washes its owner's loss:
    an IRA always (Rev. Rul. 2008-5); a plan, HSA or 529 by policy (tax-rules.md §1)."""
    if account_type in IRA_TYPES:
        return True
    if account_type in EMPLOYER_PLAN_TYPES:
        return policy.employer_plan_purchase_triggers
    if account_type in HSA_529_TYPES:
        return policy.hsa_529_purchase_triggers
    return False  # pragma: no cover - every tax-advantaged type is one of the three sets


def candidate_domain(account: HouseholdAccount, policy: Policy) -> str | None:
    """The wash-sale domain whose losses a purchase in ``account`` may wash for some seller:
    ``acquirer_domain`` for a seller who owns the account. Whether it washes a given seller's
    loss is ``acquirer_domain(account, policy, seller_owner=...)`` (the spouse flag)."""
    return acquirer_domain(account, policy, seller_owner=account.owner)


def loss_domain(account: HouseholdAccount) -> str | None:
    """Whose return a loss realized here is tested on (None: no loss reaches any return here)."""
    return account.reported_on


def replacement_holding_from(*, washed_from: date, sold: date, acquired: date) -> date:
    """Holding period start of replacement shares: IRC §1223(3); tax-rules.md §2.

    The replacement counts every day on which the washed shares or the replacement shares were
    held, each day once: it starts ``d`` days before its own acquisition, where ``d`` is the days
    from the washed shares' holding-period start to the earlier of the sale and the replacement's
    acquisition, never negative (bought after the sale: the washed shares' whole holding period;
    bought between their acquisition and the sale: when they started; bought before: unchanged).
    """
    days = max(0, (min(sold, acquired) - washed_from).days)
    return acquired - timedelta(days=days)

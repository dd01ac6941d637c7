"""python manage.py seed_demo: a demo firm whose data is always current.

Every date is counted back from today (the as-of date), so the demo never goes stale. Every
row has a natural key and is written with update_or_create inside one transaction, so running
the command again changes nothing. Each household draws from its own seeded random stream
(named by its CRM id), so no household depends on the order in which others are made.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from advisors.demo import demo_second_factor
from advisors.models import Advisor, Firm, Role, Team
from clients.demo_reset import demo_households_reset, demo_list_version
from clients.models import (
    CENT,
    Account,
    AcquiredHow,
    Action,
    AssetClass,
    CarryforwardEntry,
    CarryforwardSource,
    Character,
    FilingStatus,
    Household,
    Person,
    PersonRole,
    Price,
    Replacement,
    Security,
    SecurityKind,
    TaxLot,
    TaxProfile,
    Transaction,
)
from clients.replacements import default_reason
from taxlogic.models import HarvestSettings
from taxlogic.rules.accounts import AccountType
from taxlogic.services import household_review_run

DEMO_PASSWORD = "harvest-demo"
DEMO_CARRY_REASON = "Demo: as on the prior year's return (Schedule D, carryover worksheet)."
FIRM_NAME, FIRM_SLUG, CRM_PREFIX = "Juniper Wealth Partners", "juniper-demo", "JWP"
HOUSEHOLD_COUNT = 40
PRICE_DAYS = 60  # daily closes for the last 60 days, month-end closes for five years before
MONTH_ENDS = 60

# username, first name, last name, role, team
STAFF = [
    ("alice", "Alice", "Nakamura", Role.TEAM_LEAD, "North"),
    ("ben", "Ben", "Okafor", Role.ADVISOR, "North"),
    ("carla", "Carla", "Reyes", Role.TEAM_LEAD, "South"),
    ("dev", "Dev", "Patel", Role.ADVISOR, "South"),
    ("fiona", "Fiona", "Walsh", Role.FIRM_ADMIN, None),
    ("cora", "Cora", "Lindqvist", Role.COMPLIANCE, None),
]
ADVISOR_USERNAMES = ["alice", "ben", "carla", "dev"]

SURNAMES = [
    "Garcia",
    "Whitfield",
    "Moreau",
    "Abernathy",
    "Kowalski",
    "Castellanos",
    "Lindgren",
    "Hartley",
    "Osei",
    "Brennan",
    "Duarte",
    "Fujimoto",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kaur",
    "Lombardi",
    "Mbeki",
    "Novak",
    "O'Connell",
    "Petrov",
    "Quintero",
    "Rasmussen",
    "Sato",
    "Tremblay",
    "Ueda",
    "Varga",
    "Whitaker",
    "Xu",
    "Yilmaz",
    "Zeller",
    "Achebe",
    "Bergstrom",
    "Caruso",
    "Delacroix",
    "Eriksen",
    "Farouk",
    "Gallagher",
    "Holm",
    "Iqbal",
]
FIRST_NAMES = [
    "Maria",
    "James",
    "Aisha",
    "Daniel",
    "Priya",
    "Thomas",
    "Elena",
    "Samuel",
    "Grace",
    "Noah",
    "Leila",
    "Owen",
    "Hannah",
    "Marcus",
    "Sofia",
    "Victor",
    "Ruth",
    "Kenji",
    "Amara",
    "Lucas",
]
CUSTODIANS = ["Schwab", "Fidelity", "Vanguard", "Pershing"]


@dataclass(frozen=True, slots=True)
class SecuritySpec:
    """A security and its made-up price path: ``price`` today, ``growth`` a year (so older lots
    tend to gain) and a ``swing`` of ``period`` days (so some recent lots lose)."""

    symbol: str
    name: str
    kind: str
    asset_class: str
    index: str
    price: float
    growth: float
    swing: float
    period: float
    phase: float
    same_as: str = ""
    cusip: str = ""


F, S, C = SecurityKind.FUND, SecurityKind.STOCK, SecurityKind.CRYPTO
US, INTL, BONDS = AssetClass.US_EQUITY, AssetClass.INTERNATIONAL_EQUITY, AssetClass.US_BONDS
TROUGH = -math.pi / 2  # today at the bottom of the swing: lots bought months ago are down
# The index each fund tracks, as its issuer names it (README.md, "The demo, run again"). Under
# the default policy only funds tracking the same index are substantially identical, so
# VTI (CRSP) and ITOT (S&P), or VXUS (FTSE) and IXUS (MSCI), are not.
SP500 = "S&P 500"
SECURITIES_INDEXES = {
    "VTI": "CRSP US Total Market",
    "ITOT": "S&P Total Market",
    "SCHB": "Dow Jones U.S. Broad Stock Market",
    "VXUS": "FTSE Global All Cap ex US",
    "IXUS": "MSCI ACWI ex USA IMI",
    "VEA": "FTSE Developed All Cap ex US",
    "IEFA": "MSCI EAFE IMI",
    "BND": "Bloomberg U.S. Aggregate Float Adjusted",
    "AGG": "Bloomberg U.S. Aggregate",
    "IUSB": "Bloomberg U.S. Universal",
}
IDX = SECURITIES_INDEXES
SECURITIES = [
    SecuritySpec(
        "VOO", "Vanguard S&P 500 ETF", F, US, SP500, 520, 0.12, 0.10, 250, TROUGH, cusip="922908363"
    ),
    SecuritySpec(
        "IVV",
        "iShares Core S&P 500 ETF",
        F,
        US,
        SP500,
        570,
        0.12,
        0.10,
        250,
        TROUGH,
        cusip="464287200",
    ),
    SecuritySpec("SPLG", "SPDR Portfolio S&P 500 ETF", F, US, SP500, 61, 0.12, 0.10, 250, TROUGH),
    SecuritySpec(
        "VFIAX",
        "Vanguard 500 Index Fund Admiral Shares",
        F,
        US,
        SP500,
        480,
        0.12,
        0.10,
        250,
        TROUGH,
        same_as="VOO",
    ),
    SecuritySpec(
        "VTI", "Vanguard Total Stock Market ETF", F, US, IDX["VTI"], 270, 0.11, 0.10, 250, -1.2
    ),
    SecuritySpec(
        "ITOT",
        "iShares Core S&P Total U.S. Stock Market ETF",
        F,
        US,
        IDX["ITOT"],
        120,
        0.11,
        0.10,
        250,
        -1.2,
    ),
    SecuritySpec(
        "SCHB",
        "Schwab U.S. Broad Market ETF",
        F,
        US,
        IDX["SCHB"],
        23,
        0.11,
        0.09,
        260,
        -1.0,
    ),
    SecuritySpec(
        "VXUS",
        "Vanguard Total International Stock ETF",
        F,
        INTL,
        IDX["VXUS"],
        62,
        0.04,
        0.12,
        300,
        TROUGH,
    ),
    SecuritySpec(
        "IXUS",
        "iShares Core MSCI Total International Stock ETF",
        F,
        INTL,
        IDX["IXUS"],
        70,
        0.04,
        0.12,
        300,
        TROUGH,
    ),
    SecuritySpec(
        "VEA",
        "Vanguard FTSE Developed Markets ETF",
        F,
        INTL,
        IDX["VEA"],
        50,
        0.05,
        0.10,
        280,
        0.3,
    ),
    SecuritySpec(
        "IEFA", "iShares Core MSCI EAFE ETF", F, INTL, IDX["IEFA"], 77, 0.05, 0.10, 280, 0.6
    ),
    SecuritySpec(
        "BND", "Vanguard Total Bond Market ETF", F, BONDS, IDX["BND"], 72, -0.02, 0.04, 330, TROUGH
    ),
    SecuritySpec(
        "AGG",
        "iShares Core U.S. Aggregate Bond ETF",
        F,
        BONDS,
        IDX["AGG"],
        98,
        -0.02,
        0.04,
        330,
        TROUGH,
    ),
    SecuritySpec(
        "IUSB",
        "iShares Core Total USD Bond Market ETF",
        F,
        BONDS,
        IDX["IUSB"],
        46,
        -0.01,
        0.03,
        330,
        0.5,
    ),
    SecuritySpec("AAPL", "Apple Inc.", S, US, "", 210, 0.20, 0.15, 200, 0.8, cusip="037833100"),
    SecuritySpec(
        "MSFT", "Microsoft Corporation", S, US, "", 430, 0.18, 0.10, 220, 1.5, cusip="594918104"
    ),
    SecuritySpec("NVDA", "NVIDIA Corporation", S, US, "", 120, 0.60, 0.20, 180, 0.2),
    SecuritySpec("INTC", "Intel Corporation", S, US, "", 22, -0.25, 0.15, 200, -0.5),
    SecuritySpec("XOM", "Exxon Mobil Corporation", S, US, "", 110, 0.05, 0.12, 240, 2.0),
    SecuritySpec("BTC", "Bitcoin", C, AssetClass.CRYPTO, "", 65000, 0.45, 0.30, 200, -1.0),
]
SPECS = {spec.symbol: spec for spec in SECURITIES}

# The firm's replacement list: same asset class, a different index, first choice first.
REPLACEMENTS = {
    "VOO": ["VTI", "SCHB"],
    "IVV": ["VTI", "SCHB"],
    "SPLG": ["VTI", "SCHB"],
    "VFIAX": ["VTI", "SCHB"],
    "VTI": ["SCHB", "VOO"],
    "ITOT": ["SCHB", "VOO"],
    "SCHB": ["VTI", "VOO"],
    "VXUS": ["VEA", "IEFA"],
    "IXUS": ["VEA", "IEFA"],
    "VEA": ["IEFA", "VXUS"],
    "IEFA": ["VEA", "IXUS"],
    "BND": ["IUSB"],
    "AGG": ["IUSB"],
    "IUSB": ["BND", "AGG"],
}

TAXABLE_POOL = [
    "VOO",
    "IVV",
    "VTI",
    "ITOT",
    "VXUS",
    "IXUS",
    "BND",
    "AGG",
    "AAPL",
    "MSFT",
    "NVDA",
    "INTC",
    "XOM",
    "SCHB",
    "VEA",
]
RETIREMENT_POOL = ["VOO", "SPLG", "VTI", "VXUS", "IEFA", "BND", "AGG", "IUSB", "VFIAX"]


def trading_day(day: date) -> date:
    """The day itself, or the Friday before a weekend."""
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


class Seeder:
    def __init__(self, as_of: date) -> None:
        self.as_of = as_of
        self.firm: Firm
        self.staff: dict[str, Advisor] = {}
        self.securities: dict[str, Security] = {}

    # --- prices -------------------------------------------------------------------------
    def close(self, symbol: str, day: date) -> Decimal:
        spec = SPECS[symbol]
        k = (self.as_of - day).days
        wave = 1 + spec.swing * math.sin(2 * math.pi * k / spec.period + spec.phase)
        factor = math.exp(-spec.growth * k / 365) * wave / (1 + spec.swing * math.sin(spec.phase))
        return Decimal(repr(round(spec.price * factor, 2))).quantize(CENT, rounding=ROUND_HALF_UP)

    def day(self, days_ago: int) -> date:
        return trading_day(self.as_of - timedelta(days=days_ago))

    def peak_day(self, symbol: str, earliest: int, latest: int) -> date:
        """The trading day between ``latest`` and ``earliest`` days ago with the highest close."""
        days = {self.day(k) for k in range(latest, earliest + 1)}
        return max(sorted(days), key=lambda d: self.close(symbol, d))

    def price_dates(self) -> list[date]:
        dates = {self.day(k) for k in range(PRICE_DAYS)}
        month_end = self.as_of.replace(day=1) - timedelta(days=1)
        for _ in range(MONTH_ENDS):
            dates.add(trading_day(month_end))
            month_end = month_end.replace(day=1) - timedelta(days=1)
        return sorted(dates)

    # --- reference data and people -----------------------------------------------------
    def seed_firm(self) -> None:
        self.firm, _ = Firm.objects.update_or_create(slug=FIRM_SLUG, defaults={"name": FIRM_NAME})
        teams = {
            name: Team.objects.get_or_create(firm=self.firm, name=name)[0]
            for name in ("North", "South")
        }
        for username, first, last, role, team in STAFF:
            person, _ = Advisor.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@{FIRM_SLUG}.example",
                    "firm": self.firm,
                    "team": teams[team] if team else None,
                    "role": role,
                    "is_active": True,
                },
            )
            # set_password salts anew each time: only when it would change, so reruns don't.
            if not person.check_password(DEMO_PASSWORD):
                person.set_password(DEMO_PASSWORD)
                person.save(update_fields=["password"])
            self.staff[username] = person
        HarvestSettings.objects.get_or_create(firm=self.firm)

    def seed_securities(self) -> None:
        for spec in SECURITIES:
            self.securities[spec.symbol], _ = Security.objects.update_or_create(
                symbol=spec.symbol,
                defaults={
                    "name": spec.name,
                    "kind": spec.kind,
                    "asset_class": spec.asset_class,
                    "tracked_index": spec.index,
                    "cusip": spec.cusip,
                    "same_as": None,
                },
            )
        for spec in SECURITIES:
            if spec.same_as:
                security = self.securities[spec.symbol]
                security.same_as = self.securities[spec.same_as]
                security.save(update_fields=["same_as"])
        for symbol, replacements in REPLACEMENTS.items():
            for rank, other in enumerate(replacements, start=1):
                entry = Replacement(
                    firm=self.firm,
                    security=self.securities[symbol],
                    replacement=self.securities[other],
                    rank=rank,
                    reason=default_reason(self.securities[symbol], self.securities[other]),
                )
                entry.clean()  # never a fund that tracks the same index
                Replacement.objects.update_or_create(
                    firm=self.firm,
                    security=entry.security,
                    replacement=entry.replacement,
                    defaults={"rank": rank, "reason": entry.reason},
                )
        self.list_version = demo_list_version(self.firm)

    def seed_prices(self) -> None:
        dates = self.price_dates()
        securities = list(self.securities.values())
        existing = {
            (p.security_id, p.date): p
            for p in Price.objects.filter(security__in=securities, date__in=dates)
        }
        new, changed = [], []
        for security in securities:
            for day in dates:
                close = self.close(security.symbol, day)
                price = existing.get((security.pk, day))
                if price is None:
                    new.append(Price(security=security, date=day, close=close))
                elif price.close != close:
                    price.close = close
                    changed.append(price)
        Price.objects.bulk_create(new, batch_size=500)
        Price.objects.bulk_update(changed, ["close"], batch_size=500)

    # --- households ---------------------------------------------------------------------
    def household(self, number: int, name: str, advisor: Advisor) -> Household:
        household, _ = Household.objects.update_or_create(
            firm=self.firm,
            external_crm_id=f"{CRM_PREFIX}-{number:04d}",
            defaults={"name": name, "team": advisor.team, "primary_advisor": advisor},
        )
        return household

    def person(self, household: Household, role: str, name: str, age: int) -> Person:
        born = date(self.as_of.year - age, 1 + age % 12, 1 + (age * 7) % 28)
        person, _ = Person.objects.update_or_create(
            household=household, name=name, defaults={"role": role, "date_of_birth": born}
        )
        return person

    def account(
        self, household: Household, owner: Person, type_: AccountType, custodian: str, last4: str
    ) -> Account:
        account, _ = Account.objects.update_or_create(
            household=household,
            custodian=custodian,
            masked_number=f"••••{last4}",
            defaults={"owner": owner, "type": type_.value},
        )
        return account

    def lot(
        self,
        account: Account,
        key: str,
        symbol: str,
        *,
        acquired: date,
        quantity: Decimal,
        fees: Decimal = Decimal("0.00"),
        how: str = AcquiredHow.PURCHASE,
        gift_date: date | None = None,
        sold: tuple[date, Decimal] | None = None,
        reinvested: bool = False,
    ) -> TaxLot:
        """A lot and the transactions that made it what it is (an opening one, maybe a sale)."""
        security = self.securities[symbol]
        price = self.close(symbol, acquired)
        basis = (quantity * price).quantize(CENT, rounding=ROUND_HALF_UP) + fees
        gift_value = None
        if how == AcquiredHow.GIFT:
            assert gift_date is not None
            gift_value = (quantity * self.close(symbol, gift_date)).quantize(CENT)
        open_quantity, open_basis = quantity, basis
        if sold is not None:
            sold_quantity = sold[1]
            open_quantity = quantity - sold_quantity
            open_basis = basis - (basis * sold_quantity / quantity).quantize(CENT, ROUND_HALF_UP)
        scope = {"firm": account.household.firm, "team": account.household.team}
        lot, _ = TaxLot.objects.update_or_create(
            account=account,
            external_id=key,
            defaults={
                **scope,
                "security": security,
                "original_quantity": quantity,
                "quantity": open_quantity,
                "cost_basis": open_basis,
                "acquired": acquired,
                "how_acquired": how,
                "gift_date": gift_date,
                "gift_value": gift_value,
                "holding_period_start": acquired,
                "wash_sale_adjustment": Decimal("0.00"),
            },
        )
        opened_on = gift_date if how == AcquiredHow.GIFT else acquired
        action = Action.BUY if how == AcquiredHow.PURCHASE else Action.TRANSFER_IN
        if reinvested:
            action = Action.REINVEST
        Transaction.objects.update_or_create(
            account=account,
            external_id=f"{key}-open",
            defaults={
                **scope,
                "security": security,
                "lot": lot,
                "trade_date": opened_on,
                "action": action,
                "quantity": quantity,
                "price": self.close(symbol, opened_on),
                "fees": fees,
                "amount": basis if action == Action.BUY else gift_value or basis,
                "basis_relieved": None,
            },
        )
        if sold is not None:
            sale_date, sold_quantity = sold
            sale_price = self.close(symbol, sale_date)
            Transaction.objects.update_or_create(
                account=account,
                external_id=f"{key}-sale",
                defaults={
                    **scope,
                    "security": security,
                    "lot": lot,
                    "trade_date": sale_date,
                    "action": Action.SELL,
                    "quantity": sold_quantity,
                    "price": sale_price,
                    "fees": Decimal("0.00"),
                    "amount": (sold_quantity * sale_price).quantize(CENT, ROUND_HALF_UP),
                    "basis_relieved": basis - open_basis,
                },
            )
        return lot

    def profile(
        self,
        household: Household,
        status: str,
        income: int,
        investment: int = 0,
        carry_short: int = 0,
        carry_long: int = 0,
    ) -> None:
        # The carryforward in goes to the ledger too, the taxpayer's (the prior year's return).
        taxpayer = household.people.get(role=PersonRole.TAXPAYER)
        carry = ((Character.SHORT_TERM, carry_short), (Character.LONG_TERM, carry_long))
        for character, amount in carry:
            if amount:
                CarryforwardEntry.objects.get_or_create(
                    household=household,
                    person=taxpayer,
                    tax_year=self.as_of.year,
                    character=character,
                    source=CarryforwardSource.ENTERED,
                    defaults={"amount": Decimal(amount), "reason": DEMO_CARRY_REASON},
                )
        TaxProfile.objects.update_or_create(
            household=household,
            tax_year=self.as_of.year,
            defaults={
                "filing_status": status,
                "expected_ordinary_income": Decimal(income),
                "investment_income": Decimal(investment),
                "carryforward_short_term": Decimal(carry_short),
                "carryforward_long_term": Decimal(carry_long),
            },
        )

    def advisor_for(self, number: int) -> Advisor:
        return self.staff[ADVISOR_USERNAMES[(number - 1) % len(ADVISOR_USERNAMES)]]

    # The households that show one situation each.
    def married_couple(self, n: int, surname: str) -> None:
        h = self.household(n, f"{surname} household", self.advisor_for(n))
        maria = self.person(h, PersonRole.TAXPAYER, f"Maria {surname}", 58)
        james = self.person(h, PersonRole.SPOUSE, f"James {surname}", 60)
        joint = self.account(h, maria, AccountType.TAXABLE_JOINT, "Schwab", "4411")
        self.lot(
            joint, f"{h.external_crm_id}-J1", "VOO", acquired=self.day(1400), quantity=Decimal(60)
        )
        self.lot(
            joint,
            f"{h.external_crm_id}-J2",
            "VOO",
            acquired=self.peak_day("VOO", 200, 90),
            quantity=Decimal(25),
        )
        self.lot(
            joint,
            f"{h.external_crm_id}-J3",
            "VXUS",
            acquired=self.peak_day("VXUS", 400, 120),
            quantity=Decimal(300),
        )
        self.lot(
            joint, f"{h.external_crm_id}-J4", "AAPL", acquired=self.day(900), quantity=Decimal(80)
        )
        self.lot(
            joint,
            f"{h.external_crm_id}-J5",
            "BND",
            acquired=self.peak_day("BND", 500, 200),
            quantity=Decimal(400),
        )
        # Sold at a loss and bought back within 30 days: a wash sale already this year.
        self.lot(
            joint,
            f"{h.external_crm_id}-J6",
            "VOO",
            acquired=self.peak_day("VOO", 200, 90),
            quantity=Decimal(10),
            sold=(self.day(50), Decimal(10)),
        )
        self.lot(
            joint, f"{h.external_crm_id}-J7", "VOO", acquired=self.day(40), quantity=Decimal(10)
        )
        for who, last4 in ((maria, "7720"), (james, "7721")):
            ira = self.account(h, who, AccountType.TRADITIONAL_IRA, "Fidelity", last4)
            self.lot(
                ira,
                f"{h.external_crm_id}-I{last4}",
                "VTI",
                acquired=self.day(2000),
                quantity=Decimal("110.5"),
            )
            if who == maria:
                # Maria's IRA reinvests its international fund's dividends every quarter.
                self.lot(
                    ira,
                    f"{h.external_crm_id}-D0",
                    "IXUS",
                    acquired=self.day(1500),
                    quantity=Decimal(90),
                )
                for days_ago in (85, 175):
                    self.lot(
                        ira,
                        f"{h.external_crm_id}-D{days_ago}",
                        "IXUS",
                        acquired=self.day(days_ago),
                        quantity=Decimal("0.812"),
                        reinvested=True,
                    )
        for who, last4 in ((maria, "3301"), (james, "3302")):
            plan = self.account(h, who, AccountType.K401, "Fidelity", last4)
            if who == james:
                # James's contributions buy the bond fund every two weeks.
                for days_ago in (8, 22):
                    self.lot(
                        plan,
                        f"{h.external_crm_id}-C{days_ago}",
                        "AGG",
                        acquired=self.day(days_ago),
                        quantity=Decimal("4.25"),
                    )
            self.lot(
                plan,
                f"{h.external_crm_id}-K{last4}",
                "VFIAX",
                acquired=self.day(700),
                quantity=Decimal("42.318"),
            )
            self.lot(
                plan,
                f"{h.external_crm_id}-K{last4}b",
                "AGG",
                acquired=self.peak_day("AGG", 300, 60),
                quantity=Decimal("75.004"),
            )
        self.profile(h, FilingStatus.MARRIED_JOINT, 310_000, 8_000)

    def plan_only_and_down(self, n: int, surname: str) -> None:
        h = self.household(n, f"{surname} household", self.advisor_for(n))
        owner = self.person(h, PersonRole.TAXPAYER, f"Daniel {surname}", 44)
        plan = self.account(h, owner, AccountType.K401, "Vanguard", "9051")
        self.lot(
            plan,
            f"{h.external_crm_id}-K1",
            "VXUS",
            acquired=self.peak_day("VXUS", 360, 100),
            quantity=Decimal("210.25"),
        )
        self.lot(
            plan,
            f"{h.external_crm_id}-K2",
            "BND",
            acquired=self.peak_day("BND", 360, 100),
            quantity=Decimal("150.5"),
        )
        self.profile(h, FilingStatus.SINGLE, 95_000)

    def wash_sale_trap(self, n: int, surname: str) -> None:
        h = self.household(n, f"{surname} household", self.advisor_for(n))
        owner = self.person(h, PersonRole.TAXPAYER, f"Elena {surname}", 51)
        taxable = self.account(h, owner, AccountType.TAXABLE_INDIVIDUAL, "Schwab", "2208")
        ira = self.account(h, owner, AccountType.TRADITIONAL_IRA, "Schwab", "2209")
        # Held at a loss in the taxable account, and bought again in the IRA 12 days ago.
        self.lot(
            taxable,
            f"{h.external_crm_id}-T1",
            "VOO",
            acquired=self.peak_day("VOO", 200, 90),
            quantity=Decimal(80),
        )
        self.lot(
            taxable,
            f"{h.external_crm_id}-T2",
            "MSFT",
            acquired=self.day(1100),
            quantity=Decimal(30),
        )
        # Sold at a loss 20 days ago, then bought in the IRA: that loss is gone for good.
        self.lot(
            taxable,
            f"{h.external_crm_id}-T0",
            "VOO",
            acquired=self.peak_day("VOO", 200, 90),
            quantity=Decimal(10),
            sold=(self.day(20), Decimal(10)),
        )
        self.lot(ira, f"{h.external_crm_id}-R1", "VOO", acquired=self.day(12), quantity=Decimal(15))
        self.profile(h, FilingStatus.SINGLE, 180_000, 4_000)

    def trust(self, n: int, surname: str) -> None:
        h = self.household(n, f"{surname} Family Trust", self.advisor_for(n))
        grantor = self.person(h, PersonRole.TAXPAYER, f"Victor {surname}", 72)
        revocable = self.account(h, grantor, AccountType.REVOCABLE_TRUST, "Pershing", "6100")
        irrevocable = self.account(h, grantor, AccountType.IRREVOCABLE_TRUST, "Pershing", "6101")
        self.lot(
            revocable,
            f"{h.external_crm_id}-V1",
            "IVV",
            acquired=self.day(1600),
            quantity=Decimal(120),
        )
        self.lot(
            revocable,
            f"{h.external_crm_id}-V2",
            "INTC",
            acquired=self.day(500),
            quantity=Decimal(400),
        )
        self.lot(
            irrevocable,
            f"{h.external_crm_id}-X1",
            "AGG",
            acquired=self.peak_day("AGG", 400, 150),
            quantity=Decimal(500),
        )
        self.lot(
            irrevocable,
            f"{h.external_crm_id}-X2",
            "XOM",
            acquired=self.day(800),
            quantity=Decimal(150),
        )
        self.profile(h, FilingStatus.SINGLE, 140_000, 22_000, carry_long=12_500)

    def custodial(self, n: int, surname: str) -> None:
        h = self.household(n, f"{surname} household", self.advisor_for(n))
        mother = self.person(h, PersonRole.TAXPAYER, f"Priya {surname}", 41)
        self.person(h, PersonRole.SPOUSE, f"Owen {surname}", 43)
        child = self.person(h, PersonRole.DEPENDENT, f"Leila {surname}", 9)
        utma = self.account(h, child, AccountType.CUSTODIAL, "Vanguard", "5150")
        college = self.account(h, child, AccountType.PLAN_529, "Vanguard", "5151")
        brokerage = self.account(h, mother, AccountType.TAXABLE_JOINT, "Vanguard", "5152")
        self.lot(
            utma, f"{h.external_crm_id}-U1", "VTI", acquired=self.day(1200), quantity=Decimal(20)
        )
        self.lot(
            utma, f"{h.external_crm_id}-U2", "NVDA", acquired=self.day(250), quantity=Decimal(10)
        )
        self.lot(
            college,
            f"{h.external_crm_id}-C1",
            "VOO",
            acquired=self.day(600),
            quantity=Decimal("12.75"),
        )
        self.lot(
            brokerage,
            f"{h.external_crm_id}-B1",
            "ITOT",
            acquired=self.peak_day("ITOT", 240, 80),
            quantity=Decimal(90),
        )
        self.profile(h, FilingStatus.MARRIED_JOINT, 220_000, 3_000)

    def gifts_and_sales(self, n: int, surname: str) -> None:
        h = self.household(n, f"{surname} household", self.advisor_for(n))
        owner = self.person(h, PersonRole.TAXPAYER, f"Ruth {surname}", 66)
        taxable = self.account(h, owner, AccountType.TAXABLE_INDIVIDUAL, "Fidelity", "8080")
        key = h.external_crm_id
        self.lot(
            taxable,
            f"{key}-G1",
            "MSFT",
            acquired=self.day(2600),
            quantity=Decimal(40),
            how=AcquiredHow.GIFT,
            gift_date=self.day(420),
        )
        self.lot(
            taxable,
            f"{key}-H1",
            "XOM",
            acquired=self.day(330),
            quantity=Decimal(200),
            how=AcquiredHow.INHERITED,
        )
        self.lot(
            taxable,
            f"{key}-S1",
            "AAPL",
            acquired=self.day(1000),
            quantity=Decimal(100),
            sold=(self.day(45), Decimal(40)),
        )
        # A stock that kept falling: a loss to harvest, with no fund on the replacement list.
        self.lot(taxable, f"{key}-L1", "INTC", acquired=self.day(600), quantity=Decimal(300))
        self.profile(h, FilingStatus.SINGLE, 75_000, 9_000, carry_short=4_200, carry_long=1_800)

    def low_income_retiree(self, n: int, surname: str) -> None:
        """A low-income year: long-term gains fit under the 0% rate."""
        h = self.household(n, f"{surname} household", self.advisor_for(n))
        owner = self.person(h, PersonRole.TAXPAYER, f"Grace {surname}", 67)
        taxable = self.account(h, owner, AccountType.TAXABLE_INDIVIDUAL, "Vanguard", "7007")
        ira = self.account(h, owner, AccountType.ROLLOVER_IRA, "Vanguard", "7008")
        key = h.external_crm_id
        self.lot(taxable, f"{key}-L1", "VTI", acquired=self.day(1500), quantity=Decimal(150))
        self.lot(taxable, f"{key}-L2", "MSFT", acquired=self.day(1100), quantity=Decimal(40))
        self.lot(taxable, f"{key}-L3", "NVDA", acquired=self.day(340), quantity=Decimal(20))
        self.lot(ira, f"{key}-R1", "BND", acquired=self.day(1300), quantity=Decimal(300))
        self.profile(h, FilingStatus.SINGLE, 24_000, 2_000)

    def ordinary(self, n: int, surname: str) -> None:
        rng = random.Random(f"{FIRM_SLUG}:{CRM_PREFIX}-{n:04d}")
        h = self.household(n, f"{surname} household", self.advisor_for(n))
        first = rng.choice(FIRST_NAMES)
        taxpayer = self.person(h, PersonRole.TAXPAYER, f"{first} {surname}", rng.randint(30, 78))
        married = rng.random() < 0.55
        spouse = None
        if married:
            spouse_first = rng.choice([f for f in FIRST_NAMES if f != first])
            spouse = self.person(
                h, PersonRole.SPOUSE, f"{spouse_first} {surname}", rng.randint(30, 78)
            )
        custodian = rng.choice(CUSTODIANS)
        accounts = [
            self.account(
                h,
                taxpayer,
                AccountType.TAXABLE_JOINT if married else AccountType.TAXABLE_INDIVIDUAL,
                custodian,
                f"{rng.randint(0, 9999):04d}",
            )
        ]
        retirement_types = [
            AccountType.TRADITIONAL_IRA,
            AccountType.ROTH_IRA,
            AccountType.K401,
            AccountType.ROLLOVER_IRA,
            AccountType.HSA,
            AccountType.ROTH_401K,
        ]
        for type_ in rng.sample(retirement_types, rng.randint(0, 3)):
            owner = spouse if spouse is not None and rng.random() < 0.4 else taxpayer
            accounts.append(self.account(h, owner, type_, custodian, f"{rng.randint(0, 9999):04d}"))
        for a, account in enumerate(accounts, start=1):
            taxable = account.type in (AccountType.TAXABLE_JOINT, AccountType.TAXABLE_INDIVIDUAL)
            pool = TAXABLE_POOL if taxable else RETIREMENT_POOL
            for lot_number in range(1, rng.randint(2, 5) + 1):
                symbol = rng.choice(pool)
                spec = SPECS[symbol]
                if spec.kind == SecurityKind.FUND and not taxable:
                    quantity = Decimal(rng.randint(5_000, 400_000)) / 1000
                else:
                    quantity = Decimal(rng.randint(5, 400))
                self.lot(
                    account,
                    f"{h.external_crm_id}-{a}-{lot_number}",
                    symbol,
                    acquired=self.day(rng.randint(20, 1800)),
                    quantity=quantity,
                    fees=Decimal("4.95") if rng.random() < 0.2 else Decimal("0.00"),
                )
        if rng.random() < 0.15:  # a little crypto in the taxable account
            self.lot(
                accounts[0],
                f"{h.external_crm_id}-BTC",
                "BTC",
                acquired=self.day(rng.randint(30, 900)),
                quantity=Decimal(rng.randint(5, 90)) / 100,
            )
        status = (
            FilingStatus.MARRIED_JOINT
            if married
            else rng.choice(
                [FilingStatus.SINGLE, FilingStatus.SINGLE, FilingStatus.HEAD_OF_HOUSEHOLD]
            )
        )
        carry = rng.random() < 0.25
        self.profile(
            h,
            status,
            rng.randrange(60_000, 600_000, 1_000),
            rng.randrange(0, 30_000, 500),
            carry_short=rng.randrange(500, 20_000, 100) if carry else 0,
            carry_long=rng.randrange(0, 40_000, 100) if carry else 0,
        )

    def seed_households(self, *, reset: bool = False) -> None:
        """Seed the demo households that do not exist yet; one that exists is left alone
        (with whatever was recorded since), unless ``reset`` removes them all first."""
        demo = Household.objects.filter(firm=self.firm, external_crm_id__startswith=CRM_PREFIX)
        if reset:
            demo_households_reset(demo)
        existing = set(demo.values_list("external_crm_id", flat=True))
        special = {
            1: self.married_couple,
            2: self.plan_only_and_down,
            3: self.wash_sale_trap,
            4: self.trust,
            5: self.custodial,
            6: self.gifts_and_sales,
            7: self.low_income_retiree,
        }
        for n, surname in enumerate(SURNAMES[:HOUSEHOLD_COUNT], start=1):
            if f"{CRM_PREFIX}-{n:04d}" not in existing:
                special.get(n, self.ordinary)(n, surname)


class Command(BaseCommand):
    help = (
        "Create a demo firm with people, households, lots and prices; demo households that "
        "exist are left alone (--reset removes them, with all recorded since, and seeds anew)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Remove the demo households entirely (transactions, reviews, plans, decisions, "
            "ledger) and seed them afresh.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        seeder = Seeder(timezone.localdate())
        with transaction.atomic():
            seeder.seed_firm()
            seeder.seed_securities()
            seeder.seed_prices()
            seeder.seed_households(reset=options.get("reset", False))
        # A plan for every household at once; unchanged data reuses the plan (idempotent).
        reviews = [
            household_review_run(
                household=household,
                tax_year=seeder.as_of.year,
                as_of=seeder.as_of,
                requested_by=None,
            )
            for household in Household.objects.filter(firm=seeder.firm)
        ]
        self.stdout.write(f"Demo firm {FIRM_NAME!r}, as of {seeder.as_of:%Y-%m-%d}:")
        self.stdout.write(
            f"  {Household.objects.filter(firm=seeder.firm).count()} households, "
            f"{TaxLot.objects.filter(firm=seeder.firm).count()} lots, "
            f"{Price.objects.count()} prices, "
            f"{sum(r.status == 'done' for r in reviews)} action plans"
        )
        self.stdout.write("")
        self.stdout.write(f"  {'login':<8} {'password':<14} {'role':<20} team")
        for username, _first, _last, role, team in STAFF:
            self.stdout.write(f"  {username:<8} {DEMO_PASSWORD:<14} {role.label:<20} {team or '—'}")
        # The second factor (advisors/demo.py): a known authenticator key per login.
        for line in demo_second_factor(seeder.staff.values()):
            self.stdout.write(line)

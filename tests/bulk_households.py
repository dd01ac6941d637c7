"""Generated households in bulk, written with PostgreSQL's COPY: the integration tests use a few
hundred, benchmarks/year_end.py ten thousand (3 million lots).

Every household has a taxpayer (a spouse in half of them), a taxable account and a traditional
IRA, a tax profile for the tax year, open lots over a shared universe of funds and stocks (about
15% at a loss, mostly the recent ones; every fund has a replacement on the firm's list),
purchases inside the wash-sale look-back window (each with its buy transaction) and partial
sales of older lots. The rows obey every constraint of clients/models.py. ``broken`` households
have no tax profile, so that their review fails with a message (bad data).
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction

from advisors.models import Advisor, Firm, Role, Team
from clients.models import (
    AssetClass,
    Price,
    Replacement,
    Security,
    SecurityKind,
)
from taxlogic.rules.accounts import AccountType, treatment_of

GROUPS = 20  # index groups: two funds tracking the same index, and a replacement each
STOCKS = 60
WINDOW_DAYS = 30
BLOCK = 20_000  # rows per COPY write
GROWTH, NOISE = 1.08, 0.18  # prices: the market's yearly growth, and a lot's spread around it


@dataclass
class Seeded:
    firm: Firm
    teams: list[Team]
    advisors: list[Advisor]
    households: list[int] = field(default_factory=list)
    broken: list[int] = field(default_factory=list)
    lots: int = 0
    transactions: int = 0


def _uuids(n: int) -> Iterator[str]:
    raw = os.urandom(16 * n).hex()
    for i in range(n):
        yield raw[32 * i : 32 * (i + 1)]


def _universe(as_of: date, rng: random.Random) -> tuple[list[Security], dict[int, float]]:
    """The shared securities (created once per database) and a close on ``as_of`` for each."""
    wanted: list[Security] = []
    for g in range(GROUPS):
        for suffix in ("A", "B"):
            wanted.append(
                Security(
                    symbol=f"YF{g:02d}{suffix}",
                    name=f"Year-end fund {g} {suffix}",
                    kind=SecurityKind.FUND,
                    asset_class=AssetClass.US_EQUITY,
                    tracked_index=f"Year-end index {g}",
                )
            )
        wanted.append(
            Security(
                symbol=f"YR{g:02d}",
                name=f"Year-end replacement {g}",
                kind=SecurityKind.FUND,
                asset_class=AssetClass.US_EQUITY,
                tracked_index=f"Year-end alternative index {g}",
            )
        )
    for s in range(STOCKS):
        wanted.append(
            Security(
                symbol=f"YS{s:03d}",
                name=f"Year-end stock {s}",
                kind=SecurityKind.STOCK,
                asset_class=AssetClass.US_EQUITY,
            )
        )
    Security.objects.bulk_create(wanted, ignore_conflicts=True)
    securities = list(Security.objects.filter(symbol__in=[s.symbol for s in wanted]))
    closes: dict[int, float] = {}
    prices = []
    for security in securities:
        # The same close for a symbol in every run, whatever the seed: prices are shared.
        close = round(20 + (sum(map(ord, security.symbol)) * 37) % 280 + 0.25, 2)
        closes[security.pk] = close
        prices.append(Price(security=security, date=as_of, close=Decimal(f"{close:.2f}")))
    Price.objects.bulk_create(prices, ignore_conflicts=True)
    stored = dict(
        Price.objects.filter(security__in=securities, date=as_of).values_list(
            "security_id", "close"
        )
    )
    return securities, {pk: float(stored[pk]) for pk in closes}


def _firm(slug: str, teams: int, advisors_per_team: int) -> tuple[Firm, list[Team], list[Advisor]]:
    firm, _ = Firm.objects.get_or_create(slug=slug, defaults={"name": f"Firm {slug}"})
    team_rows = [
        Team.objects.get_or_create(firm=firm, name=f"Team {t + 1}")[0] for t in range(teams)
    ]
    people = []
    for t, team in enumerate(team_rows):
        for a in range(advisors_per_team):
            username = f"{slug}-t{t + 1}-a{a + 1}"
            advisor = Advisor.objects.filter(username=username).first()
            if advisor is None:
                advisor = Advisor(
                    username=username,
                    first_name=f"Advisor{a + 1}",
                    last_name=f"Team{t + 1}",
                    firm=firm,
                    team=team,
                    role=Role.ADVISOR,
                )
                advisor.set_unusable_password()
                advisor.save()
            people.append(advisor)
    return firm, team_rows, people


def _next_ids(cursor: object, tables: list[str]) -> dict[str, int]:
    out = {}
    for table in tables:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
        out[table] = cursor.fetchone()[0]
    return out


def _copy(cursor: object, table: str, columns: str, rows: Iterator[str]) -> int:
    count = 0
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        block: list[str] = []
        for line in rows:
            block.append(line)
            if len(block) >= BLOCK:
                copy.write("".join(block))
                count += len(block)
                block.clear()
        if block:
            copy.write("".join(block))
            count += len(block)
    return count


def seed_firm(
    *,
    slug: str,
    households: int,
    tax_year: int,
    as_of: date,
    lots_per_household: int = 30,
    transactions_per_household: int = 6,
    teams: int = 3,
    advisors_per_team: int = 3,
    broken: int = 0,
    seed: int = 1,
) -> Seeded:
    """Write ``households`` generated households of the firm ``slug`` (created if missing)."""
    assert connection.vendor == "postgresql", "COPY needs PostgreSQL"
    rng = random.Random(seed)
    firm, team_rows, people = _firm(slug, teams, advisors_per_team)
    securities, closes = _universe(as_of, rng)
    funds = [s for s in securities if s.symbol.startswith("YF")]
    stocks = [s for s in securities if s.symbol.startswith("YS")]
    by_symbol = {s.symbol: s for s in securities}
    Replacement.objects.bulk_create(
        [
            Replacement(firm=firm, security=f, replacement=by_symbol[f"YR{f.symbol[2:4]}"], rank=1)
            for f in funds
        ],
        ignore_conflicts=True,
    )
    window = date(tax_year, 1, 1) - timedelta(days=WINDOW_DAYS)
    window_days = max((as_of - window).days, 1)
    old_start = window - timedelta(days=5 * 365)
    old_days = (window - old_start).days - 1
    now = datetime.now(UTC).isoformat()
    result = Seeded(firm=firm, teams=team_rows, advisors=people)
    n_buys = min(int(transactions_per_household * 0.7), lots_per_household)
    n_sells = transactions_per_household - n_buys
    taxable = AccountType.TAXABLE_INDIVIDUAL
    ira = AccountType.TRADITIONAL_IRA

    with transaction.atomic(), connection.cursor() as cursor:
        ids = _next_ids(
            cursor,
            [
                "clients_household",
                "clients_person",
                "clients_account",
                "clients_taxlot",
                "clients_transaction",
                "clients_taxprofile",
            ],
        )
        hh0, person0, account0 = (
            ids["clients_household"],
            ids["clients_person"],
            ids["clients_account"],
        )
        broken_set = set(rng.sample(range(households), broken)) if broken else set()
        plan: list[tuple[int, Advisor, bool]] = []  # household id, advisor, spouse
        for h in range(households):
            advisor = people[h % len(people)]
            plan.append((hh0 + h, advisor, rng.random() < 0.5))
        result.households = [hid for hid, _, _ in plan]
        result.broken = [hh0 + h for h in sorted(broken_set)]
        uuid_iter = _uuids(households * 8)

        def household_rows() -> Iterator[str]:
            for h, (hid, advisor, _) in enumerate(plan):
                team = advisor.team_id if advisor.team_id else "\\N"
                yield (
                    f"{hid}\t{next(uuid_iter)}\t{slug} household {h + 1:05d}\t\t{now}\t{now}\t"
                    f"{firm.pk}\t{advisor.pk}\t{team}\t\n"
                )

        _copy(
            cursor,
            "clients_household",
            "id, public_id, name, external_crm_id, created, updated, firm_id, "
            "primary_advisor_id, team_id, notes",
            household_rows(),
        )

        # People: the taxpayer's id is person0 + 2h, the spouse's person0 + 2h + 1.
        def people_rows() -> Iterator[str]:
            for h, (hid, _, spouse) in enumerate(plan):
                yield (
                    f"{person0 + 2 * h}\t{next(uuid_iter)}\ttaxpayer\tTaxpayer {h + 1}\t"
                    f"1965-04-0{1 + h % 9}\t{hid}\t{now}\tf\n"
                )
                if spouse:
                    yield (
                        f"{person0 + 2 * h + 1}\t{next(uuid_iter)}\tspouse\tSpouse {h + 1}\t"
                        f"\\N\t{hid}\t{now}\tf\n"
                    )

        _copy(
            cursor,
            "clients_person",
            "id, public_id, role, name, date_of_birth, household_id, updated, blind",
            people_rows(),
        )

        # Accounts: the taxable one is account0 + 2h, the IRA account0 + 2h + 1.
        def account_rows() -> Iterator[str]:
            for h, (hid, _, _) in enumerate(plan):
                owner = person0 + 2 * h
                for k, kind in enumerate((taxable, ira)):
                    masked = f"••••{(h * 2 + k) % 10000:04d}"
                    yield (
                        f"{account0 + 2 * h + k}\t{next(uuid_iter)}\tSchwab\t{masked}\t"
                        f"{kind.value}\t{treatment_of(kind).value}\t{hid}\t{owner}\t{now}\t"
                        "\tfifo\tf\tf\n"
                    )

        _copy(
            cursor,
            "clients_account",
            "id, public_id, custodian, masked_number, type, treatment, household_id, owner_id, "
            "updated, account_number, relief_method, average_basis, held_away",
            account_rows(),
        )

        def profile_rows() -> Iterator[str]:
            pid = ids["clients_taxprofile"]
            for h, (hid, _, spouse) in enumerate(plan):
                if h in broken_set:
                    continue
                status = "married_joint" if spouse else "single"
                income = 60_000 + (h * 7919) % 400_000
                carry = (h * 104_729) % 9 * 1_000
                yield (
                    f"{pid}\t{next(uuid_iter)}\t{tax_year}\t{status}\t{income}.00\t"
                    f"{(h * 31) % 20_000}.00\t{carry}.00\t0.00\t{hid}\t{now}\t0.5\t\n"
                )
                pid += 1

        _copy(
            cursor,
            "clients_taxprofile",
            "id, public_id, tax_year, filing_status, expected_ordinary_income, "
            "investment_income, carryforward_short_term, carryforward_long_term, household_id, "
            "updated, joint_taxpayer_share, notes",
            profile_rows(),
        )

        lot_id = ids["clients_taxlot"]
        tx_id = ids["clients_transaction"]
        lot_lines: list[str] = []
        tx_lines: list[str] = []
        lot_uuids = _uuids(households * lots_per_household)
        tx_uuids = _uuids(households * (n_buys + n_sells))

        def flush() -> None:
            result.lots += _copy(
                cursor,
                "clients_taxlot",
                "id, public_id, external_id, original_quantity, quantity, cost_basis, acquired, "
                "how_acquired, gift_date, gift_value, holding_period_start, "
                "wash_sale_adjustment, account_id, firm_id, security_id, team_id, updated, "
                "broker_wash_applied",
                iter(lot_lines),
            )
            result.transactions += _copy(
                cursor,
                "clients_transaction",
                "id, public_id, external_id, trade_date, action, quantity, price, fees, amount, "
                "basis_relieved, recorded_at, account_id, firm_id, lot_id, recorded_by_id, "
                "security_id, team_id",
                iter(tx_lines),
            )
            lot_lines.clear()
            tx_lines.clear()

        for h, (_hid, advisor, _) in enumerate(plan):
            team = advisor.team_id if advisor.team_id else "\\N"
            held = rng.sample(funds, 8) + rng.sample(stocks, 12)
            accounts = (account0 + 2 * h, account0 + 2 * h + 1)
            sells_left = n_sells
            for i in range(lots_per_household):
                security = held[i % len(held)]
                close = closes[security.pk]
                account = accounts[0] if i % 5 else accounts[1]
                quantity = rng.randint(1, 400)
                recent = i >= lots_per_household - n_buys
                if recent:
                    acquired = window + timedelta(days=rng.randrange(window_days))
                else:
                    acquired = old_start + timedelta(days=rng.randrange(old_days))
                # A market rising 8% a year, with noise: old lots mostly at a gain, recent
                # ones about half at a loss (some 15% of all lots at a loss).
                years = (as_of - acquired).days / 365
                per_share = close / GROWTH**years * rng.lognormvariate(0, NOISE)
                basis = round(quantity * per_share, 2)
                open_quantity, open_basis = quantity, basis
                if not recent and sells_left and acquired < window:
                    sold = rng.randint(1, quantity)
                    sold_basis = round(basis * sold / quantity, 2)
                    open_quantity, open_basis = quantity - sold, round(basis - sold_basis, 2)
                    day = window + timedelta(days=rng.randrange(window_days))
                    proceeds = round(sold * close * rng.uniform(0.9, 1.1), 2)
                    tx_lines.append(
                        f"{tx_id}\t{next(tx_uuids)}\t\t{day.isoformat()}\tsell\t{sold}\t"
                        f"{proceeds / sold:.6f}\t0.00\t{proceeds:.2f}\t{sold_basis:.2f}\t{now}\t"
                        f"{account}\t{firm.pk}\t{lot_id}\t\\N\t{security.pk}\t{team}\n"
                    )
                    tx_id += 1
                    sells_left -= 1
                elif not recent and rng.random() < 0.04:
                    open_quantity, open_basis = 0, 0.0  # sold long ago
                lot_lines.append(
                    f"{lot_id}\t{next(lot_uuids)}\t\t{quantity}\t{open_quantity}\t"
                    f"{open_basis:.2f}\t{acquired.isoformat()}\tpurchase\t\\N\t\\N\t"
                    f"{acquired.isoformat()}\t0.00\t{account}\t{firm.pk}\t{security.pk}\t"
                    f"{team}\t{now}\tf\n"
                )
                if recent:
                    tx_lines.append(
                        f"{tx_id}\t{next(tx_uuids)}\t\t{acquired.isoformat()}\tbuy\t{quantity}\t"
                        f"{per_share:.6f}\t0.00\t{basis:.2f}\t\\N\t{now}\t{account}\t{firm.pk}\t"
                        f"{lot_id}\t\\N\t{security.pk}\t{team}\n"
                    )
                    tx_id += 1
                lot_id += 1
            if len(lot_lines) >= 200_000:
                flush()
        flush()
        for table in (
            "clients_household",
            "clients_person",
            "clients_account",
            "clients_taxlot",
            "clients_transaction",
            "clients_taxprofile",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
    with connection.cursor() as cursor:
        for table in ("clients_household", "clients_taxlot", "clients_transaction"):
            cursor.execute(f"ANALYZE {table}")
    return result

"""Reviews: load a household into the rule engine, run the planner, keep the plan; and the
decisions advisors make on it. The only code that does both ORM and engine work.

How stored lots and transactions become the engine's history (``household_inputs``):

- The look-back window starts 30 days before the tax year (the earliest purchase that can wash
  a sale of the year) and ends on the as-of date.
- A lot opened by a purchase or dividend reinvestment inside the window is a *buy trade* whose
  id is the lot's public id, at the amount paid. Its stored wash-sale adjustment is ignored:
  the engine recomputes every wash sale of the window, household-wide.
- Every other lot is a *starting lot* as it stood when the window opened: what is open now plus
  what the window's sales took from it, at basis + wash-sale adjustment (the custodian's, from
  before the window). A lot acquired before the window starts its holding period at its stored
  holding-period start (which includes any tacked-on period); it is too old to be a replacement.
- A lot whose adjustment the custodian applied (``broker_wash_applied``: same account, same
  CUSIP, Form 1099-B box 1g) is always a starting lot, bought in the window or not, and says so:
  ``broker_wash_adjustment`` is that adjustment as the window found it (sales relieve it pro
  rata). The engine then does not add it again for a wash sale of the window it covers, and
  keeps it where its loss sale came before the window (taxlogic/rules/broker_wash.py).
- A sale inside the window is a *sell trade* naming the lot it relieved (specific
  identification), at its net proceeds. Transfers out are not sales: their shares count as
  gone before the window, and a lot transferred in is a starting lot.
- Recurring purchases the planner must know about: a dividend reinvestment in the last 400 days
  (the fund's reinvestment is on), and two or more purchases of a fund in an employer plan in
  the last 120 days (the contribution allocation buys it).

The snapshot (a case in the engine's JSON format plus the planner's settings) is stored with
the review; its SHA-256 with the engine version makes re-running unchanged data a no-op.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import CharField, F, Q
from django.db.models.functions import Cast
from django.utils import timezone

from advisors import scoping
from advisors.models import Advisor, ApiClient, Firm, WebhookEndpoint, WebhookEvent
from advisors.webhooks import webhooks_emit
from clients import page_cache
from clients.ledger import carryforward_roll, carryforward_snapshot, ledger_in
from clients.models import (
    Account,
    AcquiredHow,
    Action,
    Household,
    Person,
    PersonRole,
    ReliefMethod,
    Replacement,
    Security,
    TaxLot,
    TaxProfile,
    Transaction,
)
from clients.replacements import replacement_list_versions
from clients.selectors import latest_close
from taxlogic import bulk
from taxlogic.fields import EncodedJSON, canonical_json
from taxlogic.models import (
    ActionPlan,
    Decision,
    HarvestSettings,
    PlanChange,
    PlanStatus,
    Recommendation,
    RecommendationDecision,
    RecommendationStatus,
    Review,
    ReviewStatus,
)
from taxlogic.planned import outside_gains, planned_sums
from taxlogic.rules.accounts import EMPLOYER_PLAN_TYPES, SEPARATE_TAXPAYER_TYPES, AccountType
from taxlogic.rules.cases import CaseError
from taxlogic.rules.harvest import Plan, Recurring, plan_from_snapshot
from taxlogic.rules.lots import to_cents
from taxlogic.rules.reasons import Reason
from taxlogic.rules.version import ENGINE_VERSION
from taxlogic.rules.wash_sales import WINDOW_DAYS, EngineError

log = logging.getLogger(__name__)

Actor = Advisor | ApiClient
DRIP_LOOKBACK = timedelta(days=400)
CONTRIBUTION_LOOKBACK = timedelta(days=120)
# A queued or running review older than this is taken to be lost (a worker died).
STALE_REVIEW = timedelta(minutes=15)
_OPENING = (Action.BUY, Action.REINVEST)


# --- firm settings ----------------------------------------------------------------------------


def harvest_settings_get(*, firm_id: int) -> HarvestSettings:
    """The firm's settings, created at their defaults the first time they are asked for."""
    found, _ = HarvestSettings.objects.get_or_create(firm_id=firm_id)
    return found


@transaction.atomic
def harvest_settings_update(*, user: Actor, firm: Firm, changes: dict[str, Any]) -> HarvestSettings:
    """Change a firm's thresholds, policy flags or year-end schedule (firm admins only)."""
    if not scoping.writable(user, Firm).filter(pk=firm.pk).exists():
        raise PermissionDenied("Only the firm's admins change its harvest settings.")
    found = HarvestSettings.objects.select_for_update().get(
        pk=harvest_settings_get(firm_id=firm.pk).pk
    )
    allowed = {
        "min_loss_dollars",
        "min_loss_percent",
        "second_approval_above",  # maker-checker (issue 15)
        "policy",
        "time_zone",
        "run_dates",
        "run_time",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This setting cannot be changed."))
    for name, value in changes.items():
        setattr(found, name, value)
    found.updated_by = user if isinstance(user, Advisor) else None
    found.full_clean()
    found.save()
    return found


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Inputs:
    """A household as the engine sees it (``snapshot``), and the way back from the engine's ids
    to rows: public ids to lot and account keys, symbols to security keys."""

    snapshot: EncodedJSON
    lots: dict[str, int]
    accounts: dict[str, int]
    securities: dict[str, int]

    @property
    def digest(self) -> str:
        return inputs_hash(self.snapshot)


def inputs_hash(snapshot: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``{"engine": ENGINE_VERSION, "inputs": snapshot}``,
    put together from the snapshot's own encoding when it has one (it is stored so)."""
    encoded = snapshot.encoded if isinstance(snapshot, EncodedJSON) else canonical_json(snapshot)
    digest = hashlib.sha256(b'{"engine":')
    digest.update(canonical_json(ENGINE_VERSION))
    digest.update(b',"inputs":')
    digest.update(encoded)
    digest.update(b"}")
    return digest.hexdigest()


def _text(value: Decimal) -> str:
    return f"{value.normalize():f}" if value else "0"


def account_label(account: Account) -> str:
    """How plans name an account: custodian, masked number, kind and its owner's first name."""
    first = account.owner.name.split()[0] if account.owner.name else ""
    who = f", {first}" if first else ""
    return f"{account.custodian} {account.masked_number} ({account.type_label}{who})"


_LOT_FIELDS = (
    "id",
    "public",
    "external_id",
    "account_id",
    "quantity",
    "original_quantity",
    "cost_basis",
    "wash_sale_adjustment",
    "broker_wash_applied",
    "acquired",
    "holding_period_start",
    "how_acquired",
    "gift_date",
    "gift_value",
)
_TRANSACTION_FIELDS = (
    "id",
    "public",
    "lot_id",
    "account_id",
    "action",
    "trade_date",
    "quantity",
    "amount",
    "basis_relieved",
)


@dataclass(slots=True)
class _Rows:
    """What the bulk queries of ``households_inputs`` found, by household."""

    people: dict[int, list[Person]] = field(default_factory=dict)
    profiles: dict[int, TaxProfile] = field(default_factory=dict)
    accounts: dict[int, list[Account]] = field(default_factory=dict)
    transactions: dict[int, list[Any]] = field(default_factory=dict)
    lots: dict[int, list[Any]] = field(default_factory=dict)
    recurring: dict[int, list[tuple[int, str, str, date]]] = field(default_factory=dict)
    # The carryforward ledger for the year (clients/ledger.py), and each firm's list version.
    ledger: dict[int, dict[int, Any]] = field(default_factory=dict)
    list_versions: dict[int, int] = field(default_factory=dict)


def _public_text() -> Any:
    """``public_id`` as its canonical text, made by PostgreSQL (thousands of rows a household:
    no UUID objects built to be turned back into text); elsewhere the UUID, for ``str``."""
    if connection.vendor == "postgresql":
        return Cast("public_id", output_field=CharField())
    return F("public_id")


def household_inputs(household: Household, *, tax_year: int, as_of: date) -> Inputs:
    """The household on ``as_of`` as engine inputs (see the module docstring for the mapping),
    in a fixed number of queries. Raises ValidationError when it cannot be reviewed."""
    found = households_inputs([household], tax_year=tax_year, as_of=as_of)[household.pk]
    if isinstance(found, ValidationError):
        raise found
    return found


def households_inputs(
    households: Sequence[Household], *, tax_year: int, as_of: date
) -> dict[int, Inputs | ValidationError]:
    """Engine inputs of each household (by pk), or the ValidationError that says why it cannot
    be reviewed: eleven queries whatever the number of households (a year-end chunk loads its
    fifty households at once)."""
    if not households:
        return {}
    window = date(tax_year, 1, 1) - timedelta(days=WINDOW_DAYS)
    ids = [h.pk for h in households]
    rows = _Rows()
    for person in Person.objects.filter(household_id__in=ids).order_by(
        "household_id", "role", "name", "id"
    ):
        rows.people.setdefault(person.household_id, []).append(person)
    for profile in (
        TaxProfile.objects.filter(household_id__in=ids, tax_year__lte=tax_year)
        .annotate(**planned_sums(tax_year))  # planned gains outside our accounts (issue 15)
        .order_by("household_id", "-tax_year")
    ):
        rows.profiles.setdefault(profile.household_id, profile)
    household_of: dict[int, int] = {}
    plans: set[int] = set()
    for account in (
        Account.objects.filter(household_id__in=ids)
        .select_related("owner")
        .order_by("household_id", "treatment", "type", "custodian", "masked_number", "id")
    ):
        rows.accounts.setdefault(account.household_id, []).append(account)
        household_of[account.pk] = account.household_id
        if AccountType(account.type) in EMPLOYER_PLAN_TYPES:
            plans.add(account.pk)
    account_ids = list(household_of)

    # Plain rows, not model instances: a household can hold thousands of lots (year-end runs).
    window_trades = (
        Transaction.objects.filter(
            account_id__in=account_ids, trade_date__gte=window, trade_date__lte=as_of
        )
        # A correction (a reversal and the transaction it reverses) leaves the lots as if
        # neither happened; the re-entry is a transaction of its own.
        .exclude(action=Action.REVERSAL)
        .exclude(reversals__isnull=False)
    )
    in_window = list(
        window_trades.order_by("trade_date", "id")
        .annotate(symbol=F("security__symbol"), public=_public_text())
        .values_list(*_TRANSACTION_FIELDS, "symbol", named=True)
    )
    for t in in_window:
        rows.transactions.setdefault(household_of[t.account_id], []).append(t)
    # The lots those trades opened or sold, held or not: named by a subquery (a chunk's trades
    # name thousands of lots, too many to send as parameters).
    referenced = window_trades.filter(lot__isnull=False).values("lot_id")
    for lot in (
        TaxLot.objects.filter(account_id__in=account_ids, acquired__lte=as_of)
        .filter(Q(quantity__gt=0) | Q(pk__in=referenced))
        .order_by("acquired", "id")
        .annotate(
            public=_public_text(),
            symbol=F("security__symbol"),
            tracked_index=F("security__tracked_index"),
            same_as_id=F("security__same_as_id"),
        )
        .values_list(*_LOT_FIELDS, "symbol", "tracked_index", "same_as_id", named=True)
    ):
        rows.lots.setdefault(household_of[lot.account_id], []).append(lot)
    for account_id, symbol, action, day in Transaction.objects.filter(
        Q(action=Action.REINVEST, trade_date__gte=as_of - DRIP_LOOKBACK)
        | Q(action=Action.BUY, account__in=plans, trade_date__gte=as_of - CONTRIBUTION_LOOKBACK),
        account_id__in=account_ids,
        trade_date__lte=as_of,
    ).values_list("account_id", "security__symbol", "action", "trade_date"):
        rows.recurring.setdefault(household_of[account_id], []).append(
            (account_id, symbol, action, day)
        )

    # Reference data for all of them at once: the firm's settings and replacement list, and
    # every security any of them needs, with its last close.
    held = {lot.symbol for lots in rows.lots.values() for lot in lots}
    firms = {h.firm_id for h in households}
    firm_settings = {firm_id: harvest_settings_get(firm_id=firm_id) for firm_id in firms}
    replacements: dict[int, dict[str, list[str]]] = {firm_id: {} for firm_id in firms}
    for firm_id, symbol, other in (
        Replacement.objects.filter(firm_id__in=firms, security__symbol__in=held)
        .order_by("security__symbol", "rank", "replacement__symbol")
        .values_list("firm_id", "security__symbol", "replacement__symbol")
    ):
        replacements[firm_id].setdefault(symbol, []).append(other)
    rows.ledger = ledger_in(ids, tax_year=tax_year)
    rows.list_versions = replacement_list_versions(firms)
    indexes = {lot.tracked_index for lots in rows.lots.values() for lot in lots} - {""}
    related = {lot.same_as_id for lots in rows.lots.values() for lot in lots} - {None}
    wanted = held | {s for lists in replacements.values() for o in lists.values() for s in o}
    securities = list(
        Security.objects.filter(
            Q(symbol__in=wanted)
            | Q(tracked_index__in=indexes)
            | Q(same_as__symbol__in=held)
            | Q(pk__in=related)
        )
        .select_related("same_as")
        .annotate(close=latest_close("close", as_of, "pk"))
        .order_by("symbol")
    )

    out: dict[int, Inputs | ValidationError] = {}
    for household in households:
        try:
            out[household.pk] = _inputs_of(
                household,
                rows,
                tax_year=tax_year,
                as_of=as_of,
                window=window,
                firm_settings=firm_settings[household.firm_id],
                firm_replacements=replacements[household.firm_id],
                securities=securities,
            )
        except ValidationError as error:
            out[household.pk] = error
    return out


def _inputs_of(
    household: Household,
    rows: _Rows,
    *,
    tax_year: int,
    as_of: date,
    window: date,
    firm_settings: HarvestSettings,
    firm_replacements: dict[str, list[str]],
    securities: list[Security],
) -> Inputs:
    """One household's inputs from the rows loaded for its batch."""
    notes: list[Reason] = []
    people = rows.people.get(household.pk, [])
    taxpayer = next((p for p in people if p.role == PersonRole.TAXPAYER), None)
    if taxpayer is None:
        raise ValidationError("The household has no taxpayer: add one before running a review.")
    profile = rows.profiles.get(household.pk)
    if profile is None:
        raise ValidationError(
            f"The household has no tax profile for {tax_year}: add its filing status and income "
            "on the household's tax-profile page."
        )
    if profile.tax_year != tax_year:
        notes.append(
            Reason(
                "older_tax_profile",
                f"There is no tax profile for {tax_year}: the {profile.tax_year} profile's filing "
                "status, income and carryforward are used. Update it for a reliable plan.",
                "—",
            )
        )

    accounts = rows.accounts.get(household.pk, [])
    people_json = [
        _person_json(p) for p in people if p.role in (PersonRole.TAXPAYER, PersonRole.SPOUSE)
    ]
    dependents = {p.pk for p in people if p.role not in (PersonRole.TAXPAYER, PersonRole.SPOUSE)}
    accounts_json = []
    for account in accounts:
        owner = account.owner
        owner_id = str(owner.public_id)
        if owner.pk in dependents:
            if AccountType(account.type) in SEPARATE_TAXPAYER_TYPES:
                people_json.append({"id": owner_id, "role": "dependent"})
            else:
                # A 529 or HSA in a child's name is the parent's account for these rules.
                owner_id = str(taxpayer.public_id)
                notes.append(
                    Reason(
                        "dependent_account",
                        f"{account_label(account)} is in {owner.name}'s name but is not a "
                        "custodial account or trust: it is treated as the taxpayer's (the "
                        "account owner of a 529 or HSA is a parent).",
                        "IRC §529(c), §223; tax-rules.md §1",
                    )
                )
        account_json = {"id": str(account.public_id), "type": account.type, "owner": owner_id}
        # A joint account's results are half each spouse's unless the profile says otherwise.
        share = profile.joint_taxpayer_share
        if account.type == AccountType.TAXABLE_JOINT and share is not None and share != _HALF:
            account_json["taxpayer_share"] = _text(share)
        accounts_json.append(account_json)
    people_json = list({p["id"]: p for p in people_json}.values())

    transactions = rows.transactions.get(household.pk, [])
    lots = rows.lots.get(household.pk, [])
    opened = {t.lot_id: t for t in transactions if t.action in _OPENING and t.lot_id is not None}
    sold: dict[int, tuple[Decimal, Decimal]] = {}
    for t in transactions:
        if t.action == Action.SELL:
            quantity, basis = sold.get(t.lot_id, (Decimal(0), Decimal(0)))
            sold[t.lot_id] = (quantity + t.quantity, basis + (t.basis_relieved or 0))

    public = {lot.id: str(lot.public) for lot in lots}
    account_ids = {a.pk: str(a.public_id) for a in accounts}
    labels: dict[str, str] = {account_ids[a.pk]: account_label(a) for a in accounts}
    lots_json = []
    trades_json = []
    for lot in lots:
        lot_id = public[lot.id]
        labels[lot_id] = lot.external_id or lot_id[:8]
        opening = opened.get(lot.id)
        broker = lot.broker_wash_applied and lot.wash_sale_adjustment > 0
        if opening is not None and not broker:
            trades_json.append(
                {
                    "id": lot_id,
                    "account": account_ids[opening.account_id],
                    "date": opening.trade_date.isoformat(),
                    "action": "reinvest" if opening.action == Action.REINVEST else "buy",
                    "symbol": lot.symbol,
                    # After a split the lot holds ratio × the shares bought, for the amount paid.
                    "quantity": _text(max(opening.quantity, lot.original_quantity)),
                    "amount": f"{opening.amount:.2f}",
                }
            )
            continue
        sold_quantity, sold_basis = sold.get(lot.id, (Decimal(0), Decimal(0)))
        quantity = lot.quantity + sold_quantity
        if quantity <= 0:
            continue
        basis = lot.cost_basis + lot.wash_sale_adjustment + sold_basis
        entry: dict[str, Any] = {
            "id": lot_id,
            "account": account_ids[lot.account_id],
            "symbol": lot.symbol,
            "quantity": _text(quantity),
            "basis": f"{basis:.2f}",
            "acquired": (
                lot.holding_period_start if lot.acquired < window else lot.acquired
            ).isoformat(),
            "how": lot.how_acquired,
        }
        if broker and lot.quantity > 0:
            # Relief takes the adjustment pro rata: as the window found it, per share held now.
            applied = lot.wash_sale_adjustment
            if quantity != lot.quantity:
                applied = to_cents(applied * quantity / lot.quantity)
            entry["broker_wash_adjustment"] = f"{min(applied, basis):.2f}"
        if lot.how_acquired == AcquiredHow.GIFT:
            value = lot.gift_value or Decimal(0)
            entry["gift_date"] = lot.gift_date.isoformat()
            entry["value_at_gift"] = f"{to_cents(value * quantity / lot.original_quantity):.2f}"
            entry["acquired"] = lot.holding_period_start.isoformat()
        lots_json.append(entry)
    for t in transactions:
        if t.action != Action.SELL:
            continue
        trades_json.append(
            {
                "id": str(t.public),
                "account": account_ids[t.account_id],
                "date": t.trade_date.isoformat(),
                "action": "sell",
                "symbol": t.symbol,
                "quantity": _text(t.quantity),
                "amount": f"{t.amount:.2f}",
                "lots": [{"lot": public[t.lot_id], "quantity": _text(t.quantity)}],
            }
        )
    trades_json.sort(key=lambda t: t["date"])  # stable: same-day trades keep their order

    # The batch's securities, narrowed to what this household's lots need.
    held = {lot.symbol for lot in lots}
    replacements = {s: others for s, others in firm_replacements.items() if s in held}
    indexes = {lot.tracked_index for lot in lots} - {""}
    related = {lot.same_as_id for lot in lots} - {None}
    wanted = held | {s for others in replacements.values() for s in others}
    mine = [
        s
        for s in securities
        if s.symbol in wanted
        or s.tracked_index in indexes
        or (s.same_as is not None and s.same_as.symbol in held)
        or s.pk in related
    ]
    symbols = {s.symbol for s in mine}
    securities_json = [
        {
            "symbol": s.symbol,
            "kind": s.kind,
            "tracks": s.tracked_index or None,
            "same_as": s.same_as.symbol if s.same_as and s.same_as.symbol in symbols else None,
        }
        for s in mine
    ]
    prices = {s.symbol: _text(s.close) for s in mine if s.close is not None}
    _average_basis(accounts_json, accounts, lots, account_ids, mine)

    snapshot = {
        "case": {
            "tax_year": tax_year,
            "filing_status": profile.filing_status,
            "as_of": as_of.isoformat(),
            "people": people_json,
            "accounts": accounts_json,
            "securities": securities_json,
            "lots": lots_json,
            "transactions": trades_json,
            "prices": prices,
            # Gains outside our accounts: the profile's and the planned realizations' sums.
            "income": {
                **_income_json(profile),
                **outside_gains(profile, (profile.planned_short, profile.planned_long)),
            },
            **_deductions_json(profile),
            # The ledger's figures by person when it has the year, else the profile's totals.
            "carryforward_in": carryforward_snapshot(people, rows.ledger.get(household.pk))
            or {
                "short_term": f"{profile.carryforward_short_term:.2f}",
                "long_term": f"{profile.carryforward_long_term:.2f}",
            },
            "policy": firm_settings.policy_flags().to_json(),
        },
        "planner": {
            "min_loss": _text(firm_settings.min_loss_dollars),
            "min_loss_percent": _text(firm_settings.min_loss_percent),
            "replacements": replacements,
            "recurring": _recurring(rows.recurring.get(household.pk, []), account_ids),
            "labels": labels,
            "notes": [n.to_json() for n in notes],
            **_planner_settings(profile),
        },
    }
    if version := rows.list_versions.get(household.firm_id):
        snapshot["planner"]["replacement_list_version"] = version
    return Inputs(
        snapshot=EncodedJSON(snapshot),
        lots={public[lot.id]: lot.id for lot in lots},
        accounts={public_id: pk for pk, public_id in account_ids.items()},
        securities={s.symbol: s.pk for s in mine},
    )


# --- the whole return (issue 13): the case format's version 2 fields from the profile ------


_HALF = Decimal("0.5")
_NEW_INCOME = (
    ("wages", "wages"),
    ("other_ordinary_income", "other_ordinary"),
    ("taxable_interest", "interest"),
    ("ordinary_dividends", "ordinary_dividends"),
    ("qualified_dividends", "qualified_dividends"),
    ("capital_gain_distributions", "capital_gain_distributions"),
)  # the gains expected outside our accounts come from taxlogic.planned.outside_gains


def _person_json(person: Person) -> dict[str, Any]:
    out: dict[str, Any] = {"id": str(person.public_id), "role": person.role}
    if person.date_of_birth is not None:
        out["born"] = person.date_of_birth.isoformat()
    if person.blind:
        out["blind"] = True
    return out


_REPLACING = ("wages", "other_ordinary", "interest", "ordinary_dividends")


def _income_json(profile: TaxProfile) -> dict[str, str]:
    """The profile's income in the case format (clients/models.py TaxProfile): the detailed
    income fields replace the two older totals when any of wages, other ordinary income,
    interest or ordinary dividends is set (the parts left empty are zero); qualified
    dividends and capital-gain distributions are given whenever set. With the
    older totals, qualified dividends come on top of them (the old investment income is
    interest and non-qualified dividends)."""
    given = {key: getattr(profile, name) for name, key in _NEW_INCOME}
    out = {key: f"{value:.2f}" for key, value in given.items() if value is not None}
    if all(given[key] is None for key in _REPLACING):
        out["ordinary"] = f"{profile.expected_ordinary_income:.2f}"
        out["investment"] = f"{profile.investment_income:.2f}"
        if given["qualified_dividends"] is not None:
            out["ordinary_dividends"] = out["qualified_dividends"]
    return out


def _deductions_json(profile: TaxProfile) -> dict[str, Any]:
    if profile.state_local_taxes is None and profile.other_itemized_deductions is None:
        return {}
    return {
        "deductions": {
            "state_local_taxes": f"{profile.state_local_taxes or 0:.2f}",
            "other_itemized": f"{profile.other_itemized_deductions or 0:.2f}",
        }
    }


def _planner_settings(profile: TaxProfile) -> dict[str, str]:
    out: dict[str, str] = {}
    if profile.state_marginal_rate is not None:
        out["state_marginal_rate"] = _text(profile.state_marginal_rate)
    if profile.gains_budget is not None:
        out["gains_budget"] = f"{profile.gains_budget:.2f}"
    return out


def _average_basis(
    accounts_json: list[dict[str, Any]],
    accounts: list[Account],
    lots: list[Any],
    account_ids: dict[int, str],
    securities: list[Security],
) -> None:
    """Funds held at average basis (Reg. §1.1012-1(e)): in accounts that say so and relieve by
    average cost, the fund symbols held there."""
    averaged = {
        a.pk for a in accounts if a.average_basis and a.relief_method == ReliefMethod.AVERAGE
    }
    if not averaged:
        return
    funds = {s.symbol for s in securities if s.kind == "fund"}
    held: dict[str, set[str]] = {}
    for lot in lots:
        if lot.account_id in averaged and lot.symbol in funds:
            held.setdefault(account_ids[lot.account_id], set()).add(lot.symbol)
    for entry in accounts_json:
        if entry["id"] in held:
            entry["average_basis"] = sorted(held[entry["id"]])


def _recurring(
    rows: list[tuple[int, str, str, date]], public: dict[int, str]
) -> list[dict[str, str]]:
    """Dividend reinvestments that are on, and plan contributions that buy a fund."""
    seen: dict[tuple[int, str, str], list[date]] = {}
    for account_id, symbol, action, day in rows:
        seen.setdefault((account_id, symbol, action), []).append(day)
    out = []
    for (account_id, symbol, action), days in sorted(seen.items()):
        if action == Action.BUY and len(days) < 2:
            continue
        kind = Recurring.REINVEST if action == Action.REINVEST else Recurring.CONTRIBUTION
        out.append(
            {
                "account": public[account_id],
                "symbol": symbol,
                "kind": kind.value,
                "last": max(days).isoformat(),
            }
        )
    return out


# --- reviews ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Reviewed:
    """What a review did for one household: the review (new, or the one that computed the
    plan that stands) and what became of the plan (``PlanChange``; none for a failed review)."""

    review: Review
    change: str = PlanChange.NONE


@dataclass(slots=True)
class _NewPlan:
    household: Household
    review: Review
    plan: Plan
    inputs: Inputs
    digest: str
    previous: ActionPlan | None


def _emit(firm_id: int, event: str, payload: dict[str, Any]) -> None:
    webhooks_emit(firm_id=firm_id, event=event, payload=payload)


def household_review_run(
    *, household: Household, tax_year: int, as_of: date, requested_by: Advisor | None
) -> Review:
    """Review a household now, in this process (``households_review`` for one)."""
    reviewed = households_review(
        households=[household], tax_year=tax_year, as_of=as_of, requested_by=requested_by
    )
    return reviewed[household.pk].review


@transaction.atomic
def households_review(
    *,
    households: Sequence[Household],
    tax_year: int,
    as_of: date,
    requested_by: Advisor | None,
    queued: Mapping[int, Review] | None = None,
) -> dict[int, Reviewed]:
    """Review households now, in this process, in one transaction: the service behind the
    page's "Run review now" (one household, its ``queued`` review filled in) and the year-end
    run (a chunk at once), in a fixed number of queries whatever the number of households.

    Each household is locked first. Unchanged inputs (same hash, same engine) give back the
    review that computed the current plan, and nothing new is written; changed inputs give a
    new plan that replaces the current one, carrying its decisions. A household that cannot be
    reviewed (no taxpayer, no tax profile, a history the engine rejects) gets a failed review
    that says why; any other error is raised, and nothing of the batch is written."""
    queued = queued or {}
    ids = sorted({h.pk for h in households})
    locked = {
        h.pk: h for h in Household.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    current = {
        p.household_id: p
        for p in ActionPlan.objects.filter(
            household_id__in=ids, tax_year=tax_year, is_current=True
        ).defer("result")
    }
    loaded = households_inputs(list(locked.values()), tax_year=tax_year, as_of=as_of)

    out: dict[int, Reviewed] = {}
    failed: list[Review] = []
    reused: list[tuple[Review, ActionPlan]] = []
    unchanged: dict[int, ActionPlan] = {}
    new: list[_NewPlan] = []
    for pk in ids:
        household, found = locked[pk], loaded[pk]
        started = timezone.now()
        digest = found.digest if isinstance(found, Inputs) else ""
        previous = current.get(pk)
        same = previous is not None and previous.inputs_hash == digest
        if same and pk not in queued:
            unchanged[pk] = previous  # type: ignore[assignment]
            continue
        review = queued.get(pk) or Review(
            firm_id=household.firm_id,
            household=household,
            tax_year=tax_year,
            as_of=as_of,
            requested_by=requested_by,
        )
        review.started = review.started or started
        if isinstance(found, ValidationError):
            review.status, review.error = ReviewStatus.FAILED, " ".join(found.messages)
            review.finished = timezone.now()
            failed.append(review)
            continue
        _fill_inputs(review, found, digest)
        if same:  # a queued review of unchanged data: it reuses the plan that stands
            review.plan, review.reused = previous, True
            review.status, review.finished = ReviewStatus.DONE, timezone.now()
            reused.append((review, previous))  # type: ignore[arg-type]
            continue
        try:
            plan = plan_from_snapshot(found.snapshot)
        except (CaseError, EngineError, ValueError) as error:
            review.status, review.error, review.finished = (
                ReviewStatus.FAILED,
                str(error),
                timezone.now(),
            )
            failed.append(review)
            continue
        new.append(_NewPlan(household, review, plan, found, digest, previous))

    # Unchanged data: the review that computed the plan that stands (none found: a review
    # that reuses it is written, as for a queued one).
    computing = (
        {
            r.plan_id: r
            for r in Review.objects.filter(plan__in=list(unchanged.values()), reused=False)
        }
        if unchanged
        else {}
    )
    for pk, plan in unchanged.items():
        review = computing.get(plan.pk)
        if review is not None:
            out[pk] = Reviewed(review, PlanChange.UNCHANGED)
            continue
        review = Review(
            firm_id=plan.firm_id,
            household=locked[pk],
            tax_year=tax_year,
            as_of=as_of,
            requested_by=requested_by,
            plan=plan,
            reused=True,
            status=ReviewStatus.DONE,
            started=timezone.now(),
            finished=timezone.now(),
        )
        _fill_inputs(review, loaded[pk], plan.inputs_hash)  # type: ignore[arg-type]
        reused.append((review, plan))

    changes = _save_plans(new) if new else {}
    _save_reviews([r for r, _ in reused] + [n.review for n in new] + failed)
    events: list[tuple[int, str, dict[str, Any]]] = []
    for review, plan in reused:
        out[review.household_id] = Reviewed(review, PlanChange.UNCHANGED)
        events.append(_ready(review, plan, locked[review.household_id]))
    for n in new:
        out[n.household.pk] = Reviewed(n.review, changes[n.household.pk])
        events.append(_ready(n.review, n.review.plan, n.household))
    for review in failed:
        out[review.household_id] = Reviewed(review)
        payload = {
            "review": str(review.public_id),
            "household": str(locked[review.household_id].public_id),
            "error": review.error,
        }
        events.append((review.firm_id, WebhookEvent.REVIEW_FAILED, payload))
    _emit_all(events)
    if new or failed or reused:  # plans and reviews were written in bulk, without signals
        page_cache.bump(*{h.firm_id for h in locked.values()})
    return out


def _emit_all(events: list[tuple[int, str, dict[str, Any]]]) -> None:
    """Record the webhook deliveries of a batch of events: the firms' endpoints are read once."""
    if not events:
        return
    endpoints: dict[int, list[WebhookEndpoint]] = {firm_id: [] for firm_id, _, _ in events}
    for endpoint in WebhookEndpoint.objects.filter(firm_id__in=endpoints, is_active=True):
        endpoints[endpoint.firm_id].append(endpoint)
    for firm_id, event, payload in events:
        if endpoints[firm_id]:
            webhooks_emit(
                firm_id=firm_id, event=event, payload=payload, endpoints=endpoints[firm_id]
            )


def _fill_inputs(review: Review, inputs: Inputs, digest: str) -> None:
    review.inputs, review.inputs_hash = inputs.snapshot, digest
    review.engine_version = ENGINE_VERSION
    review.policy = inputs.snapshot["case"]["policy"]
    review.replacement_list_version = inputs.snapshot["planner"].get("replacement_list_version")


def _save_reviews(reviews: list[Review]) -> None:
    """Insert the new reviews in one statement; save the queued ones that were filled in."""
    queued = [r for r in reviews if r.pk is not None]
    bulk.insert(Review, [r for r in reviews if r.pk is None])
    for review in queued:
        review.save()


def _ready(
    review: Review, plan: ActionPlan, household: Household
) -> tuple[int, str, dict[str, Any]]:
    return (
        review.firm_id,
        WebhookEvent.ACTION_PLAN_READY,
        {
            "review": str(review.public_id),
            "plan": str(plan.public_id),
            "household": str(household.public_id),
            "tax_year": review.tax_year,
            "as_of": review.as_of.isoformat(),
            "harvest_loss": f"{plan.harvest_loss:.2f}",
            "tax_saved": f"{plan.tax_saved:.2f}",
            "reused": review.reused,
        },
    )


def _recommendation_key(r: Recommendation) -> tuple[Any, ...]:
    return (r.kind, r.account_id, r.security_id, r.lot_id, r.quantity, r.replacement_id)


def _save_plans(new: list[_NewPlan]) -> dict[int, str]:
    """Save the new plans with their recommendations (one statement each for all of them),
    retire the plans they replace and carry those plans' decisions over; link each review to
    its plan. Returns each household's ``PlanChange``."""
    now = timezone.now()
    previous = [n.previous.pk for n in new if n.previous is not None]
    before: dict[int, list[Recommendation]] = {}
    if previous:
        ActionPlan.objects.filter(pk__in=previous).update(
            is_current=False, superseded=now, updated=now
        )
        # Their recommendations changed too for the API's sync: no longer of a current plan.
        Recommendation.objects.filter(plan_id__in=previous).update(updated=now)
        for r in Recommendation.objects.filter(plan_id__in=previous).order_by(
            "plan_id", "position"
        ):
            before.setdefault(r.plan_id, []).append(r)
    plans: list[ActionPlan] = []
    recommendations: list[Recommendation] = []
    carried: list[tuple[Recommendation, Recommendation, ActionPlan]] = []
    changes: dict[int, str] = {}
    for n in new:
        result = n.plan.to_json()
        # The recommendations are rows of their own (with their explanations in ``details``);
        # the stored result keeps the rest of the plan and the labels it names things by.
        stored = result.pop("recommendations")
        result["labels"] = n.inputs.snapshot["planner"]["labels"]
        saved = ActionPlan(
            firm_id=n.household.firm_id,
            household=n.household,
            tax_year=n.plan.tax_year,
            as_of=n.plan.as_of,
            inputs_hash=n.digest,
            engine_version=ENGINE_VERSION,
            harvest_loss=n.plan.harvest_loss,
            tax_before=n.plan.tax_before,
            tax_after=n.plan.tax_after,
            tax_saved=n.plan.tax_saved,
            result=result,
        )
        rows = _recommendations(n, saved, stored)
        old = before.get(n.previous.pk, []) if n.previous is not None else []
        if old:
            # Approvals and dismissals of the plan being replaced carry over to the same
            # recommendation in the new one, and the log says so.
            decided = {
                _recommendation_key(r): r
                for r in old
                if r.status
                in (
                    RecommendationStatus.APPROVED,
                    RecommendationStatus.DISMISSED,
                    RecommendationStatus.CHECKING,
                )
            }
            for r in rows:
                was = decided.get(_recommendation_key(r))
                if was is not None:
                    r.first_approved_by_id = was.first_approved_by_id
                    r.status, r.decided_by_id = was.status, was.decided_by_id
                    r.decided_at, r.decision_reason = was.decided_at, was.decision_reason
                    carried.append((r, was, n.previous))  # type: ignore[arg-type]
        saved.status = _plan_status({r.status for r in rows})
        if n.previous is None:
            changes[n.household.pk] = PlanChange.NEW
        elif {_recommendation_key(r) for r in old} != {_recommendation_key(r) for r in rows}:
            changes[n.household.pk] = PlanChange.CHANGED
        else:
            changes[n.household.pk] = PlanChange.UPDATED
        plans.append(saved)
        recommendations.extend(rows)
        n.review.plan = saved
        n.review.status, n.review.finished = ReviewStatus.DONE, timezone.now()
    bulk.insert(ActionPlan, plans)
    bulk.insert(Recommendation, recommendations)
    RecommendationDecision.objects.bulk_create(
        [
            RecommendationDecision(
                firm_id=r.firm_id,
                household_id=r.household_id,
                recommendation=r,
                decision=Decision.CARRY,
                from_status=RecommendationStatus.OPEN,
                to_status=was.status,
                reason=f"Decided on the plan of {plan.as_of:%Y-%m-%d}: {was.decision_reason}"
                if was.decision_reason
                else f"Decided on the plan of {plan.as_of:%Y-%m-%d}.",
                decided_by_id=was.decided_by_id,
                decided_at=now,
                plan=r.plan,
            )
            for r, was, plan in carried
        ]
    )
    return changes


def _recommendations(
    n: _NewPlan, saved: ActionPlan, as_json: list[dict[str, Any]]
) -> list[Recommendation]:
    prices = n.inputs.snapshot["case"]["prices"]
    inputs = n.inputs
    rows = []
    for position, (r, stored) in enumerate(
        zip(n.plan.recommendations, as_json, strict=True), start=1
    ):
        rows.append(
            Recommendation(
                firm_id=n.household.firm_id,
                household=n.household,
                plan=saved,
                position=position,
                kind=r.step.value,
                account_id=inputs.accounts[r.account],
                security_id=inputs.securities[r.symbol],
                lot_id=inputs.lots[r.lot] if r.lot else None,
                quantity=r.quantity,
                price=Decimal(prices[r.symbol]) if r.symbol in prices else None,
                estimated_loss=r.loss,
                estimated_gain=r.gain,
                term=r.term,
                tax_saved=r.tax_saved,
                carryforward_added=r.carryforward_added,
                replacement_id=inputs.securities.get(r.replacement) if r.replacement else None,
                replacement_price=(
                    Decimal(prices[r.replacement]) if r.replacement in prices else None
                ),
                do_not_buy_through=r.do_not_buy_through,
                reason_code=r.reason.code,
                text=r.reason.text,
                rule=r.reason.rule,
                details={
                    "notes": stored["notes"],
                    "replacement_reason": stored["replacement_reason"],
                    "avoid": stored["avoid"],
                    "short_term": stored["short_term"],
                    "long_term": stored["long_term"],
                },
            )
        )
    return rows


def _plan_status(statuses: set[str]) -> str:
    if not statuses:
        return PlanStatus.NOTHING
    if RecommendationStatus.OPEN in statuses:
        return PlanStatus.OPEN
    if RecommendationStatus.APPROVED in statuses or RecommendationStatus.CHECKING in statuses:
        return PlanStatus.DECIDED
    return PlanStatus.DONE


def _refresh_status(plan: ActionPlan) -> None:
    status = _plan_status(set(plan.recommendations.values_list("status", flat=True)))
    if plan.status != status:
        plan.status = status
        plan.save(update_fields=["status", "updated"])


def review_request(*, household: Household, user: Actor) -> Review:
    """Queue a review of ``household`` for today (the "Run review now" button); a review of it
    already queued or running is returned instead of a second one."""
    with transaction.atomic():
        if not scoping.can_start_review(user, household):
            raise PermissionDenied("You may not run reviews for this household.")
        Household.objects.select_for_update().get(pk=household.pk)
        pending = Review.objects.filter(
            household=household,
            status__in=(ReviewStatus.QUEUED, ReviewStatus.RUNNING),
            created__gte=timezone.now() - STALE_REVIEW,
        ).first()
        if pending is not None:
            return pending
        as_of = timezone.localdate()
        # A new year's first review: the carryforward in rolled from last year's plan first.
        carryforward_roll(household=household, tax_year=as_of.year)
        advisor = user if isinstance(user, Advisor) else None
        review = Review.objects.create(
            firm_id=household.firm_id,
            household=household,
            tax_year=as_of.year,
            as_of=as_of,
            requested_by=advisor,
        )
        from taxlogic.tasks import review_household

        review_household.delay_on_commit(review.pk)
    return review


def review_execute(*, review_id: int) -> Review:
    """Run a queued review (the task's body): idempotent, a finished review is left as it is.
    Marked running in a transaction of its own so that the page can show it."""
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review_id)
        if review.status in (ReviewStatus.DONE, ReviewStatus.FAILED):
            return review
        review.status, review.started = ReviewStatus.RUNNING, timezone.now()
        review.save(update_fields=["status", "started", "updated"])
    try:
        with transaction.atomic():
            review = (
                Review.objects.select_for_update().select_related("household").get(pk=review_id)
            )
            household = review.household
            reviewed = households_review(
                households=[household],
                tax_year=review.tax_year,
                as_of=review.as_of,
                requested_by=review.requested_by,
                queued={household.pk: review},
            )
    except Exception as error:
        log.exception("review %s failed", review_id)
        return _fail(review_id, f"Unexpected error: {error}")
    return reviewed[household.pk].review


def _fail(review_id: int, message: str) -> Review:
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review_id)
        review.status, review.error, review.finished = ReviewStatus.FAILED, message, timezone.now()
        review.save(update_fields=["status", "error", "finished", "updated"])
        _emit(
            review.firm_id,
            WebhookEvent.REVIEW_FAILED,
            {
                "review": str(review.public_id),
                "household": str(review.household.public_id),
                "error": message,
            },
        )
    return review


# --- decisions --------------------------------------------------------------------------------


def recommendation_decide(
    *, recommendation: Recommendation, user: Actor, decision: str, reason: str = ""
) -> Recommendation:
    """Approve, dismiss, mark executed or reopen: taxlogic/decisions.py (maker-checker)."""
    from taxlogic.decisions import recommendation_decide as decide

    return decide(recommendation=recommendation, user=user, decision=decision, reason=reason)

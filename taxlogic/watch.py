"""After the sale: match a recorded sale to the recommendation that asked for it, keep every
loss sale's do-not-buy window until it closes, and raise an alert when a purchase, a dividend
reinvestment or a plan contribution lands inside one in a covered account.

Called by the signal ``clients.signals.transaction_recorded`` (sent by
``clients.services.transaction_record``: the pages, the API and imports), inside the same
transaction. Which accounts' purchases wash which losses, and which securities are
substantially identical, are the engine's rules (``taxlogic.rules.wash_sales``): nothing is
re-implemented here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings as django_settings
from django.core.mail import send_mail
from django.db import transaction as db
from django.urls import reverse

from advisors.models import WebhookEvent
from advisors.webhooks import webhooks_emit
from clients.models import Account, Action, Household, PersonRole, Security, TaxProfile, Transaction
from taxlogic.models import (
    TRADE_KINDS,
    Decision,
    Fill,
    Recommendation,
    RecommendationStatus,
    WashAlert,
    WashWatch,
)
from taxlogic.rules.accounts import AccountType
from taxlogic.rules.carryforward import money_text
from taxlogic.rules.wash_household import (
    HouseholdAccount,
    Kind,
    Role,
    acquirer_domain,
    loss_domain,
    substantially_identical_groups,
)
from taxlogic.rules.wash_household import Security as EngineSecurity
from taxlogic.rules.wash_sales import WINDOW_DAYS

log = logging.getLogger(__name__)

WINDOW = timedelta(days=WINDOW_DAYS)
ACQUIRING = (Action.BUY, Action.REINVEST)
RULE = "IRC §1091(a), (d); Rev. Rul. 2008-5"
_OPEN_STATUSES = (
    RecommendationStatus.OPEN,
    RecommendationStatus.CHECKING,
    RecommendationStatus.APPROVED,
)


def on_transaction_recorded(*, transaction: Transaction, **_: Any) -> None:
    """The receiver: a sale is matched and watched, an acquisition checked against the
    household's open windows."""
    if transaction.action == Action.SELL:
        sale_matched(sale=transaction)
        sale_watched(sale=transaction)
    elif transaction.action in ACQUIRING:
        acquisition_checked(acquisition=transaction)


# --- a sale matched to its recommendation ------------------------------------------------------


def sale_loss(sale: Transaction) -> Decimal:
    """What the sale lost (positive), or gained (negative): basis relieved − net proceeds."""
    return (sale.basis_relieved or Decimal(0)) - sale.amount


def sale_matched(*, sale: Transaction) -> Recommendation | None:
    """Mark the current plan's recommendation to sell ``sale``'s lot executed when the sale is
    the trade it asked for (an approved recommendation, the same quantity); a partial or
    different fill is linked and waits for the advisor to confirm it (Mark executed)."""
    from taxlogic.decisions import recommendation_decide

    found = (
        Recommendation.objects.select_for_update()
        .filter(
            lot_id=sale.lot_id,
            plan__is_current=True,
            plan__tax_year=sale.trade_date.year,
            kind__in=TRADE_KINDS,
            status__in=_OPEN_STATUSES,
            sale__isnull=True,
        )
        .order_by("position")
        .first()
    )
    if found is None:
        return None
    exact = found.status == RecommendationStatus.APPROVED and found.quantity == sale.quantity
    if found.quantity is not None and sale.quantity < found.quantity:
        fill = Fill.PARTIAL
    else:
        fill = Fill.EXACT if exact else Fill.DIFFERENT
    found.sale, found.fill, found.realized_loss = sale, fill, sale_loss(sale)
    found.save(update_fields=["sale", "fill", "realized_loss", "updated"])
    if fill == Fill.EXACT:
        when = sale.trade_date.isoformat()
        found = recommendation_decide(
            recommendation=found,
            user=None,
            decision=Decision.MATCH,
            reason=f"Sale of {sale.quantity.normalize():f} shares recorded on {when}.",
        )
    return found


def credited_tax_saved(recommendation: Recommendation) -> Decimal | None:
    """The tax saved credited to an executed harvest: the estimate, in the proportion of the
    loss the recorded sale realized to the loss estimated (a partial fill saves its share)."""
    estimate = recommendation.tax_saved
    if estimate is None:
        return None
    realized, estimated = recommendation.realized_loss, recommendation.estimated_loss
    if realized is None or not estimated:
        return estimate
    share = max(min(realized / estimated, Decimal(1)), Decimal(0))
    return (estimate * share).quantize(Decimal("0.01"))


# --- the window after a loss sale ---------------------------------------------------------------


def sale_watched(*, sale: Transaction) -> WashWatch | None:
    """Keep the window of a loss sale in a taxable account: 30 days after the sale."""
    loss = sale_loss(sale)
    account = Account.objects.select_related("household").get(pk=sale.account_id)
    if loss <= 0 or account.treatment != "taxable":
        return None
    matched = Recommendation.objects.filter(sale=sale).first()
    return WashWatch.objects.create(
        firm_id=account.household.firm_id,
        household=account.household,
        sale=sale,
        account=account,
        security_id=sale.security_id,
        sold=sale.trade_date,
        through=sale.trade_date + WINDOW,
        loss=loss,
        recommendation=matched,
    )


def _engine_accounts(household: Household, *, tax_year: int) -> dict[int, HouseholdAccount]:
    profile = (
        TaxProfile.objects.filter(household=household, tax_year__lte=tax_year)
        .order_by("-tax_year")
        .first()
    )
    joint = profile is not None and profile.filing_status == "married_joint"
    roles = {PersonRole.TAXPAYER: Role.TAXPAYER, PersonRole.SPOUSE: Role.SPOUSE}
    return {
        a.pk: HouseholdAccount(
            str(a.public_id),
            AccountType(a.type),
            str(a.owner.public_id),
            roles.get(a.owner.role, Role.OTHER),
            joint,
        )
        for a in Account.objects.filter(household=household).select_related("owner")
    }


def _engine_security(s: Security) -> EngineSecurity:
    kind = Kind(s.kind) if s.kind in Kind._value2member_map_ else Kind.STOCK
    return EngineSecurity(
        s.symbol, kind, s.tracked_index or None, s.same_as.symbol if s.same_as_id else None
    )


@dataclass(frozen=True, slots=True)
class Risk:
    watch: WashWatch
    loss_at_stake: Decimal
    permanent: bool
    text: str


def acquisition_risks(
    *, household: Household, account: Account, security: Security, day: date, quantity: Decimal
) -> list[Risk]:
    """The open windows a purchase of ``quantity`` ``security`` in ``account`` on ``day``
    would reach: a loss sold within 30 days of it (IRC §1091(a)) of a substantially identical
    security, by a seller whose loss a purchase in that account washes (the engine's
    ``acquirer_domain``); permanent when the account's basis cannot take the loss."""
    from taxlogic.services import harvest_settings_get

    watches = list(
        WashWatch.objects.filter(
            household=household, sold__gte=day - WINDOW, sold__lte=day
        ).select_related("sale", "security__same_as", "account")
    )
    if not watches:
        return []
    policy = harvest_settings_get(firm_id=household.firm_id).policy_flags()
    engine_accounts = _engine_accounts(household, tax_year=day.year)
    buyer = engine_accounts[account.pk]
    bought = Security.objects.select_related("same_as").get(pk=security.pk)
    identity = substantially_identical_groups(
        [_engine_security(bought), *(_engine_security(w.security) for w in watches)],
        policy=policy,
    )
    out = []
    for watch in watches:
        if not identity.identical(bought.symbol, watch.security.symbol):
            continue
        if not identity.washable(watch.security.symbol):
            continue
        seller = engine_accounts[watch.account_id]
        domain = acquirer_domain(buyer, policy, seller_owner=seller.owner)
        if domain is None or domain != loss_domain(seller):
            continue
        shares = min(quantity, watch.sale.quantity)
        at_stake = (watch.loss * shares / watch.sale.quantity).quantize(Decimal("0.01"))
        permanent = buyer.permanent
        text = (
            f"{bought.symbol} bought on {day.isoformat()} in {account.custodian} "
            f"{account.masked_number} is inside the wash-sale window of the sale of "
            f"{watch.security.symbol} on {watch.sold.isoformat()} (do not buy through "
            f"{watch.through.isoformat()}): {money_text(at_stake)} of that loss "
            + (
                "would be lost for good, since the account's basis cannot take it."
                if permanent
                else "would be disallowed and added to the new shares' basis."
            )
        )
        out.append(Risk(watch, at_stake, permanent, text))
    return out


def acquisition_checked(*, acquisition: Transaction) -> list[WashAlert]:
    """Raise an alert for each open window the recorded acquisition reaches: on the plan and
    the household page, by email to the household's advisor and as a ``wash_sale.risk``
    webhook (both once the transaction commits)."""
    account = Account.objects.select_related("household__primary_advisor").get(
        pk=acquisition.account_id
    )
    household = account.household
    risks = acquisition_risks(
        household=household,
        account=account,
        security=acquisition.security,
        day=acquisition.trade_date,
        quantity=acquisition.quantity,
    )
    alerts = []
    for risk in risks:
        alert = WashAlert.objects.create(
            firm_id=household.firm_id,
            household=household,
            watch=risk.watch,
            acquisition=acquisition,
            loss_at_stake=risk.loss_at_stake,
            permanent=risk.permanent,
            text=risk.text,
            rule=RULE,
        )
        alerts.append(alert)
        payload = {
            "household": str(household.public_id),
            "sale": str(risk.watch.sale.public_id),
            "acquisition": str(acquisition.public_id),
            "symbol": acquisition.security.symbol,
            "loss_at_stake": f"{risk.loss_at_stake:.2f}",
            "permanent": risk.permanent,
            "window_through": risk.watch.through.isoformat(),
            "text": risk.text,
        }
        webhooks_emit(firm_id=household.firm_id, event=WebhookEvent.WASH_SALE_RISK, payload=payload)
        advisor = household.primary_advisor
        if advisor.email:
            db.on_commit(partial(_mail, advisor.email, household, risk.text))
    return alerts


def _mail(to: str, household: Household, text: str) -> None:
    url = reverse("taxlogic:plan", kwargs={"household_id": household.public_id})
    try:
        send_mail(
            subject=f"Wash-sale risk: {household.name}",
            message=f"{text}\n\n{RULE}\n\nThe plan: {url}\n",
            from_email=django_settings.DEFAULT_FROM_EMAIL,
            recipient_list=[to],
        )
    except Exception:  # the alert is on the page anyway; a mail server down is logged
        log.exception("wash-sale alert mail to %s failed", to)

"""Recommendations as CRM-neutral tasks: what an integration needs to create a Redtail activity
or a Wealthbox task, without knowing how plans are stored.

``recommendation_task`` is a pure function of a recommendation (and the rows it names, which the
caller loads with ``TASK_SELECT`` / ``TASK_PREFETCH``): no query of its own beyond those, no
write, the same payload every time it is asked.

- ``due_date``: the latest day to act. A trade (a harvest, a gain realized at 0%) must be made in
  the tax year (the trade date decides the year of a loss: Pub 550, Sales and Trades), so the
  last weekday of the year (the NYSE is open on every last weekday of December); a reminder
  (stop a dividend reinvestment or a plan contribution) runs to its do-not-buy date.
- ``priority``: from the tax at stake (the step's tax saved; for a reminder, or a sale whose
  loss reaches another return, the plan's whole tax saved, which a missed reminder can wash).
- ``idempotency_key``: the same for the same recommendation of the household's plan for the tax
  year, across re-runs (the identity the planner carries decisions by), so that fetching the
  plan again, or after a re-run, never creates a CRM task twice.
- ``household`` and ``person`` carry the ids other systems gave them (``external_refs``), so a
  CRM finds its own contact.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypedDict

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from clients.models import Household
from taxlogic.models import STEP_LABELS, ActionPlan, Recommendation
from taxlogic.rules.harvest import Step

# Tax at stake (dollars) from which a task is high or medium priority.
HIGH_PRIORITY = Decimal("1000")
MEDIUM_PRIORITY = Decimal("100")
TITLE_MAX = 200
TRADES = frozenset({Step.HARVEST.value, Step.REALIZE_GAIN.value})

# What ``recommendation_task`` reads, for select_related / prefetch_related.
TASK_SELECT = (
    "plan",
    "household",
    "account__owner",
    "security",
    "lot",
    "replacement",
)
TASK_PREFETCH = ("household__external_refs", "account__owner__external_refs")


class ExternalRefPayload(TypedDict):
    system: str
    id: str


class PartyPayload(TypedDict):
    id: str
    name: str
    external_refs: list[ExternalRefPayload]


class CrmTask(TypedDict):
    title: str
    body: str
    due_date: str
    priority: str
    household: PartyPayload
    person: PartyPayload
    category: str
    link: str
    idempotency_key: str


def last_trading_day(year: int) -> date:
    """The last weekday of ``year``: the NYSE never closes on it (a Saturday New Year's Day is
    not observed on the Friday before)."""
    day = date(year, 12, 31)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def due_date(r: Recommendation) -> date:
    if r.kind not in TRADES and r.do_not_buy_through is not None:
        return r.do_not_buy_through
    return last_trading_day(r.plan.tax_year)


def tax_at_stake(r: Recommendation) -> Decimal:
    return r.tax_saved if r.tax_saved is not None else r.plan.tax_saved


def priority(r: Recommendation) -> str:
    stake = tax_at_stake(r)
    if stake >= HIGH_PRIORITY:
        return "high"
    return "medium" if stake >= MEDIUM_PRIORITY else "low"


def category(r: Recommendation) -> str:
    return "trade" if r.kind in TRADES else "reminder"


def idempotency_key(r: Recommendation) -> str:
    parts = (
        str(r.household.public_id),
        str(r.plan.tax_year),
        r.kind,
        str(r.account.public_id),
        r.security.symbol,
        str(r.lot.public_id) if r.lot else "",
        _number(r.quantity) if r.quantity is not None else "",
        r.replacement.symbol if r.replacement else "",
    )
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
    return f"harvest-desk:{r.plan.tax_year}:{digest}"


def plan_link(plan: ActionPlan, household: Household, *, site_url: str | None = None) -> str:
    """The plan's page: the household's page (which shows this year's current plan, so that
    the link stays good after a re-run) for this year's current plan, else the plan's own."""
    base = (site_url if site_url is not None else settings.SITE_URL).rstrip("/")
    household_id = household.public_id
    if plan.is_current and plan.tax_year == timezone.localdate().year:
        path = reverse("taxlogic:plan", kwargs={"household_id": household_id})
    else:
        kwargs = {"household_id": household_id, "plan_id": plan.public_id}
        path = reverse("taxlogic:plan_version", kwargs=kwargs)
    return f"{base}{path}"


def link(r: Recommendation, *, site_url: str | None = None) -> str:
    return f"{plan_link(r.plan, r.household, site_url=site_url)}#rec-{r.public_id}"


def account_label(r: Recommendation) -> str:
    """The account's label on the day of the plan (its stored result)."""
    labels: dict[str, str] = r.plan.result.get("labels", {})
    return labels.get(str(r.account.public_id), str(r.account))


def _party(obj: Any) -> PartyPayload:
    refs = sorted(obj.external_refs.all(), key=lambda ref: (ref.system, ref.external_id))
    return {
        "id": str(obj.public_id),
        "name": obj.name,
        "external_refs": [{"system": ref.system, "id": ref.external_id} for ref in refs],
    }


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _dollars(value: Decimal) -> str:
    return f"${value:,.2f}"


def _price(value: Decimal | None) -> str:
    return f" at about {_dollars(value)} a share" if value else ""


def title(r: Recommendation) -> str:
    where = account_label(r)
    symbol = r.security.symbol
    if r.kind == Step.HARVEST:
        text = f"Harvest a {_dollars(r.estimated_loss or 0)} loss: sell {_number(r.quantity or 0)}"
        text += f" {symbol}"
        if r.replacement is not None:
            text += f", buy {r.replacement.symbol}"
    elif r.kind == Step.REALIZE_GAIN:
        text = f"Realize a {_dollars(r.estimated_gain or 0)} gain at 0%: sell and buy back "
        text += f"{_number(r.quantity or 0)} {symbol}"
    elif r.kind == Step.SWITCH_DRIP:
        text = f"Take {symbol} dividends in cash through {due_date(r):%Y-%m-%d}"
    else:
        text = f"Stop contributions to {symbol} through {due_date(r):%Y-%m-%d}"
    text = f"{text} — {where}"
    return text if len(text) <= TITLE_MAX else text[: TITLE_MAX - 1] + "…"


def _reason(reason: dict[str, str] | None) -> str:
    if not reason:
        return ""
    return f"{reason['text']} *({reason['rule']})*"


def body(r: Recommendation, *, site_url: str | None = None) -> str:
    """The task's description in Markdown: what to do, why and under which rule, what not to
    buy until when, the notes, and the link back to the plan."""
    where = account_label(r)
    symbol = r.security.symbol
    lines: list[str] = [f"**{STEP_LABELS[Step(r.kind)]}** — {r.household.name}, {where}.", ""]
    if r.kind in TRADES:
        lot = f" (lot {r.lot.external_id or str(r.lot.public_id)[:8]})" if r.lot else ""
        term = f", {r.term}-term" if r.term else ""
        amount = (
            f"an estimated loss of {_dollars(r.estimated_loss)}"
            if r.estimated_loss is not None
            else f"an estimated gain of {_dollars(r.estimated_gain or 0)}"
        )
        lines.append(
            f"- Sell **{_number(r.quantity or 0)} {symbol}**{lot}{_price(r.price)}: {amount}{term}."
        )
        if r.replacement is not None:
            again = "Buy back" if r.replacement_id == r.security_id else "Buy"
            lines.append(
                f"- {again} **{r.replacement.symbol}**{_price(r.replacement_price)} "
                "with the proceeds."
            )
        if r.tax_saved is not None:
            lines.append(f"- Estimated federal tax saved: **{_dollars(r.tax_saved)}**.")
        if r.carryforward_added:
            lines.append(f"- Adds {_dollars(r.carryforward_added)} to next year's carryforward.")
        lines.append(f"- Trade by **{due_date(r):%Y-%m-%d}** (the last trading day of the year).")
    else:
        lines.append(
            f"- Act now, before the harvest trades; keep it so through **"
            f"{due_date(r):%Y-%m-%d}**, then switch back."
        )
    lines += ["", f"**Why:** {_reason({'text': r.text, 'rule': r.rule})}"]
    replacement_reason = r.details.get("replacement_reason")
    if replacement_reason:
        lines += ["", f"**Replacement:** {_reason(replacement_reason)}"]
    avoid = r.details.get("avoid") or []
    if avoid:  # each reason names the securities, the accounts and the last day
        lines += ["", "**Do not buy:**"]
        lines += [f"- {_reason(entry.get('reason'))}" for entry in avoid]
    notes = r.details.get("notes") or []
    if notes:
        lines += ["", "**Notes:**"]
        lines += [f"- {_reason(note)}" for note in notes]
    lines += [
        "",
        f"Plan of {r.plan.as_of:%Y-%m-%d} for {r.plan.tax_year}. "
        f"[Open it in Harvest Desk]({link(r, site_url=site_url)})",
    ]
    return "\n".join(lines)


def recommendation_task(r: Recommendation, *, site_url: str | None = None) -> CrmTask:
    """The CRM-neutral task for ``r`` (see the module docstring)."""
    return {
        "title": title(r),
        "body": body(r, site_url=site_url),
        "due_date": due_date(r).isoformat(),
        "priority": priority(r),
        "household": _party(r.household),
        "person": _party(r.account.owner),
        "category": category(r),
        "link": link(r, site_url=site_url),
        "idempotency_key": idempotency_key(r),
    }

"""The year-end planner: ``plan_household`` / ``plan_from_snapshot`` and the plan's values.

The planner runs its steps in order, one module each, each saying which rules it applies:
``opportunities`` (which lots could realize a loss now, and what stops it: IRC §1091(a), Reg.
§1.1091-1), ``plan_candidates`` (the firm's thresholds, HIFO: Reg. §1.1012-1(c)),
``plan_proving`` (each sale run through the engine), ``plan_replacements`` (never substantially
identical; the do-not-buy list), ``plan_reminders`` (findings, windows, wash sales already
made) and ``plan_figures`` (tax saved as the difference of two full computations of the
year's federal tax — regular tax, AMT, NIIT — ranking, 0% gains, the summary figures). The
values a plan holds are in ``plan_types``. This module keeps every public name importable
from ``taxlogic.rules.harvest``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .carryforward import ScheduleD, money_text
from .lots import (
    ZERO,
)
from .reasons import Reason
from .tax import TaxResult, federal_tax
from .wash_household import HOUSEHOLD, acquirer_domain
from .wash_sales import Realized

if TYPE_CHECKING:
    from .cases import Case

from . import plan_candidates, plan_figures, plan_proving, plan_reminders
from .opportunities import (
    _DAY,
    _GIFT,
    _INHERITED,
    _LONG,
    _SHORT,
    _WINDOW,
    NOTE_CRYPTO,
    Blocker,
    Opportunity,
    _Assessor,
    _money,
    _quantity,
    _Verdict,
    harvest_domain,
    opportunities,
    recent_acquisitions,
)
from .plan_types import (
    _AS_IS,
    _FIELDS,
    _SALE,
    _WAIT,
    NOT_SO,
    TAX_RULE,
    THRESHOLD_RULE,
    WAIT_DAYS,
    Avoid,
    Figure,
    LotFinding,
    Plan,
    PlanRules,
    Recommendation,
    Recurring,
    RecurringPurchase,
    Step,
    _any_of,
    _Candidate,
    _carry,
    _optional_decimal,
    _plain,
    _term_of,
    _term_words,
    parse_rules,
)

__all__ = [
    "Blocker",
    "NOTE_CRYPTO",
    "Opportunity",
    "_Assessor",
    "_DAY",
    "_GIFT",
    "_INHERITED",
    "_LONG",
    "_SHORT",
    "_Verdict",
    "_WINDOW",
    "_money",
    "_quantity",
    "harvest_domain",
    "opportunities",
    "recent_acquisitions",
    "Avoid",
    "Figure",
    "LotFinding",
    "NOT_SO",
    "Plan",
    "PlanRules",
    "Recommendation",
    "Recurring",
    "RecurringPurchase",
    "Step",
    "TAX_RULE",
    "THRESHOLD_RULE",
    "WAIT_DAYS",
    "_AS_IS",
    "_Candidate",
    "_FIELDS",
    "_SALE",
    "_WAIT",
    "_any_of",
    "_carry",
    "_optional_decimal",
    "_plain",
    "_term_of",
    "_term_words",
    "parse_rules",
    "plan_household",
    "plan_from_snapshot",
    "_Planner",
]


def plan_household(*, case: Case, rules: PlanRules) -> Plan:
    """The year-end plan of one household on ``case.as_of`` (tax-rules.md §1–§5).

    Candidates: lots of harvestable accounts with a loss at or above both thresholds, HIFO
    within a security (Reg. §1.1012-1(c)). Each sale is run through the engine with the
    household's history; one that would still be washed (§1091(a)) is blocked, not sold. Tax
    saved: federal tax for the year (§§1, 1(h), 1211(b), 1411) computed on the year's actual
    results, and again with the plan's sales; each sale's share in the order listed.
    """
    return _Planner(case, rules).plan()


def plan_from_snapshot(snapshot: Mapping[str, Any]) -> Plan:
    """Re-run a plan from the inputs a review stored: ``{"case": ..., "planner": ...}``."""
    from .cases import parse_case  # cases.py imports this module: import at call time

    return plan_household(
        case=parse_case(snapshot["case"]), rules=parse_rules(snapshot.get("planner", {}))
    )


class _Planner:
    def __init__(self, case: Case, rules: PlanRules) -> None:
        from .cases import household_schedule, run_engine, year_totals  # cases.py imports this

        if case.income is None:
            raise ValueError("the planner needs the household's income (case.income)")
        self.case, self.rules, self.income = case, rules, case.income
        self.year_totals = year_totals
        self.household_schedule = household_schedule
        self.extras = case.schedule_extras(HOUSEHOLD)
        self.facts = case.facts()
        self.accounts = case.accounts_by_id
        self.identity, self.policy = case.identity, case.policy
        self.as_of, self.year = case.as_of, case.tax_year
        self.through = case.as_of + _WINDOW
        self.prices: Mapping[str, Decimal] = case.prices or {}
        self.securities = {s.symbol: s for s in case.securities}
        self.history = run_engine(case)
        self.held = {o.lot.id: o for o in self.history.holdings_as_of}
        self.base_totals = self.totals(self.history.realized)
        self.base = self.tax_on(self.base_totals, explain=True)

    def over_budget(self, schedule: ScheduleD) -> tuple[Reason, ...]:
        """The year's net gain with the plan above the household's gains budget, said."""
        budget = self.rules.gains_budget
        if budget is None or schedule.net <= budget:
            return ()
        return (
            Reason(
                "over_gains_budget",
                f"With this plan the year's net capital gain is {money_text(schedule.net)}, "
                f"above the gains budget of {money_text(budget)} in the tax profile: harvest "
                "more losses, or defer a planned sale.",
                "Tax profile: gains budget; Schedule D, line 16",
            ),
        )

    # --- helpers -------------------------------------------------------------------------
    def label(self, key: str) -> str:
        return self.rules.labels.get(key, key)

    def on_return(self, account: str) -> bool:
        return self.accounts[account].reported_on == HOUSEHOLD

    def totals(self, realized: Iterable[Realized]) -> tuple[Decimal, Decimal]:
        """The year's allowed short-term and long-term results on the household's return."""
        return self.year_totals(realized, tax_year=self.year, reported_on=HOUSEHOLD)

    def plus(
        self, totals: tuple[Decimal, Decimal], realized: Iterable[Realized]
    ) -> tuple[Decimal, Decimal]:
        """``totals`` with more sales added."""
        short, long = self.totals(realized)
        return totals[0] + short, totals[1] + long

    def year_tax(
        self, realized: Iterable[Realized], *, explain: bool = False
    ) -> tuple[ScheduleD, TaxResult]:
        """Schedule D and federal tax of the household's return for the year."""
        return self.tax_on(self.totals(realized), explain=explain)

    def tax_on(
        self, totals: tuple[Decimal, Decimal], *, explain: bool = False
    ) -> tuple[ScheduleD, TaxResult]:
        """Schedule D and federal tax of the return with the year's results ``totals``; the
        reasons are worded only with ``explain`` (for the figures shown)."""
        schedule = self.household_schedule(
            self.case, totals, explain=explain, extras=self.extras, facts=self.facts
        )
        tax = federal_tax(
            tax_year=self.year,
            filing_status=self.case.filing_status,
            ordinary_income=self.income.ordinary,
            investment_income=self.income.investment,
            schedule=schedule,
            explain=explain,
            facts=self.facts,
        )
        return schedule, tax

    def group_symbols(self, symbol: str) -> tuple[str, ...]:
        group = self.identity.group_of(symbol)
        found = {s for s, g in self.identity.groups.items() if g == group} | {symbol}
        return (symbol, *sorted(found - {symbol}))

    def covered(self, seller: str) -> tuple[str, ...]:
        """Accounts whose purchases wash a loss sold in ``seller`` (IRC §1091(a); Pub 550; Rev.
        Rul. 2008-5)."""
        account = self.accounts[seller]
        domain = harvest_domain(account)
        return tuple(
            a.id
            for a in self.accounts.values()
            if acquirer_domain(a, self.policy, seller_owner=account.owner) == domain
        )

    def lot_words(self, lot_id: str) -> str:
        lot = self.held[lot_id].lot
        return f"lot {self.label(lot_id)} (acquired {lot.acquired.isoformat()})"

    # --- the plan ------------------------------------------------------------------------
    def plan(self) -> Plan:
        candidates, blocked, advantaged, below = plan_candidates.sort_losses(
            self,
        )
        candidates, blocked = plan_candidates.promote(self, candidates, blocked)
        candidates, washed, with_all = plan_proving.prove(self, candidates)
        blocked.extend(washed)
        after = self.year_tax(with_all, explain=True)
        harvests = plan_figures.harvests(self, candidates, with_all, after)
        blocked_findings = plan_reminders.blocked_findings(self, blocked, candidates)
        wait = plan_reminders.wait(
            self,
        )
        gains = plan_figures.zero_rate(self, bool(harvests))
        recommendations = (*harvests, *gains)
        on_return = [r for r in harvests if r.step is Step.HARVEST and self.on_return(r.account)]
        harvest_loss = sum((r.loss or ZERO for r in on_return), ZERO)
        return Plan(
            tax_year=self.year,
            as_of=self.as_of,
            filing_status=self.case.filing_status,
            policy=self.policy,
            harvest_loss=harvest_loss,
            tax_before=self.base[1].total,
            tax_after=after[1].total,
            figures=plan_figures.figures(self, after, on_return),
            recommendations=recommendations,
            blocked=blocked_findings,
            tax_advantaged=tuple(advantaged),
            below_threshold=tuple(below),
            wait=wait,
            do_not_buy=plan_reminders.calendar(self, harvests),
            warnings=(*plan_reminders.warnings(self), *self.over_budget(after[0])),
            notes=plan_reminders.notes(self, advantaged, below, blocked_findings, bool(harvests)),
            state_estimate=plan_figures.state_of(self, self.base[1], after[1]),
            state_rate=self.rules.state_marginal_rate,
        )

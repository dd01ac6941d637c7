"""Account types and their tax treatment: which accounts can harvest, and why.

Rules: IRC §1211(b) and Schedule D (only a taxable account's sale reaches the return);
§408 (IRAs), §401/§501(a) (plan trusts), §223 (HSA), §529; Rev. Rul. 2008-5 (an IRA purchase
washes a taxable loss and the loss is lost for good); tax-rules.md §1.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .reasons import Reason


class Treatment(StrEnum):
    TAXABLE = "taxable"
    TAX_DEFERRED = "tax_deferred"
    TAX_EXEMPT = "tax_exempt"


class AccountType(StrEnum):
    TAXABLE_INDIVIDUAL = "taxable_individual"
    TAXABLE_JOINT = "taxable_joint"
    REVOCABLE_TRUST = "revocable_trust"
    IRREVOCABLE_TRUST = "irrevocable_trust"
    CUSTODIAL = "custodial"
    TRADITIONAL_IRA = "traditional_ira"
    ROLLOVER_IRA = "rollover_ira"
    INHERITED_IRA = "inherited_ira"
    SEP_IRA = "sep_ira"
    SIMPLE_IRA = "simple_ira"
    ROTH_IRA = "roth_ira"
    K401 = "401k"
    ROTH_401K = "roth_401k"
    B403 = "403b"
    B457 = "457b"
    SOLO_401K = "solo_401k"
    HSA = "hsa"
    PLAN_529 = "529"


LABELS: dict[AccountType, str] = {
    AccountType.TAXABLE_INDIVIDUAL: "Taxable individual",
    AccountType.TAXABLE_JOINT: "Taxable joint",
    AccountType.REVOCABLE_TRUST: "Revocable (grantor) trust",
    AccountType.IRREVOCABLE_TRUST: "Irrevocable trust",
    AccountType.CUSTODIAL: "Custodial (UTMA/UGMA)",
    AccountType.TRADITIONAL_IRA: "Traditional IRA",
    AccountType.ROLLOVER_IRA: "Rollover IRA",
    AccountType.INHERITED_IRA: "Inherited IRA",
    AccountType.SEP_IRA: "SEP IRA",
    AccountType.SIMPLE_IRA: "SIMPLE IRA",
    AccountType.ROTH_IRA: "Roth IRA",
    AccountType.K401: "401(k)",
    AccountType.ROTH_401K: "Roth 401(k)",
    AccountType.B403: "403(b)",
    AccountType.B457: "457(b)",
    AccountType.SOLO_401K: "Solo 401(k)",
    AccountType.HSA: "HSA",
    AccountType.PLAN_529: "529 plan",
}

IRA_TYPES = frozenset(
    {
        AccountType.TRADITIONAL_IRA,
        AccountType.ROLLOVER_IRA,
        AccountType.INHERITED_IRA,
        AccountType.SEP_IRA,
        AccountType.SIMPLE_IRA,
        AccountType.ROTH_IRA,
    }
)
EMPLOYER_PLAN_TYPES = frozenset(
    {
        AccountType.K401,
        AccountType.ROTH_401K,
        AccountType.B403,
        AccountType.B457,
        AccountType.SOLO_401K,
    }
)
HSA_529_TYPES = frozenset({AccountType.HSA, AccountType.PLAN_529})
# Taxable, but a separate taxpayer with its own return, limit and carryforward.
SEPARATE_TAXPAYER_TYPES = frozenset({AccountType.IRREVOCABLE_TRUST, AccountType.CUSTODIAL})
TAXABLE_TYPES = frozenset(
    {
        AccountType.TAXABLE_INDIVIDUAL,
        AccountType.TAXABLE_JOINT,
        AccountType.REVOCABLE_TRUST,
        AccountType.IRREVOCABLE_TRUST,
        AccountType.CUSTODIAL,
    }
)
TAX_EXEMPT_TYPES = frozenset(
    {AccountType.ROTH_IRA, AccountType.ROTH_401K, AccountType.HSA, AccountType.PLAN_529}
)

# What helps instead, for an account that cannot harvest (tax-rules.md §1).
WHAT_HELPS_INSTEAD = (
    "What helps instead: rebalance inside the account (trades there are tax-free), contribute at "
    "least up to the employer match, keep fund costs low, and plan the order of withdrawals in "
    "retirement."
)


@dataclass(frozen=True, slots=True)
class Eligibility:
    account_type: AccountType
    treatment: Treatment
    harvestable: bool
    separate_taxpayer: bool
    reason: Reason

    @property
    def label(self) -> str:
        return LABELS[self.account_type]


def parse_account_type(value: str) -> AccountType:
    """The account type named by ``value``; ValueError names the allowed values."""
    try:
        return AccountType(value)
    except ValueError:
        allowed = ", ".join(t.value for t in AccountType)
        raise ValueError(f"unknown account type {value!r} (allowed: {allowed})") from None


def treatment_of(account_type: AccountType) -> Treatment:
    """Tax treatment of an account type (tax-rules.md §1; §408, §401, §223, §529)."""
    if account_type in TAXABLE_TYPES:
        return Treatment.TAXABLE
    if account_type in TAX_EXEMPT_TYPES:
        return Treatment.TAX_EXEMPT
    return Treatment.TAX_DEFERRED


def eligibility(account_type: AccountType) -> Eligibility:
    """Whether a loss realized in this kind of account reaches Schedule D, and why.

    Only a taxable account's sale is a taxable event (IRC §1001, §1211(b)); trades inside an
    IRA (§408(e)), a qualified plan trust (§401(a), §501(a)), an HSA (§223(e)) or a 529 (§529(a))
    are not, so a loss there is never deductible and never offsets a gain elsewhere.
    """
    treatment = treatment_of(account_type)
    label = LABELS[account_type]
    separate = account_type in SEPARATE_TAXPAYER_TYPES
    if treatment is Treatment.TAXABLE:
        if separate:
            who = "the trust" if account_type is AccountType.IRREVOCABLE_TRUST else "the minor"
            reason = Reason(
                "taxable_separate_taxpayer",
                f"{label} account: losses here can be harvested, but on {who}'s own return, with "
                f"its own $3,000 limit and carryforward; they never offset the household's gains.",
                "IRC §1211(b), §641 (trusts), §1(g) (kiddie tax); Schedule D",
            )
        else:
            reason = Reason(
                "taxable_account",
                f"{label} account: a sale here is a taxable event, so a loss reaches Schedule D "
                "and can offset gains and up to $3,000 of ordinary income.",
                "IRC §1001, §1211(b); Schedule D",
            )
        return Eligibility(account_type, treatment, True, separate, reason)

    if account_type in IRA_TYPES:
        rule = "IRC §408(e)(1); IRS Pub 590-A; Rev. Rul. 2008-5"
        what = "an IRA" if account_type is not AccountType.ROTH_IRA else "a Roth IRA"
    elif account_type in EMPLOYER_PLAN_TYPES:
        rule = (
            "IRC §401(a), §501(a); IRS 'What if my 401(k) drops in value?'; "
            "Fish v. Commissioner, T.C. Memo. 2015-176"
        )
        what = "an employer plan"
    elif account_type is AccountType.HSA:
        rule = "IRC §223(e)(1)"
        what = "an HSA"
    else:
        rule = "IRC §529(a)"
        what = "a 529 plan"
    kind = "tax-exempt" if treatment is Treatment.TAX_EXEMPT else "tax-deferred"
    reason = Reason(
        "tax_advantaged_account",
        f"{label} account ({kind}): a sale inside {what} is not a taxable event, so a loss here is "
        "never deductible and never offsets any gain, and a purchase here can wash a loss sold in "
        f"a taxable account. {WHAT_HELPS_INSTEAD}",
        rule,
    )
    return Eligibility(account_type, treatment, False, False, reason)

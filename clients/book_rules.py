"""The book's field rules that the services apply (one set for the pages, the API and the
importers): a tax profile's figures, and what people see of an account number."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError

from clients.models import FilingStatus, TaxProfile

ZERO = Decimal("0.00")
# Money columns hold 18 digits, 2 after the point.
MONEY_LIMIT = Decimal("1E16")


def masked_from_number(number: str) -> str:
    """What people see of an account number: its last four digits (fewer if it has fewer)."""
    digits = "".join(c for c in number if c.isdigit())
    return f"••••{digits[-4:]}"


# Amounts that cannot be negative; the other gains expected may be (a loss).
PROFILE_AMOUNTS = (
    "expected_ordinary_income",
    "investment_income",
    "carryforward_short_term",
    "carryforward_long_term",
    "wages",
    "other_ordinary_income",
    "taxable_interest",
    "ordinary_dividends",
    "qualified_dividends",
    "capital_gain_distributions",
    "state_local_taxes",
    "other_itemized_deductions",
    "gains_budget",
)

# A state's top marginal rate is under 15%; more is a typing slip (5 for 0.05).
STATE_RATE_LIMIT = Decimal("0.2")


def profile_checks(profile: TaxProfile) -> None:
    """The return's figures, each named by its field, before the model's own checks."""
    errors: dict[str, str] = {}
    if profile.filing_status not in FilingStatus.values:
        errors["filing_status"] = "Choose a filing status."
    for name in PROFILE_AMOUNTS:
        value = getattr(profile, name)
        if value is not None and value < 0:
            label = TaxProfile._meta.get_field(name).verbose_name
            errors[name] = f"The {label} cannot be negative."
        elif value is not None and abs(value) >= MONEY_LIMIT:
            errors[name] = "That is larger than any amount we can record."
    ordinary, qualified = profile.ordinary_dividends, profile.qualified_dividends
    if (
        qualified is not None
        and qualified > (ordinary or ZERO)
        and "qualified_dividends" not in errors
    ):
        errors["qualified_dividends"] = (
            "Qualified dividends are part of the ordinary dividends: they cannot be more."
        )
    rate = profile.state_marginal_rate
    if rate is not None and not ZERO <= rate <= STATE_RATE_LIMIT:
        errors["state_marginal_rate"] = (
            "Enter the state's marginal rate as a fraction between 0 and 0.2 (5% is 0.05)."
        )
    share = profile.joint_taxpayer_share
    if share is None or not ZERO <= share <= 1:
        errors["joint_taxpayer_share"] = "The taxpayer's share is a fraction between 0 and 1."
    if errors:
        raise ValidationError(errors)


_INCOME_LINES = ("wages", "other_ordinary_income", "taxable_interest", "ordinary_dividends")


def derive_totals(profile: TaxProfile) -> None:
    """When any income line of the whole return is set, the two older totals follow from them
    (the model's rule: ordinary = wages + other ordinary income; investment = interest +
    non-qualified dividends), so that every reader of either sees the same return."""
    if all(getattr(profile, name) is None for name in _INCOME_LINES):
        return
    lines = {name: getattr(profile, name) or ZERO for name in _INCOME_LINES}
    qualified = profile.qualified_dividends or ZERO
    profile.expected_ordinary_income = lines["wages"] + lines["other_ordinary_income"]
    profile.investment_income = lines["taxable_interest"] + max(
        lines["ordinary_dividends"] - qualified, ZERO
    )

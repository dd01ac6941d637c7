"""What advisors manage: households, their people and accounts, securities, lots, transactions.

Money is DecimalField(18, 2), share quantities DecimalField(20, 6) (fractional shares), and
per-unit prices DecimalField(18, 6) (fund NAVs and crypto quote beyond the cent). Public UUIDs
go in URLs; the sequential key never leaves the database.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from clients import bounds
from taxlogic.rules.accounts import (
    LABELS,
    AccountType,
    Eligibility,
    Treatment,
    eligibility,
    treatment_of,
)

# With the bounds of clients/bounds.py (the same for forms, the API, services and imports).
MONEY = {"max_digits": 18, "decimal_places": 2, "validators": bounds.MONEY_VALIDATORS}
QUANTITY = {"max_digits": 20, "decimal_places": 6, "validators": bounds.QUANTITY_VALIDATORS}
UNIT_PRICE = {"max_digits": 18, "decimal_places": 6, "validators": bounds.PRICE_VALIDATORS}
CENT = Decimal("0.01")

# At most four digits anywhere: the rest of an account number is never stored.
MASKED_NUMBER_RE = r"^[^0-9]*([0-9][^0-9]*){0,4}$"


class Household(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey("advisors.Firm", on_delete=models.PROTECT, related_name="households")
    team = models.ForeignKey(
        "advisors.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="households",
    )
    primary_advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="households"
    )
    name = models.CharField(max_length=200)
    external_crm_id = models.CharField(
        "CRM id", max_length=64, blank=True, help_text="The household's id in the firm's CRM."
    )
    notes = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["firm", "team", "name"], name="household_scope_idx"),
            # The API's sync order (advisors/pagination.py), per firm.
            models.Index(fields=["firm", "updated", "public_id"], name="household_sync_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "external_crm_id"],
                condition=~Q(external_crm_id=""),
                name="household_crm_id_unique_in_firm",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.team_id is not None and self.firm_id and self.team.firm_id != self.firm_id:
            errors["team"] = "The team must belong to the household's firm."
        advisor_id = self.primary_advisor_id
        if advisor_id is not None and self.firm_id and self.primary_advisor.firm_id != self.firm_id:
            errors["primary_advisor"] = "The primary advisor must work at the household's firm."
        if errors:
            raise ValidationError(errors)


class PersonRole(models.TextChoices):
    TAXPAYER = "taxpayer", "Taxpayer"
    SPOUSE = "spouse", "Spouse"
    DEPENDENT = "dependent", "Dependent"


class Person(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="people")
    role = models.CharField(max_length=20, choices=PersonRole.choices)
    name = models.CharField(max_length=200)
    date_of_birth = models.DateField(null=True, blank=True, validators=bounds.PAST_DATE_VALIDATORS)
    # Both feed the return: §63(f) additional standard deduction (65 or older, blind) and the
    # senior deduction; a death ends the person's carryforward after the final return.
    blind = models.BooleanField(default=False)
    date_of_death = models.DateField(null=True, blank=True, validators=bounds.PAST_DATE_VALIDATORS)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["role", "name"]
        verbose_name_plural = "people"
        constraints = [
            # A return has one taxpayer and at most one spouse.
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(role=PersonRole.TAXPAYER),
                name="person_one_taxpayer_per_household",
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(role=PersonRole.SPOUSE),
                name="person_one_spouse_per_household",
            ),
        ]

    def __str__(self) -> str:
        return self.name


TREATMENT_LABELS = {
    Treatment.TAXABLE.value: "Taxable",
    Treatment.TAX_DEFERRED.value: "Tax-deferred",
    Treatment.TAX_EXEMPT.value: "Tax-exempt",
}
ACCOUNT_TYPE_CHOICES = [(t.value, LABELS[t]) for t in AccountType]


def _treatment_matches_type() -> Q:
    """The check that ``treatment`` is what taxlogic says the type implies (no copied table)."""
    condition = Q()
    for treatment in Treatment:
        types = sorted(t.value for t in AccountType if treatment_of(t) is treatment)
        condition |= Q(type__in=types, treatment=treatment.value)
    return condition


class ReliefMethod(models.TextChoices):
    """How the custodian relieves lots on a sale that names none (Reg. §1.1012-1(c), (e))."""

    FIFO = "fifo", "First in, first out"
    SPECIFIC = "specific", "Specific identification"
    AVERAGE = "average", "Average cost (funds)"


class Account(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="accounts")
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="accounts")
    custodian = models.CharField(max_length=100)
    masked_number = models.CharField(
        max_length=32,
        help_text="As shown to people, with at most the last four digits, e.g. ••••1234.",
    )
    # The full number: stored for the custodian's order files only; shown masked everywhere else.
    account_number = models.CharField(max_length=34, blank=True)
    type = models.CharField(max_length=32, choices=ACCOUNT_TYPE_CHOICES)
    opened = models.DateField(null=True, blank=True, validators=bounds.DATE_VALIDATORS)
    closed = models.DateField(null=True, blank=True, validators=bounds.DATE_VALIDATORS)
    relief_method = models.CharField(
        max_length=10, choices=ReliefMethod.choices, default=ReliefMethod.FIFO
    )
    # Funds held at average basis in this account (Reg. §1.1012-1(e)), when the method is on.
    average_basis = models.BooleanField(
        default=False, help_text="Funds in this account are held at average basis."
    )
    # Known to exist (e.g. a 401(k) elsewhere) but with no lots here: wash sales there are not
    # covered by the plan, which says so.
    held_away = models.BooleanField(default=False)
    # Derived from type in save(); stored so that pages and queries can group and filter by it.
    treatment = models.CharField(
        max_length=16, choices=list(TREATMENT_LABELS.items()), editable=False
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["treatment", "type", "custodian", "masked_number"]
        constraints = [
            models.CheckConstraint(
                condition=_treatment_matches_type(), name="account_treatment_matches_type"
            ),
            models.CheckConstraint(
                condition=Q(masked_number__regex=MASKED_NUMBER_RE),
                name="account_number_is_masked",
            ),
            models.UniqueConstraint(
                fields=["household", "custodian", "masked_number"],
                name="account_unique_in_household",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.custodian} {self.masked_number} ({self.type_label})"

    @property
    def type_label(self) -> str:
        return LABELS[AccountType(self.type)]

    @property
    def treatment_label(self) -> str:
        return TREATMENT_LABELS[self.treatment]

    @property
    def eligibility(self) -> Eligibility:
        """Whether this account can harvest, and why (taxlogic's rule, with its citation)."""
        return eligibility(AccountType(self.type))

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.masked_number and not re.match(MASKED_NUMBER_RE, self.masked_number):
            errors["masked_number"] = "Keep at most the last four digits of the account number."
        if self.owner_id and self.household_id and self.owner.household_id != self.household_id:
            errors["owner"] = "The owner must be a person of this household."
        if errors:
            raise ValidationError(errors)

    def save(self, *args: object, **kwargs: object) -> None:
        self.treatment = treatment_of(AccountType(self.type)).value
        super().save(*args, **kwargs)


class SecurityKind(models.TextChoices):
    STOCK = "stock", "Stock"
    FUND = "fund", "Fund"
    BOND = "bond", "Bond"
    OPTION = "option", "Option"
    CRYPTO = "crypto", "Crypto"


class AssetClass(models.TextChoices):
    US_EQUITY = "us_equity", "US equity"
    INTERNATIONAL_EQUITY = "international_equity", "International equity"
    US_BONDS = "us_bonds", "US bonds"
    INTERNATIONAL_BONDS = "international_bonds", "International bonds"
    REAL_ESTATE = "real_estate", "Real estate"
    COMMODITIES = "commodities", "Commodities"
    CRYPTO = "crypto", "Crypto"
    CASH = "cash", "Cash"


class Security(models.Model):
    """Reference data shared by every firm; each firm keeps its own replacement list."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    symbol = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=200)
    cusip = models.CharField("CUSIP", max_length=9, blank=True)
    kind = models.CharField(max_length=10, choices=SecurityKind.choices)
    asset_class = models.CharField(max_length=24, choices=AssetClass.choices)
    # Funds tracking the same index form a "substantially identical" group (tax-rules.md §2).
    tracked_index = models.CharField(max_length=100, blank=True, db_index=True)
    same_as = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="share_classes",
        help_text="The same security in another share class (always substantially identical).",
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["symbol"]
        verbose_name_plural = "securities"
        constraints = [
            models.UniqueConstraint(
                fields=["cusip"], condition=~Q(cusip=""), name="security_cusip_unique"
            ),
            models.CheckConstraint(
                condition=Q(same_as__isnull=True) | ~Q(same_as=F("pk")),
                name="security_same_as_not_itself",
            ),
        ]

    def __str__(self) -> str:
        return self.symbol


class Replacement(models.Model):
    """One entry of a firm's replacement list: buy ``replacement`` after harvesting ``security``.

    A replacement has the security's asset class and tracks a different index, so it keeps the
    exposure without being substantially identical.
    """

    firm = models.ForeignKey("advisors.Firm", on_delete=models.CASCADE, related_name="replacements")
    security = models.ForeignKey(Security, on_delete=models.CASCADE, related_name="replacements")
    replacement = models.ForeignKey(Security, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField(default=1, help_text="1 is the first choice.")
    # Why the two are not substantially identical (e.g. they track different indexes).
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["security_id", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "security", "replacement"], name="replacement_unique"
            ),
            models.CheckConstraint(
                condition=~Q(security=F("replacement")), name="replacement_not_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.security} → {self.replacement}"

    def clean(self) -> None:
        super().clean()
        if not (self.security_id and self.replacement_id):
            return
        s, r = self.security, self.replacement
        if s.asset_class != r.asset_class:
            raise ValidationError({"replacement": "A replacement must have the same asset class."})
        if s.pk == r.pk or {s.pk, s.same_as_id} & {r.pk, r.same_as_id} - {None}:
            raise ValidationError({"replacement": "That is the same security (a share class)."})
        if s.tracked_index and s.tracked_index == r.tracked_index:
            raise ValidationError(
                {"replacement": f"Both track {s.tracked_index}: substantially identical."}
            )


class AcquiredHow(models.TextChoices):
    PURCHASE = "purchase", "Purchase"
    INHERITED = "inherited", "Inherited"
    GIFT = "gift", "Gift"


class TaxLot(models.Model):
    """Shares of one security acquired together in one account.

    ``quantity`` and ``cost_basis`` are what is still open; a sale relieves both (the sale's
    transaction records the basis it took). ``wash_sale_adjustment`` is the disallowed loss added
    to the open shares' basis (IRC §1091(d)); ``holding_period_start`` already includes any
    holding period tacked on (§1223(3)) or carried over from a donor (§1015).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Denormalized from the account's household so that scoped queries stay on this table.
    firm = models.ForeignKey("advisors.Firm", on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(
        "advisors.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lots")
    security = models.ForeignKey(Security, on_delete=models.PROTECT, related_name="lots")
    external_id = models.CharField(max_length=64, blank=True, help_text="The custodian's lot id.")
    original_quantity = models.DecimalField(**QUANTITY)
    quantity = models.DecimalField(**QUANTITY)
    cost_basis = models.DecimalField(**MONEY)
    acquired = models.DateField(
        help_text="Trade date of the acquisition (the donor's, for a gift).",
        validators=bounds.DATE_VALIDATORS,
    )
    how_acquired = models.CharField(
        max_length=10, choices=AcquiredHow.choices, default=AcquiredHow.PURCHASE
    )
    gift_date = models.DateField(null=True, blank=True, validators=bounds.DATE_VALIDATORS)
    gift_value = models.DecimalField("market value at the gift", **MONEY, null=True, blank=True)
    holding_period_start = models.DateField(
        blank=True, help_text="Left empty, the acquisition date.", validators=bounds.DATE_VALIDATORS
    )
    wash_sale_adjustment = models.DecimalField(**MONEY, default=Decimal("0.00"))
    # The custodian already applied ``wash_sale_adjustment`` (same account, same CUSIP, on its
    # 1099-B): the engine must not apply that wash sale a second time (tax-rules.md §2).
    broker_wash_applied = models.BooleanField(default=False)
    covered = models.BooleanField(
        null=True, blank=True, help_text="A covered security for 1099-B basis reporting."
    )
    # Also saved by every change to quantity, basis or adjustment (the API's updated_since).
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["acquired", "id"]
        verbose_name = "tax lot"
        indexes = [
            models.Index(fields=["firm", "team"], name="taxlot_scope_idx"),
            models.Index(fields=["account", "security", "acquired"], name="taxlot_account_idx"),
            models.Index(fields=["firm", "updated", "public_id"], name="taxlot_sync_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(original_quantity__gt=0), name="taxlot_original_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=0, quantity__lte=F("original_quantity")),
                name="taxlot_quantity_within_original",
            ),
            models.CheckConstraint(
                condition=Q(cost_basis__gte=0), name="taxlot_basis_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(wash_sale_adjustment__gte=0), name="taxlot_wash_adjustment_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(holding_period_start__lte=F("acquired")),
                name="taxlot_holding_period_not_after_acquired",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        how_acquired=AcquiredHow.GIFT,
                        gift_date__isnull=False,
                        gift_value__isnull=False,
                        gift_value__gte=0,
                    )
                    | (
                        ~Q(how_acquired=AcquiredHow.GIFT)
                        & Q(gift_date__isnull=True, gift_value__isnull=True)
                    )
                ),
                name="taxlot_gift_fields_iff_gift",
            ),
            models.UniqueConstraint(
                fields=["account", "external_id"],
                condition=~Q(external_id=""),
                name="taxlot_external_id_unique_in_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity.normalize():f} {self.security} acquired {self.acquired}"

    @property
    def adjusted_basis(self) -> Decimal:
        return self.cost_basis + self.wash_sale_adjustment

    def clean(self) -> None:
        super().clean()
        if self.how_acquired == AcquiredHow.GIFT:
            errors = {}
            if self.gift_date is None:
                errors["gift_date"] = "A gift needs the date it was given."
            if self.gift_value is None:
                errors["gift_value"] = "A gift needs its market value on that date."
            if errors:
                raise ValidationError(errors)

    def save(self, *args: object, **kwargs: object) -> None:
        if self.holding_period_start is None:
            self.holding_period_start = self.acquired
        if self.firm_id is None:
            household = self.account.household
            self.firm_id, self.team_id = household.firm_id, household.team_id
        super().save(*args, **kwargs)


class Action(models.TextChoices):
    BUY = "buy", "Buy"
    SELL = "sell", "Sell"
    REINVEST = "reinvest", "Dividend reinvestment"
    TRANSFER_IN = "transfer_in", "Transfer in"
    TRANSFER_OUT = "transfer_out", "Transfer out"
    SPLIT = "split", "Split"
    DISTRIBUTION = "distribution", "Capital-gain distribution"
    DIVIDEND = "dividend", "Dividend (cash)"
    REVERSAL = "reversal", "Reversal"


# Actions that move no shares of a lot by themselves (quantity may be zero).
NON_SHARE_ACTIONS = frozenset({Action.SPLIT, Action.DISTRIBUTION, Action.DIVIDEND, Action.REVERSAL})

OPENING_ACTIONS = frozenset({Action.BUY, Action.REINVEST, Action.TRANSFER_IN})
CLOSING_ACTIONS = frozenset({Action.SELL, Action.TRANSFER_OUT})


class Transaction(models.Model):
    """One trade. ``lot`` is the lot a buy opened or the lot a sale relieved (specific id).

    ``amount`` is the total paid for a buy (fees included) or the net proceeds of a sale;
    ``basis_relieved`` is the basis (wash-sale adjustment included) a sale took from its lot.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey("advisors.Firm", on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(
        "advisors.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="transactions")
    security = models.ForeignKey(Security, on_delete=models.PROTECT, related_name="transactions")
    lot = models.ForeignKey(
        TaxLot, on_delete=models.PROTECT, null=True, blank=True, related_name="transactions"
    )
    external_id = models.CharField(max_length=64, blank=True)
    trade_date = models.DateField(validators=bounds.DATE_VALIDATORS)
    action = models.CharField(max_length=16, choices=Action.choices)
    quantity = models.DecimalField(**QUANTITY)
    price = models.DecimalField(**UNIT_PRICE)
    fees = models.DecimalField(**MONEY, default=Decimal("0.00"))
    amount = models.DecimalField(**MONEY)
    basis_relieved = models.DecimalField(**MONEY, null=True, blank=True)
    # A split's ratio (new shares per old share: 4 for 4-for-1, 0.1 for 1-for-10).
    ratio = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    # A correction is a reversal of the original and a re-entry; the original is never edited.
    reverses = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversals"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-trade_date", "-id"]
        indexes = [
            models.Index(fields=["firm", "team"], name="transaction_scope_idx"),
            models.Index(fields=["account", "trade_date"], name="transaction_account_idx"),
            models.Index(fields=["security", "trade_date"], name="transaction_security_idx"),
            models.Index(fields=["firm", "recorded_at", "public_id"], name="transaction_sync_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0)
                | Q(quantity=0, action__in=sorted(a.value for a in NON_SHARE_ACTIONS)),
                name="transaction_quantity_positive",
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0), name="transaction_price_not_negative"
            ),
            models.CheckConstraint(condition=Q(fees__gte=0), name="transaction_fees_not_negative"),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="transaction_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(basis_relieved__isnull=True) | Q(basis_relieved__gte=0),
                name="transaction_basis_relieved_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(action__in=sorted(a.value for a in CLOSING_ACTIONS))
                | Q(lot__isnull=False, basis_relieved__isnull=False),
                name="transaction_sale_names_its_lot",
            ),
            models.UniqueConstraint(
                fields=["account", "external_id"],
                condition=~Q(external_id=""),
                name="transaction_external_id_unique_in_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.quantity.normalize():f} {self.security}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.firm_id is None:
            household = self.account.household
            self.firm_id, self.team_id = household.firm_id, household.team_id
        super().save(*args, **kwargs)


class Price(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    security = models.ForeignKey(Security, on_delete=models.CASCADE, related_name="prices")
    date = models.DateField(validators=bounds.DATE_VALIDATORS)
    close = models.DecimalField(**UNIT_PRICE)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["security_id", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["security", "date"], name="price_one_per_security_day"),
            models.CheckConstraint(condition=Q(close__gt=0), name="price_close_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.security} {self.date}: {self.close}"


class FilingStatus(models.TextChoices):
    SINGLE = "single", "Single"
    MARRIED_JOINT = "married_joint", "Married filing jointly"
    MARRIED_SEPARATE = "married_separate", "Married filing separately"
    HEAD_OF_HOUSEHOLD = "head_of_household", "Head of household"
    SURVIVING_SPOUSE = "surviving_spouse", "Qualifying surviving spouse"


class TaxProfile(models.Model):
    """A household's return for one tax year: what the planner needs to know about it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="tax_profiles")
    tax_year = models.PositiveSmallIntegerField()
    filing_status = models.CharField(max_length=20, choices=FilingStatus.choices)
    expected_ordinary_income = models.DecimalField(
        **MONEY, default=Decimal("0.00"), help_text="Wages, pensions, … before deductions."
    )
    investment_income = models.DecimalField(
        **MONEY, default=Decimal("0.00"), help_text="Interest and ordinary dividends."
    )
    carryforward_short_term = models.DecimalField(
        "short-term loss carryforward in", **MONEY, default=Decimal("0.00")
    )
    carryforward_long_term = models.DecimalField(
        "long-term loss carryforward in", **MONEY, default=Decimal("0.00")
    )
    # The whole return (case format v2, ../shared/cases/README.md). When any of wages,
    # other_ordinary_income, taxable_interest or ordinary_dividends is set, they replace the two
    # older totals above (expected_ordinary_income = wages + other ordinary income;
    # investment_income = interest + non-qualified dividends), which stay for old API clients.
    wages = models.DecimalField(**MONEY, null=True, blank=True)
    other_ordinary_income = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="Pensions, IRA distributions, business income."
    )
    taxable_interest = models.DecimalField(**MONEY, null=True, blank=True)
    ordinary_dividends = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="Form 1099-DIV box 1a, qualified included."
    )
    qualified_dividends = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="Box 1b: part of the ordinary dividends."
    )
    capital_gain_distributions = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="Box 2a, expected from funds held elsewhere."
    )
    other_short_term_gains = models.DecimalField(
        "other short-term gains expected",
        **MONEY,
        null=True,
        blank=True,
        help_text="Realized outside our accounts this year (a loss negative).",
    )
    other_long_term_gains = models.DecimalField(
        "other long-term gains expected",
        **MONEY,
        null=True,
        blank=True,
        help_text="Realized outside our accounts this year (a loss negative).",
    )
    # Itemized deductions: when either is set, the larger of itemized and standard is used.
    state_local_taxes = models.DecimalField(
        "state and local taxes paid",
        **MONEY,
        null=True,
        blank=True,
        help_text="Before the SALT cap.",
    )
    other_itemized_deductions = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="Mortgage interest, charity, … as allowed."
    )
    # An estimate of state tax shown apart from the federal figures (never mixed into them).
    state_marginal_rate = models.DecimalField(
        max_digits=5, decimal_places=4, null=True, blank=True, help_text="e.g. 0.0500 for 5%."
    )
    gains_budget = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        help_text="The most net gain the client is willing to realize this year.",
    )
    # A joint account's losses belong half to each spouse unless this says otherwise.
    joint_taxpayer_share = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.5000"),
        help_text="The taxpayer's share of a joint account's gains and losses.",
    )
    notes = models.TextField(blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["household_id", "-tax_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "tax_year"], name="taxprofile_one_per_household_year"
            ),
            models.CheckConstraint(
                condition=Q(tax_year__gte=2000, tax_year__lte=2100), name="taxprofile_year_sane"
            ),
            models.CheckConstraint(
                condition=Q(investment_income__gte=0), name="taxprofile_investment_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(carryforward_short_term__gte=0, carryforward_long_term__gte=0),
                name="taxprofile_carryforward_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(joint_taxpayer_share__gte=0, joint_taxpayer_share__lte=1),
                name="taxprofile_joint_share_within_one",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.tax_year}"


class RefKind(models.TextChoices):
    HOUSEHOLD = "household", "Household"
    PERSON = "person", "Person"
    ACCOUNT = "account", "Account"


SYSTEM_RE = r"^[a-z0-9][a-z0-9_.-]{0,31}$"


class ExternalRef(models.Model):
    """An id another system (a CRM: ``redtail`` contact 123) gives a household, person or
    account of ours; unique per firm, kind and system, so a CRM can upsert by its own id."""

    firm = models.ForeignKey("advisors.Firm", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=RefKind.choices)
    system = models.CharField(max_length=32, help_text="Lower case, e.g. redtail, wealthbox.")
    external_id = models.CharField(max_length=64)
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, null=True, blank=True, related_name="external_refs"
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="external_refs"
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="external_refs"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["system", "external_id"]
        verbose_name = "external reference"
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "kind", "system", "external_id"], name="externalref_unique_in_firm"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind=RefKind.HOUSEHOLD,
                        household__isnull=False,
                        person__isnull=True,
                        account__isnull=True,
                    )
                    | Q(
                        kind=RefKind.PERSON,
                        household__isnull=True,
                        person__isnull=False,
                        account__isnull=True,
                    )
                    | Q(
                        kind=RefKind.ACCOUNT,
                        household__isnull=True,
                        person__isnull=True,
                        account__isnull=False,
                    )
                ),
                name="externalref_one_owner_of_its_kind",
            ),
            models.CheckConstraint(
                condition=Q(system__regex=SYSTEM_RE) & ~Q(external_id=""),
                name="externalref_system_and_id_well_formed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.system}:{self.external_id}"


# The carryforward ledger and the replacement list's versions (issue 11), in a module of their own.
# The audit trail (django-pghistory): event models of the tables above.
from clients import history  # noqa: E402, F401
from clients.access import HouseholdAccess  # noqa: E402, F401  (the access log)
from clients.book_models import (  # noqa: E402, F401
    CarryforwardEntry,
    CarryforwardSource,
    Character,
    ReplacementListVersion,
)

# Imports (issue 12): ImportBatch and ImportRow live in clients/imports/models.py.
from clients.imports.models import ImportBatch, ImportRow  # noqa: E402, F401

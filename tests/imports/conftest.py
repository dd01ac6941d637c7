"""Fixtures of the import tests: a firm's book with the accounts the sample files name.

``book`` gives firm A (tests/fixtures.py) a household of ``advisor`` with three accounts whose
numbers are those of tests/data/imports (Schwab 12345678, Fidelity Z87654321, Pershing
4RX000123), the securities and today's prices of those files, and a replacement for each fund
so that a review can recommend harvests. ``run_import`` uploads text or a sample file through
the pipeline and returns the batch.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from advisors.models import Advisor
from clients.imports import commit, pipeline
from clients.imports.models import ImportBatch
from clients.models import Account, Household, Security, SecurityKind
from taxlogic.rules.accounts import AccountType
from tests.factories import (
    AccountFactory,
    HouseholdFactory,
    PersonFactory,
    PriceFactory,
    ReplacementFactory,
    SecurityFactory,
    TaxProfileFactory,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "imports"
TODAY = timezone.localdate

SECURITIES = {
    # symbol: (kind, index, close today, cusip)
    "VTI": (SecurityKind.FUND, "CRSP US Total Market", "250.00", "922908769"),
    "SCHB": (SecurityKind.FUND, "Dow Jones U.S. Broad Stock Market", "24.00", "808524102"),
    "AAPL": (SecurityKind.STOCK, "", "190.00", "037833100"),
    "MSFT": (SecurityKind.STOCK, "", "410.00", "594918104"),
    "VEA": (SecurityKind.FUND, "FTSE Developed All Cap ex US", "48.00", "921943858"),
    "IEFA": (SecurityKind.FUND, "MSCI EAFE IMI", "70.00", "46432F842"),
    "FXAIX": (SecurityKind.FUND, "S&P 500", "180.00", "315911750"),
    "BND": (SecurityKind.FUND, "Bloomberg US Aggregate Float Adjusted", "70.00", "921937835"),
    "AGG": (SecurityKind.FUND, "Bloomberg US Aggregate", "98.00", "464287226"),
}
REPLACEMENTS = {"VTI": "SCHB", "VEA": "IEFA", "AGG": "BND", "BND": "AGG", "IEFA": "VEA"}
NUMBERS = {"schwab": "12345678", "fidelity": "Z87654321", "pershing": "4RX000123"}


def days_ago(n: int) -> datetime.date:
    return TODAY() - datetime.timedelta(days=n)


@pytest.fixture
def securities(db: None) -> dict[str, Security]:
    out = {}
    for symbol, (kind, index, close, cusip) in SECURITIES.items():
        asset = (
            "us_bonds"
            if symbol in ("BND", "AGG")
            else ("international_equity" if symbol in ("VEA", "IEFA") else "us_equity")
        )
        out[symbol] = SecurityFactory(
            symbol=symbol, kind=kind, tracked_index=index, cusip=cusip, asset_class=asset
        )
        PriceFactory(security=out[symbol], date=TODAY(), close=Decimal(close))
    return out


@pytest.fixture
def book(advisor: Advisor, securities: dict[str, Security]) -> Household:
    household = HouseholdFactory(primary_advisor=advisor, name="Imported Family")
    person = PersonFactory(household=household, name="Pat Imported")
    for custodian, number in NUMBERS.items():
        AccountFactory(
            household=household,
            owner=person,
            custodian=custodian.title(),
            masked_number=f"••••{number[-4:]}",
            account_number=number,
            type=AccountType.TAXABLE_JOINT.value
            if custodian == "fidelity"
            else AccountType.TAXABLE_INDIVIDUAL.value,
        )
    TaxProfileFactory(household=household)
    for symbol, replacement in REPLACEMENTS.items():
        ReplacementFactory(
            firm=household.firm, security=securities[symbol], replacement=securities[replacement]
        )
    return household


def account(household: Household, custodian: str) -> Account:
    return household.accounts.get(account_number=NUMBERS[custodian])


@pytest.fixture
def run_import() -> Callable[..., ImportBatch]:
    def run(
        actor: Any,
        content: str | bytes | None = None,
        *,
        name: str = "lots.csv",
        sample: str = "",
        fmt: str = "",
    ) -> ImportBatch:
        if sample:
            name, data = sample, (DATA / sample).read_bytes()
        else:
            data = content.encode() if isinstance(content, str) else content
        batch = pipeline.batch_start(
            actor=actor, upload=BytesIO(data), file_name=name, format_name=fmt
        )
        batch.refresh_from_db()
        return batch

    return run


def committed(batch: ImportBatch, actor: Any) -> ImportBatch:
    return commit.batch_commit(batch_id=batch.pk, actor=actor)


def errors_of(batch: ImportBatch) -> list[tuple[int, str, str]]:
    return [
        (r.number, e["column"], e["message"])
        for r in batch.rows.filter(kind="error").order_by("number")
        for e in r.errors
    ]


# The API tests' OAuth2 clients (tests/api/conftest.py), for tests/imports/test_api.py.
from tests.api.conftest import make_integration  # noqa: E402, F401

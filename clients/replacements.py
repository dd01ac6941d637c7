"""The security master and each firm's replacement list (issue 11).

A firm's admins add and remove pairs ("sell VTI, buy SCHB"), each with the reason the two are
not substantially identical; each change writes a new version of the whole list
(``ReplacementListVersion``: number, the pairs with the indexes both tracked then, the reason,
who and when), and each review records the version it used. Under the default policy two
funds that track the same index are substantially identical (tax-rules.md §2), so a pair must
track different indexes (``Replacement.clean``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from advisors import scoping
from advisors.models import Firm
from clients.models import (
    AssetClass,
    Replacement,
    ReplacementListVersion,
    Security,
    SecurityKind,
)


def replacement_list_versions(firm_ids: Iterable[int]) -> dict[int, int]:
    """The number of the list in force for each firm that has versions (one query)."""
    return dict(
        ReplacementListVersion.objects.filter(firm_id__in=list(firm_ids))
        .values("firm_id")
        .annotate(number=Max("number"))
        .values_list("firm_id", "number")
    )


def replacement_list(firm: Firm, *, user: Any = None) -> list[Replacement]:
    """The firm's pairs in force; as ``user`` may see them when given (a page's request)."""
    source = Replacement.objects.all() if user is None else scoping.visible(user, Replacement)
    return list(
        source.filter(firm=firm)
        .select_related("security", "replacement")
        .order_by("security__symbol", "rank", "replacement__symbol")
    )


def _entries(firm: Firm) -> list[dict[str, Any]]:
    return [
        {
            "security": r.security.symbol,
            "security_index": r.security.tracked_index,
            "replacement": r.replacement.symbol,
            "replacement_index": r.replacement.tracked_index,
            "rank": r.rank,
            "reason": r.reason,
        }
        for r in replacement_list(firm)
    ]


def _may_change(user: Any, firm: Firm) -> None:
    if not scoping.writable(user, Firm).filter(pk=firm.pk).exists():
        raise PermissionDenied("Only the firm's admins change its replacement list.")


def _new_version(*, firm: Firm, user: Any, change: str) -> ReplacementListVersion:
    # The firm row is locked by the caller: numbers are handed out one at a time.
    last = ReplacementListVersion.objects.filter(firm=firm).aggregate(n=Max("number"))["n"] or 0
    return ReplacementListVersion.objects.create(
        firm=firm,
        number=last + 1,
        entries=_entries(firm),
        change=change,
        created_by=user if hasattr(user, "role") else None,
    )


def default_reason(security: Security, replacement: Security) -> str:
    if security.tracked_index and replacement.tracked_index:
        return (
            f"{security.symbol} tracks the {security.tracked_index} index and "
            f"{replacement.symbol} the {replacement.tracked_index} index: different indexes, "
            "not substantially identical under the firm's policy."
        )
    return ""


@transaction.atomic
def replacement_add(
    *,
    user: Any,
    firm: Firm,
    security: Security | None,
    replacement: Security | None,
    rank: int = 1,
    reason: str = "",
    both_ways: bool = False,
) -> ReplacementListVersion:
    """Add "sell ``security``, buy ``replacement``" (and the reverse when ``both_ways``) to the
    firm's list, as a new version. ValidationError names the field; nothing is written then."""
    _may_change(user, firm)
    Firm.objects.select_for_update().get(pk=firm.pk)
    errors: dict[str, str] = {}
    if security is None:
        errors["security"] = "Choose the security to sell."
    if replacement is None:
        errors["replacement"] = "Choose the security to buy instead."
    if not (reason or "").strip():
        errors["reason"] = "Say why the two are not substantially identical."
    if not isinstance(rank, int) or not 1 <= rank <= 99:
        errors["rank"] = "Give a rank from 1 (first choice) to 99."
    if errors:
        raise ValidationError(errors)
    assert security is not None and replacement is not None
    pairs = [(security, replacement)] + ([(replacement, security)] if both_ways else [])
    for sell, buy in pairs:
        entry = Replacement(firm=firm, security=sell, replacement=buy, rank=rank, reason=reason)
        entry.clean()
        if Replacement.objects.filter(firm=firm, security=sell, replacement=buy).exists():
            raise ValidationError(
                {"replacement": f"{sell} → {buy} is already on the list: remove it first."}
            )
        entry.save()
    change = f"Added {security} → {replacement}" + (" (both ways)" if both_ways else "")
    return _new_version(firm=firm, user=user, change=f"{change}: {reason.strip()}")


@transaction.atomic
def replacement_remove(
    *, user: Any, firm: Firm, entry: Replacement, reason: str = ""
) -> ReplacementListVersion:
    """Take a pair off the firm's list, as a new version (the old versions keep it)."""
    _may_change(user, firm)
    Firm.objects.select_for_update().get(pk=firm.pk)
    if entry.firm_id != firm.pk:
        raise PermissionDenied("That pair is not on your firm's list.")
    label = f"{entry.security} → {entry.replacement}"
    entry.delete()
    why = f": {reason.strip()}" if (reason or "").strip() else ""
    return _new_version(firm=firm, user=user, change=f"Removed {label}{why}")


@transaction.atomic
def replacement_list_start(*, firm: Firm, user: Any = None, change: str) -> ReplacementListVersion:
    """A version for the list as it stands (seed_demo: once, when the firm has none yet)."""
    Firm.objects.select_for_update().get(pk=firm.pk)
    return _new_version(firm=firm, user=user, change=change)


def security_create(
    *,
    user: Any,
    symbol: str,
    name: str,
    kind: str,
    asset_class: str,
    tracked_index: str = "",
    cusip: str = "",
) -> Security:
    """Add a security the master does not know yet (firm admins and the platform's
    operators). ValidationError names the field; nothing is written then."""
    if not scoping.may_add_security(user):
        raise PermissionDenied("Only firm admins add securities.")
    symbol = (symbol or "").strip().upper()
    cusip = (cusip or "").strip().upper()
    security = Security(
        symbol=symbol,
        name=(name or "").strip(),
        kind=kind,
        asset_class=asset_class,
        tracked_index=(tracked_index or "").strip(),
        cusip=cusip,
    )
    errors: dict[str, str] = {}
    if kind == SecurityKind.FUND and not security.tracked_index:
        errors["tracked_index"] = "Name the index the fund tracks (or 'none: active')."
    if cusip and (len(cusip) != 9 or not cusip.isalnum()):
        errors["cusip"] = "A CUSIP has nine letters and digits."
    try:
        security.full_clean()
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, " ".join(messages))
    if kind not in SecurityKind.values:
        errors["kind"] = "Choose the kind of security."
    if asset_class not in AssetClass.values:
        errors["asset_class"] = "Choose the asset class."
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            security.save()
    except IntegrityError:
        raise ValidationError({"symbol": f"{symbol} is already in the master."}) from None
    return security

"""A cache for what pages recompute on every request from data that rarely changes between two
requests:

- the household list's book figures (one aggregate over every household the user sees and
  their current plans) and its page of rows (``get``: one entry per user, what it holds is
  scoped), keyed by the firm's *data version*;
- the engine's basis of a household's lots (``shared``: one entry per household,
  taxlogic/basis.py, read by the household, account and lot pages once the page has checked
  that the user may see the household) and the plan page's context (``household_get``: per
  user and household), keyed by the household's *data version* and the firm's *shared
  version*.

The versions are counters in the cache (Redis), moved when the writing transaction commits (so
a page computed from the old data is never stored under the new version):

- a save or delete of a household, person, account, tax profile, lot, transaction, review,
  plan, recommendation, decision, wash-sale watch or alert, or planned realization (signals,
  below) moves its firm's data version and its household's version: a decision in one
  household keeps every other household's entries;
- the firm's harvest settings or replacement list, a security (shared reference data: every
  firm's), and the bulk writes that send no signal (``bump``, called by
  ``taxlogic.services.households_review``, ``clients.services.lots_import`` and the imports)
  move the firm's data and shared versions: every entry of the firm goes.

Old entries are never deleted: they expire (``TIMEOUT``) unread. Only with a shared cache
(``REDIS_URL``): the embedded mode's per-process memory cache would not see another process's
bump, so there the pages compute everything, as before. The ``PAGE_CACHE`` setting overrides
(the test suite sets it off).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

TIMEOUT = 300  # seconds an entry lives unread at most
_VERSION = "hd:firm-data:{}"  # any change of the firm's data
_SHARED = "hd:firm-shared:{}"  # what every household's entries read: settings, lists, bulk writes
_HOUSEHOLD = "hd:household-data:{}"  # a change of one household's rows


def enabled() -> bool:
    """``PAGE_CACHE`` (default: on with ``REDIS_URL``). The test suite turns it off: its tests
    never commit, so no version ever moves there (tests/load turn it on and run the commits)."""
    return bool(getattr(settings, "PAGE_CACHE", getattr(settings, "REDIS_URL", "")))


def _counters(*keys: str) -> list[int]:
    """The counters (one round trip), each started from the clock where missing, so a cache
    that lost a counter never meets entries of an earlier count again."""
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, time.time_ns() // 1000, timeout=None)
            found[key] = cache.get(key)
    return [int(found[key]) for key in keys]


def version(firm_id: int) -> int:
    """The firm's data version."""
    return _counters(_VERSION.format(firm_id))[0]


def _incr(keys: Iterable[str]) -> None:
    for key in set(keys):
        try:
            cache.incr(key)
        except ValueError:  # not there (a flushed cache): start afresh, past every old entry
            cache.set(key, time.time_ns() // 1000 + 1, timeout=None)


def _bump_now(firm_ids: Iterable[int]) -> None:
    """Everything of these firms: the list's entries and every household's."""
    ids = set(firm_ids)
    _incr([_VERSION.format(f) for f in ids] + [_SHARED.format(f) for f in ids])


def bump(*firm_ids: int | None) -> None:
    """The firms' data changed (a bulk write that does not say which households): once the
    current transaction commits, their cached pages go."""
    ids = [f for f in firm_ids if f is not None]
    if ids and enabled():
        transaction.on_commit(lambda: _bump_now(ids))


def _digest(parts: object) -> str:
    # The varying parts (user, role, team, the page's arguments) hashed: a key of safe
    # characters and bounded length whatever a query string holds (memcached's rules too).
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def _scope(user: Any) -> tuple[Any, ...]:
    """What decides which rows a user sees (advisors/scoping.py): their own entries."""
    return (user.pk, getattr(user, "role", ""), getattr(user, "team_id", None))


def get(user: Any, name: str, *parts: object) -> tuple[str | None, Any]:
    """``(key, value)``: ``value`` is None when nothing is cached (``key`` None: no cache)."""
    if not enabled() or not getattr(user, "firm_id", None):
        return None, None
    key = f"hd:page:{name}:{version(user.firm_id)}:{_digest((_scope(user), parts))}"
    return key, cache.get(key)


def _household_key(household: Any, name: str, parts: object) -> str:
    shared, own = _counters(_SHARED.format(household.firm_id), _HOUSEHOLD.format(household.pk))
    return f"hd:household:{name}:{shared}:{own}:{_digest((household.pk, parts))}"


def shared(household: Any, name: str, *parts: object) -> tuple[str | None, Any]:
    """Like ``get`` for what one household's data decides and is the same for everyone who may
    see it (the caller has checked that the user may): keyed by the household's own version
    and the firm's shared one, so a change in another household keeps it."""
    if not enabled():
        return None, None
    key = _household_key(household, name, parts)
    return key, cache.get(key)


def household_get(user: Any, household: Any, name: str, *parts: object) -> tuple[str | None, Any]:
    """Like ``shared``, for each user (what is scoped)."""
    if not enabled() or not getattr(user, "firm_id", None):
        return None, None
    key = _household_key(household, name, (_scope(user), parts))
    return key, cache.get(key)


def put(key: str | None, value: Any) -> None:
    if key is not None:
        cache.set(key, value, timeout=TIMEOUT)


# --- what moves the version --------------------------------------------------------------------


FIRM_LEVEL = frozenset(
    {"taxlogic.HarvestSettings", "clients.Replacement", "clients.ReplacementListVersion"}
)


def _household_of(instance: Model) -> tuple[int | None, int | None]:
    """``(household id, account id)``: the household when the row names it (or is it), else
    the account to find it from (a lot, a transaction)."""
    if instance._meta.label == "clients.Household":
        return instance.pk, None
    household_id = getattr(instance, "household_id", None)
    if household_id is not None:
        return household_id, None
    account = instance._state.fields_cache.get("account")
    if account is not None:
        return account.household_id, None
    return None, getattr(instance, "account_id", None)


def _row_changed_now(firm_id: int | None, household_id: int | None, account_id: int | None) -> None:
    from clients.models import Account, Household

    if household_id is None and account_id is not None:
        household_id = (
            Account.objects.filter(pk=account_id).values_list("household_id", flat=True).first()
        )
    if firm_id is None and household_id is not None:
        firm_id = (
            Household.objects.filter(pk=household_id).values_list("firm_id", flat=True).first()
        )
    keys = [_VERSION.format(firm_id)] if firm_id is not None else []
    if household_id is not None:
        keys.append(_HOUSEHOLD.format(household_id))
    elif firm_id is not None:  # no household to name: every household of the firm
        keys.append(_SHARED.format(firm_id))
    _incr(keys)


def _changed(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    if not enabled():
        return
    label = sender._meta.label
    if label == "clients.Security":  # reference data of every firm
        from advisors.models import Firm

        transaction.on_commit(lambda: _bump_now(Firm.objects.values_list("id", flat=True)))
        return
    firm_id = getattr(instance, "firm_id", None)
    if label in FIRM_LEVEL:
        bump(firm_id)
        return
    household_id, account_id = _household_of(instance)
    # Found after the commit where a query is needed (a person's firm, a lot's household).
    transaction.on_commit(lambda: _row_changed_now(firm_id, household_id, account_id))


def connect() -> None:
    """Called once from ClientsConfig.ready()."""
    from clients import book_models as b
    from clients import models as c
    from taxlogic import models as t

    for model in (
        c.Household,
        c.Person,
        c.Account,
        c.TaxProfile,
        c.TaxLot,
        c.Transaction,
        t.Review,
        t.ActionPlan,
        t.Recommendation,
        t.RecommendationDecision,
        t.WashWatch,
        t.WashAlert,
        t.PlannedRealization,
        t.HarvestSettings,
        c.Replacement,
        b.ReplacementListVersion,
        c.Security,
    ):
        post_save.connect(_changed, sender=model, dispatch_uid=f"page_cache:{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"page_cache:{model.__name__}:d")

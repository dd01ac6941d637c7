"""A cache for what pages recompute on every request from data that rarely changes between two
requests: the household list's book figures (one aggregate over every household the user sees
and their current plans) and its page of rows (``get``, one entry per user: what it holds is
scoped), and the engine's basis of a household's lots (``shared``, one entry per household:
taxlogic/basis.py, read by the household, account and lot pages once the page has checked
that the user may see the household).

Entries are keyed by the firm's *data version*, a counter in the cache (Redis) that every
change of the firm's data moves on: a save or delete of a household, person, account, tax
profile, lot, transaction, review, plan, recommendation or decision, wash-sale watch or alert,
planned realization, of the firm's harvest settings or
replacement list, or of a security (shared reference data: every firm's version moves)
(signals, below), and the bulk writes
that send no signal (``bump`` called by ``taxlogic.services.households_review`` and
``clients.services.lots_import``). The counter moves when the writing transaction commits, so
a page computed from the old data is never stored under the new version. Old entries are never
deleted: they expire (``TIMEOUT``) unread.

Only with a shared cache (``REDIS_URL``): the embedded mode's per-process memory cache would
not see another process's bump, so there the pages compute everything, as before. The
``PAGE_CACHE`` setting overrides (the test suite sets it off).
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
_VERSION = "hd:firm-data:{}"


def enabled() -> bool:
    """``PAGE_CACHE`` (default: on with ``REDIS_URL``). The test suite turns it off: its tests
    never commit, so no version ever moves there (tests/load turn it on and run the commits)."""
    return bool(getattr(settings, "PAGE_CACHE", getattr(settings, "REDIS_URL", "")))


def version(firm_id: int) -> int:
    """The firm's data version (started from the clock, so a cache that lost the counter never
    meets entries of an earlier count again)."""
    key = _VERSION.format(firm_id)
    found = cache.get(key)
    if found is None:
        cache.add(key, time.time_ns() // 1000, timeout=None)
        found = cache.get(key)
    return int(found)


def _bump_now(firm_ids: Iterable[int]) -> None:
    for firm_id in set(firm_ids):
        key = _VERSION.format(firm_id)
        try:
            cache.incr(key)
        except ValueError:  # not there (a flushed cache): start afresh, past every old entry
            cache.set(key, time.time_ns() // 1000 + 1, timeout=None)


def bump(*firm_ids: int | None) -> None:
    """The firms' data changed: once the current transaction commits, their cached pages go."""
    ids = [f for f in firm_ids if f is not None]
    if ids and enabled():
        transaction.on_commit(lambda: _bump_now(ids))


def _digest(parts: object) -> str:
    # The varying parts (user, role, team, the page's arguments) hashed: a key of safe
    # characters and bounded length whatever a query string holds (memcached's rules too).
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def get(user: Any, name: str, *parts: object) -> tuple[str | None, Any]:
    """``(key, value)``: ``value`` is None when nothing is cached (``key`` None: no cache)."""
    if not enabled() or not getattr(user, "firm_id", None):
        return None, None
    scope = (user.pk, getattr(user, "role", ""), getattr(user, "team_id", None))
    key = f"hd:page:{name}:{version(user.firm_id)}:{_digest((scope, parts))}"
    return key, cache.get(key)


def shared(firm_id: int, name: str, *parts: object) -> tuple[str | None, Any]:
    """Like ``get`` for what is the same for everyone who may see it (the caller has checked
    that the user may): one entry for the firm's users."""
    if not enabled():
        return None, None
    key = f"hd:data:{name}:{version(firm_id)}:{_digest(parts)}"
    return key, cache.get(key)


def put(key: str | None, value: Any) -> None:
    if key is not None:
        cache.set(key, value, timeout=TIMEOUT)


# --- what moves the version --------------------------------------------------------------------


def _firm_of(instance: Model) -> int | None:
    firm_id = getattr(instance, "firm_id", None)
    if firm_id is not None:
        return firm_id
    household_id = getattr(instance, "household_id", None)
    if household_id is None:
        return None
    from clients.models import Household

    return Household.objects.filter(pk=household_id).values_list("firm_id", flat=True).first()


def _changed(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    if not enabled():
        return
    if sender._meta.label == "clients.Security":  # reference data of every firm
        from advisors.models import Firm

        transaction.on_commit(lambda: _bump_now(Firm.objects.values_list("id", flat=True)))
        return
    if getattr(instance, "firm_id", None) is not None:
        bump(instance.firm_id)
    else:  # a person, an account, a tax profile: its household's firm, found after the commit
        transaction.on_commit(lambda: _bump_now([f for f in [_firm_of(instance)] if f]))


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

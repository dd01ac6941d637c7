"""The cross-tenant matrix's map from the URLconf to objects.

Every route whose URL names an object (any parameter but ``format``) must be resolvable here:
its parameters are filled from ``PARAMS`` (by parameter name) or, for the API router's
generic ``id``, from ``API_BASENAMES`` (by the route's basename). A route that fits neither
fails tests/security_matrix/test_matrix.py::test_every_object_route_is_in_the_matrix until it
gets its line. Kinds are the keys of the ``world`` fixture (tests/security_matrix/conftest.py).

Scopes decide who the "foreign" and "own" principals are:

- ``household``: the household's primary advisor (own) vs an advisor of another team of the
  same firm, and an API client of another firm (foreign);
- ``firm``: the firm's admin (own) vs another firm's admin and API client (foreign);
- ``shared``: reference data every firm reads (securities, prices): not tenant data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# Kind of object -> its scope.
KINDS = {
    "household": "household",
    "person": "household",
    "account": "household",
    "lot": "household",
    "transaction": "household",
    "tax_profile": "household",
    "review": "household",
    "plan": "household",
    "recommendation": "household",
    "year_end_run": "firm",
    "webhook_endpoint": "firm",
    "api_client": "firm",
    "advisor": "firm",
    "security": "shared",
    "price": "shared",
    "import_batch": "firm",
    "replacement": "firm",
    "planned": "household",
}

# URL parameter name -> the kind whose public id it takes. New routes usually need nothing
# (their parameters are named like these) or one line here.
PARAMS = {
    "household_id": "household",
    "person_id": "person",
    "account_id": "account",
    "lot_id": "lot",
    "transaction_id": "transaction",
    "profile_id": "tax_profile",
    "review_id": "review",
    "plan_id": "plan",
    "recommendation_id": "recommendation",
    "run_id": "year_end_run",
    "endpoint_id": "webhook_endpoint",
    "client_id": "api_client",
    "advisor_id": "advisor",
    "batch_id": "import_batch",
    "entry_id": "replacement",
    "planned_id": "planned",
}

# The API router's ``<basename>-<action>`` routes take ``id``: the basename's kind.
API_BASENAMES = {
    "household": "household",
    "person": "person",
    "account": "account",
    "lot": "lot",
    "transaction": "transaction",
    "taxprofile": "tax_profile",
    "review": "review",
    "actionplan": "plan",
    "recommendation": "recommendation",
    "advisor": "advisor",
    "security": "security",
    "price": "price",
    "import": "import_batch",
}

# Parameters that are not object ids but still need a value (by-ref routes take the CRM
# reference of the basename's kind; see the world fixture).
LITERALS = {"format": "json", "system": "redtail", "tax_year": 2026}

# Routes left out, with why (the admin has its own scoping tests: tests/advisors/test_admin.py).
EXCLUDED_PREFIXES = ("admin/",)
# Routes whose parameters name no object of a firm: a password reset link (uid and token:
# tests/security/test_password_reset.py) and the importers' blank templates (one per format).
EXCLUDED_NAMES = frozenset({"password_reset_confirm", "clients:import_template"})


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    params: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")

    @property
    def id(self) -> str:
        suffix = "+format" if "format" in self.params else ""
        return f"{self.name}{suffix}"


def _walk(patterns: list, prefix: str = "", namespace: str | None = None) -> Iterator[Route]:
    for p in patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern).startswith(EXCLUDED_PREFIXES) and not prefix:
                continue
            inner = p.namespace or namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), inner)
        elif isinstance(p, URLPattern):
            params = tuple(p.pattern.regex.groupindex)
            name = p.name and (f"{namespace}:{p.name}" if namespace else p.name)
            yield Route(name=name or "", pattern=prefix + str(p.pattern), params=params)


def object_routes() -> list[Route]:
    """Every route of the URLconf whose URL names an object."""
    seen: dict[str, Route] = {}
    for route in _walk(get_resolver().url_patterns):
        if set(route.params) - {"format"} and route.name not in EXCLUDED_NAMES:
            seen.setdefault(route.id, route)
    return sorted(seen.values(), key=lambda r: r.id)


def basename(route: Route) -> str | None:
    if not route.name.startswith("api:"):
        return None
    return route.name.removeprefix("api:").rsplit("-", 1)[0].removesuffix("-by")


def kind_of(route: Route, param: str) -> str | None:
    """The kind of object a route's parameter names (None: unmapped)."""
    if param in PARAMS:
        return PARAMS[param]
    if param in ("id", "external_id"):
        return API_BASENAMES.get(basename(route) or "")
    return None


def unmapped(route: Route) -> list[str]:
    return [p for p in route.params if p not in LITERALS and kind_of(route, p) is None]


def scope_of(route: Route) -> str:
    """The route's scope: the narrowest of its objects' (household before firm)."""
    scopes = {KINDS[k] for p in route.params if (k := kind_of(route, p))}
    for scope in ("household", "firm", "shared"):
        if scope in scopes:
            return scope
    raise AssertionError(f"{route.id}: no object")

"""The cross-tenant matrix, generated from the URLconf (tests/security_matrix/routes.py): for
every route with an object id — pages, partials, API, exports, downloads — GET, POST, PUT,
PATCH and DELETE on another tenant's object answer 404 (or 403/405) and change no row (a
checksum of every table of the site before and after); the same requests by the object's own
side are not refused. A new route without an entry in the matrix fails."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from tests.security_matrix import routes
from tests.security_matrix.conftest import Principals, World

METHODS = ("get", "post", "put", "patch", "delete")
REFUSED = {403, 404, 405}
# The imports API reads only multipart uploads: an empty JSON body is refused (415) before any
# object is looked up, so the answer says nothing about another firm's import.
MULTIPART_ROUTES = {"api:import-detail"}
ROUTES = routes.object_routes()
TENANT_ROUTES = [r for r in ROUTES if not routes.unmapped(r) and routes.scope_of(r) != "shared"]
SKIP_TABLES = ("django_session",)  # a signed-in request may save its session
# A by-ref PUT is an upsert in the caller's own firm: another firm's reference is not found,
# so it would create the caller's own object; an empty body is refused first (400).
UPSERT_ROUTES = {"api:household-by-ref", "api:person-by-ref", "api:account-by-ref"}


def _refused(route: routes.Route, method: str, status: int) -> bool:
    if route.name in UPSERT_ROUTES and method == "put":
        return status in REFUSED | {400}
    if route.name in MULTIPART_ROUTES and method in ("post", "put", "patch"):
        return status in REFUSED | {415}
    return status in REFUSED


def test_every_object_route_is_in_the_matrix() -> None:
    """Add the parameter to routes.PARAMS (or the basename to routes.API_BASENAMES)."""
    missing = {r.id: routes.unmapped(r) for r in ROUTES if routes.unmapped(r)}
    assert missing == {}
    assert len(TENANT_ROUTES) >= 40  # the matrix covers the site, not a corner of it


def test_the_matrix_sees_a_new_route(settings: Any) -> None:
    """A route with an unknown parameter name is reported (the check above is not vacuous)."""
    route = routes.Route(name="x:new", pattern="things/<uuid:thing_id>/", params=("thing_id",))
    assert routes.unmapped(route) == ["thing_id"]


def _tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        return [t for (t,) in cursor.fetchall() if t not in SKIP_TABLES]


def checksum() -> str:
    """One digest of every row of every table (sessions aside)."""
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for table in _tables():
            rows = "coalesce(string_agg(t::text, '|' ORDER BY t::text), '')"
            cursor.execute(f'SELECT md5({rows}) FROM "{table}" t')
            digest.update(f"{table}:{cursor.fetchone()[0]};".encode())
    return digest.hexdigest()


def url_for(route: routes.Route, world: World) -> str:
    kwargs = {}
    for param in route.params:
        if param in routes.LITERALS:
            kwargs[param] = routes.LITERALS[param]
        elif param == "external_id":
            kwargs[param] = world.refs[routes.kind_of(route, param)]
        else:
            target = world.objects[routes.kind_of(route, param)]
            kwargs[param] = str(getattr(target, "public_id", target.pk))
    return reverse(route.name, kwargs=kwargs)


def _send(client: Any, method: str, url: str) -> int:
    if method in ("get", "delete"):
        return getattr(client, method)(url).status_code
    return getattr(client, method)(url, {}, format="json").status_code


def _applies(label: str, route: routes.Route) -> bool:
    return route.is_api or "API" not in label  # bearer tokens open only the API


@pytest.mark.parametrize("route", TENANT_ROUTES, ids=lambda r: r.id)
def test_another_tenant_is_refused_and_changes_nothing(
    route: routes.Route, world: World, principals: Principals
) -> None:
    url = url_for(route, world)
    before = checksum()
    answers = {}
    for label, client in principals.foreign[routes.scope_of(route)].items():
        if not _applies(label, route):
            continue
        for method in METHODS:
            answers[(label, method)] = _send(client, method, url)
    wrong = {k: v for k, v in answers.items() if not _refused(route, k[1], v)}
    assert wrong == {}, url
    assert checksum() == before, f"{url}: a refused request changed a row"


@pytest.mark.parametrize("route", TENANT_ROUTES, ids=lambda r: r.id)
def test_the_own_side_is_not_refused(
    route: routes.Route, world: World, principals: Principals
) -> None:
    url = url_for(route, world)
    answers = {}
    for label, client in principals.own[routes.scope_of(route)].items():
        if not _applies(label, route):
            continue
        for method in METHODS:
            answers[(label, method)] = _send(client, method, url)
    assert not [k for k, v in answers.items() if v >= 500], answers
    # Not found for the owner would mean the foreign 404 proves nothing.
    assert all(v != 404 for v in answers.values()), answers
    # The route works for its owner: found and allowed (a 400/409 is the action's own rule,
    # e.g. a dismissal without a reason, after the object was found).
    assert any(v not in REFUSED for v in answers.values()), answers

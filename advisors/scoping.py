"""The one place that answers: which households may this user see, and which may they change.

Everything a household owns (people, accounts, lots, transactions, tax profiles, and later
reviews and plans) follows its household. The roles:

- advisor: the households they are the primary advisor of; sees and changes them;
- team lead: those, plus every household of their team;
- firm admin: every household of the firm, and the firm's people;
- compliance reviewer: sees every household and person of the firm, changes nothing;
- superuser (the platform's operators, no firm): everything;
- API client (advisors.ApiClient, an integration of the firm): sees every household and
  advisor of its firm, changes the households only with the ``write`` scope.

Securities and prices are reference data shared by every firm: everyone signed in reads them,
only the platform's operators change them.

Nobody ever sees another firm's data. Views, the admin, the API and services start every
queryset here: ``visible(user, Model)``, ``writable(user, Model)`` and
``object_for_user(user, queryset, **lookup)`` (404 when not visible, plus whether writable).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from advisors.models import (
    Advisor,
    ApiClient,
    ApiScope,
    Firm,
    Role,
    SecurityEvent,
    Team,
    WebhookDelivery,
    WebhookEndpoint,
)
from clients.models import (
    Account,
    CarryforwardEntry,
    Household,
    Person,
    Price,
    Replacement,
    ReplacementListVersion,
    Security,
    TaxLot,
    TaxProfile,
    Transaction,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    User = Advisor | ApiClient | AnonymousUser

M = TypeVar("M", bound=Model)


@dataclass(frozen=True, slots=True)
class Path:
    """Lookups from a model to its household's firm, team and primary advisor."""

    firm: str
    team: str
    advisor: str

    @classmethod
    def via(cls, prefix: str) -> Path:
        return cls(f"{prefix}firm", f"{prefix}team", f"{prefix}primary_advisor")


# Lots and transactions carry their own (denormalized, indexed) firm and team columns.
_PATHS: dict[type[Model], Path] = {
    Household: Path.via(""),
    Person: Path.via("household__"),
    Account: Path.via("household__"),
    TaxProfile: Path.via("household__"),
    CarryforwardEntry: Path.via("household__"),
    TaxLot: Path("firm", "team", "account__household__primary_advisor"),
    Transaction: Path("firm", "team", "account__household__primary_advisor"),
}


# The scope an API client needs to change a model's rows (write, unless registered otherwise).
_WRITE_SCOPES: dict[type[Model], str] = {}


def register(model: type[Model], path: Path, *, write_scope: str = ApiScope.WRITE) -> None:
    """Scope another household-owned model (e.g. taxlogic's reviews and plans) the same way;
    ``write_scope`` is the scope an API client needs to change its rows."""
    _PATHS[model] = path
    _WRITE_SCOPES[model] = write_scope


def _api_client_condition(
    client: ApiClient, firm_lookup: str, *, write: bool, scope: str = ApiScope.WRITE
) -> Q | None:
    """An integration sees its whole firm; it changes households only with the write scope
    (reviews and their recommendations: with the reviews scope)."""
    if not client.is_active or (write and not client.has_scope(scope)):
        return None
    return Q(**{firm_lookup: client.firm_id})


def _household_condition(
    user: User, path: Path, *, write: bool, scope: str = ApiScope.WRITE
) -> Q | None:
    """The filter for what ``user`` may see (or change); None means nothing at all."""
    if isinstance(user, ApiClient):
        return _api_client_condition(user, f"{path.firm}_id", write=write, scope=scope)
    if not (user.is_authenticated and user.is_active):
        return None
    if user.is_superuser:
        return Q()
    if user.firm_id is None:
        return None
    firm = Q(**{f"{path.firm}_id": user.firm_id})
    own = Q(**{f"{path.advisor}_id": user.pk})
    if user.role == Role.COMPLIANCE:
        return None if write else firm
    if user.role == Role.FIRM_ADMIN:
        return firm
    if user.role == Role.TEAM_LEAD and user.team_id is not None:
        return firm & (Q(**{f"{path.team}_id": user.team_id}) | own)
    return firm & own


def _people_condition(user: User, *, write: bool) -> Q | None:
    if isinstance(user, ApiClient):
        return None if write else _api_client_condition(user, "firm_id", write=False)
    if not (user.is_authenticated and user.is_active):
        return None
    if user.is_superuser:
        return Q()
    if user.firm_id is None:
        return None
    firm = Q(firm_id=user.firm_id)
    if user.role == Role.FIRM_ADMIN:
        # A firm admin manages the firm's people but never a platform superuser.
        return firm & Q(is_superuser=False) if write else firm
    if user.role == Role.COMPLIANCE:
        return None if write else firm
    if write:
        return None  # people change their own password through the password-change page
    if user.role == Role.TEAM_LEAD and user.team_id is not None:
        return firm & (Q(team_id=user.team_id) | Q(pk=user.pk))
    return Q(pk=user.pk)


def _firm_condition(user: User, firm_lookup: str, *, write: bool) -> Q | None:
    """Firm-wide settings (teams, the replacement list, integrations): firm admins change, the
    firm reads. An API client reads its firm's settings and changes none."""
    if isinstance(user, ApiClient):
        return None if write else _api_client_condition(user, firm_lookup, write=False)
    if not (user.is_authenticated and user.is_active):
        return None
    if user.is_superuser:
        return Q()
    if user.firm_id is None or (write and user.role != Role.FIRM_ADMIN):
        return None
    return Q(**{firm_lookup: user.firm_id})


# Firm-wide rows and the lookup to their firm.
_FIRM_LOOKUPS: dict[type[Model], str] = {
    Firm: "pk",
    Team: "firm_id",
    Replacement: "firm_id",
    ReplacementListVersion: "firm_id",
    ApiClient: "firm_id",
    WebhookEndpoint: "firm_id",
    WebhookDelivery: "endpoint__firm_id",
    SecurityEvent: "firm_id",  # read by firm admins and compliance (security_views)
}

# Reference data shared by every firm.
_REFERENCE: frozenset[type[Model]] = frozenset({Security, Price})


def _reference_condition(user: User, *, write: bool) -> Q | None:
    if not (user.is_authenticated and user.is_active):
        return None
    if write:
        return Q() if may_change_reference_data(user) else None
    return Q()


def _condition(user: User, model: type[Model], *, write: bool) -> Q | None:
    if model in _PATHS:
        scope = _WRITE_SCOPES.get(model, ApiScope.WRITE)
        return _household_condition(user, _PATHS[model], write=write, scope=scope)
    if model is Advisor:
        return _people_condition(user, write=write)
    if model in _FIRM_LOOKUPS:
        return _firm_condition(user, _FIRM_LOOKUPS[model], write=write)
    if model in _REFERENCE:
        return _reference_condition(user, write=write)
    raise LookupError(f"{model.__name__} is not scoped; add it to advisors/scoping.py")


def is_scoped(model: type[Model]) -> bool:
    """Firm-scoped (reference data is not: every firm reads the same securities)."""
    return model in _PATHS or model in _FIRM_LOOKUPS or model is Advisor


def _apply(queryset: QuerySet[M], condition: Q | None) -> QuerySet[M]:
    return queryset.none() if condition is None else queryset.filter(condition)


def _queryset(source: type[M] | QuerySet[M]) -> QuerySet[M]:
    return source._default_manager.all() if isinstance(source, type) else source


def visible(user: User, source: type[M] | QuerySet[M]) -> QuerySet[M]:
    """The rows of ``source`` (a model or a queryset of it) that ``user`` may see."""
    qs = _queryset(source)
    return _apply(qs, _condition(user, qs.model, write=False))


def writable(user: User, source: type[M] | QuerySet[M]) -> QuerySet[M]:
    """The rows of ``source`` that ``user`` may change (always a subset of ``visible``)."""
    qs = _queryset(source)
    return _apply(qs, _condition(user, qs.model, write=True))


def can_write(user: User, obj: Model) -> bool:
    """Whether ``user`` may change ``obj`` (one query at most)."""
    condition = _condition(user, type(obj), write=True)
    if condition is None:
        return False
    return condition == Q() or writable(user, type(obj)).filter(pk=obj.pk).exists()


def _can_write_visible(user: User, obj: Model) -> bool:
    """``can_write`` for an object already known to be visible to ``user``: no query when the
    role changes whatever it sees (every role but compliance) or nothing (compliance)."""
    model = type(obj)
    write = _condition(user, model, write=True)
    if write is None:
        return False
    if write == _condition(user, model, write=False):
        return True
    return can_write(user, obj)


def object_for_user(user: User, source: type[M] | QuerySet[M], **lookup: Any) -> tuple[M, bool]:
    """The object matching ``lookup`` if ``user`` may see it, and whether they may change it.

    Raises Http404 both when it does not exist and when it is not theirs to see, so that
    guessing another firm's ids tells nothing.
    """
    try:
        obj = visible(user, source).get(**lookup)
    except ObjectDoesNotExist as exc:
        raise Http404("No such object.") from exc
    return obj, _can_write_visible(user, obj)


def can_start_review(user: User, household: Household) -> bool:
    """Whether ``user`` may run reviews of ``household``: whoever may change it, and an API
    client of its firm with the reviews scope (which needs no write scope)."""
    if isinstance(user, ApiClient):
        return user.has_scope(ApiScope.REVIEWS) and household.firm_id == user.firm_id
    return can_write(user, household)


def may_change_reference_data(user: User) -> bool:
    """Securities and prices are shared by every firm: only the platform's operators edit them."""
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def may_add_security(user: User) -> bool:
    """A security the master does not know yet may be added by the platform's operators and by
    a firm's admins (who then use it in their replacement list); existing ones stay theirs."""
    if may_change_reference_data(user):
        return True
    return bool(
        isinstance(user, Advisor)
        and user.is_active
        and user.firm_id is not None
        and user.role == Role.FIRM_ADMIN
    )


def households_visible_to(user: User) -> QuerySet[Household]:
    return visible(user, Household)


def households_writable_by(user: User) -> QuerySet[Household]:
    return writable(user, Household)


def accounts_visible_to(user: User) -> QuerySet[Account]:
    return visible(user, Account)


def lots_visible_to(user: User) -> QuerySet[TaxLot]:
    return visible(user, TaxLot)


def transactions_visible_to(user: User) -> QuerySet[Transaction]:
    return visible(user, Transaction)


def people_visible_to(user: User) -> QuerySet[Advisor]:
    """The firm's people (advisors, not clients) that ``user`` may see."""
    return visible(user, Advisor)


def assignable_advisors(user: User) -> QuerySet[Advisor]:
    """The advisors ``user`` may make a household's primary advisor: themselves (an advisor),
    their team and themselves (a team lead), anyone active of the firm (a firm admin); never a
    compliance reviewer, who changes nothing."""
    condition: Q | None
    if isinstance(user, ApiClient):
        condition = _api_client_condition(user, "firm_id", write=True)
    elif not (user.is_authenticated and user.is_active):
        condition = None
    elif user.is_superuser:
        condition = Q()
    elif user.firm_id is None or user.role == Role.COMPLIANCE:
        condition = None
    elif user.role == Role.FIRM_ADMIN:
        condition = Q(firm_id=user.firm_id)
    elif user.role == Role.TEAM_LEAD and user.team_id is not None:
        condition = Q(firm_id=user.firm_id) & (Q(team_id=user.team_id) | Q(pk=user.pk))
    else:
        condition = Q(pk=user.pk)
    people = _apply(Advisor.objects.filter(is_active=True), condition)
    return (
        people.exclude(role=Role.COMPLIANCE)
        .select_related("team")
        .order_by("last_name", "first_name", "username")
    )


def assignable_teams(user: User) -> QuerySet[Team]:
    """The teams ``user`` may put a household in: a firm admin any of the firm's, others
    their own."""
    if isinstance(user, ApiClient) or not (user.is_authenticated and user.is_active):
        return Team.objects.none()
    if user.is_superuser:
        return Team.objects.order_by("name")
    if user.role == Role.FIRM_ADMIN:
        return Team.objects.filter(firm_id=user.firm_id).order_by("name")
    if user.role == Role.COMPLIANCE:
        return Team.objects.none()
    return Team.objects.filter(pk=user.team_id).order_by("name")


# --- Pick lists: the teams, people and API clients a page offers to filter or report by -----


def teams_visible(user: User) -> QuerySet[Team]:
    """The teams ``user`` may pick in a filter (the trade blotter's): every team of the firm for
    whoever sees the whole firm's households (a firm admin, a compliance reviewer, an API
    client); a team lead or an advisor: their own team and the teams of the households they
    see (a household of another team they are the primary advisor of, say); nobody else's."""
    teams = visible(user, Team)
    if (
        isinstance(user, ApiClient)
        or not user.is_authenticated
        or user.is_superuser
        or user.role in (Role.FIRM_ADMIN, Role.COMPLIANCE)
    ):
        return teams.order_by("name")
    theirs = Q(pk__in=visible(user, Household).values("team_id"))
    if user.team_id is not None:
        theirs |= Q(pk=user.team_id)
    return teams.filter(theirs).order_by("name")


def advisors_visible(user: User) -> QuerySet[Advisor]:
    """The people ``user`` may pick in a filter or a report (``people_visible_to``: an advisor
    themselves, a team lead their team, a firm admin or compliance the firm), by name."""
    return visible(user, Advisor).order_by("last_name", "first_name", "username")


def api_clients_visible(user: User) -> QuerySet[ApiClient]:
    """The API clients of ``user``'s firm (firm-wide settings: the firm reads them), by name."""
    return visible(user, ApiClient).order_by("name")


def imports_visible(user: User) -> QuerySet[Any]:
    """The custodian imports (clients.imports.ImportBatch) ``user`` may open: the platform's
    operators every import; a firm admin or compliance reviewer the firm's; an API client its
    firm's; anyone else the imports they made. (Rows follow their batch.)"""
    from clients.imports.models import ImportBatch

    qs = ImportBatch.objects.select_related("committed_by", "same_file_as")
    if isinstance(user, ApiClient):
        return qs.filter(firm_id=user.firm_id) if user.is_active else qs.none()
    if not (user.is_authenticated and user.is_active):
        return qs.none()
    if user.is_superuser:
        return qs
    if user.role in (Role.FIRM_ADMIN, Role.COMPLIANCE):
        return qs.filter(firm_id=user.firm_id)
    return qs.filter(firm_id=user.firm_id, created_by=user)

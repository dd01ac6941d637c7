"""The REST API for what advisors manage: households (with their members), people, accounts,
lots, transactions, tax profiles, prices and securities.

Thin, like the pages: an input serializer parses, a service in clients/services.py changes,
an output serializer renders; every queryset starts in advisors/scoping.py. Lots and
transactions are never changed or deleted through the API: a correction is a new transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.core.validators import RegexValidator
from django.db.models import Model, Prefetch, QuerySet
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from advisors import scoping
from advisors.api import ApiViewSet, actor_advisor
from advisors.models import Advisor
from clients import bounds, services
from clients.filters import (
    AccountFilter,
    HouseholdFilter,
    PersonFilter,
    PriceFilter,
    SecurityFilter,
    TaxLotFilter,
    TaxProfileFilter,
    TransactionFilter,
)
from clients.models import (
    ACCOUNT_TYPE_CHOICES,
    MONEY,
    QUANTITY,
    SYSTEM_RE,
    TREATMENT_LABELS,
    UNIT_PRICE,
    Account,
    AcquiredHow,
    Action,
    ExternalRef,
    FilingStatus,
    Household,
    Person,
    PersonRole,
    Price,
    RefKind,
    ReliefMethod,
    Security,
    TaxLot,
    TaxProfile,
    Transaction,
)

MAX_IMPORT_ROWS = 1000


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(**MONEY, **kwargs)


def _quantity(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(**QUANTITY, **kwargs)


# --- Fields ---------------------------------------------------------------------------------


class ScopedRelatedField(serializers.SlugRelatedField):
    """Another object by its public UUID (or a security by symbol), looked up among those the
    caller may see: anything else "does not exist"."""

    def __init__(self, model: type[Model], slug_field: str = "public_id", **kwargs: Any) -> None:
        if not kwargs.get("read_only"):
            kwargs["queryset"] = model._default_manager.all()
        super().__init__(slug_field=slug_field, **kwargs)

    def get_queryset(self) -> QuerySet:
        request = self.context.get("request")
        queryset = super().get_queryset()
        if request is None:
            return queryset.none()
        return scoping.visible(request.user, queryset)

    def to_internal_value(self, data: Any) -> Model:
        if not isinstance(data, str | uuid.UUID) or "\x00" in str(data):
            self.fail("invalid")
        if self.slug_field == "public_id":
            try:
                uuid.UUID(str(data))
            except ValueError:
                self.fail("invalid")
        return super().to_internal_value(data)


class ExternalRefSerializer(serializers.Serializer):
    system = serializers.CharField(
        max_length=32,
        validators=[RegexValidator(SYSTEM_RE, "Lower-case letters, digits, '.', '_' or '-'.")],
        help_text="The other system, e.g. redtail, wealthbox, salesforce.",
    )
    id = serializers.CharField(
        source="external_id", max_length=64, help_text="The object's id in that system."
    )


class ExternalRefListSerializer(serializers.ListSerializer):
    def validate(self, attrs: list[dict[str, str]]) -> list[dict[str, str]]:
        pairs = [(ref["system"], ref["external_id"]) for ref in attrs]
        if len(set(pairs)) != len(pairs):
            raise ValidationError("The same reference is listed twice.")
        return attrs


def external_refs_field(**kwargs: Any) -> ExternalRefListSerializer:
    """``[{"system": "redtail", "id": "123"}, ...]`` in and out."""
    return ExternalRefListSerializer(child=ExternalRefSerializer(), **kwargs)


def _refs(data: dict[str, Any]) -> list[tuple[str, str]] | None:
    """The (system, id) pairs of validated input, or None when the field was left out."""
    if "external_refs" not in data:
        return None
    return [(ref["system"], ref["external_id"]) for ref in data.pop("external_refs")]


_REFS_PREFETCH = Prefetch("external_refs", queryset=ExternalRef.objects.order_by("system", "pk"))


# --- Households -----------------------------------------------------------------------------


class MemberOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Person
        fields = ["id", "role", "name", "date_of_birth"]


class HouseholdOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    primary_advisor = ScopedRelatedField(Advisor, read_only=True)
    team = serializers.SlugRelatedField(slug_field="public_id", read_only=True, allow_null=True)
    members = MemberOut(source="people", many=True, read_only=True)
    external_refs = external_refs_field(read_only=True)

    class Meta:
        model = Household
        fields = [
            "id",
            "name",
            "primary_advisor",
            "team",
            "external_crm_id",
            "external_refs",
            "members",
            "created",
            "updated",
        ]


class HouseholdIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    primary_advisor = ScopedRelatedField(
        Advisor, help_text="The advisor's id (see /api/v1/advisors/); the team follows."
    )
    external_crm_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    external_refs = external_refs_field(required=False)
    notes = serializers.CharField(required=False, allow_blank=True)


class HouseholdChange(HouseholdIn):
    name = serializers.CharField(max_length=200, required=False)
    primary_advisor = ScopedRelatedField(Advisor, required=False)


def _ref_params() -> list[OpenApiParameter]:
    return [
        OpenApiParameter("system", str, OpenApiParameter.PATH, pattern=SYSTEM_RE),
        OpenApiParameter("external_id", str, OpenApiParameter.PATH, pattern=r"^[^/]{1,64}$"),
    ]


BY_REF_PATH = r"by-ref/(?P<system>[a-z0-9][a-z0-9_.-]{0,31})/(?P<external_id>[^/]{1,64})"


class ByRefMixin:
    """``GET`` and ``PUT /<resource>/by-ref/{system}/{external_id}/``: read, or upsert, the
    object another system knows by that id."""

    ref_kind: RefKind

    def by_ref_create(self, data: dict[str, Any], ref: tuple[str, str]) -> Any:
        raise NotImplementedError

    def by_ref_change(self, obj: Any, data: dict[str, Any], ref: tuple[str, str]) -> Any:
        raise NotImplementedError

    def _by_ref(self, request: Request, system: str, external_id: str) -> Response:
        if not external_id.isprintable():
            raise services_not_found(self.ref_kind)
        found = services.by_ref_find(
            actor=request.user, kind=self.ref_kind, system=system, external_id=external_id
        )
        if request.method == "GET":
            if found is None:
                raise services_not_found(self.ref_kind)
            return self.render(self.get_queryset().get(pk=found.pk))
        firm = request.user.firm
        if firm is None:
            raise PermissionDenied("Only a firm's advisors and API clients upsert by reference.")
        ref = (system, external_id)
        data = dict(self.parse(request.data, partial=False))

        def create() -> Any:
            return self.by_ref_create(data, ref)

        def change(obj: Any) -> Any:
            return self.by_ref_change(obj, data, ref)

        obj, created = services.by_ref_upsert(
            actor=request.user,
            firm=firm,
            kind=self.ref_kind,
            system=system,
            external_id=external_id,
            create=create,
            change=change,
        )
        response = self.render(
            self.get_queryset().get(pk=obj.pk),
            status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
        if created:
            response["Location"] = request.build_absolute_uri(self.detail_url(obj))
        return response

    def detail_url(self, obj: Any) -> str:
        return reverse(f"api:{self.basename}-detail", kwargs={"id": obj.public_id})


def services_not_found(kind: str) -> NotFound:
    return NotFound(f"No {kind} has that reference.")


def _with_ref(refs: list[tuple[str, str]] | None, ref: tuple[str, str]) -> list[tuple[str, str]]:
    refs = list(refs or [])
    return refs if ref in refs else [*refs, ref]


def _create_response(view: ApiViewSet, request: Request, obj: Model) -> Response:
    response = view.render(view.get_queryset().get(pk=obj.pk), status_code=status.HTTP_201_CREATED)
    response["Location"] = request.build_absolute_uri(
        reverse(f"api:{view.basename}-detail", kwargs={"id": obj.public_id})
    )
    return response


def _crud_schema(out: type, create_in: type | None, change_in: type | None, noun: str) -> Any:
    views: dict[str, Any] = {
        "list": extend_schema(summary=f"List {noun}s"),
        "retrieve": extend_schema(summary=f"One {noun}"),
    }
    if create_in is not None:
        views["create"] = extend_schema(
            summary=f"Create a {noun}", request=create_in, responses={201: out}
        )
    if change_in is not None:
        views["partial_update"] = extend_schema(
            summary=f"Change a {noun}", request=change_in, responses={200: out}
        )
    return extend_schema_view(**views)


def _by_ref_schema(out: type, upsert_in: type, noun: str) -> Callable[[Any], Any]:
    def decorate(func: Any) -> Any:
        func = extend_schema(
            methods=["GET"],
            summary=f"The {noun} another system knows by this id",
            parameters=_ref_params(),
            responses={200: out},
        )(func)
        return extend_schema(
            methods=["PUT"],
            summary=f"Create or update the {noun} another system knows by this id",
            parameters=_ref_params(),
            request=upsert_in,
            responses={200: out, 201: out},
        )(func)

    return decorate


class CreateMixin:
    """``create``: parse with the input serializer, call the view's ``create_object``."""

    def create(self, request: Request) -> Response:
        data = dict(self.parse(request.data))
        obj = self.create_object(data)
        return _create_response(self, request, obj)


class ChangeMixin:
    """``partial_update`` (PATCH): parse the fields sent, call the view's ``change_object``."""

    def partial_update(self, request: Request, id: str) -> Response:
        obj = self.get_writable_object()
        data = dict(self.parse(request.data, partial=True))
        obj = self.change_object(obj, data)
        return self.render(self.get_queryset().get(pk=obj.pk))


class CreateChangeMixin(CreateMixin, ChangeMixin):
    pass


@_crud_schema(HouseholdOut, HouseholdIn, HouseholdChange, "household")
class HouseholdViewSet(
    ByRefMixin, CreateChangeMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet
):
    """Households with their members. ``external_refs`` lists the ids other systems give the
    household; ``PUT by-ref/{system}/{id}/`` upserts by one of them."""

    serializer_class = HouseholdOut
    input_serializer_class = HouseholdIn
    update_serializer_class = HouseholdChange
    filterset_class = HouseholdFilter
    ref_kind = RefKind.HOUSEHOLD

    def get_queryset(self) -> QuerySet[Household]:
        return (
            scoping.visible(self.request.user, Household)
            .select_related("primary_advisor", "team")
            .prefetch_related(
                _REFS_PREFETCH, Prefetch("people", queryset=Person.objects.order_by("role", "name"))
            )
        )

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action == "by_ref":
            return HouseholdChange if self.request.method == "PUT" else HouseholdOut
        return super().get_serializer_class()

    def create_object(self, data: dict[str, Any]) -> Household:
        refs = _refs(data)
        return services.household_create(actor=self.request.user, external_refs=refs, **data)

    def change_object(self, household: Household, data: dict[str, Any]) -> Household:
        refs = _refs(data)
        return services.household_change(
            actor=self.request.user, household=household, changes=data, external_refs=refs
        )

    def by_ref_create(self, data: dict[str, Any], ref: tuple[str, str]) -> Household:
        refs = _with_ref(_refs(data), ref)
        missing = {
            f: ["This field is required."] for f in ("name", "primary_advisor") if f not in data
        }
        if missing:
            raise ValidationError(missing)
        return services.household_create(actor=self.request.user, external_refs=refs, **data)

    def by_ref_change(
        self, obj: Household, data: dict[str, Any], ref: tuple[str, str]
    ) -> Household:
        refs = _refs(data)
        return services.household_change(
            actor=self.request.user,
            household=obj,
            changes=data,
            external_refs=None if refs is None else _with_ref(refs, ref),
        )

    @_by_ref_schema(HouseholdOut, HouseholdChange, "household")
    @action(detail=False, methods=["get", "put"], url_path=BY_REF_PATH)
    def by_ref(self, request: Request, system: str, external_id: str) -> Response:
        return self._by_ref(request, system, external_id)


# --- People ---------------------------------------------------------------------------------


class PersonOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    household = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    external_refs = external_refs_field(read_only=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "household",
            "role",
            "name",
            "date_of_birth",
            "blind",
            "date_of_death",
            "external_refs",
            "updated",
        ]


class PersonIn(serializers.Serializer):
    household = ScopedRelatedField(Household)
    role = serializers.ChoiceField(choices=PersonRole.choices)
    name = serializers.CharField(max_length=200)
    date_of_birth = bounds.api_date(
        required=False, allow_null=True, validators=bounds.PAST_DATE_VALIDATORS
    )
    blind = serializers.BooleanField(required=False)
    date_of_death = bounds.api_date(required=False, allow_null=True)
    external_refs = external_refs_field(required=False)


class PersonChange(serializers.Serializer):
    role = serializers.ChoiceField(choices=PersonRole.choices, required=False)
    name = serializers.CharField(max_length=200, required=False)
    date_of_birth = bounds.api_date(
        required=False, allow_null=True, validators=bounds.PAST_DATE_VALIDATORS
    )
    blind = serializers.BooleanField(required=False)
    date_of_death = bounds.api_date(required=False, allow_null=True)
    external_refs = external_refs_field(required=False)


def _same_household(obj: Person | Account, data: dict[str, Any]) -> None:
    household = data.pop("household", None)
    if household is not None and household.pk != obj.household_id:
        raise ValidationError({"household": ["It already belongs to another household."]})


@_crud_schema(PersonOut, PersonIn, PersonChange, "person")
class PersonViewSet(
    ByRefMixin, CreateChangeMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet
):
    """The people of the households: the taxpayer (head), a spouse, dependents."""

    serializer_class = PersonOut
    input_serializer_class = PersonIn
    update_serializer_class = PersonChange
    filterset_class = PersonFilter
    ref_kind = RefKind.PERSON

    def get_queryset(self) -> QuerySet[Person]:
        return (
            scoping.visible(self.request.user, Person)
            .select_related("household")
            .prefetch_related(_REFS_PREFETCH)
        )

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action == "by_ref":
            return PersonIn if self.request.method == "PUT" else PersonOut
        return super().get_serializer_class()

    def create_object(self, data: dict[str, Any]) -> Person:
        refs = _refs(data)
        return services.person_create(actor=self.request.user, external_refs=refs, **data)

    def change_object(self, person: Person, data: dict[str, Any]) -> Person:
        refs = _refs(data)
        return services.person_change(
            actor=self.request.user, person=person, changes=data, external_refs=refs
        )

    def by_ref_create(self, data: dict[str, Any], ref: tuple[str, str]) -> Person:
        refs = _with_ref(_refs(data), ref)
        return services.person_create(actor=self.request.user, external_refs=refs, **data)

    def by_ref_change(self, obj: Person, data: dict[str, Any], ref: tuple[str, str]) -> Person:
        _same_household(obj, data)
        refs = _refs(data)
        return services.person_change(
            actor=self.request.user,
            person=obj,
            changes=data,
            external_refs=None if refs is None else _with_ref(refs, ref),
        )

    @_by_ref_schema(PersonOut, PersonIn, "person")
    @action(detail=False, methods=["get", "put"], url_path=BY_REF_PATH)
    def by_ref(self, request: Request, system: str, external_id: str) -> Response:
        return self._by_ref(request, system, external_id)


# --- Accounts -------------------------------------------------------------------------------


class AccountOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    household = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    type = serializers.ChoiceField(choices=ACCOUNT_TYPE_CHOICES, read_only=True)
    treatment = serializers.ChoiceField(choices=list(TREATMENT_LABELS.items()), read_only=True)
    external_refs = external_refs_field(read_only=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "household",
            "owner",
            "custodian",
            "masked_number",
            "type",
            "treatment",
            "opened",
            "closed",
            "relief_method",
            "average_basis",
            "held_away",
            "external_refs",
            "updated",
        ]


class AccountIn(serializers.Serializer):
    household = ScopedRelatedField(Household)
    owner = ScopedRelatedField(Person, help_text="A person of the same household.")
    custodian = serializers.CharField(max_length=100)
    masked_number = serializers.CharField(
        max_length=32,
        required=False,
        help_text="At most the last four digits, e.g. ••••1234 (or give account_number).",
    )
    type = serializers.ChoiceField(choices=ACCOUNT_TYPE_CHOICES)
    account_number = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="The full number: stored, never returned (masked_number is derived from it).",
    )
    opened = serializers.DateField(required=False, allow_null=True)
    closed = serializers.DateField(required=False, allow_null=True)
    relief_method = serializers.ChoiceField(choices=ReliefMethod.choices, required=False)
    average_basis = serializers.BooleanField(required=False)
    held_away = serializers.BooleanField(required=False)
    external_refs = external_refs_field(required=False)


class AccountChange(serializers.Serializer):
    owner = ScopedRelatedField(Person, required=False)
    custodian = serializers.CharField(max_length=100, required=False)
    masked_number = serializers.CharField(max_length=32, required=False)
    type = serializers.ChoiceField(choices=ACCOUNT_TYPE_CHOICES, required=False)
    account_number = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="The full number: stored, never returned (masked_number is derived from it).",
    )
    opened = serializers.DateField(required=False, allow_null=True)
    closed = serializers.DateField(required=False, allow_null=True)
    relief_method = serializers.ChoiceField(choices=ReliefMethod.choices, required=False)
    average_basis = serializers.BooleanField(required=False)
    held_away = serializers.BooleanField(required=False)
    external_refs = external_refs_field(required=False)


@_crud_schema(AccountOut, AccountIn, AccountChange, "account")
class AccountViewSet(
    ByRefMixin, CreateChangeMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet
):
    """Investment accounts; ``treatment`` (taxable, tax-deferred, tax-exempt) follows the type."""

    serializer_class = AccountOut
    input_serializer_class = AccountIn
    update_serializer_class = AccountChange
    filterset_class = AccountFilter
    ref_kind = RefKind.ACCOUNT

    def get_queryset(self) -> QuerySet[Account]:
        return (
            scoping.visible(self.request.user, Account)
            .select_related("household", "owner")
            .prefetch_related(_REFS_PREFETCH)
        )

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action == "by_ref":
            return AccountIn if self.request.method == "PUT" else AccountOut
        return super().get_serializer_class()

    def create_object(self, data: dict[str, Any]) -> Account:
        refs = _refs(data)
        return services.account_create(actor=self.request.user, external_refs=refs, **data)

    def change_object(self, account: Account, data: dict[str, Any]) -> Account:
        refs = _refs(data)
        return services.account_change(
            actor=self.request.user, account=account, changes=data, external_refs=refs
        )

    def by_ref_create(self, data: dict[str, Any], ref: tuple[str, str]) -> Account:
        refs = _with_ref(_refs(data), ref)
        return services.account_create(actor=self.request.user, external_refs=refs, **data)

    def by_ref_change(self, obj: Account, data: dict[str, Any], ref: tuple[str, str]) -> Account:
        _same_household(obj, data)
        refs = _refs(data)
        return services.account_change(
            actor=self.request.user,
            account=obj,
            changes=data,
            external_refs=None if refs is None else _with_ref(refs, ref),
        )

    @_by_ref_schema(AccountOut, AccountIn, "account")
    @action(detail=False, methods=["get", "put"], url_path=BY_REF_PATH)
    def by_ref(self, request: Request, system: str, external_id: str) -> Response:
        return self._by_ref(request, system, external_id)


# --- Lots -----------------------------------------------------------------------------------


class LotOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    account = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    household = serializers.UUIDField(source="account.household.public_id", read_only=True)
    security = serializers.SlugRelatedField(slug_field="symbol", read_only=True)
    adjusted_basis = _money(read_only=True)
    how_acquired = serializers.ChoiceField(choices=AcquiredHow.choices, read_only=True)

    class Meta:
        model = TaxLot
        fields = [
            "id",
            "account",
            "household",
            "security",
            "external_id",
            "original_quantity",
            "quantity",
            "cost_basis",
            "wash_sale_adjustment",
            "adjusted_basis",
            "acquired",
            "holding_period_start",
            "how_acquired",
            "gift_date",
            "gift_value",
            "updated",
        ]


class LotIn(serializers.Serializer):
    account = ScopedRelatedField(Account)
    security = ScopedRelatedField(Security, slug_field="symbol", help_text="Ticker symbol.")
    external_id = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="The custodian's lot id."
    )
    quantity = _quantity(min_value=0, help_text="Shares still open.")
    original_quantity = _quantity(
        required=False, min_value=0, help_text="Shares first acquired (default: quantity)."
    )
    cost_basis = _money(min_value=0, help_text="Basis of the open shares.")
    acquired = bounds.api_date()
    holding_period_start = bounds.api_date(
        required=False, allow_null=True, help_text="Default: acquired (earlier when tacked on)."
    )
    how_acquired = serializers.ChoiceField(
        choices=AcquiredHow.choices, default=AcquiredHow.PURCHASE
    )
    gift_date = bounds.api_date(required=False, allow_null=True)
    gift_value = _money(required=False, allow_null=True, min_value=0)
    wash_sale_adjustment = _money(required=False, min_value=0)


class LotImportIn(serializers.Serializer):
    lots = LotIn(many=True, min_length=1, max_length=MAX_IMPORT_ROWS)


class LotImportOut(serializers.Serializer):
    count = serializers.IntegerField()
    lots = LotOut(many=True)


def _lot_input(data: dict[str, Any]) -> services.LotInput:
    return services.LotInput(**{k: v for k, v in data.items() if v is not None or k in _NULLABLE})


_NULLABLE = frozenset({"gift_date", "gift_value", "holding_period_start"})


@_crud_schema(LotOut, LotIn, None, "tax lot")
class TaxLotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CreateMixin, ApiViewSet):
    """Tax lots. Open lots come in as the custodian reports them (one, or ``import`` many at
    once); afterwards only transactions change them, and nothing deletes them."""

    serializer_class = LotOut
    input_serializer_class = LotIn
    filterset_class = TaxLotFilter

    def get_queryset(self) -> QuerySet[TaxLot]:
        return scoping.visible(self.request.user, TaxLot).select_related(
            "account__household", "security"
        )

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action == "bulk_import":
            return LotImportIn
        return super().get_serializer_class()

    def create_object(self, data: dict[str, Any]) -> TaxLot:
        return services.lot_open(actor=self.request.user, row=_lot_input(data))

    @extend_schema(
        summary="Import open lots, all or none",
        request=LotImportIn,
        responses={201: LotImportOut},
        description=(
            f"Up to {MAX_IMPORT_ROWS} lots in one atomic import. Errors name each failing row "
            'by its index and the field: {"lots": {"3": {"security": ["…"]}}}.'
        ),
    )
    @action(detail=False, methods=["post"], url_path="import")
    def bulk_import(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            errors = serializer.errors
            rows = errors.get("lots")
            if isinstance(rows, list) and rows and isinstance(rows[0], dict):
                errors = {"lots": {str(i): e for i, e in enumerate(rows) if e}}
            raise ValidationError(errors)
        rows = [_lot_input(dict(row)) for row in serializer.validated_data["lots"]]
        try:
            lots = services.lots_import(actor=request.user, rows=rows)
        except services.LotImportError as exc:
            raise ValidationError({"lots": {str(i): e for i, e in exc.rows.items()}}) from None
        fresh = self.get_queryset().filter(pk__in=[lot.pk for lot in lots]).order_by("pk")
        context = self.get_serializer_context()
        data = {"count": len(lots), "lots": LotOut(fresh, many=True, context=context).data}
        return Response(data, status=status.HTTP_201_CREATED)


# --- Transactions ---------------------------------------------------------------------------


class TransactionOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    account = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    household = serializers.UUIDField(source="account.household.public_id", read_only=True)
    security = serializers.SlugRelatedField(slug_field="symbol", read_only=True)
    lot = serializers.SlugRelatedField(slug_field="public_id", read_only=True, allow_null=True)
    action = serializers.ChoiceField(choices=Action.choices, read_only=True)
    reverses = serializers.SlugRelatedField(slug_field="public_id", read_only=True, allow_null=True)

    class Meta:
        model = Transaction
        fields = [
            "id",
            "account",
            "household",
            "security",
            "lot",
            "external_id",
            "trade_date",
            "action",
            "quantity",
            "price",
            "fees",
            "amount",
            "basis_relieved",
            "ratio",
            "reverses",
            "recorded_at",
        ]


class TransactionIn(serializers.Serializer):
    account = ScopedRelatedField(Account)
    security = ScopedRelatedField(Security, slug_field="symbol", help_text="Ticker symbol.")
    action = serializers.ChoiceField(choices=Action.choices)
    trade_date = bounds.api_date()
    quantity = _quantity(min_value=0)
    price = serializers.DecimalField(**UNIT_PRICE, min_value=0)
    fees = _money(min_value=0, required=False)
    amount = _money(
        min_value=0,
        required=False,
        allow_null=True,
        help_text="Paid with fees (buy) or net proceeds (sale); default from quantity × price.",
    )
    lot = ScopedRelatedField(
        TaxLot, required=False, allow_null=True, help_text="The lot a sale takes shares from."
    )
    acquired = bounds.api_date(
        required=False, allow_null=True, help_text="Transfers in: first acquired."
    )
    cost_basis = _money(
        min_value=0, required=False, allow_null=True, help_text="Transfers in: basis carried over."
    )
    how_acquired = serializers.ChoiceField(
        choices=AcquiredHow.choices,
        required=False,
        help_text="Transfers in: purchase, gift (with gift_date, gift_value) or inherited.",
    )
    gift_date = serializers.DateField(required=False, allow_null=True)
    gift_value = _money(min_value=0, required=False, allow_null=True)
    ratio = serializers.DecimalField(
        max_digits=20,
        decimal_places=10,
        required=False,
        allow_null=True,
        help_text="Splits: new shares per old share.",
    )
    reverses = ScopedRelatedField(
        Transaction,
        required=False,
        allow_null=True,
        help_text="Reversals: the transaction corrected (then record the right one).",
    )
    external_id = serializers.CharField(max_length=64, required=False, allow_blank=True)


@_crud_schema(TransactionOut, TransactionIn, None, "transaction")
class TransactionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CreateMixin, ApiViewSet):
    """Trades. Recording one opens a lot (buy, reinvestment, transfer in) or relieves the named
    lot (sale, transfer out); transactions are never changed or deleted."""

    serializer_class = TransactionOut
    input_serializer_class = TransactionIn
    filterset_class = TransactionFilter
    cursor_ordering = ("recorded_at", "public_id")

    def get_queryset(self) -> QuerySet[Transaction]:
        return scoping.visible(self.request.user, Transaction).select_related(
            "account__household", "security", "lot"
        )

    def create_object(self, data: dict[str, Any]) -> Transaction:
        account = data["account"]
        if not scoping.can_write(self.request.user, account.household):
            raise PermissionDenied("You may not change this account's household.")
        data.setdefault("fees", services.ZERO)
        return services.transaction_record(
            recorded_by=actor_advisor(self.request.user), actor=self.request.user, **data
        )


# --- Tax profiles ---------------------------------------------------------------------------


PROFILE_RETURN_FIELDS = (
    "wages",
    "other_ordinary_income",
    "taxable_interest",
    "ordinary_dividends",
    "qualified_dividends",
    "capital_gain_distributions",
    "other_short_term_gains",
    "other_long_term_gains",
    "state_local_taxes",
    "other_itemized_deductions",
)


class TaxProfileOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    household = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    filing_status = serializers.ChoiceField(choices=FilingStatus.choices, read_only=True)

    class Meta:
        model = TaxProfile
        fields = [
            "id",
            "household",
            "tax_year",
            "filing_status",
            "expected_ordinary_income",
            "investment_income",
            "carryforward_short_term",
            "carryforward_long_term",
            *PROFILE_RETURN_FIELDS,
            "state_marginal_rate",
            "gains_budget",
            "joint_taxpayer_share",
            "notes",
            "updated",
        ]


class TaxProfileChange(serializers.Serializer):
    filing_status = serializers.ChoiceField(choices=FilingStatus.choices, required=False)
    expected_ordinary_income = _money(required=False)
    investment_income = _money(required=False, min_value=0)
    carryforward_short_term = _money(required=False, min_value=0)
    carryforward_long_term = _money(required=False, min_value=0)
    wages = _money(required=False, allow_null=True)
    other_ordinary_income = _money(required=False, allow_null=True)
    taxable_interest = _money(required=False, allow_null=True)
    ordinary_dividends = _money(required=False, allow_null=True)
    qualified_dividends = _money(required=False, allow_null=True)
    capital_gain_distributions = _money(required=False, allow_null=True)
    other_short_term_gains = _money(required=False, allow_null=True)
    other_long_term_gains = _money(required=False, allow_null=True)
    state_local_taxes = _money(required=False, allow_null=True)
    other_itemized_deductions = _money(required=False, allow_null=True)
    state_marginal_rate = serializers.DecimalField(
        max_digits=5, decimal_places=4, required=False, allow_null=True
    )
    gains_budget = _money(required=False, allow_null=True)
    joint_taxpayer_share = serializers.DecimalField(max_digits=5, decimal_places=4, required=False)
    notes = serializers.CharField(required=False, allow_blank=True)


class TaxProfileIn(TaxProfileChange):
    household = ScopedRelatedField(Household)
    tax_year = serializers.IntegerField(min_value=2000, max_value=2100)
    filing_status = serializers.ChoiceField(choices=FilingStatus.choices)


@_crud_schema(TaxProfileOut, TaxProfileIn, TaxProfileChange, "tax profile")
class TaxProfileViewSet(
    CreateChangeMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet
):
    """A household's return for one tax year: filing status, income, loss carryforwards."""

    serializer_class = TaxProfileOut
    input_serializer_class = TaxProfileIn
    update_serializer_class = TaxProfileChange
    filterset_class = TaxProfileFilter

    def get_queryset(self) -> QuerySet[TaxProfile]:
        return scoping.visible(self.request.user, TaxProfile).select_related("household")

    def create_object(self, data: dict[str, Any]) -> TaxProfile:
        household, tax_year = data.pop("household"), data.pop("tax_year")
        return services.tax_profile_create(
            actor=self.request.user, household=household, tax_year=tax_year, fields=data
        )

    def change_object(self, profile: TaxProfile, data: dict[str, Any]) -> TaxProfile:
        return services.tax_profile_change(actor=self.request.user, profile=profile, changes=data)


# --- Prices and securities (reference data shared by every firm) ----------------------------


class PriceOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    security = serializers.SlugRelatedField(slug_field="symbol", read_only=True)

    class Meta:
        model = Price
        fields = ["id", "security", "date", "close", "updated"]


class PriceIn(serializers.Serializer):
    security = ScopedRelatedField(Security, slug_field="symbol", help_text="Ticker symbol.")
    date = bounds.api_date()
    close = serializers.DecimalField(**UNIT_PRICE, min_value=0)


class PriceChange(serializers.Serializer):
    close = serializers.DecimalField(**UNIT_PRICE, min_value=0)


@_crud_schema(PriceOut, PriceIn, PriceChange, "price")
class PriceViewSet(CreateChangeMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Daily closes. Every firm reads them; only the platform's operators write them."""

    serializer_class = PriceOut
    input_serializer_class = PriceIn
    update_serializer_class = PriceChange
    filterset_class = PriceFilter

    def get_queryset(self) -> QuerySet[Price]:
        return scoping.visible(self.request.user, Price).select_related("security")

    def create_object(self, data: dict[str, Any]) -> Price:
        return services.price_create(actor=self.request.user, **data)

    def change_object(self, price: Price, data: dict[str, Any]) -> Price:
        return services.price_change(actor=self.request.user, price=price, **data)


class SecurityOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Security
        fields = [
            "id",
            "symbol",
            "name",
            "cusip",
            "kind",
            "asset_class",
            "tracked_index",
            "updated",
        ]


@extend_schema_view(
    list=extend_schema(summary="List securities"), retrieve=extend_schema(summary="One security")
)
class SecurityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """The securities lots and prices name by symbol (reference data, read only)."""

    serializer_class = SecurityOut
    filterset_class = SecurityFilter

    def get_queryset(self) -> QuerySet[Security]:
        return scoping.visible(self.request.user, Security)

"""API of what comes after the plan: ``POST /households/{id}/preview/`` (a what-if sale)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from advisors import scoping
from advisors.api import ApiViewSet
from clients.models import Household, TaxLot
from taxlogic.preview import SaleRequest, sale_preview


class PreviewSaleIn(serializers.Serializer):
    lot = serializers.UUIDField(help_text="The lot's id.")
    quantity = serializers.DecimalField(max_digits=24, decimal_places=6, min_value=0)


class PreviewIn(serializers.Serializer):
    sales = PreviewSaleIn(many=True, allow_empty=False)


class PreviewLineOut(serializers.Serializer):
    lot = serializers.UUIDField()
    symbol = serializers.CharField()
    quantity = serializers.CharField()
    price = serializers.CharField()
    proceeds = serializers.CharField()


class PreviewOut(serializers.Serializer):
    household = serializers.UUIDField()
    as_of = serializers.DateField()
    sales = PreviewLineOut(many=True)
    tax_before = serializers.CharField(help_text="Federal tax of the year without the sales.")
    tax_after = serializers.CharField(help_text="… and with them.")
    tax_change = serializers.CharField(help_text="Positive: more tax; negative: tax saved.")
    short_term = serializers.CharField(help_text="Short-term result the sales add.")
    long_term = serializers.CharField(help_text="Long-term result the sales add.")
    carryforward_before = serializers.CharField()
    carryforward_after = serializers.CharField()
    wash_sales = serializers.ListField(child=serializers.DictField())
    do_not_buy_through = serializers.DateField(allow_null=True)


class HouseholdPreviewViewSet(ApiViewSet):
    """``POST /households/{household_id}/preview/``: what selling these lots would do."""

    serializer_class = PreviewOut
    input_serializer_class = PreviewIn
    filter_backends: list[Any] = []
    pagination_class = None

    @extend_schema(
        summary="Preview a sale (what-if)",
        description=(
            "The tax impact of selling the given lots today at the last close, at the "
            "client's rates: the year's federal tax computed twice by the engine, the "
            "short/long-term split, wash sales inside the household and the do-not-buy "
            "window. Nothing is recorded."
        ),
        request=PreviewIn,
        responses={200: PreviewOut},
    )
    def create(self, request: Request, household_id: Any) -> Response:
        household, _ = scoping.object_for_user(request.user, Household, public_id=household_id)
        data = self.parse(request.data)
        wanted = [s["lot"] for s in data["sales"]]
        lots = {
            lot.public_id: lot
            for lot in scoping.visible(request.user, TaxLot)
            .filter(public_id__in=wanted, account__household=household)
            .select_related("security")
        }
        errors = {
            f"sales[{n}]": ["No such lot in this household."]
            for n, public_id in enumerate(wanted)
            if public_id not in lots
        }
        if errors:
            raise ValidationError(errors)
        sales = [SaleRequest(lots[s["lot"]], s["quantity"]) for s in data["sales"]]
        try:
            preview = sale_preview(user=request.user, household=household, sales=sales)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from None
        return Response(preview.to_json())

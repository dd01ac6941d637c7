"""/api/v1/: one router for every app's viewsets (cookiecutter-django's api_router).

taxlogic's reviews, plans and recommendations register here too, and a household's reviews
and current plan hang off its URL."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.routers import DefaultRouter

from advisors.api import AdvisorViewSet
from clients.api import (
    AccountViewSet,
    HouseholdViewSet,
    PersonViewSet,
    PriceViewSet,
    SecurityViewSet,
    TaxLotViewSet,
    TaxProfileViewSet,
    TransactionViewSet,
)
from clients.imports.api import ImportViewSet
from taxlogic.after_api import HouseholdPreviewViewSet
from taxlogic.api import (
    ActionPlanViewSet,
    HouseholdPlanViewSet,
    HouseholdReviewViewSet,
    RecommendationViewSet,
    ReviewViewSet,
)

app_name = "api"

router = DefaultRouter()
router.register("households", HouseholdViewSet, basename="household")
router.register("people", PersonViewSet, basename="person")
router.register("accounts", AccountViewSet, basename="account")
router.register("lots", TaxLotViewSet, basename="lot")
router.register("transactions", TransactionViewSet, basename="transaction")
router.register("tax-profiles", TaxProfileViewSet, basename="taxprofile")
router.register("prices", PriceViewSet, basename="price")
router.register("securities", SecurityViewSet, basename="security")
router.register("advisors", AdvisorViewSet, basename="advisor")
router.register("reviews", ReviewViewSet, basename="review")
router.register("action-plans", ActionPlanViewSet, basename="actionplan")
router.register("recommendations", RecommendationViewSet, basename="recommendation")
router.register("imports", ImportViewSet, basename="import")


@csrf_exempt  # a stray POST gets this JSON 404, not the CSRF failure page
def not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    """Unknown API paths answer in JSON too, never with the HTML 404 page."""
    return JsonResponse({"detail": "Not found."}, status=404)


# A household's reviews and its current plan hang off the household's own URL.
household_urls = [
    path(
        "households/<uuid:household_id>/reviews/",
        HouseholdReviewViewSet.as_view({"post": "create"}),
        name="household-reviews",
    ),
    path(
        "households/<uuid:household_id>/action-plan/",
        HouseholdPlanViewSet.as_view({"get": "current"}),
        name="household-action-plan",
    ),
    path(
        "households/<uuid:household_id>/preview/",
        HouseholdPreviewViewSet.as_view({"post": "create"}),
        name="household-preview",
    ),
]

urlpatterns = [*router.urls, *household_urls, re_path(r"^.*$", not_found)]

from __future__ import annotations

from django.urls import path

from clients import views
from clients.imports.urls import urlpatterns as import_urls

app_name = "clients"

# "accounts/" belongs to sign-in (config/urls.py), so investment accounts live under "holdings/".
urlpatterns = [
    path("", views.household_list, name="household_list"),
    path("households/<uuid:household_id>/", views.household_detail, name="household_detail"),
    path("households/<uuid:household_id>/edit/", views.household_edit, name="household_edit"),
    path("holdings/<uuid:account_id>/", views.account_detail, name="account_detail"),
    path(
        "holdings/<uuid:account_id>/transactions/new/",
        views.transaction_create,
        name="transaction_create",
    ),
    path("lots/<uuid:lot_id>/", views.lot_detail, name="lot_detail"),
    *import_urls,  # issue 12: clients/imports/urls.py
]

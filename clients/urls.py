from __future__ import annotations

from django.urls import path

from clients import records_views, views

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
    # The book's records (clients/records_views.py): the ledger, the replacement list, securities.
    path(
        "households/<uuid:household_id>/carryforward/",
        records_views.carryforward,
        name="carryforward",
    ),
    path(
        "households/<uuid:household_id>/carryforward/roll/",
        records_views.carryforward_roll,
        name="carryforward_roll",
    ),
    path("replacements/", records_views.replacement_list, name="replacement_list"),
    path("replacements/add/", records_views.replacement_add, name="replacement_add"),
    path(
        "replacements/<int:entry_id>/remove/",
        records_views.replacement_remove,
        name="replacement_remove",
    ),
    path("securities/new/", records_views.security_create, name="security_create"),
]

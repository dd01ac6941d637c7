from __future__ import annotations

from django.urls import path

from clients import book_views, records_views, views
from clients.imports.urls import urlpatterns as import_urls

app_name = "clients"

# "accounts/" belongs to sign-in (config/urls.py), so investment accounts live under "holdings/".
urlpatterns = [
    path("", views.household_list, name="household_list"),
    path("households/new/", book_views.household_create, name="household_create"),
    path("households/<uuid:household_id>/", views.household_detail, name="household_detail"),
    path("households/<uuid:household_id>/edit/", book_views.household_edit, name="household_edit"),
    path(
        "households/<uuid:household_id>/people/new/",
        book_views.person_create,
        name="person_create",
    ),
    path("people/<uuid:person_id>/edit/", book_views.person_edit, name="person_edit"),
    path(
        "households/<uuid:household_id>/holdings/new/",
        book_views.account_create,
        name="account_create",
    ),
    path(
        "households/<uuid:household_id>/tax/",
        book_views.tax_profile_current,
        name="tax_profile_current",
    ),
    path(
        "households/<uuid:household_id>/tax/<int:tax_year>/",
        book_views.tax_profile,
        name="tax_profile",
    ),
    path("holdings/<uuid:account_id>/", views.account_detail, name="account_detail"),
    path("holdings/<uuid:account_id>/edit/", book_views.account_edit, name="account_edit"),
    path(
        "holdings/<uuid:account_id>/transactions/new/",
        book_views.transaction_create,
        name="transaction_create",
    ),
    path("holdings/<uuid:account_id>/lots/new/", book_views.lot_create, name="lot_create"),
    path(
        "transactions/<uuid:transaction_id>/reverse/",
        book_views.transaction_reverse,
        name="transaction_reverse",
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
    *import_urls,  # issue 12: clients/imports/urls.py
]

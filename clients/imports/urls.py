from __future__ import annotations

from django.urls import path

from clients.imports import views

urlpatterns = [
    path("imports/", views.import_list, name="import_list"),
    path("imports/new/", views.import_new, name="import_new"),
    path("imports/formats/", views.import_formats, name="import_formats"),
    path("imports/templates/<slug:name>.csv", views.import_template, name="import_template"),
    path("imports/<uuid:batch_id>/", views.import_detail, name="import_detail"),
    path("imports/<uuid:batch_id>/commit/", views.import_commit, name="import_commit"),
]

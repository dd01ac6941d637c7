from __future__ import annotations

from django.urls import path

from taxlogic import after_views, record_views, views, year_end_views

app_name = "taxlogic"

urlpatterns = [
    path("households/<uuid:household_id>/", views.plan_detail, name="plan"),
    path(
        "households/<uuid:household_id>/plans/<uuid:plan_id>/",
        views.plan_detail,
        name="plan_version",
    ),
    path(
        "households/<uuid:household_id>/plans/<uuid:plan_id>/inputs.json",
        views.plan_inputs,
        name="plan_inputs",
    ),
    path("households/<uuid:household_id>/print/", views.plan_print, name="plan_print"),
    path(
        "households/<uuid:household_id>/record.json",
        record_views.plan_record,
        name="plan_record",
    ),
    path("households/<uuid:household_id>/trades.csv", views.plan_trades_csv, name="trades_csv"),
    path("households/<uuid:household_id>/reviews/", views.review_create, name="review_create"),
    path("reviews/<uuid:review_id>/", views.review_progress, name="review_progress"),
    path(
        "recommendations/<uuid:recommendation_id>/decide/",
        views.recommendation_decide,
        name="decide",
    ),
    path("settings/", views.harvest_settings, name="settings"),
    # After the plan (issue 15)
    path("blotter/", after_views.blotter_page, name="blotter"),
    path("blotter/approve/", after_views.blotter_approve, name="blotter_approve"),
    path("blotter/orders.csv", after_views.blotter_export, name="blotter_export"),
    path("do-not-buy/", after_views.calendar_page, name="calendar"),
    path("households/<uuid:household_id>/preview/", after_views.preview_page, name="preview"),
    path("households/<uuid:household_id>/planned/", after_views.planned_add, name="planned_add"),
    path(
        "households/<uuid:household_id>/planned/<uuid:planned_id>/remove/",
        after_views.planned_remove,
        name="planned_remove",
    ),
    # Year-end runs (issue 5)
    path("year-end/", year_end_views.year_end_runs, name="year_end_runs"),
    path("year-end/start/", year_end_views.year_end_start, name="year_end_start"),
    path("year-end/<uuid:run_id>/", year_end_views.year_end_run, name="year_end_run"),
    path("year-end/<uuid:run_id>/resume/", year_end_views.year_end_resume, name="year_end_resume"),
    path("year-end/<uuid:run_id>/retry/", year_end_views.year_end_retry, name="year_end_retry"),
]

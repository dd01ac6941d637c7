from __future__ import annotations

from django.urls import path

from taxlogic import record_views, views, year_end_views

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
    # Year-end runs (issue 5)
    path("year-end/", year_end_views.year_end_runs, name="year_end_runs"),
    path("year-end/start/", year_end_views.year_end_start, name="year_end_start"),
    path("year-end/<uuid:run_id>/", year_end_views.year_end_run, name="year_end_run"),
    path("year-end/<uuid:run_id>/resume/", year_end_views.year_end_resume, name="year_end_resume"),
    path("year-end/<uuid:run_id>/retry/", year_end_views.year_end_retry, name="year_end_retry"),
]

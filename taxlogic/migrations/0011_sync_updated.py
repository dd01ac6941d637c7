"""A stored ``updated`` on reviews, plans and recommendations, with the index the API's sync
order reads (firm, updated, public_id): until now it was computed in each query from the rows'
moments, so every list page sorted the firm's rows. Existing rows get the value the API
computed for them (the latest of their moments)."""

from django.conf import settings
from django.db import migrations, models

BACKFILL = [
    """UPDATE taxlogic_review SET updated = {greatest}(created, COALESCE(started, created),
    COALESCE(finished, created))""",
    """UPDATE taxlogic_actionplan SET updated = {greatest}(created, COALESCE(superseded, created),
    COALESCE((SELECT MAX(r.decided_at) FROM taxlogic_recommendation r
              WHERE r.plan_id = taxlogic_actionplan.id), created))""",
    """UPDATE taxlogic_recommendation SET updated = (
    SELECT {greatest}(p.created, COALESCE(taxlogic_recommendation.decided_at, p.created),
           COALESCE(p.superseded, p.created))
    FROM taxlogic_actionplan p WHERE p.id = taxlogic_recommendation.plan_id)""",
]


def backfill(apps, schema_editor):
    greatest = "GREATEST" if schema_editor.connection.vendor == "postgresql" else "MAX"
    for statement in BACKFILL:
        schema_editor.execute(statement.format(greatest=greatest))


class Migration(migrations.Migration):
    dependencies = [
        ("advisors", "0004_merge_branches"),
        ("clients", "0008_carryforward_audit_after"),
        ("taxlogic", "0010_digest_audit_after"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="actionplan",
            name="updated",
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name="recommendation",
            name="updated",
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name="review",
            name="updated",
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="actionplan",
            index=models.Index(fields=["firm", "updated", "public_id"], name="plan_sync_idx"),
        ),
        migrations.AddIndex(
            model_name="recommendation",
            index=models.Index(
                fields=["firm", "updated", "public_id"], name="recommendation_sync_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="review",
            index=models.Index(fields=["firm", "updated", "public_id"], name="review_sync_idx"),
        ),
    ]

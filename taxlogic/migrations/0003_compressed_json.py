"""Review.inputs, ActionPlan.result and Recommendation.details: from jsonb to compressed canonical
JSON (taxlogic/fields.py).

The values are converted in Python (the compression is not PostgreSQL's), in batches, both ways.
"""

from django.db import migrations, models

import taxlogic.fields

BATCH = 500


def _convert(apps, model_name: str, old: str, new: str, change) -> None:
    model = apps.get_model("taxlogic", model_name)
    batch = []
    for obj in model.objects.only("pk", old).iterator(chunk_size=BATCH):
        setattr(obj, new, change(getattr(obj, old)))
        batch.append(obj)
        if len(batch) == BATCH:
            model.objects.bulk_update(batch, [new])
            batch = []
    if batch:
        model.objects.bulk_update(batch, [new])


def forwards(apps, schema_editor) -> None:
    # The new fields are CompressedJSONField: they compress the JSON value they are given.
    _convert(apps, "Review", "inputs", "inputs_z", lambda value: value)
    _convert(apps, "ActionPlan", "result", "result_z", lambda value: value)
    _convert(apps, "Recommendation", "details", "details_z", lambda value: value)


def backwards(apps, schema_editor) -> None:
    def plain(value):
        if value is None or isinstance(value, dict | list):
            return value
        return taxlogic.fields.decode(value)

    _convert(apps, "Review", "inputs_z", "inputs", plain)
    _convert(apps, "ActionPlan", "result_z", "result", plain)
    _convert(apps, "Recommendation", "details_z", "details", plain)


class Migration(migrations.Migration):
    dependencies = [("taxlogic", "0002_year_end")]

    operations = [
        migrations.AddField(
            model_name="review",
            name="inputs_z",
            field=taxlogic.fields.CompressedJSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="actionplan",
            name="result_z",
            field=taxlogic.fields.CompressedJSONField(null=True),
        ),
        migrations.AddField(
            model_name="recommendation",
            name="details_z",
            field=taxlogic.fields.CompressedJSONField(blank=True, default=dict),
        ),
        # The old columns become nullable so that going back can fill them in again.
        migrations.AlterField(
            model_name="actionplan", name="result", field=models.JSONField(null=True)
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
        migrations.RemoveField(model_name="review", name="inputs"),
        migrations.RemoveField(model_name="actionplan", name="result"),
        migrations.RemoveField(model_name="recommendation", name="details"),
        migrations.RenameField(model_name="review", old_name="inputs_z", new_name="inputs"),
        migrations.RenameField(model_name="actionplan", old_name="result_z", new_name="result"),
        migrations.RenameField(
            model_name="recommendation", old_name="details_z", new_name="details"
        ),
        migrations.AlterField(
            model_name="review",
            name="inputs",
            field=taxlogic.fields.CompressedJSONField(
                blank=True, help_text="The case and planner settings.", null=True
            ),
        ),
        migrations.AlterField(
            model_name="actionplan",
            name="result",
            field=taxlogic.fields.CompressedJSONField(),
        ),
    ]

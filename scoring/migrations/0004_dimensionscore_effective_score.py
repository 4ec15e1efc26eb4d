from django.db import migrations, models
from django.db.models import F


def store_effective_scores(apps, schema_editor):
    """Start from the engine's score, then apply each active dimension override (capped)."""
    DimensionScore = apps.get_model("scoring", "DimensionScore")
    EditorialOverride = apps.get_model("scoring", "EditorialOverride")
    DimensionScore.objects.update(effective_score=F("score"))
    overrides = EditorialOverride.objects.filter(is_active=True, dimension__isnull=False)
    for override in overrides.select_related("dimension"):
        DimensionScore.objects.filter(
            scorecard__episode_id=override.episode_id,
            scorecard__is_current=True,
            dimension_id=override.dimension_id,
        ).update(effective_score=min(override.score, override.dimension.max_score))


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0003_scoringrun_retries_warnings"),
    ]

    operations = [
        migrations.AddField(
            model_name="dimensionscore",
            name="effective_score",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="dimensionscore",
            name="score",
            field=models.PositiveSmallIntegerField(help_text="The engine's score."),
        ),
        migrations.RunPython(store_effective_scores, migrations.RunPython.noop),
    ]

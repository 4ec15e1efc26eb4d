"""Publish rubric version 1 as data: the five dimensions the methodology page publishes."""

from django.db import migrations

DIMENSIONS = [
    (
        "insight_density",
        "Insight Density",
        "Useful, non-obvious observations per minute; little recap, filler or metaphor-stacking.",
    ),
    (
        "originality",
        "Originality",
        "First-principles or contrarian arguments and new framings; not recycled analogies "
        "or conference debriefs.",
    ),
    (
        "guest_caliber",
        "Guest Caliber",
        "Operators who did the thing, speaking first-hand, over commentators reporting "
        "second-hand.",
    ),
    (
        "specificity_evidence",
        "Specificity & Evidence",
        "Numbers, named cases, dollar figures and comparative data that anchor claims.",
    ),
    (
        "conversational_craft",
        "Conversational Craft",
        "Sharp questions, follow-ups and pushback; hosts who let guests talk.",
    ),
]


def publish_v1(apps, schema_editor):
    Rubric = apps.get_model("scoring", "Rubric")
    RubricDimension = apps.get_model("scoring", "RubricDimension")
    rubric, _ = Rubric.objects.get_or_create(
        version=1,
        defaults={
            "name": "Substance rubric",
            "description": "Five dimensions of 20 points each; the substance score is their sum.",
            "is_active": True,
        },
    )
    for position, (key, name, description) in enumerate(DIMENSIONS):
        RubricDimension.objects.update_or_create(
            rubric=rubric,
            key=key,
            defaults={"name": name, "description": description, "position": position},
        )


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]

    operations = [migrations.RunPython(publish_v1, migrations.RunPython.noop)]

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shows", "0003_search_trigger"),
    ]

    operations = [
        migrations.AddField(
            model_name="category",
            name="mean_score",
            field=models.FloatField(blank=True, editable=False, null=True),
        ),
    ]

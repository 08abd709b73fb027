# The Job model now lives in the jobs app (same table): Speech.job points there. No SQL.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("synthesis", "0002_speech_similarity_boost"),
        ("jobs", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="speech",
                    name="job",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="speeches", to="jobs.job"),
                ),
                migrations.DeleteModel(name="Job"),
            ],
            database_operations=[],
        ),
    ]

# Jobs sit below voices: a job keeps the id of the voice it works on as a plain column. The database
# drops the foreign-key constraint (the column and its index stay); the voices app deletes a voice's
# jobs itself (voices.services.voice.voice_delete).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
        ("synthesis", "0003_job_moves_to_the_jobs_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterField(
                    model_name="job",
                    name="voice",
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="voices.voice"),
                ),
            ],
            state_operations=[
                migrations.RemoveField(model_name="job", name="voice"),
                migrations.AddField(
                    model_name="job",
                    name="voice_id",
                    field=models.CharField(blank=True, db_index=True, max_length=40, null=True),
                ),
            ],
        ),
    ]

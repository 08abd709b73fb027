# The Job model moves from the synthesis app to this one. Its table stays "synthesis_job": this
# migration only tells Django's state where the model now lives (no SQL).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import jobs.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("synthesis", "0002_speech_similarity_boost"),
        ("voices", "0003_consent_audit"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Job",
                    fields=[
                        ("id", models.CharField(default=jobs.models.new_job_id, editable=False, max_length=40, primary_key=True, serialize=False)),
                        ("kind", models.CharField(max_length=16)),
                        ("queue", models.CharField(default="cpu", max_length=16)),
                        ("params", models.JSONField(blank=True, default=dict)),
                        ("result", models.JSONField(blank=True, default=dict)),
                        ("status", models.CharField(choices=[("QUEUED", "Queued"), ("RUNNING", "Running"), ("SUCCEEDED", "Succeeded"), ("FAILED", "Failed")], default="QUEUED", max_length=10)),
                        ("step", models.CharField(blank=True, max_length=64)),
                        ("percent", models.FloatField(default=0)),
                        ("eta_seconds", models.FloatField(blank=True, null=True)),
                        ("error", models.TextField(blank=True)),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("started_at", models.DateTimeField(blank=True, null=True)),
                        ("heartbeat_at", models.DateTimeField(blank=True, null=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("owner", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="jobs", to=settings.AUTH_USER_MODEL)),
                        ("voice", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="jobs", to="voices.voice")),
                    ],
                    options={"db_table": "synthesis_job", "ordering": ["-created_at"]},
                ),
                migrations.AddIndex(
                    model_name="job",
                    index=models.Index(fields=["status", "heartbeat_at"], name="synthesis_j_status_5d89cb_idx"),
                ),
            ],
            database_operations=[],
        ),
    ]

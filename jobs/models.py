from __future__ import annotations

from django.conf import settings
from django.db import models

from studio.ids import prefixed_id


def new_job_id() -> str:
    return prefixed_id("job")


class Job(models.Model):
    """A unit of background work. The row is the source of truth; the broker only carries "go".

    ``kind`` names a handler that an app registered (``jobs.kinds``); ``voice_id`` says which voice the
    work is about, if any (its events also go to that voice's websocket group). It is a plain column,
    not a foreign key: jobs sit below voices, and the voices app deletes a voice's jobs with it.
    """

    class Status(models.TextChoices):
        QUEUED = "QUEUED"
        RUNNING = "RUNNING"
        SUCCEEDED = "SUCCEEDED"
        FAILED = "FAILED"

    FINAL = (Status.SUCCEEDED, Status.FAILED)

    id = models.CharField(primary_key=True, max_length=40, default=new_job_id, editable=False)
    kind = models.CharField(max_length=16)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    voice_id = models.CharField(max_length=40, null=True, blank=True, db_index=True)  # noqa: DJ001 (the column was a nullable foreign key)
    queue = models.CharField(max_length=16, default="cpu")
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    step = models.CharField(max_length=64, blank=True)
    percent = models.FloatField(default=0)
    eta_seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "synthesis_job"  # the table the jobs had before they became an app of their own
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="synthesis_j_status_5d89cb_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

"""State changes of jobs: create and enqueue, claim, finish, requeue after a crash, delete.

The job row is the source of truth. The broker message only says "look at job X": a worker claims the
row with a conditional UPDATE before working, so a redelivered or duplicated message does no harm, and
``jobs_requeue_stale`` re-enqueues whatever a dead worker left behind.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from jobs.events import job_broadcast
from jobs.kinds import job_kind
from jobs.models import Job


def job_create(
    *, kind: str, owner: Any, voice_id: str | None = None, params: dict | None = None, queue: str = "cpu"
) -> Job:
    """Create a job and enqueue it once the surrounding transaction commits."""
    from jobs.fairness import job_admit

    job_kind(kind)  # a kind nobody registered would fail on the worker, long after the request
    job_admit(owner=owner, kind=kind, params=params or {})  # per-user caps: 429 past them
    job = Job.objects.create(kind=kind, owner=owner, voice_id=voice_id, params=params or {}, queue=queue)
    job_enqueue(job)
    return job


def job_enqueue(job: Job) -> None:
    from jobs.tasks import run_job

    job_id, queue = job.id, job.queue
    # on_commit: a worker must never look for a row that is not committed yet.
    transaction.on_commit(lambda: run_job.apply_async(args=[job_id], queue=queue))


def jobs_requeue_stale(*, running_stale_after: timedelta | None = None) -> list[str]:
    """Re-enqueue QUEUED jobs and RUNNING jobs whose heartbeat is older than ``running_stale_after``.

    Called at start-up: in the embedded mode nothing can be running yet, so every RUNNING row was left
    by a process that died (pass ``timedelta(0)``).
    """
    if running_stale_after is None:
        running_stale_after = timedelta(seconds=settings.STUDIO_JOB_STALE_SECONDS)
    cutoff = timezone.now() - running_stale_after
    stale = Q(status=Job.Status.RUNNING) & (Q(heartbeat_at__lte=cutoff) | Q(heartbeat_at__isnull=True))
    requeued = []
    with transaction.atomic():
        Job.objects.filter(stale).update(status=Job.Status.QUEUED, step="requeued after a restart")
        for job in Job.objects.filter(status=Job.Status.QUEUED).order_by("created_at"):
            job_enqueue(job)
            requeued.append(job.id)
    return requeued


def job_claim(job_id: str) -> Job | None:
    """Mark the job RUNNING for this worker, unless it is finished or another worker has it."""
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.STUDIO_JOB_STALE_SECONDS)
    claimable = Q(status=Job.Status.QUEUED) | Q(status=Job.Status.RUNNING, heartbeat_at__lte=stale_before)
    claimed = Job.objects.filter(claimable, pk=job_id).update(
        status=Job.Status.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1, error=""
    )
    if not claimed:
        return None
    return Job.objects.select_related("owner").get(pk=job_id)


def job_finish(job: Job, *, result: dict | None = None, error: str = "") -> Job:
    job.status = Job.Status.FAILED if error else Job.Status.SUCCEEDED
    job.error = error
    job.result = result or {}
    job.finished_at = timezone.now()
    job.eta_seconds = 0 if not error else None
    if not error:
        job.percent = 100
        job.step = "done"
    # A plain UPDATE: a job deleted meanwhile (its voice was deleted) stays deleted.
    Job.objects.filter(pk=job.pk).update(
        status=job.status, error=job.error, result=job.result, finished_at=job.finished_at,
        eta_seconds=job.eta_seconds, percent=job.percent, step=job.step,
    )  # fmt: skip
    job_broadcast(job, "final")
    return job


def jobs_delete_for_voice(voice_id: str) -> int:
    """Delete the jobs about a voice (the voice is being deleted). A running one finds its row gone."""
    deleted, _ = Job.objects.filter(voice_id=voice_id).delete()
    return deleted

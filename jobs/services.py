"""State changes of jobs: create and enqueue, claim, heartbeat, finish, requeue after a crash, delete.

The job row is the source of truth. The broker message only says "look at job X": a worker claims the
row with a conditional UPDATE before working, so a redelivered or duplicated message does no harm.

A worker that dies leaves its job RUNNING. Three paths bring it back, whichever comes first:
- its Celery parent saw the pool process die (kill -9, out of memory): ``job_worker_lost``, at once;
- the heartbeat stops (the whole worker or its machine went): the sweep that beat runs every
  ``STUDIO_JOB_SWEEP_SECONDS`` (``jobs_requeue_stale``) requeues it once the heartbeat is older than
  ``STUDIO_JOB_STALE_SECONDS``, and Redis redelivers the unacked message after its visibility timeout,
  which a worker may claim because the heartbeat is stale;
- a worker starting re-enqueues stale and queued jobs.
Each run counts an attempt; after ``STUDIO_JOB_MAX_ATTEMPTS`` a job that keeps taking its worker down
fails with a message instead of running again (``job_give_up``). A run that was taken over (its worker
was thought dead but was not) can no longer write the job's outcome: finishing is fenced by the attempt.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from jobs.events import job_broadcast
from jobs.kinds import job_kind
from jobs.metrics import job_outcome_record
from jobs.models import Job

log = logging.getLogger(__name__)

# A job run again starts over: its progress too (the new run reports from 0).
REQUEUED = {
    "status": Job.Status.QUEUED,
    "step": "requeued: its worker stopped",
    "heartbeat_at": None,
    "percent": 0.0,
    "eta_seconds": None,
}
ABANDONED_MESSAGE = (
    "The job stopped {attempts} times before it could finish: the worker running it crashed, was "
    "killed or ran out of memory. It is not retried again; try again later, or with shorter input."
)


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


def _stale_running(stale_after: timedelta) -> Q:
    cutoff = timezone.now() - stale_after
    return Q(status=Job.Status.RUNNING) & (Q(heartbeat_at__lte=cutoff) | Q(heartbeat_at__isnull=True))


def _stale_after() -> timedelta:
    return timedelta(seconds=settings.STUDIO_JOB_STALE_SECONDS)


def jobs_requeue_stale(
    *, running_stale_after: timedelta | None = None, include_queued: bool = True
) -> list[str]:
    """Re-enqueue RUNNING jobs whose heartbeat is older than ``running_stale_after`` (their worker
    died), and with ``include_queued`` every QUEUED job too (its message may be lost: a broker that
    restarted empty). Jobs out of attempts fail instead (``job_give_up``). Returns the requeued ids.

    Beat's periodic sweep passes ``include_queued=False``: queued jobs still have their message, and
    sending another every sweep would flood a long queue. A worker starting sweeps with both. In the
    embedded mode nothing can be running at start, so every RUNNING row is abandoned (``timedelta(0)``).
    """
    stale = _stale_running(running_stale_after if running_stale_after is not None else _stale_after())
    for job in Job.objects.filter(stale, attempts__gte=settings.STUDIO_JOB_MAX_ATTEMPTS):
        job_give_up(job)
    requeued = []
    with transaction.atomic():
        stale_ids = list(Job.objects.filter(stale).values_list("pk", flat=True))
        Job.objects.filter(stale, pk__in=stale_ids).update(**REQUEUED)
        pending = Q(pk__in=stale_ids) | (Q(status=Job.Status.QUEUED) if include_queued else Q(pk__in=[]))
        for job in Job.objects.filter(pending, status=Job.Status.QUEUED).order_by("created_at"):
            job_enqueue(job)
            requeued.append(job.id)
            if job.id in stale_ids:
                job_broadcast(job, "progress")  # watchers see "requeued" instead of a frozen step
    if stale_ids:
        log.warning("Requeued %d job(s) whose worker stopped: %s", len(stale_ids), ", ".join(stale_ids))
    return requeued


def job_worker_lost(job_id: str, *, timed_out: bool = False) -> None:
    """The pool process running the job died (its Celery parent saw it): requeue the job at once, or
    fail it when it used up its attempts or was killed for running past the hard time limit."""
    job = Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).first()
    if job is None:
        queued = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).first()
        if queued is not None:  # died before claiming it; the message was acked, so send another
            job_enqueue(queued)
        return
    if timed_out:
        job_give_up(job, error="The job took too long and was stopped. Try shorter input.")
    elif job.attempts >= settings.STUDIO_JOB_MAX_ATTEMPTS:
        job_give_up(job)
    else:
        with transaction.atomic():
            requeued = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, attempts=job.attempts).update(
                **REQUEUED
            )
            if requeued:
                job_enqueue(job)
        if requeued:
            job.refresh_from_db()
            job_broadcast(job, "progress")
        log.warning("Job %s lost its worker (attempt %d); requeued", job.id, job.attempts)


def job_give_up(job: Job, *, error: str = "") -> bool:
    """Fail a job its workers could not finish (nobody else will report it), and tell its kind."""
    error = error or ABANDONED_MESSAGE.format(attempts=job.attempts)
    now = timezone.now()
    unfinished = [Job.Status.QUEUED, Job.Status.RUNNING]
    failed = Job.objects.filter(pk=job.pk, status__in=unfinished, attempts=job.attempts).update(
        status=Job.Status.FAILED, error=error, finished_at=now, eta_seconds=None
    )
    if not failed:
        return False
    job.status, job.error, job.finished_at, job.eta_seconds = Job.Status.FAILED, error, now, None
    log.error("Job %s (%s) failed after %d attempt(s): %s", job.id, job.kind, job.attempts, error)
    kind = job_kind(job.kind)
    if kind.on_failed is not None:
        try:
            kind.on_failed(job)
        except Exception:
            log.exception("The %s kind's on_failed hook failed for job %s", job.kind, job.id)
    job_broadcast(job, "final")
    job_outcome_record(job)
    return True


def job_claim(job_id: str) -> Job | None:
    """Mark the job RUNNING for this worker, unless it is finished or another worker has it.

    A RUNNING job is claimable once its heartbeat is stale (its worker died; this is a redelivery). A
    job out of attempts is failed instead of claimed.
    """
    now = timezone.now()
    claimable = Q(status=Job.Status.QUEUED) | _stale_running(_stale_after())
    claimed = Job.objects.filter(claimable, pk=job_id, attempts__lt=settings.STUDIO_JOB_MAX_ATTEMPTS).update(
        status=Job.Status.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1, error=""
    )
    if not claimed:
        exhausted = Job.objects.filter(claimable, pk=job_id).first()
        if exhausted is not None:
            job_give_up(exhausted)
        return None
    return Job.objects.select_related("owner").get(pk=job_id)


def job_heartbeat(job: Job) -> bool:
    """Say this run is alive. False when the job is no longer this run's (finished, deleted, or taken
    over after a heartbeat gap)."""
    return bool(
        Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, attempts=job.attempts).update(
            heartbeat_at=timezone.now()
        )
    )


def job_finish(job: Job, *, result: dict | None = None, error: str = "") -> Job:
    job.status = Job.Status.FAILED if error else Job.Status.SUCCEEDED
    job.error = error
    job.result = result or {}
    job.finished_at = timezone.now()
    job.eta_seconds = 0 if not error else None
    if not error:
        job.percent = 100
        job.step = "done"
    # A plain UPDATE of this run's row: a job deleted meanwhile (its voice was deleted) stays deleted,
    # and a run that another worker took over (``attempts`` moved on) leaves the outcome to that one.
    written = Job.objects.filter(pk=job.pk, attempts=job.attempts).exclude(status__in=Job.FINAL).update(
        status=job.status, error=job.error, result=job.result, finished_at=job.finished_at,
        eta_seconds=job.eta_seconds, percent=job.percent, step=job.step,
    )  # fmt: skip
    if written:
        job_broadcast(job, "final")
        job_outcome_record(job)
    else:
        log.warning("Job %s: not recording this run's outcome; the row was deleted or taken over", job.id)
    return job


def jobs_delete_for_voice(voice_id: str) -> int:
    """Delete the jobs about a voice (the voice is being deleted). A running one finds its row gone."""
    deleted, _ = Job.objects.filter(voice_id=voice_id).delete()
    return deleted

"""Background jobs: create, enqueue, run with progress, finish, and recover after a crash.

The job row is the source of truth. The broker message only says "look at job X": a worker claims the
row with a conditional UPDATE before working, so a redelivered or duplicated message does no harm, and
``jobs_requeue_stale`` re-enqueues whatever a dead worker left behind.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from importlib import import_module
from typing import Any

from asgiref.sync import async_to_sync
from celery.exceptions import SoftTimeLimitExceeded
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from errors import StudioError
from synthesis.models import Job
from voices.models import Voice

log = logging.getLogger(__name__)

# kind -> "module:function". A handler takes (job, progress) and returns the job's result dict.
JOB_HANDLERS: dict[str, str] = {
    Job.Kind.DEMO: "synthesis.demo:demo_run",
    Job.Kind.CLONE: "voices.cloning:voice_clone_run",
    Job.Kind.SPEECH: "synthesis.speech:speech_job_run",
    Job.Kind.BATCH: "synthesis.speech:speech_batch_run",
    Job.Kind.CONSENT: "voices.consent_jobs:consent_verify_run",
}

# Write progress to the row (and the websocket) at most this often, except on step changes.
PROGRESS_MIN_INTERVAL = 0.2


def job_group(job_id: str) -> str:
    return f"job.{job_id}"


def voice_group(voice_id: str) -> str:
    return f"voice.{voice_id}"


def job_payload(job: Job) -> dict[str, Any]:
    """What clients see of a job: the API body, the websocket snapshot and every event."""
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "step": job.step,
        "percent": round(job.percent, 1),
        "eta_seconds": None if job.eta_seconds is None else round(job.eta_seconds, 1),
        "error": job.error or None,
        "voice_id": job.voice_id,
        "result": job.result,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def _broadcast(job: Job, event: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    # sent_at: lets a client (bench/progress_latency.py) measure how long the event took to reach it.
    message = {"type": "job.event", "event": event, "job": job_payload(job), "sent_at": time.time()}
    try:
        async_to_sync(layer.group_send)(job_group(job.id), message)
        if job.voice_id:
            async_to_sync(layer.group_send)(voice_group(job.voice_id), message)
    except Exception:  # A dead channel layer must not fail the work; clients can still poll the row.
        log.exception("Could not publish %s event for %s", event, job.id)


def job_create(
    *, kind: str, owner: Any, voice: Any = None, params: dict | None = None, queue: str = "cpu"
) -> Job:
    """Create a job and enqueue it once the surrounding transaction commits."""
    job = Job.objects.create(kind=kind, owner=owner, voice=voice, params=params or {}, queue=queue)
    job_enqueue(job)
    return job


def job_enqueue(job: Job) -> None:
    from synthesis.tasks import run_job

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


def _job_claim(job_id: str) -> Job | None:
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.STUDIO_JOB_STALE_SECONDS)
    claimable = Q(status=Job.Status.QUEUED) | Q(status=Job.Status.RUNNING, heartbeat_at__lte=stale_before)
    claimed = Job.objects.filter(claimable, pk=job_id).update(
        status=Job.Status.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1, error=""
    )
    if not claimed:
        return None
    return Job.objects.select_related("owner", "voice").get(pk=job_id)


def _handler_for(kind: str) -> Callable[[Job, JobProgress], dict]:
    module_name, function_name = JOB_HANDLERS[kind].split(":")
    return getattr(import_module(module_name), function_name)


def job_run(job_id: str) -> Job | None:
    """Claim and run a job. Returns None when another worker has it or it is already finished."""
    job = _job_claim(job_id)
    if job is None:
        log.info("Job %s is not claimable (finished, running elsewhere or gone); skipping", job_id)
        return None
    _broadcast(job, "progress")
    progress = JobProgress(job)
    try:
        result = _handler_for(job.kind)(job, progress)
    except Exception as exc:
        if not isinstance(exc, (StudioError, SoftTimeLimitExceeded)):
            log.exception("Job %s (%s) crashed", job.id, job.kind)
        return job_finish(job, error=error_message(exc, job.kind))
    return job_finish(job, result=result or {})


def error_message(exc: BaseException, kind: str) -> str:
    """What the user reads when a job fails: our own errors say what to fix; crashes say little."""
    if isinstance(exc, StudioError):
        return exc.message
    if isinstance(exc, SoftTimeLimitExceeded):
        return "The job took too long and was stopped. Try shorter input."
    return f"Internal error while running the {kind} job ({type(exc).__name__})."


def job_finish(job: Job, *, result: dict | None = None, error: str = "") -> Job:
    job.status = Job.Status.FAILED if error else Job.Status.SUCCEEDED
    job.error = error
    job.result = result or {}
    job.finished_at = timezone.now()
    job.eta_seconds = 0 if not error else None
    if not error:
        job.percent = 100
        job.step = "done"
    job.save(update_fields=["status", "error", "result", "finished_at", "eta_seconds", "percent", "step"])
    _broadcast(job, "final")
    return job


class JobProgress:
    """Reports named steps and the fraction done within each to the row and the websocket.

    ``steps`` is a list of (name, weight); weights are relative expected durations, so the overall
    percent and the ETA advance evenly.
    """

    def __init__(self, job: Job, steps: Sequence[tuple[str, float]] = ()) -> None:
        self.job = job
        self.started = time.monotonic()
        self.last_write = 0.0
        self.set_steps(steps)

    def set_steps(self, steps: Sequence[tuple[str, float]]) -> None:
        self.steps = list(steps)
        self.total_weight = sum(weight for _, weight in self.steps) or 1.0
        self.started = time.monotonic()

    def step(self, name: str, fraction: float = 0.0) -> None:
        self._report(name, fraction, force=name != self.job.step)

    def update(self, fraction: float) -> None:
        self._report(self.job.step, fraction, force=False)

    def callback(self, name: str) -> Callable[[float, str | None], None]:
        """A ``progress(fraction, label)`` callable for engines, reporting within step ``name``."""
        return lambda fraction, _label=None: self._report(name, fraction, force=False)

    def _percent(self, name: str, fraction: float) -> float:
        done = 0.0
        for step_name, weight in self.steps:
            if step_name == name:
                return 100.0 * (done + weight * min(max(fraction, 0.0), 1.0)) / self.total_weight
            done += weight
        return self.job.percent

    def _report(self, name: str, fraction: float, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self.last_write < PROGRESS_MIN_INTERVAL:
            return
        self.last_write = now
        job = self.job
        job.step = name
        job.percent = max(job.percent, self._percent(name, fraction))
        elapsed = now - self.started
        job.eta_seconds = elapsed * (100 - job.percent) / job.percent if job.percent >= 1 else None
        job.heartbeat_at = timezone.now()
        Job.objects.filter(pk=job.pk).update(
            step=job.step, percent=job.percent, eta_seconds=job.eta_seconds, heartbeat_at=job.heartbeat_at
        )
        if job.kind == Job.Kind.CLONE and job.voice_id:
            # The voice shows its training progress too (GET /v1/voices/{id} without a job id).
            Voice.objects.filter(pk=job.voice_id).update(
                progress_step=job.step, progress_percent=job.percent, progress_eta_seconds=job.eta_seconds
            )
        _broadcast(job, "progress")

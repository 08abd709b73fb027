"""Running a job on a worker: claim the row, call the kind's handler with a progress reporter, finish.

While the handler runs, a thread writes the job's heartbeat every ``STUDIO_JOB_HEARTBEAT_SECONDS``,
whatever the handler is doing (a model loading, a long synthesis without progress reports): a stale
heartbeat then means the worker died, never that it was busy (``jobs.services``).

A handler raises one of the studio's errors (``errors.StudioError``) to fail with a message the user
can act on; anything else fails the job with a short internal-error message (and a logged traceback).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection
from django.utils import timezone

from errors import StudioError
from jobs.events import job_broadcast
from jobs.fairness import job_claim_fair
from jobs.kinds import job_kind
from jobs.models import Job
from jobs.services import job_finish, job_heartbeat

log = logging.getLogger(__name__)

# Write progress to the row (and the websocket) at most this often, except on step changes.
PROGRESS_MIN_INTERVAL = 0.2


def job_run(job_id: str) -> Job | None:
    """Claim and run a job. Returns None when another worker has it or it is already finished."""
    job = job_claim_fair(job_id)  # the fairest waiting job on this queue (jobs/fairness.py)
    if job is None:
        log.info("Job %s is not claimable (finished, running elsewhere or gone); skipping", job_id)
        return None
    job_broadcast(job, "progress")
    kind = job_kind(job.kind)
    progress = JobProgress(job, on_report=kind.on_progress)
    try:
        with Heartbeat(job):
            result = kind.resolve()(job, progress)
    except Exception as exc:
        if not isinstance(exc, (StudioError, SoftTimeLimitExceeded)):
            log.exception("Job %s (%s) crashed", job.id, job.kind)
        return job_finish(job, error=error_message(exc, job.kind))
    return job_finish(job, result=result or {})


class Heartbeat:
    """A daemon thread that keeps the running job's heartbeat fresh until the block ends."""

    def __init__(self, job: Job, interval: float | None = None) -> None:
        self.job = job
        self.interval = settings.STUDIO_JOB_HEARTBEAT_SECONDS if interval is None else interval
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"heartbeat-{job.id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopped.set()
        self.thread.join(self.interval + 5)

    def _beat(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                try:
                    if not job_heartbeat(self.job):
                        log.warning("Job %s is no longer this run's (deleted or taken over)", self.job.id)
                        return
                except Exception:  # a database hiccup: try again at the next beat
                    log.warning("Could not write the heartbeat of job %s", self.job.id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection (back to the pool)


def error_message(exc: BaseException, kind: str) -> str:
    """What the user reads when a job fails: our own errors say what to fix; crashes say little."""
    if isinstance(exc, StudioError):
        return exc.message
    if isinstance(exc, SoftTimeLimitExceeded):
        return "The job took too long and was stopped. Try shorter input."
    return f"Internal error while running the {kind} job ({type(exc).__name__})."


class JobProgress:
    """Reports named steps and the fraction done within each to the row and the websocket.

    ``steps`` is a list of (name, weight); weights are relative expected durations, so the overall
    percent and the ETA advance evenly. ``on_report(job)`` hears every report (after the row is written).
    """

    def __init__(
        self,
        job: Job,
        steps: Sequence[tuple[str, float]] = (),
        *,
        on_report: Callable[[Job], None] | None = None,
    ) -> None:
        self.job = job
        self.on_report = on_report
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
        if self.on_report is not None:
            self.on_report(job)
        job_broadcast(job, "progress")

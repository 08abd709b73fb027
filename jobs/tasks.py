import logging
from typing import Any

from celery import shared_task
from celery.exceptions import TimeLimitExceeded, WorkerLostError
from celery.signals import task_failure, worker_ready
from django.conf import settings

from jobs.runner import job_run
from jobs.services import job_worker_lost, jobs_requeue_stale

log = logging.getLogger(__name__)

# The line an operator (and the scale-out tests) can wait for: Celery's own "ready." is at INFO on the
# "celery" logger, which settings.LOGGING keeps at WARNING.
READY_MESSAGE = "Worker %s is ready for jobs"


@shared_task(name="jobs.run_job", acks_late=True, ignore_result=True)
def run_job(job_id: str) -> None:
    job_run(job_id)


@shared_task(name="jobs.requeue_stale", ignore_result=True)
def requeue_stale() -> int:
    """Beat's periodic sweep (STUDIO_JOB_SWEEP_SECONDS): requeue jobs whose worker stopped beating."""
    return len(jobs_requeue_stale(include_queued=False))


@worker_ready.connect
def requeue_abandoned_jobs(sender: Any = None, **kwargs: Any) -> None:
    """A worker that starts picks up what dead workers left (stale heartbeat) and anything queued.

    The embedded studio does its own sweep before its worker starts, so it is skipped there.
    """
    if settings.CELERY_BROKER_URL != "memory://":
        jobs_requeue_stale()
        log.info(READY_MESSAGE, getattr(sender, "hostname", "?"))


@task_failure.connect(sender=run_job)
def requeue_after_worker_lost(
    sender: Any = None, args: Any = None, exception: Any = None, **kwargs: Any
) -> None:
    """Runs in the worker's parent process when the pool process running a job died (kill -9, out of
    memory, a segfault in native code) or was killed at the hard time limit: the job cannot report
    this itself. The message is acked (task_reject_on_worker_lost is off), so requeue the job here:
    a redelivered message would find the heartbeat fresh and do nothing."""
    if not args or not isinstance(exception, (WorkerLostError, TimeLimitExceeded)):
        return
    job_worker_lost(args[0], timed_out=isinstance(exception, TimeLimitExceeded))

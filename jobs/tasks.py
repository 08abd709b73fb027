from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from jobs.runner import job_run
from jobs.services import jobs_requeue_stale


@shared_task(name="jobs.run_job", acks_late=True, ignore_result=True)
def run_job(job_id: str) -> None:
    job_run(job_id)


@worker_ready.connect
def requeue_abandoned_jobs(**kwargs: Any) -> None:
    """A worker that starts picks up what dead workers left (stale heartbeat) and anything queued.

    The embedded studio does its own sweep before its worker starts, so it is skipped there.
    """
    if settings.CELERY_BROKER_URL != "memory://":
        jobs_requeue_stale()

"""Jobs whose worker died: requeued at once or by the sweep, claimed again only when abandoned, given up
after STUDIO_JOB_MAX_ATTEMPTS with a message (and their voice or consent told), and fenced so that a run
that was taken over cannot overwrite the outcome. The real kills are in tests/e2e/test_scale_out.py."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from jobs import runner, services
from jobs.models import Job
from jobs.tasks import requeue_stale

pytestmark = pytest.mark.django_db

LONG_AGO = timedelta(hours=1)


def running(user, *, attempts: int = 1, heartbeat_age: timedelta = timedelta(0), **fields) -> Job:
    return Job.objects.create(
        kind=fields.pop("kind", "demo"),
        owner=user,
        status=Job.Status.RUNNING,
        attempts=attempts,
        heartbeat_at=timezone.now() - heartbeat_age,
        params=fields.pop("params", {"seconds": 0.2}),
        **fields,
    )


def test_a_job_whose_worker_process_died_runs_again_at_once(user, eager_jobs):
    job = running(user)  # its heartbeat is fresh: only the parent's report can free it this early

    services.job_worker_lost(job.id)

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 2


def test_a_job_that_keeps_killing_its_worker_fails_with_a_message(user, settings):
    settings.STUDIO_JOB_MAX_ATTEMPTS = 3
    job = running(user, attempts=3)

    services.job_worker_lost(job.id)

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.finished_at is not None
    assert job.error.startswith("The job stopped 3 times before it could finish")


def test_a_job_killed_at_the_hard_time_limit_fails_instead_of_running_again(user):
    job = running(user)

    services.job_worker_lost(job.id, timed_out=True)

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "took too long" in job.error


def test_a_clone_given_up_fails_its_voice_with_the_same_message(user, make_voice, settings):
    settings.STUDIO_JOB_MAX_ATTEMPTS = 2
    voice = make_voice(user)
    job = running(user, kind="clone", voice_id=voice.id, attempts=2, params={})

    services.job_worker_lost(job.id)

    voice.refresh_from_db()
    assert voice.status == "FAILED" and voice.error.startswith("The job stopped 2 times")


def test_the_sweep_requeues_jobs_whose_heartbeat_stopped_and_leaves_queued_ones_alone(user, eager_jobs):
    stale = running(user, heartbeat_age=LONG_AGO)
    fresh = running(user)
    queued = Job.objects.create(kind="demo", owner=user)

    assert requeue_stale() == 1

    for job in (stale, fresh, queued):
        job.refresh_from_db()
    assert stale.status == Job.Status.SUCCEEDED and stale.attempts == 2
    assert fresh.status == Job.Status.RUNNING
    assert queued.status == Job.Status.QUEUED  # it still has its message; no duplicate is sent


def test_the_sweep_gives_up_on_a_stale_job_out_of_attempts(user, settings):
    settings.STUDIO_JOB_MAX_ATTEMPTS = 2
    job = running(user, attempts=2, heartbeat_age=LONG_AGO)

    services.jobs_requeue_stale(include_queued=False)

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "stopped 2 times" in job.error


def test_a_redelivered_message_claims_a_job_whose_heartbeat_is_stale(user, settings):
    settings.STUDIO_JOB_STALE_SECONDS = 30
    job = running(user, heartbeat_age=timedelta(seconds=31))

    assert runner.job_run(job.id).status == Job.Status.SUCCEEDED

    job.refresh_from_db()
    assert job.attempts == 2


def test_a_redelivered_message_leaves_a_job_with_a_fresh_heartbeat_to_its_worker(user, settings):
    settings.STUDIO_JOB_STALE_SECONDS = 30
    job = running(user, heartbeat_age=timedelta(seconds=20))

    assert runner.job_run(job.id) is None

    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.attempts == 1


def test_a_run_that_was_taken_over_cannot_write_the_outcome(user):
    job = running(user, attempts=1)
    old_run = Job.objects.get(pk=job.pk)
    Job.objects.filter(pk=job.pk).update(attempts=2)  # another worker claimed it after a heartbeat gap

    services.job_finish(old_run, error="late crash of the first run")

    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.error == ""


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_keeps_a_job_fresh_while_the_handler_reports_nothing(user):
    job = running(user, heartbeat_age=timedelta(minutes=5))
    before = Job.objects.get(pk=job.pk).heartbeat_at

    with runner.Heartbeat(job, interval=0.05):
        time.sleep(0.5)  # a model loading, a long synthesis: no progress reports

    assert Job.objects.get(pk=job.pk).heartbeat_at > before + timedelta(minutes=4)


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_stops_when_the_job_is_no_longer_this_runs(user):
    job = running(user)
    Job.objects.filter(pk=job.pk).update(attempts=2, heartbeat_at=timezone.now() - LONG_AGO)

    with runner.Heartbeat(job, interval=0.05) as heartbeat:
        time.sleep(0.3)
        assert not heartbeat.thread.is_alive()

    assert Job.objects.get(pk=job.pk).heartbeat_at < timezone.now() - timedelta(minutes=30)

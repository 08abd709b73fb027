from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
from types import SimpleNamespace

import pytest
from django.utils import timezone

from jobs import runner, services
from jobs.models import Job

pytestmark = pytest.mark.django_db


def test_demo_job_runs_to_success_over_the_api(api, eager_jobs):
    response = api.post("/v1/jobs/demo", {"seconds": 0.5, "chunks": 3}, format="json")
    assert response.status_code == HTTPStatus.ACCEPTED
    job_id = response.json()["id"]
    assert response["Location"] == f"/v1/jobs/{job_id}"
    body = api.get(f"/v1/jobs/{job_id}").json()
    assert body["status"] == "SUCCEEDED" and body["percent"] == 100.0
    assert body["result"]["peak_hz"] == pytest.approx(220, abs=3)


def test_another_users_job_is_not_found(api, other_user):
    job = Job.objects.create(kind="demo", owner=other_user)
    assert api.get(f"/v1/jobs/{job.id}").status_code == HTTPStatus.NOT_FOUND


def test_demo_job_rejects_out_of_range_params(api):
    response = api.post("/v1/jobs/demo", {"chunks": 0}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["field"] == "chunks"


def test_a_duplicate_delivery_does_not_run_a_finished_job_again(user):
    job = Job.objects.create(kind="demo", owner=user, params={"seconds": 0.2})
    assert runner.job_run(job.id).status == Job.Status.SUCCEEDED
    finished_at = Job.objects.get(pk=job.pk).finished_at
    assert runner.job_run(job.id) is None
    job.refresh_from_db()
    assert job.attempts == 1 and job.finished_at == finished_at


def test_a_running_job_with_a_fresh_heartbeat_is_not_claimed_twice(user):
    job = Job.objects.create(kind="demo", owner=user, status=Job.Status.RUNNING, heartbeat_at=timezone.now())
    assert runner.job_run(job.id) is None


def test_stale_running_and_queued_jobs_are_requeued(user, eager_jobs):
    old = timezone.now() - timedelta(hours=1)
    stale = Job.objects.create(kind="demo", owner=user, status=Job.Status.RUNNING, heartbeat_at=old)
    queued = Job.objects.create(kind="demo", owner=user)
    fresh = Job.objects.create(
        kind="demo", owner=user, status=Job.Status.RUNNING, heartbeat_at=timezone.now()
    )
    assert set(services.jobs_requeue_stale()) == {stale.id, queued.id}
    for job in (stale, queued, fresh):
        job.refresh_from_db()
    assert stale.status == queued.status == Job.Status.SUCCEEDED
    assert fresh.status == Job.Status.RUNNING


def test_a_handler_error_fails_the_job_with_its_message(user, monkeypatch):
    from errors import InvalidAudio

    def broken(job, progress):
        progress.step("decode")
        raise InvalidAudio("Only 4.2 s of speech found; record at least 10 s.")

    monkeypatch.setattr(
        runner, "job_kind", lambda kind: SimpleNamespace(resolve=lambda: broken, on_progress=None)
    )
    job = Job.objects.create(kind="demo", owner=user)
    runner.job_run(job.id)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == "Only 4.2 s of speech found; record at least 10 s."


def test_an_unexpected_crash_fails_the_job_without_a_traceback_for_the_user(user, monkeypatch):
    crash = SimpleNamespace(resolve=lambda: lambda job, progress: 1 / 0, on_progress=None)
    monkeypatch.setattr(runner, "job_kind", lambda kind: crash)
    job = Job.objects.create(kind="demo", owner=user)
    runner.job_run(job.id)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "ZeroDivisionError" in job.error


def test_progress_is_weighted_by_step_and_only_moves_forward(user):
    job = Job.objects.create(kind="demo", owner=user, status=Job.Status.RUNNING)
    progress = runner.JobProgress(job, [("decode", 1), ("analyse", 3)])
    progress.step("decode", 0.5)
    job.refresh_from_db()
    assert job.step == "decode" and job.percent == pytest.approx(12.5)
    progress.step("analyse", 0.5)
    job.refresh_from_db()
    assert job.percent == pytest.approx(62.5) and job.heartbeat_at is not None
    progress.step("decode", 0.0)
    job.refresh_from_db()
    assert job.percent == pytest.approx(62.5)

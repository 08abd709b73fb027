"""One user cannot starve the others: per-user caps on queued work, and fair dispatch to the workers."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

import limits
from errors import RateLimited
from jobs.fairness import fair_order, job_admit, job_claim_fair
from jobs.models import Job
from jobs.services import job_create

pytestmark = pytest.mark.django_db


def queue_demo_jobs(owner, count: int, **params) -> list[Job]:
    return [job_create(kind="demo", owner=owner, params=params) for _ in range(count)]


def test_a_flooding_users_jobs_wait_behind_another_users_one_job(user, other_user):
    flood = queue_demo_jobs(user, 10)
    single = job_create(kind="demo", owner=other_user, params={})

    order = []
    for message in [*flood, single]:  # the broker delivers the messages in the order they were sent
        claimed = job_claim_fair(message.id)
        order.append(claimed.owner_id)
        Job.objects.filter(pk=claimed.pk).update(status=Job.Status.SUCCEEDED, finished_at=timezone.now())

    assert order.index(other_user.pk) == 1  # after the one job that was first, not after all ten
    assert Job.objects.filter(status=Job.Status.QUEUED).count() == 0  # every job ran, once


def test_a_user_with_a_running_job_comes_after_one_without(user, other_user, make_user):
    third = make_user("carol")
    running = queue_demo_jobs(user, 1)[0]
    Job.objects.filter(pk=running.pk).update(status=Job.Status.RUNNING, started_at=timezone.now())
    mine = queue_demo_jobs(user, 1)[0]
    theirs = job_create(kind="demo", owner=other_user, params={})
    earlier = job_create(kind="demo", owner=third, params={})
    Job.objects.filter(pk=earlier.pk).update(created_at=timezone.now() - timedelta(minutes=5))

    assert fair_order("cpu") == [earlier.id, theirs.id, mine.id]


def test_a_message_whose_job_already_ran_runs_nothing_when_none_is_waiting(user):
    job = queue_demo_jobs(user, 1)[0]
    assert job_claim_fair(job.id).id == job.id
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED)

    assert job_claim_fair(job.id) is None


def test_a_user_may_have_a_bounded_number_of_jobs_waiting(user, other_user):
    queue_demo_jobs(user, limits.USER_MAX_ACTIVE_JOBS)

    with pytest.raises(RateLimited) as refused:
        job_create(kind="demo", owner=user, params={})

    assert refused.value.retry_after >= 1
    job_create(kind="demo", owner=other_user, params={})  # others are not held up by it


def test_queued_work_is_measured_in_worker_seconds(user):
    job_admit(owner=user, kind="speech", params={"text": "x" * limits.TEXT_MAX_CHARS})  # 212 s: fine
    queue_demo_jobs(user, 1, chunks=100, pace=2.0)  # a staff-sized demo: 200 s of waiting
    for _ in range(3):
        job_create(kind="speech", owner=user, params={"text": "x" * 5000})

    with pytest.raises(RateLimited, match="worker time") as refused:
        job_admit(owner=user, kind="speech", params={"text": "x" * 5000})

    assert refused.value.retry_after > 1


def test_a_batch_bigger_than_a_users_budget_is_refused_at_once(api, user):
    from voices.models import Voice

    voice = Voice.objects.filter(type=Voice.Type.BUILT_IN).first()
    texts = [{"text": "word " * 999} for _ in range(10)]  # ~5000 characters each: ~35 min of worker time

    response = api.post("/v1/speech/batch", {"voice_id": voice.id, "texts": texts}, format="json")

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "Split it" in response.json()["error"]["message"] and int(response["Retry-After"]) >= 1
    assert not Job.objects.exists()


def test_the_api_answers_429_with_retry_after_past_the_job_cap(api, user):
    queue_demo_jobs(user, limits.USER_MAX_ACTIVE_JOBS)

    response = api.post("/v1/jobs/demo", {"seconds": 0.2}, format="json")

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response.json()["error"]["code"] == "throttled" and int(response["Retry-After"]) >= 1


def test_demo_jobs_cannot_hold_a_worker_for_long_unless_staff(api, user):
    response = api.post("/v1/jobs/demo", {"chunks": 100, "pace": 2}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST and response.json()["error"]["field"] == "pace"
    user.is_staff = True
    user.save()
    assert (
        api.post("/v1/jobs/demo", {"chunks": 100, "pace": 2}, format="json").status_code
        == HTTPStatus.ACCEPTED
    )

"""Reads of jobs."""

from __future__ import annotations

from typing import Any

from errors import NotFound
from jobs.models import Job


def job_get(user: Any, job_id: str) -> Job:
    """The user's own job, or NotFound (another user's job does not exist for them)."""
    job = Job.objects.filter(pk=job_id, owner=user).first()
    if job is None:
        raise NotFound(f"No job {job_id!r} exists, or it is not yours.", field="job_id")
    return job


def job_status(job_id: str) -> str | None:
    return Job.objects.filter(pk=job_id).values_list("status", flat=True).first()


def job_latest_for_voice(voice_id: str) -> Job | None:
    return Job.objects.filter(voice_id=voice_id).order_by("-created_at").first()


def jobs_for_voice(voice_id: str):  # noqa: ANN201 (a QuerySet[Job])
    return Job.objects.filter(voice_id=voice_id)

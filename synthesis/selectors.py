"""Reads of generated speech."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from errors import NotFound
from jobs.models import Job
from synthesis.models import Speech
from synthesis.services import BATCH_JOB


def speech_get(user: Any, speech_id: str) -> Speech:
    speech = Speech.objects.filter(pk=speech_id, owner=user).first()
    if speech is None:
        raise NotFound(f"No generation {speech_id!r} exists, or it is not yours.", field="speech_id")
    return speech


def speeches_of(user: Any, *, voice_id: str | None = None, batch_id: str | None = None) -> QuerySet[Speech]:
    """The user's history, newest first, optionally of one voice or one batch."""
    speeches = Speech.objects.filter(owner=user).select_related("voice")
    if voice_id:
        speeches = speeches.filter(voice_id=voice_id)
    if batch_id:
        speeches = speeches.filter(job_id=batch_id, job__kind=BATCH_JOB)
    return speeches


def speeches_of_job(job: Job) -> QuerySet[Speech]:
    return Speech.objects.filter(job=job).order_by("created_at")


def batch_get(user: Any, batch_id: str) -> Job:
    job = Job.objects.filter(pk=batch_id, owner=user, kind=BATCH_JOB).first()
    if job is None:
        raise NotFound(f"No batch {batch_id!r} exists, or it is not yours.", field="batch_id")
    return job

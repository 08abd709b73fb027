"""Cloning a voice: the request that starts it, and the worker's transitions of the voice's status.

The worker's transitions (``voice_clone_processing``, ``voice_clone_ready``, ``voice_clone_succeeded``,
``voice_clone_failed``) lock the current row and write only the columns cloning owns (status, error,
analysis, similarity, preview, progress). The voice is AVAILABLE as soon as the engine has learnt it
(``voice_clone_ready``); the job then goes on to the preview and the similarity score, which
``voice_clone_succeeded`` adds (docs/architecture.md, "Cloning"). A moderator's suspension or the owner's visibility change made while the clone
ran stays as it is; a voice deleted meanwhile is not brought back (``VoiceGone``), and what the worker
stored for it is removed again.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from errors import StudioError
from jobs.models import Job
from jobs.services import job_create
from voices.files import storage_delete_tree, voice_prefix
from voices.ingest import CheckedSample
from voices.models import Voice, VoiceSample
from voices.services.audit import voice_event_record
from voices.services.voice import voice_create

CLONE_JOB = "clone"


class VoiceGone(StudioError):
    """The voice was deleted while its job ran: the job stops, nothing is written back."""

    code = "voice_deleted"


@transaction.atomic
def voice_clone_start(
    *, owner: Any, checked_samples: list[CheckedSample], name: str, engine: str | None = None, **fields: Any
) -> tuple[Voice, Job]:
    """Create a PENDING cloned voice with its samples and enqueue the cloning job.

    The samples were decoded and measured already (``voices.ingest.check_samples``), so what is
    stored here is known to be usable. Files written before a failure are removed again.
    """
    from studio.engines import engine_for_request

    engine_name = engine or settings.STUDIO_DEFAULT_ENGINE
    queue = engine_for_request(engine_name).queue
    voice = voice_create(owner=owner, name=name, engine=engine_name, **fields)
    stored: list[VoiceSample] = []
    try:
        for checked in checked_samples:
            incoming = checked.incoming
            sample = VoiceSample(
                voice=voice,
                original_name=incoming.original_name[:255],
                format=checked.format,
                duration=checked.duration,
                speech_duration=checked.speech_duration,
                transcript=incoming.transcript.strip(),
                language=incoming.language or voice.language,
                emotion=incoming.emotion,
                trim_start=incoming.trim_start,
                trim_end=incoming.trim_end,
            )
            sample.file.save(f"original.{checked.format}", ContentFile(incoming.data), save=False)
            stored.append(sample)
            sample.save()
        job = job_create(kind=CLONE_JOB, owner=owner, voice_id=voice.id, queue=queue)
    except BaseException:
        # The rows roll back with the transaction; the files would not.
        for sample in stored:
            sample.file.delete(save=False)
        raise
    return voice, job


def _locked(voice_id: str) -> Voice:
    voice = Voice.objects.select_for_update().filter(pk=voice_id).first()
    if voice is None:
        raise VoiceGone("The voice was deleted while it was being cloned.")
    return voice


def _set_status(voice: Voice, status: str, reason: str = "") -> None:
    voice_event_record(voice=voice, action="status", from_state=voice.status, to_state=status, reason=reason)
    voice.status = status


@transaction.atomic
def voice_clone_processing(*, voice_id: str) -> Voice:
    """The job starts (or starts again after its worker died). A voice that became usable in an
    earlier run stays AVAILABLE: the run learns the same voice again (``prepare`` is deterministic)."""
    voice = _locked(voice_id)
    if voice.status != Voice.Status.AVAILABLE:
        _set_status(voice, Voice.Status.PROCESSING)
    voice.error = ""
    voice.save(update_fields=["status", "error", "updated_at"])
    return voice


def _make_available(voice: Voice) -> None:
    """AVAILABLE, audited once: the job's later steps (and a re-run) find it so already."""
    if voice.status != Voice.Status.AVAILABLE:
        _set_status(voice, Voice.Status.AVAILABLE)


def voice_clone_ready(*, voice_id: str, analysis: dict) -> Voice:
    """The engine has learnt the voice and its artefacts are stored: it is AVAILABLE from here, before
    its preview and similarity score are made (they only describe it)."""
    try:
        with transaction.atomic():
            voice = _locked(voice_id)
            _make_available(voice)
            voice.analysis = analysis
            voice.error = ""
            voice.save(update_fields=["status", "analysis", "error", "updated_at"])
    except VoiceGone:
        voice_clone_discard(voice_id=voice_id)
        raise
    return voice


def voice_clone_succeeded(
    *, voice_id: str, analysis: dict, similarity_score: float, preview: bytes, preview_format: str
) -> Voice:
    try:
        with transaction.atomic():
            voice = _locked(voice_id)
            old_preview = voice.preview.name if voice.preview else ""
            voice.preview.save(f"preview.{preview_format}", ContentFile(preview), save=False)
            _make_available(voice)
            voice.analysis = analysis
            voice.similarity_score = similarity_score
            voice.error = ""
            voice.progress_step, voice.progress_percent, voice.progress_eta_seconds = "done", 100.0, 0.0
            voice.save(
                update_fields=[
                    "preview", "status", "analysis", "similarity_score", "error",
                    "progress_step", "progress_percent", "progress_eta_seconds", "updated_at",
                ]
            )  # fmt: skip
            if old_preview and old_preview != voice.preview.name:
                name, storage = old_preview, voice.preview.storage
                transaction.on_commit(lambda: storage.delete(name))
    except VoiceGone:
        voice_clone_discard(voice_id=voice_id)
        raise
    return voice


@transaction.atomic
def voice_clone_failed(*, voice_id: str, error: str) -> Voice | None:
    """The job failed. A voice that is AVAILABLE already (it failed making its preview or score)
    stays usable, without them; the job keeps the error."""
    voice = Voice.objects.select_for_update().filter(pk=voice_id).first()
    if voice is None:
        return None
    if voice.status == Voice.Status.AVAILABLE:
        return voice
    _set_status(voice, Voice.Status.FAILED, reason=error)
    voice.error = error
    voice.save(update_fields=["status", "error", "updated_at"])
    return voice


def voice_clone_abandoned(job: Job) -> None:
    """The clone job failed without its handler (the worker kept dying): the voice fails with it.
    A hook of the clone job kind (``voices.apps``)."""
    if job.voice_id:
        voice_clone_failed(voice_id=job.voice_id, error=job.error)


def voice_clone_discard(*, voice_id: str) -> None:
    """The voice is gone: remove what the worker stored for it after the deletion swept its files."""
    if not Voice.objects.filter(pk=voice_id).exists():
        storage_delete_tree(voice_prefix(voice_id))


def voice_progress_update(job: Job) -> None:
    """The voice shows its clone's progress too (GET /v1/voices/{id} without a job id); a hook of the
    clone job kind (``voices.apps``). An UPDATE of the progress columns alone: nothing else changes."""
    if job.voice_id:
        Voice.objects.filter(pk=job.voice_id).update(
            progress_step=job.step, progress_percent=job.percent, progress_eta_seconds=job.eta_seconds
        )

"""Preview, then save: try a voice on your own text before keeping it.

``voice_preview_start`` stores the reference samples under ``previews/<id>/`` and enqueues the preview
job, which runs the clone's own steps (``voices.cloning.voice_prepare``) and speaks the preview text
with the chosen stability. No voice exists yet. ``voice_clone_from_preview`` then creates the voice
from what the preview made — samples, analysis, the engine's artifacts, the clip, the similarity
score — with no second analysis, and the preview's stability as the voice's default. Unsaved previews
expire after ``STUDIO_PREVIEW_HOURS`` (``voice_previews_purge_expired``, run periodically).

The preview text is short (``limits.PREVIEW_TEXT_MAX_CHARS``): a preview speaks before any consent
is recorded, so it must not be a way to make long speech in someone's voice; it is watermarked like
every output.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

import limits
from engines.languages import language_check, language_code
from errors import Conflict, InvalidInput
from jobs.models import Job
from jobs.services import job_create
from voices.files import (
    artifacts_load_at,
    artifacts_save,
    preview_artifacts_prefix,
    preview_prefix,
    storage_delete_tree,
    voice_prefix,
)
from voices.ingest import CheckedSample
from voices.models import Voice, VoicePreview, VoiceSample
from voices.services.audit import voice_event_record
from voices.services.voice import voice_create

PREVIEW_JOB = "preview"


def _preview_text(text: str) -> str:
    text = " ".join(str(text or "").split())
    if not 1 <= len(text) <= limits.PREVIEW_TEXT_MAX_CHARS:
        raise InvalidInput(
            f"The preview text must be 1 to {limits.PREVIEW_TEXT_MAX_CHARS} characters long.", field="text"
        )
    return text


@transaction.atomic
def voice_preview_start(
    *,
    owner: Any,
    checked_samples: list[CheckedSample],
    text: str,
    stability: float = limits.DEFAULT_STABILITY,
    language: str = "en",
    engine: str | None = None,
    tier: str = Voice.Tier.INSTANT,
    training_options: dict | None = None,
) -> tuple[VoicePreview, Job]:
    from studio.engines import engine_for_request

    engine_name = engine or settings.STUDIO_DEFAULT_ENGINE
    chosen = engine_for_request(engine_name)
    code = language_check(chosen, language_code(language) or "en")
    limits.choice(tier, limits.TIERS, field="tier")
    preview = VoicePreview.objects.create(
        owner=owner,
        text=_preview_text(text),
        stability=limits.STABILITY.check(stability, field="stability"),
        language=code,
        engine=engine_name,
        tier=tier,
        training_options=training_options or {},
        expires_at=timezone.now() + timedelta(hours=settings.STUDIO_PREVIEW_HOURS),
    )
    try:
        preview.samples = [
            _sample_store(preview, index, checked) for index, checked in enumerate(checked_samples)
        ]
        preview.save(update_fields=["samples"])
        job = job_create(kind=PREVIEW_JOB, owner=owner, params={"preview_id": preview.id}, queue=chosen.queue)
        # An UPDATE of this column alone: an inline (eager) run may have finished the preview already.
        VoicePreview.objects.filter(pk=preview.pk).update(job_id=job.id)
        preview.refresh_from_db()
    except BaseException:
        storage_delete_tree(preview_prefix(preview.id))  # the row rolls back; the files would not
        raise
    return preview, job


def _sample_store(preview: VoicePreview, index: int, checked: CheckedSample) -> dict:
    incoming = checked.incoming
    name = default_storage.save(
        f"{preview_prefix(preview.id)}/samples/{index + 1}.{checked.format}", ContentFile(incoming.data)
    )
    return {
        "file": name,
        "original_name": incoming.original_name[:255],
        "format": checked.format,
        "duration": checked.duration,
        "speech_duration": checked.speech_duration,
        "transcript": incoming.transcript.strip(),
        "language": language_code(incoming.language) if incoming.language else "",
        "emotion": incoming.emotion,
        "trim_start": incoming.trim_start,
        "trim_end": incoming.trim_end,
    }


# --- The worker's transitions -------------------------------------------------------------------------


@transaction.atomic
def voice_preview_processing(*, preview_id: str) -> VoicePreview:
    preview = VoicePreview.objects.select_for_update().get(pk=preview_id)
    preview.status, preview.error = VoicePreview.Status.PROCESSING, ""
    preview.save(update_fields=["status", "error"])
    return preview


@transaction.atomic
def voice_preview_succeeded(
    *,
    preview_id: str,
    analysis: dict,
    similarity_score: float,
    audio: bytes,
    audio_format: str,
    samples: list,
) -> VoicePreview:
    preview = VoicePreview.objects.select_for_update().get(pk=preview_id)
    preview.audio.save(f"preview.{audio_format}", ContentFile(audio), save=False)
    preview.status = VoicePreview.Status.AVAILABLE
    preview.analysis, preview.similarity_score, preview.samples = analysis, similarity_score, samples
    preview.save(update_fields=["audio", "status", "analysis", "similarity_score", "samples"])
    return preview


@transaction.atomic
def voice_preview_failed(*, preview_id: str, error: str) -> None:
    VoicePreview.objects.filter(pk=preview_id).update(status=VoicePreview.Status.FAILED, error=error)


# --- Saving -------------------------------------------------------------------------------------------


def voice_clone_from_preview(*, owner: Any, preview: VoicePreview, name: str, **fields: Any) -> Voice:
    """The voice the preview tried, kept: AVAILABLE at once (its speaker's consent still to record)."""
    try:
        with transaction.atomic():
            preview = VoicePreview.objects.select_for_update().get(pk=preview.pk)
            _assert_saveable(preview)
            fields.setdefault("language", preview.language)
            fields.setdefault("stability", preview.stability)
            voice = voice_create(
                owner=owner, name=name, engine=preview.engine, tier=preview.tier,
                training_options=preview.training_options, **fields,
            )  # fmt: skip
            voice_id = voice.id
            _copy_preview_files(preview, voice)
            voice_event_record(
                voice=voice, action="status", actor=owner, from_state=voice.status,
                to_state=Voice.Status.AVAILABLE, reason=f"saved from preview {preview.id}",
            )  # fmt: skip
            voice.status = Voice.Status.AVAILABLE
            voice.analysis, voice.similarity_score = preview.analysis, preview.similarity_score
            voice.progress_step, voice.progress_percent, voice.progress_eta_seconds = "done", 100.0, 0.0
            voice.save()
            preview.voice_id = voice.id
            preview.save(update_fields=["voice_id"])
            # The preview's files were copied; the row stays until it expires, to say what it became.
            prefix = preview_prefix(preview.id)
            transaction.on_commit(lambda: storage_delete_tree(prefix))
    except BaseException:
        if "voice_id" in locals():
            storage_delete_tree(voice_prefix(voice_id))
        raise
    return voice


def _assert_saveable(preview: VoicePreview) -> None:
    if preview.voice_id:
        raise Conflict(f"This preview was saved already, as voice {preview.voice_id}.", field="preview_id")
    if preview.expires_at <= timezone.now():
        raise Conflict(
            "This preview has expired; make a new one.", field="preview_id", code="preview_expired"
        )
    if preview.status != VoicePreview.Status.AVAILABLE:
        detail = {
            VoicePreview.Status.PENDING: "is waiting for a worker",
            VoicePreview.Status.PROCESSING: "is still being made",
            VoicePreview.Status.FAILED: f"failed: {preview.error}",
        }[preview.status]
        raise Conflict(f"This preview {detail}.", field="preview_id", code="preview_not_ready")


def _copy_preview_files(preview: VoicePreview, voice: Voice) -> None:
    for stored in preview.samples:
        sample = VoiceSample(
            voice=voice,
            **{
                key: stored.get(key)
                for key in ("format", "duration", "speech_duration", "trim_start", "trim_end")
            },
            original_name=stored.get("original_name", ""),
            transcript=stored.get("transcript", ""),
            language=stored.get("language") or voice.language,
            emotion=stored.get("emotion", "neutral"),
        )
        with default_storage.open(stored["file"], "rb") as handle:
            sample.file.save(f"original.{stored['format']}", ContentFile(handle.read()), save=False)
        sample.save()
    artifacts_save(
        voice.id, preview.engine, artifacts_load_at(preview_artifacts_prefix(preview.id, preview.engine))
    )
    with preview.audio.open("rb") as handle:
        extension = preview.audio.name.rsplit(".", 1)[-1]
        voice.preview.save(f"preview.{extension}", ContentFile(handle.read()), save=False)


def voice_previews_purge_expired(*, now: Any = None) -> list[str]:
    """Delete expired previews and every file they stored."""
    expired = list(
        VoicePreview.objects.filter(expires_at__lte=now or timezone.now()).values_list("id", flat=True)
    )
    for preview_id in expired:
        VoicePreview.objects.filter(pk=preview_id).delete()
        Job.objects.filter(kind=PREVIEW_JOB, params__preview_id=preview_id).delete()
        storage_delete_tree(preview_prefix(preview_id))  # after the row: a failure leaves no orphan row
    return expired

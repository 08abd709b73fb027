"""State changes of voices. The API, the HTML views, the admin and the worker all call these."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from studio.errors import Conflict, Forbidden, InvalidInput
from synthesis.models import Job
from voices.files import storage_delete_tree, voice_prefix
from voices.ingest import CheckedSample
from voices.models import Voice, VoiceSample

EDITABLE_FIELDS = (
    "name",
    "description",
    "visibility",
    "metadata",
    "language",
    "languages",
    "dialects",
    "gender",
    "age",
    "avatar_url",
)
MAX_METADATA_BYTES = 16 * 1024


def _clean_fields(changes: dict[str, Any]) -> dict[str, Any]:
    """Validate the editable fields that are present; raise InvalidInput naming the field."""
    cleaned = dict(changes)
    if "name" in cleaned:
        name = str(cleaned["name"] or "").strip()
        if not 1 <= len(name) <= 100:
            raise InvalidInput("The name must be 1 to 100 characters long.", field="name")
        cleaned["name"] = name
    if "description" in cleaned:
        cleaned["description"] = str(cleaned["description"] or "").strip()
        if len(cleaned["description"]) > 1000:
            raise InvalidInput("The description must be at most 1000 characters long.", field="description")
    if "visibility" in cleaned:
        visibility = str(cleaned["visibility"] or "").upper()
        if visibility not in Voice.Visibility.values:
            raise InvalidInput("visibility must be PUBLIC or PRIVATE.", field="visibility")
        cleaned["visibility"] = visibility
    if "metadata" in cleaned:
        metadata = cleaned["metadata"]
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, dict):
            raise InvalidInput("metadata must be a JSON object.", field="metadata")
        import json

        if len(json.dumps(metadata)) > MAX_METADATA_BYTES:
            raise InvalidInput("metadata must be at most 16 KB of JSON.", field="metadata")
    for list_field in ("languages", "dialects"):
        if list_field in cleaned:
            values = cleaned[list_field] or []
            if not isinstance(values, list) or not all(
                isinstance(v, str) and 0 < len(v) <= 32 for v in values
            ):
                raise InvalidInput(f"{list_field} must be a list of short strings.", field=list_field)
    return cleaned


@transaction.atomic
def voice_create(*, owner: Any, name: str, type: str = Voice.Type.CLONED, **fields: Any) -> Voice:
    unknown = set(fields) - set(EDITABLE_FIELDS) - {"engine", "tier", "training_options", "status", "license"}
    if unknown:
        raise InvalidInput(f"Unknown voice field(s): {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    cleaned = _clean_fields({"name": name, **fields})
    if type == Voice.Type.BUILT_IN and owner is not None:
        raise InvalidInput("Built-in voices have no owner.", field="owner")
    if type == Voice.Type.CLONED and owner is None:
        raise InvalidInput("A cloned voice needs an owner.", field="owner")
    return Voice.objects.create(owner=owner, type=type, **cleaned)


@transaction.atomic
def voice_update(*, voice: Voice, **changes: Any) -> Voice:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise InvalidInput(f"{field} cannot be changed; editable: {', '.join(EDITABLE_FIELDS)}.", field=field)
    cleaned = _clean_fields(changes)
    for field, value in cleaned.items():
        setattr(voice, field, value)
    voice.save(update_fields=[*cleaned, "updated_at"])
    return voice


def voice_delete(*, voice: Voice) -> None:
    """Delete the voice, its samples, jobs and every stored file (after the rows are gone)."""
    voice_id = voice.id
    with transaction.atomic():
        voice.delete()
        # Files go once the rows are committed: a rolled-back delete must not lose the audio.
        transaction.on_commit(lambda: storage_delete_tree(voice_prefix(voice_id)))


@transaction.atomic
def voice_clone_start(
    *, owner: Any, checked_samples: list[CheckedSample], name: str, engine: str | None = None, **fields: Any
) -> tuple[Voice, Job]:
    """Create a PENDING cloned voice with its samples and enqueue the cloning job.

    The samples were decoded and measured already (``voices.ingest.check_samples``), so what is
    stored here is known to be usable. Files written before a failure are removed again.
    """
    from synthesis.engines import get_engine
    from synthesis.jobs import job_create

    engine_name = engine or settings.STUDIO_DEFAULT_ENGINE
    voice = voice_create(owner=owner, name=name, engine=engine_name, **fields)
    queue = get_engine(engine_name).queue
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
        job = job_create(kind=Job.Kind.CLONE, owner=owner, voice=voice, queue=queue)
    except BaseException:
        # The rows roll back with the transaction; the files would not.
        for sample in stored:
            sample.file.delete(save=False)
        raise
    return voice, job


def voice_clone_processing(*, voice: Voice) -> Voice:
    voice.status = Voice.Status.PROCESSING
    voice.error = ""
    voice.save(update_fields=["status", "error", "updated_at"])
    return voice


def voice_clone_succeeded(
    *, voice: Voice, analysis: dict, similarity_score: float, preview: bytes, preview_format: str
) -> Voice:
    if voice.preview:
        voice.preview.delete(save=False)
    voice.preview.save(f"preview.{preview_format}", ContentFile(preview), save=False)
    voice.status = Voice.Status.AVAILABLE
    voice.analysis = analysis
    voice.similarity_score = similarity_score
    voice.error = ""
    voice.progress_step, voice.progress_percent, voice.progress_eta_seconds = "done", 100.0, 0.0
    voice.save()
    return voice


def voice_clone_failed(*, voice: Voice, error: str) -> Voice:
    voice.status = Voice.Status.FAILED
    voice.error = error
    voice.save(update_fields=["status", "error", "updated_at"])
    return voice


def voice_assert_usable(*, voice: Voice, user: Any) -> None:
    """Raise unless ``user`` may generate speech with ``voice`` right now."""
    if voice.status != Voice.Status.AVAILABLE:
        detail = {
            Voice.Status.PENDING: "is waiting to be cloned",
            Voice.Status.PROCESSING: "is still being cloned",
            Voice.Status.FAILED: f"failed to clone: {voice.error}",
        }[voice.status]
        raise Conflict(f"This voice {detail}.", field="voice_id", code="voice_not_available")
    if voice.moderation in (Voice.Moderation.SUSPENDED, Voice.Moderation.REJECTED):
        raise Forbidden(
            f"This voice was {voice.moderation} by a moderator and cannot be used.",
            field="voice_id",
            code="voice_blocked",
        )

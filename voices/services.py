"""State changes of voices. The API, the HTML views, the admin and the worker all call these."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from errors import Conflict, Forbidden, InvalidInput
from synthesis.models import Job
from voices.audit import voice_event_record
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
    voice = Voice(owner=owner, type=type, **cleaned)
    voice.moderation = _moderation_for_visibility(voice.visibility, current=Voice.Moderation.PENDING_REVIEW)
    if type == Voice.Type.CLONED:
        voice.expires_at = timezone.now() + timedelta(days=settings.STUDIO_RETENTION_DAYS)
    voice.save()
    voice_event_record(voice=voice, action="created", actor=owner, to_state=voice.status)
    return voice


def _moderation_for_visibility(visibility: str, *, current: str) -> str:
    """Public voices wait for a moderator; private ones are approved at once when the setting says so."""
    if current in (Voice.Moderation.REJECTED, Voice.Moderation.SUSPENDED):
        return current  # only a moderator lifts these
    if visibility == Voice.Visibility.PUBLIC:
        return Voice.Moderation.PENDING_REVIEW
    return Voice.Moderation.APPROVED if settings.STUDIO_AUTO_APPROVE_PRIVATE else current


@transaction.atomic
def voice_update(*, voice: Voice, actor: Any = None, **changes: Any) -> Voice:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise InvalidInput(f"{field} cannot be changed; editable: {', '.join(EDITABLE_FIELDS)}.", field=field)
    cleaned = _clean_fields(changes)
    old_visibility = voice.visibility
    for field, value in cleaned.items():
        setattr(voice, field, value)
    update_fields = [*cleaned, "updated_at"]
    if voice.visibility != old_visibility:
        old_moderation = voice.moderation
        voice.moderation = _moderation_for_visibility(voice.visibility, current=voice.moderation)
        update_fields.append("moderation")
        voice_event_record(
            voice=voice,
            action="visibility",
            actor=actor,
            from_state=old_visibility,
            to_state=voice.visibility,
        )
        if voice.moderation != old_moderation:
            voice_event_record(
                voice=voice, action="moderation", actor=actor, from_state=old_moderation, to_state=voice.moderation,
                reason="visibility changed",
            )  # fmt: skip
    voice.save(update_fields=update_fields)
    return voice


def voice_delete(*, voice: Voice, actor: Any = None, reason: str = "") -> None:
    """Delete the voice, its samples, jobs and every stored file (after the rows are gone)."""
    voice_id = voice.id
    with transaction.atomic():
        voice_event_record(voice=voice, action="deleted", actor=actor, from_state=voice.status, reason=reason)
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
    from engines import get_engine
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


def _set_status(voice: Voice, status: str, reason: str = "") -> None:
    voice_event_record(voice=voice, action="status", from_state=voice.status, to_state=status, reason=reason)
    voice.status = status


def voice_clone_processing(*, voice: Voice) -> Voice:
    _set_status(voice, Voice.Status.PROCESSING)
    voice.error = ""
    voice.save(update_fields=["status", "error", "updated_at"])
    return voice


def voice_clone_succeeded(
    *, voice: Voice, analysis: dict, similarity_score: float, preview: bytes, preview_format: str
) -> Voice:
    if voice.preview:
        voice.preview.delete(save=False)
    voice.preview.save(f"preview.{preview_format}", ContentFile(preview), save=False)
    _set_status(voice, Voice.Status.AVAILABLE)
    voice.analysis = analysis
    voice.similarity_score = similarity_score
    voice.error = ""
    voice.progress_step, voice.progress_percent, voice.progress_eta_seconds = "done", 100.0, 0.0
    voice.save()
    return voice


def voice_clone_failed(*, voice: Voice, error: str) -> Voice:
    _set_status(voice, Voice.Status.FAILED, reason=error)
    voice.error = error
    voice.save(update_fields=["status", "error", "updated_at"])
    return voice


def voice_assert_usable(*, voice: Voice, user: Any) -> None:
    """Raise unless ``user`` may generate speech with ``voice`` right now.

    The one gate for speech: the API, the pages and the worker (again, just before rendering) call it,
    so a revoked consent or a suspension stops a voice at once.
    """
    if voice.status != Voice.Status.AVAILABLE:
        detail = {
            Voice.Status.PENDING: "is waiting to be cloned",
            Voice.Status.PROCESSING: "is still being cloned",
            Voice.Status.FAILED: f"failed to clone: {voice.error}",
        }[voice.status]
        raise Conflict(f"This voice {detail}.", field="voice_id", code="voice_not_available")
    if voice.moderation in (Voice.Moderation.SUSPENDED, Voice.Moderation.REJECTED):
        reason = f" ({voice.moderation_reason})" if voice.moderation_reason else ""
        raise Forbidden(
            f"This voice was {voice.moderation} by a moderator{reason} and cannot be used.",
            field="voice_id",
            code="voice_blocked",
        )
    if not voice.is_built_in and voice.verification != Voice.Verification.VERIFIED:
        reason = {
            Voice.Verification.PENDING: "its speaker has not recorded the consent phrase yet",
            Voice.Verification.FAILED: "the consent recording did not pass verification",
            Voice.Verification.REVOKED: "its owner revoked the consent",
        }[voice.verification]
        raise Forbidden(
            f"This voice cannot speak: {reason}. Record the consent phrase on the voice page "
            f"(GET /v1/voices/{voice.id}/consent).",
            field="voice_id",
            code="consent_required",
        )
    _assert_license_allows(voice)


def _assert_license_allows(voice: Voice) -> None:
    from engines import get_engine

    engine = get_engine(voice.engine)
    if voice.license == Voice.License.COMMERCIAL and not engine.license.commercial_use:
        raise Forbidden(
            f"This voice is licensed for commercial use, but the {engine.label} engine's model licence "
            f"({engine.license.name}) allows non-commercial use only. Use a personal licence or another engine.",
            field="voice_id",
            code="license_conflict",
        )

"""Creating, editing and deleting voices, and the one gate every speech request passes."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import limits
from engines.languages import language_check, language_code
from errors import Conflict, Forbidden, InvalidInput
from jobs.services import jobs_delete_for_voice
from voices.files import storage_delete_tree, voice_prefix
from voices.models import Voice
from voices.services.audit import voice_event_record

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
    "stability",
)
# JSON nesting a metadata object may have: enough for any real use, and no page or admin recursion
# limit is ever near it.
METADATA_MAX_DEPTH = 8


def voice_fields_clean(changes: dict[str, Any]) -> dict[str, Any]:
    """Validate the editable fields that are present; raise InvalidInput naming the field."""
    cleaned = dict(changes)
    if "name" in cleaned:
        name = " ".join(str(cleaned["name"] or "").split())
        if not 1 <= len(name) <= limits.NAME_MAX_CHARS:
            raise InvalidInput(
                f"The name must be 1 to {limits.NAME_MAX_CHARS} characters long.", field="name"
            )
        cleaned["name"] = name
    if "description" in cleaned:
        cleaned["description"] = str(cleaned["description"] or "").strip()
        if len(cleaned["description"]) > limits.DESCRIPTION_MAX_CHARS:
            raise InvalidInput(
                f"The description must be at most {limits.DESCRIPTION_MAX_CHARS} characters long.",
                field="description",
            )
    if "visibility" in cleaned:
        visibility = str(cleaned["visibility"] or "").upper()
        if visibility not in Voice.Visibility.values:
            raise InvalidInput("visibility must be PUBLIC or PRIVATE.", field="visibility")
        cleaned["visibility"] = visibility
    if "metadata" in cleaned:
        cleaned["metadata"] = _metadata_clean(cleaned["metadata"])
    for list_field in ("languages", "dialects"):
        if list_field in cleaned:
            values = cleaned[list_field] or []
            if not isinstance(values, list) or not all(
                isinstance(v, str) and 0 < len(v) <= limits.LIST_ITEM_MAX_CHARS for v in values
            ):
                raise InvalidInput(f"{list_field} must be a list of short strings.", field=list_field)
    if "language" in cleaned:
        cleaned["language"] = language_code(cleaned["language"]) or "en"
    if "languages" in cleaned:
        codes = [language_code(code, field="languages") for code in cleaned["languages"] or []]
        cleaned["languages"] = list(dict.fromkeys(codes))  # "en-US, en-GB" is one language
    if "stability" in cleaned:
        cleaned["stability"] = limits.STABILITY.check(cleaned["stability"], field="stability")
    return cleaned


def voice_languages_check(*, engine_name: str, language: str | None, languages: list[str] | None) -> None:
    """Refuse languages the voice's engine cannot speak (codes already normalised)."""
    from engines import get_engine

    engine = get_engine(engine_name)
    if language:
        language_check(engine, language)
    for code in languages or []:
        language_check(engine, code, field="languages")


def _metadata_clean(metadata: Any) -> dict:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise InvalidInput("metadata must be a JSON object.", field="metadata")
    if _depth(metadata) > METADATA_MAX_DEPTH:
        raise InvalidInput(f"metadata may nest at most {METADATA_MAX_DEPTH} levels deep.", field="metadata")
    if len(json.dumps(metadata)) > limits.METADATA_MAX_BYTES:
        raise InvalidInput(
            f"metadata must be at most {limits.METADATA_MAX_BYTES // 1024} KB of JSON.", field="metadata"
        )
    return metadata


def _depth(value: Any, level: int = 1) -> int:
    """Nesting depth of a JSON value, without recursing past the limit."""
    if level > METADATA_MAX_DEPTH or not isinstance(value, dict | list):
        return level
    children = value.values() if isinstance(value, dict) else value
    return max((_depth(child, level + 1) for child in children), default=level)


@transaction.atomic
def voice_create(*, owner: Any, name: str, type: str = Voice.Type.CLONED, **fields: Any) -> Voice:
    unknown = set(fields) - set(EDITABLE_FIELDS) - {"engine", "tier", "training_options", "status", "license"}
    if unknown:
        raise InvalidInput(f"Unknown voice field(s): {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    cleaned = voice_fields_clean({"name": name, **fields})
    if "tier" in cleaned:
        limits.choice(cleaned["tier"], limits.TIERS, field="tier")
    if type == Voice.Type.BUILT_IN and owner is not None:
        raise InvalidInput("Built-in voices have no owner.", field="owner")
    if type == Voice.Type.CLONED and owner is None:
        raise InvalidInput("A cloned voice needs an owner.", field="owner")
    voice = Voice(owner=owner, type=type, **cleaned)
    voice_languages_check(engine_name=voice.engine, language=voice.language, languages=voice.languages)
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
    cleaned = voice_fields_clean(changes)
    # The row as it is now, locked: a moderation decided since the page was loaded must not be undone.
    voice = Voice.objects.select_for_update().get(pk=voice.pk)
    voice_languages_check(
        engine_name=voice.engine, language=cleaned.get("language"), languages=cleaned.get("languages")
    )
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
        voice = Voice.objects.select_for_update().filter(pk=voice_id).first()
        if voice is None:
            return  # deleted meanwhile (twice-clicked, or the purge got there first)
        voice_event_record(voice=voice, action="deleted", actor=actor, from_state=voice.status, reason=reason)
        jobs_delete_for_voice(voice_id)
        voice.delete()
        # Files go once the rows are committed: a rolled-back delete must not lose the audio.
        transaction.on_commit(lambda: storage_delete_tree(voice_prefix(voice_id)))


def voice_assert_usable(*, voice: Voice, user: Any) -> None:
    """Raise unless ``user`` may generate speech with ``voice`` right now.

    The one gate for speech: the API, the pages and the worker (again, before every clip, on a fresh
    row) call it, so a revoked consent or a suspension stops a voice at once.
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

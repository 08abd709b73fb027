"""Reads of voices. Every front door (API, pages, admin, worker, the synthesis app) reads through these."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from errors import Forbidden, NotFound
from jobs.models import Job
from voices.files import artifacts_load
from voices.models import Voice, VoiceConsent, VoiceEvent, VoicePreview, VoiceSample

# Whose voices a list shows (the library's "type" menu and the API's ``owner`` filter).
OWNERS = ("mine", "built-in", "shared")


def voices_visible_to(user: Any) -> QuerySet[Voice]:
    """Own voices, built-in voices, and other users' public voices that are approved and available."""
    others_public = Q(
        visibility=Voice.Visibility.PUBLIC,
        moderation=Voice.Moderation.APPROVED,
        status=Voice.Status.AVAILABLE,
    )
    return Voice.objects.filter(Q(owner=user) | Q(type=Voice.Type.BUILT_IN) | others_public)


def voices_filtered(
    user: Any,
    *,
    owner: str | None = None,
    type: str | None = None,
    language: str | None = None,
    status: str | None = None,
    visibility: str | None = None,
    search: str | None = None,
) -> QuerySet[Voice]:
    """The voices ``user`` sees, filtered the same way for the API and the library page.

    ``owner``: "mine", "built-in" (the studio's own voices) or "shared" (other users' public voices).
    ``language`` matches a whole code, as the voice's main language or one of its ``languages``.
    """
    voices = voices_visible_to(user)
    if owner == "mine":
        voices = voices.filter(owner=user)
    elif owner == "built-in":
        voices = voices.filter(type=Voice.Type.BUILT_IN)
    elif owner == "shared":
        voices = voices.filter(~Q(owner=user), type=Voice.Type.CLONED)
    if type:
        voices = voices.filter(type=type)
    if language:
        code = language.strip().lower()
        # ``languages`` is a JSON list: match the quoted item, so "e" does not match "en".
        voices = voices.filter(Q(language__iexact=code) | Q(languages__icontains=f'"{code}"'))
    if status:
        voices = voices.filter(status=status)
    if visibility:
        voices = voices.filter(visibility=visibility)
    if search:
        voices = voices.filter(name__icontains=search)
    return voices


def voice_get(user: Any, voice_id: str) -> Voice:
    voice = voices_visible_to(user).filter(pk=voice_id).first()
    if voice is None:
        # Other users' private voices answer exactly like missing ones: ids reveal nothing.
        raise NotFound(f"No voice {voice_id!r} exists, or it is not visible to you.", field="voice_id")
    return voice


def voice_get_owned(user: Any, voice_id: str) -> Voice:
    """A voice the user may change. Built-in and others' public voices are visible but read-only."""
    voice = voice_get(user, voice_id)
    if voice.is_built_in:
        raise Forbidden("Built-in voices cannot be changed or deleted.", code="built_in_voice")
    if voice.owner_id != user.pk:
        raise Forbidden("Only the owner of this voice can change or delete it.", code="not_owner")
    return voice


def voice_current(voice_id: str | None) -> Voice:
    """The voice as the database has it now (a worker re-reads it before each piece of work)."""
    voice = Voice.objects.filter(pk=voice_id).first() if voice_id else None
    if voice is None:
        raise NotFound("The voice of this job was deleted.", field="voice_id", code="voice_deleted")
    return voice


def voice_sample_get(voice: Voice, sample_id: str) -> VoiceSample:
    sample = voice.samples.filter(pk=sample_id).first()
    if sample is None:
        raise NotFound(f"No sample {sample_id!r} in this voice.", field="sample_id")
    return sample


def voice_events(voice_id: str) -> QuerySet[VoiceEvent]:
    return VoiceEvent.objects.filter(voice_ref=voice_id).select_related("actor")


def voice_latest_job(voice: Voice, kind: str) -> Job | None:
    return Job.objects.filter(voice_id=voice.id, kind=kind).order_by("-created_at").first()


def voice_consent_waiting(voice: Voice) -> VoiceConsent | None:
    return voice.consents.filter(status=VoiceConsent.Status.AWAITING_RECORDING).first()


def voice_find(user: Any, value: str) -> Voice:
    """A voice by id, or by name (the caller's own voice of that name first, then any visible one)."""
    if value.startswith("voice_"):
        return voice_get(user, value)
    matches = voices_visible_to(user).filter(name__iexact=value).order_by("-created_at")
    voice = matches.filter(owner=user).first() or matches.first()
    if voice is None:
        raise NotFound(f"No voice named or with id {value!r}.", field="voice")
    return voice


def voice_artifacts(voice: Voice) -> dict[str, bytes]:
    """What the voice's engine prepared for it (built-in voices are an engine's own: nothing)."""
    return {} if voice.is_built_in else artifacts_load(voice.id, voice.engine)


def voices_for_speech(user: Any) -> tuple[list[tuple[str, list[tuple[str, str]]]], list[Voice]]:
    """The voices that can speak, grouped as the speech page's picker shows them, and the user's own
    voices that cannot yet (each says why: ``Voice.state``, voices.state)."""
    groups: dict[str, list[tuple[str, str]]] = {"My voices": [], "Built-in": [], "Shared": []}
    not_ready = []
    for voice in voices_visible_to(user).order_by("name"):
        own = voice.owner_id == user.pk
        if not voice.state.can_speak:
            if own:
                not_ready.append(voice)
            continue
        group = "My voices" if own else "Built-in" if voice.is_built_in else "Shared"
        groups[group].append((voice.id, voice.name))
    return [(name, choices) for name, choices in groups.items() if choices], not_ready


def preview_get(user: Any, preview_id: str) -> VoicePreview:
    preview = VoicePreview.objects.filter(pk=preview_id, owner=user).first()
    if preview is None:
        raise NotFound(
            f"No preview {preview_id!r} of yours exists (previews expire after a day).", field="preview_id"
        )
    return preview

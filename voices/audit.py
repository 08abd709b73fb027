"""The audit log of voices: who changed what, when, from which state to which, and why."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from voices.models import Voice, VoiceEvent


def voice_event_record(
    *, voice: Voice, action: str, actor: Any = None, from_state: str = "", to_state: str = "", reason: str = ""
) -> VoiceEvent:
    return VoiceEvent.objects.create(
        voice=voice if voice.pk and Voice.objects.filter(pk=voice.pk).exists() else None,
        voice_ref=voice.id,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_state=str(from_state or ""),
        to_state=str(to_state or ""),
        reason=reason,
    )


def voice_events(voice_id: str) -> QuerySet[VoiceEvent]:
    return VoiceEvent.objects.filter(voice_ref=voice_id).select_related("actor")

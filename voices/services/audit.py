"""The audit log of voices: who changed what, when, from which state to which, and why."""

from __future__ import annotations

from typing import Any

from voices.models import Voice, VoiceEvent


def voice_event_record(
    *,
    voice: Voice,
    action: str,
    actor: Any = None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
) -> VoiceEvent:
    # Every caller records while the voice row exists (deletion records first); the row's link is
    # cleared by SET_NULL when the voice goes, and voice_ref keeps the id.
    return VoiceEvent.objects.create(
        voice=voice,
        voice_ref=voice.id,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_state=str(from_state or ""),
        to_state=str(to_state or ""),
        reason=reason,
    )

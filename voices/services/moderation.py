"""Moderation and retention of voices: the state changes behind the admin actions, the renew button,
the periodic purge and its management command."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from errors import Conflict, Forbidden, InvalidInput
from voices.models import Voice
from voices.services.audit import voice_event_record
from voices.services.voice import voice_delete

# action -> (states it may start from, state it leads to)
MODERATION_ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "approve": ((Voice.Moderation.PENDING_REVIEW, Voice.Moderation.REJECTED), Voice.Moderation.APPROVED),
    "reject": ((Voice.Moderation.PENDING_REVIEW, Voice.Moderation.APPROVED), Voice.Moderation.REJECTED),
    "suspend": ((Voice.Moderation.APPROVED, Voice.Moderation.PENDING_REVIEW), Voice.Moderation.SUSPENDED),
    "reinstate": ((Voice.Moderation.SUSPENDED,), Voice.Moderation.APPROVED),
}


@transaction.atomic
def voice_moderate(*, voice: Voice, actor: Any, action: str, reason: str = "") -> Voice:
    if not getattr(actor, "is_staff", False):
        raise Forbidden("Only moderators can approve, reject or suspend voices.")
    if action not in MODERATION_ACTIONS:
        raise InvalidInput(f"action must be one of {', '.join(MODERATION_ACTIONS)}.", field="action")
    allowed_from, target = MODERATION_ACTIONS[action]
    voice = Voice.objects.select_for_update().get(pk=voice.pk)  # decide on the row as it is now
    if voice.is_built_in:
        raise Conflict("Built-in voices are not moderated.")
    if voice.moderation not in allowed_from:
        raise Conflict(
            f"Cannot {action} a voice that is {voice.moderation.replace('_', ' ')}.", field="action"
        )
    if action in ("reject", "suspend") and not reason.strip():
        raise InvalidInput(f"Say why you {action} this voice: the owner will read it.", field="reason")
    voice_event_record(
        voice=voice,
        action="moderation",
        actor=actor,
        from_state=voice.moderation,
        to_state=target,
        reason=reason,
    )
    voice.moderation = target
    voice.moderation_reason = reason.strip() if target != Voice.Moderation.APPROVED else ""
    voice.save(update_fields=["moderation", "moderation_reason", "updated_at"])
    return voice


@transaction.atomic
def voice_renew(*, voice: Voice, actor: Any = None) -> Voice:
    """Keep the voice for another retention period, counted from now."""
    if voice.is_built_in:
        raise Conflict("Built-in voices do not expire.")
    voice = Voice.objects.select_for_update().get(pk=voice.pk)
    old = voice.expires_at
    voice.expires_at = timezone.now() + timedelta(days=settings.STUDIO_RETENTION_DAYS)
    voice.save(update_fields=["expires_at", "updated_at"])
    voice_event_record(
        voice=voice,
        action="renewed",
        actor=actor,
        from_state=old.date().isoformat() if old else "",
        to_state=voice.expires_at.date().isoformat(),
    )
    return voice


def voices_purge_expired(*, now: datetime | None = None) -> list[str]:
    """Delete every cloned voice whose retention has run out, with its files. Returns their ids."""
    now = now or timezone.now()
    expired = Voice.objects.filter(type=Voice.Type.CLONED, expires_at__lte=now)
    purged = []
    for voice in expired:
        purged.append(voice.id)  # before the delete, which clears the instance's id
        voice_delete(voice=voice, reason=f"expired on {voice.expires_at:%Y-%m-%d} (retention)")
    return purged

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from errors import Forbidden, NotFound
from voices.models import Voice


def voices_visible_to(user: Any) -> QuerySet[Voice]:
    """Own voices, built-in voices, and other users' public voices that are approved and available."""
    others_public = Q(
        visibility=Voice.Visibility.PUBLIC,
        moderation=Voice.Moderation.APPROVED,
        status=Voice.Status.AVAILABLE,
    )
    return Voice.objects.filter(Q(owner=user) | Q(type=Voice.Type.BUILT_IN) | others_public)


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

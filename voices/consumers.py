"""The voice websocket, ``ws/voices/<id>/``: a snapshot of the voice and its latest job, then the events
of every job that works on the voice (``jobs`` sends them to the voice's group, see ``voices.apps``)."""

from __future__ import annotations

import functools
from typing import Any

from channels.db import database_sync_to_async

from jobs.consumers import CLOSE_NOT_FOUND, CLOSE_UNAUTHENTICATED, JobConsumer
from jobs.events import job_payload
from jobs.selectors import job_latest_for_voice
from voices.models import Voice


def voice_group(voice_id: str) -> str:
    return f"voice.{voice_id}"


class VoiceConsumer(JobConsumer):
    """Events of every job that works on one voice, after a snapshot of the voice."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        voice_id = self.scope["url_route"]["kwargs"]["voice_id"]
        await self.follow(voice_group(voice_id))  # joined before the snapshot, as in JobConsumer
        snapshot = await self._voice_snapshot(voice_id, user)
        if snapshot is None:
            await self.unfollow()
            await self.close(code=CLOSE_NOT_FOUND)
            return
        await self.accept()
        await self.send_json({"event": "snapshot", **snapshot})
        await self.go_live()

    @functools.partial(database_sync_to_async, thread_sensitive=False)  # as JobConsumer._snapshot
    def _voice_snapshot(self, voice_id: str, user: Any) -> dict | None:
        from voices.serializers import VoiceSerializer

        voice = Voice.objects.filter(pk=voice_id, owner=user).first()
        if voice is None:
            return None
        job = job_latest_for_voice(voice.id)
        return {
            "voice": VoiceSerializer(voice, context={"viewer": user}).data,
            "job": job_payload(job) if job else None,
        }

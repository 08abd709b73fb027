"""Websockets for live progress: ``ws/jobs/<id>/`` (the voices app adds ``ws/voices/<id>/``).

Only the owner may connect. On connect the client gets a snapshot of the row (so a late subscriber
or a reloaded page sees the current state), then live events, then a final event. Events reach the
sockets through the process's one membership per group (``studio.fanout``), not one per socket.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from jobs.events import job_group, job_payload
from jobs.metrics import WEBSOCKETS_OPEN
from jobs.models import Job
from studio.fanout import group_fanout

log = logging.getLogger(__name__)

# Close codes (4000-4999 are the application's): the browser shows why the socket closed.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404


class JobConsumer(AsyncJsonWebsocketConsumer):
    counted = False
    group = ""
    live = False  # the snapshot is out: events go straight to the socket

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol, headers)
        self.counted = True
        WEBSOCKETS_OPEN.inc()

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        job_id = self.scope["url_route"]["kwargs"]["job_id"]
        await self.follow(job_group(job_id))
        snapshot = await self._snapshot(job_id, user)
        if snapshot is None:
            await self.unfollow()
            await self.close(code=CLOSE_NOT_FOUND)
            return
        await self.accept()
        await self.send_json({"event": "snapshot", "job": snapshot})
        if snapshot["status"] in Job.FINAL:
            await self.send_json({"event": "final", "job": snapshot})
        await self.go_live()

    async def follow(self, group: str) -> None:
        """Join before reading the snapshot: an event published in between (the final one, say) then
        arrives after the snapshot, instead of never. A client may see an event twice, never miss one.
        Until ``go_live`` events wait in ``pending`` (the socket is not accepted yet)."""
        self.group, self.pending = group, []
        await group_fanout(self.channel_layer).join(group, self.deliver)

    async def go_live(self) -> None:
        while self.pending:  # no await between the last check and going live: the order holds
            await self.send(text_data=self.encoded(self.pending.pop(0)))
        self.live = True

    async def unfollow(self) -> None:
        if self.group:
            group, self.group = self.group, ""
            await group_fanout(self.channel_layer).leave(group, self.deliver)

    async def deliver(self, message: dict) -> None:
        if self.live:
            await self.send(text_data=self.encoded(message))
        else:
            self.pending.append(message)

    @staticmethod
    def encoded(message: dict) -> str:
        """The event as clients see it, encoded once for all the sockets that get the same message."""
        if "_text" not in message:
            message["_text"] = json.dumps(
                {"event": message["event"], "job": message["job"], "sent_at": message.get("sent_at")}
            )
        return message["_text"]

    # Not thread-sensitive: snapshots of many sockets connecting at once run side by side (each on a
    # pooled connection) instead of queueing on one thread past daphne's 5 s handshake timeout.
    @functools.partial(database_sync_to_async, thread_sensitive=False)
    def _snapshot(self, job_id: str, user: Any) -> dict | None:
        job = Job.objects.filter(pk=job_id, owner=user).first()
        return job_payload(job) if job else None

    async def disconnect(self, code: int) -> None:
        if self.counted:
            self.counted = False
            WEBSOCKETS_OPEN.dec()
        try:
            await self.unfollow()
        except Exception:  # the membership then expires with the group (STUDIO_CHANNELS_GROUP_EXPIRY)
            log.warning("Could not leave group %s", self.group, exc_info=True)

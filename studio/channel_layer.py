"""Channel layers: a thread-safe in-memory one for the embedded mode, and the Redis one, tuned.

In the embedded mode the stock ``InMemoryChannelLayer`` keeps asyncio queues that belong to the consumers' event loop.
The embedded Celery worker runs in another thread (with its own loop under ``async_to_sync``), and its
events arrived late or never (~0.6 s under daphne, never under pytest: docs/decisions.md, "The
thread-safe in-memory channel layer"). Here every ``send``/``group_send`` made from a foreign loop is
handed to the loop that owns the queues.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer
from redis.asyncio import BlockingConnectionPool

# How long the publisher waits for the owning loop to take an event. The hand-off is never cancelled:
# a loop that is merely busy (a loaded machine) still delivers the event when it gets to it; only a
# loop that has stopped (server shutting down) never does, and then the worker must not block on it.
HANDOFF_TIMEOUT = 5.0

log = logging.getLogger(__name__)


class ThreadSafeInMemoryChannelLayer(InMemoryChannelLayer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._owner_loop: asyncio.AbstractEventLoop | None = None

    def _remember_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._owner_loop is None or self._owner_loop.is_closed():
            self._owner_loop = loop

    def _foreign_loop(self) -> asyncio.AbstractEventLoop | None:
        owner = self._owner_loop
        if owner is None or owner.is_closed() or not owner.is_running():
            return None
        return owner if owner is not asyncio.get_running_loop() else None

    async def receive(self, channel: str) -> Any:
        self._remember_loop()
        return await super().receive(channel)

    async def new_channel(self, prefix: str = "specific.") -> str:
        self._remember_loop()
        return await super().new_channel(prefix)

    async def group_add(self, group: str, channel: str) -> None:
        self._remember_loop()
        await super().group_add(group, channel)

    async def send(self, channel: str, message: dict) -> None:
        owner = self._foreign_loop()
        if owner is None:
            return await super().send(channel, message)
        await self._hand_off(owner, super().send(channel, message))

    async def group_send(self, group: str, message: dict) -> None:
        owner = self._foreign_loop()
        if owner is None:
            return await super().group_send(group, message)
        await self._hand_off(owner, super().group_send(group, message))

    @staticmethod
    async def _hand_off(owner: asyncio.AbstractEventLoop, coroutine: Any) -> None:
        future = asyncio.run_coroutine_threadsafe(coroutine, owner)
        try:
            # shield: on timeout stop waiting, but leave the event queued on the owning loop (a
            # cancelled hand-off dropped the final event of a job on a loaded machine).
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), HANDOFF_TIMEOUT)
        except TimeoutError:
            log.warning(
                "The web server's loop took over %.0f s to take an event; it stays queued.", HANDOFF_TIMEOUT
            )


class StudioRedisChannelLayer(RedisChannelLayer):
    """channels_redis with two fixes for redis-py 8, measured with 500 websockets on one daphne:

    - Read timeout: channels_redis waits for the next message with a 5 s blocking read (BZPOPMIN), and
      redis-py 8 gives up on any read after 5 s (``socket_timeout``'s new default): the two raced, and
      idle websockets closed with 1011 two or three times a minute (channels_redis #422, redis-py
      #4091). Settings pass a longer ``socket_timeout`` in the host's keywords.
    - Pool: redis-py 8's pool holds at most 100 connections and raises ``MaxConnectionsError`` past
      them; 500 clients leaving at once made ~300 ``group_discard`` calls fail, leaving stale group
      members. A ``BlockingConnectionPool`` waits (up to ``timeout`` seconds) for a free connection.
    """

    def create_pool(self, index: int) -> BlockingConnectionPool:
        host = dict(self.hosts[index])
        address = host.pop("address")
        return BlockingConnectionPool.from_url(address, **host)

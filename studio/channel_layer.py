"""A thread-safe in-memory channel layer for the embedded mode.

The stock ``InMemoryChannelLayer`` keeps asyncio queues that belong to the consumers' event loop.
The embedded Celery worker runs in another thread (with its own loop under ``async_to_sync``), and its
events arrived late or never (~0.6 s under daphne, never under pytest: docs/decisions.md, "The
thread-safe in-memory channel layer"). Here every ``send``/``group_send`` made from a foreign loop is
handed to the loop that owns the queues.
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels.layers import InMemoryChannelLayer

# If the owning loop stops between our check and the hand-off (server shutting down), give up on the
# event instead of blocking the worker; progress is in the job row anyway.
HANDOFF_TIMEOUT = 5.0


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
        future = asyncio.run_coroutine_threadsafe(super().send(channel, message), owner)
        await asyncio.wait_for(asyncio.wrap_future(future), HANDOFF_TIMEOUT)

    async def group_send(self, group: str, message: dict) -> None:
        owner = self._foreign_loop()
        if owner is None:
            return await super().group_send(group, message)
        future = asyncio.run_coroutine_threadsafe(super().group_send(group, message), owner)
        await asyncio.wait_for(asyncio.wrap_future(future), HANDOFF_TIMEOUT)

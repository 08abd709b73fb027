"""studio/channel_layer.py: the embedded worker publishes progress from its own thread (and its own event
loop, under async_to_sync) to consumers waiting in the web server's loop.
(docs/decisions.md, "The thread-safe in-memory channel layer": with the stock ``InMemoryChannelLayer``
those events came ~0.6 s late, or never)."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import Future
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, InMemoryChannelLayer

from studio.channel_layer import ThreadSafeInMemoryChannelLayer

# The stock layer leaves the receiver asleep until something else wakes its loop: here only the
# wait_for timer, after DEADLINE. Woken by the publish itself, it gets the event far sooner, however
# busy the machine (a 0.2 s bound failed under load).
DEADLINE = 20.0  # seconds
PROMPTLY = DEADLINE / 4
GROUP = "job.test"
EVENT = {"type": "job.event", "event": "progress", "job": {"percent": 40.0}}


def publish_from_another_thread(layer: BaseChannelLayer, method: str, target: str) -> Future[None]:
    """Publish as the embedded worker does: ``async_to_sync(layer.<method>)`` in a thread of its own.
    The result is a concurrent Future, so waiting on it never wakes the receiving loop by itself."""
    outcome: Future[None] = Future()

    def publish() -> None:
        try:
            async_to_sync(getattr(layer, method))(target, EVENT)
        except BaseException as error:
            outcome.set_exception(error)
        else:
            outcome.set_result(None)

    threading.Thread(target=publish, name="publisher", daemon=True).start()
    return outcome


async def receiver_waiting(layer: BaseChannelLayer) -> tuple[str, asyncio.Task]:
    """A channel in GROUP and a task already blocked in ``layer.receive`` on it."""
    channel = await layer.new_channel()
    await layer.group_add(GROUP, channel)
    receiving = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)  # the task runs up to its wait on the channel's queue
    return channel, receiving


@pytest.mark.parametrize("method", ["group_send", "send"])
async def test_a_send_from_another_threads_loop_reaches_a_waiting_receiver_promptly(method: str) -> None:
    asyncio.get_running_loop().set_debug(True)  # raises on any unsafe call into this loop from elsewhere
    layer = ThreadSafeInMemoryChannelLayer()
    channel, receiving = await receiver_waiting(layer)
    started = time.monotonic()

    published = publish_from_another_thread(layer, method, GROUP if method == "group_send" else channel)

    assert await asyncio.wait_for(receiving, timeout=DEADLINE) == EVENT
    assert time.monotonic() - started < PROMPTLY
    await asyncio.wrap_future(published)


async def test_the_stock_in_memory_layer_calls_into_the_receivers_loop_from_another_thread(
    monkeypatch,
) -> None:
    """What made the embedded mode's events late: to wake the waiting receiver, the stock layer calls
    its loop's (not thread-safe) ``call_soon`` from the publisher's thread, which queues the wake-up but
    leaves the loop asleep until something else wakes it. (asyncio's debug mode would raise there, and
    the receiver would then never wake, so this records the callers instead.)"""
    loop = asyncio.get_running_loop()
    callers: list[int] = []
    call_soon = loop.call_soon

    def recording_call_soon(*args: Any, **kwargs: Any) -> asyncio.Handle:
        callers.append(threading.get_ident())
        return call_soon(*args, **kwargs)

    monkeypatch.setattr(loop, "call_soon", recording_call_soon)
    layer = InMemoryChannelLayer()
    _, receiving = await receiver_waiting(layer)

    # Block this loop until the publisher is done: the stock layer needs nothing from it.
    publish_from_another_thread(layer, "group_send", GROUP).result(timeout=10)

    assert any(caller != threading.get_ident() for caller in callers)
    assert await receiving == EVENT  # delivered only because this loop runs again anyway


async def test_an_event_for_a_busy_loop_is_delivered_once_the_loop_is_free(monkeypatch) -> None:
    """A publisher stops waiting for a loop that is slow to take its event (a loaded machine), but the
    event stays queued there: the job's final event must not be lost (it was, when the hand-off was
    cancelled after its timeout)."""
    from studio import channel_layer

    monkeypatch.setattr(channel_layer, "HANDOFF_TIMEOUT", 0.1)
    layer = ThreadSafeInMemoryChannelLayer()
    _, receiving = await receiver_waiting(layer)

    # Block this loop until the publisher has given up waiting for it.
    publish_from_another_thread(layer, "group_send", GROUP).result(timeout=DEADLINE)

    assert await asyncio.wait_for(receiving, timeout=DEADLINE) == EVENT

"""Streaming speech: audio sent sentence by sentence while the rest is still being made.

The work runs as a job on a worker, like all speech (so GPU engines, queues and per-user limits apply
the same way); the job's params carry a channel name, and the worker sends each encoded chunk there
through the channel layer (in-process in the embedded mode, Redis in the distributed one) as soon as
the engine's ``stream()`` yields it. Every chunk is watermarked on its way out (``studio.output``).

Messages on the reply channel: ``speech.chunk`` ``{"data": bytes, "index": n}``, then ``speech.end``
``{"duration", "chunks"}`` or ``speech.error`` ``{"error": {"code", "message", "field"}}``. The HTTP
endpoint (``POST /v1/speech/stream``) and the websocket (``ws/speech/``) read them.

Streamed speech is not kept in the history: a client that wants a file uses ``POST /v1/speech``.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

import limits
from audio.output import STREAM_FORMATS
from engines import get_available_engine
from errors import InvalidInput, StudioError
from jobs.models import Job
from jobs.runner import JobProgress, error_message
from jobs.services import job_create
from studio.output import output_stream
from synthesis.services import SpeechParams, speech_engine_check
from voices.selectors import voice_artifacts, voice_current
from voices.services.voice import voice_assert_usable

log = logging.getLogger(__name__)

STREAM_JOB = "stream"


@transaction.atomic
def speech_stream_request(*, owner: Any, voice: Any, params: SpeechParams, reply_channel: str) -> Job:
    """Check everything a client can fix now, then enqueue the streaming job."""
    params.validate()
    limits.choice(params.output_format, STREAM_FORMATS, field="output_format")
    voice_assert_usable(voice=voice, user=owner)
    engine = speech_engine_check(voice, [params])
    return job_create(
        kind=STREAM_JOB,
        owner=owner,
        voice_id=voice.id,
        params={"speech": asdict(params), "reply_channel": reply_channel},
        queue=engine.queue,
    )


# --- On the worker --------------------------------------------------------------------------------


def speech_stream_run(job: Job, progress: JobProgress) -> dict:
    channel = job.params["reply_channel"]
    try:
        return _stream(job, progress, lambda message: _send(channel, message))
    except Exception as exc:
        if isinstance(exc, StudioError):
            status, body = int(exc.status), exc.as_dict()
        else:
            status, body = 500, {"code": "generation_failed", "message": error_message(exc, job.kind)}
        _send(channel, {"type": "speech.error", "status": status, "error": body})
        raise


def _stream(job: Job, progress: JobProgress, send: Any) -> dict:
    params = SpeechParams(**job.params["speech"])
    voice = voice_current(job.voice_id)
    voice_assert_usable(voice=voice, user=job.owner)
    engine = get_available_engine(voice.engine)
    out = output_stream(fmt=params.output_format, sample_rate=params.sample_rate)
    progress.set_steps([("stream", 1)])
    progress.step("stream")
    index = 0
    header = out.header()
    if header:
        send({"type": "speech.chunk", "index": index, "data": header})
        index += 1
    chunks = engine.stream(voice_artifacts(voice), params.text, params.options(voice))
    for audio in _made_ahead(chunks):
        data = out.chunk(audio.samples, audio.sample_rate)
        if data:
            send({"type": "speech.chunk", "index": index, "data": data})
            index += 1
        progress.update(0.0)  # a heartbeat: the job is alive
    tail = out.finish()
    if tail:
        send({"type": "speech.chunk", "index": index, "data": tail})
        index += 1
    result = {
        "duration": round(out.duration, 3),
        "chunks": index,
        "format": out.format,
        "sample_rate": out.sample_rate,
    }
    send({"type": "speech.end", **result})
    return result


def _made_ahead(chunks: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """The engine's chunks, made on a thread of their own while this one watermarks, encodes and
    sends the previous ones: the two overlap on two cores instead of taking turns. The first chunk
    goes out before the engine starts on the second, so nothing competes with the first audio."""
    done = object()
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop, first_out = threading.Event(), threading.Event()

    def make() -> None:
        try:
            for chunk in chunks:
                if stop.is_set():
                    break
                ready.put(chunk)
                first_out.wait()
        except BaseException as exc:  # handed over to the consumer, raised there
            ready.put(exc)
        finally:
            ready.put(done)

    maker = threading.Thread(target=make, name="speech-stream-engine", daemon=True)
    maker.start()
    try:
        while (item := ready.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
            first_out.set()
    finally:
        stop.set()
        first_out.set()
        while maker.is_alive():  # unblock a maker waiting on a full queue, then let it finish
            try:
                ready.get(timeout=0.1)
            except queue.Empty:
                pass


def _send(channel: str, message: dict) -> None:
    layer = get_channel_layer()
    async_to_sync(layer.send)(channel, message)


# --- In the web process ---------------------------------------------------------------------------


class SpeechStream:
    """A reply channel opened before the job is enqueued (so no chunk is missed), read as it fills."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.layer = get_channel_layer()

    @classmethod
    async def open(cls) -> SpeechStream:
        layer = get_channel_layer()
        if layer is None:
            raise InvalidInput("Streaming needs the channel layer, which is not configured.", field="stream")
        return cls(await layer.new_channel())

    async def next_message(self, timeout: float) -> dict | None:
        try:
            return await asyncio.wait_for(self.layer.receive(self.channel), timeout)
        except TimeoutError:
            return None

    async def chunks(self, first: dict, timeout: float) -> AsyncIterator[bytes]:
        """The audio bytes from ``first`` on, until the end (or an error, which ends the stream: the
        status line went out with the first chunk)."""
        message: dict | None = first
        while message is not None and message["type"] == "speech.chunk":
            yield bytes(message["data"])
            message = await self.next_message(timeout)
        if message is None:
            log.warning("A speech stream on %s stopped: no chunk for %.0f s", self.channel, timeout)
        elif message["type"] == "speech.error":
            log.info("A speech stream on %s failed: %s", self.channel, message["error"])


async def speech_stream_start(*, user: Any, voice_id: str, params: SpeechParams) -> tuple[SpeechStream, Job]:
    from voices.selectors import voice_get

    stream = await SpeechStream.open()

    def start() -> Job:
        voice = voice_get(user, voice_id)
        return speech_stream_request(owner=user, voice=voice, params=params, reply_channel=stream.channel)

    return stream, await sync_to_async(start)()

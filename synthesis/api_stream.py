"""``POST /v1/speech/stream``: the audio as a chunked response, each sentence sent as soon as it is made.

A sync DRF view authenticates, validates and enqueues (``speech_stream_request``), given a reply
channel the async view opened first; the async view then waits for the first chunk — an error before
it is still a JSON 4xx — and streams the rest as it arrives (``synthesis.streaming``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from http import HTTPStatus
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.events import job_payload
from studio.api import AudioOrJsonNegotiation
from studio.schema import error_responses
from synthesis import services
from synthesis.api_speech import SpeechRequestSerializer, _params
from synthesis.streaming import SpeechStream, speech_stream_request
from voices.selectors import voice_get

# How long to wait for the next chunk before giving up on a stream (a sentence takes ~1 s on a CPU).
CHUNK_TIMEOUT = 120.0


def stream_content_type(fmt: str, sample_rate: int) -> str:
    from audio.codec import content_type_for

    content_type = content_type_for(fmt)
    return f"{content_type};rate={sample_rate};channels=1" if fmt == "pcm" else content_type


class SpeechStreamStartView(APIView):
    throttle_scope = "speech"  # studio.throttling.WorkThrottle
    content_negotiation_class = AudioOrJsonNegotiation

    @extend_schema(
        request=SpeechRequestSerializer,
        responses={
            (200, "audio/mpeg"): OpenApiResponse(OpenApiTypes.BINARY, "Chunked MP3, sentence by sentence."),
            (200, "audio/wav"): OpenApiResponse(OpenApiTypes.BINARY, "A WAV header, then PCM as it is made."),
            (200, "audio/pcm"): OpenApiResponse(OpenApiTypes.BINARY, "Raw 16-bit little-endian PCM."),
            202: OpenApiResponse(description="No worker started the stream in time: the job."),
            **error_responses(400, 403, 404, 409),
        },
        summary="Stream speech: chunked audio as each sentence is ready (not kept in the history)",
    )
    def post(self, request: Request, reply_channel: str) -> Response:
        body = SpeechRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        voice = voice_get(request.user, body.validated_data["voice_id"])
        params = _params(body.validated_data)
        job = speech_stream_request(
            owner=request.user, voice=voice, params=params, reply_channel=reply_channel
        )
        response = Response(job_payload(job), status=HTTPStatus.ACCEPTED)
        response.stream_job = (job, params)
        return response


def streaming_view(
    start: Callable[..., HttpResponse], respond: Callable[[SpeechStream, dict, Any], HttpResponse]
) -> Callable:
    """An async view around ``start`` (a DRF view marking its response with ``stream_job``)."""

    async def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        stream = await SpeechStream.open()
        response = await sync_to_async(start)(request, *args, reply_channel=stream.channel, **kwargs)
        started = getattr(response, "stream_job", None)
        if started is None:
            return response  # refused: the JSON error
        job, params = started
        first = await stream.next_message(settings.STUDIO_WAIT_TIMEOUT)
        if first is None:
            return JsonResponse(job_payload(job), status=HTTPStatus.ACCEPTED)
        if first["type"] == "speech.error":
            return JsonResponse({"error": first["error"]}, status=first.get("status", 400))
        response = respond(stream, first, params)
        response["X-Job-Id"] = job.id  # GET /v1/jobs/{id}: how the stream's work went
        return response

    view.csrf_exempt = True  # type: ignore[attr-defined]  # as jobs.waiting: DRF checks CSRF for sessions
    for attribute in ("cls", "initkwargs", "view_class", "actions"):
        if hasattr(start, attribute):
            setattr(view, attribute, getattr(start, attribute))
    return view


def audio_stream_response(stream: SpeechStream, first: dict, params: services.SpeechParams) -> HttpResponse:
    response = StreamingHttpResponse(
        stream.chunks(first, CHUNK_TIMEOUT),
        content_type=stream_content_type(params.output_format, params.sample_rate),
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each chunk on at once
    return response


def sse_stream_response(stream: SpeechStream, first: dict, params: services.SpeechParams) -> HttpResponse:
    """OpenAI's ``stream_format="sse"``: ``speech.audio.delta`` events with base64 audio, then
    ``speech.audio.done``."""

    async def events() -> AsyncIterator[bytes]:
        async for chunk in stream.chunks(first, CHUNK_TIMEOUT):
            delta = {"type": "speech.audio.delta", "audio": base64.b64encode(chunk).decode()}
            yield f"data: {json.dumps(delta)}\n\n".encode()
        yield f"data: {json.dumps({'type': 'speech.audio.done'})}\n\n".encode()

    response = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


speech_stream_view = streaming_view(SpeechStreamStartView.as_view(), audio_stream_response)

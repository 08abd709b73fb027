"""Speech endpoints: generate (waits for the job), batch, history, and the OpenAI-compatible route."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import limits
from audio.codec import content_type_for
from errors import InvalidInput, NotFound
from jobs.events import job_payload
from jobs.models import Job
from jobs.selectors import job_get
from jobs.waiting import waiting_view
from studio.api import (
    AudioOrJsonNegotiation,
    LanguageField,
    PageQuerySerializer,
    StrictSerializer,
    absolute_url,
    page_serializer,
    paginated,
    wants_audio,
)
from studio.files import file_response
from studio.schema import error_responses
from synthesis import selectors, services

if TYPE_CHECKING:
    from voices.models import Voice

from studio.aliases import OPENAI_FALLBACK_VOICE, OPENAI_VOICE_NAMES
from synthesis.models import Speech
from voices.selectors import voice_find, voice_get


class SpeechSerializer(serializers.ModelSerializer):
    audio_url = serializers.SerializerMethodField()
    voice_id = serializers.CharField(allow_null=True)
    batch_id = serializers.SerializerMethodField()

    class Meta:
        model = Speech
        fields = [
            "id", "voice_id", "text", "filename", "audio_url", "duration", "format", "sample_rate", "language",
            "emotion", "speed", "pitch", "stability", "similarity_boost", "engine", "batch_id", "created_at",
        ]  # fmt: skip

    def get_audio_url(self, speech: Speech) -> str:
        return absolute_url(self.context.get("request"), reverse("speech-audio", args=[speech.id]))

    def get_batch_id(self, speech: Speech) -> str | None:
        return speech.job_id if speech.filename else None


class SpeechListQuerySerializer(PageQuerySerializer):
    voice_id = serializers.CharField(required=False, max_length=40)
    batch_id = serializers.CharField(required=False, max_length=40, help_text="Only the files of this batch.")


SpeechPageSerializer = page_serializer(SpeechSerializer, "SpeechPage")


class SpeechParamsSerializer(StrictSerializer):
    aliases = "speech"

    text = serializers.CharField(max_length=limits.TEXT_MAX_CHARS, trim_whitespace=True)
    language = LanguageField(required=False, allow_blank=True, default="")
    emotion = serializers.ChoiceField(choices=limits.EMOTIONS, default="neutral")
    speed = serializers.FloatField(min_value=limits.SPEED.low, max_value=limits.SPEED.high, default=1.0)
    pitch = serializers.FloatField(min_value=limits.PITCH.low, max_value=limits.PITCH.high, default=0.0)
    stability = serializers.FloatField(
        min_value=limits.STABILITY.low,
        max_value=limits.STABILITY.high,
        required=False,
        help_text="Steadier delivery (1) or livelier (0); default: the voice's own (0.5 unless chosen).",
    )
    similarity_boost = serializers.FloatField(
        min_value=limits.SIMILARITY_BOOST.low,
        max_value=limits.SIMILARITY_BOOST.high,
        default=limits.DEFAULT_SIMILARITY_BOOST,
        help_text=(
            "How closely the speech follows the cloned voice's own sound: 1 most alike, lower values "
            "clearer words (offline engine; XTTS ignores it)."
        ),
    )
    output_format = serializers.ChoiceField(
        choices=limits.OUTPUT_FORMATS, default=limits.DEFAULT_OUTPUT_FORMAT
    )
    sample_rate = serializers.ChoiceField(choices=limits.OUTPUT_RATES, default=limits.DEFAULT_OUTPUT_RATE)


class SpeechRequestSerializer(SpeechParamsSerializer):
    voice_id = serializers.CharField(max_length=40)


class BatchItemSerializer(StrictSerializer):
    aliases = "speech"

    text = serializers.CharField(max_length=limits.TEXT_MAX_CHARS)
    filename = serializers.CharField(
        required=False, allow_blank=True, max_length=limits.BATCH_FILENAME_MAX_CHARS, default=""
    )


class BatchRequestSerializer(SpeechParamsSerializer):
    voice_id = serializers.CharField(max_length=40)
    text = None
    texts = BatchItemSerializer(many=True, allow_empty=False, max_length=limits.BATCH_MAX_TEXTS)


def _params(data: dict, **overrides) -> services.SpeechParams:
    fields = {key: data[key] for key in services.SpeechParams.__dataclass_fields__ if key in data}
    return services.SpeechParams(**{**fields, **overrides})


class SpeechCreateView(APIView):
    throttle_scope = "speech"  # studio.throttling.WorkThrottle
    content_negotiation_class = AudioOrJsonNegotiation

    @extend_schema(
        request=SpeechRequestSerializer,
        responses={
            200: SpeechSerializer,
            (200, "audio/*"): OpenApiResponse(
                response=OpenApiTypes.BINARY,
                description="The audio itself, when the request says Accept: audio/*.",
            ),
            202: OpenApiResponse(description="Still rendering after the wait timeout: the job to poll."),
            **error_responses(400, 403, 404, 409),
        },
        summary="Generate speech (answers with the stored generation, or the audio with Accept: audio/*)",
    )
    def post(self, request: Request) -> Response:
        body = SpeechRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        voice = voice_get(request.user, body.validated_data["voice_id"])
        job = services.speech_request(owner=request.user, voice=voice, params=_params(body.validated_data))
        response = Response(job_payload(job), status=HTTPStatus.ACCEPTED, headers=_job_location(request, job))
        response.wait_for_job = job.id
        return response

    @extend_schema(
        parameters=[SpeechListQuerySerializer],
        responses={200: SpeechPageSerializer, **error_responses(400)},
        operation_id="speech_list",
        summary="Your past generations, newest first",
    )
    def get(self, request: Request) -> Response:
        query = SpeechListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        speeches = selectors.speeches_of(
            request.user, voice_id=filters.get("voice_id"), batch_id=filters.get("batch_id")
        )
        return paginated(speeches, SpeechSerializer, filters, request)


def _job_location(request: Request, job: Job) -> dict[str, str]:
    return {"Location": absolute_url(request, reverse("job-detail", args=[job.id]))}


class SpeechResultView(APIView):
    content_negotiation_class = AudioOrJsonNegotiation
    always_audio = False

    def post(self, request: Request, job_id: str) -> Response | HttpResponse:
        job = job_get(request.user, job_id)
        if not job.is_final:
            return Response(job_payload(job), status=HTTPStatus.ACCEPTED, headers=_job_location(request, job))
        if job.status == Job.Status.FAILED:
            raise InvalidInput(
                f"Speech generation failed: {job.error}", field="text", code="generation_failed"
            )
        speech = selectors.speech_get(request.user, job.result["speech_id"])
        if self.always_audio or wants_audio(request):
            return speech_audio_response(speech)
        return Response(SpeechSerializer(speech, context={"request": request}).data, status=HTTPStatus.OK)


def speech_audio_response(speech: Speech) -> HttpResponse:
    from audio.codec import content_type_for

    with speech.file.open("rb") as handle:
        data = handle.read()
    content_type = content_type_for(speech.format)
    if speech.format == "pcm":
        content_type += f";rate={speech.sample_rate};channels=1"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{speech.id}.{speech.format}"'
    response["X-Speech-Id"] = speech.id
    return response


speech_view = waiting_view(
    SpeechCreateView.as_view(), SpeechResultView.as_view(), timeout=lambda: settings.STUDIO_WAIT_TIMEOUT
)


class SpeechDetailView(APIView):
    @extend_schema(responses={200: SpeechSerializer, **error_responses(404)})
    def get(self, request: Request, speech_id: str) -> Response:
        speech = selectors.speech_get(request.user, speech_id)
        return Response(SpeechSerializer(speech, context={"request": request}).data)

    @extend_schema(
        responses={
            200: inline_serializer(
                "SpeechDeleted", {"id": serializers.CharField(), "deleted": serializers.BooleanField()}
            ),
            **error_responses(404),
        }
    )
    def delete(self, request: Request, speech_id: str) -> Response:
        services.speech_delete(speech=selectors.speech_get(request.user, speech_id))
        return Response({"id": speech_id, "deleted": True})


@extend_schema(
    responses={
        (200, "audio/*"): OpenApiResponse(response=OpenApiTypes.BINARY, description="The generated audio."),
        **error_responses(404),
    }
)
class SpeechAudioView(APIView):
    def get(self, request: Request, speech_id: str):
        speech = selectors.speech_get(request.user, speech_id)
        download = request.query_params.get("download") in ("1", "true")
        name = f"{speech.filename or speech.id}.{speech.format}"
        return file_response(
            speech.file,
            download_name=name,
            as_attachment=download,
            content_type=content_type_for(speech.format),
        )


class BatchCreateView(APIView):
    throttle_scope = "speech"  # studio.throttling.WorkThrottle

    @extend_schema(
        request=BatchRequestSerializer,
        responses={202: OpenApiResponse(description="The batch job."), **error_responses(400, 403, 404, 409)},
        summary="Generate several texts in one job",
    )
    def post(self, request: Request) -> Response:
        body = BatchRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        voice = voice_get(request.user, data["voice_id"])
        items = [
            _params(data, text=item["text"], filename=item.get("filename", "")) for item in data["texts"]
        ]
        job = services.speech_batch_request(owner=request.user, voice=voice, items=items)
        location = absolute_url(request, reverse("speech-batch-detail", args=[job.id]))
        return Response(_batch_body(request, job), status=HTTPStatus.ACCEPTED, headers={"Location": location})


def _batch_body(request: Request, job: Job) -> dict:
    files = SpeechSerializer(selectors.speeches_of_job(job), many=True, context={"request": request}).data
    return {
        "batch_id": job.id,
        "job": job_payload(job),
        "count": len(job.params.get("items", [])),
        "files": files,
    }


class BatchDetailView(APIView):
    @extend_schema(
        responses={
            200: OpenApiResponse(description="The batch job and the files made so far."),
            **error_responses(404),
        }
    )
    def get(self, request: Request, batch_id: str) -> Response:
        return Response(_batch_body(request, selectors.batch_get(request.user, batch_id)))


# --- OpenAI-compatible: POST /v1/audio/speech -----------------------------------------------------
# The official SDK (``client.audio.speech.create`` and ``.with_streaming_response.create``) sends
# Accept: application/octet-stream and reads the body as audio. OpenAI documents its audio at 24 kHz,
# "pcm" as raw 16-bit little-endian mono at 24 kHz; "opus" is Ogg Opus.

OPENAI_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
OPENAI_RATE = 24000


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string"},
            {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
        ]
    }
)
class OpenAIVoiceField(serializers.Field):
    """``"voice": "Narrator"`` (a studio voice's id or name) or ``"voice": {"id": "voice_..."}``."""

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, dict):
            data = data.get("id")
        if not isinstance(data, str) or not 1 <= len(data.strip()) <= 100:
            raise serializers.ValidationError('Give a voice id or name, or {"id": "voice_..."}.')
        return data.strip()

    def to_representation(self, value: str) -> str:
        return value


class OpenAISpeechSerializer(StrictSerializer):
    aliases = "openai"

    model = serializers.CharField(
        required=False, allow_blank=True, help_text="Accepted; the voice picks the engine."
    )
    input = serializers.CharField(max_length=limits.TEXT_MAX_CHARS)
    voice = OpenAIVoiceField(help_text='A studio voice id or name, or {"id": "voice_..."}.')
    response_format = serializers.CharField(default="mp3", help_text=", ".join(OPENAI_FORMATS))
    speed = serializers.FloatField(min_value=limits.SPEED.low, max_value=limits.SPEED.high, default=1.0)
    instructions = serializers.CharField(required=False, allow_blank=True, help_text="Accepted and not used.")
    stream_format = serializers.ChoiceField(choices=["audio", "sse"], required=False)

    def validate_response_format(self, value: str) -> str:
        return limits.choice(value, OPENAI_FORMATS, field="response_format")


class OpenAISpeechView(APIView):
    """Existing OpenAI clients can speak with studio voices: ``voice`` is a studio voice id or name."""

    throttle_scope = "speech"  # studio.throttling.WorkThrottle
    content_negotiation_class = AudioOrJsonNegotiation

    @extend_schema(
        request=OpenAISpeechSerializer,
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, "The audio."),
            202: OpenApiResponse(description="Still rendering after the wait timeout: the job to poll."),
            **error_responses(400, 403, 404, 409),
        },
        summary="OpenAI-compatible speech (the openai SDK's audio.speech.create)",
    )
    def post(self, request: Request, reply_channel: str | None = None) -> Response:
        body = OpenAISpeechSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        voice = openai_voice(request.user, data["voice"])
        params = services.SpeechParams(
            text=data["input"],
            speed=data["speed"],
            output_format=data["response_format"],
            sample_rate=OPENAI_RATE,
        )
        if reply_channel is not None:
            from synthesis.streaming import speech_stream_request

            job = speech_stream_request(
                owner=request.user, voice=voice, params=params, reply_channel=reply_channel
            )
            response = Response(job_payload(job), status=HTTPStatus.ACCEPTED)
            response.stream_job = (job, params)
            return response
        job = services.speech_request(owner=request.user, voice=voice, params=params)
        response = Response(job_payload(job), status=HTTPStatus.ACCEPTED)
        response.wait_for_job = job.id
        return response


def openai_voice(user: Any, value: str) -> Voice:
    """A studio voice by id or name; OpenAI's own voice names (alloy, nova...) fall back to the studio's
    built-in voice when no studio voice has that name, so code written for OpenAI runs unchanged."""
    try:
        return voice_find(user, value)
    except NotFound:
        if value.lower() in OPENAI_VOICE_NAMES:
            return voice_get(user, OPENAI_FALLBACK_VOICE)
        raise


class OpenAISpeechResultView(SpeechResultView):
    always_audio = True  # OpenAI clients expect the audio bytes whatever they send as Accept


_openai_waiting_view = waiting_view(
    OpenAISpeechView.as_view(), OpenAISpeechResultView.as_view(), timeout=lambda: settings.STUDIO_WAIT_TIMEOUT
)


async def openai_speech_view(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    """``stream_format`` "audio" or "sse" streams (mp3, wav or pcm); otherwise the whole file."""
    stream_format = _peek_stream_format(request)
    if stream_format is None:
        return await _openai_waiting_view(request, *args, **kwargs)
    from synthesis.api_stream import audio_stream_response, sse_stream_response, streaming_view

    respond = sse_stream_response if stream_format == "sse" else audio_stream_response
    return await streaming_view(OpenAISpeechView.as_view(), respond)(request, *args, **kwargs)


def _peek_stream_format(request: Any) -> str | None:
    """The JSON body's stream_format, read before DRF parses it (the body is small: text and options)."""
    if not request.content_type or "json" not in request.content_type:
        return None
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None  # DRF answers the parse error
    value = body.get("stream_format") if isinstance(body, dict) else None
    return value if value in ("audio", "sse") else None


openai_speech_view.csrf_exempt = True  # type: ignore[attr-defined]
for _attribute in ("cls", "initkwargs", "view_class", "actions"):
    if hasattr(_openai_waiting_view, _attribute):
        setattr(openai_speech_view, _attribute, getattr(_openai_waiting_view, _attribute))
